"""What the ``vaxis`` command prints: tables, summaries, log lines and errors, with rich.

Library functions return typed results and log through :mod:`logging`; only this module
turns them into text. Tables go to stdout; messages, warnings and errors to stderr
(:data:`console`), so that a command's output can be piped.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from vaxis._cli.options import flag_hint
from vaxis.errors import ConfigError

if TYPE_CHECKING:
    from vaxis.calibration.config import CalibrationConfig
    from vaxis.calibration.session import CalibrationResult
    from vaxis.offline.axis import AxisFile, AxisValidation
    from vaxis.offline.corpus import Corpus
    from vaxis.offline.corpus.check import SubjectCheck
    from vaxis.offline.study import StudySummary
    from vaxis.offline.train import TrainResult
    from vaxis.stream.config import LiveConfig
    from vaxis.stream.replay import ReplayResult
    from vaxis.stream.summary import LiveSummary

#: Messages, warnings and errors.
console = Console(stderr=True)

#: The figures ``vaxis train`` prints, in order.
TRAINING_FIGURES = ("best_member", "naive_average", "stacking", "caruana", "greedy",
                    "residual_ensemble")  # fmt: skip


class LogLines(logging.Handler):
    """The library's log records as one line each on stderr (``warning:``, ``error:``, or
    plain below warnings); rich keeps them above a dashboard or progress bars."""

    def emit(self, record: logging.LogRecord) -> None:
        message = escape(record.getMessage())
        if record.levelno >= logging.WARNING:
            message = f"[yellow]{record.levelname.lower()}:[/] {message}"
        console.print(message, highlight=False, soft_wrap=True)


def print_error(err: Exception) -> None:
    """A user error as one ``error:`` line; a :class:`ConfigError`'s names the option that
    sets the parameter its message names (``hop_s ... (--hop)``)."""
    message = str(err)
    if isinstance(err, ConfigError):
        message += flag_hint(message)
    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)


def print_corpus(corpus: Corpus, out: Console | None = None) -> dict:
    """Print ``vaxis data info`` for ``corpus`` as a table; return the facts printed."""
    facts = corpus.summary()
    title = "SYNTHETIC corpus" if corpus.synthetic else f"{corpus.name} corpus"
    table = Table(title=title, show_header=False)
    rate = "1 feature vector / s" if corpus.kind == "de" else f"{corpus.sfreq:g} Hz"
    rows = {
        "format": facts["provenance"].get("format", corpus.name),
        "data": "differential entropy" if corpus.kind == "de" else f"raw EEG ({corpus.unit})",
        "subjects": f"{facts['subjects']} ({corpus.subject_ids[0]} … {corpus.subject_ids[-1]})",
        "trials / subject": str(facts["trials_per_subject"]),
        "clips": str(facts["clips"]),
        "channels": f"{facts['channels']}: {' '.join(corpus.channels)}",
        "sampling": rate,
        "classes": ", ".join(corpus.classes),
        "synthetic": "yes" if corpus.synthetic else "no",
        "source": str(facts["provenance"].get("source", "?")),
    }
    if corpus.bands:
        rows["bands"] = ", ".join(f"{k} {lo:g}-{hi:g}" for k, (lo, hi) in corpus.bands.items())
    if corpus.synthetic:
        prov = facts["provenance"]
        rows["generator"] = f"{prov.get('generator')} seed {prov.get('seed')}"
    for key, value in rows.items():
        table.add_row(key, value)
    (out or Console()).print(table)
    return facts


def print_check_problem(result: SubjectCheck) -> None:
    """One line for a subject file that failed ``vaxis data info --check``."""
    if result.problem is not None:
        console.print(f"[red]bad[/] {result.subject_id}: {escape(result.problem)}",
                      highlight=False, soft_wrap=True)  # fmt: skip


def print_axis(axis: AxisFile, out: Console | None = None) -> None:
    """The categories' positions on a new axis, negative first, as a table (on stdout
    unless ``out`` says where)."""
    table = Table(title=f"V-axis: {axis.model}, layer {axis.layer}, {axis.pooling} pooling")
    table.add_column("category")
    table.add_column("position", justify="right")
    table.add_column("role")
    for category, position in sorted(axis.positions.items(), key=lambda kv: kv[1]):
        table.add_row(category, f"{position:+.3f}",
                      "placed" if category in axis.placed else "defines")  # fmt: skip
    (out or Console()).print(table)


def print_validation(result: AxisValidation) -> None:
    """The lexicon figures of ``vaxis axis validate`` on one line of stdout."""
    auc = "n/a" if result.roc_auc is None else f"{result.roc_auc:.3f}"
    print(f"{result.lexicon}: {result.n_words} words ({result.n_clear} with |rating| >= 1): "
          f"Pearson {result.pearson:.3f}  Spearman {result.spearman:.3f}  "
          f"accuracy {result.accuracy:.3f}  ROC AUC {auc}")  # fmt: skip


def print_training(result: TrainResult, out: Path) -> None:
    """The test figures of ``vaxis train``, and where the bundle went."""
    m = result.metrics
    label = "SYNTHETIC " if result.synthetic else ""
    console.print(f"protocol {m['config']['protocol']}, test subjects, "
                  f"{m['config']['normalisation']} normalisation:")  # fmt: skip
    for name in TRAINING_FIGURES:
        figures = m[name]
        console.print(
            f"{name.replace('_', ' '):>17}: balanced accuracy {figures['balanced_accuracy']:.3f}"
            f"  kappa {figures['kappa']:.3f}  weighted F1 {figures['weighted_f1']:.3f}"
        )
    if "transductive" in m:
        t = m["transductive"]["residual_ensemble"]["balanced_accuracy"]
        console.print(f"(TRANSDUCTIVE, subject statistics of the whole recording: ensemble "
                      f"balanced accuracy {t:.3f}; not what live decoding gets)")  # fmt: skip
    v = m["valence"]
    console.print(
        f"valence r (test): ridge {v['test_r_ridge']:.3f}, expectation "
        f"{v['test_r_expectation']:.3f}; bundle uses {v['source'][0]}"
    )
    console.print(
        f"wrote the {label}bundle to {result.bundle} (report in {out}/report) "
        f"in {result.seconds:.0f} s"
    )


def print_study(summary: StudySummary, out: Path) -> None:
    """The protocol and normalisation of ``vaxis study``, and where its report went."""
    label = "SYNTHETIC " if summary.synthetic else ""
    n = summary.normalisation
    scaling = n["name"] + (" (TRANSDUCTIVE)" if n["transductive"] else "")
    console.print(f"protocol {summary.protocol['name']}, {scaling} normalisation: wrote the "
                  f"{label}study report to {out}/report.md and {out}/summary.json")  # fmt: skip


@contextmanager
def live_view(
    classes: Sequence[str] | None,
) -> Iterator[tuple[Callable[[dict], None], Callable[[dict], None]]]:
    """The ``on_prediction`` and ``on_status`` callbacks of ``vaxis live``: a dashboard of
    ``classes`` on stdout, or (``None``) a line per prediction on stdout and per status on
    stderr, each line led by its stream's name."""
    from vaxis._cli.dashboard import Dashboard, log_line

    if classes is not None:
        with Dashboard(list(classes), console=Console()) as board:
            yield board.on_prediction, board.on_status
        return
    # Plain writes: rich took 67 µs a line, 34 ms a second of the decoding thread at 128
    # streams; print takes a few µs.
    yield (
        lambda m: print(f"{m['stream']} {log_line(m)}", flush=True),
        lambda m: print(
            f"status {m['stream']}: {m['state']}, {m['counters']}", file=sys.stderr, flush=True
        ),
    )


