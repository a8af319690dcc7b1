"""``vaxis data info --check``: open every subject file of a corpus and validate its data.

Opening a corpus only lists its subjects; a truncated, corrupt or hostile file shows up when
its subject is first loaded, which may be an hour into training. :func:`check_corpus` loads
each subject in turn through the corpus's own reader (for FACED: the safe pickle loader,
which refuses code and oversized arrays before allocating), then checks what every reader
must deliver: trials matching the subject's labels, the corpus's channels, finite values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vaxis.errors import VaxisError
from vaxis.offline.corpus.base import Corpus, Subject, Trials


@dataclass(frozen=True)
class SubjectCheck:
    """The outcome for one subject: ``problem`` is ``None`` when its data is valid."""

    subject_id: str
    shape: tuple | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _problem(corpus: Corpus, subject: Subject, data: Trials) -> str | None:
    if not isinstance(data, np.ndarray) or data.ndim not in (3, 4):
        return f"expected (trials, channels, ...) data, got {getattr(data, 'shape', type(data))}"
    if data.shape[0] != subject.labels.size:
        return f"{data.shape[0]} trials for {subject.labels.size} labels"
    if data.shape[1] != len(corpus.channels):
        return f"{data.shape[1]} channels, the corpus has {len(corpus.channels)}"
    if data.size == 0:
        return "no samples"
    if not np.issubdtype(data.dtype, np.number):
        return f"non-numeric dtype {data.dtype}"
    bad = int(data.size - np.count_nonzero(np.isfinite(data)))
    if bad:
        return f"{bad} NaN/Inf values"
    return None


def check_subject(corpus: Corpus, subject: Subject) -> SubjectCheck:
    """Load one subject and validate its data; never raises for a bad file."""
    try:
        data = subject.load()
    except VaxisError as err:
        return SubjectCheck(subject.subject_id, None, str(err))
    except Exception as err:  # noqa: BLE001 - a corrupt file may break a reader any way
        return SubjectCheck(subject.subject_id, None, f"unreadable ({type(err).__name__}: {err})")
    problem = _problem(corpus, subject, data)
    return SubjectCheck(subject.subject_id, tuple(np.shape(data)), problem)


def check_corpus(
    corpus: Corpus, on_subject: Callable[[SubjectCheck], None] | None = None
) -> list[SubjectCheck]:
    """Check every subject of ``corpus`` in order (one in memory at a time).

    Parameters
    ----------
    on_subject : callable, optional
        Called with each :class:`SubjectCheck` as it completes (progress, reporting).
    """
    results = []
    for subject in corpus:
        result = check_subject(corpus, subject)
        results.append(result)
        if on_subject:
            on_subject(result)
    return results
