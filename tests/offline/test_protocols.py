"""Protocol presets: what ``faced-cbramod`` cuts, keeps and splits, on a SYNTHETIC corpus."""

from __future__ import annotations

from typing import get_args

import numpy as np
import pytest

from vaxis.errors import ConfigError
from vaxis.offline.choices import ProtocolName
from vaxis.offline.corpus import open_corpus
from vaxis.offline.corpus.synthetic import write_synthetic_faced
from vaxis.offline.protocols import PROTOCOLS, get_protocol
from vaxis.offline.splits import faced_split
from vaxis.offline.train import TrainConfig
from vaxis.offline.train.data import load_windows
from vaxis.offline.train.normalise import split_inputs


@pytest.fixture(scope="module")
def faced_windows(tmp_path_factory):
    path = tmp_path_factory.mktemp("protocol") / "corpus"
    corpus = open_corpus(write_synthetic_faced(path, n_subjects=4, seconds=30, fmt="processed"))
    config = TrainConfig.from_protocol("faced-cbramod")
    windows = load_windows(corpus, config.window_s, config.hop_s, config.decimate,
                           covariance=False, resample=config.resample,
                           channels=config.channels)  # fmt: skip
    return config, windows


def test_faced_cbramod_cuts_three_10s_samples_per_clip_of_32_channels_at_200hz(faced_windows):
    config, windows = faced_windows
    assert (config.window_s, config.hop_s, config.resample) == (10.0, 10.0, 200.0)
    assert windows.sfreq == 200.0 and windows.window == 2000 and windows.hop == 2000
    assert len(windows.channels) == 32 and {"A1", "A2"} <= set(windows.channels)
    for subject in ("sub000", "sub003"):
        labelled = windows.y[(windows.subjects == subject)]
        assert labelled.size == 28 * 3 and (labelled >= 0).all()  # no sample spans two clips
        assert np.bincount(labelled).tolist() == [9, 9, 9, 9, 12, 9, 9, 9, 9]
    assert windows.raw.shape[1:] == (32, 2000 // config.decimate)


def test_faced_cbramod_splits_sorted_subjects_80_20_23_and_uses_no_test_statistics(
    faced_windows,
):
    ids = [f"sub{i:03d}" for i in range(123)]
    split = faced_split(list(reversed(ids)))
    assert (split.train, split.val, split.test) == (ids[:80], ids[80:100], ids[100:])
    config, windows = faced_windows
    assert config.normalisation == "population" and config.seeds == 5
    train = ["sub000", "sub001"]
    fixed = split_inputs(windows, {"features"}, train, "population")
    test = windows.subjects == "sub003"
    # The test subject's inputs depend on the training subjects' statistics only.
    prior_mean = np.mean([windows.stats[s].feature_mean for s in train], axis=0)
    prior_std = np.mean([windows.stats[s].feature_std for s in train], axis=0)
    expected = (windows.features[test] - prior_mean) / prior_std
    np.testing.assert_allclose(fixed.inputs["features"][test], expected, rtol=1e-4)
    assert not np.allclose(fixed.prior.feature_mean, windows.stats["sub003"].feature_mean)


def test_presets_are_documented_and_unknown_ones_refused():
    assert set(PROTOCOLS) == set(get_args(ProtocolName)) == {"vaxis", "faced-cbramod",
                                                             "seedv-cbramod"}  # fmt: skip
    assert all(preset.name == name for name, preset in PROTOCOLS.items())
    seedv = get_protocol("seedv-cbramod")
    assert (seedv.window_s, seedv.split, seedv.sfreq) == (1.0, "session-trials", 200.0)
    assert "0.5509" in get_protocol("faced-cbramod").source
    with pytest.raises(ConfigError, match="unknown protocol"):
        get_protocol("deap")
