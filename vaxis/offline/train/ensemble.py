"""Combining members: what the residual ensemble is made of, fitted on a selection set.

Labels saturate the class direction: members trained on them agree on where a class lies
and differ in what is left, so an ensemble gains only where members err on different
windows. Everything here is fitted on the *selection* subjects -- training subjects that no
member learned from or early-stopped on -- and only members above an accuracy floor take
part: a weak, near-uniform member would otherwise look maximally "diverse".

Four combinations are compared (all take members' log-probabilities):

``stacking``
    A multinomial logistic meta-learner on the concatenated log-probabilities of the
    eligible members, regularised toward their equal-weight product of experts, its penalty
    chosen by subject-grouped cross-validation on the selection set.
``caruana``
    Selection with replacement on log-loss (Caruana et al., 2004): members are added one at
    a time, repeats allowed, to the average that most lowers the selection log-loss; the
    weights are how often each was added.
``greedy``
    Greedy forward selection for balanced accuracy plus error diversity (one minus the mean
    correlation of a candidate's errors with those of the members chosen), equal weights.
``mean``
    The plain average of every member (the naive baseline; no floor).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import get_args

import numpy as np
from scipy import stats
from sklearn.metrics import balanced_accuracy_score, log_loss

from vaxis.offline.choices import Method

METHODS: tuple[Method, ...] = get_args(Method)
#: Ship whichever of :data:`METHODS` does best on the validation subjects.
AUTO = "auto"


def _balanced_accuracy(y: np.ndarray, scores: np.ndarray) -> float:
    return float(balanced_accuracy_score(y, scores.argmax(1)))


def soft_errors(log_probs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """One minus the probability each window's true class receives."""
    return 1.0 - np.exp(log_probs[np.arange(y.size), y])


def error_correlation(member_log_probs: list[np.ndarray], y: np.ndarray) -> np.ndarray:
    """Pearson correlation (n_members, n_members) of members' soft errors across windows."""
    errors = np.stack([soft_errors(lp, y) for lp in member_log_probs])
    errors -= errors.mean(axis=1, keepdims=True)
    norms = np.maximum(np.linalg.norm(errors, axis=1), 1e-12)
    return (errors @ errors.T) / np.outer(norms, norms)


def eligible_members(scores: np.ndarray, chance: float, floor: float) -> np.ndarray:
    """Members whose selection balanced accuracy reaches ``chance + floor * (best - chance)``.

    The best member is always eligible, even when no member beats chance.
    """
    scores = np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=0.0)
    threshold = min(chance + floor * (scores.max() - chance), scores.max())
    return np.flatnonzero(scores >= threshold)


@dataclass
class Combination:
    """How member outputs become the ensemble's probabilities.

    Attributes
    ----------
    method : str
        One of :data:`METHODS`.
    members : list of int
        Indices of the members it reads, in order.
    weights : array, shape (len(members),)
        Weights of the members' probabilities (averaging methods); unused for stacking.
    coef : array, shape (n_classes, len(members) * n_classes) or None
        Stacking: the meta-learner's weights on the concatenated log-probabilities.
    intercept : array, shape (n_classes,) or None
    trace : list of dict
        How the selection went (per step), for the report.
    """

    method: str
    members: list[int]
    weights: np.ndarray
    coef: np.ndarray | None = None
    intercept: np.ndarray | None = None
    trace: list[dict] = field(default_factory=list)

    def predict_proba(self, member_log_probs: list[np.ndarray]) -> np.ndarray:
        """Ensemble probabilities from every member's log-probabilities (all members, in
        pool order; the combination picks its own)."""
        chosen = [member_log_probs[i] for i in self.members]
        if self.method == "stacking":
            assert self.coef is not None and self.intercept is not None  # fit_stacking sets them
            return _meta_proba(np.concatenate(chosen, axis=1), self.coef, self.intercept)
        return np.einsum("m,mnc->nc", self.weights, np.exp(np.stack(chosen)))

    def describe(self) -> dict:
        out = {"method": self.method, "members": self.members,
               "weights": np.round(self.weights, 4).tolist(), "trace": self.trace}  # fmt: skip
        if self.coef is not None:
            out["meta_learner_penalty"] = self.trace[-1].get("penalty") if self.trace else None
        return out


