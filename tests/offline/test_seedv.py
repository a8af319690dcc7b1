"""SEED-V end to end on a SYNTHETIC corpus in its published layout (FIF sessions).

The axis comes from ``vaxis axis build`` with the packaged MiniLM (happy and sad placed on
the FACED axis); ``vaxis train`` (default protocol, CBraMod's split scaled to six subjects),
``vaxis study mapping`` and ``vaxis replay`` run as commands; the live path decodes the
62-channel layout with the trained bundle, directly and through the live loop.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from vaxis.decoder.bundle import load_bundle
from vaxis.decoder.channels import match_channels
from vaxis.decoder.pipeline import Decoder
from vaxis.errors import DataError
from vaxis.offline.axis import load_axis
from vaxis.offline.corpus import detect_format, open_corpus
from vaxis.offline.corpus.seedv import (
    NON_EEG,
    SEEDV_CHANNELS,
    SEEDV_CLASSES,
    TRIAL_END,
    TRIAL_LABELS,
    TRIAL_START,
    read_seedv,
)
from vaxis.offline.corpus.synthetic_seedv import (
    session_file,
    synthesize_session,
    write_synthetic_seedv,
)
from vaxis.stream.recordings import label_track, read_recording
from vaxis.stream.replay import attach_labels, replay_realtime

SCALE, FS = 0.1, 250.0


def run_cli(*args: str) -> subprocess.CompletedProcess:
    code = "import sys; from vaxis.cli import main; sys.argv[0] = 'vaxis'; main()"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=600, env=env)  # fmt: skip


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    """Six SYNTHETIC subjects, session 1 each, timing compressed tenfold."""
    return write_synthetic_seedv(tmp_path_factory.mktemp("seedv"), n_subjects=6, sessions=(1,))


@pytest.fixture(scope="module")
def axis_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("axis") / "axis.json"
    done = run_cli("axis", "build", "-o", str(path))
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture(scope="module")
def trained(corpus_dir, axis_path, tmp_path_factory):
    """``vaxis train`` with the default protocol and a small pool of feature members."""
    out = tmp_path_factory.mktemp("train") / "bundle"
    done = run_cli("train", "--data", str(corpus_dir), "--axis", str(axis_path), "-o", str(out),
                   "--pool", "3", "--members", "2", "--epochs", "4")  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out, done


def test_reader_cuts_whole_clips_at_the_published_seconds(corpus_dir):
    assert detect_format(corpus_dir) == "seed-v"
    corpus = open_corpus(corpus_dir)
    assert corpus.name == "seed-v" and corpus.synthetic and corpus.classes == list(SEEDV_CLASSES)
    assert corpus.channels == list(SEEDV_CHANNELS) and not set(NON_EEG) & set(corpus.channels)
    assert corpus.subject_ids == [str(i) for i in range(1, 7)]
    subject = corpus.subjects[0]
    np.testing.assert_array_equal(subject.labels, TRIAL_LABELS[1])
    np.testing.assert_array_equal(subject.clips, np.arange(15))
    trials = subject.load()
    assert isinstance(trials, list) and len(trials) == 15
    published = [round(e * SCALE * FS) - round(s * SCALE * FS)
                 for s, e in zip(TRIAL_START[1], TRIAL_END[1], strict=True)]  # fmt: skip
    assert [t.shape for t in trials] == [(62, n) for n in published]
    # Each trial is the written signal between its clip's (scaled) published seconds.
    written = synthesize_session(1, 1, seed=0, time_scale=SCALE, sfreq=FS)
    first = round(TRIAL_START[1][3] * SCALE * FS)
    np.testing.assert_allclose(trials[3], written[:62, first : first + published[3]], atol=1e-3)


def test_last_seconds_of_each_clip_on_request(corpus_dir):
    corpus = read_seedv(corpus_dir, trial_seconds=4.0)
    trials = corpus.subjects[1].load()
    assert isinstance(trials, np.ndarray) and trials.shape == (15, 62, 1000)
    whole = open_corpus(corpus_dir).subjects[1].load_trials()
    np.testing.assert_array_equal(trials[7], whole[7][:, -1000:])
    with pytest.raises(DataError, match="does not fit"):
        read_seedv(corpus_dir, trial_seconds=8.0).subjects[0].load()


def test_cli_synth_writes_the_seedv_layout(tmp_path):
    done = run_cli("data", "synth", str(tmp_path), "--layout", "seedv", "--subjects", "1")
    assert done.returncode == 0 and "SYNTHETIC SEED-V" in done.stderr, done.stderr
    names = sorted(p.name for p in (tmp_path / "EEG_raw").iterdir())
    assert names == [session_file(1, s) for s in (1, 2, 3)]
    info = run_cli("data", "info", str(tmp_path))
    assert info.returncode == 0, info.stderr
    assert "SYNTHETIC" in info.stdout and "seed-v" in info.stdout and "happy" in info.stdout
    assert open_corpus(tmp_path).subjects[0].labels.size == 45


def test_axis_build_gives_every_seedv_class_a_position(axis_path):
    axis = load_axis(axis_path)
    positions = dict(zip(SEEDV_CLASSES, axis.position_of(list(SEEDV_CLASSES)), strict=True))
    assert axis.placed == ["happy", "sad"] and axis.layer == 4
    assert positions["happy"] > positions["neutral"] == 0.0 > positions["sad"]
    assert positions["disgust"] < 0 and positions["fear"] < 0


def test_train_reports_figures_and_writes_a_seedv_bundle(trained, axis_path):
    out, done = trained
    assert "SYNTHETIC bundle" in done.stderr and "residual ensemble" in done.stderr
    assert "balanced accuracy" in done.stderr
    bundle = load_bundle(out)
    assert bundle.classes == list(SEEDV_CLASSES) and bundle.channels == list(SEEDV_CHANNELS)
    axis = load_axis(axis_path)
    expected = dict(zip(SEEDV_CLASSES, axis.position_of(list(SEEDV_CLASSES)), strict=True))
    assert bundle.valence_positions == pytest.approx(expected)
    metrics = json.loads((out / "report" / "metrics.json").read_text())
    assert 0 <= metrics["residual_ensemble"]["balanced_accuracy"] <= 1


def test_study_mapping_runs_on_seedv(corpus_dir, axis_path, tmp_path):
    done = run_cli("study", "mapping", "--data", str(corpus_dir), "--axis", str(axis_path),
                   "-o", str(tmp_path), "--quick")  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["data"]["synthetic"] and summary["data"]["corpus"] == "seed-v"
    assert set(summary["axis"]["positions"]) == set(SEEDV_CLASSES)
    mapping = summary["mapping"]
    assert np.isfinite(mapping["r"]) and 0 < mapping["p_value"] <= 1
    assert set(mapping["per_category"]) == set(SEEDV_CLASSES)


def test_replay_of_a_seedv_session_file(trained, corpus_dir, tmp_path):
    out, _ = trained
    recording = corpus_dir / "EEG_raw" / session_file(6, 1)
    csv_path = tmp_path / "predictions.csv"
    done = run_cli("replay", str(recording), "--bundle", str(out), "-o", str(csv_path))
    assert done.returncode == 0, done.stderr
    assert "balanced accuracy" in done.stdout and "SYNTHETIC bundle" in done.stderr
    rows = list(csv.DictReader(csv_path.open()))
    truths = {row["true"] for row in rows} - {""}
    assert truths == set(SEEDV_CLASSES)
    assert all(row["label"] in SEEDV_CLASSES for row in rows if row["valid"] == "1")


def test_live_decoder_decodes_the_62_channel_layout(trained, corpus_dir):
    out, _ = trained
    bundle = load_bundle(out)
    corpus = open_corpus(corpus_dir)
    trial = corpus.subjects[5].load_trials()[2]
    picks = match_channels(corpus.channels, bundle.channels)
    windows = np.stack([trial[picks, i : i + bundle.window_samples] for i in (0, 250, 500)])
    decoded = Decoder(bundle).decode(windows)
    assert decoded.probs.shape == (3, 5) and decoded.valid.all()
    np.testing.assert_allclose(decoded.probs.sum(axis=1), 1.0, atol=1e-5)


def test_live_loop_decodes_a_seedv_recording_in_real_time(trained, corpus_dir):
    out, _ = trained
    raw = read_recording(corpus_dir / "EEG_raw" / session_file(6, 1))
    start = TRIAL_START[1][2] * SCALE
    raw.crop(start, start + 8.0)
    result = attach_labels(replay_realtime(raw, out), raw)
    assert result.mode == "realtime" and len(result.rows) >= 2
    track, _ = label_track(raw, list(SEEDV_CLASSES))
    assert {row["true"] for row in result.rows} == {SEEDV_CLASSES[track[0]]}
