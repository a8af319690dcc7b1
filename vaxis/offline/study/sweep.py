"""Run a grid of training tasks in parallel: joblib on one machine, or Ray on a cluster.

A task is a small dict (architecture, seed, strategy, weight, whether to record
gradients); everything the tasks share (the data, the split, the LLM targets, the
training configuration, the architecture builders) travels once in a :class:`SweepContext`
(joblib memory-maps its arrays; Ray puts it in the object store). Each worker returns
small results: per-subject balanced accuracy, test-set class centroids, the best epoch, and
for a label-only classifier its scores under the saturation ablation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaxis.offline.parallel import connect_ray
from vaxis.offline.splits import Split
from vaxis.offline.study.alignment import AlignmentTargets, build_strategy
from vaxis.offline.study.data import StudyData
from vaxis.offline.study.models import Architecture
from vaxis.offline.study.training import FitConfig
from vaxis.offline.train.fit import fit_member
from vaxis.offline.train.penultimate import embed, last_linear


@dataclass
class SweepContext:
    """What every task of a sweep shares.

    Attributes
    ----------
    data : StudyData
        Every window's normalised inputs by kind, labels and subjects.
    split : Split
    targets : AlignmentTargets
    config : FitConfig
    architectures : dict of str to Architecture
    """

    data: StudyData
    split: Split
    targets: AlignmentTargets
    config: FitConfig
    architectures: dict[str, Architecture]


def task_key(task: dict) -> tuple:
    """Identity of a task, so analyses that need the same model train it once."""
    return (
        task["arch"], task["seed"], task.get("strategy"), task.get("weight", 0.0),
        bool(task.get("saturation")),
    )  # fmt: skip


def fit_task(task: dict, ctx: SweepContext) -> dict:
    """Train one classifier as ``task`` says and measure it on the test subjects.

    A label-only classifier is also scored with its representation ablated
    (:func:`vaxis.offline.study.ablation.ablation_scores`).
    """
    import torch
    from sklearn.metrics import balanced_accuracy_score

    from vaxis.offline.study.ablation import ablation_scores
    from vaxis.offline.study.saturation import SaturationRecorder

    torch.set_num_threads(int(task.get("threads", 1)))
    data, split = ctx.data, ctx.split
    arch = ctx.architectures[task["arch"]]
    X = data.inputs[arch.kind]
    train, val, test = (data.mask(ids) for ids in (split.train, split.val, split.test))
    n_classes = len(data.classes)
    model = arch.build(X.shape[1:], n_classes, task["seed"], data.raw_sfreq, data.channels)
    settings = ctx.config.for_run(arch.name, arch.kind)
    aux = None
    if task.get("strategy"):
        aux = build_strategy(task["strategy"], last_linear(model).in_features, ctx.targets)
    recorder = None
    if task.get("saturation"):
        recorder = SaturationRecorder(
            model, X[val], data.y[val], ctx.targets.positions, settings.device
        )
    model, info = fit_member(
        model, X[train], data.y[train], X[val], data.y[val], settings,
        seed=task["seed"], aux=aux, aux_weight=task.get("weight", 0.0), recorder=recorder,
    )  # fmt: skip
    z, logits = embed(model, X[test], settings.device)
    y, pred, subjects = data.y[test], logits.argmax(1), data.subjects[test]
    per_subject = {
        s: float(balanced_accuracy_score(y[subjects == s], pred[subjects == s])) for s in split.test
    }
    ablation = None
    if not task.get("strategy"):
        ablation = ablation_scores(model, X[train], data.y[train], z, logits, y, subjects,
                                   n_classes, settings.device)  # fmt: skip
    return {
        **{k: task.get(k) for k in ("arch", "seed", "strategy", "weight")},
        "kind": arch.kind,
        "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
        "per_subject": per_subject,
        "centroids": np.stack([z[y == c].mean(0) for c in range(n_classes)]),
        "best_epoch": info["best_epoch"],
        "epochs_run": info["epochs_run"],
        "val_balanced_accuracy": float(info["val_balanced_accuracy"]),
        "saturation": recorder.epochs_ if recorder is not None else None,
        "ablation": ablation,
    }


def run_sweep(
    tasks: list[dict],
    ctx: SweepContext,
    n_jobs: int = 1,
    ray_address: str | None = None,
) -> list[dict]:
    """Run ``tasks`` with :func:`fit_task`, in order of ``tasks``.

    Parameters
    ----------
    tasks : list of dict
    ctx : SweepContext
    n_jobs : int
        joblib workers on this machine (-1: all cores). Each worker uses one torch thread
        when ``n_jobs != 1``.
    ray_address : str, optional
        Run on Ray instead: ``"local"`` starts a local Ray, anything else is passed to
        ``ray.init(address=...)`` (``"auto"``, ``"ray://host:10001"``).
    """
    threads = 1 if n_jobs != 1 or ray_address else _cpu_count()
    tasks = [{**t, "threads": threads} for t in tasks]
    if ray_address:
        return _run_ray(tasks, ctx, ray_address)
    from joblib import Parallel, delayed

    return Parallel(n_jobs=n_jobs)(delayed(fit_task)(t, ctx) for t in tasks)


def _cpu_count() -> int:
    import os

    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def _run_ray(tasks: list[dict], ctx: SweepContext, address: str) -> list[dict]:
    ray = connect_ray(address)
    remote = ray.remote(num_cpus=1)(fit_task)
    shared = ray.put(ctx)
    return ray.get([remote.remote(t, shared) for t in tasks])
