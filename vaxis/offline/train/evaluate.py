"""Test-subject figures of a training run, pooled over its folds."""

from __future__ import annotations

import numpy as np

from vaxis.offline.metrics import classification_metrics, per_subject_balanced_accuracy
from vaxis.offline.train.ensemble import paired_wilcoxon
from vaxis.offline.train.fold import FoldResult
from vaxis.offline.train.valence import pearson

#: The decoders compared on test subjects, by the key of their probabilities: the best
#: single member (chosen on the selection subjects), the naive average of every member,
#: each combination method, and the one the bundle ships (``residual_ensemble``).
DECODERS = {
    "best_member": "probs_best",
    "naive_average": "probs_mean",
    "stacking": "probs_stacking",
    "caruana": "probs_caruana",
    "greedy": "probs_greedy",
    "residual_ensemble": "probs_ensemble",
}


def pooled_test(folds: list[FoldResult]) -> dict[str, np.ndarray]:
    """Every fold's test arrays concatenated (each test subject appears in one fold)."""
    return {k: np.concatenate([f.test[k] for f in folds]) for k in folds[0].test}


def evaluate(folds: list[FoldResult], classes: list[str]) -> dict:
    """Balanced accuracy, kappa and weighted F1 of every decoder of :data:`DECODERS`; paired
    per-subject Wilcoxon tests of each combination against the best member (and of the
    shipped one against the naive average); and the valence read-outs' test correlations."""
    test = pooled_test(folds)
    y, subjects = test["y"], test["subjects"]
    out: dict = {"n_test_windows": int(y.size), "n_test_subjects": int(np.unique(subjects).size)}
    per_subject = {}
    for name, key in DECODERS.items():
        pred = test[key].argmax(1)
        per_subject[name] = per_subject_balanced_accuracy(y, pred, subjects)
        out[name] = {**classification_metrics(y, pred), "per_subject": per_subject[name]}
    if "probs_ensemble_transductive" in test:
        out["transductive"] = {
            "note": "TRANSDUCTIVE: each test subject normalised with statistics of its whole "
            "recording, which a live decoder cannot know; not the headline figure",
            **{name: classification_metrics(y, test[f"{key}_transductive"].argmax(1))
               for name, key in DECODERS.items()},
        }  # fmt: skip
    out["wilcoxon"] = {
        f"{name}_vs_best_member": paired_wilcoxon(per_subject[name], per_subject["best_member"])
        for name in ("stacking", "caruana", "greedy", "naive_average")
    }
    out["wilcoxon"]["ensemble_vs_best_member"] = paired_wilcoxon(
        per_subject["residual_ensemble"], per_subject["best_member"]
    )
    out["wilcoxon"]["ensemble_vs_naive_average"] = paired_wilcoxon(
        per_subject["residual_ensemble"], per_subject["naive_average"]
    )
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
            "train": f.split.train, "selection": f.selection, "val": f.split.val,
            "test": f.split.test, "members": f.members, "eligible": f.eligible,
            "best_member": f.best, "shipped": f.shipped,
            "combination_val_balanced_accuracy": f.combination_val,
            "combinations": {k: c.describe() for k, c in f.combinations.items()},
            "error_correlation": f.error_correlation.round(4).tolist(),
        }
        for f in folds
    ]  # fmt: skip
    return out


def summarise_seeds(runs: list[dict], seeds: list[int]) -> dict:
    """Mean and standard deviation over training seeds of every decoder's test figures, and
    paired Wilcoxon tests over subjects of the seed-averaged per-subject figures."""
    out: dict = {"seeds": seeds, "n": len(runs)}
    mean_per_subject = {}
    for name in DECODERS:
        values = {k: [r[name][k] for r in runs] for k in ("balanced_accuracy", "kappa",
                                                          "weighted_f1")}  # fmt: skip
        out[name] = {
            k: {"mean": float(np.mean(v)), "sd": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0,
                "values": v}
            for k, v in values.items()
        }  # fmt: skip
        subjects = runs[0][name]["per_subject"]
        mean_per_subject[name] = {
            s: float(np.mean([r[name]["per_subject"][s] for r in runs])) for s in subjects
        }
    out["wilcoxon"] = {
        f"{name}_vs_best_member": paired_wilcoxon(
            mean_per_subject[name], mean_per_subject["best_member"]
        )
        for name in ("residual_ensemble", "stacking", "caruana", "greedy", "naive_average")
    }
    out["per_subject"] = mean_per_subject
    return out
