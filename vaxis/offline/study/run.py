"""``vaxis study``: run the study's analyses on a corpus and write summary.json + a report."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Literal, get_args

import numpy as np

from vaxis.errors import ConfigError, DataError
from vaxis.offline.axis import AxisFile, load_axis
from vaxis.offline.choices import Analysis, Normalisation, ProtocolName
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
from vaxis.offline.study.targets import alignment_targets
from vaxis.offline.study.training import FitConfig

logger = logging.getLogger(__name__)

ANALYSES: tuple[Analysis, ...] = get_args(Analysis)
#: The rediscovery grid's architectures: each learns a representation, and together they
#: read band features, covariance tangent vectors and raw windows.
REDISCOVERY_ARCHS = ["mlp", "graph", "tangent", "shallow"]
#: The architectures the alignment strategies are tried on (band features and covariance).
ALIGNMENT_ARCHS = ["mlp", "tangent"]


@dataclass(kw_only=True)
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
    protocol : {"vaxis", "faced-cbramod", "seedv-cbramod"}
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
    protocol: ProtocolName = "vaxis"
    normalisation: Normalisation | None = None
    decimate: int = 2
    fit: FitConfig = field(default_factory=FitConfig)

    @classmethod
    def full(cls, device: str = "cpu") -> StudyConfig:
        """4 architectures x 9 seeds = 36 label-only classifiers; every strategy at three
        weights and three seeds on two architectures."""
        return cls(n_permutations=1000, n_null=1000, rediscovery_archs=list(REDISCOVERY_ARCHS),
                   rediscovery_seeds=9, alignment_archs=list(ALIGNMENT_ARCHS),
                   alignment_seeds=3, alignment_weights=[0.1, 0.3, 1.0],
                   strategies=list(STRATEGIES), saturation_strategy="cosine_vdirection",
                   saturation_weight=1.0, fit=FitConfig(device=device))  # fmt: skip

    @classmethod
    def quick(cls, device: str = "cpu") -> StudyConfig:
        """The same architectures, a few epochs: two seeds of the label-only grid, every
        strategy at one weight and one seed."""
        fit = FitConfig(epochs=4, batch_size=128, lr=3e-3, patience=2, raw_epochs=4,
                        device=device)  # fmt: skip
        return cls(n_permutations=200, n_null=200, rediscovery_archs=list(REDISCOVERY_ARCHS),
                   rediscovery_seeds=2, alignment_archs=list(ALIGNMENT_ARCHS),
                   alignment_seeds=1, alignment_weights=[1.0], strategies=list(STRATEGIES),
                   saturation_strategy="cosine_vdirection", saturation_weight=1.0,
                   fit=fit)  # fmt: skip


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
        raise ConfigError(
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
            raise ConfigError(
                f"rediscovery_archs: {name!r} has no trainable layer before its "
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
        raise ConfigError(f"unknown analysis {unknown}; expected one of {ANALYSES} or 'all'")
    return [a for a in ANALYSES if a in names]


def _open(data: str | Path | Corpus) -> Corpus:
    if isinstance(data, Corpus):
        corpus = data
    else:
        from vaxis.offline.corpus import open_corpus

        corpus = open_corpus(data)
    if len(corpus) == 0:
        raise DataError(f"corpus {corpus.name!r} holds no subjects")
    return corpus


@dataclass
class StudySummary:
    """What :func:`run_study` found; :meth:`to_dict` is what it wrote to ``summary.json``.

    Attributes
    ----------
    schema : str
    data, protocol, normalisation, axis, split, config : dict
        The corpus and its provenance (``data["synthetic"]``), the protocol and the
        normalisation of every figure, the axis, the subjects' split, the configuration.
    mapping, classifiers, rediscovery, alignment, saturation : dict or None
        Each analysis's figures, None where it did not run (``classifiers`` describes the
        trained grids).
    timing_s : dict
        Seconds spent on the features, the mapping and the sweep.
    report : dict
        The files beside ``summary.json``: ``markdown`` (report.md) and ``plots``.
    """

    schema: str
    data: dict
    protocol: dict
    normalisation: dict
    axis: dict
    split: dict
    config: dict
    mapping: dict | None = None
    classifiers: dict | None = None
    rediscovery: dict | None = None
    alignment: dict | None = None
    saturation: dict | None = None
    timing_s: dict = field(default_factory=dict)
    report: dict = field(default_factory=dict)

    @property
    def synthetic(self) -> bool:
        """True when the corpus is SYNTHETIC: so is every figure of the summary."""
        return bool(self.data["synthetic"])

    def to_dict(self) -> dict:
        """The sections in ``summary.json``'s order, the analyses that did not run left out."""
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) is not None}  # fmt: skip


