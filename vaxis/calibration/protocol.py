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
are (FACED's nine, SEED-V's five, a lab's own), matched ignoring case. Durations are finite
seconds, positive (pauses may be 0), at most an hour each. A class the bundle does not
know is refused unless listed in ``"extra_classes": ["happy"]`` (such stimuli are recorded
but not adapted on); any other key is refused, so a misspelt one never falls back to a
default silently.
"""

from __future__ import annotations

import json
import math
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


#: Keys a protocol file may hold; any other is refused (a misspelt key would silently
#: fall back to a default).
PROTOCOL_KEYS = ("baseline_s", "stimulus_s", "pause_s", "stimuli", "extra_classes")
#: The longest duration of any one part of a protocol.
MAX_DURATION_S = 3600.0


def _seconds(value, field_name: str, least_exclusive: bool = True) -> float:
    """A finite duration in seconds: positive (or, for pauses, not negative) and at most
    :data:`MAX_DURATION_S`; raises ``ValueError`` naming the field."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and (value > 0 if least_exclusive else value >= 0)
    if not ok or value > MAX_DURATION_S:
        bound = "> 0" if least_exclusive else ">= 0"
        raise ValueError(
            f"{field_name} must be a finite number of seconds {bound} and at most "
            f"{MAX_DURATION_S:g}, found {value!r:.40}"
        )
    return float(value)


def _parse(spec, classes: Sequence[str] | None) -> Protocol:
    if not isinstance(spec, dict):
        raise ValueError(f"the protocol must be a JSON object, found {type(spec).__name__}")
    unknown = sorted(set(spec) - set(PROTOCOL_KEYS))
    if unknown:
        raise ValueError(f"unknown keys {unknown}; a protocol holds {', '.join(PROTOCOL_KEYS)}")
    baseline = _seconds(spec.get("baseline_s", 60.0), "baseline_s")
    default = _seconds(spec.get("stimulus_s", 30.0), "stimulus_s")
    pause = _seconds(spec.get("pause_s", 5.0), "pause_s", least_exclusive=False)
    extra = spec.get("extra_classes", [])
    if not isinstance(extra, list) or not all(isinstance(c, str) and c for c in extra):
        raise ValueError("extra_classes must be a list of class names")
    known = None if classes is None else {c.lower() for c in [*classes, *extra]}
    entries = spec.get("stimuli")
    if not isinstance(entries, list) or not entries:
        raise ValueError("stimuli must be a non-empty list")
    stimuli, seen = [], set()
    for i, entry in enumerate(entries):
        where = f"stimuli[{i}]"
        if isinstance(entry, dict):
            if set(entry) - {"stimulus", "seconds"} or "stimulus" not in entry:
                raise ValueError(f'{where} must be {{"stimulus": "<class>/<id>", "seconds": S}}')
            name = entry["stimulus"]
            seconds = _seconds(entry.get("seconds", default), f"{where}.seconds")
        else:
            name, seconds = entry, default
        cls, _, ident = name.partition("/") if isinstance(name, str) else ("", "", "")
        if not cls or not ident or "/" in ident or name != name.strip():
            raise ValueError(f"{where}: stimulus {name!r} is not '<class>/<id>'")
        cls = cls.lower()
        if known is not None and cls not in known:
            raise ValueError(
                f"{where}: class {cls!r} is not one of the bundle's ({', '.join(classes or ())}); "
                'list it in "extra_classes" to record it anyway'
            )
        if (cls, ident) in seen:
            raise ValueError(f"{where}: stimulus {cls}/{ident} appears twice (ids pair markers)")
        seen.add((cls, ident))
        stimuli.append((cls, ident, seconds))
    return Protocol(baseline, default, pause, stimuli)


def load_protocol(path: str | Path, classes: Sequence[str] | None = None) -> Protocol:
    """Read and validate a protocol JSON file (see the module docstring).

    Parameters
    ----------
    path : path
    classes : sequence of str, optional
        The bundle's classes: a stimulus of any other class is refused unless the protocol
        lists it in ``extra_classes``.

    Raises
    ------
    DataError
        Naming the file and the field: a duration that is not a finite number of seconds
        (> 0; pauses >= 0; at most :data:`MAX_DURATION_S`), an unknown key or class, a
        malformed or repeated stimulus.
    """
    path = Path(path)
    try:
        spec = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"{path}: no such protocol file") from None
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: not a readable JSON protocol ({err})") from None
    try:
        return _parse(spec, classes)
    except ValueError as err:
        raise DataError(f"{path}: invalid protocol: {err}") from None


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
