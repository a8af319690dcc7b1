"""``vaxis live``, ``vaxis replay`` and ``vaxis calibrate``: the commands on the live path.

None of them imports torch. ``live`` and ``calibrate`` stop cleanly on SIGINT/SIGTERM
(:mod:`vaxis._cli.signals`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from vaxis._cli.options import ProfileOption, defaults
from vaxis._cli.render import console
from vaxis._cli.signals import exit_on_stop, stop_on_signal
from vaxis.calibration.config import CalibrationConfig
from vaxis.errors import StreamError
from vaxis.stream.config import LiveConfig

#: The library's defaults, which the options below show and pass on.
LIVE, CALIBRATION = defaults(LiveConfig), defaults(CalibrationConfig)

Streams = Annotated[
    list[str] | None, typer.Option(help="LSL stream name; repeat to decode several.")
]
Zmq = Annotated[str, typer.Option(help="ZeroMQ PUB endpoint ('' for none).")]
LslOut = Annotated[str | None, typer.Option(help="Name of an LSL outlet of predictions.")]
AllowRemote = Annotated[bool, typer.Option(help="Bind --zmq beyond loopback without a warning.")]
ConnectTimeout = Annotated[float, typer.Option(help="Seconds to find the stream.")]
ConnectTimeouts = Annotated[float, typer.Option(help="Seconds to find the streams.")]
Recording = Annotated[Path, typer.Argument(help="FIF/EDF/BDF/BrainVision/EEGLAB/XDF/FACED .pkl.")]
Realtime = Annotated[
    bool, typer.Option("--realtime/--fast", help="Play over LSL into the live loop.")
]
ReplayZmq = Annotated[str, typer.Option(help="--realtime: ZeroMQ PUB endpoint ('' for none).")]
ReplayLslOut = Annotated[str | None, typer.Option(help="--realtime: LSL outlet name.")]
ReplayAllowRemote = Annotated[
    bool, typer.Option(help="--realtime: bind --zmq beyond loopback without a warning.")
]
AdaptFrom = Annotated[
    Path | None, typer.Option(help="Adapt from this recording instead of recording one.")
]


def live(
    bundle: Annotated[Path, typer.Option(help="Bundle directory (model.onnx + bundle.json).")],
    stream: Streams = None,
    type: Annotated[str | None, typer.Option("--type", help="LSL stream type.")] = None,
    source_id: Annotated[str | None, typer.Option(help="LSL source id.")] = None,
    profile: ProfileOption = None,
    zmq: Zmq = LIVE["zmq"],
    lsl_out: LslOut = None,
    window: Annotated[float | None, typer.Option(help="Window in s (bundle's).")] = None,
    hop: Annotated[float | None, typer.Option(help="Hop in s (default: the bundle's).")] = None,
    dashboard: Annotated[bool, typer.Option(help="Rich dashboard, or log lines.")] = True,
    duration: Annotated[float | None, typer.Option(help="Stop after this many seconds.")] = None,
    connect_timeout: ConnectTimeout = LIVE["connect_timeout"],
    allow_remote: AllowRemote = LIVE["allow_remote"],
    workers: Annotated[
        int, typer.Option(help="Decode threads for several streams (1: the loop's own).")
    ] = LIVE["workers"],
) -> None:
    """Decode EEG streams live: LSL in, predictions out over ZeroMQ (and LSL)."""
    exit_on_stop()
    from vaxis.stream.memory import limit_malloc_arenas

    limit_malloc_arenas()  # before any decoding or LSL thread exists
    import mne_lsl

    from vaxis._cli.render import live_view, print_live_summaries
    from vaxis.decoder.bundle import load_bundle
    from vaxis.stream.runner import run_live_many

    if not (stream or type or source_id):
        raise StreamError("say which stream to read: --stream NAME, --type or --source-id")
    names: list[str | None] = [*stream] if stream else [None]
    several = len(names) > 1
    configs = [
        LiveConfig(bundle=bundle, stream=name, stype=type, source_id=source_id, profile=profile,
                   zmq=zmq or None, lsl_out=f"{lsl_out}-{name}" if lsl_out and several
                   else lsl_out or None, window_s=window, hop_s=hop, duration=duration,
                   connect_timeout=connect_timeout, allow_remote=allow_remote,
                   workers=workers)
        for name in names
    ]  # fmt: skip
    stop = stop_on_signal()
    # A lost stream is reported in our status messages; mne-lsl's traceback would only alarm.
    mne_lsl.set_log_level("CRITICAL")
    with live_view(load_bundle(bundle).classes if dashboard else None) as (
        on_prediction,
        on_status,
    ):
        summaries = run_live_many(configs, stop, on_prediction, on_status)
    print_live_summaries(configs, summaries)


def replay(
    file: Recording,
    bundle: Annotated[Path, typer.Option(help="Bundle directory.")],
    realtime: Realtime = False,
    profile: ProfileOption = None,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="predictions.csv")] = None,
    plot: Annotated[Path | None, typer.Option(help="PNG of the valence trace.")] = None,
    zmq: ReplayZmq = LIVE["zmq"],
    lsl_out: ReplayLslOut = None,
    allow_remote: ReplayAllowRemote = LIVE["allow_remote"],
) -> None:
    """Decode a recording: as fast as possible, or in real time through the live loop.

    Exits 1 when no window is valid (the CSV is written first, with each window's reason).
    """
    import time

    from vaxis._cli.render import prediction_printer, print_replay
    from vaxis.decoder.bundle import load_bundle
    from vaxis.errors import DataError
    from vaxis.stream import replay as rp
    from vaxis.stream.recordings import read_recording

    raw = read_recording(file)
    meta = load_bundle(bundle)
    start = time.perf_counter()
    if realtime:
        result = rp.replay_realtime(raw, bundle, profile, zmq or None, lsl_out or None,
                                    on_prediction=prediction_printer(),
                                    allow_remote=allow_remote)  # fmt: skip
    else:
        result = rp.replay_fast(raw, bundle, profile)
    elapsed = time.perf_counter() - start
    rp.attach_labels(result, raw)
    print_replay(result, meta.synthetic, elapsed, raw.times[-1])
    if out:
        rp.write_csv(result, out)
        console.print(f"wrote {out}")
    if plot:
        rp.plot_trace(result, meta.valence_positions, plot)
    if not any(r["valid"] for r in result.rows):
        raise DataError(f"{file}: no valid window among {len(result.rows)}: nothing was decoded")


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
    recording: AdaptFrom = None,
    duration: Annotated[float | None, typer.Option(help="Stop recording after S seconds.")] = None,
    connect_timeout: ConnectTimeouts = CALIBRATION["connect_timeout"],
) -> None:
    """Record a calibration session (EEG + markers over LSL) and write a participant profile.

    SIGINT/SIGTERM stop the session: the recording is kept, and no profile is fitted on a
    session that did not reach its end (adapt it later with --recording).
    """
    exit_on_stop()
    from vaxis._cli.render import print_calibration
    from vaxis.calibration.session import calibrate as run

    if recording is None and not (stream or type or source_id):
        raise StreamError("say which EEG stream to record: --stream NAME, --type or --source-id")
    if recording is None and not (markers or protocol):
        raise StreamError("say where the markers come from: --markers NAME or --protocol FILE")
    config = CalibrationConfig(bundle=bundle, participant=participant, out=out, stream=stream,
                               stype=type, source_id=source_id, markers=markers,
                               protocol=protocol, duration=duration,
                               connect_timeout=connect_timeout)  # fmt: skip
    stop = stop_on_signal()
    _show_session_progress()
    print_calibration(config, run(config, stop, recording))


def _show_session_progress() -> None:
    """A session's progress (each marker, the recording's path and length) is what this
    command shows while it runs: the calibration loggers' ``INFO`` lines, unless ``--quiet``."""
    if logging.getLogger("vaxis").getEffectiveLevel() <= logging.WARNING:
        logging.getLogger("vaxis.calibration").setLevel(logging.INFO)
