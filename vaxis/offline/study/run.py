"""``vaxis study``: run the study's analyses on a corpus and write summary.json + a report."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from vaxis.errors import DataError, ModelError, VaxisError
from vaxis.offline.corpus.base import Corpus
from vaxis.offline.study.alignment import STRATEGIES
from vaxis.offline.study.compare import alignment_tasks, summarise_alignment
from vaxis.offline.study.data import StudyData, load_study_data
from vaxis.offline.study.mapping import run_mapping
from vaxis.offline.study.models import (
    Architecture,
    learns_representation,
    pick,
    study_architectures,
)
from vaxis.offline.study.rediscovery import rediscovery_tasks, summarise_rediscovery
from vaxis.offline.study.saturation import saturation_tasks, summarise_saturation
from vaxis.offline.study.sweep import SweepContext, run_sweep, task_key
from vaxis.offline.study.targets import alignment_targets, read_axis
from vaxis.offline.study.training import FitConfig

ANALYSES = ("mapping", "rediscovery", "alignment", "saturation")
#: The rediscovery grid's architectures: each learns a representation, and together they
#: read band features, covariance tangent vectors and raw windows.
REDISCOVERY_ARCHS = ["mlp", "graph", "tangent", "shallow"]
#: The architectures the alignment strategies are tried on (band features and covariance).
ALIGNMENT_ARCHS = ["mlp", "tangent"]


@dataclass
class StudyConfig:
    """Sizes of the study's grids; :meth:`full` is the study's, :meth:`quick` a smoke run.

    Attributes
    ----------
    n_permutations, n_null : int
        Permutations of the mapping's and the rediscovery's nulls.
    rediscovery_archs : list of str
        Architectures of the label-only grid (rediscovery, and the saturation ablation).
    rediscovery_seeds : int
        Seeds per architecture of that grid.
    alignment_archs : list of str
        Architectures the alignment strategies are tried on (each against its own
        label-only baseline).
    alignment_seeds : int
    alignment_weights : list of float
    strategies : list of str
    saturation_strategy : str
    saturation_weight : float
    protocol : str
        The named preset (:mod:`vaxis.offline.protocols`) whose rate, windows, channels,
        scaling and split every analysis uses, as ``vaxis train --protocol`` does.
    normalisation : {"causal", "subject", "population"} or None
        Of every analysis's inputs (:mod:`vaxis.offline.train.normalise`); None: the
        protocol's (``causal`` for ``vaxis``).
    decimate : int
        Decimation of the raw classifiers' windows.
    fit : FitConfig
    """

    n_permutations: int
    n_null: int
    rediscovery_archs: list[str]
    rediscovery_seeds: int
    alignment_archs: list[str]
    alignment_seeds: int
    alignment_weights: list[float]
    strategies: list[str]
    saturation_strategy: str
    saturation_weight: float
    protocol: str = "vaxis"
    normalisation: str | None = None
    decimate: int = 2
    fit: FitConfig = field(default_factory=FitConfig)

    @classmethod
    def full(cls, device: str = "cpu") -> StudyConfig:
        """4 architectures x 9 seeds = 36 label-only classifiers; every strategy at three
        weights and three seeds on two architectures."""
        return cls(1000, 1000, list(REDISCOVERY_ARCHS), 9, list(ALIGNMENT_ARCHS), 3,
                   [0.1, 0.3, 1.0], list(STRATEGIES), "cosine_vdirection", 1.0,
                   fit=FitConfig(device=device))  # fmt: skip

    @classmethod
    def quick(cls, device: str = "cpu") -> StudyConfig:
        """The same architectures, a few epochs: two seeds of the label-only grid, every
        strategy at one weight and one seed."""
        fit = FitConfig(epochs=4, batch_size=128, lr=3e-3, patience=2, raw_epochs=4,
                        device=device)  # fmt: skip
        return cls(200, 200, list(REDISCOVERY_ARCHS), 2, list(ALIGNMENT_ARCHS), 1, [1.0],
                   list(STRATEGIES), "cosine_vdirection", 1.0, fit=fit)  # fmt: skip


def plan_architectures(
    config: StudyConfig, registry: dict[str, Architecture], kinds: set[str]
) -> tuple[list[str], list[str], list[str]]:
    """The rediscovery and alignment architectures the corpus can feed, and notes on what
    was left out.

    Architectures reading an input the corpus lacks (a DE corpus holds band features
    only) are dropped; the alignment architectures are then filled up, in order, with the
    rediscovery's band-feature ones so that as many architectures are compared.
    """
    rediscovery = pick(config.rediscovery_archs, registry, kinds, "rediscovery")
    alignment = pick(config.alignment_archs, registry, kinds, "alignment")
    for name in rediscovery:
        if len(alignment) >= len(config.alignment_archs):
            break
        if name not in alignment:
            alignment.append(name)
    notes = []
    dropped = [a for a in config.rediscovery_archs + config.alignment_archs
               if registry[a].kind not in kinds]  # fmt: skip
    if dropped:
        notes.append(
            f"this corpus provides {sorted(kinds)} inputs only, so the band-feature "
            f"architectures run: {sorted(set(dropped))} need raw EEG and were left out "
            f"(rediscovery: {rediscovery}; alignment: {alignment})"
        )
    if not rediscovery or not alignment:
        raise ModelError(
            f"no architecture of the study reads this corpus's inputs {sorted(kinds)}: "
            f"rediscovery {config.rediscovery_archs}, alignment {config.alignment_archs}"
        )
    return rediscovery, alignment, notes


def study_tasks(
    names: list[str],
    config: StudyConfig,
    rediscovery_archs: list[str],
    alignment_archs: list[str],
    seed: int = 0,
) -> dict[str, list[dict]]:
    """The training tasks of each trained analysis in ``names``."""
    seeds = list(range(seed, seed + max(config.rediscovery_seeds, config.alignment_seeds)))
    grid_seeds = seeds[: config.rediscovery_seeds]
    makers = {
        "rediscovery": lambda: rediscovery_tasks(rediscovery_archs, grid_seeds),
        "alignment": lambda: alignment_tasks(
            alignment_archs, seeds[: config.alignment_seeds], config.strategies,
            config.alignment_weights,
        ),
        "saturation": lambda: saturation_tasks(
            alignment_archs[0], seed, config.saturation_strategy, config.saturation_weight,
            rediscovery_archs, grid_seeds,
        ),
    }  # fmt: skip
    return {name: makers[name]() for name in names if name in makers}


def _check_representations(
    archs: list[str], registry: dict[str, Architecture], inputs: StudyData
) -> None:
    """Refuse a rediscovery architecture whose read-out reads its input directly."""
    for name in archs:
        arch = registry[name]
        shape = inputs.inputs[arch.kind].shape[1:]
        model = arch.build(shape, len(inputs.classes), 0, inputs.raw_sfreq, inputs.channels)
        if not learns_representation(model):
            raise ModelError(
                f"rediscovery architecture {name!r} has no trainable layer before its "
                "read-out: its penultimate representation is its input, not a learned one"
            )


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
    normalisation: str | None = None,
    protocol: str | None = None,
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
        More band-feature classifiers, name to ``builder(n_chans=, n_bands=, n_outputs=)``,
        that the config's architecture lists may name beside the zoo's (``"mlp"``,
        ``"graph"``, ``"tangent"``, ``"shallow"``, ...).
    config : StudyConfig, optional
        Overrides the grid sizes chosen by ``quick``.
    normalisation : {"causal", "subject", "population"}, optional
        Overrides the config's normalisation of every analysis's inputs.
    protocol : str, optional
        Overrides the config's protocol (``"vaxis"``, ``"faced-cbramod"``,
        ``"seedv-cbramod"``).

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """
    names = _expand(analyses)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config = config or (StudyConfig.quick(device) if quick else StudyConfig.full(device))
    if normalisation is not None:
        config.normalisation = normalisation
    if protocol is not None:
        config.protocol = protocol
    axis_dict = axis if isinstance(axis, dict) else read_axis(axis)
    where = "axis" if isinstance(axis, dict) else str(axis)
    corpus = _open(data)
    if len(corpus) == 0:
        raise DataError(f"corpus {corpus.name!r} holds no subjects")
    targets = alignment_targets(axis_dict, list(corpus.classes), where)
    trained = [a for a in names if a != "mapping"]
    needed: set[str] = {"features"}
    if trained:
        registry = study_architectures(architectures)
        kinds = {"features"} if corpus.kind == "de" else {"features", "covariance", "raw"}
        rediscovery, alignment, notes = plan_architectures(config, registry, kinds)
        tasks = study_tasks(trained, config, rediscovery, alignment, seed)
        unique = unique_tasks(tasks)
        needed = {registry[t["arch"]].kind for t in unique.values()}
    timing: dict[str, float] = {}
    start = time.perf_counter()
    study_data = load_study_data(corpus, config.protocol, config.normalisation,
                                 needed | {"features"}, config.decimate)  # fmt: skip
    timing["features"] = time.perf_counter() - start
    split = study_data.split
    summary = {
        "schema": "vaxis.study/3",
        "data": {
            "provenance": "synthetic" if corpus.synthetic else corpus.name,
            "synthetic": corpus.synthetic,
            "corpus": corpus.name,
            "kind": corpus.kind,
            "n_subjects": len(corpus),
            "n_windows": study_data.n_windows,
            "ground_truth": corpus.provenance.get("ground_truth"),
        },
        "protocol": study_data.describe(),
        "normalisation": {
            "name": study_data.normalisation,
            "transductive": study_data.transductive,
            "applies_to": "every test figure of this study (mapping and classifiers)",
        },
        "axis": {
            "source": where,
            "model": axis_dict.get("model"),
            "layer": axis_dict.get("layer"),
            "positions": dict(zip(corpus.classes, targets.positions.tolist(), strict=True)),
            "embeddings": targets.source,
        },
        "split": {
            "kind": study_data.protocol.split,
            "train": split.train,
            "val": split.val,
            "test": split.test,
        },
        "config": {
            "analyses": names,
            "quick": quick,
            "seed": seed,
            "n_jobs": n_jobs,
            "ray_address": ray_address,
            "device": device,
            **asdict(config),
            "normalisation": study_data.normalisation,
        },
    }
    if "mapping" in names:
        start = time.perf_counter()
        summary["mapping"] = run_mapping(
            study_data, targets.positions, split, config.n_permutations, seed
        )
        timing["mapping"] = time.perf_counter() - start

    if trained:
        if "rediscovery" in trained or "saturation" in trained:
            _check_representations(rediscovery, registry, study_data)
        summary["classifiers"] = {
            "architectures": {a: registry[a].kind for a in dict.fromkeys(rediscovery + alignment)},
            "rediscovery_archs": rediscovery,
            "alignment_archs": alignment,
            "inputs": sorted(needed),
            "windows": study_data.window,
            "n_windows": study_data.n_windows,
            "normalisation": study_data.normalisation,
            "transductive": study_data.transductive,
            "raw_sfreq": study_data.raw_sfreq,
            "notes": notes,
        }
        ctx = SweepContext(study_data, split, targets, config.fit, registry)
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
