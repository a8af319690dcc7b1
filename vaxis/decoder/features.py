"""Band power and differential entropy (DE) of EEG windows.

One vectorised implementation serves offline training and live decoding. The band
variance of a window is taken from its real FFT by Parseval's theorem: an ideal
band-pass filter keeps the bins inside the band, and the variance of what it keeps is
``2 / N**2 * sum(|X_k|**2)`` over those bins. For a Gaussian signal the differential
entropy of the band-passed signal is ``0.5 * log(2 * pi * e * variance)`` (Shi et al.,
2013), which is what FACED's ``EEG_Features/DE`` holds per second.

This replaces one ``filtfilt`` per band with a single FFT per window and a matrix
product over bins, which is what makes a FACED-size corpus take seconds, not minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Literal, get_args

import numpy as np
from scipy import fft as sp_fft

#: FACED's frequency bands in Hz, half-open ``[low, high)``.
BANDS: dict[str, tuple[float, float]] = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 14.0),
    "beta": (14.0, 30.0),
    "gamma": (30.0, 47.0),
}

#: Band features: differential entropy, or the log of the band power.
FeatureKind = Literal["de", "psd"]
FEATURE_KINDS: tuple[FeatureKind, ...] = get_args(FeatureKind)


def band_matrix(
    n_times: int, sfreq: float, bands: Mapping[str, tuple[float, float]] = BANDS
) -> np.ndarray:
    """Weights (n_freqs, n_bands) turning ``|rfft|**2`` into band variances.

    Computed once per window length, rate and bands; the array returned is read-only.

    Parameters
    ----------
    n_times : int
        Samples per window.
    sfreq : float
        Sampling rate in Hz.
    bands : mapping
        Band name to ``(low, high)`` in Hz, half-open.
    """
    edges = tuple((float(low), float(high)) for low, high in bands.values())
    return _band_matrix(int(n_times), float(sfreq), edges)


@lru_cache(maxsize=32)
def _band_matrix(n_times: int, sfreq: float, bands: tuple[tuple[float, float], ...]) -> np.ndarray:
    freqs = sp_fft.rfftfreq(n_times, d=1.0 / sfreq)
    weights = np.zeros((freqs.size, len(bands)))
    nyquist_bin = n_times // 2 if n_times % 2 == 0 else -1
    for j, (low, high) in enumerate(bands):
        if not 0 < low < high <= sfreq / 2:
            raise ValueError(f"band [{low:g}, {high:g}) Hz does not fit sampling rate {sfreq:g} Hz")
        inside = (freqs >= low) & (freqs < high)
        if not inside.any():
            raise ValueError(
                f"band [{low:g}, {high:g}) Hz holds no FFT bin for {n_times} samples at "
                f"{sfreq:g} Hz"
            )
        weights[inside, j] = 2.0
        if nyquist_bin > 0 and inside[nyquist_bin]:
            weights[nyquist_bin, j] = 1.0
    weights /= float(n_times) ** 2
    weights.flags.writeable = False
    return weights


def band_power(
    x: np.ndarray, sfreq: float, bands: Mapping[str, tuple[float, float]] = BANDS
) -> np.ndarray:
    """Variance of ``x`` inside each band.

    Parameters
    ----------
    x : array, shape (..., n_times)
        Windows; any leading axes (windows, channels) are kept.
    sfreq : float
        Sampling rate in Hz.
    bands : mapping
        Band name to ``(low, high)`` in Hz.

    Returns
    -------
    power : array, shape (..., n_bands)
        Band variance in the squared unit of ``x``.
    """
    x = np.asarray(x)
    dtype = np.float32 if x.dtype == np.float32 else np.float64
    spectrum = sp_fft.rfft(x.astype(dtype, copy=False), axis=-1, workers=-1)
    return spectrum_power(spectrum, x.shape[-1], sfreq, bands)


def spectrum_power(
    spectrum: np.ndarray,
    n_times: int,
    sfreq: float,
    bands: Mapping[str, tuple[float, float]] = BANDS,
) -> np.ndarray:
    """:func:`band_power` of windows of ``n_times`` samples from their real FFT
    ``spectrum`` (..., n_freqs), in its precision."""
    squared = spectrum.real**2 + spectrum.imag**2
    return squared @ band_matrix(n_times, sfreq, bands).astype(squared.dtype, copy=False)


def from_power(
    power: np.ndarray, kind: FeatureKind = "de", bands: Mapping[str, tuple[float, float]] = BANDS
) -> np.ndarray:
    """Features of ``kind`` from band variances (..., n_bands): the differential entropy
    ``0.5 * log(2 pi e var)`` (``"de"``), or the log of the mean power spectral density in
    each band, unit**2 / Hz (``"psd"``)."""
    tiny = np.finfo(power.dtype).tiny
    if kind == "de":
        return 0.5 * np.log(2 * np.pi * np.e * np.maximum(power, tiny))
    if kind == "psd":
        widths = np.array([high - low for low, high in bands.values()], dtype=power.dtype)
        return np.log(np.maximum(power / widths, tiny))
    raise ValueError(f"unknown feature kind {kind!r}; expected {FEATURE_KINDS}")


def differential_entropy(
    x: np.ndarray, sfreq: float, bands: Mapping[str, tuple[float, float]] = BANDS
) -> np.ndarray:
    """Differential entropy of ``x`` in each band, ``0.5 * log(2 pi e var)``.

    Same parameters and shape as :func:`band_power`.
    """
    return from_power(band_power(x, sfreq, bands), "de")


def log_psd(
    x: np.ndarray, sfreq: float, bands: Mapping[str, tuple[float, float]] = BANDS
) -> np.ndarray:
    """Log of the mean power spectral density in each band (unit**2 / Hz)."""
    return from_power(band_power(x, sfreq, bands), "psd", bands)


#: Length of the sub-windows whose band power :func:`envelope_variability` compares.
SUB_WINDOW_S = 0.5


def sub_window_samples(sfreq: float) -> int:
    """Samples per sub-window of :func:`envelope_variability` at ``sfreq``."""
    return max(1, int(round(SUB_WINDOW_S * sfreq)))


def envelope_fits(n_times: int, sfreq: float) -> bool:
    """Whether windows of ``n_times`` samples hold the two sub-windows
    :func:`envelope_variability` needs."""
    return n_times // sub_window_samples(sfreq) >= 2


def envelope_variability(
    x: np.ndarray, sfreq: float, bands: Mapping[str, tuple[float, float]] = BANDS
) -> np.ndarray:
    """How much each band's amplitude envelope moves inside a window.

    The window is cut into consecutive sub-windows of :data:`SUB_WINDOW_S` (the most
    recent samples kept when it does not divide evenly); the result is the standard
    deviation, over sub-windows, of the log band power of each. Slow amplitude modulation
    changes it at unchanged mean band power, which DE and covariances average away.

    Parameters
    ----------
    x : array, shape (..., n_times)
        Preprocessed windows; leading axes are kept.
    sfreq : float
        Sampling rate in Hz.
    bands : mapping
        Band name to ``(low, high)`` in Hz; each must hold a bin of a sub-window's FFT.

    Returns
    -------
    variability : array, shape (..., n_bands)

    Raises
    ------
    ValueError
        If the window holds fewer than two sub-windows, or a band no FFT bin of one.
    """
    x = np.asarray(x)
    sub = sub_window_samples(sfreq)
    n_sub = x.shape[-1] // sub
    if not envelope_fits(x.shape[-1], sfreq):
        raise ValueError(
            f"a window of {x.shape[-1]} samples at {sfreq:g} Hz holds fewer than two "
            f"{SUB_WINDOW_S:g}-s sub-windows"
        )
    pieces = x[..., x.shape[-1] - n_sub * sub :].reshape(*x.shape[:-1], n_sub, sub)
    power = band_power(pieces, sfreq, bands)
    log_power = np.log(np.maximum(power, np.finfo(power.dtype).tiny))
    return log_power.std(axis=-2)


def extract(
    x: np.ndarray,
    sfreq: float,
    kind: FeatureKind = "de",
    bands: Mapping[str, tuple[float, float]] = BANDS,
) -> np.ndarray:
    """Features of ``kind`` (``"de"`` or ``"psd"``) for windows ``x`` (..., n_times)."""
    return from_power(band_power(x, sfreq, bands), kind, bands)
