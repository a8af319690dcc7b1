"""Any category set: a lab's own categories from sentences to calibration, no code changes.

A 4-category toy design (calm, tense, happy, sad): ``vaxis axis build --sentences`` gives
its axis, a small SYNTHETIC BIDS dataset names its stimuli ``stim/<class>/<id>`` in its
events, and the same corpus, bundle and recordings flow through train, replay (labels from
the BIDS events) and calibration (protocol classes, markers, adaptation).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import mne
import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from vaxis.calibration.adaptation import adapt  # noqa: E402
from vaxis.calibration.markers import parse_marker  # noqa: E402
from vaxis.calibration.protocol import load_protocol  # noqa: E402
from vaxis.decoder.bundle import load_bundle  # noqa: E402
from vaxis.errors import DataError  # noqa: E402
from vaxis.offline.axis import load_axis, save_axis  # noqa: E402
from vaxis.offline.axis.build import (  # noqa: E402
    CATEGORIES,
    Sentences,
    build_axis,
    load_extra,
    load_sentences,
)
from vaxis.offline.axis.model import LanguageModel  # noqa: E402
from vaxis.offline.corpus import detect_format, open_corpus  # noqa: E402
from vaxis.offline.train import TrainConfig, train_bundle  # noqa: E402
from vaxis.stream.recordings import read_recording  # noqa: E402
from vaxis.stream.replay import attach_labels, replay_fast  # noqa: E402

TOY_SENTENCES = {
    "calm": {"sentence": "She sat by the quiet lake at dusk, breathing slowly, at peace.",
             "side": 1},
    "tense": {"sentence": "His hands shook as the deadline closed in and the phone kept ringing "
                          "with more bad news.", "side": -1},
    "happy": {"sentence": "They danced in the kitchen, laughing, delighted by the good news.",
              "side": 1},
    "sad": {"sentence": "She packed her late brother's room into boxes, crying quietly.",
            "side": -1},
}  # fmt: skip
TOY_CLASSES = sorted(TOY_SENTENCES)
CHANNELS = ["Fz", "Cz", "Pz", "Oz", "F3", "F4", "C3", "C4"]
FS = 250.0
#: The planted effect: each class adds a rhythm at its own frequency over its own channels.
TONES = {"calm": (10.0, [2, 3]), "happy": (20.0, [4, 5]), "sad": (6.0, [0, 1]),
         "tense": (30.0, [6, 7])}  # fmt: skip


def toy_recording(subject: int) -> mne.io.RawArray:
    """A SYNTHETIC session: 8 s of rest, then two stimuli of each class (6-9 s, 2 s apart)."""
    rng = np.random.default_rng(subject)
    order = rng.permutation([c for c in TOY_CLASSES for _ in range(2)])
    spans, t, seen = [(0.0, 8.0, "baseline")], 10.0, dict.fromkeys(TOY_CLASSES, 0)
    for cls in order:
        seen[cls] += 1
        duration = float(rng.uniform(6, 9))
        spans.append((t, duration, f"stim/{cls}/{seen[cls]}"))
        t += duration + 2.0
    n = int(t * FS)
    data = 5.0 * rng.standard_normal((len(CHANNELS), n))
    times = np.arange(n) / FS
    for onset, duration, name in spans[1:]:
        freq, channels = TONES[name.split("/")[1]]
        inside = (times >= onset) & (times < onset + duration)
        amplitude = 6.0 * rng.uniform(0.7, 1.3)
        data[np.ix_(channels, inside)] += amplitude * np.sin(2 * np.pi * freq * times[inside])
    raw = mne.io.RawArray(data * 1e-6, mne.create_info(CHANNELS, FS, "eeg"), verbose=False)
    raw.set_annotations(mne.Annotations(*zip(*spans, strict=True)))
    return raw


@pytest.fixture(scope="module")
def minilm():
    return LanguageModel()


@pytest.fixture(scope="module")
def toy_axis(minilm, tmp_path_factory):
    folder = tmp_path_factory.mktemp("toy_axis")
    (folder / "toy.json").write_text(json.dumps(TOY_SENTENCES))
    axis = build_axis(lm=minilm, sentences=load_sentences(folder / "toy.json"))
    return save_axis(axis, folder / "axis.json")


@pytest.fixture(scope="module")
def toy_bids(tmp_path_factory):
    """Six SYNTHETIC subjects in BIDS (BrainVision), stimuli as ``stim/<class>/<id>`` events."""
    from mne_bids import BIDSPath, write_raw_bids

    root = tmp_path_factory.mktemp("toy") / "bids"
    for subject in range(1, 7):
        path = BIDSPath(subject=f"{subject:02d}", task="toy", datatype="eeg", root=root)
        write_raw_bids(toy_recording(subject), path, format="BrainVision", allow_preload=True,
                       verbose=False)  # fmt: skip
    (root / "vaxis_provenance.json").write_text(
        json.dumps({"synthetic": True, "generator": "tests/offline/test_categories.py"})
    )
    return root


@pytest.fixture(scope="module")
def toy_bundle(toy_bids, toy_axis, tmp_path_factory):
    config = TrainConfig.quick(archs=("logistic", "mlp"), pool=2, members=2, epochs=4)
    out = tmp_path_factory.mktemp("toy_bundle") / "bundle"
    return train_bundle(toy_bids, toy_axis, out, config)


def test_packaged_axis_keeps_faced_and_places_seedv(minilm):
    packaged = load_sentences()
    assert list(packaged.defining) == list(CATEGORIES) and list(packaged.placed) == ["happy", "sad"]
    nine = build_axis(lm=minilm, sentences=Sentences(packaged.defining, packaged.sides))
    axis = build_axis(lm=minilm)
    assert (axis.layer, axis.anchor, axis.scale, axis.offset) == (
        nine.layer, nine.anchor, nine.scale, nine.offset)  # fmt: skip
    assert axis.direction == nine.direction
    assert {c: axis.positions[c] for c in CATEGORIES} == nine.positions
    assert axis.positions["happy"] > 0 > axis.positions["sad"]
    assert set(axis.embeddings) == set(axis.positions) == {*CATEGORIES, "happy", "sad"}


def test_own_categories_define_their_own_axis(toy_axis):
    axis = load_axis(toy_axis)
    assert set(axis.positions) == set(TOY_CLASSES) and axis.placed == []
    assert axis.sides == {c: v["side"] for c, v in TOY_SENTENCES.items()}
    positive = np.mean([axis.positions[c] for c in ("calm", "happy")])
    negative = np.mean([axis.positions[c] for c in ("tense", "sad")])
    assert positive > 0 > negative
    # No neutral category: zero is the midpoint of the two sides, the farthest at +/-1.
    assert positive + negative == pytest.approx(0.0, abs=1e-9)
    assert max(abs(v) for v in axis.positions.values()) == pytest.approx(1.0)


def _write(path, data):
    path.write_text(json.dumps(data))
    return path


def test_sentence_files_are_checked(tmp_path):
    sentences = {"calm": "A quiet lake.", "tense": {"sentence": "A deadline.", "side": -1}}
    with pytest.raises(DataError, match="no valence side.*load_extra"):
        load_sentences(_write(tmp_path / "a.json", sentences))
    with pytest.raises(DataError, match="both sides"):
        load_sentences(_write(tmp_path / "b.json", {"tense": sentences["tense"]}))
    with pytest.raises(DataError, match="given twice"):
        load_sentences(_write(tmp_path / "c.json", {"Joy": "x", "joy": "y", "fear": "z"}))
    with pytest.raises(DataError, match="hold no '/'"):
        load_sentences(_write(tmp_path / "d.json", {"joy/x": "x", "fear": "z"}))
    with pytest.raises(DataError, match="must be -1, 0 or 1"):
        load_sentences(_write(tmp_path / "e.json", {"up": {"sentence": "x", "side": 2}}))
    with pytest.raises(DataError, match="take no side"):
        load_extra(_write(tmp_path / "f.json", {"tense": sentences["tense"]}))
    mixed = load_sentences(_write(tmp_path / "g.json", {"JOY": "x", "Fear": "y"}))
    assert mixed.sides == {"joy": 1, "fear": -1}  # names are stored in lower case


def test_cli_axis_build_with_own_sentences_and_extra(tmp_path):
    code = "import sys; from vaxis.cli import main; sys.argv[0] = 'vaxis'; main()"
    sentences = _write(tmp_path / "toy.json", TOY_SENTENCES)
    extra = _write(tmp_path / "extra.json", {"Bored": "Nothing happened all afternoon."})
    out = tmp_path / "axis.json"
    done = subprocess.run(
        [sys.executable, "-c", code, "axis", "build", "-o", str(out), "--sentences",
         str(sentences), "--extra", str(extra), "--plot", str(tmp_path / "axis.png")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "bored" in done.stdout and "placed" in done.stdout
    axis = load_axis(out)
    assert axis.placed == ["bored"] and set(axis.positions) == {*TOY_CLASSES, "bored"}
    assert (tmp_path / "axis.png").stat().st_size > 1000
    one_each = _write(tmp_path / "two.json", {"joy": "x", "fear": "y"})
    args = ["axis", "build", "-o", str(out), "--sentences", str(one_each)]
    bad = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    assert bad.returncode == 1 and "give layer=N" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_bids_events_give_the_corpus_its_categories(toy_bids):
    assert detect_format(toy_bids) == "bids"
    corpus = open_corpus(toy_bids)
    assert corpus.classes == TOY_CLASSES and corpus.channels == CHANNELS and corpus.synthetic
    assert corpus.subject_ids == [f"sub-{i:02d}" for i in range(1, 7)]
    subject = corpus.subjects[0]
    assert np.bincount(subject.labels).tolist() == [2, 2, 2, 2]
    trials = subject.load()
    assert isinstance(trials, list) and len({t.shape[1] for t in trials}) > 1
    assert all(6 * FS - 1 <= t.shape[1] <= 9 * FS + 1 for t in trials)
    # A stimulus id names the same (class, id) for every subject.
    other = corpus.subjects[1]
    assert {int(c): int(k) for c, k in zip(subject.clips, subject.labels, strict=True)} == {
        int(c): int(k) for c, k in zip(other.clips, other.labels, strict=True)}  # fmt: skip


def test_toy_design_trains_with_the_axis_positions(toy_bundle, toy_axis):
    bundle = load_bundle(toy_bundle.bundle)
    assert bundle.classes == TOY_CLASSES and bundle.channels == CHANNELS and bundle.synthetic
    assert bundle.valence_positions == pytest.approx(load_axis(toy_axis).positions)
    assert toy_bundle.metrics["residual_ensemble"]["balanced_accuracy"] > 0.5


def test_study_mapping_on_the_toy_design(toy_bids, toy_axis, tmp_path):
    from vaxis.offline.study import run_study

    summary = run_study("mapping", toy_bids, toy_axis, tmp_path, quick=True)
    assert summary.synthetic and set(summary.axis["positions"]) == set(TOY_CLASSES)
    assert set(summary.mapping["per_category"]) == set(TOY_CLASSES)
    assert np.isfinite(summary.mapping["r"])


def test_replay_reads_the_labels_from_the_bids_events(toy_bundle, toy_bids):
    subject = toy_bundle.metrics["folds"][0]["test"][0]
    recording = next((toy_bids / subject / "eeg").glob("*_eeg.vhdr"))
    raw = read_recording(recording)
    result = attach_labels(replay_fast(raw, toy_bundle.bundle), raw)
    assert {row["true"] for row in result.rows} - {""} == set(TOY_CLASSES)
    assert result.metrics["balanced_accuracy"] > 0.5 and result.metrics["chance"] == 0.25


def test_calibration_speaks_the_bundle_classes(toy_bundle, toy_bids, tmp_path):
    bundle = load_bundle(toy_bundle.bundle)
    stimuli = ["calm/1", "Tense/1", "happy/1", "sad/1"]
    protocol = load_protocol(_write(tmp_path / "p.json", {"stimuli": stimuli}), bundle.classes)
    for _, marker in protocol.schedule():
        parsed = parse_marker(marker)
        assert parsed.kind != "stim" or parsed.cls in bundle.classes
    with pytest.raises(DataError, match=r"class .bored. is not one of the bundle.s"):
        load_protocol(_write(tmp_path / "q.json", {"stimuli": ["bored/1"]}), bundle.classes)
    subject = toy_bundle.metrics["folds"][0]["test"][0]
    raw = read_recording(next((toy_bids / subject / "eeg").glob("*_eeg.vhdr")))
    profile = adapt(raw, toy_bundle.bundle, "P01", tmp_path / "P01")
    assert profile.metrics["held_out_classes"] == 4 and profile.metrics["chance"] == 0.25
