"""The study's readable report: report.md with tables, and one PNG per analysis.

Every plot title and the report's header say SYNTHETIC when the data was generated; the
header names the protocol and the normalisation of every test figure, and a figure from
transductive inputs (a test subject's own statistics) says TRANSDUCTIVE where it is given.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _tag(summary: dict) -> str:
    synthetic = "[SYNTHETIC] " if summary["data"]["synthetic"] else ""
    return synthetic + ("[TRANSDUCTIVE] " if summary["normalisation"]["transductive"] else "")


def _normalisation(name: str, transductive: bool) -> str:
    if transductive:
        return f"`{name}` (**TRANSDUCTIVE**: a test subject's statistics of its whole recording)"
    return f"`{name}` (no statistic of a test subject's future)"


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
    per_arch = summary["alignment"]["architectures"]
    colours = {"helps": "C2", "hurts": "C3", "n.s.": "grey"}
    n_rows = max(len(a["configurations"]) for a in per_arch.values())
    size = (4.5 * len(per_arch) + 1.5, 0.25 * n_rows + 1.8)
    fig, axes = plt.subplots(1, len(per_arch), figsize=size, squeeze=False)
    for ax, (arch, a) in zip(axes[0], per_arch.items(), strict=True):
        rows = a["configurations"]
        labels = [f"{r['strategy']} @{r['weight']:g}" for r in rows]
        ax.barh(labels, [r["delta_mean"] for r in rows],
                color=[colours[r["verdict"]] for r in rows])  # fmt: skip
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlabel("balanced accuracy minus label-only", fontsize=8)
        ax.set_title(f"{arch} (baseline {a['baseline']['balanced_accuracy']:.3f})", fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
    fig.suptitle(f"{_tag(summary)}alignment strategies (red: worse, Holm p<0.05 per "
                 "architecture)", fontsize=9)  # fmt: skip
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


def _plot_ablation(summary: dict, path: Path) -> None:
    plt = _figure()
    ablation = summary["saturation"]["ablation"]
    archs = list(ablation["architectures"])
    names = ("full", "class_span", "residual")
    fig, ax = plt.subplots(figsize=(2.2 * len(archs) + 2, 3.8))
    for i, arch in enumerate(archs):
        xs = i * 4 + np.arange(3)
        for c in (c for c in ablation["classifiers"] if c["arch"] == arch):
            ax.plot(xs, [c[n] for n in names], "-o", color=f"C{i}", alpha=0.4, ms=3)
        means = [ablation["architectures"][arch][n] for n in names]
        ax.plot(xs, means, "-s", color="black", ms=5)
    ax.axhline(1 / len(summary["axis"]["positions"]), color="grey", ls=":", label="chance")
    ax.set_xticks([i * 4 + j for i in range(len(archs)) for j in range(3)])
    ax.set_xticklabels([f"{a}\n{n}" for a in archs for n in ("full", "span", "resid.")],
                       fontsize=7)  # fmt: skip
    ax.set_ylabel("test balanced accuracy")
    ax.legend(fontsize=7)
    ax.set_title(f"{_tag(summary)}ablation: span = residual removed, resid. = class-centroid "
                 "span removed (black: mean)", fontsize=8)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plots(summary: dict) -> dict:
    plots = {name: PLOTS[name] for name in PLOTS if name in summary}
    if summary.get("saturation", {}).get("ablation"):
        plots["ablation"] = _plot_ablation
    return plots


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
    sections = {
        "mapping": _mapping_lines,
        "classifiers": _classifier_lines,
        "rediscovery": _rediscovery_lines,
        "alignment": _alignment_lines,
        "saturation": _saturation_lines,
    }
    lines = _header_lines(summary)
    for key, section in sections.items():
        if key in summary:
            lines += section(summary[key])
    lines += [f"![{name}]({file})" for name, file in plots.items()]
    return "\n".join(lines) + "\n"


def _header_lines(summary: dict) -> list[str]:
    """The title, a SYNTHETIC warning where it applies, the data, axis and protocol."""
    d = summary["data"]
    lines = ["# vaxis study report", ""]
    if d["synthetic"]:
        lines += ["**SYNTHETIC DATA: every figure in this report comes from a generated corpus, "
                  "not from EEG recordings.**", ""]  # fmt: skip
    p, n = summary["protocol"], summary["normalisation"]
    split, per_clip = summary["split"], p["windows_per_clip"]
    per_clip = (f"{per_clip['min']}" if per_clip["min"] == per_clip["max"]
                else f"{per_clip['min']}-{per_clip['max']}")  # fmt: skip
    lines += [
        f"Data: `{d['provenance']}` (corpus {d['corpus']}, {d['kind']}, {d['n_subjects']} "
        f"subjects, {d['n_windows']} labelled windows). Axis: `{summary['axis']['source']}` "
        f"(model {summary['axis']['model']}). LLM embeddings: {summary['axis']['embeddings']}. "
        f"Quick: {summary['config']['quick']}.",
        "",
        f"Protocol: `{p['name']}` ({p['source']}): {p['window']}, {p['n_channels']} channels "
        f"({p['channels']}), {per_clip} scored windows per clip; split `{split['kind']}`, "
        f"{len(split['train'])}/{len(split['val'])}/{len(split['test'])} recordings. "
        "Normalisation of every test "
        f"figure: {_normalisation(n['name'], n['transductive'])}.",
        "",
    ]
    return lines


def _mapping_lines(m: dict) -> list[str]:
    """The mapping section: its figures and the per-category table."""
    tag = " (TRANSDUCTIVE)" if m["transductive"] else ""
    lines = ["## Mapping", "", m["method"] + ".", "",
             f"**r = {m['r']:.3f}**{tag} over {m['n_points']} held-out subject x clip points, "
             f"permutation p = {m['p_value']:.3g} ({m['n_permutations']} permutations; "
             f"null 95% = {m['null_q95']}); category Spearman = "
             f"{m['category_spearman']:.3f}.", ""]  # fmt: skip
    lines += _table(["category", "position", "mean projection"],
                    [[k, v["position"], v["projection_mean"]]
                     for k, v in m["per_category"].items()])  # fmt: skip
    lines.append("")
    return lines


def _classifier_lines(c: dict) -> list[str]:
    """The classifiers section: architectures, windows and notes."""
    lines = ["## Classifiers", "",
             "Architectures (input): "
             + ", ".join(f"{a} ({k})" for a, k in c["architectures"].items())
             + f". Windows: {c['windows']} ({c['n_windows']} labelled). Normalisation: "
             + _normalisation(c["normalisation"], c["transductive"]) + ".", ""]  # fmt: skip
    lines += [f"- {note}" for note in c["notes"]] + ([""] if c["notes"] else [])
    return lines


def _rediscovery_lines(r: dict) -> list[str]:
    """The rediscovery section: the grid's distribution and each architecture."""
    lines = ["## Rediscovery", "", r["method"] + ".", "",
             f"{r['n_classifiers']} classifiers, mean balanced accuracy "
             f"{r['balanced_accuracy_mean']:.3f}.", ""]  # fmt: skip
    lines += _table(
        ["figure", "mean", "median", "min", "max", "share p<0.05", "null q95", "grid p"],
        [[k, v["mean"], v["median"], v["min"], v["max"], v["share_significant"],
          v["null_q95"], v["grid_mean_p"]] for k, v in r["distribution"].items()],
    )  # fmt: skip
    lines += ["", "Per architecture (means over seeds):", ""]
    lines += _table(
        ["architecture", "input", "classifiers", "BA", "loco rho", "pc1 rho", "pc1 cos",
         "share loco p<0.05"],
        [[k, v["kind"], v["n_classifiers"], v["balanced_accuracy"], v["loco_spearman"],
          v["pc1_spearman"], v["pc1_cosine"], v["loco_spearman_share_significant"]]
         for k, v in r["architectures"].items()],
    )  # fmt: skip
    lines.append("")
    return lines


