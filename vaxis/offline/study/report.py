"""The study's readable report: report.md with tables, and one PNG per analysis.

Every plot title and the report's header say SYNTHETIC when the data was generated.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _tag(summary: dict) -> str:
    return "[SYNTHETIC] " if summary["data"]["synthetic"] else ""


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _plot_mapping(summary: dict, path: Path) -> None:
    plt = _figure()
    m = summary["mapping"]
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    pts = m["points"]
    ax.scatter(pts["position"], pts["projection"], s=8, alpha=0.3, color="grey", label="points")
    clips = m["per_clip"]
    ax.scatter([c["position"] for c in clips], [c["projection_mean"] for c in clips], s=30,
               color="C0", label="clip mean over test subjects")  # fmt: skip
    for c in clips:
        ax.annotate(c["category"][:4], (c["position"], c["projection_mean"]), fontsize=6)
    ax.set_xlabel("V-axis position of the clip's category")
    ax.set_ylabel("linear projection of EEG features")
    ax.set_title(f"{_tag(summary)}mapping: r = {m['r']:.3f}, p = {m['p_value']:.3g}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_rediscovery(summary: dict, path: Path) -> None:
    plt = _figure()
    r = summary["rediscovery"]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.5))
    for ax, name in zip(axes, ("loco_spearman", "pc1_spearman", "pc1_cosine"), strict=True):
        values = [c[name] for c in r["classifiers"]]
        ax.hist(values, bins=np.linspace(-1 if name == "loco_spearman" else 0, 1, 21), color="C0")
        q95 = r["distribution"][name]["null_q95"]
        if q95 is not None:
            ax.axvline(q95, color="C3", ls="--", label="null 95%")
            ax.legend(fontsize=7)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("agreement with V-axis")
    fig.suptitle(f"{_tag(summary)}rediscovery over {r['n_classifiers']} label-only classifiers")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_alignment(summary: dict, path: Path) -> None:
    plt = _figure()
    rows = summary["alignment"]["configurations"]
    colours = {"helps": "C2", "hurts": "C3", "n.s.": "grey"}
    fig, ax = plt.subplots(figsize=(7, 0.25 * len(rows) + 1.5))
    labels = [f"{r['strategy']} @{r['weight']:g}" for r in rows]
    ax.barh(labels, [r["delta_mean"] for r in rows], color=[colours[r["verdict"]] for r in rows])
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("balanced accuracy minus label-only baseline (mean over test subjects)")
    ax.set_title(f"{_tag(summary)}alignment strategies (red: worse, Holm p<0.05)", fontsize=9)
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_saturation(summary: dict, path: Path) -> None:
    plt = _figure()
    runs = summary["saturation"]["runs"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for i, (name, run) in enumerate(runs.items()):
        epochs = [row["epoch"] for row in run["epochs"]]
        axes[0].plot(epochs, [row["residual_share"] for row in run["epochs"]], f"C{i}-",
                     label=f"{name}: residual")  # fmt: skip
        axes[0].plot(epochs, [row["vdir_share"] for row in run["epochs"]], f"C{i}--",
                     label=f"{name}: V-direction")  # fmt: skip
        axes[1].plot(epochs, [row["loco_spearman"] for row in run["epochs"]], f"C{i}-", label=name)
    axes[0].set_ylabel("share of task-gradient squared norm")
    axes[1].set_ylabel("LOCO Spearman with V-axis")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.legend(fontsize=7)
    fig.suptitle(f"{_tag(summary)}saturation: where the task gradient goes")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


PLOTS = {
    "mapping": _plot_mapping,
    "rediscovery": _plot_rediscovery,
    "alignment": _plot_alignment,
    "saturation": _plot_saturation,
}


def _table(header: list[str], rows: list[list]) -> list[str]:
    fmt = lambda v: f"{v:.3g}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]


def _markdown(summary: dict, plots: dict[str, str]) -> str:
    d = summary["data"]
    lines = ["# vaxis study report", ""]
    if d["synthetic"]:
        lines += ["**SYNTHETIC DATA: every figure in this report comes from a generated corpus, "
                  "not from EEG recordings.**", ""]  # fmt: skip
    lines += [
        f"Data: `{d['provenance']}` (corpus {d['corpus']}, {d['kind']}, {d['n_subjects']} "
        f"subjects, {d['n_windows']} windows). Axis: `{summary['axis']['source']}` "
        f"(model {summary['axis']['model']}). LLM embeddings: {summary['axis']['embeddings']}. "
        f"Split: {len(summary['split']['train'])}/{len(summary['split']['val'])}/"
        f"{len(summary['split']['test'])} subjects. Quick: {summary['config']['quick']}.",
        "",
    ]
    if "mapping" in summary:
        m = summary["mapping"]
        lines += ["## Mapping", "", m["method"] + ".", "",
                  f"**r = {m['r']:.3f}** over {m['n_points']} held-out subject x clip points, "
                  f"permutation p = {m['p_value']:.3g} ({m['n_permutations']} permutations; "
                  f"null 95% = {m['null_q95']}); category Spearman = "
                  f"{m['category_spearman']:.3f}.", ""]  # fmt: skip
        lines += _table(["category", "position", "mean projection"],
                        [[k, v["position"], v["projection_mean"]]
                         for k, v in m["per_category"].items()])  # fmt: skip
        lines.append("")
    if "rediscovery" in summary:
        r = summary["rediscovery"]
        lines += ["## Rediscovery", "", r["method"] + ".", "",
                  f"{r['n_classifiers']} classifiers, mean balanced accuracy "
                  f"{r['balanced_accuracy_mean']:.3f}.", ""]  # fmt: skip
        lines += _table(
            ["figure", "mean", "median", "min", "max", "share p<0.05", "null q95", "grid p"],
            [[k, v["mean"], v["median"], v["min"], v["max"], v["share_significant"],
              v["null_q95"], v["grid_mean_p"]] for k, v in r["distribution"].items()],
        )  # fmt: skip
        lines.append("")
    if "alignment" in summary:
        a = summary["alignment"]
        lines += ["## Alignment", "", a["method"], "",
                  f"Baseline balanced accuracy {a['baseline']['balanced_accuracy']:.3f} "
                  f"({a['baseline']['n_seeds']} seeds, {a['n_test_subjects']} test subjects). "
                  f"Configurations: {a['n_configurations']}, help {a['configurations_help']}, "
                  f"hurt {a['configurations_hurt']}. Strategies: help {a['strategies_help']}, "
                  f"hurt {a['strategies_hurt']} of {len(a['strategies'])}.", ""]  # fmt: skip
        lines += _table(
            ["strategy", "weight", "BA", "delta mean", "p", "p Holm", "verdict"],
            [[r["strategy"], r["weight"], r["balanced_accuracy"], r["delta_mean"], r["p"],
              r["p_holm"], r["verdict"]] for r in a["configurations"]],
        )  # fmt: skip
        lines += ["", "### The study's 25 strategies (names are our reconstruction)", ""]
        lines += _table(
            ["#", "name (reconstructed)", "family", "implemented as"],
            [[i + 1, s["name"], s["family"], s["implemented"] or "not implemented"]
             for i, s in enumerate(a["study_strategies"])],
        )  # fmt: skip
        lines.append("")
    if "saturation" in summary:
        s = summary["saturation"]
        lines += ["## Saturation", "", s["method"] + ".", ""]
        lines += _table(
            ["run", "BA", "class share", "V-dir share", "residual share", "final LOCO rho"],
            [[k, v["balanced_accuracy"], v["mean"]["class_share"], v["mean"]["vdir_share"],
              v["mean"]["residual_share"], v["final"]["loco_spearman"]]
             for k, v in s["runs"].items()],
        )  # fmt: skip
        lines.append("")
    lines += [f"![{name}]({file})" for name, file in plots.items()]
    return "\n".join(lines) + "\n"


def write_report(summary: dict, out: Path) -> dict:
    """Write the PNGs and report.md into ``out``; return their file names."""
    plots = {}
    for name, plot in PLOTS.items():
        if name in summary:
            plot(summary, out / f"{name}.png")
            plots[name] = f"{name}.png"
    (out / "report.md").write_text(_markdown(summary, plots))
    return {"markdown": "report.md", "plots": plots}
