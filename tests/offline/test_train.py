"""Training, the residual ensemble and the bundle export, on a tiny SYNTHETIC corpus."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from vaxis.decoder.bundle import load_bundle
from vaxis.decoder.channels import FACED_REFERENCE_CHANNELS
from vaxis.decoder.inputs import InputStats
from vaxis.decoder.pipeline import Decoder
from vaxis.errors import ConfigError, DataError, ModelError
from vaxis.offline.corpus import open_corpus
from vaxis.offline.corpus.synthetic import write_synthetic_faced
from vaxis.offline.train import TrainConfig, resolve_device, train_bundle
from vaxis.offline.train.data import load_windows
from vaxis.offline.train.export import onnx_outputs, torch_outputs
from vaxis.offline.train.models import ZOO


def test_bundle_loads_and_validates(tiny_bundle):
    bundle = load_bundle(tiny_bundle)
    meta = bundle.meta
    assert bundle.synthetic and "synthetic" in bundle.model_id
    assert meta["provenance"]["generator"] == "vaxis.offline.corpus.synthetic"
    assert len(bundle.channels) == 30 and not set(FACED_REFERENCE_CHANNELS) & set(bundle.channels)
    assert bundle.window_samples == 1000 and bundle.hop_samples == 500
    assert meta["window"]["seconds"] == 4.0 and meta["onnx"]["opset"] >= 17
    assert meta["features"]["kind"] == "de"
    assert meta["features"]["bands"] == {k: list(v) for k, v in bundle.bands.items()}
    kinds = [spec.kind for spec in bundle.inputs]
    assert set(kinds) <= {"features", "envelope", "covariance", "raw"}
    members = meta["onnx"]["members"]
    for kind in ("raw", "covariance", "envelope"):
        assert (kind in kinds) == any(m["kind"] == kind for m in members)
    assert ("covariance" in kinds) == ("covariance" in meta["features"])
    combination = meta["onnx"]["combination"]
    assert combination["method"] == bundle.meta["onnx"]["combination"]["method"]
    shipped = json.loads((tiny_bundle / "report" / "metrics.json").read_text())["folds"][0]
    assert combination["method"] == shipped["shipped"]
    assert combination["members"] == list(range(len(members)))
    assert meta["normalisation"]["method"] == "causal" and meta["normalisation"]["warmup"] == 20
    prior = InputStats.from_dict(meta["normalisation"]["prior"])
    assert prior.feature_mean.shape == (30, 5) and prior.raw_std.shape == (30,)
    assert meta["valence"]["source"] in ("ridge", "expectation")
    assert meta["valence"]["axis"]["model"] == "planted-synthetic"
    for name in ("best_member", "naive_average", "stacking", "caruana", "greedy",
                 "residual_ensemble"):  # fmt: skip
        assert 0 <= meta["metrics"][name]["balanced_accuracy"] <= 1


def test_report_files_are_labelled_synthetic(tiny_bundle):
    report = tiny_bundle / "report"
    metrics = json.loads((report / "metrics.json").read_text())
    assert metrics["synthetic"] is True
    for name in ("confusion_matrix.png", "per_subject_accuracy.png", "valence_scatter.png",
                 "member_diversity.png"):  # fmt: skip
        assert (report / name).stat().st_size > 5000
    summary = (report / "summary.md").read_text()
    assert summary.startswith("# SYNTHETIC DATA") and "| stacking |" in summary
    rows = (report / "per_subject_accuracy.csv").read_text().splitlines()
    assert rows[0].endswith("synthetic") and len(rows) == 1 + metrics["n_test_subjects"]


def _training_inputs(tiny_training, subject_id: str):
    """The corpus, the subject's statistics and its full-rate inputs, as training made them."""
    from vaxis.offline.splits import faced_split
    from vaxis.offline.train.normalise import split_inputs, subject_inputs

    corpus = open_corpus(tiny_training.corpus)
    windows = load_windows(corpus, covariance=True)
    split = split_inputs(windows, {"features", "raw", "covariance"},
                         faced_split(corpus.subject_ids).train, "subject")  # fmt: skip
    return corpus, split.stats[subject_id], subject_inputs(corpus, windows, subject_id, split)


def test_onnxruntime_matches_torch_on_test_windows(tiny_training):
    test_ids = tiny_training.result.metrics["folds"][0]["test"]
    _, _, inputs = _training_inputs(tiny_training, test_ids[-1])
    ours = torch_outputs(tiny_training.result.graph, inputs)
    theirs = onnx_outputs(tiny_training.result.bundle / "model.onnx", inputs)
    for key in ("probs", "valence"):
        np.testing.assert_allclose(theirs[key].reshape(ours[key].shape), ours[key], atol=1e-4)
    np.testing.assert_allclose(ours["probs"].sum(axis=1), 1.0, atol=1e-5)
    assert tiny_training.result.parity_max_abs < 1e-4


