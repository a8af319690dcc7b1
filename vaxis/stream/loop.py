"""The live loop: LSL inlet -> windows -> decoder -> publishers (ZeroMQ, LSL, callbacks).

It reads as a chain of small steps, each with one job: the inlet hands over new samples,
the windower cuts hop-aligned windows on sample counts, the decoder (onnxruntime) predicts,
each publisher sends. Everything is timed on the LSL clock. A stream that stops delivering
is reported ``stalled``; the connection is kept (liblsl recovers a source that has a source
id) while a background thread looks for another source answering the same query, and opens
it: the loop reports the stalled one ``disconnected`` and switches as soon as the new one
is open. A source that is gone for good is reported ``disconnected`` and looked for again
in the background, so other streams decoded by the same process carry on, until it (or a
new source with the same name) returns.

:class:`LiveLoop` follows mne-lsl's lifecycle: a constructor that acquires nothing,
``connect()`` and ``close()`` (or ``with``). :func:`run_live` decodes one stream;
:func:`run_live_many` decodes several in one thread of one process, sharing one ZeroMQ
publisher.
"""

from __future__ import annotations

import queue
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vaxis.decoder.bundle import Bundle, load_bundle
from vaxis.decoder.pipeline import Decoder, Predictions, decode_together
from vaxis.decoder.profile import profiled_decoder
from vaxis.decoder.windows import resampler, seconds_to_samples
from vaxis.errors import ConfigError, StreamError
from vaxis.stream import messages
from vaxis.stream.config import LiveConfig
from vaxis.stream.inlet import EegInlet, SourceFinder
from vaxis.stream.messages import Message, State
from vaxis.stream.publishers import CallbackPublisher, LslPublisher, Publisher, ZmqPublisher
from vaxis.stream.summary import STATUS_LATENCIES, LatencyRing, LiveSummary
from vaxis.stream.windows import Window, Windower

__all__ = ["LiveLoop", "decode_due"]

#: Seconds liblsl buffers for an inlet between two pulls. The loop drains it on every pass,
#: so this only has to outlast the longest pass (a longer stall shows as a gap).
BUFFER_S = 3.0


#: Callables called with each message, in the decoding thread.
Callback = Callable[[Message], Any]


@dataclass
class _Acquired:
    """What :meth:`LiveLoop.connect` acquired: the bundle and its decoder, the publishers
    the loop opened itself (it closes them) and the inlet."""

    bundle: Bundle
    decoder: Decoder
    owned: list[Publisher]
    zmq: ZmqPublisher | None  # the one whose counters the status reports, shared or owned
    inlet: EegInlet


def _check_window(config: LiveConfig, bundle: Bundle) -> None:
    """Refuse a window other than the bundle's: the model was trained on that length."""
    if config.window_s is None:
        return
    if round(config.window_s * bundle.sfreq) != bundle.window_samples:
        trained = bundle.window_samples / bundle.sfreq
        raise ConfigError(
            f"window_s={config.window_s:g} s does not match the bundle's {trained:g} s window"
        )


