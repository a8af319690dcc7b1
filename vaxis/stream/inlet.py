"""EEG in over LSL: an mne-lsl ``StreamInlet``, matched to a bundle's channels.

The inlet connects by name, type or source id, picks the bundle's channels by name
(case-insensitive, 10-20 aliases), converts units to microvolts and hands out the samples
that arrived since the last call, with their LSL timestamps. A stream that stops delivering
is reported lost; the caller then connects again (the same source, or a new one with the
same name/type/id).

The inlet is liblsl's own, read with ``pull_chunk`` on the caller's schedule: liblsl
already buffers what arrives between pulls, so a ring buffer on top (mne-lsl's
``StreamLSL``) would only copy every sample once more, and one thread polling every stream
keeps a process decoding many streams cheap. Connecting does not wait for a clock offset
estimate (``StreamLSL`` spends about 0.6 s on one it only logs): timestamps are used as the
source stamps them, so a stream that returns is decoded that much sooner.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
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


#: Seconds of each resolve attempt: how soon a stop request is noticed, and how often a
#: source that returned is looked for.
RESOLVE_SLICE_S = 0.1


def _channel_names(names: list[str | None] | None, n: int) -> list[str]:
    """The stream's channel names, its channel numbers (``"0"``, ``"1"``, …) where a name is
    missing, as mne-lsl names them."""
    names = list(names or [])[:n]
    names += [None] * (n - len(names))
    return [name if name else str(i) for i, name in enumerate(names)]


def _close_quietly(inlet: Any) -> None:
    try:
        inlet.close_stream()
    except Exception:  # noqa: BLE001 - a dead or half-open inlet may fail to close cleanly
        pass


def _open(inlet: Any, timeout: float, stop: threading.Event | None) -> bool:
    """Open an mne-lsl inlet; return False, leaving it to close in the background, if
    ``stop`` is set first.

    Opening takes about half a second even on loopback (the samples sent meanwhile are
    kept), inside liblsl where no stop request reaches; so the inlet is opened in a daemon
    thread and abandoned on request rather than waited for.
    """
    done, failure = threading.Event(), []

    def close_once_open() -> None:
        done.wait()
        _close_quietly(inlet)

    def connect() -> None:
        try:
            inlet.open_stream(timeout=timeout)
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


@dataclass(frozen=True)
class Source:
    """What the inlet knows of a source it connected to, kept once the connection is gone
    (not the inlet itself: liblsl destroys an inlet where its last reference goes, and that
    can take seconds; it must be in the background thread that closes it)."""

    uid: str
    label: str
    sfreq: float
    unit_note: str


@dataclass
class Connection:
    """An open inlet to one source, and what reading the bundle's channels from it takes."""

    inlet: Any  # mne_lsl.lsl.StreamInlet
    source: Source
    picks: np.ndarray  # rows of the bundle's channels
    scale: np.ndarray  # (n_channels, 1) factors to microvolts
    max_samples: int  # enough to drain in one pull what liblsl buffered


