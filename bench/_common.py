"""Small helpers shared by the benchmarks: timing, machine facts, writing results."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def loopback_port() -> int:
    """A random port between 20000 and 32000 for a loopback ZeroMQ endpoint: below the
    kernel's ephemeral range, where liblsl's reconnecting inlets and other bind-to-any-port
    sockets never land (the port above it is as safe, for a second endpoint)."""
    return 20000 + uuid.uuid4().int % 12000


def machine_info() -> dict:
    """Facts about the machine a figure was measured on."""
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def timed(func: Callable[[], object]) -> tuple[float, object]:
    """Wall-clock seconds of one call of ``func`` and what it returned."""
    start = time.perf_counter()
    out = func()
    return time.perf_counter() - start, out


def median_time(func: Callable[[], object], repeat: int = 3) -> tuple[float, list[float]]:
    """Median and all wall-clock seconds of ``repeat`` calls of ``func``."""
    times = [timed(func)[0] for _ in range(repeat)]
    return statistics.median(times), times


def target(
    name: str,
    measured: float,
    unit: str,
    goal: str,
    met: bool,
    baseline: float | None = None,
    ratio: float | None = None,
) -> dict:
    """One row of a result's ``targets`` list, as ``bench/run_all.py`` tabulates it."""
    return {
        "name": name,
        "measured": measured,
        "unit": unit,
        "target": goal,
        "baseline": baseline,
        "ratio": ratio,
        "met": bool(met),
    }


def write_result(name: str, result: dict) -> Path:
    """Write ``result`` plus machine facts to ``bench/results/<name>.json``; return the path."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, **result, "machine": machine_info()}
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path