class LiveLoop:
    """One LSL stream decoded with one bundle.

    The constructor only checks and stores its arguments. :meth:`connect` acquires, in
    order, the bundle and its decoder (an onnxruntime session, with the profile if any),
    the publishers (the ZeroMQ socket bound, the LSL outlet created) and the inlet; when a
    step fails it releases what the earlier ones acquired. :meth:`close` publishes a last
    ``stopped`` status and releases everything; it may be called again. ``with`` does both.
    In between, :meth:`run` decodes until stopped, or :meth:`step` makes one pass.

    Parameters
    ----------
    config : LiveConfig
        Checked here (:meth:`LiveConfig.check`).
    on_prediction, on_status : callable, optional
        Called in the decoding thread with each ``vaxis.prediction`` or ``vaxis.status``
        message (the dict ZeroMQ subscribers receive), after the other publishers.
    zmq_publisher : ZmqPublisher, optional
        A publisher shared with other loops and closed by whoever made it; the loop then
        binds no socket of its own (``config.zmq`` is not used).

    Examples
    --------
    >>> config = LiveConfig(bundle="bundle/", stream="MyAmp", zmq=None)
    >>> with LiveLoop(config, on_prediction=print) as loop:  # doctest: +SKIP
    ...     summary = loop.run(stop)
    """

    def __init__(
        self,
        config: LiveConfig,
        on_prediction: Callback | None = None,
        on_status: Callback | None = None,
        *,
        zmq_publisher: ZmqPublisher | None = None,
    ):
        from pylsl import local_clock

        self._clock: Callable[[], float] = local_clock
        self._config = config.check()
        self._callbacks = CallbackPublisher(on_prediction, on_status)
        self._shared_zmq = zmq_publisher
        self._acquired: _Acquired | None = None
        self._publishers: list[Publisher] = []
        self._closed = False
        self._state: State = "connecting"
        self._windower: Windower | None = None
        self._resample: Callable[[np.ndarray], np.ndarray] | None = None
        self._seq = 0
        self._summary = LiveSummary()
        self._recent = LatencyRing(STATUS_LATENCIES)
        self._last_data = self._last_status = 0.0
        self._samples_since_status = 0
        self._sfreq_effective = 0.0
        self._last_prediction: Message | None = None
        self._first_sample: tuple[np.ndarray, float] | None = None
        self._finder: SourceFinder | None = None
        #: Windows completed and not yet decoded, with the LSL time they were pulled at.
        self._due: list[tuple[list[Window], float]] = []

    # -- what can be read -------------------------------------------------------------------

    @property
    def config(self) -> LiveConfig:
        """The configuration the loop was made with."""
        return self._config

    @property
    def state(self) -> State:
        """``connecting``, ``connected``, ``stalled``, ``disconnected`` or ``stopped``."""
        return self._state

    @property
    def connected(self) -> bool:
        """Whether the inlet is connected to a stream now."""
        return self._acquired is not None and self._acquired.inlet.stream is not None

    @property
    def summary(self) -> LiveSummary:
        """The counters and latencies so far (final once the loop is closed)."""
        return self._summary

    @property
    def bundle(self) -> Bundle:
        """The bundle, loaded by :meth:`connect`."""
        return self._require().bundle

    @property
    def inlet(self) -> EegInlet:
        """The EEG inlet, made by :meth:`connect`."""
        return self._require().inlet

    @property
    def resampling(self) -> bool:
        """Whether windows are resampled from the stream's rate to the bundle's."""
        return self._resample is not None

    @property
    def last_prediction(self) -> Message | None:
        """The newest prediction message, ``None`` before the first."""
        return self._last_prediction

    @property
    def first_sample(self) -> tuple[np.ndarray, float] | None:
        """The first sample received (the bundle's channels, µV) and its LSL time; replay
        uses it to place windows in the file it plays."""
        return self._first_sample

    def _check_open(self) -> None:
        if self._closed:
            raise StreamError("this live loop is closed: make a new one to decode again")

    def _require(self) -> _Acquired:
        if self._acquired is None:
            raise StreamError("the live loop is not connected: call connect() first")
        return self._acquired

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> LiveLoop:
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self, stop: threading.Event | None = None) -> LiveLoop:
        """Acquire everything in order, then wait for the stream; return ``self``.

        Publishes a ``connecting`` status once the publishers are open, then waits up to
        ``config.connect_timeout`` seconds for the stream. A failure at any step releases
        what the earlier steps acquired, and is raised. Once ``stop`` is set, the wait ends
        without a connection (:attr:`connected` stays ``False``).
        """
        self._open()
        try:
            if self._connect_inlet(stop):
                self._connected()
        except BaseException:
            self.close()
            raise
        return self

    def _open(self, decoders: dict[tuple, Decoder] | None = None) -> None:
        """Load the bundle and its decoder, open the publishers and make the inlet (not yet
        connected), then publish a ``connecting`` status. Does nothing a second time.

        ``decoders`` holds the decoders of loops opened before, by bundle, profile and
        threads: a loop whose three match forks one (one onnxruntime session, running
        statistics of its own), so that their windows can be decoded together."""
        self._check_open()
        if self._acquired is not None:
            return
        config = self._config
        key = _decoder_key(config)
        if decoders is not None and key in decoders:
            decoder = decoders[key].fork()
            bundle = decoder.bundle
        else:
            bundle = load_bundle(config.bundle)
            decoder = profiled_decoder(bundle, config.profile, config.threads)
            if decoders is not None:
                decoders[key] = decoder
        _check_window(config, bundle)
        zmq, owned = self._open_publishers(bundle.classes)
        inlet = EegInlet(bundle.channels, config.stream, config.stype, config.source_id,
                         bufsize=BUFFER_S)  # fmt: skip
        self._acquired = _Acquired(bundle, decoder, owned, zmq, inlet)
        shared = [self._shared_zmq] if self._shared_zmq else []
        self._publishers = [*shared, *owned, self._callbacks]
        self._publish_status()

    def _open_publishers(self, classes: list[str]) -> tuple[ZmqPublisher | None, list[Publisher]]:
        """The ZeroMQ publisher (shared, or bound here) and the publishers opened here, in
        order; on a failure, those already opened are closed."""
        config = self._config
        owned: list[Publisher] = []
        zmq = self._shared_zmq
        try:
            if zmq is None and config.zmq:
                zmq = ZmqPublisher(config.zmq, config.hwm, config.allow_remote)
                owned.append(zmq)
            if config.lsl_out is not None:
                owned.append(LslPublisher(config.lsl_out, classes))
        except BaseException:
            for publisher in reversed(owned):
                publisher.close()
            raise
        return zmq, owned

    def _connect_inlet(self, stop: threading.Event | None) -> bool:
        """Wait for the stream; whether it was connected now (not already, nor stopped)."""
        inlet = self._require().inlet
        if inlet.stream is not None:
            return False
        inlet.connect(self._config.connect_timeout, stop)
        return inlet.stream is not None

    def _connected(self) -> None:
        """Set up windows at the rate of the stream the inlet just connected to."""
        acquired = self._require()
        fs, bundle = acquired.inlet.sfreq, acquired.bundle
        window, hop = bundle.samples_at(fs)
        if self._config.hop_s is not None:
            hop = seconds_to_samples(self._config.hop_s, fs)
        self._windower = Windower(window, hop, fs)
        self._resample = resampler(fs, bundle.sfreq, bundle.window_samples)
        self._state = "connected"
        self._last_data = self._clock()
        self._publish_status()

    def close(self, wait: bool = True) -> None:
        """Publish a last ``stopped`` status, then close the publishers this loop opened and
        the inlet; a second call does nothing.

        ``wait=False`` closes the inlet in a background thread (liblsl takes half a second,
        or far longer for a source that vanished) and leaves the closed inlet to be
        destroyed with the loop, so that a process ending a run of many streams exits at
        once.
        """
        if self._closed:
            return
        self._closed = True
        self._stop_finder()
        acquired = self._acquired
        if acquired is None:
            return
        self._state = "stopped"
        if self._windower:
            self._summary.gaps += self._windower.gaps
            self._windower = None
        try:
            self._publish_status()
        finally:
            self._summary.dropped = acquired.zmq.dropped if acquired.zmq else 0
            self._summary.sent = acquired.zmq.sent if acquired.zmq else 0
            self._publishers = []
            for publisher in acquired.owned:
                publisher.close()
            acquired.inlet.disconnect(wait=wait, keep=not wait)

    def run(self, stop: threading.Event | None = None) -> LiveSummary:
        """Connect (unless connected), step until ``stop`` is set or ``config.duration`` has
        passed, then close."""
        from vaxis.stream.runner import run_loops  # it steps loops: it imports this module

        return run_loops([self], stop, self._config.duration, self._config.workers)[0]

    # -- steps -------------------------------------------------------------------------------

    def decode(self, windows: list[Window], pulled_at: float) -> None:
        """Predict and publish a batch of windows whose last samples were pulled at
        ``pulled_at`` (LSL time)."""
        self._due.append((windows, pulled_at))
        decode_due([self])

    def _batch(self, windows: list[Window]) -> np.ndarray:
        """The windows at the bundle's rate; one spanning a gap is all NaN."""
        batch = np.stack([w.data for w in windows])
        if self._resample is not None:
            batch = self._resample(batch)
        # A window spanning a gap goes in as NaN: the decoder then marks it invalid with NaN
        # outputs and keeps it out of the running statistics; its reason is replaced below.
        batch[np.array([w.gap for w in windows])] = np.nan
        return batch

    def _publish_predictions(
        self, windows: list[Window], predictions: Predictions, pulled_at: float
    ) -> None:
        acquired = self._require()
        bundle, label = acquired.bundle, acquired.inlet.label
        for i, window in enumerate(windows):
            valid, reason = bool(predictions.valid[i]), predictions.reasons[i]
            if window.gap:
                valid, reason = False, "gap: timestamps jump inside the window"
            now = self._clock()
            message = messages.prediction(
                self._seq, label, window.t_start, window.t_end, now, bundle.classes,
                predictions.probs[i].tolist(), float(predictions.valence[i]), valid, reason,
                bundle.model_id,
            )  # fmt: skip
            self._seq += 1
            self._summary.windows += 1
            self._summary.invalid += not valid
            latency = 1e3 * (now - pulled_at)
            self._summary.latency_ms.append(latency)
            self._recent.append(latency)
            self._last_prediction = message
            self._publish(messages.PREDICTION_TOPIC, message)

    def wait(self, timeout: float) -> None:
        """Block until the stream delivers a sample or ``timeout`` seconds pass (see
        :meth:`EegInlet.wait`); the next pass pulls it."""
        self._require().inlet.wait(timeout)

    def next_due(self) -> float | None:
        """LSL time at which the next window should complete (see :func:`pause`)."""
        return self._windower.due() if self._windower else None

    def status(self) -> Message:
        """A ``vaxis.status/1`` message."""
        acquired = self._acquired
        inlet = acquired.inlet if acquired else None
        on = inlet is not None and inlet.stream is not None
        zmq = acquired.zmq if acquired else None
        return {
            "schema": messages.STATUS_SCHEMA,
            "stream": inlet.label if inlet else self._config.label,
            "state": self._state,
            "t": self._clock(),
            "sfreq_nominal": inlet.sfreq if inlet and on else None,
            "sfreq_effective": round(self._sfreq_effective, 2),
            "units": inlet.unit_note if inlet and on else None,
            "latency_ms": self._recent.percentiles(),
            "counters": {
                "windows": self._summary.windows,
                "invalid": self._summary.invalid,
                "gaps": self._summary.gaps + (self._windower.gaps if self._windower else 0),
                "dropped": zmq.dropped if zmq else 0,
                "sent": zmq.sent if zmq else 0,
                "reconnects": self._summary.reconnects,
            },
            "model": acquired.bundle.model_id if acquired else None,
        }

    def _publish(self, topic: str, message: Message) -> None:
        for publisher in self._publishers:
            publisher.publish(topic, message)

    def _publish_status(self) -> None:
        self._publish(messages.STATUS_TOPIC, self.status())

    def step(self) -> None:
        """One pass: (re)connect if needed, pull, decode, report."""
        self._pass()
        decode_due([self])

    def _pass(self) -> None:
        """:meth:`step` but for decoding: windows completed are left due."""
        self._check_open()
        inlet = self._require().inlet
        now = self._clock()
        if self._state not in ("connected", "stalled"):
            self._follow()
        elif (pulled := inlet.pull()) is None:
            self._lost()
        elif pulled[1].size:
            self._received(*pulled)
        elif now - self._last_data > self._config.stale_s:
            self._stalled()
        if now - self._last_status >= self._config.status_every:
            elapsed = now - self._last_status if self._last_status else self._config.status_every
            self._sfreq_effective = self._samples_since_status / elapsed
            self._samples_since_status = 0
            self._last_status = now
            self._publish_status()

    def _received(self, data: np.ndarray, stamps: np.ndarray) -> None:
        """Window and decode samples just pulled."""
        pulled_at = self._clock()
        if self._state == "stalled":  # the source delivers again
            self._stop_finder()
            self._state = "connected"
            self._publish_status()
        if self._first_sample is None:
            self._first_sample = (data[:, 0].copy(), float(stamps[0]))
        self._last_data = pulled_at
        self._samples_since_status += stamps.size
        self._summary.samples += stamps.size
        windows = self._windower.push(data, stamps) if self._windower else []
        if windows:
            self._due.append((windows, pulled_at))

    def _stalled(self) -> None:
        """No samples for ``stale_s``: report it and keep the connection (liblsl recovers a
        source with a source id by itself), while looking in the background for another
        source answering the same query; switch to it if one appears."""
        if self._state == "connected":
            self._state = "stalled"
            self._publish_status()
        self._follow(exclude=self._require().inlet.uid)

    def _follow(self, exclude: str | None = None) -> None:
        """Look for a source in the background (unless looking already); adopt the one
        found, giving up the one connected, if any."""
        finder = self._finder
        if finder is None:
            self._finder = SourceFinder(self._require().inlet, exclude)
            return
        if finder.searching:
            return
        self._finder = None
        connection = finder.take()
        if connection is None:
            return
        inlet = self._require().inlet
        if self._state == "stalled":  # the stalled source is given up: say so
            self._summary.gaps += self._windower.gaps if self._windower else 0
            self._windower = None
            inlet.mark_lost()
            self._state = "disconnected"
            self._publish_status()
        inlet.adopt(connection)
        self._summary.reconnects += 1
        self._connected()

    def _stop_finder(self) -> None:
        if self._finder is not None:
            self._finder.cancel()
            self._finder = None

    def _lost(self) -> None:
        """The stream stopped: report it, drop the connection, look for it again."""
        self._summary.gaps += self._windower.gaps if self._windower else 0
        self._windower = None
        self._require().inlet.mark_lost()
        self._state = "disconnected"
        self._publish_status()
        # A search begun while stalled goes on: it already skips the source just lost.
        self._follow()


