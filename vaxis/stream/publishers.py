"""Where predictions go: a ZeroMQ publisher and an LSL outlet."""

from __future__ import annotations

import numpy as np

from vaxis.errors import StreamError
from vaxis.stream.messages import encode


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
    """

    def __init__(self, address: str = "tcp://127.0.0.1:5556", hwm: int = 1000):
        import zmq

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
