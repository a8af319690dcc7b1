"""``vaxis data info --check`` opens every subject file and says which are bad."""

import pickle
import subprocess
import sys

import numpy as np

from vaxis.offline.corpus import open_corpus
from vaxis.offline.corpus.check import check_corpus
from vaxis.offline.corpus.synthetic import write_synthetic_faced

CLI = "import sys; from vaxis.cli import main; sys.argv[0] = 'vaxis'; main()"


class _Huge:
    def __reduce__(self):
        return (np.ndarray, ((28, 32, 300000), np.dtype("f8")))


def _info(path):
    return subprocess.run([sys.executable, "-c", CLI, "data", "info", str(path), "--check"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_a_clean_corpus_passes(tmp_path):
    write_synthetic_faced(tmp_path, n_subjects=3, seconds=1, fmt="processed")
    done = _info(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "checked 3 subject files: all open and hold valid data" in done.stderr


def test_corrupt_and_hostile_files_are_named(tmp_path):
    write_synthetic_faced(tmp_path, n_subjects=4, seconds=1, fmt="processed")
    folder = tmp_path / "Processed_data"
    data = (folder / "sub001.pkl").read_bytes()
    (folder / "sub001.pkl").write_bytes(data[: len(data) // 3])  # truncated
    (folder / "sub002.pkl").write_bytes(pickle.dumps(_Huge()))  # declares 2 GiB in 100 bytes
    clips = np.zeros((28, 32, 250), np.float32)
    clips[5, 3, 7] = np.nan
    (folder / "sub003.pkl").write_bytes(pickle.dumps(clips))
    results = check_corpus(open_corpus(tmp_path))
    assert [r.ok for r in results] == [True, False, False, False]
    done = _info(tmp_path)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert any(line.startswith("bad sub001:") and "truncated" in line for line in lines)
    assert any(line.startswith("bad sub002:") and "(28, 32, 300000)" in line for line in lines)
    assert any(line.startswith("bad sub003:") and "NaN" in line for line in lines)
    assert lines[-1] == "error: 3 of 4 subject files failed the check"
    assert "Traceback" not in done.stderr
