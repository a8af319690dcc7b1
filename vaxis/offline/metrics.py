"""Decoding metrics: balanced accuracy, Cohen's kappa and weighted F1 (scikit-learn)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import balanced_accuracy_score, cohen_kappa_score, f1_score


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """The three figures reported for FACED cross-subject decoding."""
    return {
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
        "kappa": float(cohen_kappa_score(y_true, y_pred)),
        "weighted_f1": float(f1_score(y_true, y_pred, average="weighted", zero_division=0)),
    }


def per_subject_balanced_accuracy(
    y_true: np.ndarray, y_pred: np.ndarray, subjects: np.ndarray
) -> dict[str, float]:
    """Balanced accuracy of each subject's windows."""
    return {
        str(s): float(balanced_accuracy_score(y_true[subjects == s], y_pred[subjects == s]))
        for s in np.unique(subjects)
    }
