"""A tiny ONNX bundle that reads band features and band-covariance tangent vectors.

Built with onnx.helper (no torch): ``features`` and ``covariance`` are flattened,
concatenated and read by one seeded random linear layer and a softmax; ``valence`` is
``probs @ positions``. It decodes nothing meaningful (SYNTHETIC random weights); it
exercises the covariance input's contract and plumbing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from vaxis.decoder.bundle import write_bundle_json
from vaxis.decoder.covariance import DEFAULT_SHRINKAGE, n_pairs
from vaxis.decoder.features import BANDS
from vaxis.decoder.inputs import InputStats

CLASSES = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}


def covariance_meta(
    channels: Sequence[str],
    reference: np.ndarray,
    prior: InputStats,
    sfreq: float = 250.0,
    window_s: float = 1.0,
    shrinkage: float = DEFAULT_SHRINKAGE,
    bands: Mapping[str, tuple[float, float]] = BANDS,
) -> dict:
    """``bundle.json`` of a bundle with a features and a covariance input."""
    n_ch, n_b = len(channels), len(bands)
    window = int(round(window_s * sfreq))
    band_lists = {k: list(v) for k, v in bands.items()}
    return {
        "model_id": "covariance-test-synthetic",
        "onnx": {"opset": 17},
        "inputs": [
            {"name": "features", "kind": "features", "shape": [None, n_ch, n_b]},
            {"name": "covariance", "kind": "covariance", "shape": [None, n_b, n_pairs(n_ch)]},
        ],
        "channels": list(channels),
        "sfreq": sfreq,
        "unit": "uV",
        "window": {"seconds": window_s, "samples": window},
        "hop": {"seconds": window_s / 2, "samples": window // 2},
        "preprocessing": {"reference": "average", "detrend": "linear", "filters": []},
        "features": {
            "kind": "de",
            "bands": band_lists,
            "covariance": {
                "bands": band_lists,
                "shrinkage": shrinkage,
                "reference": np.asarray(reference).tolist(),
            },
        },  # fmt: skip
        "normalisation": {"method": "subject", "prior": prior.to_dict(), "warmup": 4},
        "classes": list(CLASSES),
        "valence": {"positions": dict(CLASSES), "source": "test"},
        "provenance": {"synthetic": True, "corpus": "none (SYNTHETIC random weights)"},
        "metrics": {},
    }


def write_model(path: Path, n_ch: int, n_b: int, seed: int = 0) -> None:
    """``model.onnx``: features and covariance -> one linear layer -> probs, valence."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    k, width = len(CLASSES), n_ch * n_b + n_b * n_pairs(n_ch)
    weights = [
        numpy_helper.from_array(rng.normal(0, 0.05, (width, k)).astype(np.float32), "W"),
        numpy_helper.from_array(np.zeros(k, np.float32), "b"),
        numpy_helper.from_array(np.array(list(CLASSES.values()), np.float32), "P"),
    ]
    nodes = [
        helper.make_node("Flatten", ["features"], ["f"], axis=1),
        helper.make_node("Flatten", ["covariance"], ["c"], axis=1),
        helper.make_node("Concat", ["f", "c"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "W"], ["z"]),
        helper.make_node("Add", ["z", "b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=1),
        helper.make_node("MatMul", ["probs", "P"], ["valence"]),
    ]
    graph = helper.make_graph(
        nodes,
        "covariance-linear",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", n_ch, n_b]),
         helper.make_tensor_value_info("covariance", TensorProto.FLOAT,
                                       ["batch", n_b, n_pairs(n_ch)])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", k]),
         helper.make_tensor_value_info("valence", TensorProto.FLOAT, ["batch"])],
        weights,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    onnx.save(model, path / "model.onnx")


def write_covariance_bundle(path: str | Path, meta: dict, seed: int = 0) -> Path:
    """Write ``model.onnx`` and ``meta`` as ``bundle.json`` into ``path``; return ``path``."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    write_model(path, len(meta["channels"]), len(meta["features"]["bands"]), seed)
    write_bundle_json(path, meta)
    return path
