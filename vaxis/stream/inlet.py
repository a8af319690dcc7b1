"""EEG in over LSL: an mne-lsl ``StreamLSL`` ring buffer, matched to a bundle's channels.

The inlet connects by name, type or source id, picks the bundle's channels by name
(case-insensitive, 10-20 aliases), converts units to microvolts and hands out the samples
that arrived since the last call, with their LSL timestamps. A stream that stops delivering
is reported lost; the caller then connects again (the same source, or a new one with the
same name/type/id).

Acquisition is manual (:meth:`EegInlet.pull` pulls from liblsl, then reads the ring buffer):
mne-lsl's background acquisition thread sleeps with a partial busy-wait, which would cost a
sizeable share of a core per stream, and one thread polling every stream keeps a process
decoding many streams cheap.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from vaxis.decoder.channels import match_channels
from vaxis.errors import StreamError

#: Multipliers from a stream's declared unit to microvolts.
UNITS_TO_UV: dict[str, float] = {
    "microvolts": 1.0, "microvolt": 1.0, "uv": 1.0, "µv": 1.0,
    "millivolts": 1e3, "millivolt": 1e3, "mv": 1e3,
    "volts": 1e6, "volt": 1e6, "v": 1e6,
    "nanovolts": 1e-3, "nv": 1e-3,
}  # fmt: skip


def unit_scale(units: list[str | None], where: str) -> tuple[np.ndarray, str]:
    """Per-channel factors to microvolts, and a note on what was assumed.

    Units are names (``microvolts``, ``volts``, …) or, as mne-lsl writes them, a power of ten
    of volts (``"0"`` volts, ``"-6"`` microvolts). Undeclared units are taken as microvolts.
    """
    scales, assumed = [], False
    for unit in units:
        if not unit:
            scales.append(1.0)
            assumed = True
            continue
        key = unit.strip().lower()
        if key.lstrip("-").isdigit():
            # mne-lsl (and its PlayerLSL) write the unit as a power of ten of volts: "0", "-6".
            scales.append(10.0 ** (int(key) + 6))
            continue
        if key not in UNITS_TO_UV:
            raise StreamError(f"{where}: channel unit {unit!r} is not a voltage vaxis knows")
        scales.append(UNITS_TO_UV[key])
    note = "units undeclared: microvolts assumed" if assumed else "units from stream description"
    return np.asarray(scales), note


#: Seconds of each resolve attempt while connecting: how soon a stop request is noticed.
RESOLVE_SLICE_S = 0.2


def _close_quietly(stream: Any) -> None:
    try:
        stream.disconnect()
    except Exception:  # noqa: BLE001 - a dead or half-open stream may fail to close cleanly
        pass


def _open(stream: Any, timeout: float, stop: threading.Event | None) -> bool:
    """Connect an mne-lsl stream; return False, leaving it to close in the background, if
    ``stop`` is set first.

    Opening and the first time correction take about a second even on loopback, inside
    liblsl where no stop request reaches; so the connection is opened in a daemon thread
    and abandoned on request rather than waited for.
    """
    done, failure = threading.Event(), []

    def close_once_open() -> None:
        done.wait()
        _close_quietly(stream)

    def connect() -> None:
        try:
            stream.connect(acquisition_delay=None, timeout=timeout)
        except BaseException as err:  # noqa: BLE001 - handed to the waiting thread
            failure.append(err)
        finally:
            done.set()

    threading.Thread(target=connect, daemon=True, name="vaxis-lsl-open").start()
    while not done.wait(0.02):
        if stop is not None and stop.is_set():
            threading.Thread(target=close_once_open, daemon=True, name="vaxis-lsl-close").start()
            return False
    if failure:
        raise failure[0]
    return True


class EegInlet:
    """Pull EEG for a bundle from an LSL stream.

    Parameters
    ----------
    channels : list of str
        The bundle's channels, in order.
    name, stype, source_id : str, optional
        How to find the stream (at least one).
    bufsize : float
        Seconds kept in the ring buffer (more than the longest pause between pulls).
    """

    def __init__(
        self,
        channels: list[str],
        name: str | None = None,
        stype: str | None = None,
        source_id: str | None = None,
        bufsize: float = 10.0,
    ):
        if not (name or stype or source_id):
            raise StreamError("say which stream to read: name, stype or source_id")
        self.channels = list(channels)
        self.query = {"name": name, "stype": stype, "source_id": source_id}
        self.bufsize = bufsize
        #: The mne-lsl ``StreamLSL`` while connected, else ``None``.
        self.stream: Any = None
        self.uid: str | None = None
        self.dead: set[str] = set()
        self.unit_note: str | None = None
        self.label: str = name or stype or source_id or ""
        #: Of the stream last connected to: its nominal rate, the rows of the bundle's
        #: channels and their factors to microvolts.
        self.sfreq = 0.0
        self.picks = np.empty(0, dtype=int)
        self.scale = np.ones((0, 1))

    def connect(self, timeout: float = 5.0, stop: threading.Event | None = None) -> EegInlet:
        """Resolve and connect; raise :class:`StreamError` if nothing answers in time.

        Resolving polls ``stop`` every :data:`RESOLVE_SLICE_S`; once it is set, return
        without connecting (``stream`` stays ``None``).
        """
        from mne_lsl.stream import StreamLSL

        info = self._resolve(timeout, stop)
        if info is None:
            return self
        stream = StreamLSL(self.bufsize, name=info.name, stype=info.stype,
                           source_id=info.source_id)  # fmt: skip
        if not _open(stream, max(timeout, 5.0), stop):
            return self
        where = f"LSL stream {info.name!r}"
        try:
            picks = match_channels(stream.ch_names, self.channels)
            units = stream.sinfo.get_channel_units() or [None] * len(stream.ch_names)
            scale, self.unit_note = unit_scale([units[i] for i in picks], where)
        except StreamError:
            stream.disconnect()
            raise
        self.stream, self.picks, self.scale = stream, np.asarray(picks), scale[:, None]
        self.uid = info.uid
        self.sfreq = float(stream.info["sfreq"])
        self.label = info.name
        if self.sfreq <= 0:
            self.disconnect()
            raise StreamError(f"{where} has an irregular rate; EEG needs a nominal rate")
        return self

    def _resolve(self, timeout: float, stop: threading.Event | None):
        from mne_lsl.lsl import resolve_streams

        deadline = time.monotonic() + timeout
        while True:
            if stop is not None and stop.is_set():
                return None
            remaining = deadline - time.monotonic()
            found = resolve_streams(timeout=max(0.0, min(RESOLVE_SLICE_S, remaining)),
                                    **self.query)  # fmt: skip
            # liblsl keeps answering for a vanished outlet for a while; never reconnect to one.
            found = [info for info in found if info.uid not in self.dead]
            if found:
                return found[0]
            if time.monotonic() >= deadline:
                wanted = ", ".join(f"{k}={v!r}" for k, v in self.query.items() if v)
                raise StreamError(f"no LSL stream with {wanted} found within {timeout:g} s")

    def others(self, timeout: float = 0.5) -> list[str]:
        """Uids of other live sources answering the query (not this one, none given up)."""
        from mne_lsl.lsl import resolve_streams

        found = resolve_streams(timeout=timeout, **self.query)
        return [i.uid for i in found if i.uid != self.uid and i.uid not in self.dead]

    def pull(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Samples since the last pull: (n_channels, n) microvolts and (n,) LSL timestamps.

        Returns ``None`` when liblsl reported the connection lost (a source without a source
        id cannot be recovered; mne-lsl then disconnects the stream itself).
        """
        if self.stream.connected:
            self.stream.acquire()
        if not self.stream.connected:
            return None
        n = self.stream.n_new_samples
        if n == 0:
            return np.empty((len(self.channels), 0), np.float32), np.empty(0)
        n = min(n, self.stream.n_buffer)
        # Only the new samples of the picked channels (integer picks: mne-lsl parses a
        # channel-type pick on every call, ten times the cost); winsize gives ceil -> n.
        data, stamps = self.stream.get_data(winsize=(n - 0.5) / self.sfreq, picks=self.picks)
        return (data * self.scale).astype(np.float32), stamps

    def mark_lost(self) -> None:
        """The connected source stopped delivering: close it and never pick it again."""
        if self.uid:
            self.dead.add(self.uid)
        self.disconnect(wait=False)

    def disconnect(self, wait: bool = True) -> None:
        """Close the connection. ``wait=False`` closes in a background thread: closing an
        inlet whose source has vanished can block in liblsl for tens of seconds, and the
        loop must carry on meanwhile."""
        stream, self.stream = self.stream, None
        if stream is None:
            return

        if wait:
            _close_quietly(stream)
        else:
            threading.Thread(target=_close_quietly, args=(stream,), daemon=True,
                             name="vaxis-lsl-close").start()  # fmt: skip
