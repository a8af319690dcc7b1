"""Mapping: one linear projection of EEG features tracks the V-axis position of each clip.

A ridge regression from band features to the V-axis position of the window's category is
fitted on the training subjects, its penalty chosen on the validation subjects, and
evaluated on held-out test subjects: each window is projected,
the projections are averaged per subject x clip, and Pearson's r between those averages
and the clips' true positions is the figure (``mapping.r``). Windows, split and
normalisation are the protocol's (:mod:`vaxis.offline.study.data`): by default ``causal``,
what live decoding can know; a figure under ``subject`` normalisation says it is
transductive.

The permutation null permutes the positions among the categories and refits everything,
penalty selection included. Ridge is linear in its targets, so with targets
``positions[label]`` every fitted prediction is ``M @ positions`` for one matrix ``M``
per penalty; a permutation is then a matrix product and thousands of exact refits cost
less than the first fit.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from vaxis.offline.splits import Split
from vaxis.offline.study.data import StudyData

#: Ridge penalties, as multiples of the number of training windows (features are z-scored).
ALPHA_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)


def _group_matrix(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Averaging matrix (n_groups, n) over equal rows of ``keys`` and the unique keys."""
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    group = np.zeros((uniq.shape[0], keys.shape[0]))
    group[inverse, np.arange(keys.shape[0])] = 1.0
    return group / group.sum(axis=1, keepdims=True), uniq


def _columnwise_pearson(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=0)
    b = b - b.mean(axis=0)
    denom = np.sqrt((a * a).sum(axis=0) * (b * b).sum(axis=0))
    return (a * b).sum(axis=0) / np.where(denom > 0, denom, np.inf)


class LinearMapping:
    """Ridge from windows' features to their category's position, linear in the positions.

    Parameters
    ----------
    alphas : sequence of float
        Penalties as multiples of the number of training windows.

    Attributes
    ----------
    operators_ : list of array, shape (n_features, n_classes)
        Per penalty: ``coef = operators_[i] @ positions``.
    mean_ : array, shape (n_features,)
    class_freq_ : array, shape (n_classes,)
    """

    def __init__(self, alphas=ALPHA_GRID):
        self.alphas = alphas

    def fit(self, X: np.ndarray, y: np.ndarray, n_classes: int) -> LinearMapping:
        X = X.reshape(len(X), -1).astype(np.float64)
        onehot = np.eye(n_classes)[y]
        self.mean_ = X.mean(axis=0)
        self.class_freq_ = onehot.mean(axis=0)
        Xc = X - self.mean_
        gram, cross = Xc.T @ Xc, Xc.T @ (onehot - self.class_freq_)
        eye = np.eye(gram.shape[0])
        self.operators_ = [np.linalg.solve(gram + a * len(X) * eye, cross) for a in self.alphas]
        return self

    def prediction_operators(self, X: np.ndarray) -> list[np.ndarray]:
        """Per penalty, ``M`` (n_windows, n_classes) with predictions ``M @ positions``."""
        Xc = X.reshape(len(X), -1).astype(np.float64) - self.mean_
        return [Xc @ op + self.class_freq_ for op in self.operators_]