def test_live_decoder_reproduces_training_predictions(tiny_training):
    """The live Decoder, fed microvolt windows and the subject's statistics, gives what the
    trained ensemble gives on the training pipeline's inputs."""
    subject_id = tiny_training.result.metrics["folds"][0]["test"][0]
    corpus, stats, inputs = _training_inputs(tiny_training, subject_id)
    bundle = load_bundle(tiny_training.result.bundle)
    subject = next(s for s in corpus if s.subject_id == subject_id)
    picks = [corpus.channels.index(c) for c in bundle.channels]
    clip = subject.load()[0, picks, : bundle.window_samples]
    decoded = Decoder(bundle, stats=stats).decode(clip[None])
    expected = torch_outputs(tiny_training.result.graph, inputs)
    np.testing.assert_allclose(decoded.probs[0], expected["probs"][0], atol=1e-4)
    np.testing.assert_allclose(decoded.valence[0], expected["valence"][0], atol=1e-4)


def test_an_envelope_member_decodes_live_as_it_trained(tiny_training, tmp_path):
    """A bundle whose only member reads envelope variability: the graph reads it, and the
    live Decoder computes it from microvolt windows as training did."""
    from vaxis.offline.splits import faced_split
    from vaxis.offline.train.normalise import split_inputs, subject_inputs

    config = TrainConfig.quick(archs=("envelope",), pool=1, members=1)
    result = train_bundle(tiny_training.corpus, tiny_training.axis, tmp_path / "bundle",
                          config)  # fmt: skip
    bundle = load_bundle(result.bundle)
    assert "envelope" in bundle.kinds
    assert InputStats.from_dict(bundle.normalisation["prior"]).envelope_mean.shape == (30, 5)
    corpus = open_corpus(tiny_training.corpus)
    windows = load_windows(corpus, covariance=False)
    split = split_inputs(windows, {"features", "envelope"},
                         faced_split(corpus.subject_ids).train, "subject")  # fmt: skip
    subject_id = result.metrics["folds"][0]["test"][0]
    inputs = subject_inputs(corpus, windows, subject_id, split, kinds=bundle.kinds)
    subject = next(s for s in corpus if s.subject_id == subject_id)
    picks = [corpus.channels.index(c) for c in bundle.channels]
    clip = subject.load()[0, picks, : bundle.window_samples]
    decoded = Decoder(bundle, stats=split.stats[subject_id]).decode(clip[None])
    expected = torch_outputs(result.graph, inputs)
    np.testing.assert_allclose(decoded.probs[0], expected["probs"][0], atol=1e-4)
    assert result.parity_max_abs < 1e-4


