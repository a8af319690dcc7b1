"""The live loop on real LSL and real ZeroMQ, on loopback."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pylsl
import pytest
import zmq

from tests.bundles import write_linear_bundle
from tests.outlets import make_outlet
from tests.ports import free_address
from vaxis.decoder.bundle import load_bundle
from vaxis.decoder.channels import FACED_CHANNELS
from vaxis.decoder.pipeline import Decoder
from vaxis.errors import StreamError
from vaxis.stream import loop as loop_module
from vaxis.stream.config import LiveConfig
from vaxis.stream.loop import LiveLoop, decode_due
from vaxis.stream.messages import PREDICTION_SCHEMA, decode
from vaxis.stream.runner import run_live_many
from vaxis.stream.windows import Window, Windower

FS = 250.0


class Pusher(threading.Thread):
    """Pushes noise EEG (10 samples per chunk, explicit timestamps) faster than real time."""

    def __init__(self, outlet, seconds, speed=4.0, nan_at=None, jump_at=None, n_ch=32, fs=FS):
        super().__init__(daemon=True)
        self.outlet, self.seconds, self.speed, self.fs = outlet, seconds, speed, fs
        self.nan_at, self.jump_at, self.n_ch = nan_at, jump_at, n_ch
        self.done = threading.Event()

    def run(self):
        rng = np.random.default_rng(0)
        t0 = pylsl.local_clock()
        n_chunks = int(self.seconds * self.fs / 10)
        for i in range(n_chunks):
            chunk = rng.normal(0, 10, (10, self.n_ch)).astype(np.float32)
            t = i * 10 / self.fs
            if self.nan_at is not None and self.nan_at <= t < self.nan_at + 0.2:
                chunk[:, 3] = np.nan
            if self.jump_at is not None and t >= self.jump_at:
                t += 2.0  # two seconds of samples lost
            stamps = t0 + t + np.arange(10) / self.fs
            self.outlet.push_chunk(chunk.tolist(), stamps.tolist())
            time.sleep(10 / self.fs / self.speed)
        self.done.set()


@pytest.fixture
def bundle(tmp_path):
    return write_linear_bundle(tmp_path / "bundle")


def subscriber(address, topic=b"vaxis."):
    sock = zmq.Context.instance().socket(zmq.SUB)
    sock.setsockopt(zmq.SUBSCRIBE, topic)
    sock.setsockopt(zmq.RCVTIMEO, 200)
    sock.connect(address)
    return sock


def drain(sock):
    out = []
    while True:
        try:
            out.append(decode(sock.recv_multipart()))
        except zmq.Again:
            return out


def run_in_thread(loop):
    """Run the loop in a thread; return once it is connected (LSL delivers only samples
    pushed after an inlet connects)."""
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    thread.start()
    deadline = time.time() + 10
    while loop.state != "connected" and time.time() < deadline:
        time.sleep(0.01)
    assert loop.state == "connected"
    return stop, thread


def test_predictions_arrive_with_the_documented_schema(bundle):
    name = f"eeg-{uuid.uuid4().hex[:8]}"
    outlet = make_outlet(name)
    address = f"inproc://{name}"
    loop = LiveLoop(LiveConfig(bundle=bundle, stream=name, zmq=address, lsl_out=f"{name}-out"))
    sub = subscriber(address)
    got = []
    stop, thread = run_in_thread(loop)
    pusher = Pusher(outlet, seconds=4)
    pusher.start()
    pusher.done.wait(10)
    time.sleep(0.5)
    stop.set()
    thread.join(5)
    got = drain(sub)
    predictions = [m for t, m in got if t == "vaxis.prediction"]
    statuses = [m for t, m in got if t == "vaxis.status"]
    # 4 s at hop 0.25 s after the first 1-s window: 13 windows.
    assert len(predictions) == 13
    first = predictions[0]
    keys = {"schema", "seq", "stream", "t_start", "t_end", "t_published", "label", "probs",
            "valence", "valid", "reason", "model"}  # fmt: skip
    assert keys <= set(first) and first["schema"] == PREDICTION_SCHEMA
    assert [p["seq"] for p in predictions] == list(range(13))
    assert first["label"] in first["probs"] and -1 <= first["valence"] <= 1
    assert abs(first["t_end"] - first["t_start"] - (250 - 1) / FS) < 1e-6
    hops = np.diff([p["t_end"] for p in predictions])
    np.testing.assert_allclose(hops, 62 / FS, atol=1e-6)  # hop = round(0.25 s * 250 Hz) samples
    assert "synthetic" in first["model"]
    assert statuses and statuses[-1]["state"] == "stopped"
    assert statuses[0]["state"] == "connecting"  # published before the stream is found
    connected = [s for s in statuses if s["state"] == "connected"]
    assert connected[0]["units"] == "units from stream description"
    assert statuses[-1]["counters"]["windows"] == 13


def test_nan_windows_are_invalid_and_the_loop_carries_on(bundle):
    name = f"eeg-{uuid.uuid4().hex[:8]}"
    outlet = make_outlet(name)
    seen = []
    loop = LiveLoop(LiveConfig(bundle=bundle, stream=name, zmq=None), on_prediction=seen.append)
    stop, thread = run_in_thread(loop)
    pusher = Pusher(outlet, seconds=4, nan_at=2.0)
    pusher.start()
    pusher.done.wait(10)
    time.sleep(0.5)
    stop.set()
    thread.join(5)
    invalid = [m for m in seen if not m["valid"]]
    assert invalid and all("non-finite" in m["reason"] or "nan" in m["reason"].lower()
                           for m in invalid)  # fmt: skip
    assert all(m["valence"] is None and m["label"] is None for m in invalid)
    assert seen[-1]["valid"]  # valid again after the NaN stretch
    json.dumps(seen)  # every message is strict JSON (no NaN)


def test_timestamp_jump_makes_spanning_windows_invalid(bundle):
    name = f"eeg-{uuid.uuid4().hex[:8]}"
    outlet = make_outlet(name)
    seen = []
    loop = LiveLoop(LiveConfig(bundle=bundle, stream=name, zmq=None), on_prediction=seen.append)
    stop, thread = run_in_thread(loop)
    pusher = Pusher(outlet, seconds=4, jump_at=2.0)
    pusher.start()
    pusher.done.wait(10)
    time.sleep(0.5)
    stop.set()
    thread.join(5)
    gap = [m for m in seen if m["reason"] and m["reason"].startswith("gap")]
    # Exactly the windows whose samples straddle the 2-s jump are invalid.
    spanning = [m for m in seen if m["t_end"] - m["t_start"] > 1.5]
    assert gap == spanning and len(gap) in (3, 4)
    assert seen[-1]["valid"]


def test_missing_channels_fail_clearly(bundle):
    name = f"eeg-{uuid.uuid4().hex[:8]}"
    _outlet = make_outlet(name, channels=("Fz", "Cz", "T3", "Pz"))
    loop = LiveLoop(LiveConfig(bundle=bundle, stream=name, zmq=None, connect_timeout=3))
    with pytest.raises(StreamError, match="missing channels Fp1, Fp2, F3"):
        loop.run()


def test_aliases_and_volts_are_honoured(bundle):
    name = f"eeg-{uuid.uuid4().hex[:8]}"
    renamed = tuple({"T7": "T3", "T8": "T4", "P7": "T5", "P8": "T6"}.get(c, c).upper()
                    for c in FACED_CHANNELS) + ("EXG1",)  # fmt: skip
    outlet = make_outlet(name, channels=renamed, unit="volts")
    loop = LiveLoop(LiveConfig(bundle=bundle, stream=name, zmq=None, connect_timeout=3))
    loop.connect()
    connection = loop.inlet.connection
    assert connection.scale[0, 0] == 1e6 and connection.picks.size == 32
    outlet.push_chunk(np.full((10, 33), 2e-6, np.float32).tolist())
    time.sleep(0.2)
    data, _ = loop.inlet.pull()
    np.testing.assert_allclose(data, 2.0, rtol=1e-5)  # microvolts
    loop.close()


def test_stream_loss_and_return_without_restart(bundle):
    name = f"eeg-{uuid.uuid4().hex[:8]}"
    states, seen = [], []
    config = LiveConfig(bundle=bundle, stream=name, zmq=None, stale_s=0.5, status_every=0.2)
    loop = LiveLoop(
        config, on_prediction=seen.append, on_status=lambda m: states.append(m["state"])
    )
    outlet = make_outlet(name, source_id="first")
    stop, thread = run_in_thread(loop)
    first = Pusher(outlet, seconds=2)
    first.start()
    first.done.wait(10)
    before = len(seen)
    first.outlet = outlet = None  # the outlet goes away
    time.sleep(1.5)
    assert "stalled" in states  # liblsl may yet recover a source with an id: kept open
    outlet = make_outlet(name, source_id="second")  # a new source with the same name
    deadline = time.time() + 10
    while loop.state != "connected" and time.time() < deadline:
        time.sleep(0.01)
    second = Pusher(outlet, seconds=2)
    second.start()
    second.done.wait(10)
    time.sleep(1.0)
    stop.set()
    thread.join(5)
    assert before >= 4 and len(seen) > before + 3
    assert loop.summary.reconnects >= 1 and "disconnected" in states


def test_a_subscriber_that_never_reads_does_not_stall_decoding(bundle):
    name = f"eeg-{uuid.uuid4().hex[:8]}"
    outlet = make_outlet(name)
    address = f"inproc://{name}"
    loop = LiveLoop(LiveConfig(bundle=bundle, stream=name, zmq=address, hwm=2))
    stuck = zmq.Context.instance().socket(zmq.SUB)
    stuck.setsockopt(zmq.RCVHWM, 1)
    stuck.setsockopt(zmq.SUBSCRIBE, b"")
    stuck.connect(address)
    stop, thread = run_in_thread(loop)
    pusher = Pusher(outlet, seconds=4)
    start = time.perf_counter()
    pusher.start()
    pusher.done.wait(10)
    time.sleep(0.5)
    stop.set()
    thread.join(5)
    assert time.perf_counter() - start < 5
    assert loop.summary.windows == 13
    assert loop.summary.dropped > 0


def test_windower_is_hop_aligned_regardless_of_chunking():
    rng = np.random.default_rng(1)
    data = rng.normal(size=(2, 1000)).astype(np.float32)
    stamps = np.arange(1000) / FS
    one = Windower(250, 62, FS)
    whole = one.push(data, stamps)
    two = Windower(250, 62, FS)
    pieces = []
    for start in range(0, 1000, 7):
        pieces += two.push(data[:, start : start + 7], stamps[start : start + 7])
    assert [w.t_end for w in whole] == [w.t_end for w in pieces]
    assert len(whole) == 1 + (1000 - 250) // 62
    np.testing.assert_array_equal(whole[-1].data, pieces[-1].data)


def test_sigterm_stops_vaxis_live_cleanly(bundle):
    name = f"eeg-{uuid.uuid4().hex[:8]}"
    outlet = make_outlet(name)
    pusher = Pusher(outlet, seconds=30, speed=1.0)
    pusher.start()
    code = "import sys; from vaxis.cli import main; sys.argv[0] = 'vaxis'; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "live", "--bundle", str(bundle), "--stream", name,
         "--zmq", free_address(), "--no-dashboard"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.time() + 30
        line = ""
        while time.time() < deadline and "valence" not in line and "invalid" not in line:
            line = proc.stdout.readline()
        assert "#" in line, proc.stderr.read() if proc.poll() is not None else line
        sent = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)
        assert time.perf_counter() - sent < 2.5
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_live_modules_never_import_torch():
    code = (
        "import sys; import vaxis.stream.loop, vaxis._cli.dashboard, vaxis.decoder.profile, "
        "vaxis.calibration.session, "
        "vaxis.cli; from vaxis.cli import live; "
        "bad = [m for m in ('torch', 'transformers', 'sklearn') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ}, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_faster_stream_is_resampled_to_the_bundle_rate(bundle):
    name = f"eeg-{uuid.uuid4().hex[:8]}"
    outlet = make_outlet(name, fs=500.0)
    seen = []
    loop = LiveLoop(LiveConfig(bundle=bundle, stream=name, zmq=None), on_prediction=seen.append)
    stop, thread = run_in_thread(loop)
    assert loop.inlet.sfreq == 500.0 and loop.resampling
    pusher = Pusher(outlet, seconds=3, fs=500.0)
    pusher.start()
    pusher.done.wait(10)
    time.sleep(0.5)
    stop.set()
    thread.join(5)
    # Windows are cut at the stream's rate: 500 samples, and the bundle's hop of 62 samples
    # at 250 Hz (0.248 s) is 124 samples at 500 Hz.
    assert len(seen) == 1 + (1500 - 500) // 124
    assert abs(seen[0]["t_end"] - seen[0]["t_start"] - 499 / 500) < 1e-6
    np.testing.assert_allclose(np.diff([m["t_end"] for m in seen]), 0.248, atol=1e-6)
    assert all(m["valid"] for m in seen)


def test_a_source_without_id_that_vanishes_is_found_again(bundle):
    """liblsl cannot recover such a source: mne-lsl drops the connection (LostError)."""
    name = f"eeg-{uuid.uuid4().hex[:8]}"
    states, seen = [], []
    config = LiveConfig(bundle=bundle, stream=name, zmq=None, stale_s=2.0, status_every=0.2)
    loop = LiveLoop(config, seen.append, lambda m: states.append(m["state"]))
    outlet = make_outlet(name)
    stop, thread = run_in_thread(loop)
    first = Pusher(outlet, seconds=2)
    first.start()
    first.done.wait(10)
    time.sleep(0.3)
    before = len(seen)
    first.outlet = outlet = None
    deadline = time.time() + 5
    while "disconnected" not in states and time.time() < deadline:
        time.sleep(0.01)
    assert "disconnected" in states
    outlet = make_outlet(name)
    deadline = time.time() + 10
    while loop.state != "connected" and time.time() < deadline:
        time.sleep(0.01)
    second = Pusher(outlet, seconds=2)
    second.start()
    second.done.wait(10)
    time.sleep(0.5)
    stop.set()
    thread.join(5)
    assert before == 5 and len(seen) == before + 5
    assert loop.summary.reconnects == 1 and states[-1] == "stopped"


def test_one_process_decodes_several_streams(tmp_path, bundle):
    names = [f"eeg-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    outlets = [make_outlet(n) for n in names]
    address = f"inproc://{names[0]}"
    sub = subscriber(address, b"vaxis.prediction")
    configs = [LiveConfig(bundle=bundle, stream=n, zmq=address) for n in names]
    stop = threading.Event()
    result = {}
    thread = threading.Thread(
        target=lambda: result.update(summaries=run_live_many(configs, stop)), daemon=True
    )
    thread.start()
    time.sleep(2.5)  # connected, then stalled: nothing is pushed yet
    pushers = [Pusher(o, seconds=2) for o in outlets]
    for p in pushers:
        p.start()
    for p in pushers:
        p.done.wait(10)
    time.sleep(0.5)
    stop.set()
    thread.join(5)
    got = [m for _, m in drain(sub)]
    per_stream = {n: [m for m in got if m["stream"] == n] for n in names}
    assert [len(v) for v in per_stream.values()] == [5, 5, 5]
    assert [s.windows for s in result["summaries"]] == [5, 5, 5]
    # A silent source stays connected (stalled) and resumes without reconnecting.
    assert [s.reconnects for s in result["summaries"]] == [0, 0, 0]


@pytest.mark.parametrize("run", [64, 2])
def test_streams_decoded_together_by_two_workers_match_each_stream_alone(bundle, monkeypatch, run):
    """Windows due in one pass across streams go through one graph run per part (or per
    run of ``RUN`` windows); each stream's running statistics see only its own windows,
    in order."""
    monkeypatch.setattr(loop_module, "RUN", run)
    rng = np.random.default_rng(3)
    n = load_bundle(bundle).window_samples
    seen: dict[str, list] = {}
    names = [f"eeg-{uuid.uuid4().hex[:8]}" for _ in range(5)]
    loops = [LiveLoop(LiveConfig(bundle=bundle, stream=name, zmq=None),
                      on_prediction=lambda m: seen.setdefault(m["stream"], []).append(m))
             for name in names]  # fmt: skip
    decoders: dict = {}
    for loop in loops:
        loop._open(decoders)
    assert len({id(loop._require().decoder.session) for loop in loops}) == 1
    passes = [[rng.standard_normal((32, n)).astype(np.float32) * (5 + 10 * i) for i in range(5)]
              for _ in range(3)]  # fmt: skip
    with ThreadPoolExecutor(2) as pool:
        for k, data in enumerate(passes):
            for i, loop in enumerate(loops):
                loop._due.append(([Window(data[i], k, k + 1, False)] * (1 + i % 2), 0.0))
            decode_due(loops, pool, workers=2)
    for i, (loop, name) in enumerate(zip(loops, names, strict=True)):
        alone = Decoder(load_bundle(bundle))
        want = np.concatenate([alone.decode(np.stack([p[i]] * (1 + i % 2))).probs for p in passes])
        got = np.array([list(m["probs"].values()) for m in seen[name]])
        assert [m["seq"] for m in seen[name]] == list(range(len(want)))
        np.testing.assert_allclose(got, want, atol=1e-5)
        loop.close()


def _opened_loops(bundle, n, on_prediction=None):
    loops = [LiveLoop(LiveConfig(bundle=bundle, stream=f"eeg-{uuid.uuid4().hex[:8]}", zmq=None),
                      on_prediction=on_prediction) for _ in range(n)]  # fmt: skip
    decoders: dict = {}
    for loop in loops:
        loop._open(decoders)
    return loops


def test_each_run_is_published_before_the_next_is_decoded(bundle, monkeypatch):
    monkeypatch.setattr(loop_module, "RUN", 1)
    n = load_bundle(bundle).window_samples
    counts = []

    def on_prediction(message):  # the second stream's windows counted so far
        if message["stream"] == loops[0].inlet.label:
            counts.append(loops[1]._require().decoder.running.count_)

    loops = _opened_loops(bundle, 2, on_prediction)
    data = np.random.default_rng(4).standard_normal((32, n)).astype(np.float32) * 10
    for loop in loops:
        loop._due.append(([Window(data, 0.0, 1.0, False)], 0.0))
    decode_due(loops)
    assert counts == [0], "the first stream's message waited for the second stream's run"
    assert loops[1].summary.windows == 1
    for loop in loops:
        loop.close()


def test_an_error_in_a_decode_worker_is_raised_not_waited_on(bundle):
    n = load_bundle(bundle).window_samples
    loops = _opened_loops(bundle, 2)
    good = np.zeros((32, n), dtype=np.float32) + np.arange(n, dtype=np.float32)
    loops[0]._due.append(([Window(good, 0.0, 1.0, False)], 0.0))
    loops[1]._due.append(([Window(good[:, :10], 0.0, 1.0, False)], 0.0))  # the wrong length
    with ThreadPoolExecutor(2) as pool:
        with pytest.raises(ValueError, match="holds no FFT bin"):
            decode_due(loops, pool, workers=2)
    for loop in loops:
        loop.close()
