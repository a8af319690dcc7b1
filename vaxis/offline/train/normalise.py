"""Normalising a split's inputs the way the live decoder will, or transductively when asked.

Three normalisations, for every subject of the split (train, selection, validation, test):

``causal`` (the default for every reported figure)
    What ``vaxis live`` and ``vaxis replay`` do: each subject's windows, in recording order,
    are normalised with the population prior (the training subjects' mean statistics) for
    the first ``warmup`` valid windows, then with running statistics of the valid windows
    so far -- the decoder's own :class:`~vaxis.decoder.inputs.RunningStats`.
``subject`` (transductive)
    Each subject with the statistics of all of its own windows: the common offline FACED
    practice, which a live decoder cannot do (it would need the whole recording first).
    Figures under it are labelled transductive.
``population``
    Every subject with the population prior only (no statistic of any test subject): the
    fixed scaling of the published FACED/SEED-V protocols.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, get_args

import numpy as np

from vaxis.decoder.inputs import EPS, ZSCORED, InputStats, RunningStats, window_inputs
from vaxis.errors import ConfigError
from vaxis.offline.choices import Normalisation
from vaxis.offline.corpus.base import Corpus
from vaxis.offline.train.data import WINDOW_KINDS, WindowSet, subject_windows

if TYPE_CHECKING:
    from vaxis.offline.train.covariance import TangentInputs

NORMALISATIONS: tuple[Normalisation, ...] = get_args(Normalisation)
#: Valid windows of running statistics before they replace the population prior, live.
WARMUP = 20


@dataclass
class SplitInputs:
    """A split's normalised inputs and the statistics behind them.

    Attributes
    ----------
    inputs : dict of str to float32 array
        Every window's normalised inputs by kind.
    stats : dict of str to InputStats
        Each subject's statistics of all its windows, of every kind.
    prior : InputStats
        The training subjects' mean statistics (the bundle's population prior).
    normalisation : str
    tangent : TangentInputs or None
        The covariance input's reference and vectors, when a member reads it.
    extra : dict of str to dict of str to array
        Other normalisations of some windows, scored beside (e.g. ``"test_subject"``).
    """

    inputs: dict[str, np.ndarray] = field(repr=False)
    stats: dict[str, InputStats] = field(repr=False)
    prior: InputStats
    normalisation: str
    tangent: TangentInputs | None = None
    extra: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


def _moments(kind: str, unnormalised: dict[str, np.ndarray], windows: WindowSet, where):
    if kind == "raw":
        return [windows.raw_mean_square[where]]
    return RunningStats.moments(kind, unnormalised[kind][where])


def _location_scale(stats: InputStats, kind: str) -> tuple[np.ndarray | float, np.ndarray]:
    if kind == "raw":
        assert stats.raw_std is not None  # fitted wherever raw windows are normalised
        return 0.0, np.maximum(stats.raw_std, EPS)
    mean, std = (getattr(stats, name) for name in ZSCORED[kind])
    return mean, np.maximum(std, EPS)


def split_inputs(
    windows: WindowSet,
    kinds: set[str],
    train_ids: list[str],
    normalisation: str = "causal",
    warmup: int = WARMUP,
    only: np.ndarray | None = None,
    tangent=None,
) -> SplitInputs:
    """Every window's inputs of ``kinds``, normalised as ``normalisation`` says.

    Band features, envelopes and raw windows come from ``windows``; the covariance input's tangent
    space is taken at a reference fitted on ``train_ids`` only, as is the prior.

    Parameters
    ----------
    only : int array, optional
        Normalise only these windows (whole subjects, in order); the arrays hold just them.
    tangent : TangentInputs, optional
        A tangent space already fitted on ``train_ids`` (saves fitting it again).
    """
    if normalisation not in NORMALISATIONS:
        raise ConfigError(f"unknown normalisation {normalisation!r}; expected {NORMALISATIONS}")
    unnormalised = {kind: windows.inputs(kind) for kind in kinds & set(WINDOW_KINDS)}
    stats, tangent = windows.stats, None
    if "covariance" in kinds:
        from vaxis.offline.train.covariance import fit_tangent

        tangent = tangent or fit_tangent(windows, train_ids)
        unnormalised["covariance"] = tangent.vectors
        stats = tangent.stats
    prior = InputStats.mean_of([stats[s] for s in train_ids])
    rows = np.arange(len(windows.y)) if only is None else np.asarray(only)
    out = {kind: np.empty((rows.size, *x.shape[1:]), dtype=np.float32)
           for kind, x in unnormalised.items()}  # fmt: skip
    for subject in dict.fromkeys(windows.subjects[rows].tolist()):
        at = np.flatnonzero(windows.subjects[rows] == subject)
        where = rows[at]
        if normalisation == "causal":
            running = RunningStats(prior, warmup)
            scales = running.scales(
                {k: _moments(k, unnormalised, windows, where) for k in unnormalised},
                windows.valid[where],
            )
        else:
            chosen = stats[subject] if normalisation == "subject" else prior
            scales = {k: _location_scale(chosen, k) for k in unnormalised}
        for kind, x in unnormalised.items():
            location, scale = scales[kind]
            if kind == "raw":
                scale = np.broadcast_to(scale, (where.size, x.shape[1]))
                out[kind][at] = x[where] / scale[:, :, None]
            else:
                out[kind][at] = (x[where] - location) / scale
    return SplitInputs(out, stats, prior, normalisation, tangent)


def subject_inputs(
    corpus: Corpus, windows: WindowSet, subject_id: str, split: SplitInputs, kinds=None
) -> dict[str, np.ndarray]:
    """Full-rate inputs of one subject's windows as the bundle's graph reads them, computed
    by the live decoder's own code and normalised with the subject's statistics (raw
    windows at the bundle's rate: the graph decimates them itself), of ``kinds`` (default:
    every kind the split holds)."""
    if kinds is None:
        kinds = [k for k in WINDOW_KINDS if k in windows.stats[subject_id].kinds]
        kinds += ["covariance"] if split.tangent is not None else []
    tangent_map = split.tangent.tangent_map if split.tangent is not None else None
    inputs = window_inputs(subject_windows(corpus, windows, subject_id), windows.sfreq, kinds,
                           bands=windows.bands, tangent=tangent_map)  # fmt: skip
    normalised = split.stats[subject_id].normalise(inputs)
    return {k: v.astype(np.float32) for k, v in normalised.items()}