def test_bundle_decodes_without_torch(tiny_bundle):
    code = textwrap.dedent(
        f"""
        import sys
        import numpy as np
        from vaxis.decoder.bundle import load_bundle
        import vaxis.decoder.pipeline as pipeline
        from vaxis.decoder.channels import FACED_CHANNELS, match_channels
        from vaxis.offline.corpus.synthetic import synthesize_subject
        bundle = load_bundle({str(tiny_bundle)!r})
        data = synthesize_subject(3, seed=0, seconds=4)
        picks = match_channels(FACED_CHANNELS, bundle.channels)
        windows = data[:5, picks, : bundle.window_samples]
        out = pipeline.Decoder(bundle).decode(windows)
        assert out.valid.all() and np.allclose(out.probs.sum(axis=1), 1, atol=1e-5)
        assert np.isfinite(out.valence).all()
        assert "torch" not in sys.modules, "torch was imported"
        assert "transformers" not in sys.modules
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_ensemble_is_chosen_on_subjects_no_member_saw(tiny_training):
    """The combinations are fitted on selection subjects, disjoint from every member's bag,
    the validation (early-stopping) and the test subjects; only members above the floor
    take part; under ``combine="auto"`` the shipped combination is the one best on the
    validation subjects."""
    fold = tiny_training.result.metrics["folds"][0]
    selection = set(fold["selection"])
    assert selection and selection <= set(fold["train"])
    assert not selection & (set(fold["val"]) | set(fold["test"]))
    scores = [m["selection_balanced_accuracy"] for m in fold["members"]]
    for i, member in enumerate(fold["members"]):
        assert member["eligible"] == (i in fold["eligible"])
    floor = 1 / 9 + 0.25 * (max(scores) - 1 / 9)
    assert all(scores[i] >= floor - 1e-12 for i in fold["eligible"])
    for name in ("stacking", "caruana", "greedy"):
        assert set(fold["combinations"][name]["members"]) <= set(fold["eligible"])
    on_val = fold["combination_val_balanced_accuracy"]
    assert set(on_val) == {"stacking", "caruana", "greedy", "mean"}
    assert on_val[fold["shipped"]] == max(on_val.values())


def test_ensemble_is_at_least_its_best_member(tiny_training):
    """On the planted structure the shipped ensemble is no worse than its best member.

    The tolerance is one binomial standard error of a balanced accuracy on this many test
    windows (~0.04): with two test subjects single-window noise dominates.
    """
    metrics = tiny_training.result.metrics
    n = metrics["n_test_windows"]
    ensemble = metrics["residual_ensemble"]["balanced_accuracy"]
    best = metrics["best_member"]["balanced_accuracy"]
    assert ensemble >= best - np.sqrt(0.25 / n), (ensemble, best)
    assert ensemble > 3 * metrics["chance_balanced_accuracy"]
    assert metrics["valence"]["test_r_ridge"] > 0.5
    assert metrics["valence"]["test_r_expectation"] > 0.5
    seeds = metrics["seeds"]
    assert seeds["n"] == 1 and seeds["residual_ensemble"]["balanced_accuracy"]["values"] == [
        pytest.approx(ensemble)
    ]


def test_zoo_serves_the_study():
    from vaxis.offline.study.models import study_architectures
    from vaxis.offline.train.penultimate import last_linear

    found = study_architectures()
    assert {name: arch.kind for name, arch in found.items()} == {
        name: kind for name, (_, kind) in ZOO.items()
    }
    for name, (cls, kind) in ZOO.items():
        torch.manual_seed(0)
        shape = (3, 30, 5) if kind == "features" else (3, 30, 250)
        model = cls(30, shape[2], 9).eval()
        out = model(torch.randn(shape))
        assert out.shape == (3, 9), name
        assert last_linear(model).out_features == 9, name


def test_user_errors(tiny_training, tmp_path):
    with pytest.raises(ModelError, match="no CUDA|unknown device"):
        resolve_device("cuda" if not torch.cuda.is_available() else "tpu")
    with pytest.raises(ConfigError, match="unknown architectures"):
        TrainConfig(archs=("transformer",)).check()
    corpus_dir = write_synthetic_faced(tmp_path / "de", n_subjects=3, seconds=2, fmt="de")
    with pytest.raises(DataError, match="needs raw EEG"):
        train_bundle(corpus_dir, tiny_training.axis, tmp_path / "b")
    with pytest.raises(DataError, match="does not exist"):
        train_bundle(corpus_dir, tmp_path / "missing.json", tmp_path / "b")


def test_cli_train_smoke(tiny_training, tmp_path):
    out = tmp_path / "bundle"
    cmd = [sys.executable, "-m", "vaxis.cli", "train", "--data", str(tiny_training.corpus),
           "--axis", str(tiny_training.axis), "-o", str(out), "--pool", "2",
           "--members", "2", "--epochs", "1", "--window", "2", "--hop", "2",
           "--combine", "caruana"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "SYNTHETIC bundle" in done.stderr and "residual ensemble" in done.stderr
    bundle = load_bundle(out)
    assert bundle.window_samples == 500 and bundle.meta["training"]["pool"] == 2
    assert bundle.meta["onnx"]["combination"]["method"] == "caruana"
    bad = subprocess.run(cmd[:-10] + ["--device", "cuda"], capture_output=True, text=True)
    if not torch.cuda.is_available():
        assert bad.returncode == 1 and "CUDA" in bad.stderr and "Traceback" not in bad.stderr


def test_kfold_tests_every_subject_once(tiny_training, tmp_path):
    corpus_dir = write_synthetic_faced(tmp_path / "corpus", n_subjects=6, seconds=4,
                                       fmt="processed", effect=0.3)  # fmt: skip
    config = TrainConfig(split="kfold", folds=3, pool=2, members=2, epochs=2, window_s=2.0)
    told = []
    result = train_bundle(corpus_dir, tiny_training.axis, tmp_path / "b", config,
                          progress=lambda *step: told.append(step))  # fmt: skip
    # Every stage is announced at 0 and counts up to its total: subjects, members, export.
    finished = {stage: done for stage, done, total in told if done == total}
    stages = ["features", *(f"seed 0, fold {i}/3" for i in (1, 2, 3)), "export and report"]
    assert told[0] == ("features", 0, 6) and list(finished) == stages
    assert finished["seed 0, fold 1/3"] == 2 and result.synthetic and result.seconds > 0
    metrics = result.metrics
    tested = [s for fold in metrics["folds"] for s in fold["test"]]
    assert sorted(tested) == [f"sub{i:03d}" for i in range(6)]
    assert set(metrics["residual_ensemble"]["per_subject"]) == set(tested)
    assert metrics["wilcoxon"]["ensemble_vs_best_member"]["n_subjects"] == 6
    bundle = load_bundle(result.bundle)
    assert bundle.meta["provenance"]["split"]["test"] == metrics["folds"][0]["test"]