def _alignment_lines(al: dict) -> list[str]:
    """The alignment section: each architecture's configurations and the strategies."""
    lines = ["## Alignment", "", al["method"], ""]
    for arch, a in al["architectures"].items():
        lines += [f"### {arch}", "",
                  f"Baseline balanced accuracy {a['baseline']['balanced_accuracy']:.3f} "
                  f"({a['baseline']['n_seeds']} seeds, {a['n_test_subjects']} test "
                  f"subjects). Configurations: {a['n_configurations']}, help "
                  f"{a['configurations_help']}, hurt {a['configurations_hurt']}. "
                  f"Strategies: help {a['strategies_help']}, hurt {a['strategies_hurt']} of "
                  f"{len(a['strategies'])}.", ""]  # fmt: skip
        lines += _table(
            ["strategy", "weight", "BA", "delta mean", "p", "p Holm", "verdict"],
            [[r["strategy"], r["weight"], r["balanced_accuracy"], r["delta_mean"], r["p"],
              r["p_holm"], r["verdict"]] for r in a["configurations"]],
        )  # fmt: skip
        lines.append("")
    lines += [f"Strategies that hurt on every architecture: "
              f"{al['strategies_hurt_everywhere']}; that help on one at least: "
              f"{al['strategies_help_somewhere']} (of {len(al['strategies'])}).",
              ""]  # fmt: skip
    lines += ["### The study's 25 strategies (names are our reconstruction)", ""]
    lines += _table(
        ["#", "name (reconstructed)", "family", "implemented as"],
        [[i + 1, s["name"], s["family"], s["implemented"] or "not implemented"]
         for i, s in enumerate(al["study_strategies"])],
    )  # fmt: skip
    lines.append("")
    return lines


