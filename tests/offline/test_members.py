"""Members train the same in turn, with joblib and on Ray: same seeds, same members."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from vaxis.offline.train.fit import FitSettings
from vaxis.offline.train.members import MemberContext, train_member, train_members
from vaxis.offline.train.pool import MemberSpec


@pytest.fixture(scope="module")
def context() -> MemberContext:
    rng = np.random.default_rng(0)
    n_subjects, per_subject, n_classes = 6, 90, 3
    y = np.tile(np.repeat(np.arange(n_classes), per_subject // n_classes), n_subjects)
    subjects = np.repeat([f"s{i}" for i in range(n_subjects)], per_subject)
    features = rng.standard_normal((y.size, 30, 5)).astype(np.float32)
    features[:, :10, 2] += 1.0 * y[:, None]  # a planted class effect
    parts = {"selection": "s3", "val": "s4", "test": "s5"}
    index = {part: np.flatnonzero(subjects == subject) for part, subject in parts.items()}
    return MemberContext(inputs={"features": features}, y=y, subjects=subjects, index=index,
                         n_outputs=n_classes, channels=[f"c{i}" for i in range(30)],
                         raw_sfreq=125.0)  # fmt: skip


def test_joblib_ray_and_in_turn_give_the_same_members(context):
    bag = ("s0", "s1", "s2")
    settings = FitSettings(epochs=6, patience=6, batch_size=64, lr=1e-2)
    tasks = [(MemberSpec("logistic", 1, bag), settings), (MemberSpec("mlp", 2, bag), settings)]
    threads = torch.get_num_threads()
    try:
        in_turn = [train_member(spec, s, context, threads=1) for spec, s in tasks]
    finally:
        torch.set_num_threads(threads)
    with_joblib = train_members(tasks, context, n_jobs=2)
    on_ray = train_members(tasks, context, ray_address="local")
    for a, b, c in zip(in_turn, with_joblib, on_ray, strict=True):
        for part in ("selection", "val", "test"):
            np.testing.assert_array_equal(a.log_probs[part], b.log_probs[part])
            np.testing.assert_array_equal(a.log_probs[part], c.log_probs[part])
    truth = context.y[context.index["test"]]
    accuracy = max((r.log_probs["test"].argmax(1) == truth).mean() for r in in_turn)
    assert accuracy > 0.5  # chance: 1/3
