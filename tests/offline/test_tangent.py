"""The covariance input offline: a reference from training subjects only, per-subject
z-scoring, parity with the live decoder, and the member that reads it. SYNTHETIC data."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.decoder.covariance_bundle import covariance_meta, write_covariance_bundle
from vaxis.decoder.bundle import load_bundle
from vaxis.decoder.covariance import n_pairs
from vaxis.decoder.pipeline import Decoder
from vaxis.errors import DataError
from vaxis.offline.corpus import open_corpus
from vaxis.offline.corpus.synthetic import write_synthetic_faced
from vaxis.offline.train.covariance import fit_tangent
from vaxis.offline.train.data import load_windows, subject_windows
from vaxis.offline.train.models import ZOO, TangentMLP
from vaxis.offline.train.normalise import split_inputs, subject_inputs
from vaxis.offline.train.pool import MemberSpec, build_member

TRAIN = ["sub000", "sub001", "sub002"]
TEST = "sub003"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("tangent") / "corpus"
    return open_corpus(write_synthetic_faced(path, n_subjects=4, seconds=8, fmt="processed"))


@pytest.fixture(scope="module")
def windows(corpus):
    return load_windows(corpus)


@pytest.fixture(scope="module")
def tangent(windows):
    return fit_tangent(windows, TRAIN)


@pytest.fixture(scope="module")
def split(windows, tangent):
    kinds = {"features", "raw", "covariance"}
    return split_inputs(windows, kinds, TRAIN, "subject", tangent=tangent)


def test_windows_keep_float32_band_covariances(windows):
    n, n_ch = len(windows.y), len(windows.channels)
    assert windows.covariances.shape == (n, 5, n_ch, n_ch)
    assert windows.covariances.dtype == np.float32
    with pytest.raises(ValueError, match="fit_tangent"):
        windows.inputs("covariance")


def test_reference_is_the_riemannian_mean_of_training_subjects_only(windows, tangent):
    from pyriemann.geometry.mean import mean_riemann

    means = np.stack([windows.covariances[windows.subjects == s].mean(0, dtype=np.float64)
                      for s in TRAIN])  # fmt: skip
    expected = mean_riemann(means.transpose(1, 0, 2, 3))
    np.testing.assert_allclose(tangent.reference, expected, rtol=1e-8, atol=1e-12)
    with_test = fit_tangent(windows, [*TRAIN, TEST]).reference
    assert not np.allclose(with_test, tangent.reference, rtol=1e-3)


def test_every_subject_is_z_scored_with_its_own_statistics(windows, tangent, split):
    assert tangent.vectors.shape == (len(windows.y), 5, n_pairs(len(windows.channels)))
    inputs = split.inputs["covariance"]
    assert inputs.dtype == np.float32
    for subject in [*TRAIN, TEST]:
        own = inputs[windows.subjects == subject]
        np.testing.assert_allclose(own.mean(axis=0), 0.0, atol=1e-4)
        np.testing.assert_allclose(own.std(axis=0), 1.0, atol=1e-3)
        assert tangent.stats[subject].kinds == ("features", "raw", "covariance", "envelope")
        np.testing.assert_array_equal(
            tangent.stats[subject].feature_mean, windows.stats[subject].feature_mean
        )
    np.testing.assert_allclose(
        split.prior.covariance_mean,
        np.mean([tangent.stats[s].covariance_mean for s in TRAIN], axis=0),
    )
    np.testing.assert_allclose(split.prior.covariance_std, tangent.prior().covariance_std)


def test_fit_tangent_refuses_what_it_cannot_do(corpus, windows):
    with pytest.raises(DataError, match="no windows"):
        fit_tangent(windows, ["sub999"])
    without = load_windows(corpus.subset(["sub000"]), covariance=False)
    assert without.covariances is None
    with pytest.raises(DataError, match="covariance=False"):
        fit_tangent(without, ["sub000"])


def test_live_decoder_gives_the_training_covariance_inputs(
    tmp_path, corpus, windows, tangent, split
):
    """Fed a subject's microvolt windows and the subject's statistics, the live Decoder's
    covariance (and feature) inputs are the ones the members trained on."""
    meta = covariance_meta(windows.channels, tangent.reference, tangent.prior(),
                           sfreq=windows.sfreq, window_s=windows.window / windows.sfreq,
                           shrinkage=windows.shrinkage, bands=windows.bands)  # fmt: skip
    meta["features"]["covariance"] = tangent.bundle_block()
    assert meta["inputs"][1] == tangent.input_spec()
    bundle = load_bundle(write_covariance_bundle(tmp_path, meta))
    flat = subject_windows(corpus, windows, TEST)
    decoder = Decoder(bundle, stats=tangent.stats[TEST])
    feeds = decoder.feeds(flat, np.ones(len(flat), dtype=bool))
    mask = windows.subjects == TEST
    np.testing.assert_allclose(feeds["covariance"], split.inputs["covariance"][mask], atol=1e-4)
    np.testing.assert_allclose(feeds["features"], split.inputs["features"][mask], atol=1e-4)
    exported = subject_inputs(corpus, windows, TEST, split)
    np.testing.assert_allclose(exported["covariance"], feeds["covariance"], atol=1e-5)
    without = split_inputs(windows, {"features", "raw"}, TRAIN, "subject")
    assert "covariance" not in subject_inputs(corpus, windows, TEST, without)


def test_tangent_member_reads_the_covariance_input(windows, split):
    assert ZOO["tangent"] == (TangentMLP, "covariance")
    inputs = split.inputs["covariance"]
    shape = inputs.shape[1:]
    model = build_member(MemberSpec("tangent", 0, tuple(TRAIN)), shape, 9, 62.5, windows.channels)
    out = model(torch.as_tensor(inputs[:7]))
    assert out.shape == (7, 9)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert linears[-1] is model.readout


def test_study_does_not_take_the_tangent_member_for_a_band_feature_model():
    from vaxis.offline.study.models import study_architectures

    assert study_architectures()["tangent"].kind == "covariance"
