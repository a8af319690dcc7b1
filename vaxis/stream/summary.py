"""What a live run reports: its counters and latencies, in memory that never grows."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["LatencyRing", "LiveSummary"]

#: Latencies a run keeps for its summary: the last windows' only, so that a run of days
#: holds a bounded amount of memory (100,000 windows: about 7 hours at hop 0.25 s).
SUMMARY_LATENCIES = 100_000

#: Latencies behind the percentiles of each status message.
STATUS_LATENCIES = 2000


class LatencyRing:
    """The last ``size`` latencies (ms), in an array allocated and written in full up front.

    A deque of Python floats would take about 32 bytes a window until it is full: some
    hours at a quarter-second hop, which shows as memory growth in a long run. This array
    costs 8 bytes a slot from the first window on, and never grows.
    """

    def __init__(self, size: int):
        self.values = np.full(size, np.nan)
        self.count = 0

    def append(self, latency: float) -> None:
        self.values[self.count % self.values.size] = latency
        self.count += 1

    def __len__(self) -> int:
        return min(self.count, self.values.size)

    def percentiles(self) -> dict[str, float | None]:
        """p50, p95 and p99 of the latencies held (``None`` before the first)."""
        if not len(self):
            return {"p50": None, "p95": None, "p99": None}
        values = np.percentile(self.values[: len(self)], [50, 95, 99])
        return {k: round(float(v), 3) for k, v in zip(("p50", "p95", "p99"), values, strict=True)}


@dataclass
class LiveSummary:
    """Counters of a finished run, and the latencies (ms) of its last
    :data:`SUMMARY_LATENCIES` windows."""

    windows: int = 0
    invalid: int = 0
    gaps: int = 0
    dropped: int = 0
    sent: int = 0
    reconnects: int = 0
    samples: int = 0
    latency_ms: LatencyRing = field(default_factory=lambda: LatencyRing(SUMMARY_LATENCIES))

    def percentiles(self) -> dict[str, float | None]:
        return self.latency_ms.percentiles()
