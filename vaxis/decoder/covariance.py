"""Band spatial covariances of EEG windows and their Riemannian tangent vectors.

The covariance of two channels inside a band comes from the windows' real FFT, as the
band power of :mod:`vaxis.decoder.features` does: an ideal band-pass keeps the bins inside
the band, and by Parseval's theorem the covariance of what it keeps is
``sum_k w_k Re(X_ik conj(X_jk))`` with the weights of :func:`~vaxis.decoder.features.band_matrix`.
The diagonal of a band's covariance is therefore exactly that band's power.

An average-referenced window has rank ``n_channels - 1``, and a narrow band of a short
window holds fewer FFT bins than channels, so every covariance is shrunk toward the scaled
identity with a fixed coefficient (stored in the bundle) to stay symmetric positive definite.

The tangent vector of a covariance ``C`` at the reference ``C_ref`` (the training
population's Riemannian mean) is the upper triangle of ``logm(C_ref^-1/2 C C_ref^-1/2)``
with the off-diagonal entries times ``sqrt(2)``: pyriemann's ``TangentSpace(metric="riemann")``,
in numpy alone so the live path stays lean.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache

import numpy as np
from scipy import fft as sp_fft

from vaxis.decoder.features import BANDS, band_matrix

#: Default shrinkage toward the scaled identity.
DEFAULT_SHRINKAGE = 0.1

_TINY = np.finfo(np.float64).tiny

#: Windows per block of :func:`spectra`, which bounds the spectra's memory.
_BLOCK = 32


def spectra(x: np.ndarray) -> Iterator[tuple[slice, np.ndarray]]:
    """The real FFT of windows ``x`` (n_windows, ..., n_times) along time, float64, in
    blocks of windows that bound its memory: (rows of ``x``, spectrum) pairs, one at least
    (an empty one for no windows)."""
    for start in range(0, max(len(x), 1), _BLOCK):
        rows = slice(start, start + _BLOCK)
        # One thread: a live window's FFT is shorter than handing it to a pool.
        yield rows, sp_fft.rfft(x[rows].astype(np.float64, copy=False), axis=-1)


def n_pairs(n_channels: int) -> int:
    """Length of a tangent vector of ``n_channels x n_channels`` matrices."""
    return n_channels * (n_channels + 1) // 2


@lru_cache(maxsize=16)
def _band_bins(
    n_times: int, sfreq: float, bands: tuple[tuple[float, float], ...]
) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Per band: the FFT bins inside it and the square roots of their weights."""
    weights = band_matrix(n_times, sfreq, {str(i): band for i, band in enumerate(bands)})
    out = []
    for column in weights.T:
        bins = np.flatnonzero(column)
        out.append((bins, np.sqrt(column[bins])))
    return tuple(out)


def band_covariances(
    x: np.ndarray,
    sfreq: float,
    bands: Mapping[str, tuple[float, float]] = BANDS,
    shrinkage: float = DEFAULT_SHRINKAGE,
) -> np.ndarray:
    """Spatial covariance of ``x`` inside each band, shrunk toward the scaled identity.

    Parameters
    ----------
    x : array, shape (n_windows, n_channels, n_times)
        Preprocessed windows.
    sfreq : float
        Sampling rate in Hz.
    bands : mapping
        Band name to ``(low, high)`` in Hz, half-open.
    shrinkage : float
        Coefficient ``s`` of ``(1 - s) C + s trace(C) / n_channels I``, in ``[0, 1)``.
        With ``s = 0`` the diagonal equals :func:`~vaxis.decoder.features.band_power`.

    Returns
    -------
    covariances : float64 array, shape (n_windows, n_bands, n_channels, n_channels)
    """
    x = np.asarray(x)
    n_windows, n_channels, n_times = x.shape
    out = np.empty((n_windows, len(bands), n_channels, n_channels))
    for rows, spectrum in spectra(x):  # once at least: checks the arguments
        out[rows] = spectrum_covariances(spectrum, n_times, sfreq, bands, shrinkage)
    return out


def spectrum_covariances(
    spectrum: np.ndarray,
    n_times: int,
    sfreq: float,
    bands: Mapping[str, tuple[float, float]] = BANDS,
    shrinkage: float = DEFAULT_SHRINKAGE,
) -> np.ndarray:
    """:func:`band_covariances` of windows of ``n_times`` samples from their real FFT
    ``spectrum`` (n_windows, n_channels, n_freqs), float64."""
    if not 0.0 <= shrinkage < 1.0:
        raise ValueError(f"shrinkage {shrinkage} is not in [0, 1)")
    n_windows, n_channels = spectrum.shape[:2]
    bins = _band_bins(n_times, float(sfreq), tuple(tuple(map(float, b)) for b in bands.values()))
    out = np.empty((n_windows, len(bins), n_channels, n_channels))
    for j, (inside, scale) in enumerate(bins):
        kept = spectrum[..., inside] * scale
        stacked = np.concatenate([kept.real, kept.imag], axis=-1)
        out[:, j] = stacked @ stacked.transpose(0, 2, 1)
    if shrinkage:
        mu = np.trace(out, axis1=-2, axis2=-1) / n_channels
        out *= 1.0 - shrinkage
        diagonal = np.arange(n_channels)
        out[..., diagonal, diagonal] += (shrinkage * mu)[..., None]
    return out


