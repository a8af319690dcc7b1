"""Protocols are validated before any stream opens; recordings with odd annotations (as
earlier versions could write them) still replay and adapt. The refusals themselves are
fuzzed in tests/test_refusals.py."""

import json
import logging

import mne
import numpy as np
import pytest

from tests.bundles import write_linear_bundle
from vaxis.calibration.protocol import load_protocol
from vaxis.calibration.recording import FifRecorder
from vaxis.calibration.session import CalibrationConfig, _Session, calibrate
from vaxis.decoder.channels import FACED_CHANNELS
from vaxis.errors import DataError
from vaxis.stream.recordings import annot_path, read_recording
from vaxis.stream.replay import attach_labels, replay_fast

CLASSES = ["negative", "neutral", "positive"]


def _write(tmp_path, spec):
    path = tmp_path / "protocol.json"
    path.write_text(json.dumps(spec))
    return path


def test_extra_classes_and_zero_pauses_are_accepted(tmp_path):
    stimuli = ["Positive/1", {"stimulus": "happy/1", "seconds": 3}]
    spec = {"baseline_s": 5, "pause_s": 0, "extra_classes": ["happy"], "stimuli": stimuli}
    path = _write(tmp_path, spec)
    protocol = load_protocol(path, CLASSES)
    assert protocol.stimuli == [("positive", "1", 30.0), ("happy", "1", 3.0)]
    assert protocol.duration_s == 5 + 30 + 3
    with pytest.raises(DataError, match=r"stimuli\[1\]: class 'happy'.*extra_classes"):
        load_protocol(_write(tmp_path, {"stimuli": ["positive/1", "happy/1"]}), CLASSES)


def test_a_bad_protocol_is_refused_before_any_stream_opens(tmp_path):
    bundle = write_linear_bundle(tmp_path / "bundle")
    path = _write(tmp_path, {"stimuli": [{"stimulus": "positive/1", "seconds": -4}]})
    config = CalibrationConfig(bundle=bundle, participant="P", out=tmp_path / "P",
                               stream="no-such-stream", protocol=path,
                               connect_timeout=30)  # fmt: skip
    with pytest.raises(DataError, match=r"stimuli\[0\]\.seconds.*found -4"):
        calibrate(config)  # refused at once, not after 30 s of looking for the stream
    assert not (tmp_path / "P").exists()


def _odd_recording(tmp_path):
    """60 s of noise with the annotations a session of an earlier version wrote beside its
    FIF: a stimulus that ended before it started, one with no end time."""
    rng = np.random.default_rng(0)
    info = mne.create_info(list(FACED_CHANNELS), 250.0, "eeg")
    path = tmp_path / "calibration-old_raw.fif"
    mne.io.RawArray(rng.normal(0, 10e-6, (32, 60 * 250)), info, verbose=False).save(path)
    lines = ["0.0,8.0,baseline"] + [
        f"{8 + 10 * i}.0,8.0,stim/{c}/{i}" for i, c in enumerate(["negative", "positive"] * 2)
    ]
    lines += ["50.0,-4.0,stim/positive/9", "52.0,nan,stim/negative/9"]
    annot_path(path).write_text("# MNE-Annotations\n# onset, duration, description\n"
                                + "\n".join(lines) + "\n")  # fmt: skip
    return path


def test_a_recording_with_odd_annotations_replays_and_adapts(tmp_path):
    bundle = write_linear_bundle(tmp_path / "bundle")
    path = _odd_recording(tmp_path)
    raw = read_recording(path)
    assert (raw.annotations.duration >= 0).all() and np.isfinite(raw.annotations.onset).all()
    assert "stim/positive/9" in raw.annotations.description  # kept, as a marker
    result = attach_labels(replay_fast(raw, bundle), raw)
    assert {r["true"] for r in result.rows} >= {"negative", "positive"}
    config = CalibrationConfig(bundle=bundle, participant="P", out=tmp_path / "P")
    result = calibrate(config, recording=path)
    assert result.recording == path and result.profile.metrics["windows"]["stimuli"] > 0


def test_a_segment_that_ends_before_it_starts_is_dropped(tmp_path, caplog):
    recorder = FifRecorder(tmp_path / "s_raw.fif", ["Fz", "Cz"], 250.0)
    session = _Session(recorder, 250.0, CLASSES)
    session.eeg(np.zeros((2, 500), np.float32), 10.0 + np.arange(500) / 250.0)
    session.marker(11.0, "stim/positive/1/start")
    with caplog.at_level(logging.WARNING, logger="vaxis.calibration"):
        session.marker(10.5, "stim/positive/1/end")  # stamped before its start
    recorder.close()
    raw = read_recording(tmp_path / "s_raw.fif")
    assert (raw.annotations.duration >= 0).all()
    assert "stim/positive/1" not in raw.annotations.description
    assert "before its start: segment dropped" in caplog.text
