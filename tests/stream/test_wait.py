"""Waiting for samples instead of polling: the inlet wakes as a sample lands, and the run
loop waits on the stream whose window is due first."""

import threading
import time
import uuid

import numpy as np
import pylsl
import pytest

from tests.bundles import write_linear_bundle
from tests.outlets import make_outlet
from vaxis.decoder.channels import FACED_CHANNELS
from vaxis.stream.config import LiveConfig
from vaxis.stream.inlet import EegInlet, SharedResolution
from vaxis.stream.loop import LiveLoop
from vaxis.stream.runner import FAST_POLL_S, SLOW_POLL_S, pause

FS = 250.0
WINDOW = 250  # the linear bundle's 1-s window


@pytest.fixture
def bundle(tmp_path):
    return write_linear_bundle(tmp_path / "bundle")


def _ramp(n, first=0):
    """n samples whose every channel holds the sample's index, (n, n_channels)."""
    return np.repeat(np.arange(first, first + n, dtype=np.float32)[:, None], 32, axis=1)


def test_wait_wakes_as_a_sample_lands_and_the_next_pull_starts_with_it():
    name = f"wait-{uuid.uuid4().hex[:8]}"
    outlet = make_outlet(name)
    inlet = EegInlet(FACED_CHANNELS, name).connect(timeout=5)
    t0 = pylsl.local_clock()
    pushed = threading.Timer(0.3, lambda: outlet.push_chunk(_ramp(10).tolist(), t0))
    start = time.monotonic()
    pushed.start()
    inlet.wait(5.0)
    woke = time.monotonic() - start
    assert 0.25 <= woke < 1.5, f"woke after {woke:.2f} s, not as the chunk landed"
    inlet.wait(5.0)  # a sample is held already: at once
    assert time.monotonic() - start < woke + 0.1
    time.sleep(0.1)  # the rest of the chunk lands
    data, stamps = inlet.pull()
    np.testing.assert_array_equal(data[0], np.arange(10))  # every sample once, in order
    assert stamps.size == 10 and np.all(np.diff(stamps) > 0)
    start = time.monotonic()
    inlet.wait(0.2)  # nothing comes: the timeout
    assert 0.15 <= time.monotonic() - start < 1.0
    assert inlet.pull()[1].size == 0
    inlet.disconnect()
    start = time.monotonic()
    inlet.wait(0.1)  # not connected: a plain sleep, no spinning
    assert time.monotonic() - start >= 0.09


def _loop(bundle, outlet_name):
    loop = LiveLoop(LiveConfig(bundle=bundle, stream=outlet_name, zmq=None, connect_timeout=5))
    return loop.connect()


def _feed(loop, outlet, n, last_stamp):
    """Push ``n`` samples ending at ``last_stamp`` and let the loop pull them."""
    stamps = last_stamp - np.arange(n)[::-1] / FS
    outlet.push_chunk(_ramp(n).tolist(), stamps.tolist())
    deadline = time.monotonic() + 5
    while loop.summary.samples < n and time.monotonic() < deadline:
        loop.wait(0.05)
        loop.step()
    assert loop.summary.samples == n


def test_pause_waits_on_the_stream_due_first_and_polls_when_several_are_due(bundle):
    names = [f"pause-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    outlets = [make_outlet(n) for n in names]
    loops = [_loop(bundle, n) for n in names]
    try:
        now = pylsl.local_clock()
        _feed(loops[0], outlets[0], WINDOW - 11, now)  # due in 44 ms
        _feed(loops[1], outlets[1], WINDOW - 10, now)  # due in 40 ms
        _feed(loops[2], outlets[2], WINDOW - 1, now - 5.0)  # due 5 s ago: stalled
        waiting_on, timeout = pause(loops, now)
        assert waiting_on is loops[1] and timeout == SLOW_POLL_S
        # The next stream is due 9 ms later: the wait ends 2 ms before that.
        waiting_on, timeout = pause(loops, now + 0.035)
        assert waiting_on is loops[1] and timeout == pytest.approx(0.007, abs=1e-6)
        # Both due: poll, as waiting on one would hold up the other.
        waiting_on, timeout = pause(loops, now + 0.05)
        assert waiting_on is loops[1] and timeout == FAST_POLL_S
        # The stalled stream alone is left: wait on it, the slow way.
        waiting_on, timeout = pause(loops[2:], now)
        assert waiting_on is loops[2] and timeout == SLOW_POLL_S
        assert pause([], now) == (None, SLOW_POLL_S)
    finally:
        for loop in loops:
            loop.close()


def test_searches_at_once_share_one_resolution():
    name = f"shared-{uuid.uuid4().hex[:8]}"
    _outlet = make_outlet(name)
    resolution = SharedResolution()
    results = []

    def search():
        results.append({info.name for info in resolution.streams(0.5)})

    threads = [threading.Thread(target=search) for _ in range(8)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - start
    # One after another, eight resolutions of 0.5 s would take 4 s.
    assert took < 1.6, f"the eight searches took {took:.1f} s: they did not share"
    assert len(results) == 8 and all(name in found for found in results)
