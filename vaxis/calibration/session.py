"""A calibration session: EEG and markers over LSL, recorded, then adapted into a profile.

:func:`record_session` connects the EEG inlet (the bundle's channels, matched as in
``vaxis live``) and a marker inlet, and records both with :class:`FifRecorder` until the
``session/end`` marker (once the EEG has caught up with it), a stop request (SIGINT,
SIGTERM) or ``duration``. Samples that never arrived (a timestamp jump, a dropped stream)
are written as NaN with a ``BAD_gap`` annotation, so marker onsets stay true to the EEG
(a jump of more than ``MAX_GAP_S``, or backwards, is a clock reset: annotated
``BAD_clock_reset``); a lost EEG stream is resolved again while markers keep being logged.
:func:`calibrate` then runs :func:`vaxis.calibration.adapt.adapt` on the recording.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from vaxis.calibration.markers import MarkerInlet, parse_marker
from vaxis.calibration.protocol import ProtocolPlayer, load_protocol
from vaxis.calibration.recording import FifRecorder
from vaxis.decoder.bundle import load_bundle
from vaxis.errors import StreamError
from vaxis.stream.inlet import EegInlet

#: The longest run of missing samples filled with NaN; a longer jump is a clock reset.
MAX_GAP_S = 60.0


@dataclass
class CalibrationConfig:
    """What ``vaxis calibrate`` is told."""

    bundle: Path
    participant: str
    out: Path
    stream: str | None = None
    stype: str | None = None
    source_id: str | None = None
    markers: str | None = None
    protocol: Path | None = None
    duration: float | None = None
    connect_timeout: float = 10.0


class _Session:
    """The recording state of one session: EEG samples placed by timestamp, markers paired
    into segments."""

    def __init__(self, recorder: FifRecorder, fs: float, classes: list[str], log):
        self.rec, self.fs, self.classes, self.log = recorder, fs, set(classes), log
        self.t0: float | None = None
        self.last_t: float | None = None
        self.pending: list[tuple[float, str]] = []
        self.open: dict[str, float] = {}
        self.end_at: float | None = None
        self.counts = {"stimuli": 0, "baseline": 0, "gaps": 0, "other": 0}

    def eeg(self, data: np.ndarray, stamps: np.ndarray) -> None:
        if self.t0 is None:
            self.t0 = float(stamps[0])
            for marker in self.pending:
                self.marker(*marker)
            self.pending = []
        expected = int(round((stamps[0] - self.t0) * self.fs))
        missing = expected - self.rec.n_samples
        onset = self.rec.n_samples / self.fs
        if 1 < missing <= MAX_GAP_S * self.fs:
            self.rec.append(np.full((data.shape[0], missing), np.nan, np.float32))
            self.rec.annotate(onset, missing / self.fs, "BAD_gap")
            self.counts["gaps"] += 1
            self.log(f"gap: {missing / self.fs:.2f} s of EEG missing at {onset:.1f} s (NaN)")
        elif abs(missing) > MAX_GAP_S * self.fs or missing < -0.05 * self.fs:
            # A clock reset: keep the samples contiguous, and place later markers on the
            # new clock from here on.
            self.t0 = float(stamps[0]) - onset
            self.rec.annotate(onset, 0.0, "BAD_clock_reset")
            self.log(f"timestamps jumped by {missing / self.fs:+.1f} s at {onset:.1f} s: "
                     "a clock reset; later markers are placed on the new clock")  # fmt: skip
        self.rec.append(data)
        self.last_t = float(stamps[-1])

    def marker(self, t: float, text: str) -> None:
        if self.t0 is None:
            self.pending.append((t, text))
            return
        onset = t - self.t0
        self.rec.marker(t, onset, text)
        m = parse_marker(text)
        segment = m.segment  # None for "other" markers
        if m.kind == "session":
            self.end_at = t
        elif segment is None or (m.kind == "stim" and m.cls not in self.classes):
            self.rec.annotate(onset, 0.0, text)
            self.counts["other"] += 1
            if m.kind == "stim":
                self.log(f"marker {text!r}: class {m.cls!r} is not one of the bundle's")
        elif m.edge == "start":
            self.open[segment] = onset
        elif segment in self.open and onset <= self.open[segment]:
            self.open.pop(segment)
            self.rec.annotate(onset, 0.0, text)
            self.log(f"marker {text!r} is stamped before its start: segment dropped")
        elif segment in self.open:
            start = self.open.pop(segment)
            self.rec.annotate(start, onset - start, segment)
            self.counts["baseline" if m.kind == "baseline" else "stimuli"] += 1
        else:
            self.rec.annotate(onset, 0.0, text)
            self.log(f"marker {text!r} ends a segment that never started")
        self.log(f"{onset:8.2f} s  {text}")

    def done(self) -> bool:
        return self.end_at is not None and self.last_t is not None and self.last_t >= self.end_at


def recording_path(out: Path) -> Path:
    """A new recording file in ``out``: never overwrites an earlier session's."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    path = out / f"calibration-{stamp}_raw.fif"
    n = 1
    while path.exists():
        n += 1
        path = out / f"calibration-{stamp}-{n}_raw.fif"
    return path


