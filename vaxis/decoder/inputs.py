"""From windows of EEG to the normalised inputs of the ONNX graph.

Training and live decoding both call :func:`window_inputs`, then normalise with the
statistics of the subject (offline: all of the subject's windows, the standard FACED
cross-subject practice) or of the participant (live: a calibration profile, or running
statistics that start from the training population's and take over after a warm-up).

Inputs come by kind:

``"features"``
    Band features (DE) per channel and band, z-scored.
``"raw"``
    The preprocessed window, divided by each channel's root mean square.
``"covariance"``
    Band-covariance tangent vectors (:mod:`vaxis.decoder.covariance`), z-scored.
``"envelope"``
    Envelope variability per channel and band
    (:func:`~vaxis.decoder.features.envelope_variability`), z-scored.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields

import numpy as np

from vaxis.decoder.covariance import TangentSpaceMap, spectra
from vaxis.decoder.features import (
    BANDS,
    FeatureKind,
    envelope_variability,
    from_power,
    spectrum_power,
)
from vaxis.decoder.preprocessing import Detrend, Reference, preprocess

EPS = 1e-6

#: The kinds of input a graph can read.
INPUT_KINDS = ("features", "raw", "covariance", "envelope")

#: Z-scored kinds and the names of their mean and standard deviation.
ZSCORED = {
    "features": ("feature_mean", "feature_std"),
    "covariance": ("covariance_mean", "covariance_std"),
    "envelope": ("envelope_mean", "envelope_std"),
}


def window_inputs(
    windows: np.ndarray,
    sfreq: float,
    kinds: Collection[str] = ("features", "raw"),
    *,
    reference: Reference = "average",
    detrend: Detrend = "linear",
    feature_kind: FeatureKind = "de",
    bands: Mapping[str, tuple[float, float]] = BANDS,
    tangent: TangentSpaceMap | None = None,
) -> dict[str, np.ndarray]:
    """The inputs of ``kinds`` of preprocessed windows, before normalisation.

    Parameters
    ----------
    windows : array, shape (n_windows, n_channels, n_times), microvolts
    sfreq : float
        Sampling rate in Hz.
    kinds : collection of str
        Which of :data:`INPUT_KINDS` to compute; the others are not.
    reference : {"average", "none"}
    detrend : {"linear", "constant", "none"}
        Preprocessing (:func:`~vaxis.decoder.preprocessing.preprocess`).
    feature_kind : {"de", "psd"}
        Band features of the ``"features"`` kind (:func:`~vaxis.decoder.features.extract`).
    bands : mapping
        Bands of the ``"features"`` and ``"envelope"`` kinds.
    tangent : TangentSpaceMap, optional
        Reference, shrinkage and bands of the ``"covariance"`` kind; required for it.

    Returns
    -------
    inputs : dict of str to float32 array
        ``"features"`` and ``"envelope"`` (n_windows, n_channels, n_bands), ``"raw"``
        (n_windows, n_channels, n_times), ``"covariance"`` (n_windows, n_covariance_bands,
        n_pairs), as asked.
    """
    unknown = set(kinds) - set(INPUT_KINDS)
    if unknown:
        raise ValueError(f"unknown input kinds {sorted(unknown)}; expected {INPUT_KINDS}")
    if "covariance" in kinds and tangent is None:
        raise ValueError("the covariance input needs a TangentSpaceMap (tangent=)")
    raw = preprocess(windows, reference, detrend)
    out = _spectral_inputs(raw, sfreq, kinds, feature_kind, bands, tangent)
    if "raw" in kinds:
        out["raw"] = raw
    if "envelope" in kinds:
        out["envelope"] = envelope_variability(raw, sfreq, bands).astype(np.float32)
    return out


def _spectral_inputs(
    raw: np.ndarray,
    sfreq: float,
    kinds: Collection[str],
    feature_kind: FeatureKind,
    bands: Mapping[str, tuple[float, float]],
    tangent: TangentSpaceMap | None,
) -> dict[str, np.ndarray]:
    """The ``"features"`` and ``"covariance"`` inputs, as asked, from one float64 FFT of
    each window, in blocks that bound the spectra's memory."""
    parts: dict[str, list[np.ndarray]] = {}
    if "features" in kinds:
        parts["features"] = []
    if "covariance" in kinds and tangent is not None:  # None was refused by the caller
        parts["covariance"] = []
    if not parts:
        return {}
    n_times = raw.shape[-1]
    for _, spectrum in spectra(raw):
        if "features" in parts:
            power = spectrum_power(spectrum, n_times, sfreq, bands)
            parts["features"].append(from_power(power, feature_kind, bands))
        if tangent is not None and "covariance" in parts:
            parts["covariance"].append(tangent.from_spectrum(spectrum, n_times, sfreq))
    return {kind: np.concatenate(p).astype(np.float32) for kind, p in parts.items()}


