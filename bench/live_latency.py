"""Benchmark: end-to-end latency, CPU and memory of ``vaxis live``, against a floor.

A pylsl outlet (32 channels, 250 Hz) pushes chunks of 10 samples in real time from its own
process; ``vaxis live`` runs as its own process with a SYNTHETIC bundle of the default pool
with every member kept (``vaxis train --quick --pool 12``: band-feature, envelope,
covariance and ShallowNet members; or ``--bundle DIR``) at hop 0.25 s and publishes over
ZeroMQ; a subscriber here stamps each prediction on arrival with the LSL clock. Latency =
arrival time minus the push time of the chunk holding the window's last sample (pylsl
back-dates the earlier samples of a chunk, so a sample's own timestamp can be up to a chunk
older than its arrival).

The floor: in the single-stream run a do-nothing decoder reads the same outlet at the same
time (a pylsl inlet polled every 0.5 ms that publishes a prediction-shaped message the
moment a hop's last sample arrives); vaxis's latency is reported as a ratio to it. The live
process's CPU time (``/proc/PID/stat``) over the run, its peak RSS (``VmHWM``) and whether
torch is mapped into it are recorded.

Scaling: one ``vaxis live`` process given N ``--stream`` options for each N of ``--streams``
(8, 32, 64, 128): p50/p99, CPU and RSS per N, and whether every stream got >= 95 % of its
predictions with p99 under one hop; ``bench/results/live_latency.png`` plots the curve.

Targets (2-core machine): 1 stream p50 and p99 <= 1.5x the floor, p99 <= 15 ms, CPU <= 5 %
of one core, RSS <= 250 MB, no torch; 64 streams p99 <= 25 ms; 128 streams every
prediction, p99 below one hop.

Usage: ``python bench/live_latency.py [--seconds 60] [--multi-seconds 20]
[--streams 8,32,64,128] [--bundle DIR] [--workers 2]``. The sweep runs ``vaxis live
--workers 2`` (decode threads; one stream is decoded in the loop's thread).
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
from _common import RESULTS, loopback_port, target, write_result  # noqa: E402

from vaxis.decoder.channels import FACED_CHANNELS  # noqa: E402
from vaxis.offline.corpus.synthetic import synthesize_recording  # noqa: E402
from vaxis.stream.messages import PREDICTION_TOPIC, decode, encode, prediction  # noqa: E402

FS, CHUNK = 250.0, 10
HOP = 62  # round(0.25 s * 250 Hz)


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


def _floor(name: str, address: str, window: int, hop: int, stop_at: float) -> None:
    """The do-nothing decoder: a pylsl inlet polled every 0.5 ms that publishes a
    prediction-shaped ``vaxis.prediction/1`` message over ZeroMQ the moment a hop's last
    sample arrives -- the least any decoder on this outlet and machine can take."""
    inlet = pylsl.StreamInlet(pylsl.resolve_byprop("name", name, timeout=10.0)[0])
    inlet.open_stream(timeout=10.0)
    offset = inlet.time_correction(timeout=5.0)
    publisher = zmq.Context.instance().socket(zmq.PUB)
    publisher.bind(address)
    count, due, seq = 0, window, 0
    while pylsl.local_clock() < stop_at:
        _, stamps = inlet.pull_chunk(timeout=0.0)
        if not stamps:
            time.sleep(0.0005)
            continue
        for stamp in stamps:
            count += 1
            if count < due:
                continue
            t_end = stamp + offset
            message = prediction(seq, name, t_end - window / FS, t_end, pylsl.local_clock(),
                                 ["floor"], [1.0], 0.0, True, None, "floor")  # fmt: skip
            publisher.send_multipart(encode(PREDICTION_TOPIC, message))
            seq, due = seq + 1, due + hop


def _start_live(bundle: Path, names: list[str], address: str, workers: int) -> subprocess.Popen:
    code = "import sys; from vaxis.cli import main; sys.argv[0] = 'vaxis'; main()"
    streams = [arg for n in names for arg in ("--stream", n)]
    return subprocess.Popen(
        [sys.executable, "-c", code, "live", "--bundle", str(bundle), *streams,
         "--zmq", address, "--hop", "0.25", "--no-dashboard", "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _stop(proc: subprocess.Popen) -> float | None:
    """SIGTERM, then the seconds until the process exited (None: killed after 30 s)."""
    sent = time.monotonic()
    proc.terminate()
    try:
        proc.wait(30)
        return round(time.monotonic() - sent, 2)
    except subprocess.TimeoutExpired:
        proc.kill()
        return None


def _latency(received: list, times, n_chunks: int) -> dict:
    """p50/p95/p99 (ms) of arrival minus the push time of the chunk holding the last sample."""
    latencies = [1e3 * (arrived - times[i * n_chunks + k]) for i, k, arrived in received
                 if k < n_chunks and times[i * n_chunks + k] > 0]  # fmt: skip
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99]) if latencies else [np.inf] * 3
    return {"n": len(latencies), "p50": round(float(p50), 3), "p95": round(float(p95), 3),
            "p99": round(float(p99), 3)}  # fmt: skip


def _receive(sub, names, t0, measure_from, end, proc) -> tuple[dict, dict, dict]:
    """Stamp every prediction on arrival until ``end``: by source (``vaxis``, ``floor``) the
    (stream index, chunk, arrival) triples, the counts per vaxis stream, and the live
    process's CPU seconds and wall time at the first measured prediction."""
    index = {n: i for i, n in enumerate(names)}
    received: dict[str, list] = {"vaxis": [], "floor": []}
    counts, start = dict.fromkeys(names, 0), {}
    while pylsl.local_clock() < end:
        try:
            _, message = decode(sub.recv_multipart())
        except zmq.Again:
            continue
        arrived = pylsl.local_clock()
        if arrived < measure_from:
            continue
        if not start:
            start = {"cpu": _proc_cpu_s(proc.pid), "wall": arrived}
        source = "floor" if message["model"] == "floor" else "vaxis"
        if source == "vaxis":
            counts[message["stream"]] += 1
        last = int(round((message["t_end"] - t0) * FS))
        received[source].append((index[message["stream"]], last // CHUNK, arrived))
    return received, counts, start


def measure(
    bundle: Path, n_streams: int, seconds: float, floor: bool = False, workers: int = 1
) -> dict:
    """Run one ``vaxis live`` process (``--workers``) on ``n_streams`` real-time outlets for
    ``seconds``; with ``floor``, the do-nothing decoder reads the first outlet at the same
    time."""
    names = [f"bench-{uuid.uuid4().hex[:6]}" for _ in range(n_streams)]
    port = loopback_port()
    address, floor_address = f"tcp://127.0.0.1:{port}", f"tcp://127.0.0.1:{port + 1}"
    lead = 4.0 + 0.1 * n_streams  # the outlets appear, the live process connects
    t0 = pylsl.local_clock() + lead
    n_chunks = int((lead + 5.0 + seconds + 2.0) * FS / CHUNK)
    spawn = mp.get_context("spawn")
    times = spawn.Array("d", n_streams * n_chunks, lock=False)
    pusher = spawn.Process(target=_push, args=(names, t0, 5.0 + seconds + 2.0, times))
    pusher.start()
    time.sleep(1.5)
    proc = _start_live(bundle, names, address, workers)
    meta = json.loads((Path(bundle) / "bundle.json").read_text())
    floors = []
    if floor:
        args = (names[0], floor_address, int(meta["window"]["samples"]), HOP, t0 + seconds + 6)
        floors.append(spawn.Process(target=_floor, args=args))
        floors[0].start()
    sub = zmq.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, PREDICTION_TOPIC.encode())
    sub.setsockopt(zmq.RCVTIMEO, 100)
    for endpoint in (address, floor_address) if floor else (address,):
        sub.connect(endpoint)
    measure_from = t0 + 5.0
    received, counts, start = _receive(sub, names, t0, measure_from, measure_from + seconds, proc)
    alive = proc.poll() is None
    cpu = (_proc_cpu_s(proc.pid) - start["cpu"]) / (pylsl.local_clock() - start["wall"])
    rss = _proc_status(proc.pid, "VmHWM")
    torch_mapped = "torch" in Path(f"/proc/{proc.pid}/maps").read_text()
    stop_s = _stop(proc)
    for process in (pusher, *floors):
        process.join(30)
    latency = _latency(received["vaxis"], times, n_chunks)
    expected = seconds / (HOP / FS)
    least = min(counts.values())
    out = {
        "streams": n_streams, "workers": workers, "alive": alive, "predictions": latency.pop("n"),
        "least_per_stream": least, "expected_per_stream": round(expected, 1),
        "latency_ms": latency, "cpu_fraction_of_one_core": round(cpu, 4),
        "peak_rss_mb": round(rss, 1), "torch_loaded": torch_mapped, "stop_s": stop_s,
        "real_time": bool(alive and least >= 0.95 * expected and latency["p99"] < 250.0),
    }  # fmt: skip
    if floor:
        out["floor_latency_ms"] = _latency(received["floor"], times, n_chunks)
    return out


def _targets(single: dict, by_count: dict[int, dict]) -> list[dict]:
    lat, floor = single["latency_ms"], single["floor_latency_ms"]
    cpu, rss = single["cpu_fraction_of_one_core"], single["peak_rss_mb"]
    out = [
        target("1 stream, latency p50 vs the floor", lat["p50"], "ms", "<= 1.5x floor",
               lat["p50"] <= 1.5 * floor["p50"], baseline=floor["p50"],
               ratio=round(lat["p50"] / floor["p50"], 2)),
        target("1 stream, latency p99 vs the floor", lat["p99"], "ms", "<= 1.5x floor",
               lat["p99"] <= 1.5 * floor["p99"], baseline=floor["p99"],
               ratio=round(lat["p99"] / floor["p99"], 2)),
        target("1 stream, latency p99", lat["p99"], "ms", "<= 15 ms", lat["p99"] <= 15),
        target("1 stream, decoder CPU at hop 0.25 s", round(100 * cpu, 1), "% of one core",
               "<= 5 %", cpu <= 0.05),
        target("1 stream, peak RSS", rss, "MB", "<= 250 MB", rss <= 250),
        target("live process imports torch", float(single["torch_loaded"]), "bool", "no",
               not single["torch_loaded"]),
    ]  # fmt: skip
    if 64 in by_count:
        p99 = by_count[64]["latency_ms"]["p99"]
        out.append(target("64 streams, latency p99", p99, "ms", "<= 25 ms", p99 <= 25))
    if 128 in by_count:
        run = by_count[128]
        every = run["least_per_stream"] >= run["expected_per_stream"] - 1
        out.append(target("128 streams, every prediction and p99 < one hop",
                          run["latency_ms"]["p99"], "ms", "all predictions, < 248 ms",
                          every and run["latency_ms"]["p99"] < 248))  # fmt: skip
    return out


def _plot(by_count: dict[int, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = sorted(by_count)
    fig, (ax, cx) = plt.subplots(1, 2, figsize=(9, 3.5))
    for key in ("p50", "p99"):
        ax.plot(counts, [by_count[n]["latency_ms"][key] for n in counts], "o-", label=key)
    ax.axhline(248, color="grey", ls=":", label="one hop")
    ax.set(xscale="log", yscale="log", xlabel="streams", ylabel="latency (ms)")
    ax.legend()
    cx.plot(counts, [100 * by_count[n]["cpu_fraction_of_one_core"] for n in counts], "o-")
    cx.set(xscale="log", xlabel="streams", ylabel="CPU (% of one core)")
    fig.suptitle("vaxis live, one process, 2 cores (SYNTHETIC bundle and signal)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--multi-seconds", type=float, default=20.0)
    parser.add_argument("--streams", default="8,32,64,128", help="the multi-stream sweep")
    parser.add_argument("--bundle", type=Path)
    parser.add_argument("--workers", type=int, default=2, help="decode threads, several streams")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bundle = args.bundle or _bundle(Path(tmp))
        meta = json.loads((Path(bundle) / "bundle.json").read_text())
        single = measure(bundle, 1, args.seconds, floor=True)
        print("1 stream:", single)
        by_count = {1: single}
        for n in (int(x) for x in args.streams.split(",")):
            by_count[n] = measure(bundle, n, args.multi_seconds, workers=args.workers)
            print(f"{n} streams:", by_count[n])
    _plot(by_count, RESULTS / "live_latency.png")
    real_time = [n for n, run in by_count.items() if run["real_time"]]
    result = {
        "synthetic": True,
        "description": "vaxis live, 32 ch @ 250 Hz in chunks of 10, hop 0.25 s, ZeroMQ out; "
        "the floor is a do-nothing decoder on the same outlet in the same run",
        "bundle_members": len(meta.get("onnx", {}).get("members", [])),
        "single_stream": single,
        "sweep": {str(n): run for n, run in by_count.items()},
        "largest_real_time_streams": max(real_time, default=0),
        "targets": _targets(single, by_count),
    }
    print(write_result("live_latency", result))


if __name__ == "__main__":
    main()
