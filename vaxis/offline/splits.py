"""Cross-subject splits: the FACED split used by CBraMod, and leave-subjects-out k-fold."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

#: CBraMod's FACED split: subjects 1-80 train, 81-100 validation, 101-123 test.
FACED_SPLIT = (80, 20, 23)


@dataclass(frozen=True)
class Split:
    """Subject ids for training, validation (early stopping, selection) and test."""

    train: list[str]
    val: list[str]
    test: list[str]


def faced_split(subject_ids: Sequence[str]) -> Split:
    """The CBraMod split on sorted subject ids, scaled proportionally for smaller corpora.

    With 123 subjects this is exactly 80/20/23. With fewer, each part keeps its share
    (rounded) and validation and test keep at least one subject each.
    """
    ids = sorted(subject_ids)
    n = len(ids)
    if n < 3:
        raise ValueError(f"a cross-subject split needs at least 3 subjects, got {n}")
    total = sum(FACED_SPLIT)
    n_val = max(1, round(n * FACED_SPLIT[1] / total))
    n_test = max(1, round(n * FACED_SPLIT[2] / total))
    n_train = n - n_val - n_test
    if n_train < 1:
        n_train, n_val, n_test = 1, 1, n - 2
    return Split(ids[:n_train], ids[n_train : n_train + n_val], ids[n_train + n_val :])


def kfold_splits(subject_ids: Sequence[str], k: int = 5, seed: int = 0) -> Iterator[Split]:
    """Leave-subjects-out k-fold: each fold tests on 1/k of the subjects.

    The validation subjects of a fold are taken from its training subjects (one fold's
    worth, at least one), so early stopping never sees the test subjects.
    """
    ids = np.array(sorted(subject_ids))
    if not 2 <= k <= ids.size:
        raise ValueError(f"k must be between 2 and the number of subjects ({ids.size}), got {k}")
    order = np.random.default_rng(seed).permutation(ids.size)
    folds = np.array_split(order, k)
    for i in range(k):
        rest = np.concatenate([folds[j] for j in range(k) if j != i])
        n_val = max(1, rest.size // (k - 1))
        yield Split(
            sorted(ids[rest[n_val:]].tolist()),
            sorted(ids[rest[:n_val]].tolist()),
            sorted(ids[folds[i]].tolist()),
        )
