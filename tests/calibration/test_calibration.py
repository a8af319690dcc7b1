"""Calibration: markers, protocol, incremental FIF recording, adaptation; real LSL loopback."""

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import mne
import numpy as np
import pylsl
import pytest

from tests.conftest import TINY_PARAMS
from tests.outlets import make_outlet
from vaxis.calibration.adaptation import adapt
from vaxis.calibration.markers import MarkerOutlet, parse_marker
from vaxis.calibration.protocol import load_protocol
from vaxis.calibration.recording import FifRecorder
from vaxis.calibration.session import CalibrationConfig, calibrate
from vaxis.decoder.bundle import load_bundle
from vaxis.decoder.channels import FACED_CHANNELS
from vaxis.decoder.profile import load_profile
from vaxis.errors import DataError
from vaxis.offline.corpus.synthetic import SynthParams, synthesize_recording
from vaxis.stream.recordings import FACED_CLASSES, label_track, markers_path, read_recording
from vaxis.stream.replay import attach_labels, replay_fast

FS = 250.0


def participant(seconds, shift_sd=0.0):
    """A SYNTHETIC participant's 28 clips back to back, and a shift of its statistics."""
    shift = np.random.default_rng(5).normal(0, shift_sd, (32, 5)) if shift_sd else 0.0
    params = SynthParams(**TINY_PARAMS)
    return synthesize_recording(11, seed=0, seconds=seconds, shift=shift, params=params)


def push(outlet, data, t0, speed, stop=None):
    """Push ``data`` (32, n) in chunks of 10 stamped ``t0 + i / FS``, ``speed`` x real time."""
    for i in range(0, data.shape[1] - 9, 10):
        if stop is not None and stop.is_set():
            return
        stamps = t0 + (i + np.arange(10)) / FS
        outlet.push_chunk(data[:, i : i + 10].T.tolist(), stamps.tolist())
        time.sleep(10 / FS / speed)


def test_marker_vocabulary():
    m = parse_marker("stim/Joy/3/start")
    assert (m.kind, m.cls, m.ident, m.edge, m.segment) == (
        "stim",
        "joy",
        "3",
        "start",
        "stim/joy/3",
    )
    assert parse_marker("baseline/end").segment == "baseline"
    assert parse_marker("session/end").kind == "session"
    assert parse_marker("stim/joy/start").kind == "other"  # no id: not the vocabulary
    assert parse_marker("button press").kind == "other"


def test_protocol_file_schedules_the_vocabulary(tmp_path):
    path = tmp_path / "protocol.json"
    stimuli = ["joy/1", {"stimulus": "Fear/1", "seconds": 5}]
    path.write_text(
        json.dumps({"baseline_s": 10, "stimulus_s": 20, "pause_s": 2, "stimuli": stimuli})
    )
    schedule = load_protocol(path).schedule()
    assert schedule == [(0.0, "baseline/start"), (10.0, "baseline/end"),
                        (12.0, "stim/joy/1/start"), (32.0, "stim/joy/1/end"),
                        (34.0, "stim/fear/1/start"), (39.0, "stim/fear/1/end"),
                        (41.0, "session/end")]  # fmt: skip
    path.write_text(json.dumps({"stimuli": ["joy"]}))
    with pytest.raises(DataError, match="<class>/<id>"):
        load_protocol(path)


