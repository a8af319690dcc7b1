"""The ``vaxis`` command. Thin: parse arguments, then call one function per sub-command.

Heavy imports (torch, transformers, mne) happen inside the commands that need them, so
``vaxis --help`` and the live commands start quickly.
"""

from __future__ import annotations

import os
import signal
import sys


def _exit_now(signum, frame) -> None:
    # Nothing is open yet, and a SystemExit raised inside an import can be caught and
    # re-raised as another error by the import machinery: leave at once.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# Run as the vaxis program (not imported as a library), a stop request that comes before any
# command has started ends the process at once, with exit code 0: this precedes even the
# imports below.
if __name__ == "__main__" or sys.argv[0].rsplit("/", 1)[-1] == "vaxis":
    for _signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(_signum, _exit_now)

import logging  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated  # noqa: E402

import typer  # noqa: E402
from rich.console import Console  # noqa: E402

from vaxis.errors import StreamError, VaxisError  # noqa: E402

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__.splitlines()[0])
data_app = typer.Typer(no_args_is_help=True, help="Corpora: synthesise and inspect.")
app.add_typer(data_app, name="data")

console = Console(stderr=True)


def _exit_on_stop() -> None:
    """Until a command can stop cleanly, SIGINT/SIGTERM end the process at once with exit
    code 0: nothing has been opened or written yet. Installed before the heavy imports."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _exit_now)


def _stop_on_signal() -> threading.Event:
    """From here on SIGINT/SIGTERM set the returned event; the command stops cleanly."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


