"""A tiny but real ONNX bundle built with onnx.helper (no torch), for live-path tests.

Input ``features`` (batch, channels, 5 bands) -> flatten -> linear -> softmax = ``probs``;
``valence`` = probs @ class positions. Weights are seeded random: the bundle decodes
nothing meaningful, it exercises the contract and the plumbing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vaxis.decoder.bundle import write_bundle_json
from vaxis.decoder.channels import FACED_EEG_CHANNELS
from vaxis.decoder.features import BANDS
from vaxis.decoder.inputs import InputStats

CLASSES = ["negative", "neutral", "positive"]
POSITIONS = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}


def write_linear_bundle(
    path: Path,
    channels: tuple[str, ...] = FACED_EEG_CHANNELS,
    sfreq: float = 250.0,
    window_s: float = 1.0,
    hop_s: float = 0.25,
    seed: int = 0,
) -> Path:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_ch, n_b, k = len(channels), len(BANDS), len(CLASSES)
    weights = rng.normal(0, 0.1, (n_ch * n_b, k)).astype(np.float32)
    positions = np.array([[POSITIONS[c]] for c in CLASSES], np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Flatten", ["features"], ["flat"], axis=1),
            helper.make_node("MatMul", ["flat", "W"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
            helper.make_node("MatMul", ["probs", "P"], ["v2"]),
            helper.make_node("Flatten", ["v2"], ["v1"], axis=0),
            helper.make_node("Squeeze", ["v1", "zero"], ["valence"]),
        ],
        "linear",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", n_ch, n_b])],
        [
            helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", k]),
            helper.make_tensor_value_info("valence", TensorProto.FLOAT, ["batch"]),
        ],  # fmt: skip
        [
            numpy_helper.from_array(weights, "W"),
            numpy_helper.from_array(positions, "P"),
            numpy_helper.from_array(np.array([0], np.int64), "zero"),
        ],  # fmt: skip
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    onnx.save(model, path / "model.onnx")
    prior = InputStats(np.zeros((n_ch, n_b)), np.ones((n_ch, n_b)), np.full(n_ch, 10.0))
    window, hop = int(round(window_s * sfreq)), int(round(hop_s * sfreq))
    write_bundle_json(path, {
        "model_id": "linear-test-synthetic",
        "onnx": {"opset": 17},
        "inputs": [{"name": "features", "kind": "features", "shape": [None, n_ch, n_b]}],
        "channels": list(channels),
        "sfreq": sfreq,
        "unit": "uV",
        "window": {"seconds": window_s, "samples": window},
        "hop": {"seconds": hop_s, "samples": hop},
        "preprocessing": {"reference": "average", "detrend": "linear", "filters": []},
        "features": {"kind": "de", "bands": {k: list(v) for k, v in BANDS.items()}},
        "normalisation": {"method": "subject", "prior": prior.to_dict(), "warmup": 4},
        "classes": CLASSES,
        "valence": {"positions": POSITIONS, "source": "test"},
        "provenance": {"synthetic": True, "corpus": "none (random weights)"},
        "metrics": {},
    })  # fmt: skip
    return path
