"""The V-axis facts the alignment strategies need, from an axis (:func:`load_axis`'s).

Positions come from ``positions``. The strategies also need the categories' LLM
embeddings: taken from the axis's ``embeddings`` ({category: vector}) when it holds them;
otherwise derived from the positions as points on a half circle, ``(p, sqrt(1 - p**2))``,
whose cosine similarities fall with the distance on the axis -- the one structure of the
LLM space the positions preserve. The summary records which. The V-direction is the axis's
``direction`` when it lives in the embeddings' space, else the position-weighted direction
of the embeddings.
"""

from __future__ import annotations

import numpy as np

from vaxis.offline.axis import AxisFile
from vaxis.offline.study.alignment import AlignmentTargets
from vaxis.offline.study.geometry import valence_direction


def alignment_targets(
    axis: AxisFile, classes: list[str], where: str = "axis.json"
) -> AlignmentTargets:
    """Positions, LLM embeddings and V-direction of ``classes`` (names match ignoring case);
    a :class:`~vaxis.errors.DataError` names the classes the axis does not place."""
    positions = np.array(axis.position_of(classes, where))
    stored = {name.lower(): vector for name, vector in axis.embeddings.items()}
    if stored and all(c.lower() in stored for c in classes):
        embeddings = np.array([stored[c.lower()] for c in classes], dtype=np.float64)
        source = f"LLM sentence embeddings stored in {where} ({axis.model})"
    else:
        clipped = np.clip(positions, -1.0, 1.0)
        embeddings = np.stack([clipped, np.sqrt(1.0 - clipped**2)], axis=1)
        source = f"derived from positions ({where} stores no embeddings)"
    direction = np.asarray(axis.direction, dtype=np.float64)
    if direction.shape != (embeddings.shape[1],):
        direction = valence_direction(embeddings, positions)
    return AlignmentTargets(positions, embeddings, direction, source)
