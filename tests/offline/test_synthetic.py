"""The SYNTHETIC FACED-format corpus: layouts, round trip through the readers, planted effect."""

from __future__ import annotations

import filecmp
import hashlib
import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from vaxis.decoder.channels import FACED_CHANNELS
from vaxis.decoder.faced import FACED_CLASSES, FACED_CLIP_LABELS
from vaxis.decoder.features import BANDS, differential_entropy
from vaxis.decoder.windows import cut
from vaxis.errors import ConfigError
from vaxis.offline.corpus.synthetic import (
    PROVENANCE_FILE,
    VALENCE,
    SynthParams,
    corpus_patterns,
    default_params,
    per_second_de,
    synthesize_recording,
    synthesize_subject,
    write_synthetic_faced,
)
from vaxis.offline.corpus.synthetic_mixed import GROUP_VALENCE, MixedParams

SECONDS = 4
N_SUBJECTS = 3
CH = {name: i for i, name in enumerate(FACED_CHANNELS)}
BAND = {name: j for j, name in enumerate(BANDS)}
CLIP_VALENCE = np.array([VALENCE[FACED_CLASSES[c]] for c in FACED_CLIP_LABELS])


def load_pickle(path: Path) -> np.ndarray:
    with path.open("rb") as f:
        return pickle.load(f)


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synthetic") / "faced"
    assert write_synthetic_faced(out, n_subjects=N_SUBJECTS, seconds=SECONDS, seed=7) == out
    return out


def test_writes_faced_layouts(corpus_dir):
    for i in range(N_SUBJECTS):
        raw = load_pickle(corpus_dir / "Processed_data" / f"sub{i:03d}.pkl")
        de = load_pickle(corpus_dir / "EEG_Features" / "DE" / f"sub{i:03d}.pkl.pkl")
        assert raw.shape == (28, 32, SECONDS * 250) and raw.dtype == np.float32
        assert de.shape == (28, 32, SECONDS, 5) and de.dtype == np.float32
        assert np.isfinite(raw).all() and np.isfinite(de).all()
        # EEG-like amplitudes in microvolts: background of tens of uV.
        assert 5 < np.median(raw.std(axis=-1)) < 80
    assert not (corpus_dir / "Processed_data" / f"sub{N_SUBJECTS:03d}.pkl").exists()


def test_provenance_marks_the_corpus_synthetic_and_holds_ground_truth(corpus_dir):
    provenance = json.loads((corpus_dir / PROVENANCE_FILE).read_text())
    assert provenance["synthetic"] is True
    assert provenance["generator"] == "vaxis.offline.corpus.synthetic"
    assert (provenance["seed"], provenance["n_subjects"], provenance["seconds"]) == (7, 3, 4)
    assert provenance["params"]["effect"] == SynthParams().effect
    assert set(provenance["params"]) >= {"blink_rate", "line_hz", "aperiodic_exponent", "state"}
    truth = provenance["ground_truth"]
    assert truth["valence"] == VALENCE and list(truth["valence"]) == list(FACED_CLASSES)
    assert truth["valence_pattern"]["alpha"]["F4"] > 0 > truth["valence_pattern"]["alpha"]["F3"]
    assert len(truth["clips"]) == 28 and truth["clips"][12]["class"] == "neutral"


def test_de_files_equal_de_recomputed_from_processed(corpus_dir):
    for i in range(N_SUBJECTS):
        raw = load_pickle(corpus_dir / "Processed_data" / f"sub{i:03d}.pkl")
        de = load_pickle(corpus_dir / "EEG_Features" / "DE" / f"sub{i:03d}.pkl.pkl")
        recomputed = differential_entropy(cut(raw, 250, 250), 250.0)
        np.testing.assert_allclose(de, recomputed, rtol=1e-6)


