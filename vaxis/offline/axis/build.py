"""Build the V-axis from category sentences, and project texts onto it.

The direction
-------------
Each *defining* sentence (by default nine, one per FACED category) is run through the
language model and mean-pooled at one layer, giving ``h_c``. With ``center`` the mean of the
defining ``h_c`` and ``v_c`` the category's valence side (-1 for anger, disgust, fear,
sadness; 0 for neutral; +1 for amusement, inspiration, joy, tenderness), the direction is the
normalised difference of the positive and negative means,
``d ∝ mean(h_c | v_c = +1) - mean(h_c | v_c = -1)``. It is the least-assumption direction
that orders the two sides: it needs no fitted weights (nine points cannot support more), and
everything else about the categories' order -- where neutral falls, how far joy sits from
tenderness -- is read off the model, not imposed. Positions are ``(h_c - center) @ d``,
shifted so the side-0 categories (neutral) average 0 -- or, when there is none, so the
midpoint of the two sides' means is 0 -- and scaled so the farthest defining category sits
at ±1.

Placed categories
-----------------
Categories that should have a position without changing the axis -- SEED-V's ``happy`` and
``sad`` beside FACED's nine -- are *placed*: their sentences are pooled at the same layer and
projected with the same centre, direction, shift and scale. The axis, its layer and its
anchor stay those of the defining sentences; a placed category may land slightly beyond ±1.
The packaged axis places ``vaxis/data/sentences_extra.json`` (happy, sad) on the nine
FACED sentences of ``vaxis/data/sentences.json``.

Sentence files
--------------
A sentences file is a JSON object ``{category: sentence}`` or
``{category: {"sentence": ..., "side": -1 | 0 | 1}}``. FACED's nine names take their side
from :data:`SIDES`; any other defining category must state its side. An extra file (placed
categories) is ``{category: sentence}``. Category names are case-insensitive: they are
stored in lower case, as the marker vocabulary and the replay labels read them, and may not
contain ``/``.

Single words are projected inside ``template`` (default ``"The word is: {}."``, which puts a
word in a sentence as the axis sentences are). Their zero, the ``anchor``, is the mean
projection of the defining category *names* in the same template: a word-level neutral point
derived from the categories alone. Nothing is fitted to any evaluation lexicon.

``--layer auto`` picks, among the layers, the one whose direction best generalises across
the defining sentences: for each non-neutral category, the direction is rebuilt from the
others and the held-out sentence's signed margin (its projection relative to the midpoint
of the two sides, signed by its side) is measured; the layer with the largest mean margin
relative to the spread of the projections wins. It reads only the defining sentences (it
needs two on each side); placed categories never move the layer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import cast

import numpy as np

from vaxis.errors import ConfigError, DataError, ModelError
from vaxis.offline.axis.file import AxisFile
from vaxis.offline.axis.model import LanguageModel
from vaxis.offline.choices import Pooling

CATEGORIES: tuple[str, ...] = (
    "anger", "disgust", "fear", "sadness", "neutral",
    "amusement", "inspiration", "joy", "tenderness",
)  # fmt: skip
SIDES: dict[str, int] = {
    "anger": -1, "disgust": -1, "fear": -1, "sadness": -1, "neutral": 0,
    "amusement": 1, "inspiration": 1, "joy": 1, "tenderness": 1,
}  # fmt: skip
DEFAULT_TEMPLATE = "The word is: {}."
PACKAGED_SENTENCES = "sentences.json"
PACKAGED_EXTRA = "sentences_extra.json"


@dataclass(frozen=True)
class Sentences:
    """The sentences of an axis: those that define it, with their sides, and those placed on it.

    Attributes
    ----------
    defining : dict of str to str
        ``{category: sentence}`` that the direction, layer, shift, scale and anchor come from.
    sides : dict of str to int
        Valence side (-1, 0 or +1) of each defining category.
    placed : dict of str to str
        ``{category: sentence}`` projected onto the axis the defining sentences give.
    """

    defining: dict[str, str]
    sides: dict[str, int]
    placed: dict[str, str] = field(default_factory=dict)

    @property
    def all(self) -> dict[str, str]:
        """Every category's sentence, defining ones first."""
        return {**self.defining, **self.placed}

    def with_placed(self, extra: dict[str, str]) -> Sentences:
        """These sentences with ``extra`` placed too (a defining category keeps its own)."""
        placed = {**self.placed, **{c: s for c, s in extra.items() if c not in self.defining}}
        return Sentences(self.defining, self.sides, placed)


def category_name(name: object, where: str) -> str:
    """A category name as vaxis stores it: stripped, lower case, without ``/``."""
    text = str(name).strip().lower()
    if not text or "/" in text:
        raise DataError(f"{where}: category name {name!r} must be non-empty and hold no '/'")
    return text


