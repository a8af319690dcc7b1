"""The study's analyses on tiny corpora with a planted valence axis (all SYNTHETIC)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.metrics import balanced_accuracy_score
from torch import nn

from vaxis.decoder.faced import FACED_CLASSES, FACED_CLIP_LABELS
from vaxis.errors import ConfigError, DataError, ModelError
from vaxis.offline.axis import AxisFile, save_axis
from vaxis.offline.corpus import open_corpus
from vaxis.offline.corpus.base import Corpus, Subject
from vaxis.offline.study.ablation import ablate, ablation_scores, class_span
from vaxis.offline.study.alignment import (
    STRATEGIES,
    STUDY_STRATEGIES,
    AlignmentTargets,
    build_strategy,
    holm,
)
from vaxis.offline.study.run import StudyConfig, run_study
from vaxis.offline.study.training import FitConfig
from vaxis.offline.train.penultimate import embed

#: Planted valence of each class (ground truth of the tiny corpora below).
PLANTED = dict(zip(FACED_CLASSES, np.linspace(-1, 1, 9).round(3).tolist(), strict=True))


class TinyMLP(nn.Module):
    def __init__(self, n_chans: int, n_bands: int, n_outputs: int, width: int = 16):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(n_chans * n_bands, width), nn.ReLU())
        self.readout = nn.Linear(width, n_outputs)

    def forward(self, x):
        return self.readout(self.body(x))


class WideMLP(TinyMLP):
    def __init__(self, n_chans: int, n_bands: int, n_outputs: int):
        super().__init__(n_chans, n_bands, n_outputs, width=32)


ARCHS = {"tiny_mlp": TinyMLP, "wide_mlp": WideMLP}


def _planted_corpus(kind: str = "de", n_subjects: int = 8, seconds: int = 4, seed: int = 0):
    """FACED's 28 clips; each window's features move along one pattern by the class valence."""
    rng = np.random.default_rng(seed)
    n_ch, sfreq = 8, 100.0
    valence = np.array([PLANTED[c] for c in FACED_CLASSES])[FACED_CLIP_LABELS]
    pattern = rng.normal(size=(n_ch, 5))
    class_noise = rng.normal(size=(9, n_ch, 5))[FACED_CLIP_LABELS]
    subjects = []
    for s in range(n_subjects):
        offset = rng.normal(size=(n_ch, 5))
        if kind == "de":
            data = (
                valence[:, None, None, None] * pattern[None, :, None, :]
                + 0.4 * class_noise[:, :, None, :]
                + offset[None, :, None, :]
                + rng.normal(size=(28, n_ch, seconds, 5))
            ).astype(np.float32)
        else:
            t = np.arange(int(seconds * sfreq)) / sfreq
            amp = np.exp(valence[:, None] * pattern[None, :, 2])  # alpha-band amplitude
            data = (
                10 * amp[:, :, None] * np.sin(2 * np.pi * 10 * t)
                + 5 * rng.normal(size=(28, n_ch, t.size))
            ).astype(np.float32)
        subjects.append(
            Subject(f"sub{s:03d}", FACED_CLIP_LABELS.copy(), np.arange(28), lambda d=data: d)
        )
    return Corpus(
        "faced", kind, [f"E{i}" for i in range(n_ch)], 1.0 if kind == "de" else sfreq,
        list(FACED_CLASSES), subjects,
        bands={"delta": (1, 4), "theta": (4, 8), "alpha": (8, 14), "beta": (14, 30),
               "gamma": (30, 47)},
        provenance={"synthetic": True, "ground_truth": {"valence": PLANTED}},
    )  # fmt: skip


def _axis_from_ground_truth(corpus: Corpus) -> AxisFile:
    """An axis whose positions are the corpus's planted valence, not an LLM's."""
    return AxisFile.from_positions(corpus.provenance["ground_truth"]["valence"], "planted")


def _quick(**overrides) -> StudyConfig:
    config = StudyConfig.quick()
    config.fit = FitConfig(epochs=4, batch_size=128, lr=3e-3, patience=2)
    for k, v in overrides.items():
        setattr(config, k, v)
    return config


@pytest.mark.parametrize("kind", ["de", "raw"])
def test_mapping_tracks_planted_axis(tmp_path, kind):
    # Ten subjects: two held out, so the causal figure rests on 56 subject x clip points.
    corpus = _planted_corpus(kind, n_subjects=10)
    summary = run_study("mapping", corpus, _axis_from_ground_truth(corpus), tmp_path, quick=True)
    written = json.loads((tmp_path / "summary.json").read_text())
    assert written["data"]["provenance"] == "synthetic" and written["data"]["synthetic"]
    # The typed summary holds what summary.json holds, section by section.
    assert summary.synthetic and list(summary.to_dict()) == list(written)
    assert summary.rediscovery is None and summary.axis["source"] == "axis of planted"
    m = written["mapping"]
    assert m["r"] > 0.8, m["r"]
    assert m["p_value"] < 0.01 and m["n_permutations"] == 200
    assert len(m["per_clip"]) == 28 and m["n_points"] == 28 * len(summary.split["test"])
    report = (tmp_path / "report.md").read_text()
    assert "SYNTHETIC DATA" in report and (tmp_path / "mapping.png").stat().st_size > 1000


def test_mapping_null_when_axis_is_unrelated(tmp_path):
    corpus = _planted_corpus("de")
    # Positions that order the categories unlike the planted valence.
    scrambled = dict(zip(FACED_CLASSES, [0.0, 1, -1, 0.5, -0.5, 0, 0.25, -0.25, 0], strict=True))
    axis = AxisFile.from_positions(scrambled, "scrambled")
    summary = run_study("mapping", corpus, axis, tmp_path, quick=True)
    # Nine separable classes can be mapped onto any positions, so r alone is not specific;
    # the permutation p-value (true vs permuted positions) is.
    assert summary.mapping["p_value"] > 0.05


def test_rediscovery_beats_null_with_band_feature_members_on_de(tmp_path):
    corpus = _planted_corpus("de")
    summary = run_study(
        "rediscovery", corpus, _axis_from_ground_truth(corpus), tmp_path, quick=True,
        config=_quick(rediscovery_seeds=2),
    )  # fmt: skip
    r = summary.rediscovery
    # The default grid's covariance and raw members need raw EEG: a DE corpus runs the
    # band-feature ones, and the summary and report say so.
    assert summary.classifiers["rediscovery_archs"] == ["mlp", "graph"]
    assert "left out" in summary.classifiers["notes"][0]
    # DE vectors are normalised causally too (population prior, then running statistics).
    assert summary.classifiers["normalisation"] == "causal"
    assert not summary.classifiers["transductive"]
    assert "left out" in (tmp_path / "report.md").read_text()
    assert r["n_classifiers"] == 4 and set(r["architectures"]) == {"mlp", "graph"}
    loco = r["distribution"]["loco_spearman"]
    assert loco["mean"] > loco["null_q95"]
    assert r["distribution"]["loco_spearman"]["grid_mean_p"] < 0.05
    assert (tmp_path / "rediscovery.png").exists()


def test_alignment_on_two_architectures_and_saturation(tmp_path):
    corpus = _planted_corpus("de")
    strategies = ["cosine_vdirection", "kd_vaxis", "rsa_vaxis"]
    config = _quick(rediscovery_archs=list(ARCHS), alignment_archs=list(ARCHS),
                    alignment_seeds=2, strategies=strategies)  # fmt: skip
    summary = run_study(
        ["alignment", "saturation"], corpus, _axis_from_ground_truth(corpus), tmp_path,
        architectures=ARCHS, config=config, n_jobs=2,
    )  # fmt: skip
    al = summary.alignment
    assert set(al["architectures"]) == set(ARCHS) and set(al["strategies"]) == set(strategies)
    for a in al["architectures"].values():
        assert a["n_configurations"] == len(strategies) and a["baseline"]["n_seeds"] == 2
        assert {r["verdict"] for r in a["configurations"]} <= {"helps", "hurts", "n.s."}
        assert all(0 <= r["p_holm"] <= 1 and r["p_holm"] >= r["p"] for r in a["configurations"])
    assert len(al["study_strategies"]) == 25
    runs = summary.saturation["runs"]
    assert set(runs) == {"label_only", "cosine_vdirection@1"}
    for run in runs.values():
        for row in run["epochs"]:
            assert 0 <= row["vdir_share"] <= row["class_share"] + 1e-6 <= 1 + 1e-6
    assert "aux_class_share" in runs["cosine_vdirection@1"]["epochs"][0]
    # The ablation scores the label-only grid, which the alignment baselines share.
    ablation = summary.saturation["ablation"]
    assert ablation["overall"]["n_classifiers"] == 4
    assert summary.timing_s["sweep_tasks"] == 2 * (2 + 2 * len(strategies)) + 2
    written = json.loads((tmp_path / "summary.json").read_text())
    assert written["config"]["n_jobs"] == 2 and "alignment" in written
    report = (tmp_path / "report.md").read_text()
    assert "not implemented" in report and "### tiny_mlp" in report and "### wide_mlp" in report


def test_the_study_at_scale_on_a_raw_corpus(tmp_path):
    """Rediscovery with band-feature, tangent and raw members; alignment on two of them;
    the ablation of every label-only classifier (SYNTHETIC)."""
    corpus = _planted_corpus("raw", n_subjects=10, seconds=8)
    config = _quick(rediscovery_archs=["mlp", "tangent", "shallow"], rediscovery_seeds=2,
                    alignment_archs=["mlp", "tangent"], alignment_seeds=2,
                    strategies=["cosine_vdirection"])  # fmt: skip
    summary = run_study(
        ["rediscovery", "alignment", "saturation"], corpus, _axis_from_ground_truth(corpus),
        tmp_path, config=config, n_jobs=2,
    )  # fmt: skip
    c = summary.classifiers
    assert c["architectures"] == {"mlp": "features", "tangent": "covariance", "shallow": "raw"}
    assert c["normalisation"] == "causal" and not c["transductive"] and not c["notes"]
    r = summary.rediscovery
    assert r["n_classifiers"] == 6
    assert {a: v["kind"] for a, v in r["architectures"].items()} == c["architectures"]
    assert all(np.isfinite(row["loco_spearman"]) for row in r["classifiers"])
    assert set(summary.alignment["architectures"]) == {"mlp", "tangent"}
    ablation = summary.saturation["ablation"]
    rows = ablation["classifiers"]
    assert len(rows) == 6 and {row["arch"] for row in rows} == {"mlp", "tangent", "shallow"}
    # The read-out hook found each member's representation: the hidden layer of the two
    # perceptrons, the flattened pooled feature map of the ConvNet; nine centroids span 8.
    width = {row["arch"]: row["n_features"] for row in rows}
    assert width["mlp"] == width["tangent"] == 64 and width["shallow"] > 64
    assert all(row["span_dims"] == 8 for row in rows)
    for row in rows:
        assert all(0 <= row[k] <= 1 for k in ("full", "class_span", "residual"))
    for arch in ("mlp", "tangent", "shallow"):
        entry = ablation["architectures"][arch]
        assert all(np.isfinite(entry[k]) for k in ("loss_class_span", "loss_residual"))
        assert 0 <= entry["p_class_span"] <= entry["p_class_span_holm"] <= 1
    # The decodable class information of a learned member lies in the class-centroid span:
    # removing the span costs the band-feature and covariance members most of their
    # accuracy above chance.
    chance = 1 / 9
    for arch in ("mlp", "tangent"):
        entry = ablation["architectures"][arch]
        assert entry["full"] > chance + 0.1
        assert entry["residual"] < chance + 0.5 * (entry["full"] - chance), entry
    assert (tmp_path / "ablation.png").stat().st_size > 1000
    written = json.loads((tmp_path / "summary.json").read_text())
    assert np.isfinite(written["saturation"]["ablation"]["overall"]["loss_class_span"])
    assert "Ablation of the within-class residual" in (tmp_path / "report.md").read_text()


def test_ablation_projects_onto_the_class_centroid_span():
    rng = np.random.default_rng(0)
    centroids = rng.normal(size=(3, 6))
    mean, basis = class_span(centroids)
    assert basis.shape == (2, 6)
    z = rng.normal(size=(20, 6))
    kept, removed = ablate(z, mean, basis, "class_span"), ablate(z, mean, basis, "residual")
    np.testing.assert_allclose(kept + removed - mean, z, atol=1e-12)
    # What is kept lies in the span; what is removed is orthogonal to it.
    np.testing.assert_allclose((kept - mean) @ basis.T @ basis, kept - mean, atol=1e-12)
    np.testing.assert_allclose((removed - mean) @ basis.T, 0, atol=1e-12)
    np.testing.assert_allclose(ablate(centroids, mean, basis, "class_span"), centroids, atol=1e-12)


def test_ablation_refuses_a_model_whose_logits_are_not_its_read_out():
    class Scaled(TinyMLP):
        def forward(self, x):
            return 2 * super().forward(x)

    model = Scaled(4, 5, 9).eval()
    X = np.random.default_rng(0).normal(size=(18, 4, 5)).astype(np.float32)
    y = np.arange(18) % 9
    z, logits = embed(model, X)
    with pytest.raises(ModelError, match="not the output of its last nn.Linear"):
        ablation_scores(model, X, y, z, logits, y, np.array(["s"] * 18), 9)
    honest = TinyMLP(4, 5, 9).eval()
    z, logits = embed(honest, X)
    scores = ablation_scores(honest, X, y, z, logits, y, np.array(["s"] * 18), 9)
    expected = balanced_accuracy_score(y, logits.argmax(1))
    assert scores["full"]["balanced_accuracy"] == pytest.approx(expected)


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_loss_is_finite_and_trains_features(name):
    rng = np.random.default_rng(0)
    targets = AlignmentTargets(
        np.linspace(-1, 1, 9), rng.normal(size=(9, 6)), rng.normal(size=6), "random"
    )
    loss_fn = build_strategy(name, 5, targets)
    z = torch.randn(40, 5, requires_grad=True)
    logits = torch.randn(40, 9, requires_grad=True)
    loss = loss_fn(z, logits, torch.arange(40) % 9)
    assert torch.isfinite(loss)
    loss.backward()
    grads = [g for g in (z.grad, logits.grad) if g is not None]
    assert grads and any(g.abs().sum() > 0 for g in grads)


def test_study_strategy_list_marks_implementation():
    assert len(STUDY_STRATEGIES) == 25
    implemented = {s["implemented"] for s in STUDY_STRATEGIES} - {None}
    assert implemented == set(STRATEGIES)
    assert all(s["name_is_reconstruction"] for s in STUDY_STRATEGIES)


def test_holm_step_down():
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.2]), [0.04, 0.09, 0.09, 0.2])


def test_user_errors(tmp_path):
    corpus = _planted_corpus("de", n_subjects=4)
    with pytest.raises(DataError, match="no V-axis position"):
        joy_only = AxisFile.from_positions({"joy": 1.0}, "joy")
        run_study("mapping", corpus, joy_only, tmp_path, quick=True)
    with pytest.raises(DataError, match="does not exist"):
        run_study("mapping", corpus, tmp_path / "missing.json", tmp_path, quick=True)
    with pytest.raises(ConfigError, match="unknown analysis"):
        run_study("maping", corpus, _axis_from_ground_truth(corpus), tmp_path)
    axis = _axis_from_ground_truth(corpus)
    # The logistic regression's read-out reads its input: nothing learned to rediscover.
    with pytest.raises(ConfigError, match="no trainable layer before its read-out"):
        run_study(
            "rediscovery", corpus, axis, tmp_path, config=_quick(rediscovery_archs=["logistic"])
        )
    with pytest.raises(ConfigError, match="unknown architectures"):
        run_study("rediscovery", corpus, axis, tmp_path, config=_quick(rediscovery_archs=["rnn"]))
    with pytest.raises(ConfigError, match="unknown normalisation"):
        run_study("rediscovery", corpus, axis, tmp_path, quick=True, normalisation="global")


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray is not installed")
def test_ray_local_runs_the_same_sweep(tmp_path):
    corpus = _planted_corpus("de", n_subjects=5)
    config = _quick(rediscovery_archs=["tiny_mlp"], rediscovery_seeds=2)
    summary = run_study(
        "rediscovery", corpus, _axis_from_ground_truth(corpus), tmp_path,
        architectures=ARCHS, config=config, ray_address="local",
    )  # fmt: skip
    assert summary.rediscovery["n_classifiers"] == 2
    assert summary.config["ray_address"] == "local"


def test_cli_user_error_is_one_line(tmp_path):
    cmd = [sys.executable, "-m", "vaxis.cli", "study", "mapping", "--data", str(tmp_path),
           "--axis", str(tmp_path / "missing.json"), "-o", str(tmp_path / "out")]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    # Rich wraps the line at the console width; compare without whitespace.
    assert "missing.jsondoesnotexist" in "".join(done.stderr.split())
    assert "Traceback" not in done.stderr


def _ground_truth_axis(provenance: dict) -> AxisFile:
    """An axis whose positions are a synthetic corpus's planted valence."""
    truth = provenance["ground_truth"]
    return AxisFile.from_positions(truth.get("valence", truth), "planted ground truth")


