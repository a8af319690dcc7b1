"""``vaxis demo``: the whole story on embedded defaults, with no data and no network.

1. write a small SYNTHETIC FACED-format corpus;
2. build the V-axis with the packaged language model and show the nine positions;
3. train the baseline members and the residual ensemble, export the bundle, show the
   held-out figures (best member vs ensemble);
4. replay a held-out synthetic subject in real time through LSL into the live loop, with a
   ZeroMQ subscriber printing predictions as they arrive, and the dashboard;
5. a summary table: accuracy, end-to-end latency percentiles, what was synthetic.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from vaxis.offline.train import TrainResult
    from vaxis.stream.replay import ReplayResult

#: One clip per FACED class, in clip order (clip index into the 28).
DEMO_CLIPS = (0, 3, 6, 9, 12, 16, 19, 22, 25)

#: The held-out figures the demo shows, and its summary keeps.
DEMO_FIGURES = ("best_member", "naive_average", "residual_ensemble")

WHAT_WAS_SYNTHETIC = ("the EEG corpus (vaxis data synth), hence the bundle and every accuracy "
                      "figure; the V-axis comes from the real packaged MiniLM")  # fmt: skip


def _subscriber(address: str, console: Console, stop: threading.Event, seen: list) -> None:
    import zmq

    from vaxis.stream.messages import decode

    sock: zmq.Socket = zmq.Context.instance().socket(zmq.SUB)
    sock.setsockopt(zmq.SUBSCRIBE, b"vaxis.prediction")
    sock.setsockopt(zmq.RCVTIMEO, 200)
    sock.connect(address)
    while not stop.is_set():
        try:
            _, message = decode(sock.recv_multipart())
        except zmq.Again:
            continue
        seen.append(message)
        if message["valid"]:
            console.print(f"[dim]zmq subscriber[/] #{message['seq']:<3} {message['label']:<12} "
                          f"valence {message['valence']:+.2f}", highlight=False)  # fmt: skip
        else:
            console.print(f"[dim]zmq subscriber[/] #{message['seq']:<3} invalid: "
                          f"{message['reason']}", highlight=False)  # fmt: skip
    sock.close(linger=0)


def _heldout_recording(corpus: Path, subject: str, seconds: int):
    """The demo clips of a held-out subject as one Raw, each clip annotated with its class."""
    import mne

    from vaxis.decoder.channels import FACED_CHANNELS
    from vaxis.decoder.faced import FACED_CLASSES, FACED_CLIP_LABELS
    from vaxis.safe_pickle import load_array

    clips = load_array(corpus / "Processed_data" / f"{subject}.pkl")
    n = seconds * 250
    data = np.concatenate([clips[c, :, -n:] for c in DEMO_CLIPS], axis=1)
    raw = mne.io.RawArray(data * 1e-6, mne.create_info(list(FACED_CHANNELS), 250.0, "eeg"),
                          verbose=False)  # fmt: skip
    names = [f"stim/{FACED_CLASSES[FACED_CLIP_LABELS[c]]}/{c + 1}" for c in DEMO_CLIPS]
    raw.set_annotations(mne.Annotations(np.arange(len(DEMO_CLIPS)) * seconds, seconds, names))
    return raw


def _corpus(console: Console, out: Path, subjects: int, seconds: int, seed: int) -> Path:
    """Step 1: the SYNTHETIC corpus, written and described."""
    from vaxis._cli.render import print_corpus
    from vaxis.offline.corpus import open_corpus
    from vaxis.offline.corpus.synthetic import SynthParams, write_synthetic_faced

    console.rule("[bold]1 · a SYNTHETIC FACED-format corpus")
    # A clearer planted effect than the FACED-like default (0.1), weaker subject idiosyncrasy
    # and state drift, so a minute of training on a dozen subjects shows decoding (see
    # README, "Synthetic corpus").
    params = SynthParams(effect=0.25, idiosyncrasy=0.5, state=0.2)
    corpus_dir = write_synthetic_faced(out / "corpus", n_subjects=subjects, seconds=seconds,
                                       seed=seed, fmt="processed", params=params)  # fmt: skip
    print_corpus(open_corpus(corpus_dir), console)
    return corpus_dir


def _axis(console: Console, out: Path) -> Path:
    """Step 2: the V-axis from the packaged language model, shown and saved."""
    from vaxis._cli.render import print_axis
    from vaxis.offline.axis import save_axis
    from vaxis.offline.axis.build import build_axis

    console.rule("[bold]2 · the V-axis from the packaged language model")
    with console.status("building the V-axis (MiniLM, nine sentences)"):
        axis = build_axis()
    print_axis(axis, console)
    return save_axis(axis, out / "axis.json")


def _train(console: Console, corpus_dir: Path, axis: Path, out: Path, seed: int) -> TrainResult:
    """Step 3: members, ensemble and bundle; the held-out figures."""
    from vaxis._cli.progress import ProgressBars
    from vaxis.offline.train import TrainConfig, train_bundle

    console.rule("[bold]3 · baseline members, residual ensemble, ONNX bundle")
    with ProgressBars(console) as bars:
        trained = train_bundle(corpus_dir, axis, out / "bundle", TrainConfig.quick(seed=seed),
                               progress=bars)  # fmt: skip
    metrics = trained.metrics
    table = Table(title="held-out subjects (SYNTHETIC data)")
    for column in ("decoder", "balanced acc.", "kappa", "weighted F1"):
        table.add_column(column, justify="left" if column == "decoder" else "right")
    for name in DEMO_FIGURES:
        m = metrics[name]
        table.add_row(name.replace("_", " "), f"{m['balanced_accuracy']:.3f}", f"{m['kappa']:.3f}",
                      f"{m['weighted_f1']:.3f}")  # fmt: skip
    console.print(table)
    console.print(f"chance {metrics['chance_balanced_accuracy']:.3f}; valence read-out r on "
                  f"held-out subjects: ridge {metrics['valence']['test_r_ridge']:.2f}, "
                  f"expectation {metrics['valence']['test_r_expectation']:.2f}")  # fmt: skip
    return trained


def _replay(
    console: Console, corpus_dir: Path, heldout: str, seconds: int, bundle: Path,
    dashboard: bool, zmq_address: str,
) -> tuple[ReplayResult, list[dict]]:  # fmt: skip
    """Step 4: the demo clips of a held-out subject played over LSL into the live loop; a
    ZeroMQ subscriber listens."""
    from vaxis.stream.replay import attach_labels, replay_realtime

    console.rule("[bold]4 · real-time replay of a held-out subject: LSL → vaxis live → ZeroMQ")
    raw = _heldout_recording(corpus_dir, heldout, seconds)
    console.print(f"playing {len(DEMO_CLIPS)} clips of held-out {heldout} "
                  f"({raw.times[-1]:.0f} s) with mne-lsl's PlayerLSL")  # fmt: skip
    stop = threading.Event()
    seen: list[dict] = []
    listener = threading.Thread(target=_subscriber, args=(zmq_address, console, stop, seen),
                                daemon=True)  # fmt: skip
    listener.start()
    if dashboard:
        from vaxis._cli.dashboard import Dashboard
        from vaxis.decoder.bundle import load_bundle

        with Dashboard(load_bundle(bundle).classes, console=console) as board:
            result = replay_realtime(raw, bundle, zmq=zmq_address,
                                     on_prediction=board.on_prediction,
                                     on_status=board.on_status)  # fmt: skip
    else:
        result = replay_realtime(raw, bundle, zmq=zmq_address)
    time.sleep(0.3)
    stop.set()
    listener.join(2)
    return attach_labels(result, raw), seen


def _summary(metrics: dict, heldout: str, result: ReplayResult, seen: list, timings: dict) -> dict:
    """Step 5's figures, as ``summary.json`` holds them."""
    return {
        "synthetic": True,
        "what_was_synthetic": WHAT_WAS_SYNTHETIC,
        "heldout_balanced_accuracy": {
            k: round(metrics[k]["balanced_accuracy"], 4) for k in DEMO_FIGURES
        },
        "chance": metrics["chance_balanced_accuracy"],
        "replay": {
            "subject": heldout,
            "windows": len(result.rows),
            "predictions_received_over_zmq": len(seen),
            "balanced_accuracy": (result.metrics or {}).get("balanced_accuracy"),
        },
        "latency_ms": result.live.percentiles() if result.live else {},
        "timings_s": {k: round(v, 1) for k, v in timings.items()},
    }


