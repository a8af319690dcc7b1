"""The continuous output: a window's position on the V-axis.

Two candidates, both measured by the cross-subject Pearson correlation between the predicted
position and the V-axis position of the window's true category:

- ``ridge``: one linear map (scikit-learn ``Ridge``) from the flattened, subject-normalised
  DE features to the category's position, fitted on training subjects -- the study's
  EEG -> V-axis projection;
- ``expectation``: the expected position under the ensemble's class probabilities.

The bundle uses whichever correlates better on the validation subjects.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import Ridge

ALPHAS = (1.0, 10.0, 100.0, 1000.0, 10000.0)
SOURCES = ("ridge", "expectation")


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation; 0 where either side is constant."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    a, b = a - a.mean(), b - b.mean()
    denom = np.sqrt((a**2).sum() * (b**2).sum())
    return float((a * b).sum() / denom) if denom > 0 else 0.0


def fit_ridge(
    X_train: np.ndarray,
    target_train: np.ndarray,
    X_val: np.ndarray,
    target_val: np.ndarray,
    alphas: tuple[float, ...] = ALPHAS,
) -> tuple[Ridge, dict]:
    """Ridge from features (n, n_channels, n_bands) to positions, alpha chosen on validation.

    Returns
    -------
    ridge : Ridge
        Fitted on the training windows with the chosen alpha.
    info : dict
        ``alpha`` and the validation correlation of every alpha tried.
    """
    flat_train, flat_val = X_train.reshape(len(X_train), -1), X_val.reshape(len(X_val), -1)
    scores = {}
    for alpha in alphas:
        model = Ridge(alpha=alpha).fit(flat_train, target_train)
        scores[alpha] = pearson(model.predict(flat_val), target_val)
    best = max(scores, key=scores.__getitem__)
    ridge = Ridge(alpha=best).fit(flat_train, target_train)
    return ridge, {"alpha": best, "val_r_by_alpha": {str(a): r for a, r in scores.items()}}


def ridge_predict(ridge: Ridge, X: np.ndarray) -> np.ndarray:
    """Positions predicted by ``ridge`` for features (n, n_channels, n_bands)."""
    return ridge.predict(X.reshape(len(X), -1))


def expected_position(probs: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The V-axis position expected under class probabilities ``probs`` (n, n_classes)."""
    return probs @ positions
