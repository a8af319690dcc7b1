"""``vaxis study``: run the study's analyses on a corpus and write summary.json + a report."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from vaxis.errors import VaxisError
from vaxis.offline.corpus.base import Corpus
from vaxis.offline.splits import faced_split
from vaxis.offline.study.alignment import STRATEGIES
from vaxis.offline.study.compare import alignment_tasks, summarise_alignment
from vaxis.offline.study.data import load_study_data
from vaxis.offline.study.mapping import run_mapping
from vaxis.offline.study.rediscovery import rediscovery_tasks, summarise_rediscovery
from vaxis.offline.study.saturation import saturation_tasks, summarise_saturation
from vaxis.offline.study.sweep import SweepContext, run_sweep, task_key
from vaxis.offline.study.targets import alignment_targets, read_axis
from vaxis.offline.study.training import FitConfig

ANALYSES = ("mapping", "rediscovery", "alignment", "saturation")


@dataclass
class StudyConfig:
    """Sizes of the study's grids; :meth:`full` is the study's, :meth:`quick` a smoke run."""

    n_permutations: int
    n_null: int
    rediscovery_archs: int
    rediscovery_seeds: int
    alignment_seeds: int
    alignment_weights: list[float]
    strategies: list[str]
    saturation_strategy: str
    saturation_weight: float
    fit: FitConfig = field(default_factory=FitConfig)

    @classmethod
    def full(cls, device: str = "cpu") -> StudyConfig:
        return cls(1000, 1000, 4, 9, 3, [0.1, 0.3, 1.0], list(STRATEGIES),
                   "cosine_vdirection", 1.0, FitConfig(device=device))  # fmt: skip

    @classmethod
    def quick(cls, device: str = "cpu") -> StudyConfig:
        fit = FitConfig(epochs=4, batch_size=128, lr=3e-3, patience=2, device=device)
        return cls(200, 200, 2, 2, 2, [1.0], list(STRATEGIES),
                   "cosine_vdirection", 1.0, fit)  # fmt: skip


def default_architectures() -> dict[str, Callable]:
    """The training package's band-feature classifiers, by name."""
    from vaxis.offline.study.models import feature_architectures

    return feature_architectures()


def study_tasks(
    names: list[str], config: StudyConfig, arch_names: list[str], seed: int = 0
) -> dict[str, list[dict]]:
    """The training tasks of each trained analysis in ``names``."""
    seeds = list(range(seed, seed + max(config.rediscovery_seeds, config.alignment_seeds)))
    makers = {
        "rediscovery": lambda: rediscovery_tasks(
            arch_names[: config.rediscovery_archs], seeds[: config.rediscovery_seeds]
        ),
        "alignment": lambda: alignment_tasks(
            arch_names[0], seeds[: config.alignment_seeds], config.strategies,
            config.alignment_weights,
        ),
        "saturation": lambda: saturation_tasks(
            arch_names[0], seed, config.saturation_strategy, config.saturation_weight
        ),
    }  # fmt: skip
    return {name: makers[name]() for name in names if name in makers}


def unique_tasks(tasks: dict[str, list[dict]]) -> dict[tuple, dict]:
    """Tasks by key; analyses needing the same model (label-only baselines) share it."""
    unique: dict[tuple, dict] = {}
    for group in tasks.values():
        for task in group:
            unique.setdefault(task_key(task), task)
    return unique


def _expand(analyses) -> list[str]:
    names = [analyses] if isinstance(analyses, str) else list(analyses)
    if "all" in names:
        return list(ANALYSES)
    unknown = [a for a in names if a not in ANALYSES]
    if unknown:
        raise VaxisError(f"unknown analysis {unknown}; expected one of {ANALYSES} or 'all'")
    return [a for a in ANALYSES if a in names]


def _open(data) -> Corpus:
    if isinstance(data, Corpus):
        return data
    from vaxis.offline.corpus import open_corpus

    return open_corpus(data)