def test_in_memory_subject_equals_the_written_file(corpus_dir):
    raw = load_pickle(corpus_dir / "Processed_data" / "sub001.pkl")
    np.testing.assert_array_equal(synthesize_subject(1, seed=7, seconds=SECONDS), raw)


@pytest.mark.parametrize(
    ("fmt", "present", "absent"),
    [("processed", "Processed_data", "EEG_Features"), ("de", "EEG_Features", "Processed_data")],
)
def test_single_format_writes_only_its_layout(tmp_path, fmt, present, absent):
    write_synthetic_faced(tmp_path, n_subjects=1, seconds=2, seed=0, fmt=fmt)
    assert (tmp_path / present).is_dir() and not (tmp_path / absent).exists()
    assert json.loads((tmp_path / PROVENANCE_FILE).read_text())["format"] == fmt


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path):
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        write_synthetic_faced(tmp_path / name, n_subjects=2, seconds=2, seed=seed)
    files = ["Processed_data/sub000.pkl", "Processed_data/sub001.pkl",
             "EEG_Features/DE/sub001.pkl.pkl", PROVENANCE_FILE]  # fmt: skip
    for rel in files:
        assert filecmp.cmp(tmp_path / "a" / rel, tmp_path / "b" / rel, shallow=False), rel
    for rel in files[:3]:
        assert not filecmp.cmp(tmp_path / "a" / rel, tmp_path / "c" / rel, shallow=False), rel
    # Subjects of one corpus differ from one another.
    assert not filecmp.cmp(tmp_path / "a" / files[0], tmp_path / "a" / files[1], shallow=False)


@pytest.mark.parametrize(
    ("fmt", "n_subjects", "seconds", "match"),
    [
        ("gzip", 2, 2, "unknown synthetic format 'gzip'"),
        ("both", 0, 2, "at least one subject"),
        ("both", 1, 0, "at least 1 s"),
    ],
)
def test_bad_arguments_raise_config_error(tmp_path, fmt, n_subjects, seconds, match):
    with pytest.raises(ConfigError, match=match):
        write_synthetic_faced(tmp_path, n_subjects=n_subjects, seconds=seconds, fmt=fmt)


@pytest.mark.parametrize(
    ("fmt", "reader_format", "kind"),
    [
        ("processed", "faced-processed", "raw"),
        ("processed", "auto", "raw"),
        ("de", "faced-de", "de"),
        ("de", "auto", "de"),
        ("both", "faced-processed", "raw"),
        ("both", "faced-de", "de"),
    ],
)
def test_round_trip_through_the_corpus_readers(tmp_path, fmt, reader_format, kind):
    from vaxis.offline.corpus import open_corpus

    write_synthetic_faced(tmp_path, n_subjects=2, seconds=2, seed=5, fmt=fmt)
    corpus = open_corpus(tmp_path, format=reader_format)
    assert corpus.kind == kind and corpus.synthetic
    assert corpus.provenance["ground_truth"]["valence"] == VALENCE
    assert corpus.subject_ids == ["sub000", "sub001"]
    assert list(corpus.channels) == list(FACED_CHANNELS)
    assert list(corpus.classes) == list(FACED_CLASSES)
    raw = synthesize_subject(1, seed=5, seconds=2)
    expected = raw if kind == "raw" else per_second_de(raw)
    subject = corpus.subjects[1]
    np.testing.assert_array_equal(subject.labels, FACED_CLIP_LABELS)
    np.testing.assert_array_equal(subject.load(), expected)
    assert corpus.sfreq == (250.0 if kind == "raw" else 1.0)


def contrast(de: np.ndarray, channel: str, band: str, minus: str | None = None) -> np.ndarray:
    """Per-clip mean DE at (channel, band), minus the same at ``minus`` if given."""
    value = de[..., CH[channel], :, BAND[band]].mean(axis=-1)
    return value - (de[..., CH[minus], :, BAND[band]].mean(axis=-1) if minus else 0)


