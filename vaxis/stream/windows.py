"""Cutting a live stream into hop-aligned windows on sample counts, with gap detection."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Window:
    """One window: samples (n_channels, n) in microvolts, LSL times of its first and last
    sample, and ``gap`` when the timestamps inside it jump (dropped samples, clock reset)."""

    data: np.ndarray
    t_start: float
    t_end: float
    gap: bool


class Windower:
    """Emit a window of ``window`` samples each time ``hop`` new samples have arrived.

    Windows end at sample counts ``window + k * hop`` since the stream (re)started, so their
    grid never depends on when the loop happens to run. A step between consecutive
    timestamps larger than one sample period plus ``tolerance`` seconds, or going back by
    more than ``tolerance``, is a gap; a window holding one is flagged.
    """

    def __init__(self, window: int, hop: int, sfreq: float, tolerance: float = 0.05):
        self.window, self.hop, self.sfreq, self.tolerance = window, hop, sfreq, tolerance
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new stream or a reconnection)."""
        self.total = 0
        self.data: np.ndarray | None = None
        self.stamps = np.empty(0)
        self.jumps = np.empty(0, dtype=bool)
        self.gaps = 0

    def _next_end(self, first: int) -> int:
        """The first window end (exclusive sample count) after ``first`` samples."""
        end = max(self.window, first + 1)
        offset = (end - self.window) % self.hop
        return end + (self.hop - offset if offset else 0)

    def due(self) -> float | None:
        """LSL time at which the next window's last sample is expected, from the last
        timestamp and the nominal rate; ``None`` before the first sample."""
        if not self.stamps.size:
            return None
        return float(self.stamps[-1]) + (self._next_end(self.total) - self.total) / self.sfreq

    def push(self, data: np.ndarray, stamps: np.ndarray) -> list[Window]:
        """Add samples (n_channels, n) with their timestamps; return completed windows."""
        n = stamps.size
        if n == 0:
            return []
        previous = self.stamps[-1:] if self.stamps.size else stamps[:1]
        steps = np.diff(np.concatenate([previous, stamps]))
        period = 1.0 / self.sfreq
        jumps = (steps > period + self.tolerance) | (steps < -self.tolerance)
        self.gaps += int(jumps.sum())
        keep = self.window + n
        self.data = data if self.data is None else np.concatenate([self.data, data], axis=1)
        self.data = self.data[:, -keep:]
        self.stamps = np.concatenate([self.stamps, stamps])[-keep:]
        self.jumps = np.concatenate([self.jumps, jumps])[-keep:]
        first, self.total = self.total, self.total + n
        windows = []
        # Window ends (exclusive sample counts) that fall within the new samples.
        end = self._next_end(first)
        while end <= self.total:
            stop = self.stamps.size - (self.total - end)
            start = stop - self.window
            windows.append(Window(
                self.data[:, start:stop], float(self.stamps[start]), float(self.stamps[stop - 1]),
                bool(self.jumps[start + 1 : stop].any()),
            ))  # fmt: skip
            end += self.hop
        return windows
