"""What a calibration session is told: :class:`CalibrationConfig`, the one source of its
defaults (``vaxis calibrate`` takes its option defaults from here). This module imports
nothing but the standard library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from vaxis.errors import ConfigError


@dataclass(kw_only=True)
class CalibrationConfig:
    """A calibration session; ``vaxis calibrate`` takes its defaults from here.

    Parameters
    ----------
    bundle : path
        The bundle the profile is for.
    participant : str
        The participant id, written into the profile.
    out : path
        The profile directory (``profiles/ID/``); recordings are written there too.
    stream, stype, source_id : str, optional
        How to find the EEG stream: its name, type or source id (at least one, to record).
    markers : str, optional
        The name of the LSL marker stream the experiment software sends.
    protocol : path, optional
        A protocol file: vaxis sends the markers itself (instead of ``markers``).
    duration : float, optional
        Seconds after which recording stops; at ``session/end`` by default.
    connect_timeout : float
        Seconds to wait for each stream at start-up (10).
    """

    bundle: str | Path
    participant: str
    out: str | Path
    stream: str | None = None
    stype: str | None = None
    source_id: str | None = None
    markers: str | None = None
    protocol: str | Path | None = None
    duration: float | None = None
    connect_timeout: float = 10.0

    def check(self) -> CalibrationConfig:
        """Refuse a value no session can honour, naming the parameter; return ``self``."""
        if not str(self.participant).strip():
            raise ConfigError("participant must be a non-empty id")
        if self.duration is not None and not _seconds(self.duration, positive=True):
            raise ConfigError(
                f"duration must be a positive number of seconds, got {self.duration!r}"
            )
        if not _seconds(self.connect_timeout, positive=False):
            raise ConfigError(
                f"connect_timeout must be a number of seconds >= 0, got {self.connect_timeout!r}"
            )
        return self


def _seconds(value: object, positive: bool) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return False
    return value > 0 if positive else value >= 0