@pytest.fixture(scope="module")
def population_de() -> np.ndarray:
    """DE of 10 subjects x 10 s, default parameters: (subjects, clips, channels, s, bands)."""
    patterns = corpus_patterns(11)
    return np.stack(
        [
            per_second_de(synthesize_subject(i, seed=11, seconds=10, patterns=patterns))
            for i in range(10)
        ]
    )


def test_planted_frontal_alpha_asymmetry_rises_with_valence(population_de):
    asymmetry = contrast(population_de, "F4", "alpha", minus="F3")  # (subjects, clips)
    positive, negative = asymmetry[:, CLIP_VALENCE > 0], asymmetry[:, CLIP_VALENCE < 0]
    assert positive.mean() - negative.mean() > 0.1
    assert np.corrcoef(np.tile(CLIP_VALENCE, 10), asymmetry.ravel())[0, 1] > 0.15


def test_planted_temporal_gamma_rises_with_valence(population_de):
    gamma = contrast(population_de, "T7", "gamma") + contrast(population_de, "T8", "gamma")
    z = (gamma - gamma.mean(axis=1, keepdims=True)) / gamma.std(axis=1, keepdims=True)
    assert z[:, CLIP_VALENCE > 0].mean() - z[:, CLIP_VALENCE < 0].mean() > 0.2


def test_without_effect_the_asymmetry_is_unrelated_to_valence():
    params = SynthParams(effect=0.0)
    patterns = corpus_patterns(11, params)
    with_effect = SynthParams(effect=1.0)
    flat, planted = (
        np.stack(
            [
                per_second_de(synthesize_subject(i, seed=11, seconds=4, params=p, patterns=pat))
                for i in range(3)
            ]
        )
        for p, pat in ((params, patterns), (with_effect, corpus_patterns(11, with_effect)))
    )
    # Same random draws: the difference is exactly the planted log-amplitude change.
    delta = contrast(planted, "F4", "alpha", "F3") - contrast(flat, "F4", "alpha", "F3")
    assert np.corrcoef(np.tile(CLIP_VALENCE, 3), delta.ravel())[0, 1] > 0.5
    flat_asymmetry = contrast(flat, "F4", "alpha", "F3")
    assert abs(np.corrcoef(np.tile(CLIP_VALENCE, 3), flat_asymmetry.ravel())[0, 1]) < 0.3


def test_shift_moves_every_band_feature_by_about_shift():
    base = per_second_de(synthesize_subject(2, seed=1, seconds=4))
    shifted = per_second_de(synthesize_subject(2, seed=1, seconds=4, shift=0.5))
    posterior = [CH[c] for c in ("Pz", "P3", "P4", "O1", "O2", "Oz")]  # no blinks, no muscle
    delta = (shifted - base)[:, posterior].mean(axis=(0, 1, 2))
    np.testing.assert_allclose(delta, 0.5, atol=0.05)


def test_signal_looks_like_eeg():
    raw = synthesize_subject(0, seed=2, seconds=10).astype(np.float64)
    spectrum = (np.abs(np.fft.rfft(raw, axis=-1)) ** 2).mean(axis=0)
    freqs = np.fft.rfftfreq(raw.shape[-1], 1 / 250)

    def power(channel: str, low: float, high: float) -> float:
        return spectrum[CH[channel], (freqs >= low) & (freqs < high)].mean()

    # 1/f background with an occipital alpha peak.
    assert power("O1", 2, 3) > power("O1", 25, 28) * 10
    assert power("O1", 9, 11) > 2 * power("O1", 13, 15)
    # Line noise at 50 Hz stands out from its neighbourhood.
    assert power("Cz", 49.9, 50.1) > 20 * power("Cz", 52, 58)
    # Blinks: large slow frontal deflections, far weaker at the back.
    assert np.abs(raw[:, CH["Fp1"]]).max() > 2 * np.abs(raw[:, CH["O1"]]).max()
    # Neighbours correlate (spatial mixing); far channels much less.
    corr = np.corrcoef(raw[:, :30].transpose(1, 0, 2).reshape(30, -1))
    assert corr[CH["O1"], CH["O2"]] > corr[CH["O1"], CH["F8"]] + 0.2


