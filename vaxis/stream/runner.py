"""Running live loops: one thread steps every loop, decodes the windows due across them
together, then waits on the stream due next; :func:`run_live` and :func:`run_live_many` are
the entry points.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from vaxis.decoder.pipeline import Decoder
from vaxis.errors import ConfigError
from vaxis.stream.config import LiveConfig
from vaxis.stream.loop import Callback, LiveLoop, decode_due
from vaxis.stream.publishers import ZmqPublisher
from vaxis.stream.summary import LiveSummary

__all__ = ["pause", "run_live", "run_live_many", "run_loops"]


#: Waiting: how long at most, how long while several windows are due at once, how long
#: before a window is due another stream's wait ends, and how overdue a stream is stalled.
SLOW_POLL_S, FAST_POLL_S, LEAD_S, LATE_S = 0.01, 0.0005, 0.002, 0.1


def pause(loops: Sequence[LiveLoop], now: float) -> tuple[LiveLoop | None, float]:
    """The loop to wait on before the next pass (``None``: sleep), and for how long.

    Only the chunk that completes a window is urgent, and polling costs CPU for nothing
    (a pass takes about 10 µs per stream when nothing arrived). So the thread waits on
    the stream whose window is due first (its last timestamp plus the samples it still
    needs at the nominal rate): liblsl wakes it as a sample lands (:meth:`LiveLoop.wait`),
    and one stream is decoded the moment its window completes, without polling. The wait
    lasts up to ``SLOW_POLL_S``, or until ``LEAD_S`` before the next stream's window is
    due; while two or more are due at once, ``FAST_POLL_S`` (waiting on one would hold up
    the others). A stream more than ``LATE_S`` overdue (stalled) comes last.
    """
    dues: list[tuple[float, int, LiveLoop]] = []
    for loop in loops:
        if loop.state == "connected" and (due := loop.next_due()) is not None:
            dues.append((due if now - due < LATE_S else math.inf, len(dues), loop))
    if not dues:
        return None, SLOW_POLL_S
    dues.sort(key=lambda entry: entry[:2])
    first = dues[0][2]
    if len(dues) == 1 or dues[1][0] == math.inf:
        return first, SLOW_POLL_S
    until_next = dues[1][0] - LEAD_S - now
    return first, min(until_next, SLOW_POLL_S) if until_next > 0 else FAST_POLL_S


def run_loops(
    loops: Sequence[LiveLoop],
    stop: threading.Event | None = None,
    duration: float | None = None,
    workers: int = 1,
) -> list[LiveSummary]:
    """Connect every loop (those not yet connected), then step them in turn in this thread
    until stopped; close them all at the end, whatever happened.

    Each pass pulls every stream, then decodes the windows due across streams together
    (:func:`decode_due`), then waits as :func:`pause` says (until a sample lands, at most
    ``SLOW_POLL_S``).

    Parameters
    ----------
    loops : sequence of LiveLoop
    stop : threading.Event, optional
        Set it (from a signal handler or another thread) to stop within one wait.
    duration : float, optional
        Seconds to run after connecting.
    workers : int
        Threads that decode (1: this thread alone). More help only when many streams
        share a bundle and one core cannot keep up.
    """
    from pylsl import local_clock
    from threadpoolctl import threadpool_limits

    stop = stop or threading.Event()
    # Windows are small: BLAS threads would only spin-wait between them, costing most of a
    # core per process (measured: 45 % of one core at hop 0.25 s). One thread is faster.
    limits = threadpool_limits(limits=1, user_api="blas")
    pool = ThreadPoolExecutor(workers, "vaxis-decode") if workers > 1 else None
    try:
        _connect_all(loops, stop)
        start = time.monotonic()
        while not stop.is_set():
            if duration and time.monotonic() - start >= duration:
                break
            for loop in loops:
                loop._pass()
            decode_due(loops, pool, workers)
            waiting_on, timeout = pause(loops, local_clock())
            if waiting_on is None:
                time.sleep(timeout)
            else:
                waiting_on.wait(timeout)
        return [loop.summary for loop in loops]
    finally:
        # In this thread: the loops may share a ZeroMQ socket. Destroying an mne-lsl inlet
        # waits half a second inside liblsl: they close in the background, so that a stop
        # request ends the run at once.
        for loop in loops:
            loop.close(wait=False)
        if pool is not None:
            pool.shutdown(wait=False)
        limits.restore_original_limits()


def _connect_all(loops: Sequence[LiveLoop], stop: threading.Event) -> None:
    """Open every loop in this thread (they may share a ZeroMQ socket), then connect their
    inlets at once: opening one takes about half a second inside liblsl. The first
    failure (a stream not found, channels missing) is raised; a stop request ends the
    search for streams."""
    decoders: dict[tuple, Decoder] = {}
    for loop in loops:
        loop._open(decoders)
    with ThreadPoolExecutor(max_workers=min(len(loops), 16)) as pool:
        connecting = [pool.submit(loop._connect_inlet, stop) for loop in loops]
        found = [done.result() for done in connecting]
    for loop, new in zip(loops, found, strict=True):
        if new:
            loop._connected()


def run_live(
    config: LiveConfig,
    stop: threading.Event | None = None,
    on_prediction: Callback | None = None,
    on_status: Callback | None = None,
) -> LiveSummary:
    """Decode one LSL stream with a bundle until stopped; see :class:`LiveLoop`."""
    return LiveLoop(config, on_prediction, on_status).run(stop)


def run_live_many(
    configs: Sequence[LiveConfig],
    stop: threading.Event | None = None,
    on_prediction: Callback | None = None,
    on_status: Callback | None = None,
) -> list[LiveSummary]:
    """Decode several streams in one thread of one process, one publisher for all.

    Messages say which stream they belong to (``stream``). The ZeroMQ endpoint, duration,
    high-water mark and decode workers of the first config apply to all; each config names
    its own stream, bundle, profile and LSL outlet. Streams that share a bundle (and
    profile) share one onnxruntime session, and their windows due together are decoded in
    one run of the graph.
    """
    if not configs:
        raise ConfigError("configs is empty: no streams to decode")
    first = configs[0]
    for config in configs:
        config.check()
    publisher = ZmqPublisher(first.zmq, first.hwm, first.allow_remote) if first.zmq else None
    try:
        loops = [LiveLoop(c, on_prediction, on_status, zmq_publisher=publisher) for c in configs]
        return run_loops(loops, stop, first.duration, first.workers)
    finally:
        if publisher:
            publisher.close()
