"""Saturation ablation: what a label-only classifier loses without its within-class residual.

After training, the penultimate representations ``z`` (the input of the read-out, the last
``nn.Linear``) of the *training* windows give the class centroids ``c_k`` and their mean
``m`` (every class weighs the same). The *class-centroid span* is the span of ``c_k - m``
(at most ``n_classes - 1`` dimensions: the class subspace of the saturation analysis's
gradient shares), ``P`` its orthogonal projector. The model's own read-out then scores
every test window three ways:

- ``full``: ``z`` unchanged;
- ``class_span``: ``m + P (z - m)``, the within-class residual removed;
- ``residual``: ``m + (I - P)(z - m)``, the converse: the class-centroid span removed.

If labels alone saturate the class direction, ``class_span`` keeps nearly all of the
accuracy and ``residual`` falls toward chance; what ``class_span`` loses is the decoding
the residual carries. Tests are paired: per architecture, each test subject's balanced
accuracy (averaged over seeds), full minus ablated, two-sided Wilcoxon signed-rank over
test subjects, Holm-corrected over every architecture x ablation; over the whole grid, each
classifier's balanced accuracy, full minus ablated, Wilcoxon over classifiers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from sklearn.metrics import balanced_accuracy_score

from vaxis.errors import ModelError
from vaxis.offline.study.alignment import holm
from vaxis.offline.train.penultimate import PenultimateCapture, last_linear

ABLATIONS = ("class_span", "residual")


@torch.no_grad()
def class_centroids(
    model, X: np.ndarray, y: np.ndarray, n_classes: int, device: str = "cpu",
    batch_size: int = 2048,
) -> np.ndarray:  # fmt: skip
    """Per-class mean penultimate representation of ``X`` (n_classes, n_features), batch by
    batch (a raw model's representation of a whole training set need not fit in memory);
    NaN rows for classes ``y`` does not hold."""
    model.eval()
    sums, counts = None, np.bincount(y, minlength=n_classes).astype(np.float64)
    with PenultimateCapture(model) as cap:
        for start in range(0, len(X), batch_size):
            model(torch.as_tensor(X[start : start + batch_size], device=device))
            z = cap.flat().double().cpu().numpy()
            onehot = np.eye(n_classes)[y[start : start + batch_size]]
            sums = onehot.T @ z if sums is None else sums + onehot.T @ z
    if sums is None:
        raise ValueError("no windows to take class centroids of")
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts[:, None]


def class_span(centroids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``m`` of the centroids and an orthonormal basis (rows) of their centred span
    (NaN rows, classes without windows, left out)."""
    centroids = centroids[~np.isnan(centroids).any(axis=1)]
    mean = centroids.mean(axis=0)
    _, s, vt = np.linalg.svd(centroids - mean, full_matrices=False)
    rank = int(np.sum(s > s.max() * 1e-8)) if s.size and s.max() > 0 else 0
    return mean, vt[:rank]


def ablate(z: np.ndarray, mean: np.ndarray, basis: np.ndarray, keep: str) -> np.ndarray:
    """``z`` with only its class-centroid-span part (``keep="class_span"``) or only its
    residual part (``keep="residual"``) around ``mean``."""
    centred = z - mean
    in_span = centred @ basis.T @ basis
    return mean + (in_span if keep == "class_span" else centred - in_span)


def ablation_scores(
    model,
    X_train: np.ndarray,
    y_train: np.ndarray,
    z_test: np.ndarray,
    logits_test: np.ndarray,
    y_test: np.ndarray,
    subjects_test: np.ndarray,
    n_classes: int,
    device: str = "cpu",
) -> dict:
    """Balanced accuracy of the test windows, full and under each ablation.

    Parameters
    ----------
    model : nn.Module
        A trained classifier whose logits are its last ``nn.Linear``'s output.
    X_train, y_train : array
        The training windows: the only source of the centroids.
    z_test, logits_test : array
        The test windows' penultimate representations and logits (:func:`embed`).
    y_test, subjects_test : array

    Returns
    -------
    dict
        ``balanced_accuracy`` and ``per_subject`` for ``full`` and every ablation, the
        representation's width and the span's dimension.
    """
    readout = last_linear(model)
    weight = readout.weight.detach().double().cpu().numpy()
    bias = readout.bias.detach().double().cpu().numpy() if readout.bias is not None else 0.0
    z_test = z_test.astype(np.float64)
    through_readout = z_test @ weight.T + bias
    if not np.allclose(through_readout, logits_test, atol=1e-3 * (1 + np.abs(logits_test).max())):
        raise ModelError(
            f"{type(model).__name__}: its logits are not the output of its last nn.Linear, "
            "so the read-out cannot score an ablated representation"
        )
    mean, basis = class_span(class_centroids(model, X_train, y_train, n_classes, device))
    logits = {"full": through_readout}
    for keep in ABLATIONS:
        logits[keep] = ablate(z_test, mean, basis, keep) @ weight.T + bias
    out: dict[str, Any] = {"n_features": int(z_test.shape[1]), "span_dims": int(basis.shape[0])}
    for name, values in logits.items():
        pred = values.argmax(1)
        out[name] = {
            "balanced_accuracy": float(balanced_accuracy_score(y_test, pred)),
            "per_subject": {
                s: float(balanced_accuracy_score(y_test[subjects_test == s],
                                                 pred[subjects_test == s]))
                for s in dict.fromkeys(subjects_test.tolist())
            },
        }  # fmt: skip
    return out


def _subject_means(results: list[dict], name: str) -> dict[str, float]:
    subjects = results[0]["ablation"]["full"]["per_subject"]
    return {
        s: float(np.mean([r["ablation"][name]["per_subject"][s] for r in results]))
        for s in subjects
    }


def summarise_ablation(results: list[dict], alpha: float = 0.05) -> dict:
    """Loss of balanced accuracy under each ablation, per classifier and architecture."""
    from vaxis.offline.study.compare import paired_p

    classifiers = []
    for res in results:
        a = res["ablation"]
        row = {"arch": res["arch"], "seed": res["seed"], "n_features": a["n_features"],
               "span_dims": a["span_dims"], "full": a["full"]["balanced_accuracy"]}  # fmt: skip
        for name in ABLATIONS:
            row[name] = a[name]["balanced_accuracy"]
            row[f"loss_{name}"] = row["full"] - row[name]
        classifiers.append(row)
    per_arch, tests = {}, []
    for arch in dict.fromkeys(r["arch"] for r in results):
        runs = [r for r in results if r["arch"] == arch]
        rows = [c for c in classifiers if c["arch"] == arch]
        full = _subject_means(runs, "full")
        entry: dict[str, Any] = {
            "n_classifiers": len(runs),
            "full": float(np.mean([c["full"] for c in rows])),
        }
        for name in ABLATIONS:
            ablated = _subject_means(runs, name)
            diff = np.array([full[s] - ablated[s] for s in full])
            entry[name] = float(np.mean([c[name] for c in rows]))
            entry[f"loss_{name}"] = float(np.mean([c[f"loss_{name}"] for c in rows]))
            entry[f"loss_{name}_sd"] = float(np.std([c[f"loss_{name}"] for c in rows]))
            entry[f"p_{name}"] = paired_p(diff)
            tests.append((arch, name))
        per_arch[arch] = entry
    corrected = holm([per_arch[a][f"p_{n}"] for a, n in tests]) if tests else np.array([])
    for (arch, name), p in zip(tests, corrected, strict=True):
        entry = per_arch[arch]
        entry[f"p_{name}_holm"] = float(p)
        entry[f"verdict_{name}"] = (
            "n.s." if p >= alpha else "loses" if entry[f"loss_{name}"] > 0 else "gains"
        )
    overall: dict[str, Any] = {"n_classifiers": len(classifiers)}
    for name in ABLATIONS:
        losses = np.array([c[f"loss_{name}"] for c in classifiers])
        overall[f"loss_{name}"] = float(losses.mean()) if losses.size else None
        overall[f"p_{name}"] = paired_p(losses)
    return {
        "classifiers": classifiers,
        "architectures": per_arch,
        "overall": overall,
        "method": __doc__.split("\n\n", 1)[1].replace("\n", " ").strip(),
    }
