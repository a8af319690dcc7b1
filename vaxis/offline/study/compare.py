"""Alignment strategies against the label-only baseline: paired tests over test subjects.

Each architecture is compared with its own label-only baseline. For each configuration
(strategy x weight) and each test subject, balanced accuracy is averaged over seeds, and so
is the baseline's; the paired differences over subjects go to a two-sided Wilcoxon
signed-rank test, and the p-values of all of one architecture's configurations are
Holm-corrected together. A configuration *helps* (*hurts*) when its corrected p is below
``alpha`` and its median difference is positive (negative). A strategy helps if one of
its weights helps; it hurts if one of its weights hurts and none helps.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import wilcoxon

from vaxis.offline.study.alignment import STRATEGIES, STUDY_STRATEGIES, holm


def alignment_tasks(
    archs: list[str], seeds: list[int], strategies: list[str], weights: list[float]
) -> list[dict]:
    """Per architecture: baseline runs per seed, then every strategy x weight x seed."""
    tasks = []
    for arch in archs:
        tasks += [{"arch": arch, "seed": s, "strategy": None, "weight": 0.0} for s in seeds]
        tasks += [
            {"arch": arch, "seed": s, "strategy": name, "weight": w}
            for name in strategies
            for w in weights
            for s in seeds
        ]
    return tasks


def _subject_means(results: list[dict]) -> dict[str, float]:
    subjects = results[0]["per_subject"]
    return {s: float(np.mean([r["per_subject"][s] for r in results])) for s in subjects}


def paired_p(diff: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p of paired differences (1 when all are zero)."""
    diff = np.asarray(diff, dtype=float)
    if diff.size == 0 or np.allclose(diff, 0):
        return 1.0
    return float(wilcoxon(diff, alternative="two-sided").pvalue)


def summarise_alignment(results: list[dict], alpha: float = 0.05) -> dict:
    """Paired comparison of every strategy configuration with its architecture's baseline."""
    archs = list(dict.fromkeys(r["arch"] for r in results))
    per_arch = {a: _summarise_arch([r for r in results if r["arch"] == a], alpha) for a in archs}
    names = list(dict.fromkeys(n for a in per_arch.values() for n in a["strategies"]))
    verdicts = {n: {a: per_arch[a]["strategies"].get(n) for a in archs} for n in names}
    return {
        "architectures": per_arch,
        "strategies": verdicts,
        "strategies_hurt_everywhere": sum(
            all(v == "hurts" for v in by_arch.values()) for by_arch in verdicts.values()
        ),
        "strategies_help_somewhere": sum(
            any(v == "helps" for v in by_arch.values()) for by_arch in verdicts.values()
        ),
        "study_strategies": list(STUDY_STRATEGIES),
        "n_study_strategies_implemented": sum(bool(s["implemented"]) for s in STUDY_STRATEGIES),
        "method": __doc__.split("\n\n", 1)[1].replace("\n", " ").strip(),
    }


def _summarise_arch(results: list[dict], alpha: float) -> dict:
    """One architecture's configurations against its baseline, Holm-corrected together."""
    baseline = [r for r in results if not r["strategy"]]
    base = _subject_means(baseline)
    subjects = sorted(base)
    configs: dict[tuple[str, float], list[dict]] = {}
    for r in results:
        if r["strategy"]:
            configs.setdefault((r["strategy"], float(r["weight"])), []).append(r)
    rows: list[dict[str, Any]] = []
    for (name, weight), runs in configs.items():
        means = _subject_means(runs)
        diff = np.array([means[s] - base[s] for s in subjects])
        rows.append(
            {
                "strategy": name,
                "family": STRATEGIES[name].family,
                "weight": weight,
                "balanced_accuracy": float(np.mean([r["balanced_accuracy"] for r in runs])),
                "delta_mean": float(diff.mean()),
                "delta_median": float(np.median(diff)),
                "p": paired_p(diff),
                "n_seeds": len(runs),
            }
        )
    for row, p_holm in zip(rows, holm([r["p"] for r in rows]) if rows else [], strict=True):
        row["p_holm"] = float(p_holm)
        significant = p_holm < alpha
        row["verdict"] = (
            "helps" if significant and row["delta_median"] > 0
            else "hurts" if significant and row["delta_median"] < 0
            else "n.s."
        )  # fmt: skip
    per_strategy = {}
    for name in dict.fromkeys(r["strategy"] for r in rows):
        verdicts = {r["verdict"] for r in rows if r["strategy"] == name}
        per_strategy[name] = (
            "helps" if "helps" in verdicts else "hurts" if "hurts" in verdicts else "n.s."
        )
    return {
        "baseline": {
            "balanced_accuracy": float(np.mean([r["balanced_accuracy"] for r in baseline])),
            "n_seeds": len(baseline),
            "per_subject": base,
        },
        "configurations": rows,
        "n_configurations": len(rows),
        "configurations_help": sum(r["verdict"] == "helps" for r in rows),
        "configurations_hurt": sum(r["verdict"] == "hurts" for r in rows),
        "strategies": per_strategy,
        "strategies_help": sum(v == "helps" for v in per_strategy.values()),
        "strategies_hurt": sum(v == "hurts" for v in per_strategy.values()),
        "n_test_subjects": len(subjects),
    }
