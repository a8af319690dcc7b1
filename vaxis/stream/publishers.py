"""Where predictions go: a ZeroMQ publisher and an LSL outlet."""

from __future__ import annotations

import ipaddress
import logging

import numpy as np

from vaxis.errors import StreamError
from vaxis.stream.messages import encode

log = logging.getLogger(__name__)


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
        Endpoint to bind (``tcp://127.0.0.1:5556``: loopback unless told otherwise).
    hwm : int
        Messages queued per subscriber before sends are dropped.
    allow_remote : bool
        Bind beyond loopback without the warning that is otherwise logged: predictions
        bound to ``tcp://0.0.0.0`` or ``tcp://*`` reach anyone on the network.
    """

    def __init__(
        self, address: str = "tcp://127.0.0.1:5556", hwm: int = 1000, allow_remote: bool = False
    ):
        import zmq

        if not allow_remote and not is_loopback(address):
            log.warning(
                "the ZeroMQ publisher binds to %s, beyond loopback: anyone who can reach this "
                "machine can read the predictions (bind to tcp://127.0.0.1:PORT, or say "
                "--allow-remote to silence this warning)",
                address,
            )

        self._zmq = zmq
        self.address = address
        self.context = zmq.Context.instance()
        self.socket = self.context.socket(zmq.XPUB)
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

    def send(self, topic: str, message: dict) -> bool:
        """Send without blocking; return False (and count a drop) if a queue is full."""
        self._drain_subscriptions()
        try:
            self.socket.send_multipart(encode(topic, message), flags=self._zmq.NOBLOCK)
        except self._zmq.Again:
            self.dropped += 1
            return False
        self.sent += 1
        return True

    def _drain_subscriptions(self) -> None:
        # XPUB hands (un)subscriptions to the application; read them so they do not pile up.
        while self.socket.poll(0):
            self.socket.recv()

    def close(self) -> None:
        self.socket.close(linger=0)


class LslPublisher:
    """An LSL outlet of predictions: valence then one probability per class, float32,
    irregular rate, each sample stamped with its window's end (the LSL time of its last EEG
    sample) so LabRecorder stores it beside the EEG."""

    def __init__(self, name: str, classes: list[str], source_id: str = "vaxis"):
        import pylsl

        self.classes = list(classes)
        info = pylsl.StreamInfo(name, "Valence", 1 + len(classes), pylsl.IRREGULAR_RATE,
                                pylsl.cf_float32, source_id)  # fmt: skip
        channels = info.desc().append_child("channels")
        for label in ["valence", *(f"p_{c}" for c in classes)]:
            channel = channels.append_child("channel")
            channel.append_child_value("label", label)
            channel.append_child_value("type", "Valence" if label == "valence" else "Probability")
        self.outlet = pylsl.StreamOutlet(info)

    def send(self, valence: float, probs: np.ndarray, t_end: float) -> None:
        sample = np.concatenate([[valence], probs]).astype(np.float32)
        self.outlet.push_sample(sample.tolist(), t_end)

    def close(self) -> None:
        del self.outlet
