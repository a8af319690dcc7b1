"""``vaxis train``: corpus and axis in, a bundle and its report out."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vaxis.errors import ConfigError, DataError
from vaxis.offline.axis import AxisFile, load_axis
from vaxis.offline.choices import CorpusFormat
from vaxis.offline.corpus.base import Corpus
from vaxis.offline.splits import Split, faced_split, kfold_splits
from vaxis.offline.train.bundle import ensemble_graph, write_bundle
from vaxis.offline.train.config import TrainConfig, resolve_device
from vaxis.offline.train.data import WindowSet, load_windows
from vaxis.offline.train.evaluate import evaluate, pooled_test, summarise_seeds
from vaxis.offline.train.fold import prepare_split, train_fold
from vaxis.offline.train.models import ZOO
from vaxis.offline.train.report import write_report

if TYPE_CHECKING:
    from torch import nn

logger = logging.getLogger(__name__)


def make_splits(subject_ids: list[str], config: TrainConfig) -> list[Split]:
    """The FACED split, the k folds of a leave-subjects-out split, or the session-trials
    split of recordings named ``sub#train``, ``sub#val`` and ``sub#test``."""
    if config.split == "session-trials":
        parts = {p: sorted(s for s in subject_ids if s.endswith(f"#{p}"))
                 for p in ("train", "val", "test")}  # fmt: skip
        return [Split(parts["train"], parts["val"], parts["test"])]
    if len(subject_ids) < 3:
        raise DataError(f"training needs at least 3 subjects (train, validation, test), "
                        f"the corpus has {len(subject_ids)}")  # fmt: skip
    if config.split == "faced":
        return [faced_split(subject_ids)]
    if not 2 <= config.folds <= len(subject_ids) // 2:
        raise ConfigError(f"folds={config.folds} does not fit {len(subject_ids)} subjects")
    return list(kfold_splits(subject_ids, config.folds, config.seed))


#: ``progress(stage, done, total)``: ``done`` of the ``total`` steps of ``stage`` are finished
#: (a stage is named once, with ``done == 0``, before its first step).
Progress = Callable[[str, int, int], None]


@dataclass
class TrainResult:
    """What :func:`train_bundle` wrote and measured.

    Attributes
    ----------
    bundle : Path
        The bundle directory (``model.onnx``, ``bundle.json``, ``report/``).
    graph : torch.nn.Module
        The exported ensemble as a torch module (what ``model.onnx`` computes).
    metrics : dict
        The report's figures (``report/metrics.json``): test figures per decoder, folds,
        seeds, valence read-out, the configuration.
    parity_max_abs : float
        Largest difference between the torch and onnxruntime outputs of the bundle.
    synthetic : bool
        True when the corpus is SYNTHETIC: so are the bundle and every figure.
    seconds : float
        Wall time of the whole training.
    """

    bundle: Path
    graph: nn.Module
    metrics: dict
    parity_max_abs: float
    synthetic: bool
    seconds: float


class _Stage:
    """The steps of one stage, told to a :data:`Progress` callback (and logged)."""

    def __init__(self, progress: Progress | None, name: str, total: int):
        self.progress, self.name, self.total, self.done = progress, name, total, 0
        logger.info("%s (%d steps)", name, total)
        if progress is not None:
            progress(name, 0, total)

    def advance(self, *_) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(self.name, self.done, self.total)


def _windows(corpus: Corpus, config: TrainConfig, progress: Progress | None) -> WindowSet:
    stage = _Stage(progress, "features", len(corpus))
    return load_windows(
        corpus, config.window_s, config.hop_s, config.decimate, on_subject=stage.advance,
        covariance=any(ZOO[arch][1] == "covariance" for arch in config.archs),
        resample=config.resample, channels=config.channels,
        session_parts=config.split == "session-trials",
    )  # fmt: skip


