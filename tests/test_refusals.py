"""Fuzz: crafted pickles, malformed bundles, protocols and recordings.

Every case must end in one clear :class:`VaxisError` line that names the file (or, for a
damaged recording MNE can still read, in a readable recording), never in another exception,
and the process that tries them all must stay under 1 GB of peak RSS: nothing a file
declares is allocated before it is sized. The cases run in a child process
(``python -m tests.test_refusals DIR``), so its peak RSS is its own; a few run through the
``vaxis`` command as well, to see the one line and no traceback.
"""

from __future__ import annotations

import json
import os
import pickle
import resource
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

#: Peak RSS of the process trying every case (the target).
RSS_LIMIT_MB = 1024
#: How each kind of input is opened: the entry points of replay, live and calibration.
KINDS = ("pickle", "bundle", "protocol", "recording")

CASES: dict[str, tuple[str, Callable[[Path], Path], str]] = {}


def case(kind: str, expect: str = "refused"):
    """Register a builder ``(dir) -> path``; ``expect`` is ``refused`` or ``readable``."""

    def register(build):
        CASES[build.__name__] = (kind, build, expect)
        return build

    return register


def _reduce(*parts):
    """An object whose pickle calls ``parts[0](*parts[1])`` (then sets ``parts[2]``)."""

    class Crafted:
        def __reduce__(self):
            return parts

    return Crafted()


def _write(d: Path, name: str, data: bytes) -> Path:
    path = d / name
    path.write_bytes(data)
    return path


def _dumps(obj, protocol=4) -> bytes:
    return pickle.dumps(obj, protocol=protocol)


# -- pickles ------------------------------------------------------------------------------

_RECONSTRUCT = np._core.multiarray._reconstruct
F8 = np.dtype("f8")


@case("pickle")
def ndarray_with_a_huge_shape(d):  # the 47-byte file of the report: 5 GB on a plain loader
    return _write(d, "sub001.pkl", _dumps(_reduce(np.ndarray, ((28, 32, 300000), F8))))


@case("pickle")
def ndarray_of_terabytes(d):
    return _write(d, "sub002.pkl", _dumps(_reduce(np.ndarray, ((28, 32, 10**12), F8))))


@case("pickle")
def reconstruct_with_a_huge_shape(d):
    return _write(d, "sub003.pkl", _dumps(_reduce(_RECONSTRUCT, (np.ndarray, (10**12,), b"b"))))


@case("pickle")
def state_declaring_a_huge_shape(d):
    state = (1, (10**6, 10**6), F8, False, b"abc")
    crafted = _reduce(_RECONSTRUCT, (np.ndarray, (0,), b"b"), state)
    return _write(d, "sub004.pkl", _dumps(crafted, protocol=2))


@case("pickle")
def frombuffer_with_a_huge_shape(d):
    frombuffer = np._core.numeric._frombuffer
    return _write(d, "sub005.pkl", _dumps(_reduce(frombuffer, (b"", F8, (10**12,), "C"))))


@case("pickle")
def bytearray8_declaring_a_terabyte(d):
    raw = b"\x80\x05\x96" + (2**40).to_bytes(8, "little") + b"abc."
    return _write(d, "sub006.pkl", raw)


@case("pickle")
def binbytes8_declaring_a_terabyte(d):
    raw = b"\x80\x04\x8e" + (2**40).to_bytes(8, "little") + b"abc."
    return _write(d, "sub007.pkl", raw)


@case("pickle")
def sub_array_dtype(d):
    return _write(d, "sub008.pkl", _dumps(_reduce(np.dtype, ("(10000,10000)f8", False, True))))


@case("pickle")
def object_array(d):
    return _write(d, "sub009.pkl", _dumps(np.array([1, "x", None], dtype=object)))


@case("pickle")
def object_dtype_in_an_array_state(d):  # numpy itself segfaults on such a state
    state = (1, (28, 32, 300000), np.dtype("O"), False, [1, 2, 3])
    crafted = _reduce(_RECONSTRUCT, (np.ndarray, (0,), b"b"), state)
    return _write(d, "sub010.pkl", _dumps(crafted, protocol=2))


@case("pickle")
def structured_dtype_state(d):
    state = (3, "|", None, ("a",), {"a": (F8, 0)}, 8, 1, 16)
    return _write(d, "sub011.pkl", _dumps(_reduce(np.dtype, ("V8", False, True), state)))


