"""Cross-subject splits: FACED's 80/20/23, proportional shares, leave-subjects-out k-fold."""

from __future__ import annotations

import numpy as np
import pytest

from vaxis.offline.splits import faced_split, kfold_splits


def ids(n: int) -> list[str]:
    return [f"sub{i:03d}" for i in range(n)]


def test_faced_split_on_123_subjects_is_80_20_23_in_sorted_order():
    shuffled = list(np.random.default_rng(0).permutation(ids(123)))
    split = faced_split(shuffled)
    assert (len(split.train), len(split.val), len(split.test)) == (80, 20, 23)
    assert split.train + split.val + split.test == ids(123)


@pytest.mark.parametrize("n", [3, 5, 12, 30, 61])
def test_faced_split_is_proportional_for_smaller_corpora(n):
    split = faced_split(ids(n)[::-1])
    sizes = np.array([len(split.train), len(split.val), len(split.test)])
    assert sizes.sum() == n and (sizes >= 1).all()
    assert split.train + split.val + split.test == ids(n)
    if n >= 12:
        np.testing.assert_allclose(sizes / n, np.array([80, 20, 23]) / 123, atol=1.0 / n)


def test_faced_split_needs_three_subjects():
    with pytest.raises(ValueError, match="at least 3 subjects"):
        faced_split(ids(2))


@pytest.mark.parametrize(("n", "k"), [(10, 5), (23, 4), (6, 6)])
def test_kfold_tests_every_subject_once_without_overlap(n, k):
    folds = list(kfold_splits(ids(n), k=k, seed=1))
    assert len(folds) == k
    tested = [s for fold in folds for s in fold.test]
    assert sorted(tested) == ids(n)
    for fold in folds:
        train, val, test = set(fold.train), set(fold.val), set(fold.test)
        assert train and val and test
        assert not (train & val or train & test or val & test)
        assert train | val | test == set(ids(n))


def test_kfold_is_deterministic_for_a_seed_and_varies_across_seeds():
    first = [f.test for f in kfold_splits(ids(20), k=4, seed=3)]
    assert first == [f.test for f in kfold_splits(ids(20), k=4, seed=3)]
    assert first != [f.test for f in kfold_splits(ids(20), k=4, seed=4)]


@pytest.mark.parametrize("k", [1, 11])
def test_kfold_refuses_impossible_k(k):
    with pytest.raises(ValueError, match="k must be between 2"):
        list(kfold_splits(ids(10), k=k))