def _train_seed(
    windows: WindowSet,
    splits: list[Split],
    prepared: list,
    positions: np.ndarray,
    config: TrainConfig,
    classes: list[str],
    progress: Progress | None,
) -> tuple:
    """Every fold's pool and ensemble at ``config.seed``, and their test figures."""
    import torch

    torch.manual_seed(config.seed)
    folds = []
    for i, (split, inputs) in enumerate(zip(splits, prepared, strict=True)):
        stage = _Stage(progress, f"seed {config.seed}, fold {i + 1}/{len(splits)}", config.pool)
        folds.append(train_fold(windows, split, inputs, positions, config, len(classes),
                                on_member=stage.advance))  # fmt: skip
    return folds, evaluate(folds, classes)


def _export(
    out: Path,
    runs: list[tuple],
    windows: WindowSet,
    corpus: Corpus,
    axis: AxisFile,
    positions: np.ndarray,
    config: TrainConfig,
    progress: Progress | None,
) -> tuple:
    """Write the bundle of the first seed's first fold and the report; return the bundle's
    path, its torch/onnxruntime parity and the metrics."""
    stage = _Stage(progress, "export and report", 2)
    folds, metrics = runs[0]
    seeds = [config.seed + i for i in range(config.seeds)]
    metrics["seeds"] = summarise_seeds([m for _, m in runs], seeds)
    path, max_diff = write_bundle(out, folds[0], windows, corpus, axis, positions, config,
                                  metrics)  # fmt: skip
    stage.advance()
    metrics["parity_max_abs"] = max_diff
    metrics["bundle_fold"] = 0
    metrics["config"] = config.to_dict()
    write_report(out / "report", metrics, pooled_test(folds), list(corpus.classes),
                 corpus.synthetic)  # fmt: skip
    stage.advance()
    return path, max_diff, metrics


def train_bundle(
    data: str | Path | Corpus,
    axis: str | Path | AxisFile,
    out: str | Path,
    config: TrainConfig | None = None,
    *,
    format: CorpusFormat = "auto",
    progress: Progress | None = None,
) -> TrainResult:
    """Train the residual ensemble on a corpus and write a bundle with its report.

    Parameters
    ----------
    data : path or Corpus
        A raw corpus (opened with :func:`vaxis.offline.corpus.open_corpus`) or one in memory.
    axis : path or AxisFile
        The V-axis (``axis.json``).
    out : path
        The bundle directory; ``out/report/`` holds the report.
    config : TrainConfig, optional
    format : {"auto", "faced-processed", "faced-de", "bids", "seed-v"}
        Corpus format for :func:`~vaxis.offline.corpus.open_corpus`.
    progress : callable, optional
        Told the progress of each stage (:data:`Progress`), e.g. to draw progress bars;
        stages are also logged (``logging``, level INFO).

    Returns
    -------
    TrainResult
    """
    start = time.perf_counter()
    config = (config or TrainConfig()).check()
    config = replace(config, device=resolve_device(config.device))
    if isinstance(data, Corpus):
        corpus = data
    else:
        from vaxis.offline.corpus import open_corpus

        corpus = open_corpus(data, format)
    axis_file = axis if isinstance(axis, AxisFile) else load_axis(axis)
    classes = list(corpus.classes)
    positions = np.array(axis_file.position_of(classes, str(axis)))
    windows = _windows(corpus, config, progress)
    splits = make_splits(list(windows.stats), config)
    prepared = [prepare_split(windows, split, config) for split in splits]
    runs = [_train_seed(windows, splits, prepared, positions,
                        replace(config, seed=config.seed + offset), classes, progress)
            for offset in range(config.seeds)]  # fmt: skip
    path, max_diff, metrics = _export(Path(out), runs, windows, corpus, axis_file, positions,
                                      config, progress)  # fmt: skip
    graph = ensemble_graph(runs[0][0][0], positions, windows.decimate)
    logger.info("wrote the bundle %s", path)
    return TrainResult(path, graph, metrics, max_diff, corpus.synthetic,
                       time.perf_counter() - start)  # fmt: skip
