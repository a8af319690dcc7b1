"""Offline normalisation: causal equals what the live decoder computes, window by window;
subject is per-subject z-scoring; population uses the training prior alone. SYNTHETIC."""

from __future__ import annotations

import numpy as np
import pytest

from vaxis.decoder.inputs import RunningStats, window_inputs
from vaxis.errors import ConfigError
from vaxis.offline.corpus import open_corpus
from vaxis.offline.corpus.synthetic import write_synthetic_faced
from vaxis.offline.train.data import load_windows, subject_windows
from vaxis.offline.train.normalise import WARMUP, split_inputs
from vaxis.offline.train.resample import decimate_fir

TRAIN = ["sub000", "sub001", "sub002"]
TEST = "sub003"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    path = tmp_path_factory.mktemp("normalise") / "corpus"
    corpus = open_corpus(write_synthetic_faced(path, n_subjects=4, seconds=8, fmt="processed"))
    return corpus, load_windows(corpus, decimate=2, covariance=False)


def test_causal_inputs_are_the_live_decoders(setup):
    """The live decoder's RunningStats, fed the test subject's windows one at a time from
    the training prior, normalises them exactly as training did."""
    corpus, windows = setup
    split = split_inputs(windows, {"features", "raw"}, TRAIN, "causal")
    running = RunningStats(split.prior, WARMUP)
    flat = subject_windows(corpus, windows, TEST)
    mask = windows.subjects == TEST
    assert len(flat) == mask.sum() > WARMUP
    assert (windows.y[mask] < 0).sum() == 27  # one bridge between each pair of the 28 clips
    for i, window in enumerate(flat):
        inputs = window_inputs(window[None], windows.sfreq, ("features", "raw"))
        live = running.normalise(inputs, np.ones(1, dtype=bool))
        np.testing.assert_allclose(live["features"][0], split.inputs["features"][mask][i],
                                   rtol=1e-4, atol=1e-4)  # fmt: skip
        np.testing.assert_allclose(decimate_fir(live["raw"], 2)[0], split.inputs["raw"][mask][i],
                                   rtol=1e-4, atol=1e-4)  # fmt: skip


def test_subject_population_and_causal_differ_as_documented(setup):
    _, windows = setup
    subject = split_inputs(windows, {"features"}, TRAIN, "subject").inputs["features"]
    population = split_inputs(windows, {"features"}, TRAIN, "population")
    causal = split_inputs(windows, {"features"}, TRAIN, "causal").inputs["features"]
    mask = windows.subjects == TEST
    np.testing.assert_allclose(subject[mask].mean(axis=0), 0.0, atol=1e-4)
    prior = population.prior
    expected = (windows.features[mask] - prior.feature_mean) / prior.feature_std
    np.testing.assert_allclose(population.inputs["features"][mask], expected, rtol=1e-4)
    # Causal: the prior for the first WARMUP windows, the subject's own statistics so far after.
    np.testing.assert_allclose(causal[mask][: WARMUP - 1], expected[: WARMUP - 1], rtol=1e-4)
    assert not np.allclose(causal[mask][-1], expected[-1], rtol=1e-3)
    with pytest.raises(ConfigError, match="unknown normalisation"):
        split_inputs(windows, {"features"}, TRAIN, "global")
