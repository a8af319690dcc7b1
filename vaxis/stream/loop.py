"""The live loop: LSL inlet -> windows -> decoder -> ZeroMQ / LSL publishers.

It reads as a chain of small steps, each with one job: the inlet hands over new samples,
the windower cuts hop-aligned windows on sample counts, the decoder (onnxruntime) predicts,
the publishers send. Everything is timed on the LSL clock. A stream that stops delivering
is reported ``stalled``; the connection is kept (liblsl recovers a source that has a source
id) while a background thread looks for another source answering the same query. A source
that is gone for good, or replaced, is reported ``disconnected`` and resolved again in the
background, so other streams decoded by the same process carry on, until it (or a new source
with the same name) returns.

:func:`run_live` decodes one stream; :func:`run_live_many` decodes several in one thread
of one process, sharing one ZeroMQ publisher.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vaxis.decoder.bundle import load_bundle
from vaxis.decoder.integrity import rehearse
from vaxis.decoder.pipeline import Decoder
from vaxis.decoder.windows import resampler, seconds_to_samples
from vaxis.errors import StreamError
from vaxis.stream import messages
from vaxis.stream.inlet import EegInlet
from vaxis.stream.publishers import LslPublisher, ZmqPublisher
from vaxis.stream.windows import Window, Windower

#: Seconds the mne-lsl ring buffer holds. The loop copies new samples out on every pass, so
#: this only has to outlast the longest pass (a longer stall shows as a gap); mne-lsl rolls
#: the whole buffer on each pull, so a short one is cheaper.
BUFFER_S = 3.0


@dataclass
class LiveConfig:
    """What ``vaxis live`` is told. ``window_s``/``hop_s`` default to the bundle's."""

    bundle: Path
    stream: str | None = None
    stype: str | None = None
    source_id: str | None = None
    profile: Path | None = None
    zmq: str | None = "tcp://127.0.0.1:5556"
    lsl_out: str | None = None
    window_s: float | None = None
    hop_s: float | None = None
    duration: float | None = None
    connect_timeout: float = 5.0
    stale_s: float = 1.0
    status_every: float = 1.0
    threads: int = 1
    hwm: int = 1000
    allow_remote: bool = False


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


