"""The onnxruntime session that runs a bundle's graph."""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort

from vaxis.errors import BundleError


def providers(prefer_gpu: bool = True) -> list[str]:
    """CUDA first when onnxruntime-gpu and a GPU are present, always CPU as fallback."""
    available = ort.get_available_providers()
    cuda = "CUDAExecutionProvider"
    use_cuda = prefer_gpu and cuda in available
    return [cuda, "CPUExecutionProvider"] if use_cuda else ["CPUExecutionProvider"]


def open_session(
    model: str | Path | bytes, threads: int = 1, prefer_gpu: bool = True
) -> ort.InferenceSession:
    """An inference session tuned for small, latency-bound graphs.

    Parameters
    ----------
    model : path or bytes
        The ONNX model.
    threads : int
        Intra-op threads; one keeps per-window latency low and leaves cores to the loop.
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    source = model if isinstance(model, bytes) else str(model)
    try:
        return ort.InferenceSession(source, options, providers=providers(prefer_gpu))
    except Exception as err:  # onnxruntime raises its own untyped errors
        raise BundleError(f"onnxruntime cannot load {model!s:.80}: {err}") from None