@dataclass
class _Plan:
    """The trained analyses' architectures and tasks (none for a mapping alone)."""

    trained: list[str]
    registry: dict[str, Architecture] = field(default_factory=dict)
    rediscovery: list[str] = field(default_factory=list)
    alignment: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tasks: dict[str, list[dict]] = field(default_factory=dict)
    unique: dict[tuple, dict] = field(default_factory=dict)

    @property
    def kinds(self) -> set[str]:
        """The inputs the tasks read (band features always: the mapping reads them)."""
        return {"features"} | {self.registry[t["arch"]].kind for t in self.unique.values()}


def _plan(names: list[str], corpus: Corpus, config: StudyConfig, architectures, seed: int) -> _Plan:
    plan = _Plan([a for a in names if a != "mapping"])
    if not plan.trained:
        return plan
    plan.registry = study_architectures(architectures)
    kinds = {"features"} if corpus.kind == "de" else {"features", "covariance", "raw"}
    plan.rediscovery, plan.alignment, plan.notes = plan_architectures(config, plan.registry, kinds)
    plan.tasks = study_tasks(plan.trained, config, plan.rediscovery, plan.alignment, seed)
    plan.unique = unique_tasks(plan.tasks)
    return plan


def _describe(corpus: Corpus, study_data: StudyData, axis: AxisFile, where: str, targets,
              config: dict) -> dict:  # fmt: skip
    """The summary's sections that say what was run on what."""
    split = study_data.split
    return {
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
            "model": axis.model,
            "layer": axis.layer,
            "positions": dict(zip(corpus.classes, targets.positions.tolist(), strict=True)),
            "embeddings": targets.source,
        },
        "split": {
            "kind": study_data.protocol.split,
            "train": split.train,
            "val": split.val,
            "test": split.test,
        },
        "config": {**config, "normalisation": study_data.normalisation},
    }


def _classifiers(plan: _Plan, study_data: StudyData) -> dict:
    """The ``classifiers`` section: which grids ran, on which inputs."""
    return {
        "architectures": {a: plan.registry[a].kind
                          for a in dict.fromkeys(plan.rediscovery + plan.alignment)},
        "rediscovery_archs": plan.rediscovery,
        "alignment_archs": plan.alignment,
        "inputs": sorted(plan.kinds),
        "windows": study_data.window,
        "n_windows": study_data.n_windows,
        "normalisation": study_data.normalisation,
        "transductive": study_data.transductive,
        "raw_sfreq": study_data.raw_sfreq,
        "notes": plan.notes,
    }  # fmt: skip


def _run_trained(plan: _Plan, study_data: StudyData, targets, config: StudyConfig,
                 parallel: dict, seed: int, timing: dict) -> dict:  # fmt: skip
    """Train the sweep's classifiers once and summarise every trained analysis."""
    if "rediscovery" in plan.trained or "saturation" in plan.trained:
        _check_representations(plan.rediscovery, plan.registry, study_data)
    sections: dict = {"classifiers": _classifiers(plan, study_data)}
    ctx = SweepContext(study_data, study_data.split, targets, config.fit, plan.registry)
    logger.info("training %d classifiers", len(plan.unique))
    start = time.perf_counter()
    done = run_sweep(list(plan.unique.values()), ctx, parallel["n_jobs"], parallel["ray_address"])
    results = dict(zip(plan.unique, done, strict=True))
    timing["sweep"] = time.perf_counter() - start
    timing["sweep_tasks"] = len(plan.unique)
    picked = {n: [results[task_key(t)] for t in plan.tasks[n]] for n in plan.trained}
    if "rediscovery" in picked:
        sections["rediscovery"] = summarise_rediscovery(
            picked["rediscovery"], targets.positions, config.n_null, seed
        )
    if "alignment" in picked:
        sections["alignment"] = summarise_alignment(picked["alignment"])
    if "saturation" in picked:
        sections["saturation"] = summarise_saturation(picked["saturation"])
    return sections