class LiveLoop:
    """One stream decoded with one bundle. Call :meth:`run` (blocking) or :meth:`step`."""

    def __init__(
        self,
        config: LiveConfig,
        on_prediction: Callable[[dict], None] | None = None,
        on_status: Callable[[dict], None] | None = None,
        publisher: ZmqPublisher | None = None,
    ):
        from pylsl import local_clock

        self.clock = local_clock
        self.config = config
        self.bundle = load_bundle(config.bundle)
        stats, model = None, None
        if config.profile:
            from vaxis.decoder.profile import load_profile

            profile = load_profile(config.profile)
            profile.check_bundle(self.bundle)
            stats, model = profile.stats, profile.model_path
        self.decoder = Decoder(self.bundle, stats=stats, model=model, threads=config.threads)
        rehearse(self.decoder, len(self.bundle.channels), self.bundle.window_samples)
        self.window_s = config.window_s or self.bundle.window_samples / self.bundle.sfreq
        self.hop_s = config.hop_s or self.bundle.hop_samples / self.bundle.sfreq
        if seconds_to_samples(self.window_s, self.bundle.sfreq) != self.bundle.window_samples:
            trained = self.bundle.window_samples / self.bundle.sfreq
            raise StreamError(
                f"--window {self.window_s} s does not match the bundle's {trained:g} s"
            )
        self.inlet = EegInlet(self.bundle.channels, config.stream, config.stype, config.source_id,
                              bufsize=BUFFER_S)  # fmt: skip
        # A shared publisher belongs to whoever made it (run_live_many), not to this loop.
        self.owns_zmq = publisher is None
        self.zmq = publisher or (
            ZmqPublisher(config.zmq, config.hwm, config.allow_remote) if config.zmq else None
        )
        self.lsl = LslPublisher(config.lsl_out, self.bundle.classes) if config.lsl_out else None
        self.on_prediction, self.on_status = on_prediction, on_status
        self.summary = LiveSummary()
        self.recent = LatencyRing(STATUS_LATENCIES)
        self.state = "connecting"
        self.windower: Windower | None = None
        self.seq = 0
        self.model_id = self.bundle.model_id
        self._last_data = self._last_status = self._last_try = 0.0
        self._samples_since_status = 0
        self.sfreq_effective = 0.0
        self.last_prediction: dict | None = None
        self._resolver: threading.Thread | None = None
        self._search: threading.Thread | None = None
        self._replacement = False
        self._closed = False
        #: The first sample received and its LSL time: replay uses it to place windows in
        #: the file it plays.
        self.first: tuple[np.ndarray, float] | None = None

    # -- steps ------------------------------------------------------------------------------

    def connect(self, timeout: float, stop: threading.Event | None = None) -> None:
        """Connect the inlet and set up windows at the stream's rate; give up as soon as
        ``stop`` is set."""
        self.inlet.connect(timeout, stop)
        if self.inlet.stream is not None:
            self.connected()

    def connected(self) -> None:
        """Set up windows at the rate of the stream the inlet just connected to."""
        fs = self.inlet.sfreq
        self.windower = Windower(seconds_to_samples(self.window_s, fs),
                                 seconds_to_samples(self.hop_s, fs), fs)  # fmt: skip
        self.resample = resampler(fs, self.bundle.sfreq, self.bundle.window_samples)
        self.state = "connected"
        self._last_data = self.clock()
        self.publish_status()

    def decode(self, windows: list[Window], pulled_at: float) -> None:
        """Predict and publish a batch of windows."""
        batch = np.stack([w.data for w in windows])
        if self.resample is not None:
            batch = self.resample(batch)
        gaps = np.array([w.gap for w in windows])
        # A window spanning a gap goes in as NaN: the decoder then marks it invalid with NaN
        # outputs and keeps it out of the running statistics; its reason is replaced below.
        batch[gaps] = np.nan
        with warnings.catch_warnings():
            # numpy warns about all-NaN channels, which is exactly what a gap window holds.
            warnings.simplefilter("ignore", RuntimeWarning)
            predictions = self.decoder.decode(batch)
        for i, window in enumerate(windows):
            valid, reason = bool(predictions.valid[i]), predictions.reasons[i]
            if window.gap:
                valid, reason = False, "gap: timestamps jump inside the window"
            now = self.clock()
            message = messages.prediction(
                self.seq, self.inlet.label, window.t_start, window.t_end, now,
                self.bundle.classes, predictions.probs[i].tolist(),
                float(predictions.valence[i]), valid, reason, self.model_id,
            )  # fmt: skip
            self.seq += 1
            self.summary.windows += 1
            self.summary.invalid += not valid
            latency = 1e3 * (now - pulled_at)
            self.summary.latency_ms.append(latency)
            self.recent.append(latency)
            if self.zmq:
                self.zmq.send(messages.PREDICTION_TOPIC, message)
            if self.lsl:
                self.lsl.send(float(predictions.valence[i]), predictions.probs[i], window.t_end)
            self.last_prediction = message
            if self.on_prediction:
                self.on_prediction(message)

    def next_due(self) -> float | None:
        """LSL time at which the next window should complete (see :func:`pause`)."""
        return self.windower.due() if self.windower else None

    def status(self) -> dict:
        """A ``vaxis.status/1`` message."""
        return {
            "schema": messages.STATUS_SCHEMA,
            "stream": self.inlet.label,
            "state": self.state,
            "t": self.clock(),
            "sfreq_nominal": self.inlet.sfreq if self.inlet.stream else None,
            "sfreq_effective": round(self.sfreq_effective, 2),
            "units": self.inlet.unit_note if self.inlet.stream else None,
            "latency_ms": self.recent.percentiles(),
            "counters": {
                "windows": self.summary.windows,
                "invalid": self.summary.invalid,
                "gaps": self.summary.gaps + (self.windower.gaps if self.windower else 0),
                "dropped": self.zmq.dropped if self.zmq else 0,
                "sent": self.zmq.sent if self.zmq else 0,
                "reconnects": self.summary.reconnects,
            },
            "model": self.model_id,
        }

    def publish_status(self) -> dict:
        message = self.status()
        if self.zmq:
            self.zmq.send(messages.STATUS_TOPIC, message)
        if self.on_status:
            self.on_status(message)
        return message

    def step(self) -> None:
        """One pass: (re)connect if needed, pull, decode, report."""
        now = self.clock()
        if self.state not in ("connected", "stalled"):
            self.resolve(now)
        elif (pulled := self.inlet.pull()) is None:
            self.lost()
        else:
            data, stamps = pulled
            if stamps.size:
                pulled_at = self.clock()
                if self.state == "stalled":  # the source delivers again
                    self.state = "connected"
                    self.publish_status()
                if self.first is None:
                    self.first = (data[:, 0].copy(), float(stamps[0]))
                self._last_data = pulled_at
                self._samples_since_status += stamps.size
                self.summary.samples += stamps.size
                windows = self.windower.push(data, stamps)
                if windows:
                    self.decode(windows, pulled_at)
            elif now - self._last_data > self.config.stale_s:
                self.stalled(now)
        if now - self._last_status >= self.config.status_every:
            elapsed = now - self._last_status if self._last_status else self.config.status_every
            self.sfreq_effective = self._samples_since_status / elapsed
            self._samples_since_status = 0
            self._last_status = now
            self.publish_status()

    def stalled(self, now: float) -> None:
        """No samples for ``stale_s``: report it and keep the connection (liblsl recovers a
        source with a source id by itself), while looking in the background for another
        source answering the same query; switch to it if one appears."""
        if self.state == "connected":
            self.state = "stalled"
            self.publish_status()
        if self._search is None:
            if now - self._last_try >= 0.5:
                self._last_try = now
                self._search = threading.Thread(target=self._look_for_replacement,
                                                daemon=True, name="vaxis-lsl-search")  # fmt: skip
                self._search.start()
        elif not self._search.is_alive():
            self._search = None
            if self._replacement:
                self._replacement = False
                self.lost()

    def _look_for_replacement(self) -> None:
        self._replacement = bool(self.inlet.others(timeout=0.5))

    def resolve(self, now: float) -> None:
        """Look for the stream again in a background thread; adopt it once found."""
        if self._resolver is None:
            if now - self._last_try >= 0.5:
                self._last_try = now
                self._resolver = threading.Thread(target=self._reconnect, daemon=True,
                                                  name="vaxis-lsl-resolve")  # fmt: skip
                self._resolver.start()
        elif not self._resolver.is_alive():
            self._resolver = None
            if self.inlet.stream is not None:
                self.summary.reconnects += 1
                self.connected()

    def _reconnect(self) -> None:
        try:
            self.inlet.connect(timeout=0.5)
        except (StreamError, TimeoutError, RuntimeError):
            self.inlet.disconnect(wait=False)  # not back yet: try again later
            return
        if self._closed:  # the loop stopped while this thread was resolving
            self.inlet.disconnect(wait=False)

    def lost(self) -> None:
        """The stream stopped: report it, drop the connection, start resolving again."""
        self.summary.gaps += self.windower.gaps if self.windower else 0
        self.windower = None
        self.inlet.mark_lost()
        self.state = "disconnected"
        self._last_try = self.clock()
        self.publish_status()

    def run(self, stop: threading.Event | None = None) -> LiveSummary:
        """Connect, then step until ``stop`` is set or ``duration`` has passed."""
        return run_loops([self], stop, self.config.duration)[0]

    def close(self, disconnect: bool = True) -> None:
        """Publish a last status and release the publishers and (unless told not to)
        the inlet."""
        self._closed = True
        self.state = "stopped"
        if self.windower:
            self.summary.gaps += self.windower.gaps
            self.windower = None
        self.publish_status()
        self.summary.dropped = self.zmq.dropped if self.zmq else 0
        self.summary.sent = self.zmq.sent if self.zmq else 0
        if self.zmq and self.owns_zmq:
            self.zmq.close()
        if self.lsl:
            self.lsl.close()
        if disconnect:
            self.inlet.disconnect()


