"""A real recorder: LabRecorder (its Python bindings, ``labrecorder`` on PyPI) records the EEG
outlet, vaxis's ``--lsl-out`` predictions and a marker stream to XDF while ``vaxis live``
decodes; pyxdf reads the file back, and replaying it reproduces the live predictions."""

import subprocess
import sys
import threading
import time
import uuid

import numpy as np
import pylsl
import pytest
import pyxdf

from tests.bundles import write_linear_bundle
from tests.outlets import make_outlet
from vaxis.calibration.markers import MarkerOutlet
from vaxis.stream.config import LiveConfig
from vaxis.stream.loop import LiveLoop
from vaxis.stream.recordings import read_recording
from vaxis.stream.replay import attach_labels, replay_fast

labrecorder = pytest.importorskip("labrecorder")

FS = 250.0
SECONDS = 10.0
CLI = "import sys; from vaxis.cli import main; sys.argv[0] = 'vaxis'; main()"


def _resolve(names, timeout=10.0):
    found, deadline = {}, time.time() + timeout
    while set(found) != set(names) and time.time() < deadline:
        for info in pylsl.resolve_streams(0.5):
            if info.name() in names:
                found[info.name()] = info
    assert set(found) == set(names), f"not found: {set(names) - set(found)}"
    return [found[n] for n in names]


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """One recorded session: the XDF file, the live messages and the names used."""
    root = tmp_path_factory.mktemp("labrecorder")
    bundle = write_linear_bundle(root / "bundle")
    tag = uuid.uuid4().hex[:6]
    eeg, pred, mark = f"eeg-{tag}", f"vaxis-{tag}", f"markers-{tag}"
    outlet = make_outlet(eeg, source_id=eeg)
    markers = MarkerOutlet(mark)
    messages = []
    loop = LiveLoop(LiveConfig(bundle=bundle, stream=eeg, zmq=None, lsl_out=pred),
                    on_prediction=messages.append)  # fmt: skip
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop,), daemon=True)
    thread.start()
    xdf = root / "session.xdf"
    recording = labrecorder.Recording(str(xdf), _resolve([eeg, pred, mark]))
    deadline = time.time() + 15
    while loop.state != "connected" and time.time() < deadline:
        time.sleep(0.01)
    assert loop.state == "connected"
    time.sleep(1.5)  # LabRecorder's inlets open and start collecting
    rng = np.random.default_rng(0)
    t0 = pylsl.local_clock()
    plan = [(1.0, "stim/negative/1/start"), (4.0, "stim/negative/1/end"),
            (5.0, "stim/positive/1/start"), (9.0, "stim/positive/1/end")]  # fmt: skip
    for offset, text in plan:
        markers.push(text, t0 + offset)
    for i in range(0, int(SECONDS * FS), 10):
        stamps = t0 + (i + np.arange(10)) / FS
        outlet.push_chunk(rng.normal(0, 10, (10, 32)).astype(np.float32).tolist(),
                          stamps.tolist())  # fmt: skip
        time.sleep(max(0.0, stamps[-1] - pylsl.local_clock()))
    time.sleep(1.0)  # the last windows are decoded and reach the recorder
    stop.set()
    thread.join(10)
    recording.stop()
    del recording  # the destructor writes the footers and closes the file
    return {"xdf": xdf, "bundle": bundle, "messages": messages, "names": (eeg, pred, mark)}


def test_the_xdf_holds_eeg_predictions_and_markers(session):
    eeg_name, pred_name, mark_name = session["names"]
    streams = {s["info"]["name"][0]: s for s in pyxdf.load_xdf(str(session["xdf"]))[0]}
    assert {eeg_name, pred_name, mark_name} <= set(streams)
    eeg, pred = streams[eeg_name], streams[pred_name]
    labels = [c["label"][0] for c in pred["info"]["desc"][0]["channels"][0]["channel"]]
    assert labels == ["valence", "p_negative", "p_neutral", "p_positive"]
    assert pred["info"]["type"][0] == "Valence"
    stamps = pred["time_stamps"]
    assert len(stamps) == len(session["messages"]) >= 30
    assert eeg["time_stamps"][0] <= stamps.min() and stamps.max() <= eeg["time_stamps"][-1]
    # Each prediction is stamped with its window's end: an EEG sample time.
    live_ends = np.array([m["t_end"] for m in session["messages"]])
    np.testing.assert_allclose(stamps, live_ends, atol=1e-3)
    recorded = np.asarray(pred["time_series"])
    live = np.array([[m["valence"], *m["probs"].values()] for m in session["messages"]])
    np.testing.assert_allclose(recorded, live, atol=1e-6)  # float32 on the wire
    texts = [v[0] for v in streams[mark_name]["time_series"]]
    assert texts[0] == "stim/negative/1/start" and len(texts) == 4


def test_replay_of_the_xdf_reproduces_the_live_predictions(session):
    raw = read_recording(session["xdf"])
    eeg = next(s for s in pyxdf.load_xdf(str(session["xdf"]))[0]
               if s["info"]["name"][0] == session["names"][0])  # fmt: skip
    stamps = eeg["time_stamps"]
    starts = [int(np.argmin(np.abs(stamps - m["t_start"]))) for m in session["messages"]]
    offsets = [
        abs(stamps[s] - m["t_start"]) for s, m in zip(starts, session["messages"], strict=True)
    ]
    assert max(offsets) < 0.5 / FS  # every live window's first sample is in the file
    fast = replay_fast(raw, session["bundle"], starts=starts)
    for live, replayed in zip(session["messages"], fast.rows, strict=True):
        assert live["valid"] == replayed["valid"]
        probs = [live["probs"][c] for c in fast.classes]
        np.testing.assert_allclose(replayed["probs"], probs, atol=1e-5)
        np.testing.assert_allclose(replayed["valence"], live["valence"], atol=1e-5)
    labelled = attach_labels(replay_fast(raw, session["bundle"]), raw)
    assert {r["true"] for r in labelled.rows} >= {"negative", "positive"}  # from the markers


def test_vaxis_replay_reads_the_labrecorder_file(session, tmp_path):
    out = tmp_path / "p.csv"
    done = subprocess.run(
        [sys.executable, "-c", CLI, "replay", str(session["xdf"]), "--bundle",
         str(session["bundle"]), "-o", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "balanced accuracy" in done.stdout and out.read_text().count("\n") > 10