@case("pickle")
def calls_os_system(d):
    import os

    return _write(d, "sub012.pkl", _dumps(_reduce(os.system, ("touch pwned",))))


@case("pickle")
def calls_builtins_eval(d):
    return _write(d, "sub013.pkl", _dumps(_reduce(eval, ("1 + 1",))))


@case("pickle")
def calls_a_numpy_function_not_admitted(d):
    return _write(d, "sub014.pkl", _dumps(_reduce(np.load, ("/etc/passwd",))))


@case("pickle")
def nested_reduce_feeding_a_huge_array_into_another(d):
    inner = _reduce(np.ndarray, ((10**9,), F8))
    return _write(d, "sub015.pkl", _dumps(_reduce(_RECONSTRUCT, (np.ndarray, inner, b"b"))))


@case("pickle")
def nested_reduce_of_a_reconstructed_array_as_callable_argument(d):
    inner = _reduce(_RECONSTRUCT, (np.ndarray, (0,), b"b"))
    return _write(d, "sub016.pkl", _dumps(_reduce(np.ndarray, (inner, F8))))


@case("pickle")
def memo_flood(d):  # each MEMOIZE costs one byte of file and ~100 bytes of memory
    raw = b"\x80\x04N" + b"\x94" * 200_000 + b"."
    return _write(d, "sub017.pkl", raw)


@case("pickle")
def deep_marks(d):
    raw = b"\x80\x04" + b"(" * 200_000 + b"t" * 200_000 + b"."
    return _write(d, "sub018.pkl", raw)


@case("pickle")
def byte_order_of_a_shared_dtype(d):  # numpy's own float64 must never become big-endian
    state = (3, ">", None, None, None, -1, -1, 0)
    return _write(d, "sub019.pkl", _dumps(_reduce(np.dtype, ("f8", False, False), state)))


@case("pickle")
def state_set_on_a_dict(d):
    return _write(d, "sub020.pkl", b"\x80\x04}}b.")


@case("pickle")
def persistent_id(d):
    return _write(d, "sub021.pkl", b"\x80\x04N\x51.")


@case("pickle")
def extension_code(d):
    return _write(d, "sub022.pkl", b"\x80\x04\x82\x01.")


@case("pickle")
def negative_and_non_integer_shapes(d):
    return _write(d, "sub023.pkl", _dumps(_reduce(np.ndarray, ((-5, "x"), F8))))


@case("pickle")
def arrays_inside_a_dict(d):
    return _write(d, "sub024.pkl", _dumps({"data": np.zeros((28, 32, 10))}))


@case("pickle")
def empty_pickle(d):
    return _write(d, "sub025.pkl", b"")


@case("pickle")
def garbage_pickle(d):
    return _write(d, "sub026.pkl", bytes(range(256)) * 4)