def _read_json(path: str | Path | None, packaged: str) -> tuple[dict, str]:
    if path is None:
        text = resources.files("vaxis").joinpath("data", packaged).read_text()
        where = f"vaxis/data/{packaged}"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as err:
            raise DataError(f"sentences file {path}: {err.strerror}") from None
        where = str(path)
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DataError(f"{where}: not valid JSON ({err})") from None
    if not isinstance(data, dict) or not data:
        raise DataError(f"{where}: expected a JSON object {{category: sentence}}")
    return data, where


def _entries(data: dict, where: str) -> dict[str, tuple[str, object]]:
    """``{name: (sentence, side or the key's absence)}`` with names normalised, once each."""
    out: dict[str, tuple[str, object]] = {}
    for key, value in data.items():
        name = category_name(key, where)
        if name in out:
            raise DataError(f"{where}: category {name!r} is given twice (names ignore case)")
        if isinstance(value, str):
            out[name] = (value, None)
        elif isinstance(value, dict) and isinstance(value.get("sentence"), str):
            out[name] = (value["sentence"], value.get("side"))
        else:
            raise DataError(f"{where}: category {name!r} needs a sentence (a string, or an "
                            "object with 'sentence' and 'side')")  # fmt: skip
        if not out[name][0].strip():
            raise DataError(f"{where}: the sentence of {name!r} is empty")
    return out


def load_sentences(path: str | Path | None = None) -> Sentences:
    """The defining sentences of an axis (see the module docstring).

    Without ``path``: the nine packaged FACED sentences, with the packaged extra categories
    (:func:`load_extra`) placed on their axis. With ``path``: that file's categories, every
    one defining the axis (FACED's names take their side from :data:`SIDES`).
    """
    data, where = _read_json(path, PACKAGED_SENTENCES)
    defining, sides = {}, {}
    for name, (sentence, side) in _entries(data, where).items():
        if side is None:
            side = SIDES.get(name)
        if side is None:
            raise DataError(
                f"{where}: category {name!r} has no valence side; write "
                f'{{"sentence": ..., "side": -1, 0 or 1}}, or read the file with '
                "load_extra(path) to place its categories on the axis"
            )
        if side not in (-1, 0, 1) or isinstance(side, bool):
            raise DataError(f"{where}: the side of {name!r} must be -1, 0 or 1, got {side!r}")
        defining[name], sides[name] = sentence, int(side)
    if not any(s > 0 for s in sides.values()) or not any(s < 0 for s in sides.values()):
        raise DataError(f"{where}: the axis needs categories on both sides (side -1 and +1)")
    sentences = Sentences(defining, sides)
    return sentences.with_placed(load_extra()) if path is None else sentences


def load_extra(path: str | Path | None = None) -> dict[str, str]:
    """Categories to place on an axis, ``{category: sentence}``: the packaged
    ``vaxis/data/sentences_extra.json`` (SEED-V's happy and sad) or ``path``."""
    data, where = _read_json(path, PACKAGED_EXTRA)
    entries = _entries(data, where)
    sided = [name for name, (_, side) in entries.items() if side is not None]
    if sided:
        raise DataError(f"{where}: placed categories take no side ({sided}); a category with "
                        "a side defines the axis: put it in the sentences=... file")  # fmt: skip
    return {name: sentence for name, (sentence, _) in entries.items()}