def greedy_select(
    member_log_probs: list[np.ndarray],
    y: np.ndarray,
    candidates: Iterable[int],
    max_members: int,
    diversity_weight: float = 0.05,
    min_members: int = 1,
) -> Combination:
    """Greedy forward selection among ``candidates`` for accuracy plus error diversity.

    Starts from the most accurate candidate. Each step scores every remaining candidate by
    the balanced accuracy of the mean probabilities with it added, plus ``diversity_weight``
    times one minus the mean correlation of its errors with the chosen members' errors, and
    adds the best-scoring one while the ensemble's accuracy does not fall (or, regardless,
    until ``min_members`` are chosen).
    """
    candidates = [int(c) for c in candidates]
    probs = {c: np.exp(member_log_probs[c]) for c in candidates}
    single = {c: _balanced_accuracy(y, probs[c]) for c in candidates}
    corr = error_correlation([member_log_probs[c] for c in candidates], y)
    where = {c: i for i, c in enumerate(candidates)}
    selected = [max(candidates, key=single.__getitem__)]
    current = single[selected[0]]
    trace = [{"member": selected[0], "balanced_accuracy": current, "diversity": None}]
    while len(selected) < max_members:
        best = None
        for c in sorted(set(candidates) - set(selected)):
            accuracy = _balanced_accuracy(y, np.mean([probs[i] for i in [*selected, c]], 0))
            diversity = 1.0 - float(np.mean([corr[where[c], where[s]] for s in selected]))
            score = accuracy + diversity_weight * diversity
            if best is None or score > best[0]:
                best = (score, c, accuracy, diversity)
        if best is None or (best[2] < current and len(selected) >= min_members):
            break
        _, c, current, diversity = best
        selected.append(c)
        trace.append({"member": c, "balanced_accuracy": current, "diversity": diversity})
    weights = np.full(len(selected), 1.0 / len(selected))
    return Combination("greedy", selected, weights, trace=trace)


def caruana_select(
    member_log_probs: list[np.ndarray],
    y: np.ndarray,
    candidates: Iterable[int],
    rounds: int = 25,
) -> Combination:
    """Selection with replacement on log-loss among ``candidates``; the best round is kept."""
    candidates = [int(c) for c in candidates]
    probs = np.stack([np.exp(member_log_probs[c]) for c in candidates])
    probs /= probs.sum(axis=2, keepdims=True)  # undo the floor log-probabilities carry
    labels = np.arange(probs.shape[2])
    counts = np.zeros(len(candidates))
    total = np.zeros(probs.shape[1:])
    best_loss, best_counts, trace = np.inf, None, []
    for step in range(rounds):
        losses = [log_loss(y, (total + p) / (step + 1), labels=labels) for p in probs]
        pick = int(np.argmin(losses))
        counts[pick] += 1
        total += probs[pick]
        trace.append({"member": candidates[pick], "log_loss": float(losses[pick])})
        if losses[pick] < best_loss - 1e-9:
            best_loss, best_counts = losses[pick], counts.copy()
    assert best_counts is not None  # the first round always improves on an infinite loss
    keep = np.flatnonzero(best_counts)
    weights = best_counts[keep] / best_counts.sum()
    return Combination("caruana", [candidates[i] for i in keep], weights, trace=trace)