def test_cli_mapping_on_generated_faced_de(tmp_path):
    from vaxis.offline.corpus import open_corpus
    from vaxis.offline.corpus.synthetic import write_synthetic_faced

    # A strong planted effect: six subjects of four seconds must show the mapping.
    write_synthetic_faced(tmp_path / "faced", n_subjects=6, seconds=4, seed=0, fmt="de", effect=0.5)
    corpus = open_corpus(tmp_path / "faced")
    axis = tmp_path / "axis.json"
    save_axis(_ground_truth_axis(corpus.provenance), axis)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "vaxis.cli", "study", "mapping", "--data",
           str(tmp_path / "faced"), "--axis", str(axis), "-o", str(out), "--quick"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["data"]["provenance"] == "synthetic"
    # By default the DE vectors are normalised causally, like every reported figure; with
    # one test subject and clips in FACED's category order the causal r is noisy, so the
    # strength of the mapping is asserted on the planted corpora above.
    assert summary["protocol"]["name"] == "vaxis" and summary["protocol"]["n_channels"] == 30
    assert summary["mapping"]["normalisation"] == "causal"
    assert not summary["mapping"]["transductive"] and np.isfinite(summary["mapping"]["r"])


def _run_cli_study(*args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "vaxis.cli", "study", "mapping", "--quick", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def faced_raw(tmp_path_factory):
    """Four SYNTHETIC subjects in FACED's raw layout: 28 clips of 30 s, 32 channels, 250 Hz."""
    from vaxis.offline.corpus.synthetic import write_synthetic_faced

    path = write_synthetic_faced(tmp_path_factory.mktemp("faced") / "corpus", n_subjects=4,
                                 seconds=30, fmt="processed")  # fmt: skip
    axis = path.parent / "axis.json"
    save_axis(_ground_truth_axis(open_corpus(path).provenance), axis)
    return path, axis


def test_cli_mapping_under_faced_cbramod_cuts_three_200hz_samples_per_clip(faced_raw, tmp_path):
    corpus, axis = faced_raw
    done = _run_cli_study("--data", str(corpus), "--axis", str(axis), "-o", str(tmp_path),
                          "--protocol", "faced-cbramod")  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "summary.json").read_text())
    p = summary["protocol"]
    assert p["name"] == "faced-cbramod" and p["sfreq"] == 200.0 and p["window_s"] == 10.0
    assert p["n_channels"] == 32 and {"A1", "A2"} <= set(p["channel_names"])
    assert p["windows_per_clip"] == {"min": 3, "max": 3}
    assert summary["data"]["n_windows"] == p["n_windows"] == 4 * 28 * 3
    # CBraMod's fixed scaling: the training subjects' statistics only.
    assert summary["normalisation"] == {
        "name": "population", "transductive": False,
        "applies_to": "every test figure of this study (mapping and classifiers)",
    }  # fmt: skip
    assert summary["mapping"]["normalisation"] == "population"
    assert summary["split"]["kind"] == "faced" and summary["split"]["test"] == ["sub003"]
    assert len(summary["mapping"]["per_clip"]) == 28 and np.isfinite(summary["mapping"]["r"])
    report = (tmp_path / "report.md").read_text()
    assert "Protocol: `faced-cbramod`" in report and "figure: `population`" in report