def test_continuous_recording_concatenates_the_clips():
    data, onsets, labels = synthesize_recording(1, seed=3, seconds=2)
    clips = synthesize_subject(1, seed=3, seconds=2)
    assert data.shape == (32, 28 * 500) and data.dtype == np.float32
    np.testing.assert_array_equal(onsets, np.arange(28) * 500)
    np.testing.assert_array_equal(labels, FACED_CLIP_LABELS)
    np.testing.assert_array_equal(data[:, onsets[5] : onsets[6]], clips[5])


def run_cli(*args: str) -> subprocess.CompletedProcess:
    code = "import sys; from vaxis.cli import main; sys.argv[0] = 'vaxis'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


def test_cli_data_synth_writes_a_corpus_and_refuses_a_bad_format(tmp_path):
    done = run_cli("data", "synth", str(tmp_path / "ok"), "--subjects", "2", "--seconds", "2",
                   "--seed", "1", "--format", "de")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "SYNTHETIC" in done.stderr
    assert (tmp_path / "ok" / "EEG_Features" / "DE" / "sub001.pkl.pkl").is_file()
    bad = run_cli("data", "synth", str(tmp_path / "bad"), "--format", "gzip")
    assert bad.returncode == 1
    assert "unknown synthetic format 'gzip'" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_data_synth_writes_a_mixed_corpus_and_refuses_an_unknown_structure(tmp_path):
    done = run_cli("data", "synth", str(tmp_path / "ok"), "--subjects", "2", "--seconds", "2",
                   "--seed", "4", "--format", "processed", "--structure", "mixed")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "SYNTHETIC" in done.stderr and "mixed" in done.stderr
    provenance = json.loads((tmp_path / "ok" / PROVENANCE_FILE).read_text())
    assert provenance["structure"] == "mixed"
    raw = load_pickle(tmp_path / "ok" / "Processed_data" / "sub001.pkl")
    np.testing.assert_array_equal(raw, synthesize_subject(1, seed=4, seconds=2, structure="mixed"))
    bad = run_cli("data", "synth", str(tmp_path / "bad"), "--structure", "tangled")
    assert bad.returncode == 1
    assert "unknown synthetic structure 'tangled'" in bad.stderr and "Traceback" not in bad.stderr


# -- structures: power (the null control) and mixed --

#: sha256 of ``synthesize_subject(1, seed=7, seconds=4)`` and of its per-second DE, computed
#: with the generator as it was before the ``mixed`` structure existed.
POWER_DIGESTS = (
    "9bdd95dec02c6038cf580103185f7d28d3eb41f318e1c94fcbf831838ce75b14",
    "2309edac2d8a1b82ffff1aad228031cb7b9c89198b1758ea306544b18b97f5c2",
)

#: The mixed structure with its families switched off.
MIXED_OFF = MixedParams(n_groups=1, valence_scale=1.0, coupling=0.0, depth=0.0)


def sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def test_power_structure_is_the_unchanged_generator():
    raw = synthesize_subject(1, seed=7, seconds=SECONDS, structure="power")
    assert (sha256(raw), sha256(per_second_de(raw))) == POWER_DIGESTS
    np.testing.assert_array_equal(raw, synthesize_subject(1, seed=7, seconds=SECONDS))


def test_mixed_structure_without_its_families_equals_power():
    off = synthesize_subject(
        1, seed=7, seconds=SECONDS, structure="mixed", params=SynthParams(), mixed=MIXED_OFF
    )
    assert sha256(off) == POWER_DIGESTS[0]
    mixed = synthesize_subject(1, seed=7, seconds=SECONDS, structure="mixed")
    assert mixed.shape == off.shape and mixed.dtype == np.float32
    assert not np.array_equal(mixed, off)


