"""SIGINT and SIGTERM stop ``vaxis live`` and ``vaxis calibrate`` with exit code 0 within one
second in every state: start-up (imports), resolving a stream, connecting to it, decoding,
and recording a calibration session. Real processes, real LSL on loopback."""

import json
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid

import numpy as np
import pylsl
import pytest

from tests.bundles import write_linear_bundle
from tests.outlets import make_outlet
from vaxis.stream.recordings import read_recording

SIGNALS = [signal.SIGINT, signal.SIGTERM]
#: The target: from the signal to the process's exit.
WITHIN_S = 1.0


class Process:
    """A ``vaxis`` command whose output lines are collected as they come."""

    def __init__(self, *args: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vaxis.cli", *args],  # as the installed `vaxis` runs it
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[str] = []
        for pipe in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=self._read, args=(pipe,), daemon=True).start()

    def _read(self, pipe) -> None:
        for line in pipe:
            self.lines.put(line)

    def wait_for(self, needle: str, timeout: float = 60.0) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                line = self.lines.get(timeout=0.05)
            except queue.Empty:
                assert self.proc.poll() is None, "".join(self.seen)
                continue
            self.seen.append(line)
            if needle in line:
                return
        raise AssertionError(f"no {needle!r} within {timeout} s: {''.join(self.seen)}")

    def stop(self, signum) -> float:
        """Send ``signum``; return the seconds until the process exited."""
        sent = time.perf_counter()
        self.proc.send_signal(signum)
        try:
            self.proc.wait(timeout=10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        return time.perf_counter() - sent

    def output(self) -> str:
        time.sleep(0.1)  # let the reader threads drain what the process wrote last
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "".join(self.seen)


class Amplifier(threading.Thread):
    """An EEG outlet pushing noise in real time (chunks of 10 samples)."""

    def __init__(self, name):
        super().__init__(daemon=True, name=name)  # the thread's name is the stream's
        self.outlet = make_outlet(name, source_id=name)
        self.halt = threading.Event()

    def run(self):
        rng = np.random.default_rng(0)
        t0, i = pylsl.local_clock(), 0
        while not self.halt.is_set():
            stamps = t0 + (i + np.arange(10)) / 250.0
            self.outlet.push_chunk(rng.normal(0, 10, (10, 32)).astype(np.float32).tolist(),
                                   stamps.tolist())  # fmt: skip
            i += 10
            time.sleep(max(0.0, t0 + i / 250.0 - pylsl.local_clock()))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return write_linear_bundle(tmp_path_factory.mktemp("signals") / "bundle")


@pytest.fixture
def amplifier():
    amp = Amplifier(f"eeg-{uuid.uuid4().hex[:8]}")
    amp.start()
    yield amp
    amp.halt.set()


def live(bundle, stream):
    return Process("live", "--bundle", str(bundle), "--stream", stream, "--zmq", "",
                   "--no-dashboard", "--connect-timeout", "60")  # fmt: skip


@pytest.mark.parametrize("signum", SIGNALS)
def test_stop_during_start_up(bundle, signum):
    process = live(bundle, "absent")
    time.sleep(0.6)  # typer and the command's own imports (a few seconds) are under way
    assert process.stop(signum) < WITHIN_S
    assert process.proc.returncode == 0, process.output()


@pytest.mark.parametrize("signum", SIGNALS)
def test_stop_while_resolving(bundle, signum):
    process = live(bundle, f"absent-{uuid.uuid4().hex[:6]}")
    process.wait_for(": connecting")
    time.sleep(0.5)
    assert process.stop(signum) < WITHIN_S
    assert process.proc.returncode == 0, process.output()
    assert "stopped absent" in process.output()


@pytest.mark.parametrize("signum", SIGNALS)
def test_stop_while_connecting(bundle, amplifier, signum):
    process = live(bundle, amplifier.name)
    process.wait_for(": connecting")
    deadline = time.time() + 30
    while not amplifier.outlet.have_consumers() and time.time() < deadline:
        time.sleep(0.002)
    # The inlet is open: liblsl's first time correction (about a second) is under way.
    assert amplifier.outlet.have_consumers()
    assert process.stop(signum) < WITHIN_S
    assert process.proc.returncode == 0, process.output()


@pytest.mark.parametrize("signum", SIGNALS)
def test_stop_while_decoding(bundle, amplifier, signum):
    process = live(bundle, amplifier.name)
    process.wait_for("valence", timeout=60)
    assert process.stop(signum) < WITHIN_S
    assert process.proc.returncode == 0, process.output()
    assert "status" in process.output() and "stopped" in process.output()


@pytest.mark.parametrize("signum", SIGNALS)
def test_stop_while_recording_a_calibration_session(tmp_path, bundle, amplifier, signum):
    protocol = tmp_path / "protocol.json"
    protocol.write_text(json.dumps({"baseline_s": 2, "stimulus_s": 30, "pause_s": 1,
                                    "stimuli": ["negative/1", "positive/1"]}))  # fmt: skip
    out = tmp_path / "P01"
    process = Process("calibrate", "--bundle", str(bundle), "--stream", amplifier.name,
                      "--protocol", str(protocol), "--participant", "P01",
                      "-o", str(out))  # fmt: skip
    process.wait_for("recording 'eeg-")
    time.sleep(2.0)
    assert process.stop(signum) < WITHIN_S
    assert process.proc.returncode == 0, process.output()
    assert "stopped before the session ended" in process.output()
    (path,) = out.glob("*_raw.fif")
    assert read_recording(path).n_times >= 250  # the recording is kept and readable
    assert not (out / "profile.json").exists()  # an unfinished session is not adapted
