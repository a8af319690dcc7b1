"""Zero-shot validation of an axis on a human-rated valence lexicon, and cross-axis comparison."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vaxis.errors import DataError
from vaxis.offline.axis.build import project
from vaxis.offline.axis.file import AxisFile
from vaxis.offline.axis.model import LanguageModel

CLEAR = 1.0  # |rating| at or above which a word counts as clearly valenced


def load_lexicon(spec: str = "vader") -> tuple[list[str], np.ndarray]:
    """Words and mean human valence ratings.

    ``"vader"`` reads ``vader_lexicon.txt`` from the vaderSentiment package (word, mean
    rating in [-4, 4], sd, raw ratings); any other value is a file of ``word<TAB>rating``.
    """
    if spec == "vader":
        try:
            import vaderSentiment
        except ImportError:
            raise DataError("lexicon='vader' needs vaderSentiment (the train extra)") from None
        path = Path(vaderSentiment.__file__).parent / "vader_lexicon.txt"
    else:
        path = Path(spec)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise DataError(f"lexicon {path}: {err.strerror}") from None
    words, ratings = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        try:
            ratings.append(float(parts[1]))
        except (IndexError, ValueError):
            raise DataError(f"{path}:{number}: expected word<TAB>rating, got {line!r}") from None
        words.append(parts[0])
    if len(words) < 3:
        raise DataError(f"lexicon {path}: fewer than 3 rated words")
    return words, np.asarray(ratings)


@dataclass(frozen=True, eq=False)
class AxisValidation:
    """How an axis scores a human-rated valence lexicon (:func:`validate`).

    Attributes
    ----------
    lexicon : str
        The lexicon as given: ``"vader"`` or a file of ``word<TAB>rating``.
    n_words : int
        Words rated and scored.
    n_clear : int
        Words clearly valenced (``|rating| >= 1``), on which accuracy and ROC AUC are taken.
    pearson, spearman : float
        Correlation of the axis scores with the ratings, over every word.
    accuracy : float
        Share of the clearly valenced words whose score has the rating's sign.
    roc_auc : float or None
        Of the scores separating the clearly positive words from the clearly negative
        ones; None when the clear words all share one sign.
    axis : AxisFile
        The axis validated.
    scores, ratings : array, shape (n_words,)
        Each word's axis score and human rating, in lexicon order.
    """

    lexicon: str
    n_words: int
    n_clear: int
    pearson: float
    spearman: float
    accuracy: float
    roc_auc: float | None
    axis: AxisFile = field(repr=False)
    scores: np.ndarray = field(repr=False)
    ratings: np.ndarray = field(repr=False)

    def to_dict(self) -> dict:
        """The figures and the axis's provenance as JSON-ready values, without the per-word
        scores and ratings (what ``vaxis axis validate --json`` writes)."""
        return {
            "lexicon": self.lexicon,
            "n_words": self.n_words,
            "n_clear": self.n_clear,
            "pearson": self.pearson,
            "spearman": self.spearman,
            "accuracy": self.accuracy,
            "roc_auc": self.roc_auc,
            "axis": {
                "model": self.axis.model,
                "layer": self.axis.layer,
                "pooling": self.axis.pooling,
                "template": self.axis.template,
            },
        }


@dataclass(frozen=True, eq=False)
class AxisComparison:
    """How consistent several axes are (:func:`compare`).

    Attributes
    ----------
    axes : tuple of str
        The axes' names, in the order of the matrices' rows and columns.
    categories : tuple of str
        The categories every axis places, whose positions are correlated.
    positions_r : array, shape (n_axes, n_axes)
        Pearson correlation of the axes' positions of ``categories``.
    lexicon_r : array, shape (n_axes, n_axes), or None
        Pearson correlation of the axes' scores of a lexicon's words; None when no lexicon
        was given.
    """

    axes: tuple[str, ...]
    categories: tuple[str, ...]
    positions_r: np.ndarray
    lexicon_r: np.ndarray | None = None

    def to_dict(self) -> dict:
        """JSON-ready values (what ``vaxis axis compare`` prints and writes); ``lexicon_r``
        only when a lexicon was compared."""
        result: dict = {
            "axes": list(self.axes),
            "categories": list(self.categories),
            "positions_r": self.positions_r.tolist(),
        }
        if self.lexicon_r is not None:
            result["lexicon_r"] = self.lexicon_r.tolist()
        return result


def validate(
    axis: AxisFile, lexicon: str = "vader", lm: LanguageModel | None = None
) -> AxisValidation:
    """Zero-shot transfer of ``axis`` to a human-rated valence lexicon.

    Parameters
    ----------
    axis : AxisFile
    lexicon : str
        ``"vader"`` or a file of ``word<TAB>rating`` (:func:`load_lexicon`).
    lm : LanguageModel, optional
        The axis's language model, already loaded; loaded from ``axis.model`` when omitted.

    Returns
    -------
    AxisValidation
        Pearson, Spearman, accuracy on clearly valenced words (sign agreement) and ROC AUC.

    Raises
    ------
    DataError
        For a lexicon that cannot be read.
    """
    from scipy.stats import pearsonr, spearmanr
    from sklearn.metrics import roc_auc_score

    words, ratings = load_lexicon(lexicon)
    scores = project(axis, words, lm)
    clear = np.abs(ratings) >= CLEAR
    positive = ratings[clear] > 0
    auc = roc_auc_score(positive, scores[clear]) if 0 < positive.sum() < clear.sum() else None
    return AxisValidation(
        lexicon=lexicon,
        n_words=len(words),
        n_clear=int(clear.sum()),
        pearson=float(pearsonr(scores, ratings)[0]),
        spearman=float(spearmanr(scores, ratings)[0]),
        accuracy=float(np.mean((scores[clear] > 0) == positive)),
        roc_auc=None if auc is None else float(auc),
        axis=axis,
        scores=scores,
        ratings=ratings,
    )


def compare(axes: list[AxisFile], names: list[str], lexicon: str | None = None) -> AxisComparison:
    """Correlation of the category positions the axes share (and of lexicon scores).

    Parameters
    ----------
    axes : list of AxisFile
    names : list of str
        A name for each axis, in the same order.
    lexicon : str, optional
        Also correlate the axes' scores of this lexicon's words (:func:`load_lexicon`).

    Returns
    -------
    AxisComparison

    Raises
    ------
    DataError
        When the axes share fewer than 3 categories, or for a lexicon that cannot be read.
    """
    shared = [c for c in axes[0].positions if all(c in a.positions for a in axes[1:])]
    if len(shared) < 3:
        raise DataError(f"the axes share {len(shared)} categories ({shared}); comparing "
                        "positions needs at least 3")  # fmt: skip
    positions = np.array([[a.positions[c] for c in shared] for a in axes])
    lexicon_r = None
    if lexicon:
        words, _ = load_lexicon(lexicon)
        lexicon_r = np.corrcoef(np.array([project(a, words) for a in axes]))
    return AxisComparison(tuple(names), tuple(shared), np.corrcoef(positions), lexicon_r)


def plot_positions(axis: AxisFile, path: str | Path) -> Path:
    """The axis's categories on it (PNG); placed categories are drawn hollow."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 2.2))
    names = sorted(axis.positions, key=axis.positions.__getitem__)
    values = [axis.positions[c] for c in names]
    placed = np.isin(names, axis.placed)
    ax.axhline(0, color="0.7", lw=1)
    ax.scatter(np.array(values)[~placed], np.zeros((~placed).sum()), c=np.array(values)[~placed],
               cmap="coolwarm", vmin=-1, vmax=1, zorder=3)  # fmt: skip
    ax.scatter(np.array(values)[placed], np.zeros(placed.sum()), facecolors="none",
               edgecolors="0.2", zorder=3)  # fmt: skip
    for i, (c, v) in enumerate(zip(names, values, strict=True)):
        ax.annotate(c, (v, 0), xytext=(0, 10 if i % 2 else -16), textcoords="offset points",
                    ha="center", fontsize=8)  # fmt: skip
    reach = max(1.15, max(abs(v) for v in values) + 0.15)
    ax.set_xlim(-reach, reach)
    ax.set_yticks([])
    ax.set_xlabel("V-axis position")
    ax.set_title(f"V-axis: {axis.model}, layer {axis.layer}, {axis.pooling} pooling")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def plot_lexicon(result: AxisValidation, path: str | Path) -> Path:
    """Lexicon scores against human ratings (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4))
    ax.scatter(result.ratings, result.scores, s=3, alpha=0.3)
    ax.axhline(0, color="0.6", lw=1)
    ax.set_xlabel("human valence rating")
    ax.set_ylabel("V-axis score")
    ax.set_title(f"{result.lexicon}: Spearman {result.spearman:.2f}, "
                 f"acc {result.accuracy:.2f}")  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def plot_compare(result: AxisComparison, path: str | Path) -> Path:
    """Heatmap of the category-position correlations across axes (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = result.positions_r
    fig, ax = plt.subplots(figsize=(1.2 * len(matrix) + 2, 1.2 * len(matrix) + 1.5))
    image = ax.imshow(matrix, vmin=-1, vmax=1, cmap="coolwarm")
    ax.set_xticks(range(len(matrix)), result.axes, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(matrix)), result.axes, fontsize=8)
    for (i, j), v in np.ndenumerate(matrix):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8)
    fig.colorbar(image, ax=ax)
    ax.set_title("category positions: correlation across axes")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
