"""Anti-aliased decimation: numpy and torch agree, line noise is gone, alpha passes."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

from vaxis.errors import ConfigError
from vaxis.offline.train.resample import FIRDecimate, decimate_fir, fir_taps

SFREQ = 250.0


def _sine(freq: float, n_times: int = 1000) -> np.ndarray:
    return np.sin(2 * np.pi * freq * np.arange(n_times) / SFREQ).astype(np.float32)


@pytest.mark.parametrize("factor", [1, 2, 3, 4])
def test_numpy_and_torch_agree(factor):
    x = np.random.default_rng(factor).standard_normal((5, 30, 1001)).astype(np.float32)
    ours = decimate_fir(x, factor)
    theirs = FIRDecimate(factor)(torch.from_numpy(x)).numpy()
    assert ours.shape == theirs.shape == (5, 30, 1001 // factor)
    np.testing.assert_allclose(theirs, ours, atol=1e-5)


def test_line_noise_is_removed_and_alpha_passes():
    out = decimate_fir(np.stack([_sine(50.0), _sine(10.0)]), 2)
    middle = slice(100, -100)  # away from the reflected edges
    gain_db = 20 * np.log10(np.sqrt(2) * out[:, middle].std(axis=1))
    assert gain_db[0] <= -40.0
    assert abs(gain_db[1]) <= 0.5


def test_block_means_would_alias_line_noise():
    block_means = _sine(50.0).reshape(-1, 2).mean(axis=1)
    assert 20 * np.log10(np.sqrt(2) * block_means.std()) > -6.0


def test_taps_are_linear_phase_low_pass():
    taps = fir_taps(2)
    assert len(taps) % 2 == 1 and np.allclose(taps, taps[::-1])
    assert taps.sum() == pytest.approx(1.0)
    with pytest.raises(ConfigError, match="positive integer"):
        fir_taps(0)
    with pytest.raises(ConfigError, match="too short"):
        decimate_fir(np.zeros((2, 40)), 2)


def test_exports_to_onnx_with_a_dynamic_batch(tmp_path):
    module = FIRDecimate(2).eval()
    x = np.random.default_rng(0).standard_normal((3, 30, 1000)).astype(np.float32)
    path = tmp_path / "decimate.onnx"
    torch.onnx.export(module, (torch.from_numpy(x),), str(path), input_names=["raw"],
                      output_names=["out"], dynamic_axes={"raw": {0: "batch"}, "out": {0: "batch"}},
                      opset_version=17, dynamo=False)  # fmt: skip
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for batch in (x, x[:1]):
        (out,) = session.run(None, {"raw": batch})
        np.testing.assert_allclose(out, decimate_fir(batch, 2), atol=1e-5)
