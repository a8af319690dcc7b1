"""How well class centroids of a representation follow the V-axis, and the null for it.

Three figures, none of which can be circular:

- ``loco_spearman``: leave-one-category-out. For each category, a ridge regression from
  the other eight centroids to their positions predicts the left-out category's position;
  Spearman's rho between predicted and true positions of all nine. Each prediction comes
  from a fit that never saw that category's position.
- ``pc1_spearman``: the first principal axis of the centroids, found without positions;
  ``|rho|`` between the centroids' projections on it and the positions. Orientation of a
  principal axis is arbitrary, so the rule is: take the absolute value (the null does too).
- ``pc1_cosine``: ``|cos|`` between that principal axis and the centroid valence direction
  ``sum_k (p_k - mean p) (c_k - mean c)``, the direction the positions pick in the space.

The null shuffles the positions among categories and recomputes each figure; the p-value
is ``(1 + #null >= observed) / (1 + n_null)``.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def valence_direction(centroids: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Unit direction ``sum_k (p_k - mean p)(c_k - mean c)`` in the centroids' space."""
    v = (centroids - centroids.mean(0)).T @ (positions - positions.mean())
    return v / max(np.linalg.norm(v), 1e-12)


def loco_operator(centroids: np.ndarray, alpha: float = 0.1) -> np.ndarray:
    """``H`` (n, n) with leave-one-out ridge predictions ``H @ positions``, zero diagonal.

    ``alpha`` is relative to the mean squared norm of the centred centroids.
    """
    n = centroids.shape[0]
    H = np.zeros((n, n))
    for k in range(n):
        rest = np.delete(np.arange(n), k)
        mean = centroids[rest].mean(0)
        Xc = centroids[rest] - mean
        gram = Xc @ Xc.T
        ridge = alpha * max(np.trace(gram) / len(rest), 1e-12)
        h = (centroids[k] - mean) @ Xc.T @ np.linalg.inv(gram + ridge * np.eye(len(rest)))
        H[k, rest] = h + (1 - h.sum()) / len(rest)
    return H


def _rank_rows(a: np.ndarray) -> np.ndarray:
    return stats.rankdata(a, axis=-1)


def _spearman_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman's rho between matching rows of ``a`` and ``b``."""
    ra, rb = _rank_rows(a), _rank_rows(b)
    ra, rb = ra - ra.mean(-1, keepdims=True), rb - rb.mean(-1, keepdims=True)
    denom = np.sqrt((ra * ra).sum(-1) * (rb * rb).sum(-1))
    return (ra * rb).sum(-1) / np.where(denom > 0, denom, np.inf)


def axis_agreement(
    centroids: np.ndarray, positions: np.ndarray, n_null: int = 1000, seed: int = 0
) -> dict:
    """Agreement of class ``centroids`` (n_classes, n_dims) with the V-axis ``positions``."""
    positions = np.asarray(positions, dtype=np.float64)
    centroids = np.asarray(centroids, dtype=np.float64)
    rng = np.random.default_rng(seed)
    perms = np.stack([positions] + [rng.permutation(positions) for _ in range(n_null)])
    loco = _spearman_rows(perms @ loco_operator(centroids).T, perms)
    centred = centroids - centroids.mean(0)
    pc1 = np.linalg.svd(centred, full_matrices=False)[2][0]
    scores = centred @ pc1
    pc1_rho = np.abs(_spearman_rows(np.broadcast_to(scores, perms.shape), perms))
    directions = (perms - perms.mean(1, keepdims=True)) @ centred
    directions /= np.maximum(np.linalg.norm(directions, axis=1, keepdims=True), 1e-12)
    cosine = np.abs(directions @ pc1)
    out = {}
    figures = {"loco_spearman": loco, "pc1_spearman": pc1_rho, "pc1_cosine": cosine}
    for name, values in figures.items():
        observed, null = float(values[0]), values[1:]
        out[name] = observed
        out[f"{name}_p"] = float((1 + np.sum(null >= observed)) / (1 + null.size))
        out[f"{name}_null"] = null
    return out
