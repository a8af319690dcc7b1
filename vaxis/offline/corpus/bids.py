"""FACED in BIDS (as published on NEMAR, dataset nm000112), read with mne-bids.

Each subject's EEG recording is read with :func:`mne_bids.read_raw_bids`; its events
(``events.tsv`` -> annotations) say where each clip was shown. An annotation names a clip
when its description is a clip number (``"7"``, ``"clip 7"``, ``"video_07"``: FACED's clip
ids 1-28 in the fixed order of :data:`~vaxis.offline.corpus.base.FACED_CLIP_LABELS`);
annotations that name no clip (fixation, ratings, rest) are ignored. Each trial is the last
``clip_seconds`` seconds of the clip (FACED's processed data keep the last 30 s), resampled
to ``sfreq`` and converted to microvolts, channels in FACED's order.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from vaxis.decoder.channels import FACED_CHANNELS, canonical
from vaxis.errors import DataError
from vaxis.offline.corpus.base import FACED_CLASSES, FACED_CLIP_LABELS, Corpus, Subject
from vaxis.offline.corpus.faced import N_CLIPS, read_provenance

RECORDING_EXTENSIONS = (".vhdr", ".edf", ".bdf", ".set", ".fif")
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