def _saturation_lines(s: dict) -> list[str]:
    """The saturation section, with the ablation when it ran."""
    lines = ["## Saturation", "", s["method"] + ".", ""]
    lines += _table(
        ["run", "BA", "class share", "V-dir share", "residual share", "final LOCO rho"],
        [[k, v["balanced_accuracy"], v["mean"]["class_share"], v["mean"]["vdir_share"],
          v["mean"]["residual_share"], v["final"]["loco_spearman"]]
         for k, v in s["runs"].items()],
    )  # fmt: skip
    lines.append("")
    if s.get("ablation"):
        lines += _ablation_lines(s["ablation"])
    return lines


def _ablation_lines(ab: dict) -> list[str]:
    o = ab["overall"]
    lines = ["### Ablation of the within-class residual", "", ab["method"], "",
             f"Over {o['n_classifiers']} label-only classifiers, removing the residual costs "
             f"{o['loss_class_span']:.3f} balanced accuracy on average (Wilcoxon over "
             f"classifiers p = {o['p_class_span']:.3g}); removing the class-centroid span costs "
             f"{o['loss_residual']:.3f} (p = {o['p_residual']:.3g}).", ""]  # fmt: skip
    lines += _table(
        ["architecture", "classifiers", "BA full", "BA residual removed", "loss", "p Holm",
         "BA span removed", "loss", "p Holm"],
        [[k, v["n_classifiers"], v["full"], v["class_span"], v["loss_class_span"],
          v["p_class_span_holm"], v["residual"], v["loss_residual"], v["p_residual_holm"]]
         for k, v in ab["architectures"].items()],
    )  # fmt: skip
    lines += ["", "Per classifier:", ""]
    lines += _table(
        ["architecture", "seed", "width", "span dims", "BA full", "residual removed",
         "span removed"],
        [[c["arch"], c["seed"], c["n_features"], c["span_dims"], c["full"], c["class_span"],
          c["residual"]] for c in ab["classifiers"]],
    )  # fmt: skip
    return lines + [""]


def write_report(summary: dict, out: Path) -> dict:
    """Write the PNGs and report.md into ``out``; return their file names."""
    plots = {}
    for name, plot in _plots(summary).items():
        plot(summary, out / f"{name}.png")
        plots[name] = f"{name}.png"
    (out / "report.md").write_text(_markdown(summary, plots))
    return {"markdown": "report.md", "plots": plots}