def print_live_summaries(configs: Sequence[LiveConfig], summaries: Sequence[LiveSummary]) -> None:
    """One line per stream decoded by ``vaxis live``: its counters and latencies."""
    for config, summary in zip(configs, summaries, strict=True):
        console.print(
            f"stopped {config.label}: {summary.windows} "
            f"windows, {summary.invalid} invalid, {summary.dropped} dropped, "
            f"latency {summary.percentiles()} ms"
        )


def prediction_printer() -> Callable[[dict], None]:
    """A line on stdout per prediction of ``vaxis replay --realtime``."""
    from vaxis._cli.dashboard import log_line

    out = Console()
    return lambda m: out.print(log_line(m))


def print_replay(result: ReplayResult, synthetic: bool, elapsed: float, seconds: float) -> None:
    """Windows decoded, their speed, invalid windows by reason and, with labels, the
    per-class recall of ``vaxis replay``."""
    from vaxis.stream.replay import invalid_reasons

    tag = "SYNTHETIC bundle, " if synthetic else ""
    n_valid = sum(r["valid"] for r in result.rows)
    console.print(f"{tag}{len(result.rows)} windows ({n_valid} valid) in {elapsed:.2f} s "
                  f"({seconds / elapsed:.0f}x real time, {result.mode})")  # fmt: skip
    reasons = invalid_reasons(result)
    if reasons:
        counts = ", ".join(f"{reason} {n}" for reason, n in reasons.items())
        console.print(f"invalid windows by reason: {counts}")
    if result.metrics:
        table = Table(title=f"balanced accuracy {result.metrics['balanced_accuracy']:.3f} "
                            f"(chance {result.metrics['chance']:.3f})")  # fmt: skip
        table.add_column("class")
        table.add_column("recall", justify="right")
        for cls, recall in result.metrics["per_class_recall"].items():
            table.add_row(cls, f"{recall:.3f}")
        Console().print(table)


def _figure(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def print_calibration(config: CalibrationConfig, result: CalibrationResult) -> None:
    """How ``vaxis calibrate`` ended: nothing recorded, a recording kept without a profile,
    or the profile and its held-out figures."""
    profile, path = result.profile, result.recording
    if profile is None:
        if path is None:
            console.print("stopped before recording began: nothing was recorded")
        else:
            console.print(
                f"stopped before the session ended: the recording is kept at {path}; no "
                f"profile was fitted. Adapt it with: vaxis calibrate --bundle {config.bundle} "
                f"--recording {path} --participant {config.participant} -o {config.out}",
                highlight=False, soft_wrap=True,
            )  # fmt: skip
        return
    m = profile.metrics
    tag = "SYNTHETIC bundle: " if profile.synthetic else ""
    console.print(f"recording: {path}")
    if "after" in m:
        console.print(
            f"{tag}held-out balanced accuracy (chance {_figure(m['chance'])}, "
            f"{m['held_out_windows']} windows): no adaptation {_figure(m['before_prior'])}, "
            f"running statistics {_figure(m['before_running'])}, profile {_figure(m['after'])}"
        )
    else:
        console.print(f"not scored: {m.get('note')}")
    console.print(f"wrote profile {config.out} (vaxis live/replay --profile {config.out})")