def _configure(config: StudyConfig | None, quick: bool, device: str,
               normalisation: Normalisation | None,
               protocol: ProtocolName | None) -> StudyConfig:  # fmt: skip
    config = config or (StudyConfig.quick(device) if quick else StudyConfig.full(device))
    if normalisation is not None:
        config.normalisation = normalisation
    if protocol is not None:
        config.protocol = protocol
    return config


def _read_axis(axis: str | Path | AxisFile) -> tuple[AxisFile, str]:
    """The axis and how the summary names its source."""
    if isinstance(axis, AxisFile):
        return axis, f"axis of {axis.model}"
    return load_axis(axis), str(axis)


def _load(corpus: Corpus, config: StudyConfig, plan: _Plan) -> tuple[StudyData, dict]:
    """Every window's inputs of the kinds the plan reads, and the seconds that took."""
    logger.info("features of %d subjects (%s)", len(corpus), corpus.name)
    start = time.perf_counter()
    study_data = load_study_data(corpus, config.protocol, config.normalisation, plan.kinds,
                                 config.decimate)  # fmt: skip
    return study_data, {"features": time.perf_counter() - start}


def _write(summary: dict, out: Path) -> StudySummary:
    """Write the report and summary.json into ``out``."""
    from vaxis.offline.study.report import write_report

    summary["report"] = write_report(summary, out)
    (out / "summary.json").write_text(json.dumps(_jsonable(summary), indent=2))
    return StudySummary(**summary)


def run_study(analyses: Analysis | Literal["all"] | list[Analysis],
              data: str | Path | Corpus, axis: str | Path | AxisFile, out: str | Path, *,
              quick: bool = False, ray_address: str | None = None, seed: int = 0,
              n_jobs: int = 1, device: str = "cpu",
              architectures: dict[str, Callable] | None = None, config: StudyConfig | None = None,
              normalisation: Normalisation | None = None,
              protocol: ProtocolName | None = None) -> StudySummary:  # fmt: skip
    """Run ``analyses`` and write ``out/summary.json`` and ``out/report.md`` with plots.

    Parameters
    ----------
    analyses : str or list of str
        Any of :data:`ANALYSES` (one, or a list), or ``"all"``.
    data : path or Corpus
        A corpus (raw or DE) or its path (:func:`~vaxis.offline.corpus.open_corpus`).
    axis : path or AxisFile
        An ``axis.json`` (:func:`~vaxis.offline.axis.load_axis`) or an axis in memory
        (:meth:`AxisFile.from_positions`); it must place every class of the corpus.
    out : path
        Report directory (created).
    quick, config : bool, StudyConfig
        Grids of :meth:`StudyConfig.quick` or :meth:`StudyConfig.full`, unless ``config``.
    ray_address, n_jobs : str, int
        Sweeps on Ray (``"local"`` or a cluster address), else on ``n_jobs`` joblib workers.
    seed : int
        Seeds the permutations and the first classifier seed.
    device : str
        Torch device of the classifiers.
    architectures : dict, optional
        More band-feature classifiers, name to ``builder(n_chans=, n_bands=, n_outputs=)``.
    normalisation, protocol : str, optional
        Override the config's (``"causal"``, ``"subject"``, ``"population"``; ``"vaxis"``,
        ``"faced-cbramod"``, ``"seedv-cbramod"``).

    Returns
    -------
    StudySummary
    """
    names, out = _expand(analyses), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config = _configure(config, quick, device, normalisation, protocol)
    axis_file, where = _read_axis(axis)
    corpus = _open(data)
    targets = alignment_targets(axis_file, list(corpus.classes), where)
    plan = _plan(names, corpus, config, architectures, seed)
    study_data, timing = _load(corpus, config, plan)
    parallel = {"n_jobs": n_jobs, "ray_address": ray_address}
    settings = {"analyses": names, "quick": quick, "seed": seed, **parallel, "device": device,
                **asdict(config)}  # fmt: skip
    summary = _describe(corpus, study_data, axis_file, where, targets, settings)
    if "mapping" in names:
        start = time.perf_counter()
        summary["mapping"] = run_mapping(study_data, targets.positions, study_data.split,
                                         config.n_permutations, seed)  # fmt: skip
        timing["mapping"] = time.perf_counter() - start
    if plan.trained:
        summary.update(_run_trained(plan, study_data, targets, config, parallel, seed, timing))
    summary["timing_s"] = timing
    return _write(summary, out)


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
