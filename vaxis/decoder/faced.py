"""FACED's fixed layout: its nine classes and the class of each of its 28 clips.

They live in the decoder room so that the live path (replaying a FACED subject file) reads
them without importing :mod:`vaxis.offline`; the montage is
:data:`~vaxis.decoder.channels.FACED_CHANNELS`.
"""

from __future__ import annotations

import numpy as np

#: FACED's nine categories, classes 0-8 in this order.
FACED_CLASSES: tuple[str, ...] = (
    "anger", "disgust", "fear", "sadness", "neutral",
    "amusement", "inspiration", "joy", "tenderness",
)  # fmt: skip

#: Clips per category in FACED's fixed clip order (28 clips).
FACED_CLIPS_PER_CLASS: tuple[int, ...] = (3, 3, 3, 3, 4, 3, 3, 3, 3)

#: The class of each of FACED's 28 clips, in clip order.
FACED_CLIP_LABELS: np.ndarray = np.repeat(np.arange(9), FACED_CLIPS_PER_CLASS)
