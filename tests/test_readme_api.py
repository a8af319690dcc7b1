"""The README's "Python API" examples run as written, on a test bundle and a live LSL outlet."""

from __future__ import annotations

import re
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pylsl
import pytest

from tests.bundles import write_linear_bundle
from tests.outlets import make_outlet

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "<!-- section:api -->"
FENCED_PYTHON = re.compile(r"^```python\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def api_examples() -> list[str]:
    """The ```python blocks between the API section's marker and the next section's."""
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION) + len(SECTION)
    end = text.find("<!-- section:", start)
    return FENCED_PYTHON.findall(text[start : end if end >= 0 else None])


class Amplifier(threading.Thread):
    """An EEG outlet pushing noise (32 FACED channels, 250 Hz, microvolts) in real time."""

    def __init__(self, name: str, fs: float = 250.0):
        super().__init__(daemon=True)
        self.outlet, self.fs = make_outlet(name, fs=fs), fs
        self.stop = threading.Event()

    def run(self) -> None:
        rng = np.random.default_rng(0)
        t0, sent = pylsl.local_clock(), 0
        while not self.stop.is_set():
            due = int((pylsl.local_clock() - t0) * self.fs)
            if due >= sent + 10:
                chunk = rng.normal(0, 10, (due - sent, 32)).astype(np.float32)
                self.outlet.push_chunk(chunk.tolist())
                sent = due
            time.sleep(0.01)


@pytest.fixture
def amplifier():
    """The name of a live LSL EEG stream of noise."""
    amp = Amplifier(f"eeg-{uuid.uuid4().hex[:8]}")
    amp.start()
    yield amp.outlet.get_info().name()
    amp.stop.set()
    amp.join(timeout=2)


def run_example(index: int, bundle: Path, stream: str) -> dict:
    """Run the API section's example ``index`` on ``bundle`` and ``stream``; its namespace."""
    code = api_examples()[index]
    assert '"bundle/"' in code
    code = code.replace('"bundle/"', repr(str(bundle))).replace('"MyAmp"', repr(stream))
    namespace: dict = {"__name__": "readme_example"}
    exec(compile(code, f"README.md (Python API example {index + 1})", "exec"), namespace)
    return namespace


def test_the_section_holds_the_three_examples():
    examples = api_examples()
    assert len(examples) == 3
    assert "vaxis.Decoder(" in examples[0]
    assert "on_prediction=on_prediction" in examples[1]
    assert "for stimulus in" in examples[2]


def test_decoding_windows_cut_by_hand(tmp_path, capsys):
    bundle = write_linear_bundle(tmp_path / "bundle")
    namespace = run_example(0, bundle, "unused")
    # 10 s at 250 Hz, 1-s windows every 0.25 s
    assert len(namespace["predictions"]) == 37
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == int(namespace["predictions"].valid.sum()) > 0
    assert all(line.split()[0] in ("negative", "neutral", "positive") for line in printed)


def test_a_closed_loop_stops_itself_after_its_block(tmp_path, amplifier, capsys):
    bundle = write_linear_bundle(tmp_path / "bundle")
    start = time.monotonic()
    namespace = run_example(1, bundle, amplifier)
    assert len(namespace["feedback"]) == 12
    assert set(namespace["feedback"]) <= {"up", "down"}
    assert namespace["summary"].windows >= 12
    assert time.monotonic() - start < 30, "the callback's stop did not end the run"
    assert "latency" in capsys.readouterr().out


def test_a_trial_loop_reads_the_newest_prediction(tmp_path, amplifier):
    bundle = write_linear_bundle(tmp_path / "bundle")
    namespace = run_example(2, bundle, amplifier)
    results = namespace["results"]
    assert [stimulus for stimulus, _, _ in results] == ["sunset.png", "storm.png", "puppy.png"]
    assert all(label in ("negative", "neutral", "positive") for _, label, _ in results)
    assert all(-1.0 <= valence <= 1.0 for _, _, valence in results)
    assert not namespace["decoding"].is_alive()
