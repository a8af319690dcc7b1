"""Band covariances and their tangent vectors, checked against pyriemann."""

from __future__ import annotations

import numpy as np
import pytest
from pyriemann.geometry.mean import mean_riemann
from pyriemann.geometry.tangentspace import tangent_space
from pyriemann.tangentspace import TangentSpace

from vaxis.decoder.covariance import TangentSpaceMap, band_covariances, n_pairs
from vaxis.decoder.features import BANDS, band_power
from vaxis.decoder.preprocessing import preprocess

SFREQ = 250.0


def eeg_like(n: int, n_ch: int = 8, n_times: int = 1000, seed: int = 0) -> np.ndarray:
    """Correlated channels: white noise mixed by a random matrix, in microvolts."""
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((n_ch, n_ch))
    return (mixing @ rng.standard_normal((n, n_ch, n_times)) * 10).astype(np.float32)


def test_diagonal_is_band_power_and_matrices_are_symmetric():
    x = preprocess(eeg_like(6))
    covs = band_covariances(x, SFREQ, shrinkage=0.0)
    assert covs.shape == (6, len(BANDS), 8, 8)
    np.testing.assert_allclose(covs, covs.transpose(0, 1, 3, 2))
    diagonal = np.einsum("wbii->wib", covs)
    np.testing.assert_allclose(diagonal, band_power(x.astype(np.float64), SFREQ), rtol=1e-10)


def test_off_diagonal_is_the_covariance_of_band_passed_channels():
    x = preprocess(eeg_like(2, n_ch=3, n_times=2000))
    covs = band_covariances(x, SFREQ, {"alpha": (8.0, 14.0)}, shrinkage=0.0)[:, 0]
    spectrum = np.fft.rfft(x.astype(np.float64), axis=-1)
    freqs = np.fft.rfftfreq(x.shape[-1], 1 / SFREQ)
    spectrum[..., (freqs < 8.0) | (freqs >= 14.0)] = 0
    passed = np.fft.irfft(spectrum, n=x.shape[-1], axis=-1)
    expected = passed @ passed.transpose(0, 2, 1) / x.shape[-1]
    np.testing.assert_allclose(covs, expected, rtol=1e-10, atol=1e-12 * np.abs(expected).max())


def test_shrinkage_keeps_average_referenced_windows_positive_definite():
    x = preprocess(eeg_like(20, n_ch=30), reference="average")
    raw = band_covariances(x, SFREQ, shrinkage=0.0)
    # The average reference removes one dimension; delta (12 bins) holds fewer than 30.
    assert np.linalg.eigvalsh(raw).min() < 1e-9 * np.abs(raw).max()
    s = 0.1
    shrunk = band_covariances(x, SFREQ, shrinkage=s)
    eigen = np.linalg.eigvalsh(shrunk)
    mu = np.trace(raw, axis1=-2, axis2=-1) / 30
    assert (eigen.min(axis=-1) >= s * mu * (1 - 1e-9)).all()
    np.testing.assert_allclose(np.trace(shrunk, axis1=-2, axis2=-1), mu * 30)


def test_tangent_vectors_match_pyriemann():
    covs = band_covariances(preprocess(eeg_like(40, n_ch=30)), SFREQ)
    reference = mean_riemann(covs[:25].transpose(1, 0, 2, 3))
    reference = (reference + reference.transpose(0, 2, 1)) / 2
    ours = TangentSpaceMap(reference).tangent(covs)
    assert ours.shape == (40, len(BANDS), n_pairs(30))
    for b in range(len(BANDS)):
        theirs = tangent_space(covs[:, b], reference[b], metric="riemann")
        np.testing.assert_allclose(ours[:, b], theirs, rtol=1e-6, atol=1e-6 * np.abs(theirs).max())
        estimator = TangentSpace(metric="riemann")
        estimator.reference_ = reference[b]
        np.testing.assert_allclose(ours[:, b], estimator.transform(covs[:, b]), rtol=1e-6,
                                   atol=1e-6 * np.abs(theirs).max())  # fmt: skip


def test_transform_equals_covariances_then_tangent_and_the_reference_maps_to_zero():
    x = preprocess(eeg_like(5))
    covs = band_covariances(x, SFREQ)
    tangent = TangentSpaceMap(covs[0])  # one window's covariances as the reference
    np.testing.assert_allclose(tangent.transform(x, SFREQ), tangent.tangent(covs))
    np.testing.assert_allclose(tangent.tangent(covs[:1]), 0.0, atol=1e-10)


def test_zeroed_window_gives_finite_vectors():
    x = preprocess(eeg_like(3))
    tangent = TangentSpaceMap(band_covariances(x, SFREQ).mean(axis=0))
    with np.errstate(all="raise"):
        assert np.isfinite(tangent.transform(np.zeros_like(x[:1]), SFREQ)).all()


@pytest.mark.parametrize(
    ("reference", "bands", "message"),
    [
        (np.eye(4)[None].repeat(2, 0), BANDS, "n_bands=5"),
        (-np.eye(4)[None].repeat(5, 0), BANDS, "positive definite"),
        (np.triu(np.ones((4, 4)))[None].repeat(5, 0), BANDS, "symmetric"),
        (np.eye(4)[None], {}, "no bands"),
    ],
)
def test_bad_reference_is_refused(reference, bands, message):
    with pytest.raises(ValueError, match=message):
        TangentSpaceMap(reference, bands=bands)


def test_shrinkage_out_of_range_is_refused():
    with pytest.raises(ValueError, match="shrinkage"):
        band_covariances(preprocess(eeg_like(1)), SFREQ, shrinkage=1.0)
