"""One in-memory representation for every EEG corpus.

A :class:`Corpus` describes a set of subjects; each :class:`Subject` loads its trials on
demand (full FACED is ~3.3 GB as float32, so nothing is read until asked for).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

#: FACED's nine categories, classes 0-8 in this order.
FACED_CLASSES: tuple[str, ...] = (
    "anger", "disgust", "fear", "sadness", "neutral",
    "amusement", "inspiration", "joy", "tenderness",
)  # fmt: skip

#: Clips per category in FACED's fixed clip order (28 clips).
FACED_CLIPS_PER_CLASS: tuple[int, ...] = (3, 3, 3, 3, 4, 3, 3, 3, 3)

#: The class of each of FACED's 28 clips, in clip order.
FACED_CLIP_LABELS: np.ndarray = np.repeat(np.arange(9), FACED_CLIPS_PER_CLASS)

DataKind = Literal["raw", "de"]


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
        ``(n_trials, n_channels, n_seconds, n_bands)`` for DE corpora.
    """

    subject_id: str
    labels: np.ndarray
    clips: np.ndarray
    loader: Callable[[], np.ndarray] = field(repr=False)

    def load(self) -> np.ndarray:
        return self.loader()


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
