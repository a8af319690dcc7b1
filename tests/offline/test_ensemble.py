"""Combining members: the accuracy floor, error diversity, stacking, Caruana, greedy."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, log_loss

from vaxis.offline.train.ensemble import (
    Combination,
    caruana_select,
    eligible_members,
    error_correlation,
    fit_stacking,
    greedy_select,
    mean_combination,
    paired_wilcoxon,
)
from vaxis.offline.train.fold import choose_combination

N_CLASSES = 4


def _log_probs(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


def _complementary(rng: np.random.Generator, n_per_class: int = 200):
    """Two members that each see half of the classes, a copy of one, and a weak member.

    Member A separates classes 0/1 from each other (and guesses among 2/3); member B the
    other way round; both know which pair a window belongs to. Together they know
    everything, alone each gets about 0.75. The weak member is near-uniform noise.
    """
    y = np.repeat(np.arange(N_CLASSES), n_per_class)
    pair = (y >= 2).astype(int)
    noise = lambda: rng.standard_normal((y.size, N_CLASSES))  # noqa: E731
    pair_logit = 4.0 * np.stack([1 - pair, 1 - pair, pair, pair], axis=1)

    def member(sees: tuple[int, int]) -> np.ndarray:
        logits = pair_logit + 0.6 * noise()
        for c in sees:
            logits[:, c] += 3.0 * (y == c) - 1.5
        return _log_probs(logits)

    a, b = member((0, 1)), member((2, 3))
    a_copy = _log_probs(a + 0.05 * noise())
    weak = _log_probs(0.2 * noise())
    groups = np.tile(np.repeat(np.arange(8), n_per_class // 8), N_CLASSES)
    return y, groups, [a, a_copy, b, weak]


def _ba(y, probs) -> float:
    return float(balanced_accuracy_score(y, probs.argmax(1)))


def test_floor_keeps_weak_members_out():
    scores = np.array([0.70, 0.68, 0.66, 0.26])
    assert eligible_members(scores, chance=0.25, floor=0.5).tolist() == [0, 1, 2]
    assert eligible_members(scores, chance=0.25, floor=0.0).tolist() == [0, 1, 2, 3]
    assert eligible_members(scores, chance=0.25, floor=1.0).tolist() == [0]
    assert eligible_members(np.array([0.1, 0.2, np.nan]), chance=0.25, floor=0.5).tolist() == [1]


def test_error_correlation_separates_copies_from_complements():
    y, _, members = _complementary(np.random.default_rng(0))
    corr = error_correlation(members, y)
    assert corr[0, 1] > 0.9
    assert corr[0, 2] < 0.3
    np.testing.assert_allclose(np.diag(corr), 1.0)


def test_stacking_combines_complementary_members_on_unseen_windows():
    rng = np.random.default_rng(1)
    y, groups, members = _complementary(rng)
    y_new, _, fresh = _complementary(rng)
    eligible = eligible_members(np.array([_ba(y, np.exp(m)) for m in members]), 0.25, 0.5)
    assert 3 not in eligible
    stacking = fit_stacking(members, y, groups, eligible, N_CLASSES)
    probs = stacking.predict_proba(fresh)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-9)
    best_single = max(_ba(y_new, np.exp(m)) for m in fresh)
    assert _ba(y_new, probs) > best_single + 0.1
    assert stacking.trace[-1]["penalty"] in [row["penalty"] for row in stacking.trace[:-1]]


def test_caruana_weights_lower_log_loss_and_skip_the_weak_member():
    y, _, members = _complementary(np.random.default_rng(2))
    eligible = np.array([0, 1, 2])
    combo = caruana_select(members, y, eligible, rounds=20)
    assert set(combo.members) <= {0, 1, 2} and 2 in combo.members
    np.testing.assert_allclose(combo.weights.sum(), 1.0)
    labels = np.arange(N_CLASSES)
    single = min(log_loss(y, np.exp(members[i]), labels=labels) for i in eligible)
    assert log_loss(y, combo.predict_proba(members), labels=labels) < single


def test_greedy_picks_the_complement_not_the_copy():
    y, _, members = _complementary(np.random.default_rng(3))
    combo = greedy_select(members, y, np.array([0, 1, 2]), max_members=3)
    assert combo.members[:2] in ([0, 2], [2, 0], [1, 2], [2, 1])
    assert combo.trace[-1]["balanced_accuracy"] > combo.trace[0]["balanced_accuracy"] + 0.05
    with_weak = greedy_select(members, y, np.array([0, 3]), max_members=2, min_members=2)
    assert with_weak.members == [0, 3]


def test_mean_combination_averages_every_member():
    y, _, members = _complementary(np.random.default_rng(4))
    probs = mean_combination(len(members)).predict_proba(members)
    np.testing.assert_allclose(probs, np.mean([np.exp(m) for m in members], axis=0))


def test_paired_wilcoxon():
    a = {f"s{i}": 0.5 + 0.01 * i for i in range(8)}
    b = {k: v - 0.05 for k, v in a.items()}
    b["s0"] += 0.07
    res = paired_wilcoxon(a, b)
    assert res["n_subjects"] == 8 and 0 < res["p_value"] < 0.05
    assert res["mean_difference"] == pytest.approx(0.05 - 0.07 / 8)
    assert paired_wilcoxon(a, a)["p_value"] is None


def test_auto_ships_the_combination_best_on_validation_and_ties_go_to_stacking():
    y = np.repeat(np.arange(N_CLASSES), 10)
    right = _log_probs(np.eye(N_CLASSES)[y] * 5.0)
    wrong = _log_probs(np.eye(N_CLASSES)[(y + 1) % N_CLASSES] * 5.0)

    def reads(method: str, member: int) -> Combination:
        return Combination(method, [member], np.ones(1))

    combinations = {"stacking": reads("mean", 1), "caruana": reads("caruana", 0),
                    "greedy": reads("greedy", 1), "mean": reads("mean", 0)}  # fmt: skip
    shipped, scores = choose_combination(combinations, [right, wrong], y, "auto")
    assert shipped == "caruana" and scores == {"stacking": 0.0, "caruana": 1.0,
                                               "greedy": 0.0, "mean": 1.0}  # fmt: skip
    assert choose_combination(combinations, [right, wrong], y, "greedy")[0] == "greedy"
    combinations["stacking"] = reads("mean", 0)
    assert choose_combination(combinations, [right, wrong], y, "auto")[0] == "stacking"
