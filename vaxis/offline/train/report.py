"""``BUNDLE/report/``: metrics JSON, a summary table, confusion matrix, per-subject accuracy,
member accuracy against error diversity, valence scatter."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from vaxis.offline.train.evaluate import DECODERS


def _title(text: str, synthetic: bool) -> str:
    return f"SYNTHETIC DATA - {text}" if synthetic else text


def write_report(
    folder: str | Path,
    metrics: dict,
    test: dict[str, np.ndarray],
    classes: list[str],
    synthetic: bool,
) -> list[Path]:
    """Write the report files; every figure's title says SYNTHETIC when the data were.

    Returns the paths written.
    """
    import matplotlib

    matplotlib.use("Agg")

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "metrics.json"]
    written[0].write_text(json.dumps({"synthetic": synthetic, **metrics}, indent=2) + "\n")
    written.append(folder / "confusion_matrix.png")
    _confusion_plot(written[-1], metrics, test, classes, synthetic)
    subjects = sorted(metrics["residual_ensemble"]["per_subject"])
    written.append(folder / "per_subject_accuracy.csv")
    _per_subject_csv(written[-1], metrics, subjects, synthetic)
    written.append(folder / "per_subject_accuracy.png")
    _per_subject_plot(written[-1], metrics, subjects, synthetic)
    written.append(folder / "member_diversity.png")
    _diversity_plot(metrics["folds"][0], written[-1], synthetic)
    written.append(folder / "summary.md")
    written[-1].write_text(summary_table(metrics, synthetic))
    written.append(folder / "valence_scatter.png")
    _valence_scatter(written[-1], metrics, test, synthetic)
    return written


def _confusion_plot(
    path: Path, metrics: dict, test: dict[str, np.ndarray], classes: list[str], synthetic: bool
) -> None:
    """The ensemble's confusion matrix on the test subjects, normalised per true class."""
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    y, pred = test["y"], test["probs_ensemble"].argmax(1)
    cm = confusion_matrix(y, pred, labels=range(len(classes)), normalize="true")
    fig, ax = plt.subplots(figsize=(7, 6))
    im = ax.imshow(cm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ba = metrics["residual_ensemble"]["balanced_accuracy"]
    ax.set_title(_title(f"residual ensemble, test subjects (balanced acc. {ba:.3f})", synthetic))
    fig.colorbar(im, ax=ax, label="share of true class")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _per_subject_csv(path: Path, metrics: dict, subjects: list[str], synthetic: bool) -> None:
    """Every decoder's balanced accuracy on each test subject."""
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["subject", *DECODERS, "synthetic"])
        for s in subjects:
            writer.writerow([s, *(f"{metrics[d]['per_subject'][s]:.4f}" for d in DECODERS),
                             synthetic])  # fmt: skip


def _per_subject_plot(path: Path, metrics: dict, subjects: list[str], synthetic: bool) -> None:
    """Best member, naive average and ensemble on each test subject, against chance."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(subjects)), 4))
    x = np.arange(len(subjects))
    shown = ("best_member", "naive_average", "residual_ensemble")
    for i, name in enumerate(shown):
        values = [metrics[name]["per_subject"][s] for s in subjects]
        ax.bar(x + (i - 1) * 0.27, values, width=0.27, label=name.replace("_", " "))
    ax.axhline(metrics["chance_balanced_accuracy"], color="k", ls="--", lw=1, label="chance")
    ax.set_xticks(x, subjects, rotation=90)
    ax.set_ylabel("balanced accuracy")
    ax.set_title(_title("per-subject balanced accuracy, test subjects", synthetic))
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _valence_scatter(
    path: Path, metrics: dict, test: dict[str, np.ndarray], synthetic: bool
) -> None:
    """Predicted V-axis position of each test window against its category's, for both
    valence read-outs."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    rng = np.random.default_rng(0)
    jitter = rng.uniform(-0.02, 0.02, size=test["target"].size)
    for ax, source in zip(axes, ("ridge", "expectation"), strict=True):
        r = metrics["valence"][f"test_r_{source}"]
        ax.scatter(test["target"] + jitter, test[f"valence_{source}"], s=4, alpha=0.3)
        ax.set_xlabel("V-axis position of the true category")
        ax.set_title(f"{source}: r = {r:.3f}")
    axes[0].set_ylabel("predicted position")
    fig.suptitle(_title("EEG -> V-axis projection, test windows", synthetic))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _diversity_plot(fold: dict, path: Path, synthetic: bool) -> None:
    """Each member's selection accuracy against its error diversity; the floor's rejects
    are hollow, the shipped combination's members ringed."""
    import matplotlib.pyplot as plt

    shipped = set(fold["combinations"][fold["shipped"]]["members"])
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for i, m in enumerate(fold["members"]):
        diversity = m["error_diversity"] if m["error_diversity"] is not None else 0.0
        face = f"C{sorted({x['arch'] for x in fold['members']}).index(m['arch'])}"
        ax.scatter(diversity, m["selection_balanced_accuracy"], s=70 if i in shipped else 35,
                   facecolors=face if m["eligible"] else "none", edgecolors="k" if i in shipped
                   else face, linewidths=1.5)  # fmt: skip
        ax.annotate(m["arch"], (diversity, m["selection_balanced_accuracy"]), fontsize=7,
                    xytext=(3, 3), textcoords="offset points")  # fmt: skip
    ax.set_xlabel("error diversity (1 - mean error correlation with eligible members)")
    ax.set_ylabel("balanced accuracy, selection subjects")
    ax.set_title(_title("members: accuracy vs diversity", synthetic), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def summary_table(metrics: dict, synthetic: bool) -> str:
    """Markdown: every decoder's test figures (mean +- sd over seeds) and Wilcoxon p."""
    seeds = metrics["seeds"]
    lines = [
        f"# {_title('test subjects', synthetic)}",
        "",
        f"{metrics['n_test_subjects']} test subjects, {seeds['n']} seed(s) {seeds['seeds']}; "
        f"chance {metrics['chance_balanced_accuracy']:.3f}. Mean +- sd over seeds; p: paired "
        "Wilcoxon over subjects (seed-averaged) against the best member.",
        "",
        "| decoder | balanced accuracy | kappa | weighted F1 | p vs best member |",
        "|---|---|---|---|---|",
    ]
    for name in DECODERS:
        row = seeds[name]
        test = seeds["wilcoxon"].get(f"{name}_vs_best_member", {})
        p = test.get("p_value")
        cells = [f"{row[k]['mean']:.3f} +- {row[k]['sd']:.3f}"
                 for k in ("balanced_accuracy", "kappa", "weighted_f1")]  # fmt: skip
        lines.append(f"| {name.replace('_', ' ')} | {' | '.join(cells)} | "
                     f"{'-' if p is None else f'{p:.3g}'} |")  # fmt: skip
    return "\n".join(lines) + "\n"
