"""Band power and differential entropy: theory for Gaussian noise, batching, dtypes, errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from vaxis.decoder.features import (
    BANDS,
    band_matrix,
    band_power,
    differential_entropy,
    envelope_variability,
    extract,
    log_psd,
)

SFREQ = 250.0
WIDTHS = np.array([high - low for low, high in BANDS.values()])


def white_noise(std: float, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return std * np.random.default_rng(seed).standard_normal(shape)


def test_de_of_white_noise_matches_gaussian_entropy_of_band_variance():
    std = 3.0
    x = white_noise(std, (16, 4, int(60 * SFREQ)))  # 60-s windows: >= 180 bins per band
    de = differential_entropy(x, SFREQ).mean(axis=(0, 1))
    band_variance = std**2 * 2 * WIDTHS / SFREQ
    np.testing.assert_allclose(de, 0.5 * np.log(2 * np.pi * np.e * band_variance), atol=0.01)


def test_band_power_matches_variance_after_a_sharp_fir_band_pass():
    x = white_noise(2.0, (4, int(120 * SFREQ)), seed=1)
    ours = band_power(x, SFREQ).mean(axis=0)
    for j, (low, high) in enumerate(BANDS.values()):
        taps = signal.firwin(2001, [low, high], pass_zero=False, fs=SFREQ)
        filtered = signal.fftconvolve(x, taps[None], mode="valid", axes=-1)
        np.testing.assert_allclose(ours[j], filtered.var(axis=-1).mean(), rtol=0.05)


def test_batch_features_equal_window_by_window():
    x = white_noise(1.0, (3, 5, 6, 250), seed=2)
    for kind in ("de", "psd"):
        batch = extract(x, SFREQ, kind=kind)
        assert batch.shape == (3, 5, 6, len(BANDS))
        one_by_one = np.array([extract(w, SFREQ, kind=kind) for w in x.reshape(-1, 250)]).reshape(
            batch.shape
        )
        np.testing.assert_allclose(batch, one_by_one, rtol=1e-10)


def test_psd_kind_is_log_mean_density_and_flat_for_white_noise():
    std = 2.0
    x = white_noise(std, (8, 4, int(60 * SFREQ)), seed=3)
    psd = extract(x, SFREQ, kind="psd")
    np.testing.assert_allclose(psd, np.log(band_power(x, SFREQ) / WIDTHS), rtol=1e-12)
    np.testing.assert_allclose(psd, log_psd(x, SFREQ))
    # One-sided density of white noise: 2 * variance / sfreq in every band.
    np.testing.assert_allclose(psd.mean(axis=(0, 1)), np.log(2 * std**2 / SFREQ), atol=0.01)


def test_unknown_feature_kind_is_refused():
    with pytest.raises(ValueError, match="unknown feature kind 'bogus'"):
        extract(np.zeros((2, 250)), SFREQ, kind="bogus")


@pytest.mark.parametrize(
    ("bands", "match"),
    [
        ({"high": (100.0, 140.0)}, "does not fit"),
        ({"zero": (0.0, 4.0)}, "does not fit"),
        ({"reversed": (8.0, 4.0)}, "does not fit"),
        ({"narrow": (1.2, 1.8)}, "holds no FFT bin"),
    ],
)
def test_band_matrix_refuses_bands_that_do_not_fit(bands, match):
    with pytest.raises(ValueError, match=match):
        band_matrix(250, SFREQ, bands)


def test_band_matrix_weights_are_parseval():
    x = white_noise(1.0, (1000,), seed=4)
    every_bin = {"all": (SFREQ / 1000, SFREQ / 2)}  # all bins but DC and Nyquist
    spectrum = np.fft.rfft(x)
    expected = 2 * (np.abs(spectrum[1:-1]) ** 2).sum() / x.size**2
    assert band_matrix(1000, SFREQ, every_bin).shape == (501, 1)
    np.testing.assert_allclose(band_power(x, SFREQ, every_bin)[0], expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float32_and_float64_inputs_keep_precision_and_agree(dtype):
    x64 = white_noise(10.0, (4, 8, 250), seed=5)
    out = differential_entropy(x64.astype(dtype), SFREQ)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, differential_entropy(x64, SFREQ), rtol=1e-4)


def test_integer_input_is_computed_in_float64():
    x = np.round(white_noise(100.0, (2, 250), seed=6)).astype(np.int16)
    out = differential_entropy(x, SFREQ)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, differential_entropy(x.astype(np.float64), SFREQ))


def test_silent_window_gives_finite_features():
    out = extract(np.zeros((2, 250), dtype=np.float32), SFREQ)
    assert np.isfinite(out).all()


def test_envelope_variability_reads_a_step_in_amplitude_at_unchanged_spectrum():
    t = np.arange(int(4 * SFREQ)) / SFREQ  # 4 s: eight 0.5-s sub-windows
    alpha = np.sin(2 * np.pi * 10.0 * t)  # on a bin of every 0.5-s sub-window
    steady = envelope_variability(alpha[None], SFREQ)[0]
    stepped = envelope_variability((alpha * np.where(t < 2.0, 1.0, 2.0))[None], SFREQ)[0]
    alpha_band = list(BANDS).index("alpha")
    np.testing.assert_allclose(steady[alpha_band], 0.0, atol=1e-6)
    # four sub-windows at power P, four at 4P: the log powers' standard deviation is log(4)/2
    np.testing.assert_allclose(stepped[alpha_band], np.log(4.0) / 2, rtol=1e-6)


def test_envelope_variability_keeps_leading_axes_and_the_latest_samples():
    x = white_noise(1.0, (3, 2, int(2.3 * SFREQ)), seed=4)
    out = envelope_variability(x, SFREQ)
    assert out.shape == (3, 2, len(BANDS))
    # 2.3 s hold four 0.5-s sub-windows: the oldest 0.3 s are left out
    np.testing.assert_allclose(out, envelope_variability(x[..., -int(2 * SFREQ) :], SFREQ))


def test_envelope_variability_needs_two_sub_windows():
    with pytest.raises(ValueError, match="fewer than two"):
        envelope_variability(np.zeros((1, 2, int(0.9 * SFREQ))), SFREQ)
