"""The covariance input through the bundle contract, the Decoder, profiles and calibration."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.decoder.covariance_bundle import covariance_meta, write_covariance_bundle
from vaxis.calibration.adaptation import fit_stats
from vaxis.decoder.bundle import load_bundle
from vaxis.decoder.covariance import TangentSpaceMap, band_covariances
from vaxis.decoder.inputs import InputStats, window_inputs
from vaxis.decoder.pipeline import Decoder, decode_together
from vaxis.decoder.preprocessing import preprocess
from vaxis.decoder.profile import Profile, load_profile, save_profile
from vaxis.errors import BundleError, ProfileError

CHANNELS = ["Fp1", "Fz", "C3", "Cz", "C4", "Pz", "O1", "O2"]
SFREQ = 250.0


def eeg(n: int, seed: int = 0, scale: float = 10.0) -> np.ndarray:
    """Correlated channels in microvolts, one-second windows."""
    rng = np.random.default_rng(seed)
    mixing = np.eye(len(CHANNELS)) + 0.4 * rng.standard_normal((len(CHANNELS),) * 2)
    return (mixing @ rng.standard_normal((n, len(CHANNELS), 250)) * scale).astype(np.float32)


@pytest.fixture(scope="module")
def population():
    """Reference and prior fitted on SYNTHETIC 'training' windows."""
    covs = band_covariances(preprocess(eeg(60, seed=1)), SFREQ)
    tangent = TangentSpaceMap(covs.mean(axis=0))
    inputs = window_inputs(eeg(60, seed=1), SFREQ, ("features", "covariance"), tangent=tangent)
    return tangent, InputStats.fit(inputs)


@pytest.fixture
def meta(population):
    tangent, prior = population
    return covariance_meta(CHANNELS, tangent.reference, prior)


@pytest.fixture
def bundle_dir(tmp_path, meta):
    return write_covariance_bundle(tmp_path / "bundle", meta)


def test_bundle_declares_and_rebuilds_the_tangent_map(bundle_dir, population):
    bundle = load_bundle(bundle_dir)
    assert bundle.kinds == ("features", "covariance")
    assert bundle.inputs[1].shape == (None, 5, 36)
    rebuilt = bundle.tangent_space()
    np.testing.assert_array_equal(rebuilt.reference, population[0].reference)
    assert rebuilt.shrinkage == population[0].shrinkage and rebuilt.bands == population[0].bands


def _drop_block(meta):
    del meta["features"]["covariance"]


def _drop_input(meta):
    meta["inputs"].pop(1)


def _drop_prior(meta):
    del meta["normalisation"]["prior"]["covariance_std"]


def _asymmetric(meta):
    meta["features"]["covariance"]["reference"][0][0][1] += 1.0


def _not_definite(meta):
    meta["features"]["covariance"]["reference"][2] = (-np.eye(8)).tolist()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_drop_block, "needs features.covariance"),
        (_drop_input, "no covariance input"),
        (lambda m: m["inputs"][1].update(shape=[None, 5, 8]), r"36 channel pairs"),
        (lambda m: m["inputs"][1].update(shape=[None, 4, 36]), r"5 bands"),
        (_drop_prior, "covariance_std"),
        (_asymmetric, "not symmetric"),
        (_not_definite, "not positive definite"),
        (lambda m: m["features"]["covariance"].update(shrinkage=1.5), "shrinkage"),
        (lambda m: m["features"]["covariance"]["bands"].update(alpha=[8, 200]), "does not fit"),
        (lambda m: m["features"]["covariance"].pop("reference"), "reference"),
    ],
)
def test_bad_covariance_meta_is_refused_with_reason(bundle_dir, edit, message):
    meta = json.loads((bundle_dir / "bundle.json").read_text())
    edit(meta)
    (bundle_dir / "bundle.json").write_text(json.dumps(meta))
    with pytest.raises(BundleError, match=message):
        load_bundle(bundle_dir)


def test_decoder_feeds_are_the_normalised_tangent_vectors(bundle_dir, population):
    tangent, _ = population
    windows = eeg(6, seed=2)
    stats = InputStats.fit(
        window_inputs(eeg(30, seed=3), SFREQ, ("features", "covariance"), tangent=tangent)
    )
    decoder = Decoder(load_bundle(bundle_dir), stats=stats)
    feeds = decoder.feeds(windows, np.ones(6, dtype=bool))
    vectors = window_inputs(windows, SFREQ, ("covariance",), tangent=tangent)
    expected = stats.normalise(vectors)["covariance"]
    np.testing.assert_allclose(feeds["covariance"], expected, rtol=1e-5, atol=1e-5)
    assert set(feeds) == {"features", "covariance"}
    out = decoder.decode(windows)
    assert out.valid.all() and np.isfinite(out.probs).all()
    np.testing.assert_allclose(out.probs.sum(axis=1), 1.0, atol=1e-5)


def test_running_decoder_batch_equals_window_by_window_and_skips_invalid(bundle_dir):
    bundle = load_bundle(bundle_dir)
    windows = eeg(12, seed=4, scale=20.0)
    windows[5] = 0.0  # flat: invalid
    batch = Decoder(bundle).decode(windows)
    single = Decoder(bundle)
    steps = [single.decode(windows[i : i + 1]) for i in range(12)]
    assert not batch.valid[5] and batch.valid.sum() == 11
    np.testing.assert_allclose(batch.probs, np.concatenate([s.probs for s in steps]), atol=1e-5)
    assert single.running.count_ == 11


def test_statistics_without_covariance_are_refused(bundle_dir):
    stats = InputStats.fit(window_inputs(eeg(10), SFREQ, ("features", "raw")))
    with pytest.raises(BundleError, match="covariance"):
        Decoder(load_bundle(bundle_dir), stats=stats)


def test_profile_carries_the_covariance_statistics(bundle_dir, tmp_path):
    bundle = load_bundle(bundle_dir)
    stats = fit_stats(bundle, eeg(20, seed=5))
    assert stats.kinds == ("features", "covariance")
    assert stats.covariance_mean.shape == (5, 36)
    profile = Profile("p01", bundle.model_id, bundle.meta["onnx"]["sha256"], stats)
    save_profile(profile, tmp_path / "profile")
    again = load_profile(tmp_path / "profile")
    np.testing.assert_array_equal(again.stats.covariance_std, stats.covariance_std)
    decoded = Decoder(bundle, stats=again.stats).decode(eeg(3, seed=6))
    assert decoded.valid.all()


def test_a_profile_whose_model_changed_is_refused_for_that_reason(bundle_dir, tmp_path):
    bundle = load_bundle(bundle_dir)
    folder = tmp_path / "profile"
    folder.mkdir()
    (folder / "model.onnx").write_bytes((bundle_dir / "model.onnx").read_bytes())
    stats = fit_stats(bundle, eeg(20, seed=5))
    profile = Profile("p01", bundle.model_id, bundle.meta["onnx"]["sha256"], stats,
                      model_path=folder / "model.onnx")  # fmt: skip
    save_profile(profile, folder)
    (folder / "model.onnx").write_bytes(b"tampered")
    with pytest.raises(ProfileError, match="does not match profile.json sha256"):
        load_profile(folder)


def test_streams_decoded_together_equal_each_stream_decoded_alone(bundle_dir):
    bundle = load_bundle(bundle_dir)
    a, b = eeg(6, seed=5, scale=20.0), eeg(3, seed=6, scale=60.0)
    b[1] = np.nan  # invalid: counts in neither stream's statistics
    alone_a, alone_b = Decoder(bundle), Decoder(bundle)
    expected = [alone_a.decode(a[:4]), alone_b.decode(b), alone_a.decode(a[4:])]
    first = Decoder(bundle)
    second = first.fork()
    assert second.session is first.session and second.running is not first.running
    together = decode_together([first, second], [a[:4], b]) + [first.decode(a[4:])]
    for got, want in zip(together, expected, strict=True):
        np.testing.assert_array_equal(got.valid, want.valid)
        np.testing.assert_allclose(got.probs, want.probs, atol=1e-5)
        assert got.reasons == want.reasons
    assert first.running.count_ == 6 and second.running.count_ == 2
    with pytest.raises(ValueError, match="share one session"):
        decode_together([first, Decoder(bundle)], [a, b])


def test_windows_prepared_ahead_predict_as_decoded(bundle_dir):
    bundle = load_bundle(bundle_dir)
    batches = [eeg(3, seed=7 + i, scale=20.0 + 10 * i) for i in range(3)]
    batches[1][0] = np.nan
    decoded = Decoder(bundle)
    expected = [decoded.decode(b) for b in batches]
    ahead = Decoder(bundle)
    checked = [ahead.prepare(b) for b in batches]  # all prepared before any is predicted
    assert ahead.running.count_ == 0, "preparing touched the running statistics"
    for got, want in zip(map(ahead.predict, checked), expected, strict=True):
        np.testing.assert_array_equal(got.valid, want.valid)
        np.testing.assert_allclose(got.probs, want.probs, atol=1e-6)
        assert got.reasons == want.reasons
    assert ahead.running.count_ == decoded.running.count_ == 8