def _powm(matrices: np.ndarray, func) -> np.ndarray:
    """``func`` of symmetric matrices through their eigendecomposition."""
    values, vectors = np.linalg.eigh(matrices)
    return (vectors * func(values)[..., None, :]) @ np.swapaxes(vectors, -1, -2)


@lru_cache(maxsize=4)
def _upper_index(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, cols = np.triu_indices(n)
    return rows, cols, np.where(rows == cols, 1.0, np.sqrt(2.0))


def upper(matrices: np.ndarray) -> np.ndarray:
    """Upper triangles (row by row) of symmetric matrices, off-diagonals times sqrt(2)."""
    rows, cols, weights = _upper_index(matrices.shape[-1])
    return matrices[..., rows, cols] * weights


class TangentSpaceMap:
    """Maps windows to band-covariance tangent vectors at a fixed reference.

    Parameters
    ----------
    reference : array, shape (n_bands, n_channels, n_channels)
        Symmetric positive definite reference of each band.
    shrinkage : float
        Shrinkage of :func:`band_covariances`.
    bands : mapping
        Band name to ``(low, high)`` in Hz, one per reference matrix.

    Attributes
    ----------
    inv_sqrt_ : array, shape (n_bands, n_channels, n_channels)
        ``reference ** -1/2``, computed once.
    """

    def __init__(
        self,
        reference: np.ndarray,
        shrinkage: float = DEFAULT_SHRINKAGE,
        bands: Mapping[str, tuple[float, float]] = BANDS,
    ):
        self.reference = np.asarray(reference, dtype=np.float64)
        self.shrinkage = float(shrinkage)
        self.bands = {k: (float(v[0]), float(v[1])) for k, v in bands.items()}
        ref = self.reference
        if not 0.0 <= self.shrinkage < 1.0:
            raise ValueError(f"shrinkage {shrinkage} is not in [0, 1)")
        if not self.bands:
            raise ValueError("no bands")
        if ref.ndim != 3 or ref.shape[1] != ref.shape[2] or ref.shape[0] != len(self.bands):
            raise ValueError(
                f"reference of shape {ref.shape} is not (n_bands={len(self.bands)}, "
                "n_channels, n_channels)"
            )
        if not np.allclose(ref, np.swapaxes(ref, 1, 2), rtol=1e-10, atol=0.0):
            raise ValueError("reference matrices are not symmetric")
        if np.linalg.eigvalsh(ref).min() <= 0:
            raise ValueError("reference matrices are not positive definite")
        self.inv_sqrt_ = _powm(ref, lambda w: 1.0 / np.sqrt(w))

    @property
    def n_channels(self) -> int:
        return self.reference.shape[1]

    def covariances(self, x: np.ndarray, sfreq: float) -> np.ndarray:
        """:func:`band_covariances` of preprocessed windows with this map's bands and
        shrinkage."""
        return band_covariances(x, sfreq, self.bands, self.shrinkage)

    def tangent(self, covariances: np.ndarray) -> np.ndarray:
        """Tangent vectors of band covariances (n_windows, n_bands, n, n), shape
        (n_windows, n_bands, n * (n + 1) / 2), float64."""
        whitened = self.inv_sqrt_ @ np.asarray(covariances, dtype=np.float64) @ self.inv_sqrt_
        # An all-zero window (an invalid one, zeroed live) has no logarithm; floor it.
        return upper(_powm(whitened, lambda w: np.log(np.maximum(w, _TINY))))

    def transform(self, x: np.ndarray, sfreq: float) -> np.ndarray:
        """Tangent vectors of preprocessed windows (n_windows, n_channels, n_times)."""
        return self.tangent(self.covariances(x, sfreq))

    def from_spectrum(self, spectrum: np.ndarray, n_times: int, sfreq: float) -> np.ndarray:
        """:meth:`transform` of windows of ``n_times`` samples from their real FFT
        (n_windows, n_channels, n_freqs), float64."""
        return self.tangent(spectrum_covariances(spectrum, n_times, sfreq, self.bands,
                                                 self.shrinkage))  # fmt: skip
