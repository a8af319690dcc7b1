"""Benchmark: a soak of ``vaxis live`` under faults.

One ``vaxis live`` process decodes four LSL streams for ``--minutes`` (30 by default) while,
in another process, the four amplifiers misbehave at random (seeded): each source is
dropped (its outlet destroyed) every 30-120 s and restored 5-20 s later under the same name
and source id; NaN bursts (0.5 s on one channel) and timestamp jumps (0.5-2 s of samples
never sent) come every 20-60 s. Two ZeroMQ subscribers listen: one reads everything, one
stalls for 10-60 s at a time (it reads, then stops reading, then drains).

Reported: crashes (the process must stay up and exit 0 on SIGTERM), recoveries (a
prediction from a stream after each of its returns), the time from a source's return to
its next prediction (and to its ``connected`` status), sequence gaps seen by the reading
subscriber (and the publisher's ``dropped`` count, which the stalling one causes), invalid
windows by reason, the RSS slope (MB/hour, least squares after a warm-up of 40 % of the run,
at most 5 minutes; and, beside it, the same fit over the run's last half) and CPU.
Targets: 0 crashes, 100 % recoveries, first prediction <= 3 s after a source returns, RSS
growth <= 5 MB/hour.

The default bundle is SYNTHETIC (random weights; 5 members, 1-s windows, hop 0.25 s);
``--bundle DIR`` decodes with another (a window of W s adds W s to every recovery).

Usage: ``python bench/soak.py [--minutes 30] [--seed 0] [--bundle DIR]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import pylsl  # noqa: E402
import zmq  # noqa: E402
from _common import loopback_port, target, write_result  # noqa: E402

from vaxis.decoder.channels import FACED_CHANNELS  # noqa: E402
from vaxis.stream.messages import decode  # noqa: E402

FS, CHUNK, N_STREAMS = 250.0, 10, 4
CLI = "import sys; from vaxis.cli import main; sys.argv[0] = 'vaxis'; main()"


def _outlet(name: str) -> pylsl.StreamOutlet:
    info = pylsl.StreamInfo(name, "EEG", len(FACED_CHANNELS), FS, "float32", name)
    chans = info.desc().append_child("channels")
    for label in FACED_CHANNELS:
        ch = chans.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", "microvolts")
    return pylsl.StreamOutlet(info, CHUNK)


def amplifiers(names: list[str], t0: float, seconds: float, seed: int, log: str) -> None:
    """The misbehaving sources (own process). Samples are stamped on the LSL clock from
    ``t0``; dropped or skipped samples still advance it, so a return or a jump shows as a
    jump in timestamps. Every fault is written to ``log`` (JSON) at the end."""
    rng = np.random.default_rng(seed)
    outlets = {n: _outlet(n) for n in names}
    events: list[dict] = []
    now = pylsl.local_clock()
    plan = {
        n: {"drop": now + rng.uniform(30, 120), "back": None, "nan": now + rng.uniform(20, 60),
            "nan_until": 0.0, "jump": now + rng.uniform(20, 60), "skip_until": 0.0}
        for n in names
    }  # fmt: skip
    k = 0
    while (due := t0 + (k + 1) * CHUNK / FS) < t0 + seconds:
        if (wait := due - pylsl.local_clock()) > 0:
            time.sleep(wait)
        now = pylsl.local_clock()
        stamps = (t0 + np.arange(k * CHUNK, (k + 1) * CHUNK) / FS).tolist()
        for name in names:
            p = plan[name]
            if p["back"] is None and now >= p["drop"]:
                del outlets[name]  # the source is gone
                p["back"] = now + rng.uniform(5, 20)
                events.append({"event": "drop", "stream": name, "t": now})
            elif p["back"] is not None and now >= p["back"]:
                outlets[name] = _outlet(name)  # same name, same source id
                p["back"], p["drop"] = None, now + rng.uniform(30, 120)
                events.append({"event": "return", "stream": name, "t": now})
            if now >= p["nan"]:
                p["nan_until"], p["nan"] = now + 0.5, now + rng.uniform(20, 60)
                events.append({"event": "nan", "stream": name, "t": now})
            if now >= p["jump"]:
                p["skip_until"] = now + rng.uniform(0.5, 2.0)
                p["jump"] = now + rng.uniform(20, 60)
                events.append({"event": "jump", "stream": name, "t": now})
            if name not in outlets or now < p["skip_until"]:
                continue
            chunk = rng.normal(0, 10, (CHUNK, len(FACED_CHANNELS))).astype(np.float32)
            if now < p["nan_until"]:
                chunk[:, 3] = np.nan
            outlets[name].push_chunk(chunk.tolist(), stamps)
        k += 1
    Path(log).write_text(json.dumps(events))


class Listener(threading.Thread):
    """A ZeroMQ subscriber. ``stall`` makes it alternate reading and not reading (10-60 s
    each); otherwise it keeps every message it receives, with its arrival (LSL clock)."""

    def __init__(self, address: str, stall: bool, seed: int):
        super().__init__(daemon=True)
        self.sock = zmq.Context.instance().socket(zmq.SUB)
        self.sock.setsockopt(zmq.SUBSCRIBE, b"vaxis.")
        self.sock.setsockopt(zmq.RCVTIMEO, 100)
        self.sock.connect(address)
        self.stall, self.rng = stall, np.random.default_rng(seed)
        self.halt = threading.Event()
        self.messages: list[tuple[float, str, dict]] = []
        self.stalled_s = 0.0

    def run(self) -> None:
        switch = time.monotonic() + self.rng.uniform(10, 60)
        while not self.halt.is_set():
            if self.stall and time.monotonic() >= switch:
                pause = self.rng.uniform(10, 60)
                self.stalled_s += pause
                self.halt.wait(pause)
                switch = time.monotonic() + self.rng.uniform(10, 60)
            try:
                topic, message = decode(self.sock.recv_multipart())
            except zmq.Again:
                continue
            if not self.stall:
                self.messages.append((pylsl.local_clock(), topic, message))


def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _bundle(tmp: Path) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' bundle writer
    from tests.bundles import write_linear_bundle

    return write_linear_bundle(tmp / "bundle", members=5, hidden=32, window_s=1.0, hop_s=0.25)


def recoveries(events: list[dict], messages, end: float) -> list[dict]:
    """For each return of a source (at least 10 s before the end): the delay to the next
    prediction of that stream, to its next valid one and to its next ``connected``."""
    out = []
    for event in (e for e in events if e["event"] == "return" and e["t"] < end - 10):
        name, back = event["stream"], event["t"]
        later = [e["t"] for e in events if e["stream"] == name and e["event"] == "drop"
                 and e["t"] > back]  # fmt: skip
        until = min(later, default=end)
        mine = [
            (t, topic, m) for t, topic, m in messages if m["stream"] == name and back < t < until
        ]
        first = next((t for t, topic, _ in mine if topic == "vaxis.prediction"), None)
        valid = next((t for t, topic, m in mine if topic == "vaxis.prediction" and m["valid"]),
                     None)  # fmt: skip
        connected = next((t for t, topic, m in mine if topic == "vaxis.status"
                          and m["state"] == "connected"), None)  # fmt: skip
        out.append({
            "stream": name, "returned": round(back, 3),
            "first_prediction_s": None if first is None else round(first - back, 3),
            "first_valid_prediction_s": None if valid is None else round(valid - back, 3),
            "connected_status_s": None if connected is None else round(connected - back, 3),
        })  # fmt: skip
    return out


def sequence_gaps(messages) -> dict[str, int]:
    """Per stream, sequence numbers the reading subscriber never saw (between its first
    and last)."""
    seqs = defaultdict(list)
    for _, topic, m in messages:
        if topic == "vaxis.prediction":
            seqs[m["stream"]].append(m["seq"])
    return {s: int(max(v) - min(v) + 1 - len(set(v))) for s, v in seqs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bundle", type=Path)
    parser.add_argument("--name", default="soak", help="results/<name>.json")
    args = parser.parse_args()
    seconds = 60.0 * args.minutes
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        bundle = args.bundle or _bundle(tmp)
        names = [f"soak-{uuid.uuid4().hex[:6]}-{i}" for i in range(N_STREAMS)]
        address = f"tcp://127.0.0.1:{loopback_port()}"
        t0 = pylsl.local_clock() + 3.0
        log = tmp / "events.json"
        spawn = mp.get_context("spawn")
        amps = spawn.Process(target=amplifiers,
                             args=(names, t0, seconds + 20.0, args.seed, str(log)))  # fmt: skip
        amps.start()
        time.sleep(2.0)
        streams = [arg for n in names for arg in ("--stream", n)]
        stderr = (tmp / "live.err").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-c", CLI, "live", "--bundle", str(bundle), *streams,
             "--zmq", address, "--no-dashboard", "--connect-timeout", "30"],
            stdout=subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
        reader, staller = Listener(address, False, args.seed), Listener(address, True, args.seed)
        reader.start()
        staller.start()
        start = pylsl.local_clock()
        samples = []  # (LSL time, RSS MB, CPU s)
        while (now := pylsl.local_clock()) < start + seconds and proc.poll() is None:
            samples.append((now, _rss_mb(proc.pid), _proc_cpu_s(proc.pid)))
            time.sleep(5.0)
        end = pylsl.local_clock()
        crashed = proc.poll() is not None
        sent = time.monotonic()
        if not crashed:
            proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = None
        stop_s = round(time.monotonic() - sent, 2)
        time.sleep(0.5)
        reader.halt.set()
        staller.halt.set()
        amps.join(60)
        events = json.loads(log.read_text()) if log.exists() else []
        errors = (tmp / "live.err").read_text()[-2000:]
    messages = reader.messages
    predictions = [m for _, topic, m in messages if topic == "vaxis.prediction"]
    reasons = Counter(part.split(":")[0] for m in predictions if not m["valid"]
                      for part in (m["reason"] or "unknown").split("; "))  # fmt: skip
    last_status = {}
    for _, topic, m in messages:
        if topic == "vaxis.status":
            last_status[m["stream"]] = m
    back = recoveries(events, messages, end)
    delays = [r["first_prediction_s"] for r in back if r["first_prediction_s"] is not None]
    recovered = sum(r["first_prediction_s"] is not None for r in back)
    # Allocator arenas, onnxruntime and liblsl settle during the first minutes: the slope is
    # fitted after that warm-up (40 % of the run, at most 5 minutes).
    warmup_s = min(300.0, 0.4 * seconds)
    warm = [s for s in samples if s[0] >= start + warmup_s] or samples
    slope = _rss_slope(warm)
    # The same fit over the last half only: a growth that is settling (allocator arenas and
    # caches filling up) shows a smaller slope there, a steady leak the same one. Reported
    # beside the slope above, which alone is held to the target.
    late_slope = _rss_slope([s for s in samples if s[0] >= start + seconds / 2])
    cpu = (samples[-1][2] - samples[0][2]) / (samples[-1][0] - samples[0][0])
    crashes = int(crashed or code != 0)
    share = recovered / len(back) if back else 1.0
    worst = max(delays, default=float("nan"))
    result = {
        "synthetic": True,
        "description": f"vaxis live on {N_STREAMS} streams for {args.minutes:g} min under "
        "faults (SYNTHETIC signal and bundle)",
        "minutes": args.minutes,
        "seed": args.seed,
        "crashes": crashes,
        "exit_code": code,
        "stop_s": stop_s,
        "faults": dict(Counter(e["event"] for e in events)),
        "recoveries": {
            "returns": len(back),
            "recovered": recovered,
            "first_prediction_s": _spread(delays),
            "first_valid_prediction_s": _spread(
                [
                    r["first_valid_prediction_s"]
                    for r in back
                    if r["first_valid_prediction_s"] is not None
                ]
            ),
            "connected_status_s": _spread(
                [r["connected_status_s"] for r in back if r["connected_status_s"] is not None]
            ),
            "each": back,
        },  # fmt: skip
        "predictions_received": len(predictions),
        "invalid_by_reason": dict(reasons),
        "sequence_gaps_seen_by_reader": sequence_gaps(messages),
        "publisher_dropped": sum(s["counters"]["dropped"] for s in last_status.values()),
        "stalling_subscriber_paused_s": round(staller.stalled_s, 1),
        "rss_mb": {
            "at_warmup_end": round(warm[0][1], 1),
            "last": round(samples[-1][1], 1),
            "warmup_s": warmup_s,
            "slope_mb_per_hour": round(slope, 2),
            "slope_last_half_mb_per_hour": round(late_slope, 2),
            "samples_min_mb": [
                [round((t - start) / 60, 2), round(mb, 1)] for t, mb, _ in samples[::6]
            ],
        },  # fmt: skip
        "cpu_fraction_of_one_core": round(cpu, 4),
        "stderr_tail": errors if crashes else "",
        "targets": [
            target("soak crashes", crashes, "crashes", "0", crashes == 0),
            target("soak recoveries", round(100 * share, 1), "%", "100 %", share == 1.0),
            target(
                "soak first prediction after a source returns (worst)",
                worst,
                "s",
                "<= 3 s",
                worst <= 3.0,
            ),
            target("soak RSS growth", round(slope, 2), "MB/hour", "<= 5 MB/hour", slope <= 5.0),
        ],  # fmt: skip
    }
    print(json.dumps({k: v for k, v in result.items() if k != "recoveries"}, indent=1))
    print(write_result(args.name, result))


def _rss_slope(samples: list[tuple[float, float, float]]) -> float:
    """Least-squares RSS slope (MB/hour) of (LSL time, RSS MB, CPU s) samples."""
    if len(samples) <= 2:
        return float("nan")
    hours = (np.array([s[0] for s in samples]) - samples[0][0]) / 3600.0
    return float(np.polyfit(hours, np.array([s[1] for s in samples]), 1)[0])


def _spread(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {"n": len(values), "median": round(float(np.median(values)), 3),
            "max": round(float(np.max(values)), 3)}  # fmt: skip


if __name__ == "__main__":
    main()
