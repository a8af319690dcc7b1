"""Rediscovery: classifiers trained on labels only carry the V-axis direction.

A grid of label-only classifiers (architectures x seeds) is trained -- every one learns a
representation before its linear read-out, and they read different inputs (band features,
covariance tangent vectors, raw windows); from each, the
penultimate features of the held-out test subjects give nine class centroids, whose
agreement with the V-axis is measured by :func:`vaxis.offline.study.geometry.axis_agreement`
(leave-one-category-out Spearman, first principal axis |Spearman| and |cosine|, each
against shuffled category positions). Every classifier's null uses the same permutations,
so averaging them over classifiers gives the null of the grid's mean agreement.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vaxis.offline.study.geometry import axis_agreement

FIGURES = ("loco_spearman", "pc1_spearman", "pc1_cosine")


def rediscovery_tasks(architectures: list[str], seeds: list[int]) -> list[dict]:
    """One label-only task per architecture and seed."""
    return [
        {"arch": a, "seed": s, "strategy": None, "weight": 0.0}
        for a in architectures
        for s in seeds
    ]


def summarise_rediscovery(
    results: list[dict], positions: np.ndarray, n_null: int = 1000, seed: int = 0
) -> dict:
    """Agreement of each classifier with the V-axis, and its distribution over the grid."""
    classifiers: list[dict[str, Any]] = []
    nulls: dict[str, list[np.ndarray]] = {f: [] for f in FIGURES}
    for res in results:
        agreement = axis_agreement(res["centroids"], positions, n_null=n_null, seed=seed)
        row = {"arch": res["arch"], "seed": res["seed"]}
        row["balanced_accuracy"] = res["balanced_accuracy"]
        for f in FIGURES:
            row[f] = agreement[f]
            row[f"{f}_p"] = agreement[f"{f}_p"]
            nulls[f].append(agreement[f"{f}_null"])
        classifiers.append(row)
    distribution = {}
    for f in FIGURES:
        values = np.array([row[f] for row in classifiers])
        null_of_mean = np.mean(nulls[f], axis=0)
        distribution[f] = {
            "mean": float(values.mean()),
            "median": float(np.median(values)),
            "min": float(values.min()),
            "max": float(values.max()),
            "share_significant": float(np.mean([row[f"{f}_p"] < 0.05 for row in classifiers])),
            "null_median": float(np.median(np.concatenate(nulls[f]))) if n_null else None,
            "null_q95": float(np.quantile(np.concatenate(nulls[f]), 0.95)) if n_null else None,
            "grid_mean_p": float((1 + np.sum(null_of_mean >= values.mean())) / (1 + n_null)),
        }
    architectures = {}
    for arch in dict.fromkeys(row["arch"] for row in classifiers):
        rows = [row for row in classifiers if row["arch"] == arch]
        architectures[arch] = {
            "n_classifiers": len(rows),
            "kind": next(r.get("kind") for r in results if r["arch"] == arch),
            "balanced_accuracy": float(np.mean([r["balanced_accuracy"] for r in rows])),
            **{f: float(np.mean([r[f] for r in rows])) for f in FIGURES},
            **{f"{f}_share_significant": float(np.mean([r[f"{f}_p"] < 0.05 for r in rows]))
               for f in FIGURES},
        }  # fmt: skip
    return {
        "n_classifiers": len(classifiers),
        "architectures": architectures,
        "n_null": n_null,
        "classifiers": classifiers,
        "distribution": distribution,
        "balanced_accuracy_mean": float(np.mean([r["balanced_accuracy"] for r in classifiers])),
        "method": "class centroids of penultimate features on held-out subjects; "
        "loco_spearman: leave-one-category-out ridge from centroids to positions; "
        "pc1_spearman: |Spearman| of projections on the centroids' first principal axis; "
        "pc1_cosine: |cos| of that axis with the position-weighted centroid direction; "
        "null: positions shuffled among categories (same permutations for every classifier)",
    }
