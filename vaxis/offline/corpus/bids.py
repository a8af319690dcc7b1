"""BIDS datasets, read with mne-bids: FACED (as published on NEMAR, nm000112) or any category set.

:func:`read_bids` tells the two apart by the events. A dataset whose events use the marker
vocabulary of :mod:`vaxis.calibration.markers` -- ``trial_type`` ``stim/<class>/<id>`` with
a duration, the segments ``vaxis calibrate`` records -- is read by :func:`read_category_bids`:
every such event is one trial of its class, the whole span it covers (so trials may differ in
length), and the classes are whatever the events name (lower case, sorted). Any other dataset
is FACED, read by :func:`read_faced_bids`.

FACED: each subject's EEG recording is read with :func:`mne_bids.read_raw_bids`; its events
(``events.tsv`` -> annotations) say where each clip was shown. An annotation names a clip
when its description is a clip number (``"7"``, ``"clip 7"``, ``"video_07"``: FACED's clip
ids 1-28 in the fixed order of :data:`~vaxis.offline.corpus.base.FACED_CLIP_LABELS`);
annotations that name no clip (fixation, ratings, rest) are ignored. Each trial is the last
``clip_seconds`` seconds of the clip (FACED's processed data keep the last 30 s), resampled
to ``sfreq`` and converted to microvolts, channels in FACED's order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vaxis.decoder.channels import FACED_CHANNELS, canonical
from vaxis.decoder.faced import FACED_CLASSES, FACED_CLIP_LABELS
from vaxis.errors import DataError
from vaxis.offline.corpus.base import Corpus, Subject, cut_spans
from vaxis.offline.corpus.faced import N_CLIPS, read_provenance

RECORDING_EXTENSIONS = (".vhdr", ".edf", ".bdf", ".set", ".fif")
#: A stimulus event of the marker vocabulary (a completed segment): ``stim/<class>/<id>``.
_STIM = re.compile(r"^stim/([^/]+)/([^/]+)$")
_CLIP = re.compile(r"^(?:(?:clip|video|stim(?:ulus)?|trial)[\s_/-]*)?0*(\d{1,2})$", re.I)


def clip_of(description: str) -> int | None:
    """FACED clip index 0-27 named by an annotation, or ``None``."""
    match = _CLIP.match(description.strip())
    if match and 1 <= int(match.group(1)) <= N_CLIPS:
        return int(match.group(1)) - 1
    return None


def clip_trials(raw, clip_seconds: float, sfreq: float, where: str) -> np.ndarray:
    """Cut an MNE Raw into (28, 32, clip_seconds * sfreq) microvolt trials in FACED order."""
    by_name = {canonical(ch): ch for ch in raw.ch_names}
    missing = [ch for ch in FACED_CHANNELS if canonical(ch) not in by_name]
    if missing:
        raise DataError(f"{where}: channels {', '.join(missing)} are missing")
    onsets: dict[int, tuple[float, float]] = {}
    for ann in raw.annotations:
        clip = clip_of(str(ann["description"]))
        if clip is not None:
            onsets[clip] = (float(ann["onset"]) - raw.first_time, float(ann["duration"]))
    absent = sorted(set(range(N_CLIPS)) - set(onsets))
    if absent:
        raise DataError(f"{where}: no events for clips {[c + 1 for c in absent]}")
    raw = raw.copy().pick([by_name[canonical(ch)] for ch in FACED_CHANNELS]).load_data()
    if raw.info["sfreq"] != sfreq:
        raw.resample(sfreq, verbose=False)
    data = raw.get_data(units="uV")
    n = int(round(clip_seconds * sfreq))
    trials = np.empty((N_CLIPS, len(FACED_CHANNELS), n), dtype=np.float32)
    for clip, (onset, duration) in onsets.items():
        end = int(round((onset + (duration if duration > 0 else clip_seconds)) * sfreq))
        if end - n < 0 or end > data.shape[1]:
            raise DataError(f"{where}: clip {clip + 1} does not fit in the recording")
        trials[clip] = data[:, end - n : end]
    return trials


def read_faced_bids(root: str | Path, clip_seconds: float = 30.0, sfreq: float = 250.0) -> Corpus:
    """FACED as a BIDS dataset: one raw corpus of (28 clips, 32 channels, samples) trials."""
    from mne_bids import BIDSPath, get_entity_vals, read_raw_bids

    root = Path(root)
    if not (root / "dataset_description.json").is_file():
        raise DataError(f"{root}: not a BIDS dataset (no dataset_description.json)")
    subjects = get_entity_vals(root, "subject")
    if not subjects:
        raise DataError(f"{root}: BIDS dataset without subjects")

    def loader(subject: str):
        def load() -> np.ndarray:
            matches = BIDSPath(root=root, subject=subject, datatype="eeg", suffix="eeg").match()
            recordings = [m for m in matches if m.extension in RECORDING_EXTENSIONS]
            if not recordings:
                raise DataError(f"{root}: no EEG recording for sub-{subject}")
            raw = read_raw_bids(recordings[0], verbose=False)
            return clip_trials(raw, clip_seconds, sfreq, str(recordings[0].fpath))

        return load

    return Corpus(
        name="faced",
        kind="raw",
        channels=list(FACED_CHANNELS),
        sfreq=sfreq,
        classes=list(FACED_CLASSES),
        subjects=[
            Subject(f"sub-{s}", FACED_CLIP_LABELS.copy(), np.arange(N_CLIPS), loader(s))
            for s in subjects
        ],
        unit="uV",
        provenance={
            "synthetic": False,
            "source": str(root),
            "format": "bids",
            **read_provenance(root),
        },  # fmt: skip
    )


def stim_of(description: str) -> tuple[str, str] | None:
    """``(class, stimulus id)`` named by a ``stim/<class>/<id>`` event, or ``None``."""
    match = _STIM.match(description.strip())
    if not match:
        return None
    cls, ident = match.group(1).strip().lower(), match.group(2).strip()
    return (cls, ident) if cls and ident else None


def _recordings(root: Path, subject: str) -> list:
    from mne_bids import BIDSPath

    matches = BIDSPath(root=root, subject=subject, datatype="eeg", suffix="eeg").match()
    return sorted((m for m in matches if m.extension in RECORDING_EXTENSIONS), key=str)


def stim_events(events_tsv: Path) -> list[tuple[str, str, float, float]]:
    """``(class, stimulus id, onset, duration)`` of each stimulus event of a BIDS
    ``events.tsv`` (onsets in seconds from the recording's first sample)."""
    import csv

    if not events_tsv.is_file():
        return []
    out = []
    with events_tsv.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            stim = stim_of(row.get("trial_type") or "")
            if stim is None:
                continue
            try:
                onset, duration = float(row["onset"]), float(row["duration"])
            except (KeyError, TypeError, ValueError):
                raise DataError(f"{events_tsv}: stimulus {row.get('trial_type')!r} needs a "
                                "numeric onset and duration") from None  # fmt: skip
            if duration > 0:
                out.append((*stim, onset, duration))
    return out


def _events_path(recording) -> Path:
    return recording.copy().update(suffix="events", extension=".tsv").fpath


def read_category_bids(root: str | Path, sfreq: float = 250.0) -> Corpus:
    """A BIDS dataset of any category set: trials are its ``stim/<class>/<id>`` events.

    Each subject's recordings (sessions, runs) are read in name order; a trial is the span of
    its event, EEG channels in the first recording's order, resampled to ``sfreq``, in
    microvolts. Class ``k`` is the k-th class name in sorted order; a clip id names one
    ``(class, id)`` stimulus across subjects.
    """
    from mne_bids import get_entity_vals, read_raw_bids

    root = Path(root)
    subjects = get_entity_vals(root, "subject")
    if not subjects:
        raise DataError(f"{root}: BIDS dataset without subjects")
    plan: dict[str, list[tuple[object, list]]] = {}
    for subject in subjects:
        recordings = _recordings(root, subject)
        plan[subject] = [(r, stim_events(_events_path(r))) for r in recordings]
    empty = [f"sub-{s}" for s, parts in plan.items() if not any(ev for _, ev in parts)]
    if empty:
        raise DataError(f"{root}: no stim/<class>/<id> events for {', '.join(empty)}")
    every = [ev for parts in plan.values() for _, events in parts for ev in events]
    classes = sorted({cls for cls, *_ in every})
    stimuli = sorted({(cls, ident) for cls, ident, *_ in every})
    first = read_raw_bids(plan[subjects[0]][0][0], verbose=False)
    channels = first.copy().pick("eeg").ch_names
    corpus_subjects = []
    for subject, parts in plan.items():
        events = [ev for _, evs in parts for ev in evs]
        labels = np.array([classes.index(cls) for cls, *_ in events], dtype=np.int64)
        clips = np.array([stimuli.index((cls, ident)) for cls, ident, *_ in events])
        load = _trial_loader(parts, channels, sfreq)
        corpus_subjects.append(Subject(f"sub-{subject}", labels, clips, load))
    return Corpus(
        name=_dataset_name(root),
        kind="raw",
        channels=list(channels),
        sfreq=sfreq,
        classes=classes,
        subjects=corpus_subjects,
        unit="uV",
        provenance={
            "synthetic": False,
            "source": str(root),
            "format": "bids",
            "trials": "stim/<class>/<id> events",
            **read_provenance(root),
        },  # fmt: skip
    )


def _trial_loader(parts: list, channels: list[str], sfreq: float) -> Callable[[], list[np.ndarray]]:
    """Reads one subject's trials: each ``(recording, events)`` part, cut at its events."""
    from mne_bids import read_raw_bids

    def load() -> list[np.ndarray]:
        trials = []
        for recording, events in parts:
            if events:
                raw = read_raw_bids(recording, verbose=False)
                spans = [(onset, onset + duration) for *_, onset, duration in events]
                trials += cut_spans(raw, channels, spans, sfreq, str(recording.fpath))
        return trials

    return load


def _dataset_name(root: Path) -> str:
    import json

    try:
        name = json.loads((root / "dataset_description.json").read_text()).get("Name")
    except (OSError, ValueError, AttributeError):
        name = None
    text = str(name or "").strip()
    return text if text and not text.startswith("[") else root.name  # "[Unspecified]": none


def read_bids(root: str | Path, clip_seconds: float = 30.0, sfreq: float = 250.0) -> Corpus:
    """A BIDS dataset: any category set when its events name stimuli as ``stim/<class>/<id>``,
    else FACED (events naming clips 1-28)."""
    from mne_bids import get_entity_vals

    root = Path(root)
    if not (root / "dataset_description.json").is_file():
        raise DataError(f"{root}: not a BIDS dataset (no dataset_description.json)")
    for subject in get_entity_vals(root, "subject"):
        if any(stim_events(_events_path(r)) for r in _recordings(root, subject)):
            return read_category_bids(root, sfreq)
    return read_faced_bids(root, clip_seconds, sfreq)
