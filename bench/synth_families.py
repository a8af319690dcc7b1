"""Decodability of each feature family on the SYNTHETIC ``mixed`` and ``power`` corpora.

The ``mixed`` structure (:mod:`vaxis.offline.corpus.synthetic_mixed`) spreads the 9-class
category information over band power, inter-channel coupling, slow amplitude dynamics and
subject subgroups; the ``power`` structure puts it all in band power (the null control).
For each corpus (generated in memory with ``synthesize_subject``, which equals the files
``vaxis data synth --structure ...`` writes), 4-s windows every 2 s are cut with
:func:`vaxis.decoder.windows.cut` and each family's features are computed:

- ``power``: differential entropy (:func:`vaxis.decoder.features.differential_entropy`) per
  channel x band;
- ``coupling``: per band (4th-order Butterworth band-pass, ``sosfiltfilt`` on the clip), the
  window's OAS covariance (``pyriemann.estimation.Covariances``) normalised to a correlation
  matrix, mapped to its tangent space (``pyriemann.tangentspace.TangentSpace``, reference
  fitted on the training subjects). The normalisation drops the diagonal, which is band
  power, so this family reads coupling only;
- ``dynamics``: per channel x band, the standard deviation over the window's eight 0.5-s
  sub-windows of the log mean square of the band-passed signal (envelope variability);
- ``all``: the three concatenated.

Features are z-scored per subject (each subject's own statistics, transductive, as in the
README's decodability figures). A multinomial logistic regression (scikit-learn, balanced
class weights) is fitted on the training subjects of the FACED split
(:func:`vaxis.offline.splits.faced_split`), its ``C`` chosen on the validation subjects from
``{0.001, 0.01, 0.1, 1}``, and scored by window-level balanced accuracy on the test subjects
(chance 1/9). On ``mixed``, ``power_by_subgroup`` fits one band-power model per ground-truth
subject subgroup (an oracle mixture) to show what a single linear model loses there.

Usage: ``python bench/synth_families.py [--subjects 40] [--seconds 30] [--seed 0]
[--threads 1]``
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict

import numpy as np
from _common import target, write_result
from pyriemann.estimation import Covariances
from pyriemann.geometry.covariance import normalize
from pyriemann.tangentspace import TangentSpace
from scipy import signal
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from threadpoolctl import threadpool_limits

from vaxis.decoder.faced import FACED_CLASSES, FACED_CLIP_LABELS
from vaxis.decoder.features import BANDS, differential_entropy
from vaxis.decoder.windows import cut
from vaxis.offline.corpus.synthetic import default_params, synthesize_subject
from vaxis.offline.corpus.synthetic_mixed import MixedParams, subject_rng, subject_traits
from vaxis.offline.splits import faced_split

SFREQ = 250.0
WINDOW, HOP, SUB_WINDOW = 1000, 500, 125  # 4 s, 2 s, 0.5 s at 250 Hz
C_GRID = (0.001, 0.01, 0.1, 1.0)
FAMILIES = ("power", "coupling", "dynamics", "all")
CHANCE = 1.0 / len(FACED_CLASSES)


def subject_features(data: np.ndarray, filters: list[np.ndarray]) -> dict[str, np.ndarray]:
    """DE, band correlation matrices and envelope variability of one subject's windows.

    Returns arrays with one row per window (clip-major): ``de`` and ``envelope`` of shape
    (n_windows, n_channels * n_bands), ``correlation`` of shape (n_windows, n_bands,
    n_channels, n_channels), and ``labels``.
    """
    windows = cut(data, WINDOW, HOP)  # (clips, channels, win, samples)
    n_clips, n_channels, n_win, _ = windows.shape
    de = differential_entropy(windows, SFREQ).transpose(0, 2, 1, 3)
    correlation, envelope = [], []
    for sos in filters:
        band = cut(signal.sosfiltfilt(sos, data, axis=-1), WINDOW, HOP).transpose(0, 2, 1, 3)
        band = band.reshape(n_clips * n_win, n_channels, WINDOW)
        cov = Covariances(estimator="oas").transform(band)
        correlation.append(normalize(cov, "corr").astype(np.float32))
        sub = band.reshape(*band.shape[:2], WINDOW // SUB_WINDOW, SUB_WINDOW)
        envelope.append(np.log((sub**2).mean(axis=-1)).std(axis=-1))
    return {
        "de": de.reshape(n_clips * n_win, -1),
        "correlation": np.stack(correlation, axis=1),
        "envelope": np.stack(envelope, axis=-1).reshape(n_clips * n_win, -1),
        "labels": np.repeat(FACED_CLIP_LABELS, n_win),
    }


def zscore(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-12)


def tangent_vectors(correlation: list[np.ndarray], train: list[int]) -> list[np.ndarray]:
    """Per subject, the per-band tangent vectors at the training subjects' mean, z-scored."""
    n_bands = correlation[0].shape[1]
    per_band = []
    for b in range(n_bands):
        space = TangentSpace(metric="riemann").fit(
            np.concatenate([correlation[s][:, b] for s in train]).astype(np.float64)
        )
        per_band.append([space.transform(c[:, b].astype(np.float64)) for c in correlation])
    return [
        zscore(np.concatenate([band[s] for band in per_band], axis=1)).astype(np.float32)
        for s in range(len(correlation))
    ]


