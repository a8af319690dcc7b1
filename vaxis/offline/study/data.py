"""Per-window, subject-normalised band features of a corpus: the study's common input.

Raw corpora are cut into one-second windows (each trial on its own, so trials may differ in
length) and turned into differential entropy with the
shared :func:`vaxis.decoder.inputs.window_inputs`; DE corpora (FACED's ``EEG_Features/DE``)
already hold one DE vector per second. Either way each subject's windows are z-scored with
that subject's own statistics (:class:`vaxis.decoder.normalize.SubjectNormalizer`), the standard
FACED cross-subject practice, so the mapping and the classifiers see the same inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaxis.decoder.features import BANDS
from vaxis.decoder.inputs import window_inputs
from vaxis.decoder.normalize import SubjectNormalizer
from vaxis.decoder.windows import seconds_to_samples
from vaxis.errors import DataError
from vaxis.offline.corpus.base import Corpus, trial_windows


@dataclass
class StudyData:
    """Windows of every subject, flattened over trials.

    Attributes
    ----------
    X : array, float32, shape (n_windows, n_channels, n_bands)
        Subject-normalised band features.
    y : array of int, shape (n_windows,)
        Class of each window's trial.
    clips : array of int, shape (n_windows,)
        Clip (stimulus) of each window.
    subjects : array of str, shape (n_windows,)
        Subject of each window.
    classes : list of str
        Class names, index = label.
    corpus : str
        The corpus name.
    synthetic : bool
        True when the corpus was generated.
    provenance : dict
        The corpus provenance, as read.
    """

    X: np.ndarray
    y: np.ndarray
    clips: np.ndarray
    subjects: np.ndarray
    classes: list[str]
    corpus: str
    synthetic: bool
    provenance: dict

    @property
    def subject_ids(self) -> list[str]:
        return sorted(np.unique(self.subjects).tolist())

    def mask(self, subject_ids: list[str]) -> np.ndarray:
        """Boolean mask of the windows of ``subject_ids``."""
        return np.isin(self.subjects, subject_ids)

    @property
    def data_label(self) -> str:
        """``"synthetic"`` or the corpus name: the provenance every figure carries."""
        return "synthetic" if self.synthetic else self.corpus


def _subject_windows(corpus: Corpus, trials: list[np.ndarray], window_s: float):
    """Band features of one subject's windows, shape (n_windows, n_channels, n_bands), and
    the trial of each window. Raw trials are cut one by one, so trials may differ in length."""
    if corpus.kind == "de":
        if any(t.ndim != 3 for t in trials):
            raise DataError(
                f"DE corpus {corpus.name!r}: expected trials of (channels, seconds, bands), "
                f"got shapes {sorted({t.shape for t in trials})[:3]}"
            )
        seconds = [t.shape[1] for t in trials]
        features = np.concatenate([t.transpose(1, 0, 2) for t in trials]).astype(np.float32)
        return features, np.repeat(np.arange(len(trials)), seconds)
    if any(t.ndim != 2 for t in trials):
        raise DataError(
            f"raw corpus {corpus.name!r}: expected trials of (channels, times), "
            f"got shapes {sorted({t.shape for t in trials})[:3]}"
        )
    size = seconds_to_samples(window_s, corpus.sfreq)
    flat, trial_of = trial_windows(trials, size, size)
    if len(flat) == 0:
        raise DataError(f"corpus {corpus.name!r}: trials are shorter than one {window_s} s window")
    inputs = window_inputs(flat, corpus.sfreq, ("features",), bands=corpus.bands or BANDS)
    return inputs["features"], trial_of


def load_study_data(corpus: Corpus, window_s: float = 1.0) -> StudyData:
    """Band features of every window of every subject, z-scored per subject.

    Parameters
    ----------
    corpus : Corpus
        A raw or DE corpus.
    window_s : float
        Window length (and hop) in seconds for raw corpora; DE corpora keep their
        one-second features.
    """
    if len(corpus) == 0:
        raise DataError(f"corpus {corpus.name!r} holds no subjects")
    parts: dict[str, list[np.ndarray]] = {"X": [], "y": [], "clips": [], "subjects": []}
    for subject in corpus:
        flat, trial_of = _subject_windows(corpus, subject.load_trials(), window_s)
        parts["X"].append(SubjectNormalizer().fit_transform(flat))
        parts["y"].append(np.asarray(subject.labels, dtype=np.int64)[trial_of])
        parts["clips"].append(np.asarray(subject.clips, dtype=np.int64)[trial_of])
        parts["subjects"].append(np.full(len(flat), subject.subject_id))
    return StudyData(
        X=np.concatenate(parts["X"]).astype(np.float32),
        y=np.concatenate(parts["y"]),
        clips=np.concatenate(parts["clips"]),
        subjects=np.concatenate(parts["subjects"]),
        classes=list(corpus.classes),
        corpus=corpus.name,
        synthetic=corpus.synthetic,
        provenance=dict(corpus.provenance),
    )
