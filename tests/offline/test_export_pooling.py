"""Mean pooling exported as matrix products: the same outputs, no AveragePool node."""

import numpy as np
import onnx
import pytest
import torch
from torch import nn

from vaxis.offline.train.export import MatMulPool, matmul_pooling
from vaxis.offline.train.models.shallow import ShallowConvNet


@pytest.mark.parametrize(
    ("kernel", "stride", "shape"),
    [((38, 1), (8, 1), (40, 488, 1)), ((1, 4), (1, 4), (8, 1, 250)), ((3, 5), (2, 3), (4, 9, 31)),
     (4, None, (2, 12, 12))],
)  # fmt: skip
def test_matmul_pool_equals_avg_pool(kernel, stride, shape):
    pool = nn.AvgPool2d(kernel, stride)
    x = torch.randn(3, *shape)
    ours = MatMulPool(pool, *shape[-2:])(x)
    torch.testing.assert_close(ours, pool(x), rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch flags its TorchScript exporter
def test_export_writes_shallownet_pooling_as_a_product(tmp_path):
    net = ShallowConvNet(n_chans=30, n_times=500, n_outputs=3).eval()
    x = torch.randn(2, 30, 500)
    rewritten = matmul_pooling(net, (x,))
    assert not any(isinstance(m, nn.AvgPool2d) for m in rewritten.modules())
    assert any(isinstance(m, nn.AvgPool2d) for m in net.modules()), "the original is kept"
    with torch.no_grad():
        torch.testing.assert_close(rewritten(x), net(x), rtol=1e-4, atol=1e-5)
    path = tmp_path / "shallow.onnx"
    torch.onnx.export(rewritten, (x,), str(path), input_names=["x"], dynamo=False,
                      dynamic_axes={"x": {0: "batch"}}, opset_version=17)  # fmt: skip
    ops = {node.op_type for node in onnx.load(str(path)).graph.node}
    assert "AveragePool" not in ops and "MatMul" in ops


def test_padded_pools_are_left_alone():
    net = nn.Sequential(nn.AvgPool2d(3, 1, padding=1), nn.AvgPool2d(2, ceil_mode=True))
    rewritten = matmul_pooling(net, (torch.randn(1, 2, 7, 7),))
    assert [type(m) for m in rewritten] == [nn.AvgPool2d, nn.AvgPool2d]
    assert np.isfinite(rewritten(torch.randn(1, 2, 7, 7)).numpy()).all()
