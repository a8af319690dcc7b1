"""Training windows of a raw corpus, as the live decoder will see them.

Every subject's trials are cut into windows, turned into inputs with the decoder's own
:func:`~vaxis.decoder.inputs.window_inputs`, and normalised with that subject's
:class:`~vaxis.decoder.inputs.InputStats` -- the offline counterpart of the running
statistics the live decoder uses -- so training and live inputs match. DE features are
computed once per subject; raw windows are kept decimated (block means, exactly what the
exported graph's first step computes) to keep a FACED-size corpus in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vaxis.decoder.channels import FACED_REFERENCE_CHANNELS, canonical, match_channels
from vaxis.decoder.features import BANDS
from vaxis.decoder.inputs import InputStats, window_inputs
from vaxis.decoder.windows import cut, seconds_to_samples
from vaxis.errors import DataError
from vaxis.offline.corpus.base import Corpus
from vaxis.offline.train.resample import decimate_fir


@dataclass
class WindowSet:
    """Normalised inputs of every window of a set of subjects.

    Attributes
    ----------
    features : float32 array, shape (n_windows, n_channels, n_bands)
    raw : float32 array, shape (n_windows, n_channels, n_times // decimate)
    y : int array, shape (n_windows,)
    subjects : str array, shape (n_windows,)
    stats : dict of str to InputStats
        Each subject's normalisation statistics.
    channels : list of str
    sfreq : float
        Rate of the full-rate windows (the bundle's).
    window, hop : int
        Window and hop in full-rate samples.
    decimate : int
        Block length of the raw windows' decimation.
    """

    features: np.ndarray
    raw: np.ndarray
    y: np.ndarray
    subjects: np.ndarray
    stats: dict[str, InputStats]
    channels: list[str]
    sfreq: float
    window: int
    hop: int
    decimate: int

    def mask(self, subject_ids: list[str]) -> np.ndarray:
        """Boolean mask of the windows of ``subject_ids``."""
        return np.isin(self.subjects, subject_ids)

    def inputs(self, kind: str, mask: np.ndarray | None = None) -> np.ndarray:
        """The ``"features"`` or ``"raw"`` inputs, optionally of masked windows."""
        data = self.features if kind == "features" else self.raw
        return data if mask is None else data[mask]


def decoding_channels(channels: list[str]) -> list[str]:
    """The corpus channels a bundle decodes: all but FACED's mastoid references."""
    refs = {canonical(c) for c in FACED_REFERENCE_CHANNELS}
    return [c for c in channels if canonical(c) not in refs]


def load_windows(
    corpus: Corpus,
    window_s: float = 4.0,
    hop_s: float = 2.0,
    decimate: int = 4,
    on_subject: Callable[[str], None] | None = None,
) -> WindowSet:
    """Cut, featurise and normalise every subject of a raw corpus.

    Parameters
    ----------
    corpus : Corpus
        A raw corpus (``corpus.kind == "raw"``).
    window_s, hop_s : float
        Window length and hop in seconds.
    decimate : int
        Block length of the kept raw windows' decimation.
    on_subject : callable, optional
        Called with each subject id once it is done (progress bars).
    """
    if corpus.kind != "raw":
        raise DataError(
            f"corpus {corpus.name!r} holds precomputed {corpus.kind.upper()} features; "
            "training a bundle needs raw EEG (FACED Processed_data, BIDS or SEED-V), "
            "because the live decoder computes features from raw windows"
        )
    channels = decoding_channels(list(corpus.channels))
    picks = match_channels(corpus.channels, channels)
    window = seconds_to_samples(window_s, corpus.sfreq)
    hop = seconds_to_samples(hop_s, corpus.sfreq)
    bands = corpus.bands or BANDS
    parts: dict[str, list[np.ndarray]] = {"features": [], "raw": [], "y": [], "subjects": []}
    stats: dict[str, InputStats] = {}
    for subject in corpus:
        data = np.asarray(subject.load())
        if data.ndim != 3 or data.shape[1] != len(corpus.channels):
            raise DataError(
                f"subject {subject.subject_id}: expected (trials, {len(corpus.channels)} "
                f"channels, times), got shape {data.shape}"
            )
        windows = cut(data[:, picks], window, hop)  # (trials, channels, n_windows, window)
        if windows.shape[2] == 0:
            raise DataError(
                f"subject {subject.subject_id}: trials of {data.shape[-1] / corpus.sfreq:g} s "
                f"are shorter than one {window_s:g} s window"
            )
        n_trials, _, n_win = windows.shape[:3]
        flat = windows.transpose(0, 2, 1, 3).reshape(n_trials * n_win, len(channels), window)
        features, raw = window_inputs(flat, corpus.sfreq, bands=bands)
        stats[subject.subject_id] = InputStats.fit(features, raw)
        normed = stats[subject.subject_id].normalise(features, raw)
        parts["features"].append(normed["features"].astype(np.float32))
        parts["raw"].append(decimate_fir(normed["raw"], decimate).astype(np.float32))
        parts["y"].append(np.repeat(np.asarray(subject.labels, dtype=np.int64), n_win))
        parts["subjects"].append(np.full(n_trials * n_win, subject.subject_id))
        if on_subject is not None:
            on_subject(subject.subject_id)
    return WindowSet(
        features=np.concatenate(parts["features"]),
        raw=np.concatenate(parts["raw"]),
        y=np.concatenate(parts["y"]),
        subjects=np.concatenate(parts["subjects"]),
        stats=stats,
        channels=channels,
        sfreq=float(corpus.sfreq),
        window=window,
        hop=hop,
        decimate=decimate,
    )


def subject_inputs(corpus: Corpus, windows: WindowSet, subject_id: str) -> dict[str, np.ndarray]:
    """Full-rate normalised inputs of one subject's windows, as the bundle's graph reads them.

    ``WindowSet`` keeps raw windows decimated; the exported graph takes them at full rate
    and decimates itself. This recomputes one subject's windows the same way
    :func:`load_windows` did, with the subject's statistics.
    """
    subject = next((s for s in corpus if s.subject_id == subject_id), None)
    if subject is None:
        raise DataError(f"corpus {corpus.name!r} has no subject {subject_id!r}")
    data = np.asarray(subject.load())[:, match_channels(corpus.channels, windows.channels)]
    cut_windows = cut(data, windows.window, windows.hop)
    n_trials, n_ch, n_win = cut_windows.shape[:3]
    flat = cut_windows.transpose(0, 2, 1, 3).reshape(n_trials * n_win, n_ch, windows.window)
    features, raw = window_inputs(flat, windows.sfreq, bands=corpus.bands or BANDS)
    normed = windows.stats[subject_id].normalise(features, raw)
    return {k: v.astype(np.float32) for k, v in normed.items()}