def record_session(
    config: CalibrationConfig,
    stop: threading.Event | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> Path | None:
    """Record EEG and markers until the session ends, ``duration`` passes or ``stop`` is set;
    return the FIF recording's path (``None`` when stopped before recording began)."""
    stop = stop or threading.Event()
    bundle = load_bundle(config.bundle)
    player, markers_name = _marker_source(config, bundle.classes, log)
    inlet = EegInlet(bundle.channels, config.stream, config.stype, config.source_id,
                     bufsize=30.0).connect(config.connect_timeout, stop)  # fmt: skip
    if inlet.stream is None:
        return None  # stopped while looking for the EEG stream
    try:
        if player:
            player.start()
        markers = MarkerInlet(markers_name, config.connect_timeout, stop)
    except BaseException:
        inlet.disconnect()
        raise
    if markers.inlet is None:  # stopped while looking for the marker stream
        if player:
            player.stop()
        inlet.disconnect(wait=False)
        return None
    path = recording_path(Path(config.out))
    recorder = FifRecorder(path, bundle.channels, inlet.sfreq)
    session = _Session(recorder, inlet.sfreq, bundle.classes, log)
    log(f"recording {inlet.label!r} ({inlet.sfreq:g} Hz, {inlet.unit_note}) to {path}")
    try:
        _record(session, inlet, markers, config.duration, stop, log)
    finally:
        if player:
            player.stop()
        markers.close()
        inlet.disconnect(wait=False)
        # Stopped by request: close at once (the file is readable as it stands, annotations
        # beside it); at a normal end, rewrite it whole with its annotations inside.
        recorder.close(rewrite=not stop.is_set())
    if not recorder.n_samples:
        raise StreamError(f"no EEG arrived from {inlet.label!r}: nothing was recorded")
    n = session.counts
    log(f"recorded {recorder.n_samples / inlet.sfreq:.1f} s: {n['baseline']} baseline, "
        f"{n['stimuli']} stimuli, {n['gaps']} gaps")  # fmt: skip
    return path


def _marker_source(
    config: CalibrationConfig, classes: list[str], log: Callable[[str], None]
) -> tuple[ProtocolPlayer | None, str]:
    """The player of ``config.protocol`` (None without one) and the marker stream's name."""
    if config.protocol:
        protocol = load_protocol(config.protocol, classes)
        name = f"vaxis-protocol-{config.participant}-{uuid.uuid4().hex[:6]}"
        log(f"protocol: {len(protocol.stimuli)} stimuli, {protocol.duration_s:.0f} s; markers "
            f"on LSL stream {name!r}")  # fmt: skip
        return ProtocolPlayer(protocol, name), name
    if not config.markers:
        raise StreamError("say where the markers come from: --markers NAME or --protocol FILE")
    return None, config.markers


def _record(
    session: _Session,
    inlet: EegInlet,
    markers: MarkerInlet,
    duration: float | None,
    stop: threading.Event,
    log: Callable[[str], None],
) -> None:
    """Feed EEG and markers to ``session`` until it is done, ``duration`` passes or ``stop``
    is set; a lost EEG stream is resolved again while markers keep being logged."""
    started = time.monotonic()
    while not stop.is_set() and not session.done():
        if duration and time.monotonic() - started >= duration:
            log("duration reached")
            break
        for marker in markers.pull():
            session.marker(*marker)
        if inlet.stream is None:
            _reconnect(inlet, log)
            continue
        pulled = inlet.pull()
        if pulled is None:
            log("EEG stream lost: resolving it again; markers are still logged")
            inlet.mark_lost()
            continue
        data, stamps = pulled
        if stamps.size:
            session.eeg(data, stamps)
        time.sleep(0.005)


def _reconnect(inlet: EegInlet, log) -> None:
    try:
        inlet.connect(timeout=0.5)
        log(f"EEG stream {inlet.label!r} is back")
    except (StreamError, TimeoutError, RuntimeError):
        inlet.disconnect(wait=False)


def calibrate(config: CalibrationConfig, stop=None, log=lambda _: None, recording=None):
    """Record a session (or take ``recording``, a FIF made earlier) and adapt; return the
    profile and the recording's path.

    A session stopped by ``stop`` (SIGINT, SIGTERM) before its end is not adapted: the
    profile is ``None`` and the recording (``None`` if nothing was recorded) is kept, to be
    adapted later with ``recording=``.
    """
    from vaxis.calibration.adapt import adapt
    from vaxis.stream.recordings import read_recording

    path: Path | None
    if recording:
        path = Path(recording)
    else:
        path = record_session(config, stop, log)
        if path is None or (stop is not None and stop.is_set()):
            return None, path
    profile = adapt(read_recording(path), config.bundle, config.participant, config.out)
    return profile, path
