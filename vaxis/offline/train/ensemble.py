"""Combining members: what the residual ensemble is made of, fitted on a selection set.

Labels saturate the class direction: members trained on them agree on where a class lies
and differ in what is left, so an ensemble gains only where members err on different
windows. Everything here is fitted on the *selection* subjects -- training subjects that no
member learned from or early-stopped on -- and only members above an accuracy floor take
part: a weak, near-uniform member would otherwise look maximally "diverse".

Four combinations are compared (all take members' log-probabilities):

``stacking``
    A multinomial logistic meta-learner on the concatenated log-probabilities of the
    eligible members (scikit-learn), its penalty chosen by subject-grouped cross-validation
    on the selection set.
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
from dataclasses import dataclass, field

import numpy as np
from scipy import stats
from sklearn.metrics import balanced_accuracy_score, log_loss

METHODS = ("stacking", "caruana", "greedy", "mean")


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

    The best member is always eligible.
    """
    scores = np.asarray(scores, dtype=np.float64)
    threshold = chance + floor * (scores.max() - chance)
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
            logits = np.concatenate(chosen, axis=1) @ self.coef.T + self.intercept
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            return p / p.sum(axis=1, keepdims=True)
        return np.einsum("m,mnc->nc", self.weights, np.exp(np.stack(chosen)))

    def describe(self) -> dict:
        out = {"method": self.method, "members": self.members,
               "weights": np.round(self.weights, 4).tolist(), "trace": self.trace}  # fmt: skip
        if self.coef is not None:
            out["meta_learner_C"] = self.trace[-1].get("C") if self.trace else None
        return out


def greedy_select(
    member_log_probs: list[np.ndarray],
    y: np.ndarray,
    candidates: np.ndarray,
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
    selected = [max(candidates, key=single.get)]
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
    candidates: np.ndarray,
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
    keep = np.flatnonzero(best_counts)
    weights = best_counts[keep] / best_counts.sum()
    return Combination("caruana", [candidates[i] for i in keep], weights, trace=trace)


def fit_stacking(
    member_log_probs: list[np.ndarray],
    y: np.ndarray,
    groups: np.ndarray,
    candidates: np.ndarray,
    n_classes: int,
    Cs: tuple[float, ...] = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0),
    seed: int = 0,
) -> Combination:
    """Multinomial logistic meta-learner on the candidates' concatenated log-probabilities.

    The inverse penalty ``C`` is chosen by subject-grouped cross-validation (log-loss), then
    the meta-learner is refitted on the whole selection set. Classes are weighted to balance.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    candidates = [int(c) for c in candidates]
    X = np.concatenate([member_log_probs[c] for c in candidates], axis=1)
    n_groups = np.unique(groups).size
    trace = []

    def model(C: float):
        return LogisticRegression(C=C, class_weight="balanced", max_iter=2000,
                                  random_state=seed)  # fmt: skip

    if n_groups >= 3:
        folds = list(GroupKFold(n_splits=min(5, n_groups)).split(X, y, groups))
        for C in Cs:
            loss = []
            for fit_idx, held in folds:
                proba = _full_proba(model(C).fit(X[fit_idx], y[fit_idx]), X[held], n_classes)
                loss.append(log_loss(y[held], proba, labels=np.arange(n_classes)))
            trace.append({"C": C, "cv_log_loss": float(np.mean(loss))})
        chosen = min(trace, key=lambda row: row["cv_log_loss"])["C"]
    else:
        chosen = Cs[len(Cs) // 2]
    meta = model(chosen).fit(X, y)
    coef = np.zeros((n_classes, X.shape[1]))
    intercept = np.full(n_classes, -1e3)  # a class absent from the selection set: never
    if len(meta.classes_) == 2:  # one logistic row as two softmax rows
        w, b = meta.coef_[0] / 2, meta.intercept_[0] / 2
        coef[meta.classes_], intercept[meta.classes_] = np.stack([-w, w]), np.array([-b, b])
    else:
        coef[meta.classes_], intercept[meta.classes_] = meta.coef_, meta.intercept_
    trace.append({"C": chosen})
    weights = np.full(len(candidates), 1.0 / len(candidates))
    return Combination("stacking", candidates, weights, coef, intercept, trace)


def _full_proba(meta, X: np.ndarray, n_classes: int) -> np.ndarray:
    proba = np.full((len(X), n_classes), 1e-9)
    proba[:, meta.classes_] = meta.predict_proba(X)
    return proba / proba.sum(axis=1, keepdims=True)


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
