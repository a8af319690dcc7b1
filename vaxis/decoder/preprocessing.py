"""Window-local preprocessing, identical offline and live.

Every step acts on one window at a time (re-reference, detrend), so there is no filter
state to keep in step between training and a live stream, and a window decoded live
equals the same window decoded from a file. Band selection happens in the FFT of the
feature step; the raw-window members learn their own filters.
"""

from __future__ import annotations

import numpy as np
from scipy import signal


def preprocess(windows: np.ndarray, reference: str = "average", detrend: str = "linear"):
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
    if detrend != "none":
        out = signal.detrend(out, axis=-1, type=detrend, overwrite_data=reference == "average")
    return out.astype(np.float32, copy=False)
