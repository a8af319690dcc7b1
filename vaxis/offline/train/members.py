"""Training the pool's members, one independent task each: in turn, with joblib, or on Ray.

Every member is seeded and trained with one torch thread whenever tasks run side by side,
so the same seeds give the same members whichever way they run. What all tasks share (the
inputs of every window, the labels, the subject sets) travels once in a
:class:`MemberContext`: joblib memory-maps its arrays, Ray puts it in the object store.
A task returns the trained model and its log-probabilities on the selection, validation
and test windows.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from vaxis.offline.parallel import connect_ray
from vaxis.offline.train.fit import FitSettings, fit_member, predict_proba
from vaxis.offline.train.pool import MemberSpec, build_member

if TYPE_CHECKING:
    from torch import nn

#: Windows each member is scored on, besides the ones it trains on.
SCORED = ("selection", "val", "test")


@dataclass
class MemberContext:
    """What every member task of a fold shares.

    Attributes
    ----------
    inputs : dict of str to array
        Normalised inputs of every window by kind (``features``, ``envelope``,
        ``covariance``, ``raw``).
    y : int array, shape (n_windows,)
    subjects : str array, shape (n_windows,)
    index : dict of str to int array
        Window indices of the ``selection``, ``val`` and ``test`` subjects.
    n_outputs : int
    channels : list of str
    raw_sfreq : float
        Rate of the (decimated) raw inputs.
    init : str or None
        A local checkpoint raw members that support it start from.
    extra : dict of str to dict of str to array
        More windows to score, already normalised, by part name and kind (e.g. the test
        subjects under transductive normalisation).
    """

    inputs: dict[str, np.ndarray]
    y: np.ndarray
    subjects: np.ndarray
    index: dict[str, np.ndarray]
    n_outputs: int
    channels: list[str]
    raw_sfreq: float
    init: str | None = None
    extra: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)


@dataclass
class MemberResult:
    """A trained member and what it predicted.

    Attributes
    ----------
    spec : MemberSpec
    model : torch.nn.Module
        Evaluation mode, on the CPU.
    info : dict
        Training figures (best epoch, epochs run, validation balanced accuracy, seconds).
    log_probs : dict of str to array
        Log-probabilities (n_windows, n_classes) on the ``selection``, ``val`` and ``test``
        windows, and on every part of the context's ``extra``.
    """

    spec: MemberSpec
    model: nn.Module
    info: dict
    log_probs: dict[str, np.ndarray]


def train_member(spec: MemberSpec, settings: FitSettings, ctx: MemberContext,
                 threads: int | None = None) -> MemberResult:  # fmt: skip
    """Train one member on its bag of subjects, early-stopped on the validation windows."""
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    start = time.perf_counter()
    X = ctx.inputs[spec.kind]
    model = build_member(spec, X.shape[1:], ctx.n_outputs, ctx.raw_sfreq, ctx.channels,
                         init=ctx.init)  # fmt: skip
    bag = np.flatnonzero(np.isin(ctx.subjects, spec.bag) & (ctx.y >= 0))
    val = ctx.index["val"]
    model, info = fit_member(model, X[bag], ctx.y[bag], X[val], ctx.y[val], settings,
                             seed=spec.seed)  # fmt: skip
    scored = {part: X[ctx.index[part]] for part in SCORED}
    scored.update({part: inputs[spec.kind] for part, inputs in ctx.extra.items()})
    log_probs = {
        part: np.log(np.maximum(predict_proba(model, x, settings.device), 1e-12))
        for part, x in scored.items()
    }
    info["seconds"] = round(time.perf_counter() - start, 2)
    return MemberResult(spec, model.cpu(), info, log_probs)


def train_members(
    tasks: list[tuple[MemberSpec, FitSettings]],
    ctx: MemberContext,
    n_jobs: int = 1,
    ray_address: str | None = None,
    on_member=None,
) -> list[MemberResult]:
    """Train every ``(spec, settings)`` task, results in task order.

    Parameters
    ----------
    n_jobs : int
        joblib workers on this machine (-1: all cores); 1 trains in this process.
    ray_address : str, optional
        Train on Ray instead: ``"local"`` starts a local Ray, anything else goes to
        ``ray.init(address=...)``.
    on_member : callable, optional
        Called with each finished member's spec (progress bars; in this process only).
    """
    parallel = n_jobs != 1 or ray_address is not None
    threads = 1 if parallel else None
    results: Iterable[MemberResult]
    if ray_address:
        results = _train_on_ray(tasks, ctx, ray_address)
    elif n_jobs != 1:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(train_member)(spec, settings, ctx, threads) for spec, settings in tasks
        )
    else:
        results = (train_member(spec, settings, ctx) for spec, settings in tasks)
    out = []
    for result in results:
        out.append(result)
        if on_member is not None:
            on_member(result.spec)
    return out


def _train_on_ray(tasks, ctx: MemberContext, address: str) -> list[MemberResult]:
    ray = connect_ray(address)
    remote = ray.remote(num_cpus=1)(train_member)
    shared = ray.put(ctx)
    return ray.get([remote.remote(spec, settings, shared, 1) for spec, settings in tasks])