def run_mapping(
    data: StudyData,
    positions: np.ndarray,
    split: Split,
    n_permutations: int = 1000,
    seed: int = 0,
) -> dict:
    """Fit the projection on ``split.train``, select on ``split.val``, score on ``split.test``.

    Parameters
    ----------
    data : StudyData
    positions : array, shape (n_classes,)
        V-axis position of each class, in class order.
    split : Split
    n_permutations : int
        Permutations of the positions among categories for the p-value.
    seed : int

    Returns
    -------
    dict
        ``r``, ``p_value``, ``alpha``, per-clip and per-category averages, the null.
    """
    positions = np.asarray(positions, dtype=np.float64)
    train, val, test = (data.mask(ids) for ids in (split.train, split.val, split.test))
    model = LinearMapping().fit(data.X[train], data.y[train], positions.size)
    val_ops, val_labels, _ = _grouped(data, model, val)
    test_ops, test_labels, test_keys = _grouped(data, model, test)
    best, val_r, test_r = _select_and_score(val_ops, val_labels, test_ops, test_labels,
                                            positions, n_permutations, seed)  # fmt: skip
    r_obs, null = float(test_r[0]), test_r[1:]
    projection = test_ops[best[0]] @ positions
    clips = test_keys[:, 1].astype(int)
    per_clip, per_category = _averages(data.classes, positions, projection, clips, test_labels)
    cat_pos = [v["position"] for v in per_category.values()]
    cat_proj = [v["projection_mean"] for v in per_category.values()]
    return {
        "r": r_obs,
        "p_value": float((1 + np.sum(null >= r_obs)) / (1 + null.size)),
        "n_permutations": int(null.size),
        "permutation": "V-axis positions permuted among categories; ridge refitted, "
        "penalty reselected on validation subjects, for each permutation",
        "null_mean": float(null.mean()) if null.size else None,
        "null_q95": float(np.quantile(null, 0.95)) if null.size else None,
        "alpha": float(model.alphas[best[0]]),
        "val_r": float(val_r[best[0], 0]),
        "n_points": int(projection.size),
        "n_test_subjects": len(split.test),
        "category_spearman": float(stats.spearmanr(cat_pos, cat_proj).statistic),
        "per_clip": per_clip,
        "per_category": per_category,
        "points": _points(test_keys[:, 0], clips, positions[test_labels], projection),
        "normalisation": data.normalisation,
        "transductive": data.transductive,
        "method": f"ridge on per-window band features (DE; {data.window}; "
        f"{data.normalisation} normalisation), fitted per window on training subjects; "
        "projections averaged per held-out subject x clip",
    }


def _points(
    subjects: np.ndarray, clips: np.ndarray, positions: np.ndarray, projection: np.ndarray
) -> dict[str, list]:
    """Each held-out subject x clip: its position and its mean projection."""
    return {
        "subject": subjects.tolist(),
        "clip": clips.tolist(),
        "position": positions.tolist(),
        "projection": projection.tolist(),
    }


def _grouped(
    data: StudyData, model: LinearMapping, mask: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """The prediction operators, labels and (subject, clip) keys of the windows in ``mask``,
    averaged per subject x clip."""
    keys = np.stack([data.subjects[mask], data.clips[mask].astype(str)], axis=1)
    group, uniq = _group_matrix(keys)
    labels = group @ data.y[mask]
    ops = [group @ m for m in model.prediction_operators(data.X[mask])]
    return ops, np.rint(labels).astype(int), uniq


def _select_and_score(
    val_ops: list[np.ndarray],
    val_labels: np.ndarray,
    test_ops: list[np.ndarray],
    test_labels: np.ndarray,
    positions: np.ndarray,
    n_permutations: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the positions (column 0) and each permutation of them: the penalty chosen on
    validation, the validation r of every penalty and the test r of the chosen one."""
    rng = np.random.default_rng(seed)
    perms = np.stack([positions] + [rng.permutation(positions) for _ in range(n_permutations)], 1)
    val_r = np.stack([_columnwise_pearson(op @ perms, perms[val_labels]) for op in val_ops])
    best = np.nan_to_num(val_r, nan=-np.inf).argmax(axis=0)
    test_r_all = np.stack([_columnwise_pearson(op @ perms, perms[test_labels]) for op in test_ops])
    return best, val_r, test_r_all[best, np.arange(perms.shape[1])]


def _averages(
    classes: list[str],
    positions: np.ndarray,
    projection: np.ndarray,
    clips: np.ndarray,
    labels: np.ndarray,
) -> tuple[list[dict], dict[str, dict]]:
    """The projection's mean (and spread) per held-out clip and per category."""
    per_clip = []
    for clip in np.unique(clips):
        sel = clips == clip
        label = int(labels[sel][0])
        per_clip.append(
            {
                "clip": int(clip),
                "category": classes[label],
                "position": float(positions[label]),
                "projection_mean": float(projection[sel].mean()),
                "projection_sd": float(projection[sel].std()),
            }
        )
    per_category = {
        classes[k]: {
            "position": float(positions[k]),
            "projection_mean": float(projection[labels == k].mean()),
        }
        for k in np.unique(labels)
    }
    return per_clip, per_category