def test_default_protocol_cuts_train_windows_causally(faced_raw, tmp_path):
    from vaxis.offline.study.data import load_study_data

    data = load_study_data(open_corpus(faced_raw[0]))
    # vaxis train's default: the corpus's 250 Hz, 4-s windows every 2 s of the clips played
    # back to back (14 inside each 30-s clip, the rest span two clips), no mastoid references.
    assert (data.sfreq, data.protocol.name, data.normalisation) == (250.0, "vaxis", "causal")
    assert len(data.channels) == 30 and not {"A1", "A2"} & set(data.channels)
    assert data.windows_per_clip() == {"min": 14, "max": 14} and (data.y == -1).any()
    assert data.X.shape[1:] == (30, 5) and not data.transductive


def test_causal_mapping_inputs_do_not_see_the_test_subjects_future():
    """A test subject's later clips, scaled up, leave its earlier windows unchanged under the
    default (causal) normalisation, and change them under the transductive one."""
    from vaxis.offline.study.data import load_study_data

    corpus = _planted_corpus("raw", n_subjects=4)
    test_subject = corpus.subjects[-1]
    late = np.arange(28) >= 14
    louder = Subject(
        test_subject.subject_id,
        test_subject.labels,
        test_subject.clips,
        lambda: test_subject.load() * np.where(late, 3.0, 1.0)[:, None, None],
    )
    changed = Corpus(**{**corpus.__dict__, "subjects": [*corpus.subjects[:-1], louder]})
    for normalisation, same in (("causal", True), ("subject", False)):
        before = load_study_data(corpus, normalisation=normalisation)
        after = load_study_data(changed, normalisation=normalisation)
        assert before.split.test == [test_subject.subject_id]
        early = before.mask(before.split.test) & (before.clips >= 0) & (before.clips < 14)
        assert early.sum() == 14
        assert np.allclose(before.X[early], after.X[early], atol=1e-5) == same, normalisation


