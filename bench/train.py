"""Benchmark: the whole ``vaxis train`` on a FACED-size SYNTHETIC corpus.

FACED size: 123 subjects x 28 clips x 30 s x 32 channels at 250 Hz. The corpus is written
once with ``write_synthetic_faced`` (default planted effect; not timed, kept in
``--workdir`` for reruns) with the axis taken from its planted ground-truth valence (a
stand-in for an LLM's axis: SYNTHETIC). Timed: the ``vaxis train`` command line, start to
exit, in a subprocess, with default settings (FACED split 80/20/23, pool of 12 members,
at most 5 in the ensemble, 30 epochs with early stopping, CPU). Reported: wall time against
the 20-minute target on a 2-core machine, and the test-subject figures of the best single
member, the naive average and the residual ensemble, read from the bundle's report.

Usage: ``python bench/train.py [--subjects 123] [--seconds 30] [--workdir DIR]
[--threads N] [-- extra vaxis train options]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _common import target, timed, write_result

from vaxis.offline.axis import AxisFile, save_axis
from vaxis.offline.corpus.synthetic import VALENCE, write_synthetic_faced

TARGET_S = 20 * 60


def prepare(workdir: Path, subjects: int, seconds: int) -> tuple[Path, Path, float | None]:
    """The corpus and axis under ``workdir`` (written unless already there)."""
    corpus = workdir / f"synthetic-{subjects}x{seconds}s"
    written_s = None
    if not (corpus / "vaxis_provenance.json").is_file():
        written_s, _ = timed(
            lambda: write_synthetic_faced(corpus, subjects, seconds, seed=0, fmt="processed")
        )
    axis = save_axis(
        AxisFile(positions=dict(VALENCE), model="planted-synthetic-ground-truth", layer=0,
                 pooling="none", sentences_sha256="none"),
        workdir / "axis.json",
    )  # fmt: skip
    return corpus, axis, written_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=123)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "vaxis-bench")
    parser.add_argument("--threads", type=int, default=None, help="torch/BLAS threads")
    parser.add_argument("extra", nargs="*", help="more `vaxis train` options")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    corpus, axis, written_s = prepare(args.workdir, args.subjects, args.seconds)
    bundle = args.workdir / f"bundle-{args.subjects}"
    cmd = [sys.executable, "-m", "vaxis.cli", "train", "--data", str(corpus), "--axis",
           str(axis), "-o", str(bundle), *args.extra]  # fmt: skip
    env = dict(os.environ)
    if args.threads:
        env.update(OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    wall_s, code = timed(lambda: subprocess.call(cmd, env=env))
    if code != 0:
        sys.exit(f"vaxis train failed with exit code {code}")
    metrics = json.loads((bundle / "report" / "metrics.json").read_text())
    figures = {
        name: {k: round(v, 4) for k, v in metrics[name].items() if k != "per_subject"}
        for name in ("best_member", "naive_average", "residual_ensemble")
    }
    ensemble, best = (figures[k]["balanced_accuracy"] for k in ("residual_ensemble", "best_member"))
    faced_size = args.subjects == 123 and args.seconds == 30
    fold = metrics["folds"][0]
    cpus = len(os.sched_getaffinity(0))
    result = {
        "synthetic": True,
        "description": "the whole `vaxis train` (default settings) on a SYNTHETIC "
        f"FACED-format corpus of {args.subjects} subjects x 28 clips x {args.seconds} s",
        "faced_size": faced_size,
        "command": " ".join(["vaxis", *cmd[3:]]),
        "corpus_write_s": None if written_s is None else round(written_s, 1),
        "wall_s": round(wall_s, 1),
        "test": figures,
        "wilcoxon": metrics["wilcoxon"],
        "valence": {
            k: metrics["valence"][k] for k in ("test_r_ridge", "test_r_expectation", "source")
        },  # fmt: skip
        "n_test_subjects": metrics["n_test_subjects"],
        "chance_balanced_accuracy": metrics["chance_balanced_accuracy"],
        "shipped": fold["shipped"],
        "shipped_members": [
            fold["members"][i] for i in fold["combinations"][fold["shipped"]]["members"]
        ],
        "parity_max_abs": metrics["parity_max_abs"],
        "targets": [
            target(
                f"vaxis train, {args.subjects} subjects x {args.seconds} s, {cpus} CPUs",
                round(wall_s, 1),
                "s",
                "<= 1200 s on 2 cores (FACED size)",
                wall_s <= TARGET_S and faced_size,
            ),
            target(
                "residual ensemble balanced accuracy (test, SYNTHETIC)",
                ensemble,
                "",
                ">= best single member",
                ensemble >= best,
                baseline=best,
                ratio=round(ensemble / best, 4) if best else None,
            ),
        ],  # fmt: skip
    }
    print(json.dumps({k: result[k] for k in ("wall_s", "test", "valence")}, indent=2))
    print(f"wrote {write_result('train', result)}")


if __name__ == "__main__":
    main()