def sentences_sha256(sentences: dict[str, str]) -> str:
    """Hash of the sentences' canonical JSON (sorted keys, UTF-8)."""
    blob = json.dumps(sentences, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()


def _direction(h: np.ndarray, sides: np.ndarray) -> np.ndarray:
    d = h[sides > 0].mean(0) - h[sides < 0].mean(0)
    norm = np.linalg.norm(d)
    if norm == 0:
        raise ModelError("the positive and negative sentences have identical embeddings")
    return d / norm


def layer_score(h: np.ndarray, sides: np.ndarray) -> float:
    """Leave-one-category-out margin of a layer's direction (see module docstring)."""
    margins = []
    for i in np.flatnonzero(sides != 0):
        keep = np.arange(len(sides)) != i
        d = _direction(h[keep], sides[keep])
        proj = h @ d
        mid = (proj[keep & (sides > 0)].mean() + proj[keep & (sides < 0)].mean()) / 2
        margins.append(sides[i] * (proj[i] - mid))
    return float(np.mean(margins) / (np.std(h @ _direction(h, sides)) + 1e-12))


def _zero(raw: np.ndarray, sides: np.ndarray) -> float:
    """Where positions are 0: the side-0 categories' mean, else the two sides' midpoint."""
    if np.any(sides == 0):
        return float(np.mean(raw[sides == 0]))
    return float((raw[sides > 0].mean() + raw[sides < 0].mean()) / 2)


def _as_sentences(sentences: Sentences | dict[str, str] | None) -> Sentences:
    if sentences is None:
        return load_sentences()
    if isinstance(sentences, Sentences):
        return sentences
    unknown = [c for c in sentences if c not in SIDES]
    if unknown:
        raise DataError(f"categories {unknown} have no valence side; pass Sentences")
    return Sentences(dict(sentences), {c: SIDES[c] for c in sentences})


def _choose_layer(layer: int | str, states: np.ndarray, sides: np.ndarray, model: str) -> int:
    """``layer``, or with ``"auto"`` the layer whose direction best generalises."""
    if layer == "auto":
        if min(np.sum(sides > 0), np.sum(sides < 0)) < 2:
            raise DataError("layer='auto' needs two defining categories on each side (it "
                            "leaves one out); give layer=N")  # fmt: skip
        scores = [layer_score(states[i].astype(np.float64), sides) for i in range(1, len(states))]
        layer = 1 + int(np.argmax(scores))
    layer = int(layer)
    if not 0 <= layer < len(states):
        raise ConfigError(f"layer={layer} out of range: {model} has layers 0-{len(states) - 1}")
    return layer


def build_axis(
    model: str | None = None,
    layer: int | str = "auto",
    pooling: Pooling = "mean",
    sentences: Sentences | dict[str, str] | None = None,
    template: str = DEFAULT_TEMPLATE,
    lm: LanguageModel | None = None,
) -> AxisFile:
    """Build the V-axis. See the module docstring for the definition.

    ``sentences`` is a :class:`Sentences`, a plain ``{category: sentence}`` of defining
    categories (sides from :data:`SIDES`), or ``None`` for the packaged ones.
    """
    if "{}" not in template:
        raise DataError(f"template {template!r} must contain '{{}}' where the text goes")
    sentences = _as_sentences(sentences)
    names = list(sentences.defining)
    lm = lm or LanguageModel(model)
    states = lm.hidden_states([sentences.defining[c] for c in names], pooling)
    sides = np.array([sentences.sides[c] for c in names], dtype=float)
    layer = _choose_layer(layer, states, sides, lm.id)
    h = states[layer].astype(np.float64)
    center = h.mean(0)
    d = _direction(h, sides)
    raw = (h - center) @ d
    zero = _zero(raw, sides)
    scale = 1.0 / np.max(np.abs(raw - zero))
    words = lm.hidden_states([template.format(c) for c in names], pooling)[layer]
    anchor = float(((words.astype(np.float64) - center) @ d).mean())
    positions = {c: float(scale * (r - zero)) for c, r in zip(names, raw, strict=True)}
    embeddings = {c: h[i].tolist() for i, c in enumerate(names)}
    if sentences.placed:
        placed = list(sentences.placed)
        hp = lm.hidden_states([sentences.placed[c] for c in placed], pooling)[layer]
        hp = hp.astype(np.float64)
        for c, r, vector in zip(placed, (hp - center) @ d, hp, strict=True):
            positions[c] = float(scale * (r - zero))
            embeddings[c] = vector.tolist()
    return AxisFile(
        positions=positions,
        model=lm.id,
        layer=layer,
        pooling=pooling,
        sentences_sha256=sentences_sha256(sentences.all),
        direction=d.tolist(),
        center=center.tolist(),
        scale=float(scale),
        offset=float(-scale * zero),
        template=template,
        anchor=anchor,
        sentences=sentences.all,
        embeddings=embeddings,
        sides=dict(sentences.sides),
        placed=list(sentences.placed),
    )


def project(axis: AxisFile, texts: list[str], lm: LanguageModel | None = None) -> np.ndarray:
    """Axis position of each text (inside the axis's template), in input order."""
    if not axis.direction:
        raise DataError("this axis.json holds no direction: it cannot project texts")
    if not texts:
        return np.zeros(0)
    lm = lm or LanguageModel(axis.model)
    # The file's pooling is a plain string; hidden_states refuses one it does not know.
    pooling = cast(Pooling, axis.pooling)
    states = lm.hidden_states([axis.template.format(t) for t in texts], pooling)
    h = states[axis.layer].astype(np.float64)
    if h.shape[1] != len(axis.direction):
        raise ModelError(
            f"model {lm.id} has hidden size {h.shape[1]}, the axis {len(axis.direction)}"
        )
    raw = (h - np.asarray(axis.center)) @ np.asarray(axis.direction)
    return axis.scale * (raw - axis.anchor)
