"""The messages vaxis publishes: ``vaxis.prediction`` and ``vaxis.status`` (JSON over ZeroMQ)."""

from __future__ import annotations

import json
import math
from typing import Any, Literal

PREDICTION_TOPIC = "vaxis.prediction"
STATUS_TOPIC = "vaxis.status"
PREDICTION_SCHEMA = "vaxis.prediction/1"
STATUS_SCHEMA = "vaxis.status/1"

#: A message as published: a JSON object.
Message = dict[str, Any]

#: A stream's ``state`` in ``vaxis.status``: looking for it, receiving, silent for a while
#: (the connection kept), lost (being resolved again), or the loop closed.
State = Literal["connecting", "connected", "stalled", "disconnected", "stopped"]


def _number(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 6)


def prediction(
    seq: int,
    stream: str,
    t_start: float,
    t_end: float,
    t_published: float,
    classes: list[str],
    probs,
    valence: float,
    valid: bool,
    reason: str | None,
    model: str,
) -> Message:
    """A ``vaxis.prediction/1`` message. Invalid windows carry ``label``/``valence`` null."""
    label = None
    if valid:
        label = classes[max(range(len(classes)), key=lambda i: probs[i])]
    return {
        "schema": PREDICTION_SCHEMA,
        "seq": seq,
        "stream": stream,
        "t_start": t_start,
        "t_end": t_end,
        "t_published": t_published,
        "label": label,
        "probs": {c: _number(p) for c, p in zip(classes, probs, strict=True)},
        "valence": _number(valence) if valid else None,
        "valid": bool(valid),
        "reason": reason,
        "model": model,
    }


def encode(topic: str, message: Message) -> list[bytes]:
    """Multipart frames ``[topic, json]``."""
    return [topic.encode(), json.dumps(message, allow_nan=False).encode()]


def decode(frames: list[bytes]) -> tuple[str, Message]:
    """Inverse of :func:`encode`."""
    topic, payload = frames
    return topic.decode(), json.loads(payload)