def _decoder_key(config: LiveConfig) -> tuple:
    """What makes two loops' decoders interchangeable but for their running statistics."""
    profile = Path(config.profile).resolve() if config.profile else None
    return Path(config.bundle).resolve(), profile, config.threads


#: Due entries: a loop, its windows and the LSL time they were pulled at.
_Due = tuple["LiveLoop", list[Window], float]


def decode_due(
    loops: Sequence[LiveLoop], pool: ThreadPoolExecutor | None = None, workers: int = 1
) -> None:
    """Decode and publish the windows due in ``loops``: those of loops sharing an
    onnxruntime session (forks of one decoder) together, in runs of up to :data:`RUN`
    windows through one run of the graph each, each loop's statistics updated in its own
    windows' order. Each run's messages are published as soon as it is decoded, so the
    first streams of a large batch need not wait for the last.

    With a ``pool`` of ``workers`` threads, each such group is cut into as many parts (a
    loop's windows all in one part) decoded at once; onnxruntime and numpy's FFT and LAPACK
    release the GIL. Messages are published in this thread, in each loop's order.
    """
    groups: dict[int, list[_Due]] = {}
    for loop in loops:
        if loop._due:
            session = id(loop._require().decoder.session)
            groups.setdefault(session, []).extend((loop, w, t) for w, t in loop._due)
            loop._due = []
    parts = [_runs(part) for group in groups.values() for part in _cut(group, workers)]
    # numpy warns about all-NaN channels, which is exactly what a gap window holds. The
    # filters are the process's: set here, around the workers, never inside them.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if pool is None or len(parts) == 1:
            for run in (run for runs in parts for run in runs):
                _publish_run(run, _decode_run(run))
        else:
            _decode_in_pool(parts, pool)