def fit_and_score(
    x: list[np.ndarray], y: list[np.ndarray], train: list[int], val: list[int], test: list[int]
) -> tuple[dict, LogisticRegression]:
    """Fit on ``train``, pick ``C`` on ``val``, score balanced accuracy on ``test``."""

    def stack(subjects: list[int]) -> tuple[np.ndarray, np.ndarray]:
        return np.concatenate([x[s] for s in subjects]), np.concatenate([y[s] for s in subjects])

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = map(stack, (train, val, test))
    best = None
    for c in C_GRID:
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
        model.fit(x_train, y_train)
        val_score = balanced_accuracy_score(y_val, model.predict(x_val))
        if best is None or val_score > best[0]:
            best = (val_score, c, model)
    val_score, c, model = best
    score = balanced_accuracy_score(y_test, model.predict(x_test))
    return {
        "balanced_accuracy": round(float(score), 4),
        "val_balanced_accuracy": round(float(val_score), 4),
        "C": c,
        "n_features": int(x_train.shape[1]),
    }, model


def by_subgroup(
    x: list[np.ndarray],
    y: list[np.ndarray],
    groups: list[int],
    split: tuple[list[int], list[int], list[int]],
) -> dict:
    """The band-power model with per-subgroup weights (ground-truth subgroups: an oracle).

    Each subject's features are followed by a copy for each subgroup, zero unless the
    subject belongs to it: one logistic regression then shares what the subgroups share
    and fits each subgroup's own valence pattern.
    """
    n_groups = max(groups) + 1

    def expand(s: int) -> np.ndarray:
        copies = [x[s] * (groups[s] == g) for g in range(n_groups)]
        return np.concatenate([x[s], *copies], axis=1)

    result, _ = fit_and_score([expand(s) for s in range(len(x))], y, *split)
    return result


def measure(structure: str, subjects: int, seconds: int, seed: int) -> dict:
    """Generate one corpus in memory and score each family on it."""
    start = time.perf_counter()
    filters = [
        signal.butter(4, edges, btype="bandpass", fs=SFREQ, output="sos")
        for edges in BANDS.values()
    ]
    features = [
        subject_features(
            synthesize_subject(i, seed=seed, seconds=seconds, structure=structure), filters
        )
        for i in range(subjects)
    ]
    ids = [f"sub{i:03d}" for i in range(subjects)]
    split = faced_split(ids)
    train, val, test = (
        [ids.index(s) for s in part] for part in (split.train, split.val, split.test)
    )
    y = [f["labels"] for f in features]
    family_x = {
        "power": [zscore(f["de"]) for f in features],
        "coupling": tangent_vectors([f["correlation"] for f in features], train),
        "dynamics": [zscore(f["envelope"]) for f in features],
    }
    family_x["all"] = [
        np.concatenate([family_x[name][s] for name in FAMILIES[:3]], axis=1)
        for s in range(subjects)
    ]
    scores = {name: fit_and_score(family_x[name], y, train, val, test)[0] for name in FAMILIES}
    if structure == "mixed":
        mixed = MixedParams()
        groups = [subject_traits(subject_rng(seed, i), mixed)[0] for i in range(subjects)]
        scores["power_by_subgroup"] = {
            **by_subgroup(family_x["power"], y, groups, (train, val, test)),
            "note": "band power with per-subgroup weights, ground-truth subgroups (oracle)",
            "subgroup_sizes": np.bincount(groups, minlength=mixed.n_groups).tolist(),
        }
    return {
        "scores": scores,
        "split": {"train": len(train), "val": len(val), "test": len(test)},
        "params": asdict(default_params(structure)),
        **({"mixed_params": asdict(MixedParams())} if structure == "mixed" else {}),
        "wall_s": round(time.perf_counter() - start, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=40)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    with threadpool_limits(args.threads):
        results = {
            s: measure(s, args.subjects, args.seconds, args.seed) for s in ("mixed", "power")
        }
    mixed = {k: v["balanced_accuracy"] for k, v in results["mixed"]["scores"].items()}
    alone = [mixed[name] for name in FAMILIES[:3]]
    corpus = f"{args.subjects} subjects x 28 clips x {args.seconds} s, seed {args.seed}"
    result = {
        "synthetic": True,
        "description": "9-class window-level balanced accuracy of a logistic regression on "
        "each feature family alone and all together, on the SYNTHETIC mixed and power "
        f"corpora ({corpus}); 4-s windows every 2 s, subject-wise z-scoring, FACED split",
        "corpus": corpus,
        "chance": round(CHANCE, 4),
        "structures": results,
        "targets": [
            target(
                "mixed: weakest family alone",
                min(alone),
                "balanced accuracy",
                f"> chance + 0.05 ({CHANCE + 0.05:.3f})",
                min(alone) > CHANCE + 0.05,
            ),
            target(
                "mixed: all families together",
                mixed["all"],
                "balanced accuracy",
                "> best family alone + 0.1",
                mixed["all"] > max(alone) + 0.1,
                baseline=max(alone),
                ratio=round(mixed["all"] / max(alone), 2),
            ),
        ],
    }
    path = write_result("synth_families", result)
    for structure, r in results.items():
        print(structure, {k: v["balanced_accuracy"] for k, v in r["scores"].items()}, r["wall_s"])
    print(json.dumps(result["targets"], indent=1))
    print(f"-> {path}")


if __name__ == "__main__":
    main()