def _raw_mean_square(raw: np.ndarray) -> np.ndarray:
    """Mean square of each preprocessed channel of each window, (n_windows, n_channels)."""
    return np.mean(np.square(raw, dtype=np.float64), axis=2)


@dataclass
class InputStats:
    """Normalisation statistics of one subject or participant, for the kinds it holds.

    A kind's statistics are ``None`` when they were not fitted (a bundle without that
    input, or a bundle or profile written before the kind existed).

    Attributes
    ----------
    feature_mean, feature_std : array, shape (n_channels, n_bands)
    raw_std : array, shape (n_channels,)
        Root mean square of each preprocessed channel.
    covariance_mean, covariance_std : array, shape (n_covariance_bands, n_pairs)
    envelope_mean, envelope_std : array, shape (n_channels, n_bands)
    """

    feature_mean: np.ndarray | None = None
    feature_std: np.ndarray | None = None
    raw_std: np.ndarray | None = None
    covariance_mean: np.ndarray | None = None
    covariance_std: np.ndarray | None = None
    envelope_mean: np.ndarray | None = None
    envelope_std: np.ndarray | None = None

    @property
    def kinds(self) -> tuple[str, ...]:
        """The input kinds these statistics can normalise."""
        held = {"raw": self.raw_std is not None}
        held.update({k: getattr(self, names[0]) is not None for k, names in ZSCORED.items()})
        return tuple(k for k in INPUT_KINDS if held[k])

    @classmethod
    def fit(cls, inputs: Mapping[str, np.ndarray]) -> InputStats:
        """Statistics over all windows of one subject, for each kind of ``inputs`` (the
        un-normalised output of :func:`window_inputs`)."""
        values = {}
        for kind, x in inputs.items():
            if kind == "raw":
                values["raw_std"] = np.sqrt(_raw_mean_square(x).mean(axis=0))
            else:
                mean, std = ZSCORED[kind]
                x = np.asarray(x, dtype=np.float64)
                values[mean], values[std] = x.mean(axis=0), x.std(axis=0)
        return cls(**values)

    @classmethod
    def mean_of(cls, stats: list[InputStats]) -> InputStats:
        """The average of several subjects' statistics (a population prior), for the
        kinds they all hold."""
        values = {}
        for name in cls._keys():
            held = [getattr(s, name) for s in stats]
            if all(v is not None for v in held):
                values[name] = np.mean(held, axis=0)
        return cls(**values)

    @staticmethod
    def _keys() -> tuple[str, ...]:
        return tuple(f.name for f in fields(InputStats))

    def to_dict(self) -> dict:
        """The statistics held, as lists (``bundle.json``, ``profile.json``)."""
        return {
            k: np.asarray(getattr(self, k)).tolist()
            for k in self._keys()
            if getattr(self, k) is not None
        }

    @classmethod
    def from_dict(cls, data: Mapping) -> InputStats:
        """Read :meth:`to_dict`'s output; keys of kinds not held may be absent."""
        return cls(**{k: np.asarray(data[k], dtype=np.float64) for k in cls._keys() if k in data})

    def normalise(self, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Inputs by kind: raw divided by channel RMS, the other kinds z-scored."""
        missing = set(inputs) - set(self.kinds)
        if missing:
            raise ValueError(f"no statistics for input kinds {sorted(missing)}")
        out = {}
        for kind, x in inputs.items():
            if kind == "raw":
                assert self.raw_std is not None  # "raw" is in self.kinds only then
                out[kind] = x / np.maximum(self.raw_std, EPS)[:, None]
            else:
                mean, std = (getattr(self, name) for name in ZSCORED[kind])
                out[kind] = (x - mean) / np.maximum(std, EPS)
        return out


class RunningStats:
    """Statistics accumulated over a participant's valid windows, in order.

    Window ``i`` is normalised with the statistics of all valid windows up to and
    including ``i`` once ``warmup`` of them have been seen, and with ``prior`` before.
    Processing windows one by one or in batches gives the same result, which is what
    makes ``replay --fast`` equal ``replay --realtime``. Every kind counts the same
    windows, so all kinds leave the warm-up together.

    Parameters
    ----------
    prior : InputStats
        Statistics to use during warm-up (the training population's); it must hold every
        kind that will be normalised.
    warmup : int
        Valid windows needed before the running statistics take over.
    """

    def __init__(self, prior: InputStats, warmup: int = 20):
        self.prior = prior
        self.warmup = warmup
        self.count_ = 0
        self._sums: dict[str, list[np.ndarray]] = {}

    @staticmethod
    def moments(kind: str, x: np.ndarray) -> list[np.ndarray]:
        """Per-window quantities whose running sums give the kind's statistics: the mean
        square of each channel for ``"raw"``, the value and its square otherwise."""
        if kind == "raw":
            return [_raw_mean_square(x)]
        x = np.asarray(x, dtype=np.float64)
        return [x, x**2]

    def scales(
        self, moments: Mapping[str, list[np.ndarray]], valid: np.ndarray
    ) -> dict[str, tuple[np.ndarray | float, np.ndarray]]:
        """Update with the valid windows of a batch; each window's location and scale.

        Parameters
        ----------
        moments : dict of str to list of array
            :meth:`moments` of each kind's un-normalised inputs, windows first.
        valid : array of bool, shape (n_windows,)
            Windows that count towards the statistics.

        Returns
        -------
        dict of str to (location, scale)
            Per window: for ``"raw"`` location 0 and the channels' RMS (n_windows,
            n_channels); otherwise the running mean and standard deviation.
        """
        missing = set(moments) - set(self.prior.kinds)
        if missing:
            raise ValueError(f"the prior holds no statistics for input kinds {sorted(missing)}")
        counts = self.count_ + np.cumsum(valid)
        warm = counts >= self.warmup
        n = np.maximum(counts, 1).astype(np.float64)
        out: dict[str, tuple[np.ndarray | float, np.ndarray]] = {}
        for kind, kind_moments in moments.items():
            before = self._sums.get(kind) or [np.zeros(m.shape[1:]) for m in kind_moments]
            running = []
            for total, moment in zip(before, kind_moments, strict=True):
                mask = valid.reshape(-1, *([1] * (moment.ndim - 1)))
                running.append(total + np.cumsum(np.where(mask, moment, 0.0), axis=0))
            self._sums[kind] = [r[-1] for r in running]
            shape = (-1, *([1] * (running[0].ndim - 1)))
            w, per_window = warm.reshape(shape), n.reshape(shape)
            if kind == "raw":
                rms = np.where(w, np.sqrt(running[0] / per_window), self.prior.raw_std)
                out[kind] = (0.0, np.maximum(rms, EPS))
            else:
                mean = running[0] / per_window
                std = np.sqrt(np.maximum(running[1] / per_window - mean**2, 0.0))
                prior_mean, prior_std = (getattr(self.prior, k) for k in ZSCORED[kind])
                out[kind] = (np.where(w, mean, prior_mean),
                             np.maximum(np.where(w, std, prior_std), EPS))  # fmt: skip
        self.count_ = int(counts[-1])
        return out

    def normalise(
        self, inputs: Mapping[str, np.ndarray], valid: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Update with the valid windows of a batch and normalise every window.

        Parameters
        ----------
        inputs : dict of str to array
            Un-normalised inputs by kind (:func:`window_inputs`), windows first.
        valid : array of bool, shape (n_windows,)
            Windows that count towards the statistics.
        """
        scales = self.scales({k: self.moments(k, x) for k, x in inputs.items()}, valid)
        out = {}
        for kind, x in inputs.items():
            location, scale = scales[kind]
            out[kind] = x / scale[:, :, None] if kind == "raw" else (x - location) / scale
        return out