class EegInlet:
    """Pull EEG for a bundle from an LSL stream.

    :meth:`connect` finds a source and opens it; a caller that looks for a source in the
    background (as the live loop does) calls :meth:`find` and :meth:`open` there, and
    :meth:`adopt` in the thread that pulls.

    Parameters
    ----------
    channels : list of str
        The bundle's channels, in order.
    name, stype, source_id : str, optional
        How to find the stream (at least one).
    bufsize : float
        Seconds liblsl keeps between pulls (more than the longest pause between them; older
        samples are dropped).
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
        #: Uids of sources given up: liblsl keeps answering for a vanished outlet a while.
        self.dead: set[str] = set()
        self._connection: Connection | None = None
        self._kept: Connection | None = None  # see disconnect()
        self._last: Source | None = None
        self._label = name or stype or source_id or ""
        #: A sample :meth:`wait` took off liblsl's queue, and its timestamp: pulled first.
        self._held: tuple[np.ndarray, float] | None = None

    # -- of the source connected now (or, once lost, last) ----------------------------------

    @property
    def connection(self) -> Connection | None:
        """The connection pulled from now, ``None`` while not connected."""
        return self._connection

    @property
    def stream(self) -> Any:
        """The mne-lsl ``StreamInlet`` while connected, else ``None``."""
        return self._connection.inlet if self._connection else None

    @property
    def uid(self) -> str | None:
        return self._last.uid if self._last else None

    @property
    def label(self) -> str:
        """The stream's name once connected, else what it is looked for by."""
        return self._last.label if self._last else self._label

    @property
    def sfreq(self) -> float:
        """The nominal rate of the source last connected to (0 before)."""
        return self._last.sfreq if self._last else 0.0

    @property
    def unit_note(self) -> str | None:
        return self._last.unit_note if self._last else None

    # -- connecting --------------------------------------------------------------------------

    def connect(self, timeout: float = 5.0, stop: threading.Event | None = None) -> EegInlet:
        """Find and open a source; raise :class:`StreamError` if nothing answers in time.

        Finding polls ``stop`` every :data:`RESOLVE_SLICE_S`; once it is set, return
        without connecting (``stream`` stays ``None``).
        """
        info = self.find(timeout, stop)
        connection = self.open(info, stop, timeout) if info is not None else None
        if connection is not None:
            self.adopt(connection)
        return self

    def find(
        self,
        timeout: float,
        stop: threading.Event | None = None,
        exclude: str | None = None,
        shared: bool = False,
    ) -> Any:
        """The first source answering the query within ``timeout`` seconds, neither given
        up nor ``exclude`` (a uid); ``None`` once ``stop`` is set. Raise
        :class:`StreamError` when none answers.

        ``shared=True`` (background searches) picks it out of one resolution of every
        stream shared with the process's other searches (:class:`SharedResolution`)
        instead of asking the network for this query alone."""
        from mne_lsl.lsl import resolve_streams

        deadline = time.monotonic() + timeout
        while True:
            if stop is not None and stop.is_set():
                return None
            began = time.monotonic()
            wait = max(1e-3, min(RESOLVE_SLICE_S, deadline - began))
            if shared:
                found = [i for i in RESOLUTION.streams(wait) if self._answers(i)]
            else:
                found = resolve_streams(timeout=wait, **self.query)
            found = [i for i in found if i.uid not in self.dead and i.uid != exclude]
            if found:
                return found[0]
            # liblsl answers at once for a source it still knows (one given up, or excluded):
            # wait out the slice rather than ask again at once.
            rest = wait - (time.monotonic() - began)
            if rest > 0:
                (stop or threading.Event()).wait(rest)
            if time.monotonic() >= deadline:
                wanted = ", ".join(f"{k}={v!r}" for k, v in self.query.items() if v)
                raise StreamError(f"no LSL stream with {wanted} found within {timeout:g} s")

    def _answers(self, info: Any) -> bool:
        """Whether the stream ``info`` describes matches the query."""
        return all(getattr(info, key) == value for key, value in self.query.items() if value)

    def open(
        self, info: Any, stop: threading.Event | None = None, timeout: float = 5.0
    ) -> Connection | None:
        """Open the source ``info`` (from :meth:`find`) and match the bundle's channels;
        ``None`` once ``stop`` is set. Changes nothing here: hand the result to
        :meth:`adopt`."""
        from mne_lsl.lsl import StreamInlet

        where = f"LSL stream {info.name!r}"
        if info.sfreq <= 0:
            raise StreamError(f"{where} has an irregular rate; EEG needs a nominal rate")
        if info.dtype == "string":
            raise StreamError(f"{where} carries strings; EEG needs numbers")
        inlet = StreamInlet(info, max_buffered=max(1, math.ceil(self.bufsize)))
        if not _open(inlet, max(timeout, 5.0), stop):
            return None
        try:
            full = inlet.get_sinfo(timeout=max(timeout, 5.0))
            names = _channel_names(full.get_channel_names(), full.n_channels)
            picks = match_channels(names, self.channels)
            units = full.get_channel_units() or [None] * full.n_channels
            scale, note = unit_scale([units[i] for i in picks], where)
        except BaseException:
            _close_quietly(inlet)
            raise
        source = Source(info.uid, info.name, float(info.sfreq), note)
        return Connection(inlet, source, np.asarray(picks), scale[:, None],
                          max(1, math.ceil(self.bufsize * source.sfreq)))  # fmt: skip

    def adopt(self, connection: Connection) -> None:
        """Read from ``connection`` from now on; a source connected until now is given up
        (closed in the background, never picked again)."""
        if self._connection is not None:
            self.mark_lost()
        self._connection, self._last = connection, connection.source
        self._held = None

    # -- reading -----------------------------------------------------------------------------

    def wait(self, timeout: float) -> None:
        """Block until a sample arrives or ``timeout`` seconds pass, whichever is first.

        liblsl wakes the caller as the sample lands (no polling, no CPU while waiting);
        the sample is kept and handed out first by the next :meth:`pull`. Returns at once
        when a sample is already held; sleeps ``timeout`` while not connected.
        """
        connection = self._connection
        if connection is None:
            time.sleep(timeout)
            return
        if self._held is not None:
            return
        try:
            sample, stamp = connection.inlet.pull_sample(timeout)
        except RuntimeError:  # lost: the next pull says so
            return
        if stamp is not None:  # out of liblsl's reused buffer
            self._held = (np.array(sample), stamp)

    def pull(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Samples since the last pull: (n_channels, n) microvolts and (n,) LSL timestamps.

        Returns ``None`` when liblsl reported the connection lost (a source without a source
        id cannot be recovered); the inlet is then closed.
        """
        connection = self._connection
        if connection is None:
            return None
        try:
            data, stamps = connection.inlet.pull_chunk(0.0, connection.max_samples)
        except RuntimeError:  # mne-lsl raises LostError, a RuntimeError
            self.disconnect(wait=False)
            return None
        if self._held is not None:
            sample, stamp = self._held
            self._held = None
            data, stamps = np.vstack([sample, data]), np.concatenate([[stamp], stamps])
        # Only the picked channels, out of liblsl's reused buffer, in microvolts.
        out = np.multiply(data[:, connection.picks].T, connection.scale, dtype=np.float32)
        return out, stamps

    def mark_lost(self) -> None:
        """The source connected last stopped delivering: close it (if liblsl has not) and
        never pick it again."""
        if self._last is not None:
            self.dead.add(self._last.uid)
        self.disconnect(wait=False)

    def disconnect(self, wait: bool = True, keep: bool = False) -> None:
        """Close the connection.

        ``wait=False`` closes in a background thread: closing an inlet whose source has
        vanished can block in liblsl for tens of seconds, and the loop must carry on
        meanwhile. ``keep=True`` (at the end of a run) also keeps the closed inlet here, to
        be destroyed with this object: liblsl takes about 0.3 s to destroy one whose source
        vanished, one after another, which held up the exit of a process that had closed
        64 of them for 19 s.
        """
        connection, self._connection = self._connection, None
        self._held = None
        if connection is None:
            return
        if keep:
            self._kept = connection
        if wait:
            _close_quietly(connection.inlet)
        else:
            close_in_background(connection.inlet)


class SharedResolution:
    """Every stream on the network, resolved by one thread at a time on behalf of all the
    background searches of a process.

    A search asking liblsl for its own stream costs every outlet on the network a query to
    answer, ten times a second. With 128 streams silent at once (outlets up, nothing sent
    yet) the 128 searches kept both cores busy and held up decoding for ten seconds once
    the data began. Here one resolution per slice serves every search: a search that asks
    while another resolves waits (off the GIL) for that one's result.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done_at = -math.inf
        self._streams: list[Any] = []

    def streams(self, wait: float) -> list[Any]:
        """Every stream that answered a resolution that ended after this call began: one
        under way when it began, or else one this thread runs, for ``wait`` seconds."""
        from mne_lsl.lsl import resolve_streams

        asked = time.monotonic()
        with self._lock:
            if self._done_at < asked:
                self._streams = resolve_streams(timeout=wait)
                self._done_at = time.monotonic()
            return self._streams


#: The process's shared resolution (see :class:`SharedResolution`).
RESOLUTION = SharedResolution()


def close_in_background(inlet: Any) -> None:
    """Close an mne-lsl inlet in a daemon thread (see :meth:`EegInlet.disconnect`)."""
    threading.Thread(target=_close_quietly, args=(inlet,), daemon=True,
                     name="vaxis-lsl-close").start()  # fmt: skip


#: Seconds a background search waits after a source it found could not be opened.
RETRY_S = 0.5


class SourceFinder:
    """Looks for a source of ``inlet``'s query in a daemon thread, and opens it.

    The thread ends once it has opened one or is cancelled; a source that answers but
    cannot be opened (gone again, channels missing) is tried again after :data:`RETRY_S`.
    :meth:`take` hands the opened connection over, once.

    Parameters
    ----------
    inlet : EegInlet
    exclude : str, optional
        The uid of a source not to pick (the one connected now, which stalled).
    """

    def __init__(self, inlet: EegInlet, exclude: str | None = None):
        self._inlet, self._exclude = inlet, exclude
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._found: Connection | None = None
        self._thread = threading.Thread(target=self._run, daemon=True, name="vaxis-lsl-find")
        self._thread.start()

    @property
    def searching(self) -> bool:
        """Whether the thread still looks (or opens)."""
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._cancel.is_set():
            try:
                info = self._inlet.find(RETRY_S, self._cancel, self._exclude, shared=True)
            except StreamError:
                continue  # not back yet
            if info is None:
                return  # cancelled
            try:
                connection = self._inlet.open(info, self._cancel)
            except (StreamError, TimeoutError, RuntimeError):
                self._cancel.wait(RETRY_S)  # gone again, or not a source we can read
                continue
            if connection is None:
                return  # cancelled
            with self._lock:
                if self._cancel.is_set():
                    close_in_background(connection.inlet)
                else:
                    self._found = connection
            return

    def take(self) -> Connection | None:
        """The connection opened, once the search is over (``None`` before, and after)."""
        with self._lock:
            found, self._found = self._found, None
        return found

    def cancel(self) -> None:
        """Stop searching; a connection opened and not taken is closed."""
        with self._lock:
            self._cancel.set()
            found, self._found = self._found, None
        if found is not None:
            close_in_background(found.inlet)
