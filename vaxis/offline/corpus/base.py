"""One in-memory representation for every EEG corpus.

A :class:`Corpus` describes a set of subjects; each :class:`Subject` loads its trials on
demand (full FACED is ~3.3 GB as float32, so nothing is read until asked for).

Trials of one length (FACED's 30-s clips) load as one array ``(n_trials, n_channels,
n_times)``; trials of different lengths (SEED-V's whole clips, a lab's own stimuli) load as
a list of ``(n_channels, n_times)`` arrays. :meth:`Subject.load_trials` gives the list form
for both, which is what code that cuts windows trial by trial reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from vaxis.decoder.channels import match_channels
from vaxis.decoder.windows import cut
from vaxis.errors import DataError, StreamError

DataKind = Literal["raw", "de"]

#: What a subject's loader returns: one array of equal-length trials, or a list of trials.
Trials = np.ndarray | list[np.ndarray]


@dataclass
class Subject:
    """One subject's trials, loaded on demand.

    Attributes
    ----------
    subject_id : str
        Identifier as the source names it (``"sub001"``).
    labels : array of int, shape (n_trials,)
        Class index of each trial.
    clips : array of int, shape (n_trials,)
        Stimulus (clip) id of each trial.
    loader : callable
        Returns the data: ``(n_trials, n_channels, n_times)`` for raw corpora,
        ``(n_trials, n_channels, n_seconds, n_bands)`` for DE corpora, or a list of
        ``n_trials`` arrays (``(n_channels, n_times)`` or ``(n_channels, n_seconds,
        n_bands)``) when trials differ in length.
    """

    subject_id: str
    labels: np.ndarray
    clips: np.ndarray
    loader: Callable[[], Trials] = field(repr=False)

    def load(self) -> Trials:
        """The trials as the reader gives them: one array, or a list when lengths differ."""
        return self.loader()

    def load_trials(self) -> list[np.ndarray]:
        """The trials as a list, one array per trial (views into an equal-length array)."""
        return trial_list(self.load(), self.labels.size, f"subject {self.subject_id}")


def trial_list(data: Trials, n_trials: int, where: str) -> list[np.ndarray]:
    """``data`` (one array or a list of trials) as a list of ``n_trials`` arrays."""
    trials = list(data) if isinstance(data, list | tuple) else list(np.asarray(data))
    if len(trials) != n_trials:
        raise DataError(f"{where}: {len(trials)} trials loaded, {n_trials} labelled")
    trials = [np.asarray(t) for t in trials]
    if len({(t.ndim, t.shape[0]) for t in trials}) > 1:
        raise DataError(f"{where}: trials differ in channels or dimensions")
    return trials


def trial_windows(trials: list[np.ndarray], window: int, hop: int) -> tuple[np.ndarray, np.ndarray]:
    """Windows of each trial, cut separately (none spans two trials), in trial order.

    Parameters
    ----------
    trials : list of array, shape (n_channels, n_times_i)
        Trials of any lengths; one shorter than ``window`` gives no window.
    window, hop : int
        Window length and hop in samples.

    Returns
    -------
    windows : array, shape (n_windows, n_channels, window)
    trial_of : int array, shape (n_windows,)
        Index of each window's trial.
    """
    cuts = [cut(trial, window, hop).swapaxes(0, 1) for trial in trials]
    counts = [len(c) for c in cuts]
    n_channels = trials[0].shape[0] if trials else 0
    dtype = trials[0].dtype if trials else np.float32
    windows = np.concatenate(cuts) if cuts else np.empty((0, n_channels, window), dtype)
    return windows, np.repeat(np.arange(len(trials)), counts)


def cut_spans(
    raw, channels: Sequence[str], spans: Sequence[tuple[float, float]], sfreq: float, where: str
) -> list[np.ndarray]:
    """Trials cut from an MNE Raw: ``channels`` in order, resampled to ``sfreq``, microvolts.

    Each span is ``(start, end)`` in seconds from the recording's first sample; a trial is
    the samples from ``round(start * sfreq)`` up to ``round(end * sfreq)``.
    """
    try:
        picks = match_channels(raw.ch_names, channels)
    except StreamError as err:
        raise DataError(f"{where}: {err}") from None
    raw = raw.copy().pick([raw.ch_names[i] for i in picks]).load_data(verbose=False)
    if raw.info["sfreq"] != sfreq:
        raw.resample(sfreq, verbose=False)
    data = raw.get_data(units="uV")
    trials = []
    for start, end in spans:
        first, stop = int(round(start * sfreq)), int(round(end * sfreq))
        if first < 0 or stop > data.shape[1] or stop <= first:
            raise DataError(f"{where}: the trial {start:g}-{end:g} s does not fit in the "
                            f"{data.shape[1] / sfreq:g} s recording")  # fmt: skip
        trials.append(np.ascontiguousarray(data[:, first:stop], dtype=np.float32))
    return trials


@dataclass
class Corpus:
    """A set of subjects sharing montage, sampling rate and classes.

    Attributes
    ----------
    name : str
        ``"faced"``, ``"seed-v"`` or another source name.
    kind : {"raw", "de"}
        Raw EEG trials or precomputed per-second differential entropy.
    channels : list of str
        Channel names, in the order of the data's channel axis.
    sfreq : float
        Sampling rate of raw data in Hz (for DE: the feature rate, 1 Hz).
    classes : list of str
        Class names, index = label.
    subjects : list of Subject
        Sorted by subject id.
    unit : str
        Unit of raw data (``"uV"``).
    bands : dict or None
        Bands of a DE corpus.
    provenance : dict
        Where the data came from; ``provenance["synthetic"]`` is True for generated data.
    """

    name: str
    kind: DataKind
    channels: list[str]
    sfreq: float
    classes: list[str]
    subjects: list[Subject]
    unit: str = "uV"
    bands: dict[str, tuple[float, float]] | None = None
    provenance: dict = field(default_factory=dict)

    @property
    def synthetic(self) -> bool:
        return bool(self.provenance.get("synthetic", False))

    @property
    def subject_ids(self) -> list[str]:
        return [s.subject_id for s in self.subjects]

    def __len__(self) -> int:
        return len(self.subjects)

    def __iter__(self) -> Iterator[Subject]:
        return iter(self.subjects)

    def subset(self, subject_ids: list[str]) -> Corpus:
        """A corpus holding only ``subject_ids`` (in corpus order)."""
        keep = set(subject_ids)
        return Corpus(
            self.name, self.kind, self.channels, self.sfreq, self.classes,
            [s for s in self.subjects if s.subject_id in keep],
            self.unit, self.bands, self.provenance,
        )  # fmt: skip

    def summary(self) -> dict:
        """Facts for ``vaxis data info``."""
        first = self.subjects[0] if self.subjects else None
        return {
            "format": self.name,
            "kind": self.kind,
            "subjects": len(self.subjects),
            "trials_per_subject": int(first.labels.size) if first else 0,
            "clips": int(np.unique(first.clips).size) if first else 0,
            "channels": len(self.channels),
            "channel_names": list(self.channels),
            "sfreq": self.sfreq,
            "unit": self.unit,
            "classes": list(self.classes),
            "bands": self.bands,
            "synthetic": self.synthetic,
            "provenance": self.provenance,
        }
