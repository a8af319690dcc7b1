"""``axis.json``: the V-axis as written by ``vaxis axis build`` and read by everything else.

Fields (JSON object, schema ``vaxis.axis/1``):

``positions``
    ``{category: x}``, each category's position on the axis, scaled so the farthest defining
    category sits at ±1 and neutral (the side-0 categories) at 0; placed categories are
    projected the same way and may land slightly beyond ±1.
``direction``, ``center``
    The unit direction and the centring vector in the language model's hidden space
    (``position = scale * (h - center) @ direction + offset``; ``scale``/``offset`` stored too).
``model``, ``layer``, ``pooling``, ``template``
    Provenance of the hidden states; ``template`` wraps every projected text.
``anchor``
    Where projected texts have their zero: the mean raw projection of the defining category
    names in ``template`` (texts are scaled like the sentences, then shifted by it).
``sentences``, ``sentences_sha256``
    Every category's sentence ``{category: text}`` (defining and placed) and the sha256 of
    their canonical JSON.
``sides``, ``placed``
    The valence side (-1, 0, +1) of each defining category, and the categories placed on the
    axis without defining it (absent in files written before placed categories existed).
``embeddings`` (optional)
    ``{category: vector}``, the pooled sentence embeddings.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from vaxis.errors import DataError

SCHEMA = "vaxis.axis/1"


@dataclass
class AxisFile:
    """The contents of an ``axis.json``."""

    positions: dict[str, float]
    model: str
    layer: int
    pooling: str
    sentences_sha256: str
    direction: list[float] = field(default_factory=list)
    center: list[float] = field(default_factory=list)
    scale: float = 1.0
    offset: float = 0.0
    template: str = "{}"
    anchor: float = 0.0
    sentences: dict[str, str] = field(default_factory=dict)
    embeddings: dict[str, list[float]] = field(default_factory=dict)
    sides: dict[str, int] = field(default_factory=dict)
    placed: list[str] = field(default_factory=list)
    schema: str = SCHEMA

    @classmethod
    def from_positions(cls, positions: dict[str, float], source: str) -> AxisFile:
        """An axis given by its positions alone, without a language model behind it (a
        synthetic corpus's planted valence, ratings from a norming study): ``source`` says
        where the positions come from and stands in the provenance's ``model``."""
        return cls(
            positions={str(k): float(v) for k, v in positions.items()},
            model=source,
            layer=-1,
            pooling="none",
            sentences_sha256="",
        )

    def position_of(self, classes: list[str], where: str = "axis.json") -> list[float]:
        """Positions of ``classes`` in their order (names match ignoring case); a
        :class:`DataError` names any missing and the categories the axis has."""
        by_name = {name.lower(): value for name, value in self.positions.items()}
        missing = [c for c in classes if c.lower() not in by_name]
        if missing:
            raise DataError(
                f"{where}: no V-axis position for categories {missing} (the axis has "
                f"{', '.join(self.positions)}); build an axis that places them with "
                "build_axis(sentences=...), with load_extra(path) for placed ones"
            )
        return [float(by_name[c.lower()]) for c in classes]

    def provenance(self) -> dict:
        """What a bundle or report records about the axis it used."""
        return {
            "model": self.model,
            "layer": self.layer,
            "pooling": self.pooling,
            "template": self.template,
            "sentences_sha256": self.sentences_sha256,
        }

    def to_dict(self) -> dict:
        return asdict(self)


def save_axis(axis: AxisFile, path: str | Path) -> Path:
    """Write ``axis`` as JSON to ``path`` (parents created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(axis.to_dict(), indent=2) + "\n")
    return path


def load_axis(path: str | Path) -> AxisFile:
    """Read an ``axis.json``; a :class:`DataError` says what is missing or malformed."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        hint = "build one with `vaxis axis build`"
        raise DataError(f"axis file {path} does not exist ({hint})") from None
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"axis file {path} is not valid JSON: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("positions"), dict):
        raise DataError(f"axis file {path}: expected an object with 'positions' {{category: x}}")
    known = set(AxisFile.__dataclass_fields__)
    required = {"positions", "model", "layer", "pooling", "sentences_sha256"}
    missing = sorted(required - set(data))
    if missing:
        raise DataError(f"axis file {path}: missing {', '.join(missing)}")
    try:
        positions = {str(k): float(v) for k, v in data["positions"].items()}
    except (TypeError, ValueError):
        raise DataError(f"axis file {path}: positions must be numbers") from None
    return AxisFile(**{**{k: v for k, v in data.items() if k in known}, "positions": positions})
