"""Writing the bundle: ``model.onnx`` (the whole ensemble) and ``bundle.json``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from vaxis.decoder.bundle import MODEL_FILE, write_bundle_json
from vaxis.decoder.features import BANDS
from vaxis.offline.axis import AxisFile
from vaxis.offline.corpus.base import Corpus
from vaxis.offline.train.config import TrainConfig
from vaxis.offline.train.data import WindowSet
from vaxis.offline.train.evaluate import DECODERS
from vaxis.offline.train.export import OPSET, EnsembleGraph, export_onnx, parity
from vaxis.offline.train.fold import FoldResult
from vaxis.offline.train.normalise import WARMUP, subject_inputs
from vaxis.offline.train.resample import FIRDecimate

#: Order of the graph's inputs by kind.
INPUT_ORDER = ("features", "envelope", "covariance", "raw")
_PROVENANCE_KEYS = ("format", "source", "generator", "seed", "seconds", "vaxis_version")


def ensemble_graph(fold: FoldResult, positions: np.ndarray, decimate: int) -> EnsembleGraph:
    """The fold's shipped combination and valence read-out as one module.

    Only the members the combination reads are in the graph, renumbered in its order.
    """
    shipped = fold.combinations[fold.shipped]
    members = [(fold.results[i].model, fold.results[i].spec.kind) for i in shipped.members]
    graph_combination = replace(shipped, members=list(range(len(members))))
    used = {kind for _, kind in members}
    if fold.valence_source == "ridge":
        used.add("features")
    kinds = [k for k in INPUT_ORDER if k in used]
    decimator = FIRDecimate(decimate) if "raw" in used and decimate > 1 else None
    return EnsembleGraph(
        members, kinds, graph_combination, positions, fold.valence_source,
        fold.ridge.coef_, float(fold.ridge.intercept_), decimator,
    )  # fmt: skip


def provenance_summary(corpus: Corpus, fold: FoldResult) -> dict:
    """Where the training data came from, and which subjects played which part."""
    summary = {
        "synthetic": corpus.synthetic,
        "corpus": corpus.name,
        "n_subjects": len(corpus),
        "split": {"train": fold.split.train, "val": fold.split.val, "test": fold.split.test},
    }
    summary.update({k: corpus.provenance[k] for k in _PROVENANCE_KEYS if k in corpus.provenance})
    return summary


def onnx_meta(fold: FoldResult, decimate: int, max_diff: float) -> dict:
    """``bundle.json``'s ``onnx``: the opset, the shipped members and their combination
    (renumbered as in the graph), the raw decimation and the export's parity."""
    shipped = fold.combinations[fold.shipped]
    n_members = len(shipped.members)
    return {
        "opset": OPSET,
        "members": [fold.members[i] for i in shipped.members],
        "combination": {**shipped.describe(), "members": list(range(n_members))},
        "raw_decimation": decimate,
        "parity_max_abs": max_diff,
    }


def feature_meta(bands: dict, fold: FoldResult, graph: EnsembleGraph) -> dict:
    """``bundle.json``'s ``features``: the DE bands, and the covariance input's reference when
    the graph reads it."""
    meta = {"kind": "de", "bands": {k: list(v) for k, v in bands.items()}}
    if "covariance" in graph.input_kinds:
        assert fold.inputs.tangent is not None  # the split fitted it for the covariance input
        meta["covariance"] = fold.inputs.tangent.bundle_block()
    return meta


def compact_metrics(metrics: dict, split: str) -> dict:
    """The test figures bundle.json carries (the full set is in ``report/metrics.json``)."""
    out = {"split": split, "n_test_subjects": metrics["n_test_subjects"]}
    for name in DECODERS:
        out[name] = {k: v for k, v in metrics[name].items() if k != "per_subject"}
    out["wilcoxon_p"] = {k: v["p_value"] for k, v in metrics["wilcoxon"].items()}
    out["valence_test_r"] = {
        "ridge": metrics["valence"]["test_r_ridge"],
        "expectation": metrics["valence"]["test_r_expectation"],
    }
    return out


def write_bundle(
    out: str | Path,
    fold: FoldResult,
    windows: WindowSet,
    corpus: Corpus,
    axis: AxisFile,
    positions: np.ndarray,
    config: TrainConfig,
    metrics: dict,
) -> tuple[Path, float]:
    """Export the fold's ensemble and write ``bundle.json``.

    Returns
    -------
    path : Path
        The bundle directory.
    parity : float
        Largest |torch - onnxruntime| over the first test subject's windows.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    graph = ensemble_graph(fold, positions, windows.decimate)
    examples = subject_inputs(corpus, windows, fold.split.test[0], fold.inputs)
    export_onnx(graph, out / MODEL_FILE, examples)
    max_diff = parity(graph, out / MODEL_FILE, examples)
    tag = "-synthetic" if corpus.synthetic else ""
    n_members = len(fold.combinations[fold.shipped].members)
    meta = {
        "model_id": f"vaxis-{corpus.name}{tag}-{fold.shipped}{n_members}-seed{config.seed}",
        "onnx": onnx_meta(fold, windows.decimate, max_diff),
        "inputs": [
            {"name": k, "kind": k, "shape": [None, *examples[k].shape[1:]]}
            for k in graph.input_kinds
        ],
        "channels": windows.channels,
        "sfreq": windows.sfreq,
        "unit": corpus.unit,
        "window": {"seconds": windows.window / windows.sfreq, "samples": windows.window},
        "hop": {"seconds": windows.hop / windows.sfreq, "samples": windows.hop},
        # Windows are only re-referenced and detrended; bands are cut in the FFT.
        "preprocessing": {"reference": "average", "detrend": "linear", "filters": []},
        "features": feature_meta(corpus.bands or BANDS, fold, graph),
        "normalisation": {
            "method": fold.inputs.normalisation,
            "prior": fold.inputs.prior.to_dict(),
            "warmup": WARMUP,
        },
        "classes": list(corpus.classes),
        "valence": {
            "positions": dict(zip(corpus.classes, positions.tolist(), strict=True)),
            "source": fold.valence_source,
            "val_r": fold.val_r,
            "axis": axis.provenance(),
        },
        "provenance": provenance_summary(corpus, fold),
        "metrics": compact_metrics(metrics, config.split),
        "training": config.to_dict(),
    }
    write_bundle_json(out, meta)
    return out, max_diff
