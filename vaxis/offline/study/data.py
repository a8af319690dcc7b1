"""The study's inputs: band features for the mapping, and what each classifier reads.

The mapping (:func:`load_study_data`) reads per-second band features: raw corpora are cut
into one-second windows (each trial on its own, so trials may differ in length) and turned
into differential entropy with the shared :func:`vaxis.decoder.inputs.window_inputs`; DE
corpora (FACED's ``EEG_Features/DE``) already hold one DE vector per second. Each subject's
windows are z-scored with that subject's own statistics
(:class:`vaxis.decoder.normalize.SubjectNormalizer`), the standard FACED practice.

The classifiers (:func:`classifier_inputs`) read what ``vaxis train``'s members read, made
by the training package's own code: on a raw corpus, windows cut as the live decoder cuts
them (:func:`vaxis.offline.train.data.load_windows`) give band features, tangent vectors of
band covariances at the training subjects' reference and decimated raw windows, normalised
by :func:`vaxis.offline.train.normalise.split_inputs` (``causal`` by default: what live
decoding can know). A DE corpus holds band features only, subject-normalised as above
(transductive: it holds no raw signal to run the live decoder's statistics on), so only the
band-feature classifiers run on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


@dataclass
class ClassifierInputs:
    """Every window's normalised inputs for the study's classifiers.

    Attributes
    ----------
    inputs : dict of str to float32 array
        By kind: ``features`` (n_windows, n_channels, n_bands), on a raw corpus also
        ``covariance`` (n_windows, n_bands, n_pairs) and ``raw`` (n_windows, n_channels,
        n_times).
    y : int array, shape (n_windows,)
        Class of each window; -1 for a window spanning two trials (never trained on or
        scored; it only feeds causal statistics).
    subjects : str array, shape (n_windows,)
    classes : list of str
    normalisation : str
        ``causal``, ``subject`` or ``population`` (:mod:`vaxis.offline.train.normalise`).
    transductive : bool
        True when a test subject's inputs were normalised with statistics of its whole
        recording.
    raw_sfreq : float or None
        Rate of the raw windows (after decimation).
    channels : list of str
    window : str
        How the windows were cut, in words.
    """

    inputs: dict[str, np.ndarray] = field(repr=False)
    y: np.ndarray = field(repr=False)
    subjects: np.ndarray = field(repr=False)
    classes: list[str]
    normalisation: str
    transductive: bool
    raw_sfreq: float | None
    channels: list[str]
    window: str

    @property
    def kinds(self) -> set[str]:
        return set(self.inputs)

    @property
    def n_windows(self) -> int:
        """Labelled windows (bridges between trials left out)."""
        return int(np.sum(self.y >= 0))

    def mask(self, subject_ids: list[str]) -> np.ndarray:
        """Boolean mask of the labelled windows of ``subject_ids``."""
        return np.isin(self.subjects, subject_ids) & (self.y >= 0)


def classifier_inputs(
    corpus: Corpus,
    kinds: set[str],
    train_ids: list[str],
    normalisation: str = "causal",
    window_s: float = 4.0,
    hop_s: float = 2.0,
    decimate: int = 2,
    mapping_data: StudyData | None = None,
) -> ClassifierInputs:
    """The inputs of ``kinds`` for every window, normalised without test statistics.

    Parameters
    ----------
    corpus : Corpus
    kinds : set of str
        Input kinds the classifiers read; a DE corpus provides ``features`` only.
    train_ids : list of str
        The split's training subjects: the only ones the tangent reference and the
        population prior come from.
    normalisation : {"causal", "subject", "population"}
        For a raw corpus; a DE corpus is always subject-normalised.
    window_s, hop_s : float
        Window and hop of a raw corpus (``vaxis train``'s by default).
    decimate : int
        Decimation of the raw windows (``vaxis train``'s by default).
    mapping_data : StudyData, optional
        A DE corpus's features, already loaded by :func:`load_study_data`.
    """
    if corpus.kind == "de":
        if kinds - {"features"}:
            raise DataError(
                f"DE corpus {corpus.name!r} holds band features only; classifiers reading "
                f"{sorted(kinds - {'features'})} need a raw corpus"
            )
        data = mapping_data or load_study_data(corpus)
        return ClassifierInputs(
            {"features": data.X}, data.y, data.subjects, list(corpus.classes), "subject",
            True, None, list(corpus.channels), "one DE vector per second",
        )  # fmt: skip
    from vaxis.offline.train.data import load_windows
    from vaxis.offline.train.normalise import split_inputs

    windows = load_windows(corpus, window_s, hop_s, decimate, covariance="covariance" in kinds)
    split = split_inputs(windows, set(kinds), list(train_ids), normalisation)
    return ClassifierInputs(
        split.inputs, windows.y, windows.subjects, list(corpus.classes), normalisation,
        normalisation == "subject", windows.sfreq / decimate, list(windows.channels),
        f"{window_s:g}-s windows every {hop_s:g} s of the trials played back to back",
    )  # fmt: skip
