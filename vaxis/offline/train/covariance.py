"""The covariance input of one split: tangent vectors at the training subjects' mean.

A window's band covariances (kept by :func:`~vaxis.offline.train.data.load_windows`) become
tangent vectors at a reference point, the Riemannian mean (pyriemann) of the training
subjects' mean covariances -- so no statistic of a validation or test subject enters the
reference. The vectors are computed by the live decoder's own
:class:`~vaxis.decoder.covariance.TangentSpaceMap`; they are normalised like every other
input (:mod:`vaxis.offline.train.normalise`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from vaxis.decoder.covariance import TangentSpaceMap, n_pairs
from vaxis.decoder.inputs import InputStats
from vaxis.errors import DataError
from vaxis.offline.train.data import WindowSet


@dataclass
class TangentInputs:
    """Normalised covariance inputs of every window, for one split.

    Attributes
    ----------
    tangent_map : TangentSpaceMap
        Reference, shrinkage and bands: what the live decoder rebuilds from the bundle.
    vectors : float32 array, shape (n_windows, n_bands, n_pairs)
        Every window's tangent vectors, not normalised.
    stats : dict of str to InputStats
        Each subject's statistics of every kind: the :class:`WindowSet`'s, plus the
        covariance mean and standard deviation.
    train_ids : list of str
        The subjects the reference and the prior come from.
    """

    tangent_map: TangentSpaceMap
    vectors: np.ndarray = field(repr=False)
    stats: dict[str, InputStats] = field(repr=False)
    train_ids: list[str]

    @property
    def reference(self) -> np.ndarray:
        """The reference of each band, shape (n_bands, n_channels, n_channels)."""
        return self.tangent_map.reference

    def prior(self) -> InputStats:
        """The population prior of the bundle: the mean of the training subjects' stats."""
        return InputStats.mean_of([self.stats[s] for s in self.train_ids])

    def input_spec(self, name: str = "covariance") -> dict:
        """The entry of ``bundle.json``'s ``inputs`` for this input."""
        n_bands, n_channels = self.reference.shape[:2]
        return {"name": name, "kind": "covariance", "shape": [None, n_bands, n_pairs(n_channels)]}

    def bundle_block(self) -> dict:
        """``bundle.json``'s ``features.covariance``: bands, shrinkage and reference."""
        return {
            "bands": {k: list(v) for k, v in self.tangent_map.bands.items()},
            "shrinkage": self.tangent_map.shrinkage,
            "reference": self.reference.tolist(),
        }


def _covariances(windows: WindowSet) -> np.ndarray:
    if windows.covariances is None:
        raise DataError("the windows were loaded without covariances (covariance=False)")
    return windows.covariances


def population_reference(windows: WindowSet, subject_ids: list[str]) -> np.ndarray:
    """Riemannian mean, per band, of the given subjects' mean covariances.

    Returns
    -------
    reference : float64 array, shape (n_bands, n_channels, n_channels)
    """
    from pyriemann.geometry.mean import mean_riemann

    covariances = _covariances(windows)
    means = np.stack([
        covariances[windows.subjects == s].mean(axis=0, dtype=np.float64)
        for s in subject_ids
    ])  # fmt: skip
    reference = mean_riemann(means.transpose(1, 0, 2, 3))
    return (reference + reference.transpose(0, 2, 1)) / 2.0


def fit_tangent(windows: WindowSet, train_ids: list[str]) -> TangentInputs:
    """Reference from ``train_ids``; every window's tangent vectors and each subject's
    statistics of them.

    Parameters
    ----------
    windows : WindowSet
        Windows loaded with their covariances (``load_windows(..., covariance=True)``).
    train_ids : list of str
        The split's training subjects: the only ones the reference and prior see.
    """
    covariances = _covariances(windows)
    unknown = sorted(set(train_ids) - set(windows.stats))
    if not train_ids or unknown:
        raise DataError(f"training subjects {unknown or '(none)'} have no windows")
    tangent_map = TangentSpaceMap(
        population_reference(windows, list(train_ids)), windows.shrinkage, windows.bands
    )
    n_bands, n_channels = covariances.shape[1:3]
    vectors = np.empty((len(windows.y), n_bands, n_pairs(n_channels)), dtype=np.float32)
    stats = {}
    for subject, own in windows.stats.items():
        where = np.flatnonzero(windows.subjects == subject)
        vectors[where] = tangent_map.tangent(covariances[where])
        fitted = InputStats.fit({"covariance": vectors[where]})
        stats[subject] = replace(
            own, covariance_mean=fitted.covariance_mean, covariance_std=fitted.covariance_std
        )
    return TangentInputs(tangent_map, vectors, stats, list(train_ids))