def _decode_in_pool(parts: list[list[list[_Due]]], pool: ThreadPoolExecutor) -> None:
    """Decode each part's runs in order on a thread of ``pool``; publish each run here as
    soon as it is done. The first error in a worker is raised."""
    done: queue.SimpleQueue[tuple[list[_Due], list[Predictions] | BaseException]]
    done = queue.SimpleQueue()

    def work(runs: list[list[_Due]]) -> None:
        for run in runs:
            try:
                done.put((run, _decode_run(run)))
            except BaseException as err:  # handed to the publishing thread, which raises it
                done.put((run, err))
                return

    for runs in parts:
        pool.submit(work, runs)
    for _ in range(sum(map(len, parts))):
        run, result = done.get()
        if isinstance(result, BaseException):
            raise result
        _publish_run(run, result)


def _cut(group: list[_Due], n: int) -> list[list[_Due]]:
    """``group`` in up to ``n`` parts of about equal windows, a loop's entries together."""
    by_loop: dict[int, list[_Due]] = {}
    for entry in group:
        by_loop.setdefault(id(entry[0]), []).append(entry)
    if n <= 1 or len(by_loop) == 1:
        return [group]
    total = sum(len(windows) for _, windows, _ in group)
    parts: list[list[_Due]] = [[]]
    size = 0
    for entries in by_loop.values():
        if size >= total / n * len(parts) and len(parts) < n:
            parts.append([])
        parts[-1].extend(entries)
        size += sum(len(windows) for _, windows, _ in entries)
    return parts


#: Windows per run of the graph, at most (bar one stream's own backlog). Small runs cost no
#: more per window than large ones, their messages go out sooner, and a process that fell
#: behind (and pulled seconds of every stream at once) keeps its float64 spectra small.
#: Measured with 64 streams on 2 cores: runs of 16 gave p50 69 / p99 118 ms, of 8 68 / 145
#: ms (more runs, each publishing between the workers' steps), one run per part 86 / 129 ms.
RUN = 16


def _runs(part: list[_Due]) -> list[list[_Due]]:
    """``part`` in order, in runs of up to :data:`RUN` windows."""
    runs: list[list[_Due]] = []
    size = RUN
    for entry in part:
        if size + len(entry[1]) > RUN:
            runs.append([])
            size = 0
        runs[-1].append(entry)
        size += len(entry[1])
    return runs


def _decode_run(run: list[_Due]) -> list[Predictions]:
    decoders = [loop._require().decoder for loop, _, _ in run]
    return decode_together(decoders, [loop._batch(windows) for loop, windows, _ in run])


def _publish_run(run: list[_Due], predictions: list[Predictions]) -> None:
    for (loop, windows, pulled_at), p in zip(run, predictions, strict=True):
        loop._publish_predictions(windows, p, pulled_at)
