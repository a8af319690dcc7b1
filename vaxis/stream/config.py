"""What a live loop is told: :class:`LiveConfig`, the one source of its defaults.

``vaxis live`` and ``vaxis replay --realtime`` take their option defaults from here. This
module imports nothing but the standard library, so the command's options cost nothing to
declare.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from vaxis.errors import ConfigError

#: Where predictions are published unless told otherwise: loopback only.
ZMQ_ENDPOINT = "tcp://127.0.0.1:5556"


@dataclass(kw_only=True)
class LiveConfig:
    """How to find an EEG stream, decode it and publish the predictions.

    Parameters
    ----------
    bundle : path
        The bundle directory (``model.onnx`` + ``bundle.json``).
    stream, stype, source_id : str, optional
        How to find the LSL stream: its name, type or source id (at least one).
    profile : path, optional
        A participant profile made by calibration against this bundle.
    zmq : str or None
        The ZeroMQ endpoint to bind (:data:`ZMQ_ENDPOINT`, loopback); ``None`` for none.
    lsl_out : str or None
        The name of an LSL outlet of predictions; ``None`` for none. liblsl refuses some
        names (an empty one): :meth:`LiveLoop.connect` then raises ``StreamError``.
    window_s : float, optional
        The window in seconds; it must equal the bundle's, which is the default.
    hop_s : float, optional
        The hop in seconds; the bundle's by default.
    duration : float, optional
        Seconds to decode after connecting; until stopped by default.
    connect_timeout : float
        Seconds to wait for the stream at start-up (10).
    stale_s : float
        Seconds without samples before the stream is reported ``stalled``.
    status_every : float
        Seconds between two ``vaxis.status`` messages.
    threads : int
        onnxruntime intra-op threads.
    workers : int
        Threads that decode, when several streams are decoded in one process: windows due
        together, across streams sharing a bundle, are cut into this many parts decoded at
        once. 1 decodes in the loop's thread. Of several configs decoded together, the
        first one's applies.
    hwm : int
        ZeroMQ messages queued per subscriber before sends are dropped (0: no limit).
    allow_remote : bool
        Bind ``zmq`` beyond loopback without the warning that is otherwise logged.
    """

    bundle: str | Path
    stream: str | None = None
    stype: str | None = None
    source_id: str | None = None
    profile: str | Path | None = None
    zmq: str | None = ZMQ_ENDPOINT
    lsl_out: str | None = None
    window_s: float | None = None
    hop_s: float | None = None
    duration: float | None = None
    connect_timeout: float = 10.0
    stale_s: float = 1.0
    status_every: float = 1.0
    threads: int = 1
    workers: int = 1
    hwm: int = 1000
    allow_remote: bool = False

    @property
    def label(self) -> str:
        """The stream as the configuration names it: its name, else its type or source id."""
        return self.stream or self.stype or self.source_id or "?"

    def check(self) -> LiveConfig:
        """Refuse a value no live loop can honour, naming the parameter; return ``self``.

        Raises
        ------
        ConfigError
            No stream named, a duration that is not a positive number of seconds, an
            endpoint that is not one, or a count out of range.
        """
        if not (self.stream or self.stype or self.source_id):
            raise ConfigError("say which stream to read: stream, stype or source_id")
        for name in ("window_s", "hop_s", "duration"):
            if getattr(self, name) is not None:
                _positive_seconds(self, name)
        for name in ("stale_s", "status_every"):
            _positive_seconds(self, name)
        if not _is_number(self.connect_timeout) or self.connect_timeout < 0:
            raise ConfigError(
                f"connect_timeout must be a number of seconds >= 0, got {self.connect_timeout!r}"
            )
        if self.zmq is not None and "://" not in self.zmq:
            raise ConfigError(
                f"zmq must be a ZeroMQ endpoint such as {ZMQ_ENDPOINT!r}, or None; got {self.zmq!r}"
            )
        _count(self, "threads", minimum=1)
        _count(self, "workers", minimum=1)
        _count(self, "hwm", minimum=0)
        return self


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _positive_seconds(config: LiveConfig, name: str) -> None:
    value = getattr(config, name)
    if not _is_number(value) or value <= 0:
        raise ConfigError(f"{name} must be a positive number of seconds, got {value!r}")


def _count(config: LiveConfig, name: str, minimum: int) -> None:
    value = getattr(config, name)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ConfigError(f"{name} must be a whole number >= {minimum}, got {value!r}")
