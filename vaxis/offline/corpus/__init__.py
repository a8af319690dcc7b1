"""Corpus readers: FACED (processed, DE, BIDS), SEED-V, BIDS of any category set, synthetic.

:func:`open_corpus` is the one entry point: it detects the format from a path (or takes it
from ``format=``) and returns a lazily loaded :class:`~vaxis.offline.corpus.base.Corpus`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import get_args

from vaxis.errors import ConfigError, DataError
from vaxis.offline.choices import CorpusFormat
from vaxis.offline.corpus.base import Corpus, Subject
from vaxis.offline.corpus.bids import read_bids
from vaxis.offline.corpus.faced import read_faced_de, read_faced_processed
from vaxis.offline.corpus.seedv import read_seedv

FORMATS: tuple[CorpusFormat, ...] = get_args(CorpusFormat)

__all__ = ["FORMATS", "Corpus", "CorpusFormat", "Subject", "detect_format", "open_corpus"]


def _has_pickles(folder: Path, suffix: str) -> bool:
    return folder.is_dir() and any(folder.glob(f"sub*{suffix}"))


def detect_format(path: str | Path) -> CorpusFormat:
    """Guess a corpus's format from its layout on disk.

    ``Processed_data/`` (or a folder of ``subNNN.pkl``) is FACED processed; ``EEG_Features/DE``
    (or a folder of ``subNNN.pkl.pkl``) is FACED DE; ``dataset_description.json`` is BIDS;
    ``.cnt`` files (or ``EEG_raw/``) are SEED-V; a BIDS dataset is FACED unless its events
    name ``stim/<class>/<id>`` stimuli (any category set, see :mod:`.bids`). A folder
    holding both FACED layouts reads as processed (raw EEG; every feature can be derived
    from it).
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or directory")
    if not path.is_dir():
        raise DataError(f"{path}: a corpus is a directory (FACED, BIDS or SEED-V layout)")
    if (path / "Processed_data").is_dir() or _has_pickles(path, ".pkl"):
        if not _has_pickles(path, ".pkl.pkl") or _has_pickles(path / "Processed_data", ".pkl"):
            return "faced-processed"
    if (path / "EEG_Features" / "DE").is_dir() or (path / "DE").is_dir():
        return "faced-de"
    if _has_pickles(path, ".pkl.pkl"):
        return "faced-de"
    if (path / "dataset_description.json").is_file():
        return "bids"
    if any(path.glob("*.cnt")) or (path / "EEG_raw").is_dir():
        return "seed-v"
    raise DataError(
        f"{path}: cannot tell the corpus format (expected Processed_data/, EEG_Features/DE/, "
        "a BIDS dataset or SEED-V .cnt files); pass format=..."
    )


def open_corpus(
    path: str | Path, format: CorpusFormat = "auto", channels: str | Sequence[str] | None = None
) -> Corpus:
    """Open a corpus.

    Parameters
    ----------
    path : path
        The corpus directory.
    format : {"auto", "faced-processed", "faced-de", "bids", "seed-v"}
        ``auto`` detects it with :func:`detect_format`.
    channels : str or list of str, optional
        FACED row order (``mastoids-last``, ``mastoids-after-t8`` or 32 names).
    """
    if format not in FORMATS:
        raise ConfigError(f"unknown corpus format {format!r}; expected one of {', '.join(FORMATS)}")
    if format == "auto":
        format = detect_format(path)
    if not Path(path).exists():
        raise DataError(f"{path}: no such file or directory")
    if format == "faced-processed":
        corpus = read_faced_processed(path, channels)
    elif format == "faced-de":
        corpus = read_faced_de(path, channels)
    elif format == "bids":
        corpus = read_bids(path)
    else:
        corpus = read_seedv(path)
    if not corpus.subjects:
        raise DataError(f"{path}: the corpus holds no subjects")
    return corpus
