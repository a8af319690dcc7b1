"""Run every benchmark in bench/ and write bench/results/SUMMARY.md.

Each benchmark is a script that writes ``bench/results/<name>.json`` holding a
``targets`` list; each target has ``name``, ``measured``, ``unit``, ``target`` (text),
``baseline`` and ``ratio`` (where the issue names a baseline) and ``met``. This script
only runs them and tabulates what they measured; it measures nothing itself.

Usage: ``python bench/run_all.py [--only NAME ...] [--summary-only]``
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SKIP = {"run_all.py", "_common.py"}


def benchmarks() -> list[Path]:
    return sorted(p for p in HERE.glob("*.py") if p.name not in SKIP)


def run(script: Path) -> tuple[int, float]:
    start = time.perf_counter()
    code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
    return code, time.perf_counter() - start


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def summary(statuses: dict[str, tuple[int, float]]) -> str:
    lines = [
        "# Benchmark summary",
        "",
        "Written by `make bench` (`bench/run_all.py`) from `bench/results/*.json`. Figures on "
        "synthetic data are labelled so in each JSON; every figure here comes from synthetic "
        "or generated signals.",
        "",
        "| benchmark | target | measured | baseline (same run) | ratio | goal | met | machine |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for path in sorted(RESULTS.glob("*.json")):
        result = json.loads(path.read_text())
        machine = result.get("machine", {})
        where = f"{machine.get('cpu_count', '?')} CPU, {machine.get('platform', '?')[:30]}"
        for t in result.get("targets", []):
            measured = f"{_fmt(t.get('measured'))} {t.get('unit', '')}".strip()
            met = {True: "yes", False: "**no**"}.get(t.get("met"), "n/a")
            lines.append(
                f"| {path.stem} | {t['name']} | {measured} | {_fmt(t.get('baseline'))} | "
                f"{_fmt(t.get('ratio'))} | {t.get('target', '')} | {met} | {where} |"
            )
    if statuses:
        lines += ["", "## Runs", "", "| script | exit | wall s |", "|---|---|---|"]
        lines += [f"| {k} | {c} | {w:.0f} |" for k, (c, w) in statuses.items()]
    lines += ["", f"Summary written {time.strftime('%Y-%m-%d %H:%M')} on {platform.node()}."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="benchmark names (file stems) to run")
    parser.add_argument("--summary-only", action="store_true", help="only rebuild SUMMARY.md")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    statuses = {}
    if not args.summary_only:
        for script in benchmarks():
            if args.only and script.stem not in args.only:
                continue
            print(f"== {script.name}", flush=True)
            statuses[script.name] = run(script)
    (RESULTS / "SUMMARY.md").write_text(summary(statuses))
    print((RESULTS / "SUMMARY.md").read_text())
    return 1 if any(code for code, _ in statuses.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
