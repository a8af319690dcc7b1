"""Benchmark: ``vaxis replay --fast`` on a 14-minute, 32-channel, 250 Hz recording.

The recording is one SYNTHETIC subject's 28 clips x 30 s concatenated (14 min), replayed
with the bundle of bench/live_latency.py (the default pool, every member kept, trained by
``vaxis train --quick`` on a small SYNTHETIC corpus; or ``--bundle DIR``). Timed: reading
nothing (the recording is in memory) but everything ``replay_fast`` does: channel
picking, windowing, features, normalisation, onnxruntime; in its default batches and, as
the baseline, in batches of 1024 (the default before). Target: >= 2000x real time on the
2-core machine. Usage: ``python bench/replay.py [--bundle DIR] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import mne  # noqa: E402
from _common import median_time, target, write_result  # noqa: E402

from vaxis.decoder.bundle import load_bundle  # noqa: E402
from vaxis.decoder.channels import FACED_CHANNELS  # noqa: E402
from vaxis.offline.corpus.synthetic import synthesize_recording  # noqa: E402
from vaxis.stream.replay import replay_fast  # noqa: E402


def _bundle(tmp: Path) -> Path:
    from vaxis.offline.axis import AxisFile, save_axis
    from vaxis.offline.corpus.synthetic import VALENCE, write_synthetic_faced
    from vaxis.offline.train import TrainConfig, train_bundle

    corpus = write_synthetic_faced(tmp / "corpus", n_subjects=10, seconds=8, fmt="processed")
    planted = AxisFile(positions=dict(VALENCE), model="planted-synthetic", layer=0,
                       pooling="mean", sentences_sha256="none")  # fmt: skip
    axis = save_axis(planted, tmp / "axis.json")
    config = TrainConfig.quick(pool=12, accuracy_floor=0.0)  # as bench/live_latency.py
    return train_bundle(corpus, axis, tmp / "bundle", config).bundle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bundle = args.bundle or _bundle(Path(tmp))
        data, _, _ = synthesize_recording(0, seed=1, seconds=30)
        raw = mne.io.RawArray(data * 1e-6, mne.create_info(list(FACED_CHANNELS), 250.0, "eeg"),
                              verbose=False)  # fmt: skip
        duration = raw.n_times / 250.0
        big_s, big_runs = median_time(lambda: replay_fast(raw, bundle, batch=1024), args.repeat)
        seconds, runs = median_time(lambda: replay_fast(raw, bundle), repeat=args.repeat)
        windows = len(replay_fast(raw, bundle).rows)
        meta = load_bundle(bundle).meta
    speed, big_speed = duration / seconds, duration / big_s
    runs_s = [round(r, 3) for r in runs]
    result = {
        "synthetic": True,
        "description": "replay --fast of a 14-min, 32-ch, 250 Hz SYNTHETIC recording",
        "recording_s": duration,
        "windows": windows,
        "bundle": {
            "model_id": meta["model_id"],
            "inputs": [i["kind"] for i in meta["inputs"]],
            "members": meta.get("onnx", {}).get("members", []),
        },  # fmt: skip
        "median_s": round(seconds, 3),
        "runs_s": runs_s,
        "realtime_factor": round(speed, 1),
        "batch_1024": {
            "median_s": round(big_s, 3),
            "runs_s": [round(r, 3) for r in big_runs],
            "realtime_factor": round(big_speed, 1),
        },  # fmt: skip
        "targets": [
            target(
                "replay --fast, 14-min recording",
                round(speed, 1),
                "x real time",
                ">= 2000x",
                speed >= 2000,
                baseline=round(big_speed, 1),
                ratio=round(speed / big_speed, 2),
            ),
        ],  # fmt: skip
    }
    print(write_result("replay", result))


if __name__ == "__main__":
    main()
