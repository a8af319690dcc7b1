"""Build the V-axis from nine category sentences, and project texts onto it.

The direction
-------------
Each of the nine sentences (one per FACED category) is run through the language model and
mean-pooled at one layer, giving ``h_c``. With ``center`` the mean of the nine and ``v_c`` the
category's valence side (-1 for anger, disgust, fear, sadness; 0 for neutral; +1 for
amusement, inspiration, joy, tenderness), the direction is the normalised difference of the
positive and negative means, ``d ∝ mean(h_c | v_c = +1) - mean(h_c | v_c = -1)``. It is the
least-assumption direction that orders the two sides: it needs no fitted weights (nine
points cannot support more), and everything else about the categories' order -- where
neutral falls, how far joy sits from tenderness -- is read off the model, not imposed.
Positions are ``(h_c - center) @ d``, shifted so neutral is 0 and scaled so the farthest
category sits at ±1.

Single words are projected inside ``template`` (default ``"The word is: {}."``, which puts a
word in a sentence as the axis sentences are). Their zero, the ``anchor``, is the mean
projection of the nine category *names* in the same template: a word-level neutral point
derived from the categories alone. Nothing is fitted to any evaluation lexicon.

``--layer auto`` picks, among the layers, the one whose direction best generalises across
the nine sentences: for each non-neutral category, the direction is rebuilt from the other
eight and the held-out sentence's signed margin (its projection relative to the midpoint
of the two sides, signed by its side) is measured; the layer with the largest mean margin
relative to the spread of the projections wins. It reads only the nine sentences.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import numpy as np

from vaxis.errors import DataError, ModelError
from vaxis.offline.axis.file import AxisFile
from vaxis.offline.axis.model import LanguageModel

CATEGORIES: tuple[str, ...] = (
    "anger", "disgust", "fear", "sadness", "neutral",
    "amusement", "inspiration", "joy", "tenderness",
)  # fmt: skip
SIDES: dict[str, int] = {
    "anger": -1, "disgust": -1, "fear": -1, "sadness": -1, "neutral": 0,
    "amusement": 1, "inspiration": 1, "joy": 1, "tenderness": 1,
}  # fmt: skip
DEFAULT_TEMPLATE = "The word is: {}."


def load_sentences(path: str | Path | None = None) -> dict[str, str]:
    """The nine category sentences: the packaged ``vaxis/data/sentences.json`` or ``path``."""
    if path is None:
        text = resources.files("vaxis").joinpath("data", "sentences.json").read_text()
        where = "vaxis/data/sentences.json"
    else:
        try:
            text = Path(path).read_text()
        except OSError as err:
            raise DataError(f"sentences file {path}: {err.strerror}") from None
        where = str(path)
    try:
        sentences = json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError(f"{where}: not valid JSON ({err})") from None
    missing = [c for c in CATEGORIES if not isinstance(sentences.get(c), str)]
    if missing:
        raise DataError(f"{where}: expected a sentence for each category; missing {missing}")
    return {c: sentences[c] for c in CATEGORIES}


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


def build_axis(
    model: str | None = None,
    layer: int | str = "auto",
    pooling: str = "mean",
    sentences: dict[str, str] | None = None,
    template: str = DEFAULT_TEMPLATE,
    lm: LanguageModel | None = None,
) -> AxisFile:
    """Build the V-axis. See the module docstring for the definition."""
    if "{}" not in template:
        raise DataError(f"template {template!r} must contain '{{}}' where the text goes")
    sentences = sentences or load_sentences()
    lm = lm or LanguageModel(model)
    texts = [sentences[c] for c in CATEGORIES]
    states = lm.hidden_states(texts, pooling)
    sides = np.array([SIDES[c] for c in CATEGORIES], dtype=float)
    if layer == "auto":
        scores = [layer_score(states[i].astype(np.float64), sides) for i in range(1, len(states))]
        layer = 1 + int(np.argmax(scores))
    layer = int(layer)
    if not 0 <= layer < len(states):
        raise ModelError(f"layer {layer} out of range: {lm.id} has layers 0-{len(states) - 1}")
    h = states[layer].astype(np.float64)
    center = h.mean(0)
    d = _direction(h, sides)
    raw = (h - center) @ d
    neutral = raw[CATEGORIES.index("neutral")]
    scale = 1.0 / np.max(np.abs(raw - neutral))
    names = lm.hidden_states([template.format(c) for c in CATEGORIES], pooling)[layer]
    anchor = float(((names.astype(np.float64) - center) @ d).mean())
    positions = {c: float(scale * (r - neutral)) for c, r in zip(CATEGORIES, raw, strict=True)}
    return AxisFile(
        positions=positions,
        model=lm.id,
        layer=layer,
        pooling=pooling,
        sentences_sha256=sentences_sha256(sentences),
        direction=d.tolist(),
        center=center.tolist(),
        scale=float(scale),
        offset=float(-scale * neutral),
        template=template,
        anchor=anchor,
        sentences=dict(sentences),
        embeddings={c: h[i].tolist() for i, c in enumerate(CATEGORIES)},
    )


def project(axis: AxisFile, texts: list[str], lm: LanguageModel | None = None) -> np.ndarray:
    """Axis position of each text (inside the axis's template), in input order."""
    if not axis.direction:
        raise DataError("this axis.json holds no direction: it cannot project texts")
    if not texts:
        return np.zeros(0)
    lm = lm or LanguageModel(axis.model)
    states = lm.hidden_states([axis.template.format(t) for t in texts], axis.pooling)
    h = states[axis.layer].astype(np.float64)
    if h.shape[1] != len(axis.direction):
        raise ModelError(
            f"model {lm.id} has hidden size {h.shape[1]}, the axis {len(axis.direction)}"
        )
    raw = (h - np.asarray(axis.center)) @ np.asarray(axis.direction)
    return axis.scale * (raw - axis.anchor)
