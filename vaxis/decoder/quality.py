"""Signal-quality checks that make a window invalid rather than crash the decoder."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class QualityLimits:
    """Thresholds in microvolts.

    Attributes
    ----------
    flat_uv : float
        A channel whose standard deviation is below this is flat (disconnected).
    saturated_uv : float
        A channel whose absolute value reaches this is saturated (amplifier rail).
    """

    flat_uv: float = 0.05
    saturated_uv: float = 2500.0


DEFAULT_LIMITS = QualityLimits()


def check_windows(
    windows: np.ndarray, channels: list[str], limits: QualityLimits = DEFAULT_LIMITS
) -> tuple[np.ndarray, list[str | None]]:
    """Validity and reason of each window.

    Parameters
    ----------
    windows : array, shape (n_windows, n_channels, n_times), microvolts
    channels : list of str
        Names used in the reasons.

    Returns
    -------
    valid : array of bool, shape (n_windows,)
    reasons : list of str or None
        ``None`` for valid windows, else e.g. ``"flat: O1, O2"``.
    """
    windows = np.asarray(windows)
    finite = np.isfinite(windows).all(axis=-1)
    # NaN-aware statistics cost four times as much: only for windows that need them.
    std, peak = (np.std, np.max) if finite.all() else (np.nanstd, np.nanmax)
    with np.errstate(invalid="ignore"):
        flat = std(windows, axis=-1) < limits.flat_uv
        saturated = peak(np.abs(windows), axis=-1) >= limits.saturated_uv
    valid = np.ones(windows.shape[0], dtype=bool)
    reasons: list[str | None] = [None] * windows.shape[0]
    for i in np.flatnonzero(~finite.all(axis=1) | flat.any(axis=1) | saturated.any(axis=1)):
        parts = []
        for label, mask in (("non-finite", ~finite[i]), ("flat", flat[i] & finite[i]),
                            ("saturated", saturated[i] & finite[i])):  # fmt: skip
            if mask.any():
                parts.append(f"{label}: {', '.join(np.asarray(channels)[mask])}")
        valid[i] = False
        reasons[i] = "; ".join(parts)
    return valid, reasons
