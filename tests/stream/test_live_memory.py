"""The live loop holds the same memory however many windows it decodes."""

import tracemalloc
import uuid

import numpy as np

from tests.bundles import write_linear_bundle
from tests.outlets import make_outlet
from vaxis.decoder.channels import FACED_CHANNELS
from vaxis.stream.config import LiveConfig
from vaxis.stream.loop import LiveLoop
from vaxis.stream.summary import LatencyRing
from vaxis.stream.windows import Window


def test_latency_ring_keeps_the_last_values_and_their_percentiles():
    ring = LatencyRing(100)
    assert ring.percentiles() == {"p50": None, "p95": None, "p99": None}
    for latency in range(1000):
        ring.append(float(latency))
    assert len(ring) == 100 and sorted(ring.values) == list(range(900, 1000))
    expected = np.percentile(np.arange(900, 1000), [50, 95, 99])
    assert list(ring.percentiles().values()) == [round(float(v), 3) for v in expected]


def test_decoding_many_windows_does_not_grow_memory(tmp_path):
    """A deque of Python floats grew 32 bytes a window (a few MB an hour on four streams,
    over the hours it took to fill); the summary's latencies now cost nothing per window."""
    bundle = write_linear_bundle(tmp_path / "bundle")
    name = f"eeg-{uuid.uuid4().hex[:8]}"
    _outlet = make_outlet(name)
    loop = LiveLoop(LiveConfig(bundle=bundle, stream=name, zmq=None)).connect()
    rng = np.random.default_rng(0)
    batch = [
        Window(rng.normal(0, 10, (len(FACED_CHANNELS), 250)).astype(np.float32), 0.0, 1.0, False)
        for _ in range(100)
    ]
    tracemalloc.start()
    try:
        for _ in range(30):  # past the status ring's 2000 windows: everything allocated
            loop.decode(batch, 0.0)
        settled, _ = tracemalloc.get_traced_memory()
        for _ in range(200):
            loop.decode(batch, 0.0)
        grown = tracemalloc.get_traced_memory()[0] - settled
    finally:
        tracemalloc.stop()
        loop.close()
    assert loop.summary.windows == 23_000 and len(loop.summary.latency_ms) == 23_000
    assert loop.summary.percentiles()["p50"] is not None
    assert grown < 200_000, f"{grown} bytes more after 20,000 windows"