def test_transductive_mapping_is_labelled(tmp_path):
    corpus = _planted_corpus("de", n_subjects=5)
    summary = run_study("mapping", corpus, _axis_from_ground_truth(corpus), tmp_path,
                        quick=True, normalisation="subject")  # fmt: skip
    assert summary.mapping["transductive"] and summary.normalisation["transductive"]
    report = (tmp_path / "report.md").read_text()
    assert "TRANSDUCTIVE" in report.split("## Mapping")[1].split("\n\n")[2]
    with pytest.raises(DataError, match="holds one DE vector per second"):
        run_study("mapping", corpus, _axis_from_ground_truth(corpus), tmp_path, quick=True,
                  protocol="faced-cbramod")  # fmt: skip
    with pytest.raises(ConfigError, match="unknown protocol"):
        run_study("mapping", corpus, _axis_from_ground_truth(corpus), tmp_path, protocol="deap")


def test_cli_mapping_under_seedv_cbramod_splits_each_session_5_5_5(tmp_path):
    from vaxis.offline.corpus.seedv import SEEDV_CHANNELS, SEEDV_CLASSES
    from vaxis.offline.corpus.synthetic_seedv import write_synthetic_seedv

    corpus = write_synthetic_seedv(tmp_path / "seedv", n_subjects=2, sessions=(1,))
    axis = tmp_path / "axis.json"
    save_axis(_ground_truth_axis(open_corpus(corpus).provenance), axis)
    done = _run_cli_study("--data", str(corpus), "--axis", str(axis), "-o", str(tmp_path / "out"),
                          "--protocol", "seedv-cbramod")  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    p = summary["protocol"]
    assert (p["name"], p["sfreq"], p["window_s"], p["hop_s"]) == ("seedv-cbramod", 200.0, 1.0, 1.0)
    assert p["channel_names"] == list(SEEDV_CHANNELS)
    split = summary["split"]
    assert split["kind"] == "session-trials"
    assert (split["train"], split["val"], split["test"]) == (
        ["1#train", "2#train"], ["1#val", "2#val"], ["1#test", "2#test"])  # fmt: skip
    assert summary["normalisation"]["name"] == "population"
    mapping = summary["mapping"]
    assert set(mapping["points"]["subject"]) == {"1#test", "2#test"}
    # The last five trials of session 1: one clip of each class per subject.
    assert sorted(c["clip"] for c in mapping["per_clip"]) == list(range(10, 15))
    assert set(mapping["per_category"]) == set(SEEDV_CLASSES) and np.isfinite(mapping["r"])