#: Polling: fast around the moment a window completes, slow in between.
FAST_POLL_S, SLOW_POLL_S, LEAD_S, LATE_S = 0.0005, 0.01, 0.002, 0.1


def pause(loops: Sequence[LiveLoop], now: float) -> float:
    """Seconds to sleep before the next pass.

    A pass costs about 70 µs of CPU even when nothing arrived, and only the chunk that
    completes a window is urgent: the loop sleeps up to ``SLOW_POLL_S`` until ``LEAD_S``
    before the earliest window is due (last timestamp plus the samples it still needs at
    the nominal rate), then polls every ``FAST_POLL_S`` until it arrives, or until it is
    ``LATE_S`` overdue (a stalled source), when it goes back to slow polling.
    """
    dues = [d for loop in loops if loop.state == "connected" and (d := loop.next_due())]
    if not dues:
        return SLOW_POLL_S
    wait = min(dues) - now - LEAD_S
    if wait > 0:
        return min(wait, SLOW_POLL_S)
    return FAST_POLL_S if -wait < LATE_S else SLOW_POLL_S


def run_loops(
    loops: Sequence[LiveLoop],
    stop: threading.Event | None = None,
    duration: float | None = None,
) -> list[LiveSummary]:
    """Connect every loop, then step them in turn in this thread until stopped.

    Parameters
    ----------
    loops : sequence of LiveLoop
    stop : threading.Event, optional
        Set it (from a signal handler or another thread) to stop within one poll.
    duration : float, optional
        Seconds to run after connecting.
    """
    from threadpoolctl import threadpool_limits

    stop = stop or threading.Event()
    # Windows are small: BLAS threads would only spin-wait between them, costing most of a
    # core per process (measured: 45 % of one core at hop 0.25 s). One thread is faster.
    limits = threadpool_limits(limits=1, user_api="blas")
    try:
        # Opening an inlet waits about a second on liblsl's time correction: open them all
        # at once. The first failure (a stream not found, channels missing) is raised; a stop
        # request ends the search for streams.
        for loop in loops:  # here, in one thread: the loops may share a ZeroMQ socket
            loop.publish_status()
        with ThreadPoolExecutor(max_workers=min(len(loops), 16)) as pool:
            connecting = [pool.submit(loop.connect, loop.config.connect_timeout, stop)
                          for loop in loops]  # fmt: skip
            for done in connecting:
                done.result()
        start = time.monotonic()
        while not stop.is_set():
            if duration and time.monotonic() - start >= duration:
                break
            for loop in loops:
                loop.step()
            time.sleep(pause(loops, loops[0].clock()))
        return [loop.summary for loop in loops]
    finally:
        for loop in loops:  # one thread: the loops may share a ZeroMQ socket
            loop.close(disconnect=False)
        # Destroying an mne-lsl inlet waits half a second inside liblsl: close them in the
        # background, so that a stop request ends the run at once.
        for loop in loops:
            loop.inlet.disconnect(wait=False)
        limits.restore_original_limits()


def run_live(
    config: LiveConfig,
    stop: threading.Event | None = None,
    on_prediction: Callable[[dict], None] | None = None,
    on_status: Callable[[dict], None] | None = None,
) -> LiveSummary:
    """Decode one LSL stream with a bundle until stopped; see :class:`LiveLoop`."""
    return LiveLoop(config, on_prediction, on_status).run(stop)


def run_live_many(
    configs: Sequence[LiveConfig],
    stop: threading.Event | None = None,
    on_prediction: Callable[[dict], None] | None = None,
    on_status: Callable[[dict], None] | None = None,
) -> list[LiveSummary]:
    """Decode several streams in one thread of one process, one publisher for all.

    Messages say which stream they belong to (``stream``). The ZeroMQ endpoint, duration
    and high-water mark of the first config apply to all; each config names its own stream,
    bundle, profile and LSL outlet.
    """
    if not configs:
        raise StreamError("no streams to decode")
    first = configs[0]
    publisher = ZmqPublisher(first.zmq, first.hwm, first.allow_remote) if first.zmq else None
    try:
        loops = [LiveLoop(c, on_prediction, on_status, publisher) for c in configs]
        return run_loops(loops, stop, first.duration)
    finally:
        if publisher:
            publisher.close()