def test_recording_is_readable_before_close_and_whole_after(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.normal(0, 10, (32, int(3.5 * FS))).astype(np.float32)
    rec = FifRecorder(tmp_path / "s_raw.fif", list(FACED_CHANNELS), FS)
    for i in range(0, data.shape[1], 25):
        rec.append(data[:, i : i + 25])
    rec.annotate(0.5, 1.0, "baseline")
    # As a killed session leaves it: three whole seconds on disk, annotations beside.
    raw = read_recording(tmp_path / "s_raw.fif")
    assert raw.n_times == 750
    np.testing.assert_allclose(raw.get_data() * 1e6, data[:, :750], rtol=1e-6)
    assert list(raw.annotations.description) == ["baseline"]
    rec.close()
    raw = mne.io.read_raw_fif(tmp_path / "s_raw.fif", preload=True)  # no warning: complete
    assert raw.n_times == data.shape[1]
    np.testing.assert_allclose(raw.get_data() * 1e6, data, rtol=1e-6)
    assert raw.annotations[0]["onset"] == 0.5 and raw.annotations[0]["duration"] == 1.0


def test_profile_helps_a_participant_whose_statistics_are_shifted(tmp_path, tiny_bundle):
    """Offline: adapt() on a labelled SYNTHETIC recording with a shifted spectrum."""
    data, onsets, labels = participant(16, shift_sd=0.7)
    baseline = data[:, onsets[12] : onsets[12] + int(8 * FS)]  # a neutral stretch as rest
    info = mne.create_info(list(FACED_CHANNELS), FS, "eeg")
    raw = mne.io.RawArray(np.concatenate([baseline, data], axis=1) * 1e-6, info, verbose=False)
    spans = [(0.0, 8.0, "baseline")] + [
        (8.0 + o / FS, 16.0, f"stim/{FACED_CLASSES[c]}/{i}")
        for i, (o, c) in enumerate(zip(onsets, labels, strict=True))
    ]
    raw.set_annotations(mne.Annotations(*zip(*spans, strict=True)))
    profile = adapt(raw, tiny_bundle, "P07", tmp_path / "P07")
    m = profile.metrics
    assert m["held_out_classes"] == 9 and m["held_out_windows"] > 50
    # About one standard error of a 9-class balanced accuracy on this many windows.
    assert m["after"] >= m["before_prior"] + 0.05, m
    assert m["after"] > m["before_running"], m
    loaded = load_profile(tmp_path / "P07")
    assert loaded.synthetic and loaded.metrics == m
    # Replay with the profile applies it.
    with_profile = attach_labels(replay_fast(raw, tiny_bundle, tmp_path / "P07"), raw).metrics
    without = attach_labels(replay_fast(raw, tiny_bundle), raw).metrics
    assert with_profile["balanced_accuracy"] > without["balanced_accuracy"]


def test_session_driven_by_a_marker_outlet_writes_profile_and_recording(
    tmp_path, tiny_bundle, caplog
):
    caplog.set_level(logging.INFO, logger="vaxis.calibration")
    name = f"eeg-{uuid.uuid4().hex[:6]}"
    outlet = make_outlet(name, source_id=name)
    markers = MarkerOutlet(f"{name}-markers")
    data, onsets, labels = participant(6)
    # Baseline 8 s, then two 6-s stimuli of anger, joy and neutral, 1 s apart.
    picks = [0, 1, 12, 13, 22, 23]
    parts, plan, t = [data[:, : int(8 * FS)]], [(0.0, "baseline/start"), (8.0, "baseline/end")], 8.0
    for k in picks:
        c, n = FACED_CLASSES[labels[k]], k
        parts += [data[:, onsets[k] : onsets[k] + int(6 * FS)], data[:, : int(FS)]]
        plan += [(t, f"stim/{c}/{n}/start"), (t + 6.0, f"stim/{c}/{n}/end"), (t + 6.0, "beep")]
        t += 7.0
    plan.append((t - 0.5, "session/end"))
    eeg = np.concatenate(parts, axis=1)
    config = CalibrationConfig(bundle=tiny_bundle, participant="P01", out=tmp_path / "P01",
                               stream=name, markers=f"{name}-markers", duration=60)  # fmt: skip
    result = {}

    def run():
        done = calibrate(config)
        result["profile"], result["path"] = done.profile, done.recording

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.time() + 15
    while not (outlet.have_consumers() and markers.have_consumers()) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    t0 = pylsl.local_clock()
    for offset, text in plan:  # markers first: stamped with the EEG's time base
        markers.push(text, t0 + offset)
    push(outlet, eeg, t0, speed=8.0)
    thread.join(30)
    assert "profile" in result, caplog.text
    raw = read_recording(result["path"])
    assert abs(raw.n_times - plan[-1][0] * FS) <= 20  # up to session/end, not beyond
    assert raw.ch_names == load_bundle(tiny_bundle).channels  # the bundle's channels
    recorded = raw.get_data()[:, :1000] * 1e6
    np.testing.assert_allclose(recorded, eeg[:30, :1000], rtol=1e-5, atol=1e-4)
    names = list(raw.annotations.description)
    assert names.count("beep") == 6 and "baseline" in names
    track, stimulus = label_track(raw, list(FACED_CLASSES))
    assert len(set(stimulus[stimulus >= 0])) == 6
    metrics = load_profile(tmp_path / "P01").metrics
    assert metrics["held_out_classes"] == 3 and metrics["after"] is not None
    assert metrics["windows"] == {"baseline": 3, "stimuli": 12}


def test_a_killed_protocol_session_leaves_a_readable_recording(tmp_path, tiny_bundle):
    name = f"eeg-{uuid.uuid4().hex[:6]}"
    outlet = make_outlet(name, source_id=name)
    protocol = tmp_path / "protocol.json"
    protocol.write_text(json.dumps({"baseline_s": 2, "stimulus_s": 30, "pause_s": 0.5,
                                    "stimuli": ["joy/1", "anger/1"]}))  # fmt: skip
    out = tmp_path / "P02"
    code = "import sys; from vaxis.cli import main; sys.argv[0] = 'vaxis'; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "calibrate", "--bundle", str(tiny_bundle), "--stream", name,
         "--protocol", str(protocol), "--participant", "P02", "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )  # fmt: skip
    stop = threading.Event()
    data, _, _ = participant(8)
    pusher = threading.Thread(target=push, args=(outlet, np.tile(data, 3), pylsl.local_clock(),
                                                 1.0, stop), daemon=True)  # fmt: skip
    pusher.start()
    try:
        deadline = time.time() + 30
        while time.time() < deadline and not list(out.glob("*_raw.fif")):
            time.sleep(0.1)
        time.sleep(6.0)  # baseline over (lead 2 s + 2 s), a stimulus under way
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
    (path,) = out.glob("*_raw.fif")
    raw = read_recording(path)
    # About 6 s; more by the time the marker stream took to resolve (the EEG inlet connects
    # before the FIF is created), less by at most the second not yet flushed.
    assert 4.0 <= raw.n_times / FS <= 8.0
    assert list(raw.annotations.description) == ["baseline"]
    assert abs(raw.annotations[0]["duration"] - 2.0) < 0.05
    assert "stim/joy/1/start" in markers_path(path).read_text()
    assert not (out / "profile.json").exists()


def test_missing_samples_are_nan_so_markers_stay_on_time(tmp_path):
    from vaxis.calibration.session import _Session

    rec = FifRecorder(tmp_path / "g_raw.fif", list(FACED_CHANNELS), FS)
    session = _Session(rec, FS, list(FACED_CLASSES))
    chunk = np.ones((32, 250), np.float32)
    session.eeg(chunk, 100.0 + np.arange(250) / FS)  # 0-1 s
    session.eeg(chunk, 103.0 + np.arange(250) / FS)  # 3-4 s: two seconds never came
    session.marker(103.5, "stim/joy/1/start")
    session.marker(103.9, "stim/joy/1/end")
    rec.close()
    raw = read_recording(tmp_path / "g_raw.fif")
    assert raw.n_times == 4 * 250
    assert (
        np.isnan(raw.get_data()[:, 250:750]).all() and not np.isnan(raw.get_data()[:, 750:]).any()
    )
    gap, stim = raw.annotations[0], raw.annotations[1]
    assert gap["description"] == "BAD_gap" and gap["onset"] == 1.0 and gap["duration"] == 2.0
    assert stim["description"] == "stim/joy/1" and abs(stim["onset"] - 3.5) < 1e-6
