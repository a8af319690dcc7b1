"""Replay says why windows are invalid (a ``reason`` column, counts by reason) and exits
non-zero when none is valid."""

import csv
import subprocess
import sys

import mne
import numpy as np
import pytest

from tests.bundles import write_linear_bundle
from vaxis.decoder.channels import FACED_CHANNELS
from vaxis.stream.recordings import read_recording
from vaxis.stream.replay import invalid_reasons, replay_fast, write_csv

CLI = "import sys; from vaxis.cli import main; sys.argv[0] = 'vaxis'; main()"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return write_linear_bundle(tmp_path_factory.mktemp("reasons") / "bundle")


def _recording(path, data_uv):
    info = mne.create_info(list(FACED_CHANNELS), 250.0, "eeg")
    mne.io.RawArray(data_uv * 1e-6, info, verbose=False).save(path, verbose=False)
    return path


def test_invalid_windows_carry_their_reason_in_the_csv(tmp_path, bundle):
    data = np.random.default_rng(0).normal(0, 10, (32, 20 * 250))
    data[3, 2 * 250 : 3 * 250] = np.nan  # a NaN burst on F3
    data[:, 8 * 250 : 12 * 250] = 0.0  # every channel flat
    raw = read_recording(_recording(tmp_path / "mixed_raw.fif", data))
    result = replay_fast(raw, bundle)
    counts = invalid_reasons(result)
    assert set(counts) == {"non-finite", "flat"} and all(n > 0 for n in counts.values())
    rows = list(csv.DictReader(write_csv(result, tmp_path / "p.csv").open()))
    assert list(rows[0])[:7] == ["t_start", "t_end", "label", "valence", "valid", "reason", "true"]
    invalid = [r for r in rows if r["valid"] == "0"]
    assert sum(r["reason"].startswith("non-finite: F3") for r in invalid) == counts["non-finite"]
    assert all(r["reason"] == "" for r in rows if r["valid"] == "1")


@pytest.mark.parametrize(
    ("fill", "reason"), [(np.nan, "non-finite"), (0.0, "flat"), (np.inf, "non-finite")]
)
def test_replay_of_input_with_no_valid_window_exits_1(tmp_path, bundle, fill, reason):
    path = _recording(tmp_path / "bad_raw.fif", np.full((32, 10 * 250), fill))
    out = tmp_path / "p.csv"
    done = subprocess.run(
        [sys.executable, "-c", CLI, "replay", str(path), "--bundle", str(bundle), "-o", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert f"invalid windows by reason: {reason} 37" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("error:")
    assert "no valid window among 37" in done.stderr and "Traceback" not in done.stderr
    rows = list(csv.DictReader(out.open()))  # written first, so the reasons can be read
    assert len(rows) == 37 and all(r["reason"].startswith(reason) for r in rows)
