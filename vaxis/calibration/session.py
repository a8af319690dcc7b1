"""A calibration session: EEG and markers over LSL, recorded, then adapted into a profile.

:func:`record_session` connects the EEG inlet (the bundle's channels, matched as in
``vaxis live``) and a marker inlet, and records both with :class:`FifRecorder` until the
``session/end`` marker (once the EEG has caught up with it), a stop request (SIGINT,
SIGTERM) or ``duration``. Samples that never arrived (a timestamp jump, a dropped stream)
are written as NaN with a ``BAD_gap`` annotation, so marker onsets stay true to the EEG
(a jump of more than ``MAX_GAP_S``, or backwards, is a clock reset: annotated
``BAD_clock_reset``); a lost EEG stream is resolved again while markers keep being logged.
:func:`calibrate` then runs :func:`vaxis.calibration.adaptation.adapt` on the recording.

Progress (each marker, the recording's path, its length) is logged at ``INFO`` under this
module's logger; problems in the data (gaps, clock resets, markers that do not pair) at
``WARNING``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vaxis.calibration.config import CalibrationConfig
from vaxis.calibration.markers import MarkerInlet, parse_marker
from vaxis.calibration.protocol import ProtocolPlayer, load_protocol
from vaxis.calibration.recording import FifRecorder
from vaxis.decoder.bundle import load_bundle
from vaxis.errors import StreamError
from vaxis.stream.inlet import EegInlet

if TYPE_CHECKING:
    from vaxis.decoder.profile import Profile

log = logging.getLogger(__name__)

#: The longest run of missing samples filled with NaN; a longer jump is a clock reset.
MAX_GAP_S = 60.0


@dataclass
class CalibrationResult:
    """What :func:`calibrate` made.

    Attributes
    ----------
    profile : Profile or None
        The participant's profile; ``None`` when the session was stopped before its end.
    recording : Path or None
        The recording adapted (or kept, when stopped); ``None`` when stopped before
        recording began.
    """

    profile: Profile | None
    recording: Path | None


class _Session:
    """The recording state of one session: EEG samples placed by timestamp, markers paired
    into segments."""

    def __init__(self, recorder: FifRecorder, fs: float, classes: list[str]):
        self.rec, self.fs, self.classes = recorder, fs, set(classes)
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
            log.warning("gap: %.2f s of EEG missing at %.1f s (NaN)", missing / self.fs, onset)
        elif abs(missing) > MAX_GAP_S * self.fs or missing < -0.05 * self.fs:
            # A clock reset: keep the samples contiguous, and place later markers on the
            # new clock from here on.
            self.t0 = float(stamps[0]) - onset
            self.rec.annotate(onset, 0.0, "BAD_clock_reset")
            log.warning("timestamps jumped by %+.1f s at %.1f s: a clock reset; later markers "
                        "are placed on the new clock", missing / self.fs, onset)  # fmt: skip
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
                log.warning("marker %r: class %r is not one of the bundle's", text, m.cls)
        elif m.edge == "start":
            self.open[segment] = onset
        elif segment in self.open and onset <= self.open[segment]:
            self.open.pop(segment)
            self.rec.annotate(onset, 0.0, text)
            log.warning("marker %r is stamped before its start: segment dropped", text)
        elif segment in self.open:
            start = self.open.pop(segment)
            self.rec.annotate(start, onset - start, segment)
            self.counts["baseline" if m.kind == "baseline" else "stimuli"] += 1
        else:
            self.rec.annotate(onset, 0.0, text)
            log.warning("marker %r ends a segment that never started", text)
        log.info("%8.2f s  %s", onset, text)

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


def record_session(config: CalibrationConfig, stop: threading.Event | None = None) -> Path | None:
    """Record EEG and markers until the session ends, ``duration`` passes or ``stop`` is set;
    return the FIF recording's path (``None`` when stopped before recording began)."""
    stop = stop or threading.Event()
    config.check()
    bundle = load_bundle(config.bundle)
    player, markers_name = _marker_source(config, bundle.classes)
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
    session = _Session(recorder, inlet.sfreq, bundle.classes)
    log.info("recording %r (%g Hz, %s) to %s", inlet.label, inlet.sfreq, inlet.unit_note, path)
    try:
        _record(session, inlet, markers, config.duration, stop)
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
    log.info("recorded %.1f s: %d baseline, %d stimuli, %d gaps",
             recorder.n_samples / inlet.sfreq, n["baseline"], n["stimuli"], n["gaps"])  # fmt: skip
    return path


def _marker_source(
    config: CalibrationConfig, classes: list[str]
) -> tuple[ProtocolPlayer | None, str]:
    """The player of ``config.protocol`` (None without one) and the marker stream's name."""
    if config.protocol:
        protocol = load_protocol(config.protocol, classes)
        name = f"vaxis-protocol-{config.participant}-{uuid.uuid4().hex[:6]}"
        log.info("protocol: %d stimuli, %.0f s; markers on LSL stream %r",
                 len(protocol.stimuli), protocol.duration_s, name)  # fmt: skip
        return ProtocolPlayer(protocol, name), name
    if not config.markers:
        raise StreamError(
            "say where the markers come from: markers (an LSL stream name) or protocol (a file)"
        )
    return None, config.markers


def _record(
    session: _Session,
    inlet: EegInlet,
    markers: MarkerInlet,
    duration: float | None,
    stop: threading.Event,
) -> None:
    """Feed EEG and markers to ``session`` until it is done, ``duration`` passes or ``stop``
    is set; a lost EEG stream is resolved again while markers keep being logged."""
    started = time.monotonic()
    while not stop.is_set() and not session.done():
        if duration and time.monotonic() - started >= duration:
            log.info("duration reached")
            break
        for marker in markers.pull():
            session.marker(*marker)
        if inlet.stream is None:
            _reconnect(inlet)
            continue
        pulled = inlet.pull()
        if pulled is None:
            log.warning("EEG stream lost: resolving it again; markers are still logged")
            inlet.mark_lost()
            continue
        data, stamps = pulled
        if stamps.size:
            session.eeg(data, stamps)
        time.sleep(0.005)


def _reconnect(inlet: EegInlet) -> None:
    try:
        inlet.connect(timeout=0.5)
        log.info("EEG stream %r is back", inlet.label)
    except (StreamError, TimeoutError, RuntimeError):
        inlet.disconnect(wait=False)


def calibrate(
    config: CalibrationConfig,
    stop: threading.Event | None = None,
    recording: str | Path | None = None,
) -> CalibrationResult:
    """Record a session (or take ``recording``, a FIF made earlier) and adapt the bundle
    to it.

    A session stopped by ``stop`` (SIGINT, SIGTERM) before its end is not adapted: the
    result's profile is ``None`` and the recording (``None`` if nothing was recorded) is
    kept, to be adapted later with ``recording=``.
    """
    from vaxis.calibration.adaptation import adapt
    from vaxis.stream.recordings import read_recording

    config.check()
    path: Path | None
    if recording:
        path = Path(recording)
    else:
        path = record_session(config, stop)
        if path is None or (stop is not None and stop.is_set()):
            return CalibrationResult(None, path)
    profile = adapt(read_recording(path), config.bundle, config.participant, config.out)
    return CalibrationResult(profile, path)