def run_study(
    analyses,
    data,
    axis,
    out,
    quick: bool = False,
    ray_address: str | None = None,
    seed: int = 0,
    n_jobs: int = 1,
    device: str = "cpu",
    architectures: dict[str, Callable] | None = None,
    config: StudyConfig | None = None,
) -> dict:
    """Run ``analyses`` and write ``out/summary.json`` and ``out/report.md`` with plots.

    Parameters
    ----------
    analyses : str or list of str
        Any of ``"mapping"``, ``"rediscovery"``, ``"alignment"``, ``"saturation"``, or
        ``"all"``.
    data : path or Corpus
        A corpus (raw or DE) or its path, opened with ``open_corpus``.
    axis : path or dict
        An axis.json (needs ``positions`` for every class of the corpus).
    out : path
        Report directory (created).
    quick : bool
        Small grids and few epochs (:meth:`StudyConfig.quick`).
    ray_address : str, optional
        Run the sweeps on Ray (``"local"`` or a cluster address) instead of joblib.
    seed : int
        Seeds the permutations and the first classifier seed.
    n_jobs : int
        joblib workers for the sweeps.
    device : str
        Torch device of the classifiers.
    architectures : dict, optional
        Name to ``builder(n_chans=, n_bands=, n_outputs=) -> nn.Module``; default: the
        training package's band-feature classifiers.
    config : StudyConfig, optional
        Overrides the grid sizes chosen by ``quick``.

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """
    names = _expand(analyses)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config = config or (StudyConfig.quick(device) if quick else StudyConfig.full(device))
    axis_dict = axis if isinstance(axis, dict) else read_axis(axis)
    where = "axis" if isinstance(axis, dict) else str(axis)
    corpus = _open(data)
    targets = alignment_targets(axis_dict, list(corpus.classes), where)
    timing: dict[str, float] = {}
    start = time.perf_counter()
    study_data = load_study_data(corpus)
    timing["features"] = time.perf_counter() - start
    split = faced_split(study_data.subject_ids)
    summary = {
        "schema": "vaxis.study/1",
        "data": {
            "provenance": study_data.data_label,
            "synthetic": study_data.synthetic,
            "corpus": corpus.name,
            "kind": corpus.kind,
            "n_subjects": len(corpus),
            "n_windows": int(study_data.X.shape[0]),
            "ground_truth": corpus.provenance.get("ground_truth"),
        },
        "axis": {
            "source": where,
            "model": axis_dict.get("model"),
            "layer": axis_dict.get("layer"),
            "positions": dict(zip(corpus.classes, targets.positions.tolist(), strict=True)),
            "embeddings": targets.source,
        },
        "split": {"train": split.train, "val": split.val, "test": split.test},
        "config": {
            "analyses": names,
            "quick": quick,
            "seed": seed,
            "n_jobs": n_jobs,
            "ray_address": ray_address,
            "device": device,
            **asdict(config),
        },
    }
    if "mapping" in names:
        start = time.perf_counter()
        summary["mapping"] = run_mapping(
            study_data, targets.positions, split, config.n_permutations, seed
        )
        timing["mapping"] = time.perf_counter() - start

    trained = [a for a in names if a != "mapping"]
    if trained:
        archs = architectures or default_architectures()
        tasks = study_tasks(trained, config, list(archs), seed)
        unique = unique_tasks(tasks)
        ctx = SweepContext(study_data, split, targets, config.fit, archs)
        start = time.perf_counter()
        results = dict(
            zip(unique, run_sweep(list(unique.values()), ctx, n_jobs, ray_address), strict=True)
        )
        timing["sweep"] = time.perf_counter() - start
        timing["sweep_tasks"] = len(unique)
        picked = {n: [results[task_key(t)] for t in tasks[n]] for n in trained}
        if "rediscovery" in picked:
            summary["rediscovery"] = summarise_rediscovery(
                picked["rediscovery"], targets.positions, config.n_null, seed
            )
        if "alignment" in picked:
            summary["alignment"] = summarise_alignment(picked["alignment"])
        if "saturation" in picked:
            summary["saturation"] = summarise_saturation(picked["saturation"])
    summary["timing_s"] = timing
    from vaxis.offline.study.report import write_report

    summary["report"] = write_report(summary, out)
    (out / "summary.json").write_text(json.dumps(_jsonable(summary), indent=2))
    return summary


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
