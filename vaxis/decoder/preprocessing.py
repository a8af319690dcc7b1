"""Window-local preprocessing, identical offline and live.

Every step acts on one window at a time (re-reference, detrend), so there is no filter
state to keep in step between training and a live stream, and a window decoded live
equals the same window decoded from a file. Band selection happens in the FFT of the
feature step; the raw-window members learn their own filters.
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np

#: Re-referencing: the common average over the window's channels, or none.
Reference = Literal["average", "none"]
#: Detrending of each channel: remove a straight line, the mean, or nothing.
Detrend = Literal["linear", "constant", "none"]

REFERENCES: tuple[Reference, ...] = get_args(Reference)
DETRENDS: tuple[Detrend, ...] = get_args(Detrend)


def preprocess(windows: np.ndarray, reference: Reference = "average", detrend: Detrend = "linear"):
    """Re-reference and detrend windows.

    Parameters
    ----------
    windows : array, shape (..., n_channels, n_times)
    reference : {"average", "none"}
        Common average reference over the window's channels, or none.
    detrend : {"linear", "constant", "none"}
        Per channel: remove a straight line, the mean, or nothing.

    Returns
    -------
    windows : array, float32, same shape
    """
    out = np.asarray(windows, dtype=np.float32)
    if reference == "average":
        out = out - out.mean(axis=-2, keepdims=True)
    elif reference != "none":
        raise ValueError(f"unknown reference {reference!r}")
    if detrend == "linear":
        out = _remove_line(out)
    elif detrend == "constant":
        out = out - out.mean(axis=-1, keepdims=True)
    elif detrend != "none":
        raise ValueError(f"unknown detrend {detrend!r}")
    return out.astype(np.float32, copy=False)


def _remove_line(x: np.ndarray) -> np.ndarray:
    """Subtract each channel's least-squares line, in closed form: with centred sample
    times the intercept is the mean and the slope ``<x, t> / <t, t>`` (what
    ``scipy.signal.detrend(type="linear")`` computes with a general solver, 4x slower
    on a live window)."""
    n = x.shape[-1]
    t = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
    slope = (x @ t.astype(x.dtype)) / float(t @ t)
    return x - x.mean(axis=-1, keepdims=True) - slope[..., None] * t.astype(x.dtype)
