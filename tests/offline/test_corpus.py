"""Corpus readers: safe pickles, format detection, FACED layouts, BIDS, SEED-V cutting."""

import os
import pickle
import subprocess
import sys

import mne
import numpy as np
import pytest

from vaxis.decoder.channels import FACED_CHANNELS
from vaxis.errors import ConfigError, DataError, UnsafePickleError
from vaxis.offline.corpus import detect_format, open_corpus
from vaxis.offline.corpus.bids import clip_of, read_faced_bids
from vaxis.offline.corpus.faced import CHANNEL_ORDERS, channel_order
from vaxis.offline.corpus.seedv import TRIAL_END, TRIAL_LABELS, TRIAL_START, cut_session
from vaxis.offline.corpus.synthetic import synthesize_recording, write_synthetic_faced
from vaxis.safe_pickle import load_array


class _RunsCode:
    """Unpickling this would create a file: the side effect a safe loader must prevent."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def _processed(tmp_path, arrays: dict[str, object]):
    folder = tmp_path / "Processed_data"
    folder.mkdir()
    for name, value in arrays.items():
        (folder / name).write_bytes(pickle.dumps(value, protocol=4))
    return folder


def test_a_pickle_that_would_run_code_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "sub000.pkl"
    path.write_bytes(pickle.dumps(_RunsCode(str(marker))))
    with pytest.raises(UnsafePickleError, match=r"sub000\.pkl.*posix\.mkdir|os\.mkdir"):
        load_array(path)
    assert not marker.exists()


def test_an_array_wrapped_in_another_object_is_refused(tmp_path):
    path = tmp_path / "sub000.pkl"
    path.write_bytes(pickle.dumps({"data": np.zeros(3)}))
    with pytest.raises(DataError, match="expected a numpy array, found dict"):
        load_array(path)
    path.write_bytes(pickle.dumps(np.array([1, "x"], dtype=object)))
    with pytest.raises(UnsafePickleError, match="object arrays"):
        load_array(path)


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_numeric_arrays_load_under_every_protocol(tmp_path, protocol):
    array = np.arange(24, dtype=np.float32).reshape(2, 3, 4).transpose(2, 0, 1)
    (tmp_path / "a.pkl").write_bytes(pickle.dumps(array, protocol=protocol))
    np.testing.assert_array_equal(load_array(tmp_path / "a.pkl"), array)


def test_truncated_file_names_the_file(tmp_path):
    write_synthetic_faced(tmp_path, n_subjects=1, seconds=1, fmt="processed")
    path = tmp_path / "Processed_data" / "sub000.pkl"
    path.write_bytes(path.read_bytes()[:5000])
    corpus = open_corpus(tmp_path)
    with pytest.raises(DataError, match=r"sub000\.pkl: truncated pickle"):
        corpus.subjects[0].load()


def test_wrong_shape_and_nan_give_clear_errors(tmp_path):
    bad = np.zeros((28, 31, 250), np.float32)
    nan = np.zeros((28, 32, 250), np.float32)
    nan[3, 4, 5] = np.nan
    _processed(tmp_path, {"sub000.pkl": bad, "sub001.pkl": nan})
    corpus = open_corpus(tmp_path, format="faced-processed")
    with pytest.raises(DataError, match=r"sub000\.pkl: expected .* shape \(28 x 32 x any\), got"):
        corpus.subjects[0].load()
    with pytest.raises(DataError, match=r"sub001\.pkl: 1 NaN/Inf"):
        corpus.subjects[1].load()


def test_subjects_sort_numerically_and_provenance_defaults_to_real(tmp_path):
    _processed(tmp_path, {f"sub{i}.pkl": np.zeros((28, 32, 10), np.float32) for i in (10, 2, 1)})
    corpus = open_corpus(tmp_path)
    assert corpus.subject_ids == ["sub1", "sub2", "sub10"]
    assert not corpus.synthetic and corpus.provenance["format"] == "faced-processed"


@pytest.mark.parametrize(
    ("layout", "expected"),
    [("processed", "faced-processed"), ("de", "faced-de"), ("both", "faced-processed")],
)
def test_detect_format(tmp_path, layout, expected):
    write_synthetic_faced(tmp_path, n_subjects=1, seconds=1, fmt=layout)
    assert detect_format(tmp_path) == expected
    if layout != "processed":
        assert detect_format(tmp_path / "EEG_Features" / "DE") == "faced-de"


def test_unknown_layout_and_format_are_clear_errors(tmp_path):
    with pytest.raises(DataError, match="cannot tell the corpus format"):
        detect_format(tmp_path)
    with pytest.raises(ConfigError, match="unknown corpus format 'mat'"):
        open_corpus(tmp_path, format="mat")
    with pytest.raises(DataError, match="no such file"):
        open_corpus(tmp_path / "absent")


def test_channel_orders():
    assert channel_order(None) == list(FACED_CHANNELS)
    after = channel_order("mastoids-after-t8")
    assert after[16:18] == ["A1", "A2"] and sorted(after) == sorted(FACED_CHANNELS)
    assert set(CHANNEL_ORDERS) == {"mastoids-last", "mastoids-after-t8"}
    with pytest.raises(DataError, match="32 distinct names"):
        channel_order("Fz,Cz")


@pytest.mark.parametrize(
    ("text", "clip"),
    [("7", 6), ("clip 7", 6), ("video_07", 6), ("stim/28", 27), ("29", None), ("rest", None)],
)
def test_bids_event_names_map_to_clips(text, clip):
    assert clip_of(text) == clip


def test_faced_in_bids_round_trip(tmp_path):
    from mne_bids import BIDSPath, write_raw_bids

    data, onsets, labels = synthesize_recording(0, seed=1, seconds=2)
    sfreq, lead = 250.0, 500  # two seconds of rest before the first clip
    padded = np.concatenate([np.zeros((32, lead), np.float32), data], axis=1)
    info = mne.create_info(list(FACED_CHANNELS), sfreq, "eeg")
    raw = mne.io.RawArray(padded * 1e-6, info, verbose=False)
    raw.set_annotations(
        mne.Annotations((onsets + lead) / sfreq, 2.0, [f"clip {i + 1}" for i in range(28)])
    )
    path = BIDSPath(subject="001", task="faced", datatype="eeg", root=tmp_path / "bids")
    write_raw_bids(raw, path, format="BrainVision", allow_preload=True, verbose=False)
    corpus = read_faced_bids(tmp_path / "bids", clip_seconds=2.0)
    assert detect_format(tmp_path / "bids") == "bids"
    assert corpus.subject_ids == ["sub-001"] and corpus.kind == "raw"
    trials = corpus.subjects[0].load()
    np.testing.assert_array_equal(corpus.subjects[0].labels, labels)
    expected = data.reshape(32, 28, 500).transpose(1, 0, 2)
    np.testing.assert_allclose(trials, expected, atol=0.05)  # BrainVision stores 0.1 uV steps


def test_seedv_session_cut_by_published_seconds():
    sfreq = 10.0
    n = int(TRIAL_END[2][-1] * sfreq) + 50
    names = ["FP1", "FPZ", "M1", "M2", "VEO", "HEO"]
    ramp = np.tile(np.arange(n, dtype=float), (len(names), 1))
    raw = mne.io.RawArray(ramp * 1e-6, mne.create_info(names, sfreq, "eeg"), verbose=False)
    trials = cut_session(raw, 2, trial_seconds=20, sfreq=sfreq, where="test.cnt")
    assert trials.shape == (15, 2, 200)
    # Each trial ends at its clip's published end second.
    np.testing.assert_allclose(trials[:, 0, -1], np.array(TRIAL_END[2]) * sfreq - 1, atol=1e-3)
    assert len(TRIAL_LABELS[2]) == len(TRIAL_START[2]) == 15
    with pytest.raises(DataError, match="does not fit"):
        cut_session(raw, 2, trial_seconds=60, sfreq=sfreq, where="test.cnt")


def test_cli_data_info_prints_the_summary(tmp_path):
    write_synthetic_faced(tmp_path, n_subjects=2, seconds=1, fmt="de")
    code = "import sys; from vaxis.cli import main; sys.argv[0] = 'vaxis'; main()"
    done = subprocess.run([sys.executable, "-c", code, "data", "info", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "SYNTHETIC" in done.stdout and "sub000" in done.stdout and "alpha 8-14" in done.stdout
    bad = subprocess.run([sys.executable, "-c", code, "data", "info", str(tmp_path / "nope")],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert bad.returncode == 1 and "no such file" in bad.stderr and "Traceback" not in bad.stderr
