"""A protocol file for script-driven calibration sessions, played as LSL markers.

When no experiment software sends markers, ``vaxis calibrate --protocol FILE`` plays the
protocol itself: it opens a marker outlet and sends the vocabulary of
:mod:`vaxis.calibration.markers` on schedule, and the session reads that stream like any
other, so both ways share one code path. The participant is shown the stimuli by whatever
presents them (the schedule is printed); the protocol only times the markers.

A protocol is JSON::

    {
      "baseline_s": 60,
      "stimulus_s": 30,
      "pause_s": 5,
      "stimuli": ["anger/1", "joy/1", "neutral/1", "fear/1", "joy/2", "anger/2"]
    }

Each stimulus is ``<class>/<id>``; ``stimulus_s`` is the default duration, and an entry may
be ``{"stimulus": "joy/1", "seconds": 20}`` instead. Classes are the bundle's, whatever they
are (FACED's nine, SEED-V's five, a lab's own), matched ignoring case; given the bundle's
classes, :func:`load_protocol` refuses a stimulus of any other class.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vaxis.errors import DataError


@dataclass
class Protocol:
    """A resting baseline, then stimuli with pauses between them (seconds)."""

    baseline_s: float = 60.0
    stimulus_s: float = 30.0
    pause_s: float = 5.0
    stimuli: list[tuple[str, str, float]] = field(default_factory=list)

    def schedule(self) -> list[tuple[float, str]]:
        """``(offset_s, marker)`` from the session start, ending with ``session/end``."""
        out = [(0.0, "baseline/start"), (self.baseline_s, "baseline/end")]
        t = self.baseline_s
        for cls, ident, seconds in self.stimuli:
            t += self.pause_s
            out += [(t, f"stim/{cls}/{ident}/start"), (t + seconds, f"stim/{cls}/{ident}/end")]
            t += seconds
        return [*out, (t + self.pause_s, "session/end")]

    @property
    def duration_s(self) -> float:
        return self.schedule()[-1][0]

    def unknown_classes(self, classes: Sequence[str]) -> list[str]:
        """The stimuli's classes that are not in ``classes`` (ignoring case), sorted."""
        known = {c.lower() for c in classes}
        return sorted({cls for cls, _, _ in self.stimuli if cls not in known})


def load_protocol(path: str | Path, classes: Sequence[str] | None = None) -> Protocol:
    """Read a protocol JSON file (see the module docstring); with ``classes`` (a bundle's),
    a stimulus of another class is an error."""
    path = Path(path)
    try:
        spec = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"{path}: no such protocol file") from None
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: not a readable JSON protocol ({err})") from None
    try:
        default = float(spec.get("stimulus_s", 30.0))
        stimuli = []
        for entry in spec["stimuli"]:
            name, seconds = (entry, default) if isinstance(entry, str) else (
                entry["stimulus"], float(entry.get("seconds", default)))  # fmt: skip
            cls, _, ident = str(name).partition("/")
            if not cls or not ident or "/" in ident:
                raise ValueError(f"stimulus {name!r} is not '<class>/<id>'")
            stimuli.append((cls.lower(), ident, seconds))
        protocol = Protocol(float(spec.get("baseline_s", 60.0)), default,
                            float(spec.get("pause_s", 5.0)), stimuli)  # fmt: skip
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise DataError(f"{path}: malformed protocol ({err})") from None
    if not stimuli:
        raise DataError(f"{path}: the protocol lists no stimuli")
    unknown = protocol.unknown_classes(classes) if classes is not None else []
    if unknown:
        raise DataError(f"{path}: stimuli of classes {unknown} the bundle does not decode "
                        f"(its classes: {', '.join(classes)})")  # fmt: skip
    return protocol


class ProtocolPlayer(threading.Thread):
    """Send a protocol's markers on an LSL outlet in real time (a daemon thread).

    The schedule starts ``lead_s`` after :meth:`start`, leaving time for the session's
    inlet to connect; ``stop`` ends it early (no ``session/end`` is then sent).
    """

    def __init__(self, protocol: Protocol, name: str, lead_s: float = 2.0):
        super().__init__(daemon=True, name="vaxis-protocol")
        from vaxis.calibration.markers import MarkerOutlet

        self.protocol = protocol
        self.outlet = MarkerOutlet(name)
        self.name_ = name
        self.lead_s = lead_s
        self.halt = threading.Event()

    def run(self) -> None:
        t0 = self.outlet.clock() + self.lead_s
        for offset, marker in self.protocol.schedule():
            wait = t0 + offset - self.outlet.clock()
            if wait > 0 and self.halt.wait(wait):
                return
            self.outlet.push(marker, t0 + offset)

    def stop(self) -> None:
        self.halt.set()
