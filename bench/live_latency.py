"""Benchmark: end-to-end latency, CPU and memory of ``vaxis live``.

A pylsl outlet (32 channels, 250 Hz) pushes chunks of 10 samples in real time; ``vaxis live``
runs as its own process with a SYNTHETIC bundle of the default pool with every member kept
(``vaxis train --quick --pool 12``: band-feature, envelope, covariance and ShallowNet
members; or ``--bundle DIR``) at hop 0.25 s and publishes over ZeroMQ; a subscriber here stamps
each prediction on arrival with the LSL clock. Latency = arrival time minus the push time of
the chunk holding the window's last sample (pylsl back-dates the earlier samples of a
chunk, so a sample's own timestamp can be up to a chunk older than its arrival). The live
process's CPU time (``/proc/PID/stat``) over the run, its peak RSS (``VmHWM``) and whether
torch is mapped into it are recorded. Targets (2-core machine): p50 <= 5 ms, p99 <= 15 ms,
CPU <= 10 % of one core, RSS < 250 MB, no torch.

Multi-stream: one ``vaxis live`` process given N ``--stream`` options, N doubling from 2;
it stays real time while every stream gets >= 95 % of its expected predictions and the p99
latency stays under one hop (250 ms). The largest such N is reported.

Usage: ``python bench/live_latency.py [--seconds 60] [--multi-seconds 20] [--bundle DIR]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import pylsl  # noqa: E402
import zmq  # noqa: E402
from _common import target, write_result  # noqa: E402

from vaxis.decoder.channels import FACED_CHANNELS  # noqa: E402
from vaxis.offline.corpus.synthetic import synthesize_recording  # noqa: E402
from vaxis.stream.messages import decode  # noqa: E402

FS, CHUNK = 250.0, 10


def _bundle(tmp: Path) -> Path:
    from vaxis.offline.axis import AxisFile, save_axis
    from vaxis.offline.corpus.synthetic import VALENCE, write_synthetic_faced
    from vaxis.offline.train import TrainConfig, train_bundle

    corpus = write_synthetic_faced(tmp / "corpus", n_subjects=10, seconds=8, fmt="processed")
    planted = AxisFile(positions=dict(VALENCE), model="planted-synthetic", layer=0,
                       pooling="mean", sentences_sha256="none")  # fmt: skip
    axis = save_axis(planted, tmp / "axis.json")
    # The default pool, every member kept: the worst case the default bundle can be.
    config = TrainConfig.quick(pool=12, accuracy_floor=0.0)
    return train_bundle(corpus, axis, tmp / "bundle", config).bundle


def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_status(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _outlet(name: str) -> pylsl.StreamOutlet:
    info = pylsl.StreamInfo(name, "EEG", 32, FS, "float32", name)
    chans = info.desc().append_child("channels")
    for label in FACED_CHANNELS:
        ch = chans.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", "microvolts")
    return pylsl.StreamOutlet(info, CHUNK)


def _push(names: list[str], t0: float, seconds: float, times) -> None:
    """The amplifiers (own process, so the subscriber's clock readings are not delayed by
    them): chunks of 10 samples in real time to every outlet; ``times[i * n_chunks + k]``
    is the LSL time at which outlet ``i`` got chunk ``k``."""
    outlets = [_outlet(n) for n in names]
    data, _, _ = synthesize_recording(0, seed=2, seconds=10)
    n_chunks = len(times) // len(names)
    for k in range(n_chunks):
        due = t0 + (k + 1) * CHUNK / FS
        if (wait := due - pylsl.local_clock()) > 0:
            time.sleep(wait)
        idx = np.arange(k * CHUNK, (k + 1) * CHUNK) % data.shape[1]
        stamps = (t0 + np.arange(k * CHUNK, (k + 1) * CHUNK) / FS).tolist()
        chunk = data[:, idx].T.tolist()
        for i, outlet in enumerate(outlets):
            outlet.push_chunk(chunk, stamps)
            times[i * n_chunks + k] = pylsl.local_clock()
    time.sleep(1.0)


def measure(bundle: Path, n_streams: int, seconds: float) -> dict:
    """Run one ``vaxis live`` process on ``n_streams`` real-time outlets for ``seconds``."""
    names = [f"bench-{uuid.uuid4().hex[:6]}" for _ in range(n_streams)]
    address = f"tcp://127.0.0.1:{20000 + uuid.uuid4().int % 20000}"
    lead = 4.0 + 0.1 * n_streams  # the outlets appear, the live process connects
    t0 = pylsl.local_clock() + lead
    n_chunks = int((lead + 5.0 + seconds + 2.0) * FS / CHUNK)
    spawn = mp.get_context("spawn")
    times = spawn.Array("d", n_streams * n_chunks, lock=False)
    pusher = spawn.Process(target=_push, args=(names, t0, 5.0 + seconds + 2.0, times))
    pusher.start()
    time.sleep(1.5)
    code = "import sys; from vaxis.cli import main; sys.argv[0] = 'vaxis'; main()"
    streams = [arg for n in names for arg in ("--stream", n)]
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "live", "--bundle", str(bundle), *streams,
         "--zmq", address, "--hop", "0.25", "--no-dashboard"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"vaxis.prediction")
    sub.setsockopt(zmq.RCVTIMEO, 100)
    sub.connect(address)
    index = {n: i for i, n in enumerate(names)}
    received = []  # (stream index, chunk, arrival)
    counts, cpu_start, measure_from = dict.fromkeys(names, 0), None, t0 + 5.0
    end = measure_from + seconds
    while pylsl.local_clock() < end:
        try:
            _, message = decode(sub.recv_multipart())
        except zmq.Again:
            continue
        arrived = pylsl.local_clock()
        if arrived < measure_from:
            continue
        if cpu_start is None:
            cpu_start, wall_start = _proc_cpu_s(proc.pid), arrived
        counts[message["stream"]] = counts.get(message["stream"], 0) + 1
        last = int(round((message["t_end"] - t0) * FS))
        received.append((index[message["stream"]], last // CHUNK, arrived))
    alive = proc.poll() is None
    cpu = (_proc_cpu_s(proc.pid) - cpu_start) / (pylsl.local_clock() - wall_start)
    rss = _proc_status(proc.pid, "VmHWM")
    torch_mapped = "torch" in Path(f"/proc/{proc.pid}/maps").read_text()
    sent = time.monotonic()
    proc.terminate()
    try:
        proc.wait(30)
        stop_s = round(time.monotonic() - sent, 2)
    except subprocess.TimeoutExpired:
        proc.kill()
        stop_s = None
    pusher.join(30)
    latencies = [1e3 * (arrived - times[i * n_chunks + k]) for i, k, arrived in received
                 if k < n_chunks and times[i * n_chunks + k] > 0]  # fmt: skip
    expected = seconds / 0.248  # hop: round(0.25 s * 250 Hz) = 62 samples
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99]) if latencies else [np.inf] * 3
    least = min(counts.values())
    return {
        "streams": n_streams,
        "alive": alive,
        "predictions": len(latencies),
        "least_per_stream": least,
        "expected_per_stream": round(expected, 1),
        "latency_ms": {"p50": round(p50, 3), "p95": round(p95, 3), "p99": round(p99, 3)},
        "cpu_fraction_of_one_core": round(cpu, 4),
        "peak_rss_mb": round(rss, 1),
        "torch_loaded": torch_mapped,
        "stop_s": stop_s,
        "real_time": bool(alive and least >= 0.95 * expected and p99 < 250.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--multi-seconds", type=float, default=20.0)
    parser.add_argument("--max-streams", type=int, default=64)
    parser.add_argument("--bundle", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bundle = args.bundle or _bundle(Path(tmp))
        meta = json.loads((Path(bundle) / "bundle.json").read_text())
        single = measure(bundle, 1, args.seconds)
        print("1 stream:", single)
        multi, largest, n = [], 1 if single["real_time"] else 0, 2
        while n <= args.max_streams:
            run = measure(bundle, n, args.multi_seconds)
            print(f"{n} streams:", run)
            multi.append(run)
            if not run["real_time"]:
                break
            largest, n = n, 2 * n
    lat, cpu, rss = single["latency_ms"], single["cpu_fraction_of_one_core"], single["peak_rss_mb"]
    torch_mapped = single["torch_loaded"]
    result = {
        "synthetic": True,
        "description": "vaxis live, 32 ch @ 250 Hz in chunks of 10, hop 0.25 s, ZeroMQ out",
        "bundle_members": len(meta.get("onnx", {}).get("members", [])),
        "single_stream": single,
        "multi_stream": multi,
        "largest_real_time_streams": largest,
        "targets": [
            target("latency p50", round(lat["p50"], 2), "ms", "<= 5 ms", lat["p50"] <= 5),
            target("latency p99", round(lat["p99"], 2), "ms", "<= 15 ms", lat["p99"] <= 15),
            target(
                "decoder CPU at hop 0.25 s",
                round(100 * cpu, 1),
                "% of one core",
                "<= 10 %",
                cpu <= 0.10,
            ),
            target("live process peak RSS", rss, "MB", "< 250 MB", rss < 250),
            target(
                "live process imports torch", float(torch_mapped), "bool", "no", not torch_mapped
            ),
            target(
                "streams decoded in real time by one process",
                largest,
                "streams",
                "report",
                largest >= 1,
            ),
        ],  # fmt: skip
    }
    print(write_result("live_latency", result))


if __name__ == "__main__":
    main()