@data_app.command("synth")
def data_synth(
    out: Annotated[Path, typer.Argument(help="Directory to write the corpus into.")],
    subjects: Annotated[int, typer.Option(help="Number of subjects.")] = 12,
    seconds: Annotated[int, typer.Option(help="Seconds per clip (FACED: 30).")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    format: Annotated[str, typer.Option(help="processed, de or both.")] = "both",
    layout: Annotated[str, typer.Option(help="faced, or seedv (SEED-V's, FIF sessions).")] = (
        "faced"
    ),
    structure: Annotated[
        str,
        typer.Option(
            help="power: all class information in band power (the null control); mixed: "
            "spread over band power, coupling, slow dynamics and subject subgroups."
        ),
    ] = "power",
) -> None:
    """Write a synthetic corpus in FACED's (or SEED-V's) published layouts."""
    from vaxis.offline.corpus.synthetic import write_synthetic_faced

    if layout == "seedv" and structure != "power":
        raise typer.BadParameter(f"--structure {structure} is only written in the faced layout")
    if layout == "seedv":
        from vaxis.offline.corpus.synthetic_seedv import write_synthetic_seedv

        write_synthetic_seedv(out, n_subjects=subjects, seed=seed)
        console.print(f"wrote a SYNTHETIC SEED-V-layout corpus of {subjects} subjects to {out}")
        return
    if layout != "faced":
        raise typer.BadParameter(f"--layout must be faced or seedv, got {layout!r}")
    write_synthetic_faced(
        out, n_subjects=subjects, seconds=seconds, seed=seed, fmt=format, structure=structure
    )
    console.print(
        f"wrote a SYNTHETIC FACED-format corpus ({structure} structure) of {subjects} subjects "
        f"to {out}"
    )


@data_app.command("info")
def data_info(
    path: Annotated[Path, typer.Argument(help="Corpus directory or file.")],
    format: Annotated[
        str, typer.Option(help="auto, faced-processed, faced-de, bids, seed-v.")
    ] = "auto",
    channel_order: Annotated[
        str | None,
        typer.Option(help="FACED row order: mastoids-last, mastoids-after-t8 or 32 names."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Open and validate every subject file.")
    ] = False,
) -> None:
    """Print a corpus's format, subjects, clips, channels, rate, classes and provenance."""
    from rich.markup import escape

    from vaxis.errors import DataError
    from vaxis.offline.corpus import open_corpus, print_summary
    from vaxis.offline.corpus.check import check_corpus

    corpus = open_corpus(path, format=format, channels=channel_order)
    print_summary(corpus)
    if not check:
        return

    def report(result) -> None:
        if not result.ok:
            console.print(f"[red]bad[/] {result.subject_id}: {escape(result.problem)}",
                          highlight=False, soft_wrap=True)  # fmt: skip

    results = check_corpus(corpus, report)
    bad = [r for r in results if not r.ok]
    if bad:
        raise DataError(f"{len(bad)} of {len(results)} subject files failed the check")
    console.print(f"checked {len(results)} subject files: all open and hold valid data")


# -- axis commands --

axis_app = typer.Typer(no_args_is_help=True, help="The V-axis: build, project, validate, compare.")
app.add_typer(axis_app, name="axis")


@axis_app.command("build")
def axis_build(
    out: Annotated[Path, typer.Option("-o", "--out", help="axis.json to write.")],
    model: Annotated[
        str | None, typer.Option(help="Model directory or cached hub id (default: MiniLM).")
    ] = None,
    layer: Annotated[str, typer.Option(help="Layer index or 'auto'.")] = "auto",
    pooling: Annotated[str, typer.Option(help="mean or last.")] = "mean",
    sentences: Annotated[
        Path | None, typer.Option(help="JSON {category: sentence or {sentence, side}}.")
    ] = None,
    extra: Annotated[
        Path | None, typer.Option(help="JSON {category: sentence} placed on the axis.")
    ] = None,
    template: Annotated[str, typer.Option(help="Wraps projected words.")] = "The word is: {}.",
    plot: Annotated[Path | None, typer.Option(help="PNG of the categories.")] = None,
) -> None:
    """Build the V-axis from category sentences (default: FACED's nine; happy, sad placed)."""
    from rich.table import Table

    from vaxis.offline.axis import save_axis
    from vaxis.offline.axis.build import build_axis, load_extra, load_sentences
    from vaxis.offline.axis.validate import plot_positions

    chosen = "auto" if layer == "auto" else _int_option(layer, "--layer")
    chosen_sentences = load_sentences(sentences)
    if extra:
        chosen_sentences = chosen_sentences.with_placed(load_extra(extra))
    axis = build_axis(model, chosen, pooling, chosen_sentences, template)
    save_axis(axis, out)
    table = Table(title=f"V-axis: {axis.model}, layer {axis.layer}, {axis.pooling} pooling")
    table.add_column("category")
    table.add_column("position", justify="right")
    table.add_column("role")
    for category, position in sorted(axis.positions.items(), key=lambda kv: kv[1]):
        table.add_row(category, f"{position:+.3f}",
                      "placed" if category in axis.placed else "defines")  # fmt: skip
    Console().print(table)
    if plot:
        plot_positions(axis, plot)
    console.print(f"wrote {out}")


def _int_option(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise typer.BadParameter(f"{name} must be an integer or 'auto', got {value!r}") from None


@axis_app.command("project")
def axis_project(
    axis: Annotated[Path, typer.Argument(help="axis.json")],
    texts: Annotated[list[str] | None, typer.Argument(help="Texts to project.")] = None,
    text_file: Annotated[Path | None, typer.Option(help="One text per line.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """Print the axis position of each text, in input order."""
    import json

    from vaxis.errors import DataError
    from vaxis.offline.axis import load_axis
    from vaxis.offline.axis.build import project

    items = list(texts or [])
    if text_file:
        try:
            items += [t for t in text_file.read_text(encoding="utf-8").splitlines() if t.strip()]
        except OSError as err:
            raise DataError(f"{text_file}: {err.strerror}") from None
    if not items:
        raise DataError("nothing to project: give TEXT arguments or --text-file")
    scores = project(load_axis(axis), items)
    if json_out:
        print(json.dumps([round(float(s), 6) for s in scores]))
    else:
        for text, score in zip(items, scores, strict=True):
            print(f"{score:+.4f}\t{text}")


@axis_app.command("validate")
def axis_validate(
    axis: Annotated[Path, typer.Argument(help="axis.json")],
    lexicon: Annotated[str, typer.Option(help="'vader' or a word<TAB>rating file.")] = "vader",
    plot: Annotated[Path | None, typer.Option(help="PNG of scores against ratings.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures.")] = None,
) -> None:
    """Zero-shot transfer to a human-rated valence lexicon."""
    import json

    from vaxis.offline.axis import load_axis
    from vaxis.offline.axis.validate import plot_lexicon, validate

    result = validate(load_axis(axis), lexicon)
    figures = {k: v for k, v in result.items() if not k.startswith("_")}
    print(f"{figures['lexicon']}: {figures['n_words']} words ({figures['n_clear']} with "
          f"|rating| >= 1): Pearson {figures['pearson']:.3f}  Spearman {figures['spearman']:.3f}"
          f"  accuracy {figures['accuracy']:.3f}  ROC AUC {figures['roc_auc']:.3f}")  # fmt: skip
    if plot:
        plot_lexicon(result, plot)
    if json_out:
        json_out.write_text(json.dumps(figures, indent=2) + "\n")


@axis_app.command("compare")
def axis_compare(
    axes: Annotated[list[Path], typer.Argument(help="Two or more axis.json files.")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Folder for JSON, PNG.")] = None,
    lexicon: Annotated[str | None, typer.Option(help="Also compare lexicon scores.")] = None,
) -> None:
    """Cross-model consistency of the nine category positions."""
    import json

    from vaxis.errors import DataError
    from vaxis.offline.axis import load_axis
    from vaxis.offline.axis.validate import compare, plot_compare

    if len(axes) < 2:
        raise DataError("compare needs at least two axis files")
    result = compare([load_axis(a) for a in axes], [a.stem for a in axes], lexicon)
    print(json.dumps(result, indent=2))
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / "compare.json").write_text(json.dumps(result, indent=2) + "\n")
        plot_compare(result, out / "compare.png")


# -- train command --


@app.command("train")
def train(
    data: Annotated[Path, typer.Option(help="Raw corpus directory (FACED, BIDS, SEED-V).")],
    axis: Annotated[Path, typer.Option(help="axis.json with the categories' positions.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Bundle directory to write.")],
    format: Annotated[
        str, typer.Option(help="auto, faced-processed, faced-de, bids, seed-v.")
    ] = "auto",
    protocol: Annotated[
        str,
        typer.Option(
            help="Named evaluation preset: vaxis, faced-cbramod, seedv-cbramod "
            "(rate, window, channels, scaling, split, seeds; options below override)."
        ),
    ] = "vaxis",
    split: Annotated[
        str | None, typer.Option(help="faced (CBraMod's split), kfold or session-trials.")
    ] = None,
    folds: Annotated[int, typer.Option(help="k of --split kfold.")] = 5,
    members: Annotated[int, typer.Option(help="Most members of the residual ensemble.")] = 5,
    pool: Annotated[int, typer.Option(help="Candidate members trained per fold.")] = 12,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "cpu",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    window: Annotated[float | None, typer.Option(help="Window length in seconds.")] = None,
    hop: Annotated[float | None, typer.Option(help="Hop between windows in seconds.")] = None,
    epochs: Annotated[int, typer.Option(help="Most epochs per member.")] = 30,
    quick: Annotated[
        bool, typer.Option(help="Small pool and few epochs (overrides --pool/--members/--epochs).")
    ] = False,
    init: Annotated[
        Path | None,
        typer.Option(
            help="Local CBraMod checkpoint (the authors' pretrained weights) that "
            "CBraMod members fine-tune from."
        ),
    ] = None,
    normalisation: Annotated[
        str | None,
        typer.Option(
            help="causal (as live decoding; reported figures), subject "
            "(transductive), population (training prior only)."
        ),  # fmt: skip
    ] = None,
    combine: Annotated[
        str,
        typer.Option(
            help="Combination the bundle ships: auto (the best on the validation "
            "subjects), stacking, caruana, greedy, mean."
        ),  # fmt: skip
    ] = "auto",
    archs: Annotated[
        str | None, typer.Option(help="Comma-separated architectures of the pool (default: all).")
    ] = None,
    seeds: Annotated[
        int | None, typer.Option(help="Training runs, successive seeds (mean +- sd).")
    ] = None,
    n_jobs: Annotated[int, typer.Option(help="Members trained side by side (-1: all cores).")] = 1,
    ray: Annotated[
        str | None, typer.Option(help="Train members on Ray: 'local' or a cluster address.")
    ] = None,
) -> None:
    """Train the residual ensemble and export a bundle (model.onnx + bundle.json + report/)."""
    from vaxis.offline.protocols import get_protocol
    from vaxis.offline.train import TrainConfig, train_bundle
    from vaxis.progress import ProgressBars

    settings = {**get_protocol(protocol).settings(), "folds": folds, "device": device,
                "seed": seed, "init": None if init is None else str(init), "combine": combine,
                "n_jobs": n_jobs, "ray": ray}  # fmt: skip
    explicit = {"split": split, "window_s": window, "hop_s": hop,
                "normalisation": normalisation, "seeds": seeds}  # fmt: skip
    settings.update({k: v for k, v in explicit.items() if v is not None})
    if archs:
        settings["archs"] = tuple(a.strip() for a in archs.split(",") if a.strip())
    config = (
        TrainConfig.quick(**settings)
        if quick
        else TrainConfig(pool=pool, members=members, epochs=epochs, **settings)
    )
    with ProgressBars(console) as bars:
        result = train_bundle(data, axis, out, config, format=format, progress=bars)
    _print_training(result, out)


def _print_training(result, out: Path) -> None:
    """The test figures of ``vaxis train``, and where the bundle went."""
    m = result.metrics
    label = "SYNTHETIC " if result.synthetic else ""
    console.print(f"protocol {m['config']['protocol']}, test subjects, "
                  f"{m['config']['normalisation']} normalisation:")  # fmt: skip
    for name in ("best_member", "naive_average", "stacking", "caruana", "greedy",
                 "residual_ensemble"):  # fmt: skip
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


# -- study command --


@app.command("study")
def study(
    analysis: Annotated[
        str, typer.Argument(help="mapping, rediscovery, alignment, saturation or all.")
    ],
    data: Annotated[Path, typer.Option(help="Corpus directory or file (raw or DE).")],
    axis: Annotated[Path, typer.Option(help="axis.json with the categories' positions.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Report directory.")],
    quick: Annotated[bool, typer.Option(help="Small grids, few epochs.")] = False,
    n_jobs: Annotated[int, typer.Option(help="joblib workers for the sweeps.")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    ray: Annotated[
        str | None, typer.Option(help="Run sweeps on Ray: 'local' or a cluster address.")
    ] = None,
    device: Annotated[str, typer.Option(help="Torch device for the classifiers.")] = "cpu",
    protocol: Annotated[
        str,
        typer.Option(
            help="Named evaluation preset, as vaxis train's: vaxis, faced-cbramod, "
            "seedv-cbramod (rate, windows, channels, scaling, split)."
        ),
    ] = "vaxis",
    normalisation: Annotated[
        str | None,
        typer.Option(
            help="Every analysis's inputs: causal (as live decoding), subject "
            "(transductive), population (training prior only); default: the protocol's."
        ),
    ] = None,
) -> None:
    """Reproduce the study: mapping, rediscovery, alignment strategies, saturation."""
    from vaxis.offline.study import run_study

    summary = run_study(analysis, data, axis, out, quick=quick, ray_address=ray, seed=seed,
                        n_jobs=n_jobs, device=device, normalisation=normalisation,
                        protocol=protocol)  # fmt: skip
    label = "SYNTHETIC " if summary.synthetic else ""
    n = summary.normalisation
    scaling = n["name"] + (" (TRANSDUCTIVE)" if n["transductive"] else "")
    console.print(f"protocol {summary.protocol['name']}, {scaling} normalisation: wrote the "
                  f"{label}study report to {out}/report.md and {out}/summary.json")  # fmt: skip


# -- live command --


@app.command("live")
def live(
    bundle: Annotated[Path, typer.Option(help="Bundle directory (model.onnx + bundle.json).")],
    stream: Annotated[
        list[str] | None, typer.Option(help="LSL stream name; repeat to decode several.")
    ] = None,
    type: Annotated[str | None, typer.Option("--type", help="LSL stream type.")] = None,
    source_id: Annotated[str | None, typer.Option(help="LSL source id.")] = None,
    profile: Annotated[Path | None, typer.Option(help="Participant profile directory.")] = None,
    zmq: Annotated[str, typer.Option(help="ZeroMQ PUB endpoint ('' for none).")] = (
        "tcp://127.0.0.1:5556"
    ),
    lsl_out: Annotated[str | None, typer.Option(help="Name of an LSL outlet of predictions.")] = (
        None
    ),
    window: Annotated[float | None, typer.Option(help="Window in s (bundle's).")] = None,
    hop: Annotated[float | None, typer.Option(help="Hop in s (default: the bundle's).")] = None,
    dashboard: Annotated[bool, typer.Option(help="Rich dashboard, or log lines.")] = True,
    duration: Annotated[float | None, typer.Option(help="Stop after this many seconds.")] = None,
    connect_timeout: Annotated[float, typer.Option(help="Seconds to find the stream.")] = 10.0,
    allow_remote: Annotated[
        bool, typer.Option(help="Bind --zmq beyond loopback without a warning.")
    ] = False,
) -> None:
    """Decode EEG streams live: LSL in, predictions out over ZeroMQ (and LSL)."""
    _exit_on_stop()
    import mne_lsl

    from vaxis.decoder.bundle import load_bundle
    from vaxis.stream.dashboard import Dashboard, log_line
    from vaxis.stream.loop import LiveConfig, run_live_many

    names = stream or [None]
    several = len(names) > 1
    configs = [
        LiveConfig(bundle, name, type, source_id, profile, zmq or None,
                   f"{lsl_out}-{name}" if lsl_out and several else lsl_out,
                   window, hop, duration, connect_timeout, allow_remote=allow_remote)
        for name in names
    ]  # fmt: skip
    stop = _stop_on_signal()
    # A lost stream is reported in our status messages; mne-lsl's traceback would only alarm.
    mne_lsl.set_log_level("CRITICAL")
    out = Console()
    if dashboard:
        with Dashboard(load_bundle(bundle).classes, console=out) as board:
            summaries = run_live_many(configs, stop, board.on_prediction, board.on_status)
    else:
        summaries = run_live_many(
            configs,
            stop,
            on_prediction=lambda m: out.print(log_line(m), highlight=False),
            on_status=lambda m: console.print(
                f"status {m['stream']}: {m['state']}, {m['counters']}", highlight=False
            ),
        )
    for config, summary in zip(configs, summaries, strict=True):
        console.print(
            f"stopped {config.stream or config.stype or config.source_id}: {summary.windows} "
            f"windows, {summary.invalid} invalid, {summary.dropped} dropped, "
            f"latency {summary.percentiles()} ms"
        )


# -- replay and calibrate commands --


@app.command("replay")
def replay(
    file: Annotated[Path, typer.Argument(help="FIF/EDF/BDF/BrainVision/EEGLAB/XDF/FACED .pkl.")],
    bundle: Annotated[Path, typer.Option(help="Bundle directory.")],
    realtime: Annotated[
        bool, typer.Option("--realtime/--fast", help="Play over LSL into the live loop.")
    ] = False,
    profile: Annotated[Path | None, typer.Option(help="Participant profile directory.")] = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="predictions.csv")] = None,
    plot: Annotated[Path | None, typer.Option(help="PNG of the valence trace.")] = None,
    zmq: Annotated[str, typer.Option(help="--realtime: ZeroMQ PUB endpoint ('' for none).")] = (
        "tcp://127.0.0.1:5556"
    ),
    lsl_out: Annotated[str | None, typer.Option(help="--realtime: LSL outlet name.")] = None,
    allow_remote: Annotated[
        bool, typer.Option(help="--realtime: bind --zmq beyond loopback without a warning.")
    ] = False,
) -> None:
    """Decode a recording: as fast as possible, or in real time through the live loop.

    Exits 1 when no window is valid (the CSV is written first, with each window's reason).
    """
    import time

    from rich.table import Table

    from vaxis.decoder.bundle import load_bundle
    from vaxis.errors import DataError
    from vaxis.stream import replay as rp
    from vaxis.stream.dashboard import log_line
    from vaxis.stream.recordings import read_recording

    raw = read_recording(file)
    meta = load_bundle(bundle)
    start = time.perf_counter()
    if realtime:
        printer = Console()
        result = rp.replay_realtime(raw, bundle, profile, zmq or None, lsl_out,
                                    on_prediction=lambda m: printer.print(log_line(m)),
                                    allow_remote=allow_remote)  # fmt: skip
    else:
        result = rp.replay_fast(raw, bundle, profile)
    elapsed = time.perf_counter() - start
    rp.attach_labels(result, raw)
    tag = "SYNTHETIC bundle, " if meta.synthetic else ""
    n_valid = sum(r["valid"] for r in result.rows)
    console.print(f"{tag}{len(result.rows)} windows ({n_valid} valid) in {elapsed:.2f} s "
                  f"({raw.times[-1] / elapsed:.0f}x real time, {result.mode})")  # fmt: skip
    reasons = rp.invalid_reasons(result)
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
    if out:
        rp.write_csv(result, out)
        console.print(f"wrote {out}")
    if plot:
        rp.plot_trace(result, meta.valence_positions, plot)
    if not n_valid:
        raise DataError(f"{file}: no valid window among {len(result.rows)}: nothing was decoded")


@app.command("calibrate")
def calibrate(
    bundle: Annotated[Path, typer.Option(help="Bundle directory.")],
    participant: Annotated[str, typer.Option(help="Participant id.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Profile directory (profiles/ID/).")],
    stream: Annotated[str | None, typer.Option(help="EEG LSL stream name.")] = None,
    type: Annotated[str | None, typer.Option("--type", help="EEG LSL stream type.")] = None,
    source_id: Annotated[str | None, typer.Option(help="EEG LSL source id.")] = None,
    markers: Annotated[str | None, typer.Option(help="LSL marker stream name.")] = None,
    protocol: Annotated[
        Path | None, typer.Option(help="Protocol JSON: vaxis sends the markers itself.")
    ] = None,
    recording: Annotated[
        Path | None, typer.Option(help="Adapt from this recording instead of recording one.")
    ] = None,
    duration: Annotated[float | None, typer.Option(help="Stop recording after S seconds.")] = None,
    connect_timeout: Annotated[float, typer.Option(help="Seconds to find the streams.")] = 10.0,
) -> None:
    """Record a calibration session (EEG + markers over LSL) and write a participant profile.

    SIGINT/SIGTERM stop the session: the recording is kept, and no profile is fitted on a
    session that did not reach its end (adapt it later with --recording).
    """
    _exit_on_stop()
    from vaxis.calibration.session import CalibrationConfig
    from vaxis.calibration.session import calibrate as run

    if recording is None and not (stream or type or source_id):
        raise StreamError("say which EEG stream to record: --stream NAME, --type or --source-id")
    config = CalibrationConfig(bundle, participant, out, stream, type, source_id, markers,
                               protocol, duration, connect_timeout)  # fmt: skip
    stop = _stop_on_signal()
    profile, path = run(config, stop, lambda line: console.print(line, highlight=False),
                        recording)  # fmt: skip
    if profile is None:
        if path is None:
            console.print("stopped before recording began: nothing was recorded")
        else:
            console.print(
                f"stopped before the session ended: the recording is kept at {path}; no "
                f"profile was fitted. Adapt it with: vaxis calibrate --bundle {bundle} "
                f"--recording {path} --participant {participant} -o {out}",
                highlight=False, soft_wrap=True,
            )  # fmt: skip
        return
    m = profile.metrics
    tag = "SYNTHETIC bundle: " if profile.synthetic else ""

    def fmt(x):
        return "n/a" if x is None else f"{x:.3f}"

    console.print(f"recording: {path}")
    if "after" in m:
        console.print(
            f"{tag}held-out balanced accuracy (chance {fmt(m['chance'])}, "
            f"{m['held_out_windows']} windows): no adaptation {fmt(m['before_prior'])}, "
            f"running statistics {fmt(m['before_running'])}, profile {fmt(m['after'])}"
        )
    else:
        console.print(f"not scored: {m.get('note')}")
    console.print(f"wrote profile {out} (vaxis live/replay --profile {out})")


# -- demo command --


@app.command("demo")
def demo(
    out: Annotated[Path, typer.Option(help="Directory for everything the demo writes.")] = Path(
        "demo_out"
    ),
    subjects: Annotated[int, typer.Option(help="Synthetic subjects.")] = 12,
    seconds: Annotated[int, typer.Option(help="Seconds per clip.")] = 20,
    dashboard: Annotated[bool, typer.Option(help="Show the live dashboard.")] = True,
) -> None:
    """The whole story on synthetic data: corpus, V-axis, training, real-time replay."""
    from vaxis.demo import run_demo

    run_demo(out, subjects=subjects, seconds=seconds, dashboard=dashboard)


class _WarningLines(logging.Handler):
    """Library warnings (a bundle without a stamp, a bind beyond loopback, an odd
    annotation) as one ``warning:`` line each on stderr; rich keeps them above a dashboard."""

    def emit(self, record: logging.LogRecord) -> None:
        from rich.markup import escape

        console.print(f"[yellow]warning:[/] {escape(record.getMessage())}", highlight=False,
                      soft_wrap=True)  # fmt: skip


def main() -> None:
    """Entry point: run the app; a user error prints one line and exits 1."""
    library = logging.getLogger("vaxis")
    if not any(isinstance(h, _WarningLines) for h in library.handlers):
        library.addHandler(_WarningLines(logging.WARNING))
    library.propagate = False
    if sys.argv[1:2] not in (["live"], ["calibrate"]):
        # Only live and calibrate stop cleanly on a signal (they take the signals over as
        # they start); the other commands get Python's defaults back (Ctrl-C: exit code 130).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        app(standalone_mode=False)
    except VaxisError as err:
        from rich.markup import escape

        console.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except Exception as err:
        import click

        if isinstance(err, click.exceptions.ClickException):
            err.show()
            sys.exit(err.exit_code)
        if isinstance(err, click.exceptions.Exit):
            sys.exit(err.exit_code)
        raise


if __name__ == "__main__":
    main()
