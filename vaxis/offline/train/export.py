"""One ONNX graph for the whole ensemble: inputs in, ``probs`` and ``valence`` out."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from vaxis.errors import ModelError
from vaxis.offline.train.ensemble import Combination

OPSET = 17
OUTPUTS = ("probs", "valence")


class EnsembleGraph(nn.Module):
    """The ensemble's members, their combination and the valence read-out as one module.

    Parameters
    ----------
    members : list of (nn.Module, str)
        Each member the combination reads, and its input kind (``"features"``,
        ``"envelope"``, ``"covariance"`` or ``"raw"``).
    input_kinds : list of str
        The graph's inputs, in order (the bundle's ``inputs``).
    combination : Combination
        How member outputs become probabilities; its ``members`` index ``members`` here
        (0..n-1, in order).
    positions : array, shape (n_classes,)
        V-axis position of each class.
    valence_source : {"ridge", "expectation"}
    ridge_coef : array, shape (n_channels * n_bands,), optional
    ridge_intercept : float
    decimator : nn.Module, optional
        Turns full-rate raw windows into what raw members read (anti-aliased decimation).
    """

    # Buffers, registered in __init__.
    weights: torch.Tensor
    meta_coef: torch.Tensor
    meta_intercept: torch.Tensor
    positions: torch.Tensor
    ridge_coef: torch.Tensor
    ridge_intercept: torch.Tensor

    def __init__(
        self,
        members: list[tuple[nn.Module, str]],
        input_kinds: list[str],
        combination: Combination,
        positions: np.ndarray,
        valence_source: str,
        ridge_coef: np.ndarray | None = None,
        ridge_intercept: float = 0.0,
        decimator: nn.Module | None = None,
    ):
        super().__init__()
        self.members = nn.ModuleList(m for m, _ in members)
        self.member_kinds = [k for _, k in members]
        self.input_kinds = list(input_kinds)
        self.decimator = decimator
        self.stacking = combination.method == "stacking"
        self.valence_source = valence_source
        self.register_buffer("weights", _float32(combination.weights))
        if self.stacking:
            assert combination.coef is not None and combination.intercept is not None
            self.register_buffer("meta_coef", _float32(combination.coef.T))
            self.register_buffer("meta_intercept", _float32(combination.intercept))
        self.register_buffer("positions", _float32(positions))
        coef = np.zeros(1) if ridge_coef is None else ridge_coef
        self.register_buffer("ridge_coef", _float32(coef))
        self.register_buffer("ridge_intercept", torch.tensor(float(ridge_intercept)))

    def forward(self, *inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        by_kind = dict(zip(self.input_kinds, inputs, strict=True))
        if "raw" in by_kind and self.decimator is not None:
            by_kind["raw"] = self.decimator(by_kind["raw"])
        log_probs = [
            torch.log_softmax(member(by_kind[kind]), dim=1)
            for member, kind in zip(self.members, self.member_kinds, strict=True)
        ]
        if self.stacking:
            logits = torch.cat(log_probs, dim=1) @ self.meta_coef + self.meta_intercept
            probs = torch.softmax(logits, dim=1)
        else:
            probs = (torch.stack(log_probs).exp() * self.weights[:, None, None]).sum(dim=0)
        if self.valence_source == "ridge":
            valence = by_kind["features"].flatten(1) @ self.ridge_coef + self.ridge_intercept
        else:
            valence = probs @ self.positions
        return probs, valence


def _float32(array: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(array, dtype=torch.float32)


def _pooling_matrix(n: int, kernel: int, stride: int) -> torch.Tensor | None:
    """(n, n_out) weights of a mean over ``kernel`` samples every ``stride`` along an axis
    of ``n``; ``None`` where the pool leaves the axis as it is."""
    if kernel == stride == 1:
        return None
    n_out = (n - kernel) // stride + 1
    weights = torch.zeros(n, n_out)
    for j in range(n_out):
        weights[j * stride : j * stride + kernel, j] = 1.0 / kernel
    return weights


class MatMulPool(nn.Module):
    """An unpadded ``nn.AvgPool2d`` on inputs of a known height and width, as matrix
    products along the pooled axes: the same sums, but onnxruntime's AveragePool took
    0.15 ms of a ShallowNet window where the product takes 0.03 ms.

    Parameters
    ----------
    pool : nn.AvgPool2d
        No padding, no ``ceil_mode``, no divisor override (:func:`matmul_pooling` checks).
    height, width : int
        The last two axes of its input.
    """

    # Buffers, registered in __init__ (None along an axis the pool leaves as it is).
    rows: torch.Tensor | None
    cols: torch.Tensor | None

    def __init__(self, pool: nn.AvgPool2d, height: int, width: int):
        super().__init__()
        kernel, stride = _pair(pool.kernel_size), _pair(pool.stride or pool.kernel_size)
        self.flat = width == 1
        self.register_buffer("rows", _pooling_matrix(height, kernel[0], stride[0]), False)
        self.register_buffer("cols", _pooling_matrix(width, kernel[1], stride[1]), False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.rows is not None and self.flat:  # (..., time, 1): the usual EEG layout
            x = (x.squeeze(-1) @ self.rows).unsqueeze(-1)
        elif self.rows is not None:
            x = (x.transpose(-2, -1) @ self.rows).transpose(-2, -1)
        if self.cols is not None:
            x = x @ self.cols
        return x


def _pair(value: int | tuple[int, ...]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def matmul_pooling(graph: nn.Module, args: tuple[torch.Tensor, ...]) -> nn.Module:
    """A copy of ``graph`` whose unpadded ``nn.AvgPool2d`` layers are :class:`MatMulPool`,
    for the input shapes they see when ``graph`` runs on ``args`` (a layer that sees
    several is left as it is)."""
    graph = copy.deepcopy(graph)
    shapes: dict[nn.Module, set[tuple[int, int]]] = {}

    def record(module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        height, width = inputs[0].shape[-2:]
        shapes.setdefault(module, set()).add((int(height), int(width)))

    pools = [m for m in graph.modules() if isinstance(m, nn.AvgPool2d) and _plain(m)]
    hooks = [pool.register_forward_pre_hook(record) for pool in pools]
    with torch.no_grad():
        graph(*args)
    for hook in hooks:
        hook.remove()
    for parent in list(graph.modules()):
        for name, child in parent.named_children():
            if isinstance(child, nn.AvgPool2d) and len(shapes.get(child, ())) == 1:
                ((height, width),) = shapes[child]
                setattr(parent, name, MatMulPool(child, height, width))
    return graph


def _plain(pool: nn.AvgPool2d) -> bool:
    """No padding, no ceil mode, no divisor override: a plain mean of each window."""
    return _pair(pool.padding) == (0, 0) and not pool.ceil_mode and pool.divisor_override is None


def export_onnx(
    graph: EnsembleGraph, path: str | Path, examples: dict[str, np.ndarray], opset: int = OPSET
) -> Path:
    """Write ``graph`` as ONNX with a dynamic batch axis on every input and output.

    Mean-pooling layers are written as matrix products (:func:`matmul_pooling`).

    Parameters
    ----------
    examples : dict of str to array
        An example batch per input kind (shapes fix every axis but the batch).
    """
    path = Path(path)
    graph = graph.cpu().eval()
    args = tuple(torch.as_tensor(examples[k], dtype=torch.float32) for k in graph.input_kinds)
    exported = matmul_pooling(graph, args)
    dynamic = {name: {0: "batch"} for name in (*graph.input_kinds, *OUTPUTS)}
    try:
        with warnings.catch_warnings():
            # The TorchScript exporter is stable for these plain graphs and needs no onnxscript
            # at export time; torch flags it as legacy.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                exported, args, str(path), input_names=list(graph.input_kinds),
                output_names=list(OUTPUTS), dynamic_axes=dynamic, opset_version=opset,
                dynamo=False,
            )  # fmt: skip
    except Exception as err:  # the exporter raises many untyped errors
        raise ModelError(f"exporting the ensemble to {path} failed: {err}") from err
    return path


@torch.no_grad()
def torch_outputs(graph: EnsembleGraph, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``probs`` and ``valence`` of ``graph`` in torch eager mode."""
    graph = graph.cpu().eval()
    probs, valence = graph(*(torch.as_tensor(inputs[k]) for k in graph.input_kinds))
    return {"probs": probs.numpy(), "valence": valence.numpy()}


def onnx_outputs(path: str | Path, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``probs`` and ``valence`` of the exported graph in onnxruntime."""
    from vaxis.decoder.session import open_session

    session = open_session(path, prefer_gpu=False)
    feeds = {i.name: inputs[i.name].astype(np.float32) for i in session.get_inputs()}
    return dict(zip(OUTPUTS, session.run(list(OUTPUTS), feeds), strict=True))


def parity(graph: EnsembleGraph, path: str | Path, inputs: dict[str, np.ndarray]) -> float:
    """Largest absolute difference between torch and onnxruntime outputs on ``inputs``."""
    ours, theirs = torch_outputs(graph, inputs), onnx_outputs(path, inputs)
    return float(max(np.max(np.abs(ours[k] - theirs[k].reshape(ours[k].shape))) for k in OUTPUTS))
