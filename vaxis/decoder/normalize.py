"""Per-subject feature normalisation for offline analyses of feature corpora.

Cross-subject EEG decoding on FACED standardises each subject's features with that
subject's own statistics. The decoder's inputs (features and raw windows, offline and
live) are normalised by :mod:`vaxis.decoder.inputs`, whose ``InputStats`` and
``RunningStats`` are the online counterpart (a calibration baseline, or statistics
accumulated since the stream started).
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