def _print_summary(console: Console, summary: dict, decoded: int) -> None:
    """Step 5: the summary table."""
    table = Table(title="vaxis demo — all figures from SYNTHETIC EEG")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for name, value in summary["heldout_balanced_accuracy"].items():
        table.add_row(f"held-out balanced accuracy, {name.replace('_', ' ')}", f"{value:.3f}")
    table.add_row("chance", f"{summary['chance']:.3f}")
    replay = summary["replay"]
    table.add_row(f"replay of {replay['subject']}: windows decoded / received over ZeroMQ / "
                  "scored", f"{decoded} / {replay['predictions_received_over_zmq']} / "
                  f"{replay['windows']}")  # fmt: skip
    if replay["balanced_accuracy"] is not None:
        table.add_row("replay balanced accuracy (9 clips)", f"{replay['balanced_accuracy']:.3f}")
    for key, value in summary["latency_ms"].items():
        table.add_row(f"latency {key} (sample pulled → published)", f"{value} ms")
    table.add_row("synthetic", summary["what_was_synthetic"])
    for key, value in summary["timings_s"].items():
        table.add_row(f"time, {key[:-2]}", f"{value} s")
    console.print(table)


def run_demo(
    out: Path,
    subjects: int = 12,
    seconds: int = 20,
    replay_seconds: int = 8,
    seed: int = 0,
    dashboard: bool = True,
    zmq_address: str = "tcp://127.0.0.1:5599",
) -> dict:
    """Run the five steps; return the summary figures (also written to ``out/summary.json``)."""
    console = Console()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}

    def timed(key: str, step: Callable[..., Any], *args: Any) -> Any:
        start = time.perf_counter()
        value = step(console, *args)
        timings[key] = time.perf_counter() - start
        return value

    corpus_dir = timed("corpus_s", _corpus, out, subjects, seconds, seed)
    axis = timed("axis_s", _axis, out)
    trained = timed("train_s", _train, corpus_dir, axis, out, seed)
    heldout = trained.metrics["folds"][0]["test"][-1]
    result, seen = timed("replay_s", _replay, corpus_dir, heldout, replay_seconds,
                         trained.bundle, dashboard, zmq_address)  # fmt: skip
    console.rule("[bold]5 · summary")
    summary = _summary(trained.metrics, heldout, result, seen, timings)
    _print_summary(console, summary, result.live.windows if result.live else 0)
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    console.print(f"everything is in {out}/ (corpus, axis.json, bundle/ with report/, "
                  "summary.json)")  # fmt: skip
    return summary
