"""The residual ensemble: members chosen for accuracy plus within-class residual diversity.

Labels saturate the class direction: members trained on them agree on which class a window
belongs to on average, and differ in the within-class residual -- how a window's
probabilities deviate from its class's mean. Averaging helps where those residuals are
uncorrelated, so members are chosen greedily, on validation subjects, for ensemble accuracy
plus residual diversity, and aggregated by their mean probabilities.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats
from sklearn.metrics import balanced_accuracy_score


def within_class_residuals(probs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each window's probabilities minus the mean probabilities of its true class.

    Parameters
    ----------
    probs : array, shape (n_windows, n_classes)
    y : int array, shape (n_windows,)
    """
    means = np.zeros((probs.shape[1], probs.shape[1]))
    for c in np.unique(y):
        means[c] = probs[y == c].mean(axis=0)
    return probs - means[y]


def residual_correlation(member_probs: list[np.ndarray], y: np.ndarray) -> np.ndarray:
    """Pearson correlation (n_members, n_members) of members' within-class residuals."""
    flat = np.stack([within_class_residuals(p, y).ravel() for p in member_probs])
    flat -= flat.mean(axis=1, keepdims=True)
    norms = np.maximum(np.linalg.norm(flat, axis=1), 1e-12)
    return (flat @ flat.T) / np.outer(norms, norms)


def _balanced_accuracy(y: np.ndarray, probs: np.ndarray) -> float:
    return float(balanced_accuracy_score(y, probs.argmax(1)))


def greedy_select(
    member_probs: list[np.ndarray],
    y: np.ndarray,
    max_members: int,
    diversity_weight: float = 0.05,
    min_members: int = 1,
) -> tuple[list[int], list[dict]]:
    """Choose members on validation windows for accuracy plus residual diversity.

    Starts from the most accurate member. Each step scores every remaining member by the
    balanced accuracy of the mean probabilities with it added, plus ``diversity_weight``
    times its diversity (one minus its mean residual correlation with those chosen), and
    adds the best-scoring one as long as the ensemble's validation accuracy does not fall
    (or, regardless, until ``min_members`` are chosen).

    Returns
    -------
    selected : list of int
        Indices into ``member_probs``, in the order chosen.
    trace : list of dict
        One row per step: member, validation balanced accuracy, diversity.
    """
    if not member_probs:
        raise ValueError("no members to select from")
    single = [_balanced_accuracy(y, p) for p in member_probs]
    corr = residual_correlation(member_probs, y)
    selected = [int(np.argmax(single))]
    current = single[selected[0]]
    trace = [{"member": selected[0], "val_balanced_accuracy": current, "diversity": None}]
    while len(selected) < max_members:
        best = None
        for c in sorted(set(range(len(member_probs))) - set(selected)):
            probs = np.mean([member_probs[i] for i in [*selected, c]], axis=0)
            accuracy = _balanced_accuracy(y, probs)
            diversity = 1.0 - float(corr[c, selected].mean())
            score = accuracy + diversity_weight * diversity
            if best is None or score > best[0]:
                best = (score, c, accuracy, diversity)
        if best is None or (best[2] < current and len(selected) >= min_members):
            break
        _, c, current, diversity = best
        selected.append(c)
        trace.append({"member": c, "val_balanced_accuracy": current, "diversity": diversity})
    return selected, trace


def paired_wilcoxon(a: dict[str, float], b: dict[str, float]) -> dict:
    """Two-sided paired Wilcoxon signed-rank test of per-subject figures ``a`` vs ``b``."""
    keys = sorted(set(a) & set(b))
    diff = np.array([a[k] - b[k] for k in keys])
    out = {"n_subjects": len(keys), "median_difference": float(np.median(diff)) if keys else None}
    if len(keys) < 2 or not np.any(diff):
        return {**out, "statistic": None, "p_value": None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns that exact p-values need more subjects
        res = stats.wilcoxon(diff)
    return {**out, "statistic": float(res.statistic), "p_value": float(res.pvalue)}
