"""Benchmark: `vaxis axis build` with the default model, and projecting the VADER lexicon (CPU).

Also records the zero-shot validation figures on VADER (targets: Spearman >= 0.50,
accuracy >= 0.75 on words with |rating| >= 1). Usage: ``python bench/axis.py [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from _common import median_time, target, write_result  # noqa: E402

from vaxis.offline.axis.build import build_axis, project  # noqa: E402
from vaxis.offline.axis.model import LanguageModel  # noqa: E402
from vaxis.offline.axis.validate import load_lexicon, validate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    load_s, lm = median_time(LanguageModel, repeat=1)[0], LanguageModel()
    build_s, build_runs = median_time(lambda: build_axis(lm=lm), repeat=args.repeat)
    axis = build_axis(lm=lm)
    words, _ = load_lexicon("vader")
    project_s, project_runs = median_time(lambda: project(axis, words, lm), repeat=args.repeat)
    figures = validate(axis, "vader", lm).to_dict()
    result = {
        "description": "V-axis build (nine sentences, layer auto) and VADER projection on CPU",
        "model": axis.model,
        "layer": axis.layer,
        "model_load_s": round(load_s, 3),
        "build_median_s": round(build_s, 3),
        "build_runs_s": [round(t, 3) for t in build_runs],
        "project_vader_median_s": round(project_s, 3),
        "project_vader_runs_s": [round(t, 3) for t in project_runs],
        "words_per_s": round(len(words) / project_s, 1),
        "validation": figures,
        "targets": [
            target(
                "VADER Spearman",
                round(figures["spearman"], 3),
                "rho",
                ">= 0.50",
                figures["spearman"] >= 0.50,
            ),
            target(
                "VADER accuracy (|rating| >= 1)",
                round(figures["accuracy"], 3),
                "fraction",
                ">= 0.75",
                figures["accuracy"] >= 0.75,
            ),
            target("axis build, default model", round(build_s, 2), "s", "reported", True),
            target(
                f"project VADER ({len(words)} words)", round(project_s, 2), "s", "reported", True
            ),
        ],  # fmt: skip
    }
    print(write_result("axis", result))


if __name__ == "__main__":
    main()