def test_unknown_structure_raises_config_error(tmp_path):
    with pytest.raises(ConfigError, match="unknown synthetic structure 'tangled'"):
        synthesize_subject(0, seconds=2, structure="tangled")
    with pytest.raises(ConfigError, match="unknown synthetic structure 'tangled'"):
        write_synthetic_faced(tmp_path, n_subjects=1, seconds=2, structure="tangled")
    with pytest.raises(ConfigError, match="n_groups"):
        synthesize_subject(0, seconds=2, structure="mixed", mixed=MixedParams(n_groups=4))


def band_passed(x: np.ndarray, band: str, sfreq: float = 250.0) -> np.ndarray:
    """``x`` (..., times) through an ideal band-pass (FFT mask)."""
    low, high = BANDS[band]
    freqs = np.fft.rfftfreq(x.shape[-1], 1 / sfreq)
    spectrum = np.fft.rfft(x.astype(np.float64), axis=-1)
    return np.fft.irfft(spectrum * ((freqs >= low) & (freqs < high)), n=x.shape[-1], axis=-1)


def mixed_pair(tmp_path: Path, seed: int, **families) -> tuple[np.ndarray, np.ndarray, dict]:
    """Subjects 0-2 (10 s clips) with ``families`` switched on and off, and the ground truth."""
    control = MixedParams(**{**vars(MIXED_OFF), "n_groups": 3})
    planted = MixedParams(**{**vars(control), **families})
    write_synthetic_faced(tmp_path, n_subjects=1, seconds=2, seed=seed, fmt="de",
                          structure="mixed", mixed=planted)  # fmt: skip
    truth = json.loads((tmp_path / PROVENANCE_FILE).read_text())["ground_truth"]["mixed"]
    pair = [
        np.stack(
            [
                synthesize_subject(i, seed=seed, seconds=10, structure="mixed", mixed=mixed)
                for i in range(3)
            ]
        )  # fmt: skip
        for mixed in (planted, control)
    ]
    return pair[0], pair[1], truth


def test_coupling_keeps_band_power_and_raises_the_groups_in_band_correlation(tmp_path):
    coupled, control, truth = mixed_pair(
        tmp_path, seed=3, coupling=0.6, coupling_sd=0.0, coupling_distractors=0
    )
    log_ratio, correlation_gain = [], []
    for label, name in enumerate(FACED_CLASSES):
        group = [CH[c] for c in truth["coupling"][name]["channels"]]
        clips = np.flatnonzero(FACED_CLIP_LABELS == label)
        band = truth["coupling"][name]["band"]
        on, off = (band_passed(x[:, clips][:, :, group], band) for x in (coupled, control))
        log_ratio.append(np.log(on.var(axis=-1) / off.var(axis=-1)).mean())
        pairs = np.triu_indices(len(group), 1)
        for x, sign in ((on, 1), (off, -1)):
            corr = np.array([np.corrcoef(clip)[pairs] for clip in x.reshape(-1, *x.shape[2:])])
            correlation_gain.append(sign * corr.mean())
    # Band power unchanged within sampling noise; correlation up by about rho * (1 - r0).
    assert abs(np.mean(log_ratio)) < 0.05 and np.abs(log_ratio).max() < 0.2
    assert sum(correlation_gain) / len(FACED_CLASSES) > 0.25


