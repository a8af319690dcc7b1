"""A tiny but real ONNX bundle built with onnx.helper (no torch), for live-path tests.

Input ``features`` (batch, channels, 5 bands) -> flatten -> per member a linear layer (or a
one-hidden-layer MLP) -> softmax; the members' probabilities are averaged into ``probs`` and
``valence`` = probs @ class positions. Weights are seeded random: the bundle decodes nothing
meaningful (its provenance says SYNTHETIC), it exercises the contract and the plumbing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from vaxis.decoder.bundle import write_bundle_json
from vaxis.decoder.channels import FACED_CHANNELS
from vaxis.decoder.features import BANDS
from vaxis.decoder.inputs import InputStats

CLASSES = ["negative", "neutral", "positive"]
POSITIONS = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}


def _member_nodes(i: int, hidden: int, n_in: int, k: int, rng) -> tuple[list, list]:
    """Nodes and weights of member ``i``: ``flat`` -> ``probs_i``."""
    from onnx import helper, numpy_helper

    nodes, weights, source, width = [], [], "flat", n_in
    if hidden:
        w1 = rng.normal(0, 1 / np.sqrt(n_in), (n_in, hidden)).astype(np.float32)
        weights += [numpy_helper.from_array(w1, f"W1_{i}"),
                    numpy_helper.from_array(np.zeros(hidden, np.float32), f"b1_{i}")]  # fmt: skip
        nodes += [helper.make_node("MatMul", [source, f"W1_{i}"], [f"h_{i}"]),
                  helper.make_node("Add", [f"h_{i}", f"b1_{i}"], [f"hb_{i}"]),
                  helper.make_node("Relu", [f"hb_{i}"], [f"a_{i}"])]  # fmt: skip
        source, width = f"a_{i}", hidden
    w = rng.normal(0, 0.1, (width, k)).astype(np.float32)
    weights += [numpy_helper.from_array(w, f"W_{i}"),
                numpy_helper.from_array(np.zeros(k, np.float32), f"b_{i}")]  # fmt: skip
    nodes += [helper.make_node("MatMul", [source, f"W_{i}"], [f"z_{i}"]),
              helper.make_node("Add", [f"z_{i}", f"b_{i}"], [f"logits_{i}"]),
              helper.make_node("Softmax", [f"logits_{i}"], [f"probs_{i}"], axis=1)]  # fmt: skip
    return nodes, weights


def write_linear_bundle(
    path: str | Path,
    channels: Sequence[str] = FACED_CHANNELS,
    sfreq: float = 250.0,
    window_s: float = 1.0,
    hop_s: float = 0.25,
    classes: Mapping[str, float] = POSITIONS,
    members: int = 1,
    hidden: int = 0,
    warmup: int = 4,
    seed: int = 0,
) -> Path:
    """Write ``model.onnx`` and a valid ``bundle.json`` into ``path``; return ``path``.

    Parameters
    ----------
    path : path
        Bundle directory (created).
    channels : sequence of str
        The bundle's channels; FACED's 32 rows by default, as synthetic recordings have.
    sfreq, window_s, hop_s : float
        Rate, window and hop the bundle declares.
    classes : mapping of str to float
        Class names in output order and their V-axis positions.
    members : int
        Ensemble members whose probabilities are averaged (the live benchmark uses 5).
    hidden : int
        Hidden units per member; 0 makes each member linear.
    warmup : int
        Valid windows before the running normalisation takes over from the prior.
    seed : int
        Seed of the random weights.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = list(classes)
    n_ch, n_b, k = len(channels), len(BANDS), len(names)
    nodes = [helper.make_node("Flatten", ["features"], ["flat"], axis=1)]
    weights = []
    for i in range(members):
        member_nodes, member_weights = _member_nodes(i, hidden, n_ch * n_b, k, rng)
        nodes += member_nodes
        weights += member_weights
    positions = np.array([classes[c] for c in names], np.float32)
    weights += [numpy_helper.from_array(positions, "P"),
                numpy_helper.from_array(np.float32(members), "n_members")]  # fmt: skip
    nodes += [helper.make_node("Sum", [f"probs_{i}" for i in range(members)], ["psum"]),
              helper.make_node("Div", ["psum", "n_members"], ["probs"]),
              helper.make_node("MatMul", ["probs", "P"], ["valence"])]  # fmt: skip
    graph = helper.make_graph(
        nodes,
        f"linear{members}",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", n_ch, n_b])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", k]),
         helper.make_tensor_value_info("valence", TensorProto.FLOAT, ["batch"])],
        weights,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    onnx.save(model, path / "model.onnx")
    prior = InputStats(np.zeros((n_ch, n_b)), np.ones((n_ch, n_b)), np.full(n_ch, 10.0))
    window, hop = int(round(window_s * sfreq)), int(round(hop_s * sfreq))
    write_bundle_json(path, {
        "model_id": f"linear{members}-test-synthetic",
        "onnx": {"opset": 17, "members": members},
        "inputs": [{"name": "features", "kind": "features", "shape": [None, n_ch, n_b]}],
        "channels": list(channels),
        "sfreq": sfreq,
        "unit": "uV",
        "window": {"seconds": window_s, "samples": window},
        "hop": {"seconds": hop_s, "samples": hop},
        "preprocessing": {"reference": "average", "detrend": "linear", "filters": []},
        "features": {"kind": "de", "bands": {b: list(v) for b, v in BANDS.items()}},
        "normalisation": {"method": "subject", "prior": prior.to_dict(), "warmup": warmup},
        "classes": names,
        "valence": {"positions": dict(classes), "source": "test"},
        "provenance": {"synthetic": True, "corpus": "none (SYNTHETIC random weights)"},
        "metrics": {},
    })  # fmt: skip
    return path
