"""The study's inputs: one set of windows, one split and one normalisation for every analysis.

A protocol (:mod:`vaxis.offline.protocols`) fixes them as it does for ``vaxis train``, and the
training package's own code applies it. On a raw corpus
:func:`~vaxis.offline.train.data.load_windows` resamples to the protocol's rate, keeps its
channels and cuts its windows (the trials played back to back, as the live decoder sees
them); :func:`~vaxis.offline.train.run.make_splits` gives its subject split; and
:func:`~vaxis.offline.train.normalise.split_inputs` normalises every input kind with the
training subjects' prior and, by default, the protocol's scaling (``causal`` for ``vaxis``:
what live decoding can know; ``population`` for the published protocols). The mapping reads
the band features, the classifiers whatever their architecture reads.

A DE corpus (FACED's ``EEG_Features/DE``) holds one DE vector per second of each trial and
no raw signal: those vectors are its windows (every one counts as valid, there is no signal
to check), normalised by the same ``split_inputs``; only the default protocol, which fixes
no rate, applies to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from vaxis.decoder.channels import match_channels
from vaxis.decoder.features import BANDS
from vaxis.decoder.inputs import InputStats
from vaxis.errors import ConfigError, DataError
from vaxis.offline.choices import Normalisation, ProtocolName
from vaxis.offline.corpus.base import Corpus, Subject
from vaxis.offline.protocols import Protocol, get_protocol
from vaxis.offline.splits import Split
from vaxis.offline.train.data import WindowSet, decoding_channels, load_windows
from vaxis.offline.train.normalise import NORMALISATIONS, split_inputs


@dataclass
class StudyData:
    """Every window's normalised inputs, with what each figure needs to say how they came.

    Attributes
    ----------
    inputs : dict of str to float32 array
        By kind: ``features`` (n_windows, n_channels, n_bands), on a raw corpus also
        ``covariance`` (n_windows, n_bands, n_pairs) and ``raw`` (n_windows, n_channels,
        n_times) when asked for.
    y : int array, shape (n_windows,)
        Class of each window; -1 for a window spanning two trials (never fitted or scored;
        it only feeds causal statistics).
    clips : int array, shape (n_windows,)
        Clip (stimulus) of each window; -1 for a window spanning two trials.
    subjects : str array, shape (n_windows,)
        Recording of each window: the subject, or its session part (``sub#test``) under
        the ``session-trials`` split.
    split : Split
        The protocol's split of those recordings.
    classes : list of str
    corpus : str
    synthetic : bool
    provenance : dict
    protocol : Protocol
    normalisation : str
        ``causal``, ``subject`` or ``population`` (:mod:`vaxis.offline.train.normalise`).
    transductive : bool
        True when a test subject's inputs were normalised with statistics of its whole
        recording.
    sfreq : float
        Rate of the windows (1 Hz: a DE corpus's one vector per second).
    raw_sfreq : float or None
        Rate of the raw windows after decimation (None on a DE corpus).
    channels : list of str
    window : str
        How the windows were cut, in words.
    """

    inputs: dict[str, np.ndarray] = field(repr=False)
    y: np.ndarray = field(repr=False)
    clips: np.ndarray = field(repr=False)
    subjects: np.ndarray = field(repr=False)
    split: Split
    classes: list[str]
    corpus: str
    synthetic: bool
    provenance: dict
    protocol: Protocol
    normalisation: str
    transductive: bool
    sfreq: float
    raw_sfreq: float | None
    channels: list[str]
    window: str

    @property
    def X(self) -> np.ndarray:
        """The normalised band features."""
        return self.inputs["features"]

    @property
    def kinds(self) -> set[str]:
        return set(self.inputs)

    @property
    def subject_ids(self) -> list[str]:
        return sorted(np.unique(self.subjects).tolist())

    @property
    def n_windows(self) -> int:
        """Labelled windows (bridges between trials left out)."""
        return int(np.sum(self.y >= 0))

    def mask(self, subject_ids: list[str]) -> np.ndarray:
        """Boolean mask of the labelled windows of ``subject_ids``."""
        return np.isin(self.subjects, subject_ids) & (self.y >= 0)

    @property
    def data_label(self) -> str:
        """``"synthetic"`` or the corpus name: the provenance every figure carries."""
        return "synthetic" if self.synthetic else self.corpus

    def windows_per_clip(self) -> dict[str, int]:
        """Fewest and most labelled windows (scored samples) of one recording's clip."""
        labelled = self.y >= 0
        keys = np.char.add(np.char.add(self.subjects[labelled].astype(str), "/"),
                           self.clips[labelled].astype(str))  # fmt: skip
        counts = np.unique(keys, return_counts=True)[1]
        return {"min": int(counts.min()), "max": int(counts.max())}

    def describe(self) -> dict:
        """The protocol as this study applied it (``summary.json``'s ``protocol``)."""
        p = self.protocol
        return {
            "name": p.name, "source": p.source, "sfreq": self.sfreq, "window": self.window,
            "window_s": p.window_s, "hop_s": p.hop_s, "channels": p.channels,
            "n_channels": len(self.channels), "channel_names": list(self.channels),
            "split": p.split, "n_windows": self.n_windows,
            "windows_per_clip": self.windows_per_clip(),
        }  # fmt: skip


def load_study_data(
    corpus: Corpus,
    protocol: ProtocolName = "vaxis",
    normalisation: Normalisation | None = None,
    kinds: set[str] | frozenset[str] = frozenset({"features"}),
    decimate: int = 2,
) -> StudyData:
    """Cut, split and normalise ``corpus`` as ``vaxis train --protocol protocol`` does.

    Parameters
    ----------
    corpus : Corpus
        A raw or DE corpus.
    protocol : str
        A preset of :data:`vaxis.offline.protocols.PROTOCOLS`: rate, window and hop,
        channels, scaling and split.
    normalisation : {"causal", "subject", "population"}, optional
        Overrides the protocol's scaling (``subject`` is transductive).
    kinds : set of str
        Input kinds to normalise; a DE corpus provides ``features`` only.
    decimate : int
        Decimation of the raw windows (``vaxis train``'s by default).
    """
    preset = get_protocol(protocol)
    normalisation = normalisation or preset.normalisation
    if normalisation not in NORMALISATIONS:
        raise ConfigError(f"unknown normalisation={normalisation!r}; expected one of "
                          f"{NORMALISATIONS}")  # fmt: skip
    if len(corpus) == 0:
        raise DataError(f"corpus {corpus.name!r} holds no subjects")
    kinds = set(kinds) | {"features"}
    if corpus.kind == "de":
        windows, clips = _de_windows(corpus, preset, kinds)
        raw_sfreq, described = None, "one DE vector per second of each trial (DE corpus)"
    else:
        windows, clips = _raw_windows(corpus, preset, decimate, "covariance" in kinds)
        raw_sfreq = windows.sfreq / decimate
        described = (f"{preset.window_s:g}-s windows every {preset.hop_s:g} s at "
                     f"{windows.sfreq:g} Hz of the trials played back to back")  # fmt: skip
    split = _split(list(windows.stats), preset)
    normalised = split_inputs(windows, kinds, split.train, normalisation)
    return StudyData(
        normalised.inputs, windows.y, clips, windows.subjects, split, list(corpus.classes),
        corpus.name, corpus.synthetic, dict(corpus.provenance), preset, normalisation,
        normalisation == "subject", windows.sfreq, raw_sfreq, list(windows.channels), described,
    )  # fmt: skip


def _split(recordings: list[str], preset: Protocol) -> Split:
    """The protocol's one split of the recordings, made by ``vaxis train``'s own code."""
    from vaxis.offline.train.config import TrainConfig
    from vaxis.offline.train.run import make_splits

    return make_splits(recordings, TrainConfig.from_protocol(preset.name))[0]


def _by_trial(corpus: Corpus) -> Corpus:
    """``corpus`` with each subject's trials labelled by their index, so that the labels
    :func:`load_windows` gives the windows say which trial (hence clip and class) each
    window comes from."""
    subjects = [Subject(s.subject_id, np.arange(s.labels.size), s.clips, s.loader)
                for s in corpus]  # fmt: skip
    return replace(corpus, subjects=subjects)


def _raw_windows(
    corpus: Corpus, preset: Protocol, decimate: int, covariance: bool
) -> tuple[WindowSet, np.ndarray]:
    """``vaxis train``'s windows of a raw corpus under ``preset``, and each one's clip."""
    windows = load_windows(
        _by_trial(corpus), preset.window_s, preset.hop_s, decimate, covariance=covariance,
        resample=preset.sfreq, channels=preset.channels,
        session_parts=preset.split == "session-trials",
    )  # fmt: skip
    trial = windows.y
    labels, clips = np.full(trial.size, -1), np.full(trial.size, -1)
    owners = {s.subject_id: s for s in corpus}
    for recording in dict.fromkeys(windows.subjects.tolist()):
        subject = owners[recording.split("#")[0]]
        rows = np.flatnonzero((windows.subjects == recording) & (trial >= 0))
        labels[rows] = subject.labels[trial[rows]]
        clips[rows] = subject.clips[trial[rows]]
    return replace(windows, y=labels), clips


def _de_windows(corpus: Corpus, preset: Protocol, kinds: set[str]) -> tuple[WindowSet, np.ndarray]:
    """A DE corpus's per-second vectors as the windows :func:`split_inputs` normalises."""
    if preset.sfreq is not None or preset.split == "session-trials":
        raise DataError(
            f"protocol {preset.name!r} resamples raw EEG and cuts its own "
            f"{preset.window_s:g}-s samples; DE corpus {corpus.name!r} holds one DE vector "
            "per second: give the raw corpus, or use the default protocol 'vaxis'"
        )
    if kinds - {"features"}:
        raise DataError(
            f"DE corpus {corpus.name!r} holds band features only; classifiers reading "
            f"{sorted(kinds - {'features'})} need a raw corpus"
        )
    kept = (decoding_channels(list(corpus.channels)) if preset.channels == "eeg"
            else list(corpus.channels))  # fmt: skip
    picks = match_channels(corpus.channels, kept)
    parts: dict[str, list[np.ndarray]] = {"features": [], "y": [], "clips": [], "subjects": []}
    stats: dict[str, InputStats] = {}
    for subject in corpus:
        trials = subject.load_trials()
        if any(t.ndim != 3 for t in trials):
            raise DataError(
                f"DE corpus {corpus.name!r}: expected trials of (channels, seconds, bands), "
                f"got shapes {sorted({t.shape for t in trials})[:3]}"
            )
        seconds = [t.shape[1] for t in trials]
        trial_of = np.repeat(np.arange(len(trials)), seconds)
        features = np.concatenate([t[picks].transpose(1, 0, 2) for t in trials])
        stats[subject.subject_id] = InputStats.fit({"features": features})
        parts["features"].append(features.astype(np.float32))
        parts["y"].append(np.asarray(subject.labels, dtype=np.int64)[trial_of])
        parts["clips"].append(np.asarray(subject.clips, dtype=np.int64)[trial_of])
        parts["subjects"].append(np.full(trial_of.size, subject.subject_id))
    features = np.concatenate(parts["features"])
    n, n_channels = features.shape[:2]
    windows = WindowSet(
        features=features, raw=np.empty((n, n_channels, 0), np.float32),
        raw_mean_square=np.empty((n, n_channels)), valid=np.ones(n, dtype=bool),
        y=np.concatenate(parts["y"]), subjects=np.concatenate(parts["subjects"]), stats=stats,
        channels=kept, sfreq=1.0, window=1, hop=1, decimate=1,
        bands={k: (float(v[0]), float(v[1])) for k, v in (corpus.bands or BANDS).items()},
    )  # fmt: skip
    return windows, np.concatenate(parts["clips"])
