"""One ONNX graph for the whole ensemble: inputs in, ``probs`` and ``valence`` out."""

from __future__ import annotations

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


def export_onnx(
    graph: EnsembleGraph, path: str | Path, examples: dict[str, np.ndarray], opset: int = OPSET
) -> Path:
    """Write ``graph`` as ONNX with a dynamic batch axis on every input and output.

    Parameters
    ----------
    examples : dict of str to array
        An example batch per input kind (shapes fix every axis but the batch).
    """
    path = Path(path)
    graph = graph.cpu().eval()
    args = tuple(torch.as_tensor(examples[k], dtype=torch.float32) for k in graph.input_kinds)
    dynamic = {name: {0: "batch"} for name in (*graph.input_kinds, *OUTPUTS)}
    try:
        with warnings.catch_warnings():
            # The TorchScript exporter is stable for these plain graphs and needs no onnxscript
            # at export time; torch flags it as legacy.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                graph, args, str(path), input_names=list(graph.input_kinds),
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
