"""Training windows of a raw corpus, as the live decoder will see them.

Every subject's trials, played back to back, are cut into windows on one hop grid
(:func:`stream_windows`: what replay and a live decoder see), turned into inputs with the
decoder's own :func:`~vaxis.decoder.inputs.window_inputs` and kept un-normalised: how they
are normalised depends on the split (:mod:`vaxis.offline.train.normalise`). DE features are
computed once per subject; raw windows are kept decimated (the anti-aliasing FIR of
:func:`~vaxis.offline.train.resample.decimate_fir`, which the exported graph's first step
applies too) to keep a FACED-size corpus in memory.

Band covariances are kept as matrices (float32): their tangent vectors need a reference
fitted on a split's training subjects, which :func:`~vaxis.offline.train.covariance.fit_tangent`
computes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from vaxis.decoder.channels import FACED_REFERENCE_CHANNELS, canonical, match_channels
from vaxis.decoder.covariance import DEFAULT_SHRINKAGE, band_covariances
from vaxis.decoder.features import BANDS, envelope_fits
from vaxis.decoder.inputs import InputStats, RunningStats, window_inputs
from vaxis.decoder.quality import check_windows
from vaxis.decoder.windows import cut, seconds_to_samples
from vaxis.errors import DataError
from vaxis.offline.corpus.base import Corpus
from vaxis.offline.train.resample import decimate_fir

#: The input kinds a :class:`WindowSet` holds (covariance tangent vectors depend on a split).
WINDOW_KINDS = ("features", "envelope", "raw")


@dataclass
class WindowSet:
    """Un-normalised inputs of every window of a set of subjects, in recording order.

    How they are normalised depends on the split and the normalisation
    (:mod:`vaxis.offline.train.normalise`).

    Attributes
    ----------
    features : float32 array, shape (n_windows, n_channels, n_bands)
    raw : float32 array, shape (n_windows, n_channels, n_times // decimate)
        Preprocessed windows after the anti-aliasing decimation.
    raw_mean_square : float64 array, shape (n_windows, n_channels)
        Each full-rate preprocessed channel's mean square (what the live decoder's running
        statistics accumulate).
    valid : bool array, shape (n_windows,)
        Windows the live decoder's quality check accepts (only they update running
        statistics, live and offline).
    y : int array, shape (n_windows,)
        Class of each window; -1 for a bridge between two trials (see
        :func:`stream_windows`).
    subjects : str array, shape (n_windows,)
    stats : dict of str to InputStats
        Statistics of all of each subject's windows (of every kind it holds but covariance).
    channels : list of str
    sfreq : float
        Rate of the full-rate windows (the bundle's).
    window, hop : int
        Window and hop in full-rate samples.
    decimate : int
        Block length of the raw windows' decimation.
    bands : dict of str to (float, float)
        Bands of the features and of the covariances.
    covariances : float32 array, shape (n_windows, n_bands, n_channels, n_channels), or None
        Each window's band covariances, shrunk by ``shrinkage``; None when not computed.
    shrinkage : float
        Shrinkage of the covariances toward the scaled identity.
    envelope : float32 array, shape (n_windows, n_channels, n_bands), or None
        Each window's envelope variability
        (:func:`~vaxis.decoder.features.envelope_variability`); None when not computed.
    resample : float or None
        The rate trials were resampled to before cutting (``sfreq`` is then that rate).
    session_parts : bool
        Recordings are subjects' session parts (``sub#train`` ...), not whole subjects.
    """

    features: np.ndarray
    raw: np.ndarray
    raw_mean_square: np.ndarray
    valid: np.ndarray
    y: np.ndarray
    subjects: np.ndarray
    stats: dict[str, InputStats]
    channels: list[str]
    sfreq: float
    window: int
    hop: int
    decimate: int
    bands: dict[str, tuple[float, float]]
    covariances: np.ndarray | None = None
    shrinkage: float = DEFAULT_SHRINKAGE
    envelope: np.ndarray | None = None
    resample: float | None = None
    session_parts: bool = False

    def mask(self, subject_ids: list[str]) -> np.ndarray:
        """Boolean mask of the labelled windows of ``subject_ids`` (bridges left out)."""
        return np.isin(self.subjects, subject_ids) & (self.y >= 0)

    def inputs(self, kind: str, mask: np.ndarray | None = None) -> np.ndarray:
        """The un-normalised ``"features"``, ``"envelope"`` or ``"raw"`` inputs, optionally
        of masked windows."""
        if kind not in WINDOW_KINDS:
            raise ValueError(
                f"a WindowSet holds the {WINDOW_KINDS} inputs, not {kind!r}; covariance "
                "inputs depend on a split: fit_tangent(windows, train_ids)"
            )
        data = getattr(self, kind)
        if data is None:
            raise ValueError(f"this WindowSet was loaded without {kind!r} inputs")
        return data if mask is None else data[mask]


def decoding_channels(channels: list[str]) -> list[str]:
    """The corpus channels a bundle decodes: all but FACED's mastoid references."""
    refs = {canonical(c) for c in FACED_REFERENCE_CHANNELS}
    return [c for c in channels if canonical(c) not in refs]


#: Parts of each session's trials under the ``session-trials`` split (SEED-V's 15 trials
#: per session: the first five train, the next five validate, the last five test).
SESSION_PARTS = ("train", "val", "test")
TRIALS_PER_SESSION = 15


def resample_trial(trial: np.ndarray, sfreq: float, target: float | None) -> np.ndarray:
    """A trial (channels, times) polyphase-resampled from ``sfreq`` to ``target`` Hz."""
    if target is None or target == sfreq:
        return trial
    from fractions import Fraction

    from scipy.signal import resample_poly

    ratio = Fraction(target / sfreq).limit_denominator(1000)
    return resample_poly(trial, ratio.numerator, ratio.denominator, axis=-1).astype(np.float32)


def recordings(corpus: Corpus, session_parts: bool = False):
    """``(recording id, trials, labels)`` of every subject, or of every subject's
    session parts (``sub#train``, ``sub#val``, ``sub#test``) for the session-trials split."""
    for subject in corpus:
        trials = subject.load_trials()
        if any(t.ndim != 2 or t.shape[0] != len(corpus.channels) for t in trials):
            raise DataError(
                f"subject {subject.subject_id}: expected trials of ({len(corpus.channels)} "
                f"channels, times), got shapes {sorted({t.shape for t in trials})[:3]}"
            )
        labels = np.asarray(subject.labels, dtype=np.int64)
        if not session_parts:
            yield subject.subject_id, trials, labels
            continue
        part = (np.asarray(subject.clips) % TRIALS_PER_SESSION) // 5
        for index, name in enumerate(SESSION_PARTS):
            keep = np.flatnonzero(part == index)
            yield f"{subject.subject_id}#{name}", [trials[i] for i in keep], labels[keep]


def load_windows(
    corpus: Corpus,
    window_s: float = 4.0,
    hop_s: float = 2.0,
    decimate: int = 4,
    on_subject: Callable[[str], None] | None = None,
    covariance: bool = True,
    shrinkage: float = DEFAULT_SHRINKAGE,
    resample: float | None = None,
    channels: str = "eeg",
    session_parts: bool = False,
) -> WindowSet:
    """Cut and featurise every subject of a raw corpus (normalisation comes per split).

    Parameters
    ----------
    corpus : Corpus
        A raw corpus (``corpus.kind == "raw"``).
    window_s, hop_s : float
        Window length and hop in seconds.
    decimate : int
        Factor of the kept raw windows' anti-aliased decimation.
    on_subject : callable, optional
        Called with each subject id once it is done (progress bars).
    covariance : bool
        Keep each window's band covariances (float32, ``n_bands * n_channels**2`` values
        per window); only covariance members need them.
    shrinkage : float
        Shrinkage of the covariances toward the scaled identity.
    resample : float, optional
        Resample every trial to this rate first (a protocol's rate; the bundle's rate).
    channels : {"eeg", "all"}
        ``eeg`` leaves out FACED's mastoid references; ``all`` keeps every channel.
    session_parts : bool
        Each subject's sessions split 5/5/5 into ``sub#train``, ``sub#val`` and
        ``sub#test`` recordings (the session-trials split).
    """
    cut = _Windowing.of(corpus, channels, window_s, hop_s, decimate, covariance, shrinkage,
                        resample)  # fmt: skip
    parts: dict[str, list[np.ndarray]] = defaultdict(list)
    stats: dict[str, InputStats] = {}
    for rec_id, trials, labels in recordings(corpus, session_parts):
        stats[rec_id], arrays = cut.recording(rec_id, trials, labels)
        for key, array in arrays.items():
            parts[key].append(array)
        if on_subject is not None:
            on_subject(rec_id)
    return cut.window_set(parts, stats, session_parts)


@dataclass(frozen=True)
class _Windowing:
    """How :func:`load_windows` cuts and featurises each recording of one corpus."""

    corpus_sfreq: float
    picks: list[int]
    channels: list[str]
    sfreq: float
    window: int
    hop: int
    window_s: float
    kinds: tuple[str, ...]
    bands: Mapping[str, tuple[float, float]]
    decimate: int
    covariance: bool
    shrinkage: float
    resample: float | None

    @classmethod
    def of(
        cls,
        corpus: Corpus,
        channels: str,
        window_s: float,
        hop_s: float,
        decimate: int,
        covariance: bool,
        shrinkage: float,
        resample: float | None,
    ) -> _Windowing:
        if corpus.kind != "raw":
            raise DataError(
                f"corpus {corpus.name!r} holds precomputed {corpus.kind.upper()} features; "
                "training a bundle needs raw EEG (FACED Processed_data, BIDS or SEED-V), "
                "because the live decoder computes features from raw windows"
            )
        if channels not in ("eeg", "all"):
            raise DataError(f"channels must be 'eeg' or 'all', got {channels!r}")
        everything = list(corpus.channels)
        kept = decoding_channels(everything) if channels == "eeg" else everything
        sfreq = float(resample or corpus.sfreq)
        window = seconds_to_samples(window_s, sfreq)
        # Envelope variability needs two sub-windows; shorter windows go without it.
        kinds = WINDOW_KINDS if envelope_fits(window, sfreq) else ("features", "raw")
        return cls(corpus.sfreq, match_channels(corpus.channels, kept), kept, sfreq, window,
                   seconds_to_samples(hop_s, sfreq), window_s, kinds, corpus.bands or BANDS,
                   decimate, covariance, shrinkage, resample)  # fmt: skip

    def recording(
        self, rec_id: str, trials: list[np.ndarray], labels: np.ndarray
    ) -> tuple[InputStats, dict[str, np.ndarray]]:
        """One recording's statistics and per-window arrays (the :class:`WindowSet`
        fields)."""
        trials = [resample_trial(t[self.picks], self.corpus_sfreq, self.resample) for t in trials]
        flat, trial_of = stream_windows(trials, self.window, self.hop)
        if len(flat) == 0:
            longest = max(t.shape[-1] for t in trials) / self.sfreq
            raise DataError(
                f"subject {rec_id}: trials of at most {longest:g} s are shorter "
                f"than one {self.window_s:g} s window"
            )
        inputs = window_inputs(flat, self.sfreq, self.kinds, bands=self.bands)
        arrays = {
            "valid": check_windows(flat, self.channels)[0],
            "raw_mean_square": RunningStats.moments("raw", inputs["raw"])[0],
            "features": inputs["features"].astype(np.float32),
            "raw": decimate_fir(inputs["raw"], self.decimate).astype(np.float32),
            "y": np.where(trial_of >= 0, labels[np.maximum(trial_of, 0)], -1),
            "subjects": np.full(len(flat), rec_id),
        }
        if "envelope" in inputs:
            arrays["envelope"] = inputs["envelope"].astype(np.float32)
        if self.covariance:
            covs = band_covariances(inputs["raw"], self.sfreq, self.bands, self.shrinkage)
            arrays["covariances"] = covs.astype(np.float32)
        return InputStats.fit(inputs), arrays

    def window_set(
        self, parts: dict[str, list[np.ndarray]], stats: dict[str, InputStats], session_parts: bool
    ) -> WindowSet:
        """The :class:`WindowSet` of every recording's ``parts`` and ``stats``."""
        return WindowSet(
            features=_concatenate(parts["features"]),
            envelope=_concatenate(parts["envelope"]) if parts["envelope"] else None,
            raw=_concatenate(parts["raw"]),
            raw_mean_square=np.concatenate(parts["raw_mean_square"]),
            valid=np.concatenate(parts["valid"]),
            y=np.concatenate(parts["y"]),
            subjects=np.concatenate(parts["subjects"]),
            stats=stats,
            channels=self.channels,
            sfreq=self.sfreq,
            window=self.window,
            hop=self.hop,
            decimate=self.decimate,
            bands={k: (float(v[0]), float(v[1])) for k, v in self.bands.items()},
            covariances=_concatenate(parts["covariances"]) if self.covariance else None,
            shrinkage=float(self.shrinkage),
            resample=self.resample,
            session_parts=session_parts,
        )


def _concatenate(parts: list[np.ndarray]) -> np.ndarray:
    """``np.concatenate`` that releases each part once copied, so the peak memory is the
    result plus one subject, not twice the corpus."""
    out = np.empty((sum(len(p) for p in parts), *parts[0].shape[1:]), dtype=parts[0].dtype)
    start = 0
    while parts:
        part = parts.pop(0)
        out[start : start + len(part)] = part
        start += len(part)
    return out


def subject_windows(corpus: Corpus, windows: WindowSet, subject_id: str) -> np.ndarray:
    """One recording's full-rate windows in microvolts (n_windows, n_channels, n_times), cut
    exactly as :func:`load_windows` cut them."""
    picks = match_channels(corpus.channels, windows.channels)
    for rec_id, trials, _ in recordings(corpus.subset([subject_id.split("#")[0]]),
                                        windows.session_parts):  # fmt: skip
        if rec_id == subject_id:
            trials = [resample_trial(t[picks], corpus.sfreq, windows.resample) for t in trials]
            return stream_windows(trials, windows.window, windows.hop)[0]
    raise DataError(f"corpus {corpus.name!r} has no subject {subject_id!r}")


def stream_windows(
    trials: list[np.ndarray], window: int, hop: int
) -> tuple[np.ndarray, np.ndarray]:
    """Windows of a subject's trials played back to back, on one hop grid from the start.

    This is what ``vaxis replay`` of the subject's recording and a live decoder see, so
    causal normalisation offline runs over the same windows in the same order. A window
    inside one trial carries that trial's index; one that spans two trials (a *bridge*)
    carries -1: it updates running statistics but is neither trained on nor scored.

    Returns
    -------
    windows : array, shape (n_windows, n_channels, window)
    trial_of : int array, shape (n_windows,)
    """
    lengths = np.array([t.shape[-1] for t in trials])
    onsets = np.concatenate([[0], np.cumsum(lengths)])
    stream = np.concatenate(trials, axis=-1)
    windows = cut(stream, window, hop).swapaxes(0, 1)
    starts = np.arange(len(windows)) * hop
    trial = np.searchsorted(onsets, starts, side="right") - 1
    inside = starts + window <= onsets[trial + 1]
    return np.ascontiguousarray(windows), np.where(inside, trial, -1)
