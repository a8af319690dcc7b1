"""Test-subject figures of a training run, pooled over its folds."""

from __future__ import annotations

import numpy as np

from vaxis.offline.metrics import classification_metrics, per_subject_balanced_accuracy
from vaxis.offline.train.ensemble import paired_wilcoxon
from vaxis.offline.train.fold import FoldResult
from vaxis.offline.train.valence import pearson

#: The three decoders compared on test subjects, by the key of their probabilities.
DECODERS = {
    "best_member": "probs_best",
    "naive_average": "probs_naive",
    "residual_ensemble": "probs_ensemble",
}


def pooled_test(folds: list[FoldResult]) -> dict[str, np.ndarray]:
    """Every fold's test arrays concatenated (each test subject appears in one fold)."""
    return {k: np.concatenate([f.test[k] for f in folds]) for k in folds[0].test}


def evaluate(folds: list[FoldResult], classes: list[str]) -> dict:
    """Balanced accuracy, kappa and weighted F1 of the best single member (chosen on
    validation), the naive average of all members and the residual ensemble; paired
    per-subject Wilcoxon tests; and the valence read-outs' test correlations."""
    test = pooled_test(folds)
    y, subjects = test["y"], test["subjects"]
    out: dict = {"n_test_windows": int(y.size), "n_test_subjects": int(np.unique(subjects).size)}
    per_subject = {}
    for name, key in DECODERS.items():
        pred = test[key].argmax(1)
        per_subject[name] = per_subject_balanced_accuracy(y, pred, subjects)
        out[name] = {**classification_metrics(y, pred), "per_subject": per_subject[name]}
    out["wilcoxon"] = {
        "ensemble_vs_best_member": paired_wilcoxon(
            per_subject["residual_ensemble"], per_subject["best_member"]
        ),
        "ensemble_vs_naive_average": paired_wilcoxon(
            per_subject["residual_ensemble"], per_subject["naive_average"]
        ),
    }
    out["valence"] = {
        "test_r_ridge": pearson(test["valence_ridge"], test["target"]),
        "test_r_expectation": pearson(test["valence_expectation"], test["target"]),
        "val_r": [f.val_r for f in folds],
        "source": [f.valence_source for f in folds],
        "ridge_alpha": [f.ridge_info["alpha"] for f in folds],
    }
    out["chance_balanced_accuracy"] = 1.0 / len(classes)
    out["folds"] = [
        {
            "train": f.split.train, "val": f.split.val, "test": f.split.test,
            "members": f.members, "selected": f.selected, "selection": f.trace,
            "mean_residual_correlation": float(
                f.residual_correlation[np.triu_indices(len(f.members), 1)].mean()
            ),
            "residual_correlation": f.residual_correlation.round(4).tolist(),
        }
        for f in folds
    ]  # fmt: skip
    return out
