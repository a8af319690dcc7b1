"""Adapt a bundle to a participant from a calibration recording; score before and after.

The adaptation is the participant's own input statistics (:class:`InputStats`, for the input
kinds the bundle reads: the mean and spread of each band feature and tangent-space coordinate,
the RMS of each channel), which replace the training population's from the first window on.
It needs no labels, so the resting baseline counts.

Scoring splits the labelled stimuli: within each class, stimuli alternate between the
adaptation half (1st, 3rd, …) and the held-out half (2nd, 4th, …). Statistics fitted on the
baseline plus the adaptation half decode the held-out windows; that is compared with

- ``before_prior``: the bundle alone, the training population's statistics (no adaptation);
- ``before_running``: what ``vaxis live`` does without a profile, running statistics over the
  whole session in time order.

The profile written keeps the statistics of every calibration window (baseline and all
stimuli); the figures above describe the held-out estimate of that procedure. A class with
one stimulus has nothing held out; with fewer than two classes held out, no figure is given.
Re-fitting the ensemble's output layer is not done: the profile changes the normalisation
only (``model`` stays ``null``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from vaxis.decoder.bundle import Bundle, load_bundle
from vaxis.decoder.inputs import InputStats, window_inputs
from vaxis.decoder.pipeline import Decoder
from vaxis.decoder.profile import Profile, save_profile
from vaxis.decoder.quality import check_windows
from vaxis.decoder.windows import resampler, window_starts
from vaxis.errors import DataError
from vaxis.stream.recordings import label_track
from vaxis.stream.replay import picked_microvolts


@dataclass
class CalibrationWindows:
    """Windows cut inside the segments of a calibration recording (bundle rate, µV)."""

    windows: np.ndarray  # (n, n_channels, n_times)
    labels: np.ndarray  # class index, -1 for baseline
    held_out: np.ndarray  # bool: in the held-out half


def _segments(raw, bundle: Bundle) -> list[tuple[int, int, int, int]]:
    """``(start, stop, label, stimulus)`` sample spans of the baseline and the stimuli."""
    fs = raw.info["sfreq"]
    spans = []
    for ann in raw.annotations:
        if str(ann["description"]) == "baseline" and float(ann["duration"]) > 0:
            onset = float(ann["onset"]) - raw.first_time
            spans.append((int(round(onset * fs)), int(round((onset + ann["duration"]) * fs)),
                          -1, -1))  # fmt: skip
    track, stimulus = label_track(raw, bundle.classes)
    for number in np.unique(stimulus[stimulus >= 0]):
        where = np.flatnonzero(stimulus == number)
        spans.append((int(where[0]), int(where[-1]) + 1, int(track[where[0]]), int(number)))
    return sorted(spans)


def calibration_windows(raw, bundle: Bundle) -> CalibrationWindows:
    """Hop-aligned windows inside each segment, none straddling two."""
    data = picked_microvolts(raw, bundle)
    fs = float(raw.info["sfreq"])
    win, hop = bundle.samples_at(fs)
    spans = _segments(raw, bundle)
    if not any(label >= 0 for *_, label, _ in spans):
        raise DataError("the recording holds no complete stimulus of the bundle's classes "
                        "(markers stim/<class>/<id>/start … /end)")  # fmt: skip
    seen: dict[int, int] = {}
    held = {}
    for *_, label, number in spans:
        if label >= 0 and number not in held:
            held[number] = seen.get(label, 0) % 2 == 1
            seen[label] = seen.get(label, 0) + 1
    starts, labels, stimuli = [], [], []
    for start, stop, label, number in spans:
        stop = min(stop, data.shape[1])
        for s in start + window_starts(max(stop - start, 0), win, hop):
            starts.append(s)
            labels.append(label)
            stimuli.append(number)
    if not starts:
        raise DataError(f"no segment of the recording is as long as one {win / fs:g} s window")
    windows = np.stack([data[:, s : s + win] for s in starts])
    resample = resampler(fs, bundle.sfreq, bundle.window_samples)
    if resample is not None:
        windows = resample(windows)
    return CalibrationWindows(
        windows, np.asarray(labels), np.array([held.get(n, False) for n in stimuli])
    )


def fit_stats(bundle: Bundle, windows: np.ndarray) -> InputStats:
    """The participant's input statistics over the valid windows."""
    valid, _ = check_windows(windows, bundle.channels)
    if valid.sum() < 2:
        raise DataError("fewer than two valid calibration windows: nothing to adapt to")
    b = bundle
    inputs = window_inputs(windows[valid], b.sfreq, b.kinds, reference=b.reference,
                           detrend=b.detrend, feature_kind=b.feature_kind, bands=b.bands,
                           tangent=b.tangent_space())  # fmt: skip
    return InputStats.fit(inputs)


def _balanced_accuracy(truth: np.ndarray, predicted: np.ndarray, valid: np.ndarray):
    """Mean recall over the classes held out (predictions of other classes count wrong)."""
    import warnings

    from sklearn.metrics import balanced_accuracy_score

    if not valid.any():
        return None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="y_pred contains classes not in y_true")
        return float(balanced_accuracy_score(truth[valid], predicted[valid]))


def score(bundle: Bundle, cw: CalibrationWindows) -> dict:
    """Held-out balanced accuracy before and after adaptation (see module docstring)."""
    test = cw.held_out & (cw.labels >= 0)
    classes_out = np.unique(cw.labels[test])
    out: dict[str, Any] = {
        "held_out_windows": int(test.sum()),
        "held_out_classes": int(classes_out.size),
        "chance": 1.0 / classes_out.size if classes_out.size else None,
    }
    if classes_out.size < 2:
        out["note"] = "fewer than two classes with a second stimulus: nothing to score"
        return out
    prior = InputStats.from_dict(bundle.normalisation["prior"])
    adapted = fit_stats(bundle, cw.windows[~cw.held_out])
    truth, held = cw.labels[test], cw.windows[test]
    for key, stats in (("before_prior", prior), ("after", adapted)):
        p = Decoder(bundle, stats=stats).decode(held)
        out[key] = _balanced_accuracy(truth, p.labels, p.valid)
    # Without a profile, vaxis live normalises with running statistics over the whole session.
    running = Decoder(bundle).decode(cw.windows)
    out["before_running"] = _balanced_accuracy(truth, running.labels[test], running.valid[test])
    return out


def adapt(recording, bundle_path: str | Path, participant: str, out: str | Path) -> Profile:
    """Fit a participant profile from a calibration recording (``Raw``) and save it."""
    bundle = load_bundle(bundle_path)
    cw = calibration_windows(recording, bundle)
    metrics = score(bundle, cw)
    metrics["windows"] = {"baseline": int((cw.labels < 0).sum()),
                          "stimuli": int((cw.labels >= 0).sum())}  # fmt: skip
    profile = Profile(
        participant=participant,
        bundle_model_id=bundle.model_id,
        bundle_sha256=bundle.meta["onnx"]["sha256"],
        stats=fit_stats(bundle, cw.windows),
        metrics=metrics,
        synthetic=bundle.synthetic,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    save_profile(profile, out)
    return profile
