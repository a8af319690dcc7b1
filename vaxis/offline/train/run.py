"""``vaxis train``: corpus and axis in, a bundle and its report out."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from vaxis.errors import ConfigError, DataError
from vaxis.offline.axis import AxisFile, load_axis
from vaxis.offline.corpus.base import Corpus
from vaxis.offline.splits import Split, faced_split, kfold_splits
from vaxis.offline.train.bundle import ensemble_graph, write_bundle
from vaxis.offline.train.config import TrainConfig, resolve_device
from vaxis.offline.train.data import load_windows
from vaxis.offline.train.evaluate import evaluate, pooled_test, summarise_seeds
from vaxis.offline.train.fold import prepare_split, train_fold
from vaxis.offline.train.models import ZOO
from vaxis.offline.train.report import write_report


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


def _progress(console, enabled: bool):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )  # fmt: skip

    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, disable=not enabled,
    )  # fmt: skip


def train_bundle(
    data: str | Path | Corpus,
    axis: str | Path | AxisFile,
    out: str | Path,
    config: TrainConfig | None = None,
    format: str = "auto",
    console=None,
    progress: bool = True,
) -> dict:
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
    format : str
        Corpus format for :func:`~vaxis.offline.corpus.open_corpus`.
    console : rich.console.Console, optional
        Where progress bars go.
    progress : bool
        Show progress bars.

    Returns
    -------
    dict
        ``bundle`` (path), ``graph`` (the exported ensemble as a torch module),
        ``metrics`` (the test figures), ``parity_max_abs``, ``synthetic``, ``seconds``.
    """
    import torch

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
    with _progress(console, progress) as bars:
        task = bars.add_task("features", total=len(corpus))
        windows = load_windows(
            corpus, config.window_s, config.hop_s, config.decimate,
            on_subject=lambda _: bars.advance(task),
            covariance=any(ZOO[arch][1] == "covariance" for arch in config.archs),
            resample=config.resample, channels=config.channels,
            session_parts=config.split == "session-trials",
        )  # fmt: skip
        splits = make_splits(list(windows.stats), config)
        prepared = [prepare_split(windows, split, config) for split in splits]
        runs = []
        for offset in range(config.seeds):
            run_config = replace(config, seed=config.seed + offset)
            torch.manual_seed(run_config.seed)
            folds = []
            for i, (split, inputs) in enumerate(zip(splits, prepared, strict=True)):
                task = bars.add_task(f"seed {run_config.seed}, fold {i + 1}/{len(splits)}",
                                     total=config.pool)  # fmt: skip
                folds.append(train_fold(windows, split, inputs, positions, run_config,
                                        len(classes),
                                        on_member=lambda _, t=task: bars.advance(t)))  # fmt: skip
            runs.append((folds, evaluate(folds, classes)))
        task = bars.add_task("export and report", total=2)
        folds, metrics = runs[0]
        seeds = [config.seed + i for i in range(config.seeds)]
        metrics["seeds"] = summarise_seeds([m for _, m in runs], seeds)
        path, max_diff = write_bundle(out, folds[0], windows, corpus, axis_file, positions,
                                      config, metrics)  # fmt: skip
        bars.advance(task)
        metrics["parity_max_abs"] = max_diff
        metrics["bundle_fold"] = 0
        metrics["config"] = config.to_dict()
        write_report(Path(out) / "report", metrics, pooled_test(folds), classes, corpus.synthetic)
        bars.advance(task)
    return {
        "bundle": path,
        "graph": ensemble_graph(folds[0], positions, windows.decimate),
        "metrics": metrics,
        "parity_max_abs": max_diff,
        "synthetic": corpus.synthetic,
        "seconds": time.perf_counter() - start,
    }
