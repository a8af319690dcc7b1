"""Replay of FIF, EDF and FACED subject files; --fast equals --realtime on the same windows."""

import subprocess
import sys

import mne
import numpy as np
import pytest

from vaxis.decoder.channels import FACED_CHANNELS
from vaxis.offline.corpus.synthetic import synthesize_recording, write_synthetic_faced
from vaxis.stream.recordings import label_track, read_recording
from vaxis.stream.replay import attach_labels, replay_fast, replay_realtime, write_csv


def _raw(seconds=2, clips=28):
    data, onsets, labels = synthesize_recording(9, seed=0, seconds=seconds)
    n = clips * seconds * 250
    raw = mne.io.RawArray(data[:, :n] * 1e-6, mne.create_info(list(FACED_CHANNELS), 250.0, "eeg"),
                          verbose=False)  # fmt: skip
    from vaxis.decoder.faced import FACED_CLASSES

    names = [f"stim/{FACED_CLASSES[c]}/{i + 1}" for i, c in enumerate(labels[:clips])]
    raw.set_annotations(mne.Annotations(onsets[:clips] / 250.0, seconds, names))
    return raw


@pytest.mark.parametrize("suffix", ["_raw.fif", ".edf"])
def test_replay_fast_of_fif_and_edf_writes_the_csv(tmp_path, tiny_bundle, suffix):
    path = tmp_path / f"rec{suffix}"
    raw = _raw(seconds=4, clips=6)
    if suffix == ".edf":
        mne.export.export_raw(path, raw, fmt="edf", verbose=False)
    else:
        raw.save(path, verbose=False)
    back = read_recording(path)
    labels, stimulus = label_track(back, ["anger", "disgust"])
    assert (labels >= 0).sum() == 6 * 4 * 250 and stimulus.max() == 5
    result = attach_labels(replay_fast(back, tiny_bundle), back)
    # 4-s windows every 2 s within 4-s clips: one window per clip survives the straddle rule.
    assert len(result.rows) == 6 and {r["true"] for r in result.rows} == {"anger", "disgust"}
    assert result.metrics is not None and 0 <= result.metrics["balanced_accuracy"] <= 1
    csv = write_csv(result, tmp_path / "p.csv").read_text().splitlines()
    assert csv[0].startswith("t_start,t_end,label,valence,valid,reason,true,p_anger")
    assert len(csv) == 7


def test_replay_of_a_faced_subject_file(tmp_path, tiny_bundle):
    write_synthetic_faced(tmp_path, n_subjects=1, seconds=4, seed=3, fmt="processed")
    raw = read_recording(tmp_path / "Processed_data" / "sub000.pkl")
    assert raw.n_times == 28 * 1000
    result = attach_labels(replay_fast(raw, tiny_bundle), raw)
    assert len(result.rows) == 28 and result.metrics["windows_scored"] == 28
    assert result.rows[0]["true"] == "anger" and result.rows[-1]["true"] == "tenderness"


def test_fast_equals_realtime_on_the_same_windows(tmp_path, tiny_bundle):
    raw = _raw(seconds=2, clips=6)  # 12 s played in real time
    live = replay_realtime(raw, tiny_bundle)
    assert len(live.rows) >= 3 and live.live.windows == len(live.rows)
    starts = [r["start"] for r in live.rows]
    fast = replay_fast(raw, tiny_bundle, starts=starts)
    for a, b in zip(live.rows, fast.rows, strict=True):
        assert a["valid"] == b["valid"]
        np.testing.assert_allclose(a["probs"], b["probs"], atol=1e-5)
        np.testing.assert_allclose(a["valence"], b["valence"], atol=1e-5)
    # Realtime windows sit on the hop grid of the samples the loop received.
    assert len(set(np.diff(starts))) == 1


def test_cli_replay_fast(tmp_path, tiny_bundle):
    path = tmp_path / "rec_raw.fif"
    _raw(seconds=4, clips=4).save(path, verbose=False)
    code = "import sys; from vaxis.cli import main; sys.argv[0] = 'vaxis'; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "replay", str(path), "--bundle", str(tiny_bundle), "--fast",
         "-o", str(tmp_path / "p.csv"), "--plot", str(tmp_path / "v.png")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "balanced accuracy" in done.stdout and "SYNTHETIC" in done.stderr
    assert (tmp_path / "v.png").stat().st_size > 1000
    missing = str(tmp_path / "none.fif")
    args = [sys.executable, "-c", code, "replay", missing, "--bundle", str(tiny_bundle)]
    bad = subprocess.run(args, capture_output=True, text=True)
    assert bad.returncode == 1 and "no such file" in bad.stderr


def test_replay_of_a_test_subject_reproduces_the_causal_report(tiny_training):
    """The report's causal figure for a held-out subject is what ``replay --fast`` of that
    subject's recording gives: same windows, same running statistics, same model."""
    metrics = tiny_training.result.metrics
    assert metrics["config"]["normalisation"] == "causal"
    for subject in metrics["folds"][0]["test"]:
        path = tiny_training.corpus / "Processed_data" / f"{subject}.pkl"
        raw = read_recording(path)
        replayed = attach_labels(replay_fast(raw, tiny_training.result.bundle), raw)
        offline = metrics["residual_ensemble"]["per_subject"][subject]
        assert abs(replayed.metrics["balanced_accuracy"] - offline) <= 0.01, (subject, offline)
    assert "TRANSDUCTIVE" in metrics["transductive"]["note"]


def test_replay_fast_does_not_depend_on_the_batch_size(tiny_bundle):
    raw = _raw(seconds=4)
    small, whole = replay_fast(raw, tiny_bundle, batch=7), replay_fast(raw, tiny_bundle, batch=4096)
    assert len(small.rows) == len(whole.rows) > 7
    for a, b in zip(small.rows, whole.rows, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            if isinstance(a[key], (str, type(None))):
                assert a[key] == b[key], key
            else:
                np.testing.assert_allclose(np.asarray(a[key], float), np.asarray(b[key], float),
                                           atol=1e-6, err_msg=key)  # fmt: skip