def envelope_variability(x: np.ndarray, sfreq: float = 250.0) -> np.ndarray:
    """Std over 0.5-s sub-windows of the log mean square of ``x`` (..., times)."""
    step = int(sfreq / 2)
    sub = x[..., : x.shape[-1] // step * step].reshape(*x.shape[:-1], -1, step)
    return np.log((sub**2).mean(axis=-1)).std(axis=-1)


def test_dynamics_keep_mean_band_power_and_raise_envelope_variance(tmp_path):
    modulated, control, truth = mixed_pair(tmp_path, seed=3, depth=0.9, dynamics_distractors=0)
    log_ratio, variability_ratio = [], []
    for label, name in enumerate(FACED_CLASSES):
        region = [CH[c] for c in truth["dynamics"][name]["channels"]]
        clips = np.flatnonzero(FACED_CLIP_LABELS == label)
        band = truth["dynamics"][name]["band"]
        on, off = (band_passed(x[:, clips][:, :, region], band) for x in (modulated, control))
        log_ratio.append(np.log(on.var(axis=-1) / off.var(axis=-1)).mean())
        variability_ratio.append(envelope_variability(on).mean() / envelope_variability(off).mean())
    assert abs(np.mean(log_ratio)) < 0.1 and np.abs(log_ratio).max() < 0.3
    assert np.mean(variability_ratio) > 1.5 and min(variability_ratio) > 1.15


def test_subgroups_follow_their_own_valence_pattern():
    params = SynthParams(effect=0.5, category=0.0, clip=0.0, idiosyncrasy=0.0, state=0.0)
    mixed = MixedParams(valence_scale=1.0, coupling=0.0, depth=0.0)
    # Seed 11: subjects 0 and 2 are in subgroup 0 (frontal asymmetry), 1 and 6 in subgroup 1.
    asymmetry = {
        subject: contrast(
            per_second_de(synthesize_subject(subject, seed=11, seconds=4, params=params,
                                             structure="mixed", mixed=mixed)),  # fmt: skip
            "F4", "alpha", minus="F3",
        )
        for subject in (0, 2, 1, 6)
    }  # fmt: skip
    for subject, sign in ((0, 1), (2, 1), (1, -1), (6, -1)):
        assert sign * np.corrcoef(CLIP_VALENCE, asymmetry[subject])[0, 1] > 0.5, subject


def test_mixed_provenance_records_structure_parameters_and_ground_truth(tmp_path):
    write_synthetic_faced(tmp_path / "mixed", n_subjects=3, seconds=2, seed=7, fmt="processed",
                          structure="mixed")  # fmt: skip
    write_synthetic_faced(tmp_path / "power", n_subjects=1, seconds=2, seed=7, fmt="de")
    provenance = json.loads((tmp_path / "mixed" / PROVENANCE_FILE).read_text())
    assert provenance["structure"] == "mixed" and provenance["synthetic"] is True
    assert provenance["params"]["effect"] == default_params("mixed").effect < SynthParams().effect
    assert provenance["mixed_params"] == json.loads(json.dumps(vars(MixedParams())))
    truth = provenance["ground_truth"]["mixed"]
    assert set(truth["coupling"]) == set(truth["dynamics"]) == set(FACED_CLASSES)
    for entry in truth["coupling"].values():
        assert entry["band"] in BANDS and 4 <= len(entry["channels"]) <= 8
        assert set(entry["channels"]) <= set(FACED_CHANNELS)
    assert all(0.3 <= e["rate_hz"] <= 1.0 for e in truth["dynamics"].values())
    assert list(truth["subgroups"]["subject_group"]) == ["sub000", "sub001", "sub002"]
    assert set(truth["subgroups"]["subject_group"].values()) <= set(GROUP_VALENCE)
    assert all(0 < rho < 1 for rho in truth["subject_coupling_rho"].values())
    raw = load_pickle(tmp_path / "mixed" / "Processed_data" / "sub002.pkl")
    np.testing.assert_array_equal(raw, synthesize_subject(2, seed=7, seconds=2, structure="mixed"))
    data, onsets, _ = synthesize_recording(2, seed=7, seconds=2, structure="mixed")
    np.testing.assert_array_equal(data[:, onsets[3] : onsets[4]], raw[3])
    power = json.loads((tmp_path / "power" / PROVENANCE_FILE).read_text())
    assert power["structure"] == "power" and "mixed" not in power["ground_truth"]
