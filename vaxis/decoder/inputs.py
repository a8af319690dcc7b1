"""From windows of EEG to the normalised inputs of the ONNX graph.

Training and live decoding both call :func:`window_inputs`, then normalise with the
statistics of the subject (offline: all of the subject's windows, the standard FACED
cross-subject practice) or of the participant (live: a calibration profile, or running
statistics that start from the training population's and take over after a warm-up).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from vaxis.decoder.features import BANDS, extract
from vaxis.decoder.preprocessing import preprocess

EPS = 1e-6


def window_inputs(
    windows: np.ndarray,
    sfreq: float,
    reference: str = "average",
    detrend: str = "linear",
    feature_kind: str = "de",
    bands: Mapping[str, tuple[float, float]] = BANDS,
) -> tuple[np.ndarray, np.ndarray]:
    """Preprocessed windows and their band features, before normalisation.

    Parameters
    ----------
    windows : array, shape (n_windows, n_channels, n_times), microvolts

    Returns
    -------
    features : array, shape (n_windows, n_channels, n_bands)
    raw : array, shape (n_windows, n_channels, n_times)
    """
    raw = preprocess(windows, reference, detrend)
    return extract(raw, sfreq, feature_kind, bands).astype(np.float32), raw


@dataclass
class InputStats:
    """Normalisation statistics of one subject or participant.

    Attributes
    ----------
    feature_mean, feature_std : array, shape (n_channels, n_bands)
    raw_std : array, shape (n_channels,)
        Root mean square of each preprocessed channel.
    """

    feature_mean: np.ndarray
    feature_std: np.ndarray
    raw_std: np.ndarray

    @classmethod
    def fit(cls, features: np.ndarray, raw: np.ndarray) -> InputStats:
        """Statistics over all windows of one subject."""
        features = np.asarray(features, dtype=np.float64)
        return cls(
            features.mean(axis=0),
            features.std(axis=0),
            np.sqrt(np.mean(np.square(raw, dtype=np.float64), axis=(0, 2))),
        )

    @classmethod
    def mean_of(cls, stats: list[InputStats]) -> InputStats:
        """The average of several subjects' statistics (a population prior)."""
        return cls(*(np.mean([getattr(s, k) for s in stats], axis=0) for k in cls._keys()))

    @staticmethod
    def _keys() -> tuple[str, ...]:
        return ("feature_mean", "feature_std", "raw_std")

    def to_dict(self) -> dict:
        return {k: np.asarray(getattr(self, k)).tolist() for k in self._keys()}

    @classmethod
    def from_dict(cls, data: Mapping) -> InputStats:
        return cls(*(np.asarray(data[k], dtype=np.float64) for k in cls._keys()))

    def normalise(self, features: np.ndarray, raw: np.ndarray) -> dict[str, np.ndarray]:
        """Inputs by kind: z-scored features, raw divided by channel RMS."""
        return {
            "features": ((features - self.feature_mean) / np.maximum(self.feature_std, EPS)),
            "raw": raw / np.maximum(self.raw_std, EPS)[:, None],
        }


class RunningStats:
    """Statistics accumulated over a participant's valid windows, in order.

    Window ``i`` is normalised with the statistics of all valid windows up to and
    including ``i`` once ``warmup`` of them have been seen, and with ``prior`` before.
    Processing windows one by one or in batches gives the same result, which is what
    makes ``replay --fast`` equal ``replay --realtime``.

    Parameters
    ----------
    prior : InputStats
        Statistics to use during warm-up (the training population's).
    warmup : int
        Valid windows needed before the running statistics take over.
    """

    def __init__(self, prior: InputStats, warmup: int = 20):
        self.prior = prior
        self.warmup = warmup
        self.count_ = 0
        self._sum = np.zeros_like(prior.feature_mean)
        self._sumsq = np.zeros_like(prior.feature_mean)
        self._raw_sumsq = np.zeros_like(prior.raw_std)

    def normalise(
        self, features: np.ndarray, raw: np.ndarray, valid: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Update with the valid windows of a batch and normalise every window."""
        f64 = np.where(valid[:, None, None], features, 0.0).astype(np.float64)
        raw_ms = np.where(valid[:, None], np.mean(np.square(raw, dtype=np.float64), axis=2), 0.0)
        counts = self.count_ + np.cumsum(valid)
        sums = self._sum + np.cumsum(f64, axis=0)
        sumsqs = self._sumsq + np.cumsum(f64**2, axis=0)
        raw_sums = self._raw_sumsq + np.cumsum(raw_ms, axis=0)
        self.count_, self._sum, self._sumsq, self._raw_sumsq = (
            int(counts[-1]), sums[-1], sumsqs[-1], raw_sums[-1]
        )  # fmt: skip
        n = np.maximum(counts, 1)[:, None, None]
        mean = sums / n
        std = np.sqrt(np.maximum(sumsqs / n - mean**2, 0.0))
        raw_std = np.sqrt(raw_sums / n[:, :, 0])
        warm = (counts >= self.warmup)[:, None, None]
        mean = np.where(warm, mean, self.prior.feature_mean)
        std = np.where(warm, std, self.prior.feature_std)
        raw_std = np.where(warm[:, :, 0], raw_std, self.prior.raw_std)
        return {
            "features": (features - mean) / np.maximum(std, EPS),
            "raw": raw / np.maximum(raw_std, EPS)[:, :, None],
        }
