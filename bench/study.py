"""Wall time of ``vaxis study all`` (default grid) on a FACED-size SYNTHETIC corpus.

Features and the mapping (1000 permutations) run in full. The classifier sweep of the
default grid (on a DE corpus the band-feature members only: rediscovery 2 x 9, alignment
on two architectures x 9 strategies x 3 weights x 3 seeds + baselines, saturation 2 runs
and the ablation of the label-only grid; shared label-only runs trained once) is too long
for the 2-core machine, so ``--sample`` of its tasks (a seeded draw) are run with
``--n-jobs`` workers
and the sweep's time is extrapolated by waves: ``ceil(n_tasks / n_jobs) * wall per wave``.
``--full`` runs the whole sweep instead. The JSON says which was done.

The corpus is ``write_synthetic_faced(fmt="de")`` and the classifiers are the train zoo's
band-feature models with a hidden representation, as ``vaxis study`` runs them on DE.

Usage: ``python bench/study.py [--subjects 123] [--n-jobs 2] [--sample 4] [--full]``
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

from vaxis.offline.axis import AxisFile
from vaxis.offline.study.data import load_study_data
from vaxis.offline.study.mapping import run_mapping
from vaxis.offline.study.models import study_architectures
from vaxis.offline.study.run import StudyConfig, plan_architectures, study_tasks, unique_tasks
from vaxis.offline.study.sweep import SweepContext, run_sweep
from vaxis.offline.study.targets import alignment_targets

RESULTS = Path(__file__).resolve().parent / "results"


def _corpus(subjects: int, seconds: int, tmp: Path):
    from vaxis.offline.corpus import open_corpus
    from vaxis.offline.corpus.synthetic import write_synthetic_faced

    write_synthetic_faced(tmp, n_subjects=subjects, seconds=seconds, seed=0, fmt="de")
    return open_corpus(tmp), "vaxis.offline.corpus.synthetic.write_synthetic_faced(fmt='de')"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=123)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--sample", type=int, default=4, help="sweep tasks to time")
    parser.add_argument("--full", action="store_true", help="run the whole sweep")
    args = parser.parse_args()
    config = StudyConfig.full()
    timings = {}
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        corpus, corpus_source = _corpus(args.subjects, args.seconds, Path(tmp))
        data = load_study_data(corpus)
        timings["corpus_and_features_s"] = time.perf_counter() - start
    truth = corpus.provenance["ground_truth"]
    axis = AxisFile.from_positions(truth.get("valence") or truth, "planted ground truth")
    targets = alignment_targets(axis, data.classes, "ground-truth axis")
    split = data.split
    start = time.perf_counter()
    mapping = run_mapping(data, targets.positions, split, config.n_permutations)
    timings["mapping_s"] = time.perf_counter() - start
    registry = study_architectures()
    rediscovery, alignment, _ = plan_architectures(config, registry, {"features"})
    arch_source = (f"vaxis.offline.train zoo, band-feature members: rediscovery {rediscovery}, "
                   f"alignment {alignment}")  # fmt: skip
    tasks = list(unique_tasks(study_tasks(["rediscovery", "alignment", "saturation"], config,
                                          rediscovery, alignment)).values())  # fmt: skip
    inputs = data
    rng = np.random.default_rng(0)
    chosen = tasks if args.full else [tasks[i] for i in rng.choice(len(tasks), args.sample, False)]
    ctx = SweepContext(inputs, split, targets, config.fit, registry)
    start = time.perf_counter()
    results = run_sweep(chosen, ctx, n_jobs=args.n_jobs)
    measured = time.perf_counter() - start
    waves_measured = math.ceil(len(chosen) / args.n_jobs)
    sweep_s = (
        measured if args.full else measured / waves_measured * math.ceil(len(tasks) / args.n_jobs)
    )
    total = timings["corpus_and_features_s"] + timings["mapping_s"] + sweep_s
    result = {
        "benchmark": "study",
        "synthetic": True,
        "data": f"SYNTHETIC, {args.subjects} subjects x 28 clips x {args.seconds} s, DE",
        "corpus_source": corpus_source,
        "architectures": arch_source,
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()},
        "gpu": "none lent to this task: no GPU timing measured",
        "n_jobs": args.n_jobs,
        "sweep_tasks_total": len(tasks),
        "sweep_tasks_measured": len(chosen),
        "extrapolated": not args.full,
        "extrapolation": None
        if args.full
        else (
            f"{len(chosen)} seeded-random sweep tasks timed with {args.n_jobs} workers "
            f"({measured:.0f} s for {waves_measured} waves); sweep = ceil({len(tasks)}/"
            f"{args.n_jobs}) waves x measured time per wave"
        ),  # fmt: skip
        "measured_tasks": [
            {
                k: r[k]
                for k in ("arch", "seed", "strategy", "weight", "best_epoch", "balanced_accuracy")
            }
            for r in results
        ],  # fmt: skip
        "timings_s": {**timings, "sweep_measured_s": measured, "sweep_s": sweep_s},
        "mapping_r_synthetic": mapping["r"],
        "targets": [
            {
                "name": "study all, default grid, FACED-size SYNTHETIC (2-core CPU)",
                "measured": round(total / 60, 1),
                "unit": "min",
                "target": "report (issue 5 sets no goal)",
                "baseline": None,
                "ratio": None,
                "met": None,
            },
        ],  # fmt: skip
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "study.json").write_text(json.dumps(result, indent=2))
    print(json.dumps({k: result[k] for k in ("timings_s", "extrapolated", "targets")}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
