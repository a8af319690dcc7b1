"""Where messages go: a ZeroMQ publisher, an LSL outlet and in-process callbacks, each a
:class:`Publisher`.

The live loop hands every message, prediction or status, to each of its publishers in turn;
a publisher takes what it carries and ignores the rest.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from vaxis.errors import StreamError
from vaxis.stream.config import ZMQ_ENDPOINT
from vaxis.stream.messages import PREDICTION_TOPIC, STATUS_TOPIC, Message, encode

log = logging.getLogger(__name__)


class Publisher(Protocol):
    """Somewhere messages go. Opened by its constructor, released by :meth:`close`."""

    def publish(self, topic: str, message: Message) -> None:
        """Hand over one message (``topic`` says which kind); never block the caller."""

    def close(self) -> None:
        """Release what the publisher holds."""


def is_loopback(address: str) -> bool:
    """Whether a ZeroMQ endpoint can only be reached from this machine: ``ipc://`` and
    ``inproc://``, or ``tcp://`` on a loopback address (``127.0.0.1``, ``[::1]``,
    ``localhost``, ``lo``). ``tcp://*``, another address or interface, and multicast
    transports reach beyond it."""
    scheme, _, rest = address.partition("://")
    if scheme in ("ipc", "inproc"):
        return True
    if scheme != "tcp":
        return False
    host = rest.rsplit(":", 1)[0].strip("[]")
    if host in ("localhost", "lo"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # "*", an interface or a host name
        return False


class ZmqPublisher:
    """Publishes ``[topic, json]`` on an XPUB socket that never blocks the caller.

    A plain PUB socket drops silently when a subscriber falls behind; XPUB with
    ``XPUB_NODROP`` instead refuses the send (``zmq.Again`` with ``NOBLOCK``), so each drop
    is counted in :attr:`dropped` and decoding carries on.

    Parameters
    ----------
    address : str
        Endpoint to bind (:data:`~vaxis.stream.config.ZMQ_ENDPOINT`: loopback unless told
        otherwise).
    hwm : int
        Messages queued per subscriber before sends are dropped.
    allow_remote : bool
        Bind beyond loopback without the warning that is otherwise logged: predictions
        bound to ``tcp://0.0.0.0`` or ``tcp://*`` reach anyone on the network.
    """

    def __init__(self, address: str = ZMQ_ENDPOINT, hwm: int = 1000, allow_remote: bool = False):
        import zmq

        if not allow_remote and not is_loopback(address):
            log.warning(
                "the ZeroMQ publisher binds to %s, beyond loopback: anyone who can reach this "
                "machine can read the predictions (bind to tcp://127.0.0.1:PORT, or pass "
                "allow_remote=True to silence this warning)",
                address,
            )

        self._zmq = zmq
        self.address = address
        self.socket: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.XPUB)
        self.socket.setsockopt(zmq.SNDHWM, hwm)
        self.socket.setsockopt(zmq.XPUB_NODROP, 1)
        self.socket.setsockopt(zmq.LINGER, 0)
        try:
            self.socket.bind(address)
        except zmq.ZMQError as err:
            self.socket.close()
            raise StreamError(f"cannot bind ZeroMQ publisher to {address}: {err}") from None
        self.sent = 0
        self.dropped = 0

    def publish(self, topic: str, message: Message) -> None:
        """Send without blocking; count a drop (:attr:`dropped`) if a queue is full."""
        self._drain_subscriptions()
        try:
            self.socket.send_multipart(encode(topic, message), flags=self._zmq.NOBLOCK)
        except self._zmq.Again:
            self.dropped += 1
            return
        self.sent += 1

    def _drain_subscriptions(self) -> None:
        # XPUB hands (un)subscriptions to the application; read them so they do not pile up.
        while self.socket.poll(0):
            self.socket.recv()

    def close(self) -> None:
        self.socket.close(linger=0)


class LslPublisher:
    """An LSL outlet of predictions: valence then one probability per class, float32,
    irregular rate, each sample stamped with its window's end (the LSL time of its last EEG
    sample) so LabRecorder stores it beside the EEG. An invalid window's values are NaN;
    status messages are not sent."""

    def __init__(self, name: str, classes: list[str], source_id: str = "vaxis"):
        import pylsl

        self.classes = list(classes)
        try:  # liblsl refuses some names (an empty one), or cannot open the outlet
            info = pylsl.StreamInfo(name, "Valence", 1 + len(classes), pylsl.IRREGULAR_RATE,
                                    pylsl.cf_float32, source_id)  # fmt: skip
            channels = info.desc().append_child("channels")
            for label in ["valence", *(f"p_{c}" for c in classes)]:
                channel = channels.append_child("channel")
                channel.append_child_value("label", label)
                kind = "Valence" if label == "valence" else "Probability"
                channel.append_child_value("type", kind)
            self.outlet = pylsl.StreamOutlet(info)
        except RuntimeError as err:
            raise StreamError(f"cannot create the LSL outlet {name!r}: {err}") from None

    def publish(self, topic: str, message: Message) -> None:
        """Push a prediction's valence and probabilities, stamped with its ``t_end``."""
        if topic != PREDICTION_TOPIC:
            return
        values = [message["valence"], *(message["probs"][c] for c in self.classes)]
        sample = np.array([np.nan if v is None else v for v in values], np.float32)
        self.outlet.push_sample(sample.tolist(), message["t_end"])

    def close(self) -> None:
        del self.outlet


class CallbackPublisher:
    """Hands each message to a Python callable, in the decoding thread: predictions to
    ``on_prediction``, statuses to ``on_status`` (either may be ``None``)."""

    def __init__(
        self,
        on_prediction: Callable[[Message], Any] | None = None,
        on_status: Callable[[Message], Any] | None = None,
    ):
        self._callbacks = {PREDICTION_TOPIC: on_prediction, STATUS_TOPIC: on_status}

    def publish(self, topic: str, message: Message) -> None:
        callback = self._callbacks.get(topic)
        if callback is not None:
            callback(message)

    def close(self) -> None:
        """Nothing to release: the callables belong to the caller."""
