"""The calibration marker vocabulary, and a string marker stream over LSL.

Experiment software (PsychoPy, for example) sends one string per event on an LSL stream of
type ``Markers`` (irregular rate, one ``string`` channel), timestamped when the event
happened. vaxis understands:

``baseline/start``, ``baseline/end``
    A resting baseline (eyes open, fixation).
``stim/<class>/<id>/start``, ``stim/<class>/<id>/end``
    One stimulus of one of the bundle's classes (``stim/joy/3/start``); ``id`` tells two
    stimuli of a class apart and pairs a start with its end.
``session/end``
    The session is over: recording stops and adaptation begins.

Any other marker is recorded (annotation and marker log) and otherwise ignored; a ``stim``
marker naming a class the bundle does not know is refused with a warning in the log.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from dataclasses import dataclass

from vaxis.errors import StreamError
from vaxis.stream.recordings import STIM_MARKER

_PATTERNS = {
    "baseline": re.compile(r"^baseline/(start|end)$"),
    "stim": STIM_MARKER,
    "session": re.compile(r"^session/end$"),
}


@dataclass(frozen=True)
class Marker:
    """One parsed marker: ``kind`` is ``baseline``, ``stim``, ``session`` or ``other``."""

    text: str
    kind: str
    edge: str | None = None
    cls: str | None = None
    ident: str | None = None

    @property
    def segment(self) -> str | None:
        """The annotation name of the segment this marker opens or closes."""
        if self.kind == "baseline":
            return "baseline"
        if self.kind == "stim":
            return f"stim/{self.cls}/{self.ident}"
        return None


def parse_marker(text: str) -> Marker:
    """Parse one marker string of the vocabulary above (anything else is ``other``)."""
    text = text.strip()
    if m := _PATTERNS["baseline"].match(text):
        return Marker(text, "baseline", m.group(1))
    if m := _PATTERNS["stim"].match(text):
        cls, ident, edge = m.groups()
        return Marker(text, "stim", edge, cls.lower(), ident)
    if _PATTERNS["session"].match(text):
        return Marker(text, "session", "end")
    return Marker(text, "other")


class MarkerInlet:
    """Markers, timestamped on the local LSL clock, from a ``Markers`` stream.

    A background thread pulls them from liblsl, whose clock synchronisation blocks for the
    better part of a second the first time a marker arrives; :meth:`pull` only hands over
    what that thread received, so the recording loop never waits on liblsl.

    Parameters
    ----------
    name : str
        The marker stream's name.
    timeout : float
        Seconds to find it.
    stop : threading.Event, optional
        Looked at while resolving: once set, the inlet is left unopened (``inlet`` is None).
    """

    def __init__(self, name: str, timeout: float = 10.0, stop=None):
        import pylsl

        deadline = time.monotonic() + timeout
        found: list = []
        while not found and not (stop is not None and stop.is_set()):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StreamError(f"no LSL marker stream named {name!r} found within {timeout:g} s")
            found = pylsl.resolve_byprop("name", name, 1, min(0.2, remaining))
        self.name = name
        self.inlet = None
        if not found:
            return
        info = found[0]
        if info.channel_format() != pylsl.cf_string:
            raise StreamError(f"LSL stream {name!r} is not a string marker stream")
        inlet = pylsl.StreamInlet(
            info, max_buflen=3600, processing_flags=pylsl.proc_clocksync | pylsl.proc_dejitter
        )
        inlet.open_stream(timeout)
        self.inlet = inlet
        self._received: queue.SimpleQueue = queue.SimpleQueue()
        self._failure: Exception | None = None
        self._halt = threading.Event()
        threading.Thread(
            target=self._receive, args=(inlet,), daemon=True, name="vaxis-markers"
        ).start()

    def _receive(self, inlet) -> None:
        try:
            while not self._halt.is_set():
                values, stamps = inlet.pull_chunk(timeout=0.1)
                for value, stamp in zip(values, stamps, strict=True):
                    self._received.put((float(stamp), str(value[0])))
        except Exception as err:  # noqa: BLE001 - reported by pull() in the caller's thread
            self._failure = err
        finally:
            inlet.close_stream()

    def pull(self) -> list[tuple[float, str]]:
        """Markers that arrived since the last call: ``(lsl_time, text)``."""
        if self._failure is not None:
            raise StreamError(f"marker stream {self.name!r} failed: {self._failure}")
        out = []
        while not self._received.empty():
            out.append(self._received.get())
        return out

    def close(self) -> None:
        """Stop receiving; the inlet closes in the background thread."""
        if self.inlet is not None:
            self._halt.set()


class MarkerOutlet:
    """A string marker stream, as experiment software would create one."""

    def __init__(self, name: str, source_id: str | None = None):
        import pylsl

        info = pylsl.StreamInfo(name, "Markers", 1, pylsl.IRREGULAR_RATE, pylsl.cf_string,
                                source_id or name)  # fmt: skip
        self.outlet = pylsl.StreamOutlet(info)
        self.clock = pylsl.local_clock

    def push(self, text: str, timestamp: float | None = None) -> float:
        """Send one marker stamped ``timestamp`` (now when omitted); return the stamp."""
        stamp = self.clock() if timestamp is None else timestamp
        self.outlet.push_sample([text], stamp)
        return stamp

    def have_consumers(self) -> bool:
        return self.outlet.have_consumers()
