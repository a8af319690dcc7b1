"""Feature normalisation: per subject offline, from a baseline or running statistics online.

Cross-subject EEG decoding on FACED standardises each subject's features with that
subject's own statistics. Live, the same is done with statistics from a calibration
baseline (:class:`FixedNormalizer`, from a profile) or accumulated since the stream
started (:class:`RunningNormalizer`).
"""

from __future__ import annotations

import numpy as np

EPS = 1e-6


class SubjectNormalizer:
    """Z-score features with statistics over the first axis (one subject's samples).

    Parameters
    ----------
    eps : float
        Floor of the standard deviation.
    """

    def __init__(self, eps: float = EPS):
        self.eps = eps

    def fit(self, features: np.ndarray) -> SubjectNormalizer:
        """Learn ``mean_`` and ``std_`` over axis 0 of ``features`` (n_samples, ...)."""
        features = np.asarray(features, dtype=np.float64)
        self.mean_ = features.mean(axis=0)
        self.std_ = np.maximum(features.std(axis=0), self.eps)
        return self

    def transform(self, features: np.ndarray) -> np.ndarray:
        """Standardise ``features`` with the learned statistics."""
        out = (np.asarray(features) - self.mean_) / self.std_
        return out.astype(np.float32)

    def fit_transform(self, features: np.ndarray) -> np.ndarray:
        return self.fit(features).transform(features)


class FixedNormalizer(SubjectNormalizer):
    """A :class:`SubjectNormalizer` whose statistics are given (a profile, a bundle)."""

    def __init__(self, mean: np.ndarray, std: np.ndarray, eps: float = EPS):
        super().__init__(eps)
        self.mean_ = np.asarray(mean, dtype=np.float64)
        self.std_ = np.maximum(np.asarray(std, dtype=np.float64), eps)

    def fit(self, features: np.ndarray) -> FixedNormalizer:
        return self


class RunningNormalizer(SubjectNormalizer):
    """Online z-scoring with statistics accumulated window by window (Welford).

    Until ``warmup`` windows have been seen, the ``prior`` statistics (the training
    population's, from the bundle) are used.

    Parameters
    ----------
    prior_mean, prior_std : array
        Statistics to use during warm-up.
    warmup : int
        Windows to accumulate before the running statistics take over.
    """

    def __init__(
        self, prior_mean: np.ndarray, prior_std: np.ndarray, warmup: int = 20, eps: float = EPS
    ):
        super().__init__(eps)
        self.prior_mean = np.asarray(prior_mean, dtype=np.float64)
        self.prior_std = np.asarray(prior_std, dtype=np.float64)
        self.warmup = warmup
        self.count_ = 0
        self._mean = np.zeros_like(self.prior_mean)
        self._m2 = np.zeros_like(self.prior_mean)
        self.mean_, self.std_ = self.prior_mean, np.maximum(self.prior_std, eps)

    def update(self, features: np.ndarray) -> RunningNormalizer:
        """Add one window's features (same shape as the statistics)."""
        self.count_ += 1
        delta = features - self._mean
        self._mean = self._mean + delta / self.count_
        self._m2 = self._m2 + delta * (features - self._mean)
        if self.count_ >= self.warmup:
            self.mean_ = self._mean
            self.std_ = np.maximum(np.sqrt(self._m2 / self.count_), self.eps)
        return self

    def fit(self, features: np.ndarray) -> RunningNormalizer:
        for row in np.asarray(features, dtype=np.float64):
            self.update(row)
        return self
