"""The V-axis facts the study needs, read from an axis.json.

Positions come from ``positions``. The alignment strategies also need the nine sentences'
LLM embeddings: taken from the file's ``embeddings`` ({category: vector}) when it holds
them; otherwise derived from the positions as points on a half circle,
``(p, sqrt(1 - p**2))``, whose cosine similarities fall with the distance on the axis --
the one structure of the LLM space the positions preserve. The summary records which.
The V-direction is the file's ``direction`` when it lives in the embeddings' space, else
the position-weighted direction of the embeddings.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from vaxis.errors import DataError
from vaxis.offline.study.alignment import AlignmentTargets
from vaxis.offline.study.geometry import valence_direction


def read_axis(path: str | Path) -> dict:
    """The axis.json at ``path`` as a dict (it must hold ``positions``)."""
    path = Path(path)
    try:
        axis = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"axis file {path} does not exist") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"axis file {path} is not valid JSON: {err}") from None
    if not isinstance(axis, dict) or not isinstance(axis.get("positions"), dict):
        raise DataError(f"axis file {path}: expected an object with 'positions' {{category: x}}")
    return axis


def axis_positions(axis: dict, classes: list[str], where: str = "axis.json") -> np.ndarray:
    """Position of each class, in class order."""
    missing = [c for c in classes if c not in axis["positions"]]
    if missing:
        raise DataError(f"{where}: no V-axis position for categories {missing}")
    return np.array([float(axis["positions"][c]) for c in classes])


def alignment_targets(axis: dict, classes: list[str], where: str = "axis.json") -> AlignmentTargets:
    """Positions, LLM embeddings and V-direction for the alignment strategies."""
    positions = axis_positions(axis, classes, where)
    stored = axis.get("embeddings")
    if isinstance(stored, dict) and all(c in stored for c in classes):
        embeddings = np.array([stored[c] for c in classes], dtype=np.float64)
        source = f"LLM sentence embeddings stored in {where} ({axis.get('model', 'model ?')})"
    else:
        clipped = np.clip(positions, -1.0, 1.0)
        embeddings = np.stack([clipped, np.sqrt(1.0 - clipped**2)], axis=1)
        source = f"derived from positions ({where} stores no embeddings)"
    direction = np.asarray(axis.get("direction") or [], dtype=np.float64)
    if direction.shape != (embeddings.shape[1],):
        direction = valence_direction(embeddings, positions)
    return AlignmentTargets(positions, embeddings, direction, source)
