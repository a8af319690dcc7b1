"""Cutting continuous EEG into windows on sample counts."""

from __future__ import annotations

from fractions import Fraction

import numpy as np


def n_windows(n_times: int, window: int, hop: int) -> int:
    """Number of full windows of ``window`` samples every ``hop`` samples."""
    if window <= 0 or hop <= 0:
        raise ValueError(f"window and hop must be positive, got {window} and {hop}")
    return 0 if n_times < window else 1 + (n_times - window) // hop


def window_starts(n_times: int, window: int, hop: int) -> np.ndarray:
    """First sample of each full window."""
    return np.arange(n_windows(n_times, window, hop)) * hop


def cut(x: np.ndarray, window: int, hop: int) -> np.ndarray:
    """Windows of ``x`` along its last axis, as a read-only view.

    Parameters
    ----------
    x : array, shape (..., n_times)
    window, hop : int
        Window length and hop in samples.

    Returns
    -------
    windows : array, shape (..., n_windows, window)
        Leading axes of ``x`` are kept; the window axis comes before the sample axis.
    """
    count = n_windows(x.shape[-1], window, hop)
    if count == 0:
        empty = np.empty((*x.shape[:-1], 0, window), dtype=x.dtype)
        empty.flags.writeable = False
        return empty
    view = np.lib.stride_tricks.sliding_window_view(x, window, axis=-1)
    return view[..., : (count - 1) * hop + 1 : hop, :]


def seconds_to_samples(seconds: float, sfreq: float) -> int:
    """Round a duration to whole samples, refusing durations shorter than one sample."""
    samples = int(round(seconds * sfreq))
    if samples < 1:
        raise ValueError(f"{seconds} s is shorter than one sample at {sfreq} Hz")
    return samples


def resampler(stream_sfreq: float, bundle_sfreq: float, n_out: int):
    """Window-wise polyphase resampling from a stream's rate to a bundle's (stateless:
    windows are independent), returning ``n_out`` samples; ``None`` when the rates match."""
    if stream_sfreq == bundle_sfreq:
        return None
    from scipy.signal import resample_poly

    ratio = Fraction(bundle_sfreq / stream_sfreq).limit_denominator(1000)

    def resample(x: np.ndarray) -> np.ndarray:
        y = resample_poly(x, ratio.numerator, ratio.denominator, axis=-1)
        if y.shape[-1] < n_out:
            y = np.pad(y, [(0, 0)] * (y.ndim - 1) + [(0, n_out - y.shape[-1])], mode="edge")
        return y[..., :n_out].astype(np.float32)

    return resample