@case("pickle")
def truncated_faced_file(d):
    whole = _dumps(np.zeros((28, 32, 250), np.float32))
    return _write(d, "sub027.pkl", whole[: len(whole) // 2])


@case("pickle")
def wrong_layout(d):
    return _write(d, "sub028.pkl", _dumps(np.zeros((3, 4), np.float32)))


# -- bundles ------------------------------------------------------------------------------


def _bundle(d: Path, edit=None, stamped: bool = True) -> Path:
    from tests.bundles import write_linear_bundle
    from vaxis.decoder.bundle import sha256_file
    from vaxis.decoder.onnx_graph import write_metadata

    path = write_linear_bundle(d / "bundle")
    meta = json.loads((path / "bundle.json").read_text())
    if not stamped:
        write_metadata(path / "model.onnx", {}, "vaxis.")
        meta["onnx"]["sha256"] = sha256_file(path / "model.onnx")
    if edit:
        edit(meta, path)
    (path / "bundle.json").write_text(json.dumps(meta))
    return path


def _rehash(meta, path):
    from vaxis.decoder.bundle import sha256_file

    meta["onnx"]["sha256"] = sha256_file(path / "model.onnx")


@case("bundle")
def two_classes_swapped(d):
    def swap(meta, _):
        meta["classes"][0], meta["classes"][2] = meta["classes"][2], meta["classes"][0]

    return _bundle(d, swap)


@case("bundle")
def valence_position_edited(d):
    return _bundle(d, lambda m, _: m["valence"]["positions"].update(negative=1.0))


@case("bundle")
def features_bands_missing(d):
    return _bundle(d, lambda m, _: m["features"].pop("bands"))


@case("bundle")
def normalisation_prior_missing(d):
    return _bundle(d, lambda m, _: m["normalisation"].pop("prior"))


@case("bundle")
def prior_of_the_wrong_shape(d):
    return _bundle(d, lambda m, _: m["normalisation"]["prior"].update(raw_std=[1.0, 2.0]))


@case("bundle")
def position_not_finite(d):
    return _bundle(d, lambda m, _: m["valence"]["positions"].update(neutral=float("nan")))


@case("bundle")
def sfreq_a_string(d):
    return _bundle(d, lambda m, _: m.update(sfreq="250"))


@case("bundle")
def window_samples_fractional(d):
    return _bundle(d, lambda m, _: m["window"].update(samples=62.5))


@case("bundle")
def band_beyond_nyquist(d):
    return _bundle(d, lambda m, _: m["features"]["bands"].update(gamma=[30, 400]))


@case("bundle")
def duplicated_channel(d):
    return _bundle(d, lambda m, _: m["channels"].__setitem__(1, m["channels"][0]))


@case("bundle")
def input_name_not_in_the_graph(d):  # unstamped: only the graph itself can tell
    return _bundle(d, lambda m, _: m["inputs"][0].update(name="feats"), stamped=False)


@case("bundle")
def more_classes_than_the_graph_outputs(d):
    def add(meta, _):
        meta["classes"].append("joy")
        meta["valence"]["positions"]["joy"] = 0.5

    return _bundle(d, add, stamped=False)


@case("bundle")
def model_not_onnx(d):
    def garbage(meta, path):
        (path / "model.onnx").write_bytes(b"\x08\x07" + bytes(range(256)) * 8)
        _rehash(meta, path)

    return _bundle(d, garbage)


@case("bundle")
def model_truncated(d):
    def truncate(meta, path):
        data = (path / "model.onnx").read_bytes()
        (path / "model.onnx").write_bytes(data[: len(data) // 2])
        _rehash(meta, path)

    return _bundle(d, truncate)


@case("bundle")
def bundle_json_null(d):
    path = _bundle(d)
    (path / "bundle.json").write_text("null")
    return path


@case("bundle")
def bundle_json_not_json(d):
    path = _bundle(d)
    (path / "bundle.json").write_text("{'classes': ")
    return path


# -- protocols ----------------------------------------------------------------------------


def _protocol(d: Path, spec) -> Path:
    path = d / "protocol.json"
    path.write_text(spec if isinstance(spec, str) else json.dumps(spec))
    return path


@case("protocol")
def negative_stimulus_seconds(d):
    return _protocol(d, {"stimuli": [{"stimulus": "positive/1", "seconds": -4}]})


@case("protocol")
def nan_baseline(d):
    return _protocol(d, '{"baseline_s": NaN, "stimuli": ["positive/1"]}')


@case("protocol")
def all_durations_negative(d):
    return _protocol(d, {"baseline_s": -1, "stimulus_s": -2, "pause_s": -3,
                         "stimuli": ["positive/1"]})  # fmt: skip


@case("protocol")
def unknown_class(d):
    return _protocol(d, {"stimuli": ["positive/1", "happy/1"]})


@case("protocol")
def misspelt_key(d):
    return _protocol(d, {"stimulus_sec": 20, "stimuli": ["positive/1"]})


@case("protocol")
def no_stimuli(d):
    return _protocol(d, {"stimuli": []})


@case("protocol")
def seconds_as_text(d):
    return _protocol(d, {"stimuli": [{"stimulus": "positive/1", "seconds": "20"}]})


@case("protocol")
def a_year_long_stimulus(d):
    return _protocol(d, {"stimulus_s": 3.2e7, "stimuli": ["positive/1"]})


@case("protocol")
def repeated_stimulus(d):
    return _protocol(d, {"stimuli": ["positive/1", "positive/1"]})


@case("protocol")
def protocol_a_list(d):
    return _protocol(d, ["positive/1"])


# -- recordings ---------------------------------------------------------------------------

FORMATS = ("_raw.fif", ".edf", ".bdf", ".vhdr", ".set", ".xdf", ".pkl")


def _empty(suffix):
    def build(d):
        return _write(d, f"empty{suffix}", b"")

    build.__name__ = f"empty{suffix.replace('.', '_')}"
    return build


def _garbage(suffix):
    def build(d):
        return _write(d, f"garbage{suffix}", b"\x00\x13garbage" * 300)

    build.__name__ = f"garbage{suffix.replace('.', '_')}"
    return build


for _suffix in FORMATS:
    case("recording")(_empty(_suffix))
    case("recording")(_garbage(_suffix))


def _raw(seconds=4.0):
    import mne

    info = mne.create_info([f"EEG{i}" for i in range(4)], 250.0, "eeg")
    data = np.random.default_rng(0).normal(0, 1e-5, (4, int(seconds * 250)))
    return mne.io.RawArray(data, info, verbose=False)


@case("recording")
def fif_cut_mid_data(d):  # a copy cut short inside a data buffer (vaxis writes whole ones)
    path = d / "cut_raw.fif"
    _raw(20).save(path, verbose=False)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


@case("recording")
def fif_cut_in_its_header(d):
    path = d / "head_raw.fif"
    _raw().save(path, verbose=False)
    path.write_bytes(path.read_bytes()[:300])
    return path


@case("recording")
def edf_cut_in_its_header(d):
    import mne

    path = d / "cut.edf"
    mne.export.export_raw(path, _raw(), fmt="edf", verbose=False)
    path.write_bytes(path.read_bytes()[:200])
    return path


@case("recording")
def brainvision_without_its_data_file(d):
    import mne

    path = d / "bv.vhdr"
    mne.export.export_raw(path, _raw(), fmt="brainvision", verbose=False)
    (d / "bv.eeg").unlink()
    return path


@case("recording")
def calibration_killed_before_its_first_second(d):
    from vaxis.calibration.recording import FifRecorder

    recorder = FifRecorder(d / "early_raw.fif", ["Fz", "Cz"], 250.0)
    recorder.append(np.zeros((2, 100), np.float32))  # not yet flushed: nothing on disk
    recorder.fh.close()
    return d / "early_raw.fif"


@case("recording", expect="readable")
def calibration_with_odd_annotations(d):  # as earlier versions recorded them
    path = d / "odd_raw.fif"
    _raw(20).save(path, verbose=False)
    (d / "odd_annot.txt").write_text(
        "# MNE-Annotations\n# onset, duration, description\n"
        "5.0,-4.0,stim/joy/1\n6.0,nan,stim/joy/2\n8.0,2.0,stim/anger/1\n"
    )
    return path


@case("recording")
def xdf_cut_in_a_chunk(d):
    raw = (
        b"XDF:"
        + bytes([1, 0xFF, 2])  # a chunk of length 255 (one length byte), tag 2 ...
        + b"\x00" * 10  # ... that ends here
    )
    return _write(d, "cut.xdf", raw)


def _xdf_chunk(tag: int, content: bytes) -> bytes:
    """One XDF chunk: 4 length bytes, the length (tag + content), the tag, the content."""
    body = struct.pack("<H", tag) + content
    return bytes([4]) + struct.pack("<I", len(body)) + body


@case("recording")
def xdf_with_only_a_marker_stream(d):
    header = b'<?xml version="1.0"?><info><version>1.0</version></info>'
    markers = (
        b'<?xml version="1.0"?><info><name>Markers</name><type>Markers</type>'
        b"<channel_count>1</channel_count><nominal_srate>0</nominal_srate>"
        b"<channel_format>string</channel_format><created_at>0</created_at></info>"
    )
    raw = b"XDF:" + _xdf_chunk(1, header) + _xdf_chunk(2, struct.pack("<I", 1) + markers)
    return _write(d, "markers.xdf", raw)


# -- running them -------------------------------------------------------------------------


def _open(kind: str, path: Path):
    if kind == "pickle":
        from vaxis.stream.recordings import read_recording

        return read_recording(path)
    if kind == "bundle":
        from vaxis.decoder.bundle import load_bundle

        return load_bundle(path)
    if kind == "protocol":
        from vaxis.calibration.protocol import load_protocol

        return load_protocol(path, ["negative", "neutral", "positive"])
    from vaxis.stream.recordings import read_recording

    return read_recording(path)


def run_all(root: Path) -> dict:
    """Try every case; return outcomes and this process's peak RSS (MB)."""
    from vaxis.errors import VaxisError

    outcomes = {}
    for name, (kind, build, _) in CASES.items():
        folder = root / name
        folder.mkdir(parents=True)
        path = build(folder)
        try:
            _open(kind, path)
            outcomes[name] = {"error": None, "message": ""}
        except VaxisError as err:
            outcomes[name] = {"error": type(err).__name__, "message": str(err), "path": str(path)}
        except Exception as err:  # noqa: BLE001 - recorded, and the test fails on it
            outcomes[name] = {"error": f"UNEXPECTED {type(err).__name__}", "message": str(err)}
    return {
        "outcomes": outcomes,
        "float64_byteorder": np.dtype("f8").byteorder,
        "pwned": (Path.cwd() / "pwned").exists(),
        "peak_rss_mb": _peak_rss_mb(),
    }


def _peak_rss_mb() -> float:
    """This process's peak resident set since its exec (``VmHWM``; ``ru_maxrss`` would keep
    the forking pytest process's peak across the exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("refusals")

    def limit():  # a safety net on a shared machine, should a guard ever regress
        resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))

    repo = str(Path(__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (repo, os.environ.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, "-m", "tests.test_refusals", str(root)],
        capture_output=True, text=True, timeout=600, preexec_fn=limit, cwd=root,
        env={**os.environ, "PYTHONPATH": path},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


@pytest.mark.parametrize("name", list(CASES))
def test_every_case_ends_in_one_clear_line(results, name):
    kind, _, expect = CASES[name]
    outcome = results["outcomes"][name]
    if expect == "readable":
        assert outcome["error"] is None, outcome
        return
    assert outcome["error"] and not outcome["error"].startswith("UNEXPECTED"), outcome
    message = outcome["message"]
    assert "\n" not in message and len(message) < 600, message
    where = Path(outcome["path"])
    named = where.parent.name if kind == "bundle" else where.name
    assert named in message, message


def test_peak_rss_stays_under_a_gigabyte_and_nothing_ran(results):
    assert results["peak_rss_mb"] < RSS_LIMIT_MB, results["peak_rss_mb"]
    assert results["float64_byteorder"] == "="
    assert not results["pwned"]


def test_huge_shape_is_refused_naming_the_declared_shape(results):
    message = results["outcomes"]["ndarray_with_a_huge_shape"]["message"]
    assert "(28, 32, 300000)" in message and "nothing was allocated" in message


def test_a_reader_error_keeps_its_own_reason(results):
    message = results["outcomes"]["xdf_with_only_a_marker_stream"]["message"]
    assert "no regular numeric (EEG) stream" in message and "malformed" not in message


def test_a_layout_bound_refuses_an_array_that_would_fit_the_file(tmp_path):
    from vaxis.errors import UnsafePickleError
    from vaxis.safe_pickle import load_array

    path = _write(tmp_path, "a.pkl", _dumps(np.zeros((28, 32, 100))))
    assert load_array(path, max_elements=28 * 32 * 100).shape == (28, 32, 100)
    with pytest.raises(UnsafePickleError, match=r"shape \(28, 32, 100\).*more than the test"):
        load_array(path, max_elements=28 * 32 * 99, layout="the test layout")


CLI = "import sys; from vaxis.cli import main; sys.argv[0] = 'vaxis'; main()"


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("ndarray_with_a_huge_shape", ["replay", "{path}", "--bundle", "{bundle}", "--fast"]),
        ("two_classes_swapped", ["replay", "{recording}", "--bundle", "{path}"]),
        ("negative_stimulus_seconds",
         ["calibrate", "--bundle", "{bundle}", "--stream", "x", "--protocol", "{path}",
          "--participant", "P", "-o", "{root}/P"]),
        ("empty_raw_fif", ["replay", "{path}", "--bundle", "{bundle}"]),
    ],
)  # fmt: skip
def test_the_command_prints_one_line_and_no_traceback(tmp_path, name, command):
    from tests.bundles import write_linear_bundle

    kind, build, _ = CASES[name]
    (tmp_path / "case").mkdir()
    path = build(tmp_path / "case")
    bundle = write_linear_bundle(tmp_path / "good")
    recording = tmp_path / "rec_raw.fif"
    _raw().save(recording, verbose=False)
    args = [a.format(path=path, bundle=bundle, recording=recording, root=tmp_path) for a in command]
    done = subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), done.stderr
    assert "Traceback" not in done.stderr + done.stdout


if __name__ == "__main__":
    print(json.dumps(run_all(Path(sys.argv[1]))))