def _fit_meta(X: np.ndarray, y: np.ndarray, n_members: int, n_classes: int,
              penalty: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Weights (n_classes, n_members * n_classes) and intercept of the meta-learner.

    Minimises the class-balanced cross-entropy of ``softmax(X @ W.T + b)`` plus
    ``penalty * ||W - W0||**2``, where ``W0`` is the product of experts with equal weights
    (each member's log-probabilities times ``1 / n_members``): a strong penalty gives that
    log-linear average, a weak one a free multinomial logistic regression.
    """
    from scipy.optimize import minimize

    W0 = np.tile(np.eye(n_classes) / n_members, (1, n_members))
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    weight = (counts.sum() / np.maximum(counts, 1) / n_classes)[y]
    weight /= weight.sum()
    onehot = np.eye(n_classes)[y]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        W = theta[:-n_classes].reshape(W0.shape)
        logits = X @ W.T + theta[-n_classes:]
        logits -= logits.max(axis=1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        delta = W - W0
        value = -(weight * (onehot * log_p).sum(axis=1)).sum() + penalty * (delta**2).sum()
        g = (np.exp(log_p) - onehot) * weight[:, None]
        grad_W = g.T @ X + 2 * penalty * delta
        return float(value), np.concatenate([grad_W.ravel(), g.sum(axis=0)])

    theta0 = np.concatenate([W0.ravel(), np.zeros(n_classes)])
    theta = minimize(loss, theta0, jac=True, method="L-BFGS-B",
                     options={"maxiter": 500}).x  # fmt: skip
    return theta[:-n_classes].reshape(W0.shape), theta[-n_classes:]


def _meta_proba(X: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
    logits = X @ coef.T + intercept
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def fit_stacking(
    member_log_probs: list[np.ndarray],
    y: np.ndarray,
    groups: np.ndarray,
    candidates: Iterable[int],
    n_classes: int,
    penalties: tuple[float, ...] = (1e-4, 1e-3, 1e-2, 0.1, 1.0),
) -> Combination:
    """Multinomial logistic meta-learner on the candidates' concatenated log-probabilities.

    It is regularised toward the equal-weight product of experts (see :func:`_fit_meta`);
    the penalty is chosen by subject-grouped cross-validation (log-loss) on the selection
    windows when they hold at least three subjects (else the strongest is used), then the
    meta-learner is refitted on all of them.
    """
    from sklearn.model_selection import GroupKFold

    candidates = [int(c) for c in candidates]
    X = np.concatenate([member_log_probs[c] for c in candidates], axis=1)
    n_members, labels = len(candidates), np.arange(n_classes)
    n_groups = np.unique(groups).size
    trace = []
    if n_groups >= 3:
        folds = list(GroupKFold(n_splits=min(5, n_groups)).split(X, y, groups))
        for penalty in penalties:
            loss = []
            for fit_idx, held in folds:
                coef, intercept = _fit_meta(X[fit_idx], y[fit_idx], n_members, n_classes, penalty)
                proba = _meta_proba(X[held], coef, intercept)
                loss.append(log_loss(y[held], proba, labels=labels))
            trace.append({"penalty": penalty, "cv_log_loss": float(np.mean(loss))})
        chosen = min(trace, key=lambda row: row["cv_log_loss"])["penalty"]
    else:
        chosen = max(penalties)
    coef, intercept = _fit_meta(X, y, n_members, n_classes, chosen)
    trace.append({"penalty": chosen})
    weights = np.full(n_members, 1.0 / n_members)
    return Combination("stacking", candidates, weights, coef, intercept, trace)


def mean_combination(n_members: int) -> Combination:
    """Every member, equal weights."""
    return Combination("mean", list(range(n_members)), np.full(n_members, 1.0 / n_members))


def paired_wilcoxon(a: dict[str, float], b: dict[str, float]) -> dict:
    """Two-sided paired Wilcoxon signed-rank test of per-subject figures ``a`` vs ``b``."""
    keys = sorted(set(a) & set(b))
    diff = np.array([a[k] - b[k] for k in keys])
    out = {
        "n_subjects": len(keys),
        "median_difference": float(np.median(diff)) if keys else None,
        "mean_difference": float(np.mean(diff)) if keys else None,
    }
    if len(keys) < 2 or not np.any(diff):
        return {**out, "statistic": None, "p_value": None}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns that exact p-values need more subjects
        res = stats.wilcoxon(diff)
    return {**out, "statistic": float(res.statistic), "p_value": float(res.pvalue)}
