"""Recordings for replay, all read into one MNE ``Raw`` (volts, annotations as labels).

- anything MNE reads: FIF, EDF, BDF, BrainVision, EEGLAB (``mne.io.read_raw``); a vaxis
  calibration recording is a FIF whose annotations, while the session runs or when it was
  killed, sit beside it in ``<stem>_annot.txt`` (read when the FIF holds none);
- XDF (pyxdf): the first stream of type ``EEG`` (else the first numeric regular stream);
  string marker streams become annotations;
- a FACED ``Processed_data`` subject file (``subNNN.pkl``, read with the numpy-only loader):
  the 28 clips concatenated in order, each clip an annotation named after its class;
- a recording inside a BIDS dataset (``sub-01_task-x_eeg.vhdr`` …): its events
  (``sub-01_task-x_events.tsv``, ``trial_type`` as the description) replace the annotations
  the file format kept, which for BrainVision or EDF are numbered triggers, not class names.

:func:`label_track` turns annotations into per-sample class and stimulus indices: one whose
description is a class name, or the marker vocabulary's ``stim/<class>/<id>/start`` …
``stim/<class>/<id>/end`` pair, labels the samples it covers.
"""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path

import numpy as np

from vaxis.decoder.channels import FACED_CHANNELS
from vaxis.decoder.faced import FACED_CLASSES, FACED_CLIP_LABELS
from vaxis.errors import DataError
from vaxis.safe_pickle import FACED_MAX_CLIP_S, load_array

log = logging.getLogger(__name__)

#: A stimulus edge of the calibration marker vocabulary: ``stim/<class>/<id>/start|end``.
STIM_MARKER = re.compile(r"^stim/([^/]+)/([^/]+)/(start|end)$")


def read_faced_subject(path: Path, sfreq: float = 250.0):
    """A FACED subject file as a continuous Raw with one annotation per clip."""
    import mne

    longest = (28, len(FACED_CHANNELS), int(np.ceil(FACED_MAX_CLIP_S * sfreq)))
    clips = load_array(path, int(np.prod(longest)), f"the FACED layout {longest}")
    if clips.ndim != 3 or clips.shape[:2] != (28, len(FACED_CHANNELS)):
        raise DataError(f"{path}: expected (28, 32, samples) FACED clips, got {clips.shape}")
    n = clips.shape[2]
    data = np.ascontiguousarray(clips.transpose(1, 0, 2)).reshape(len(FACED_CHANNELS), -1)
    raw = mne.io.RawArray(data * 1e-6, mne.create_info(list(FACED_CHANNELS), sfreq, "eeg"),
                          verbose=False)  # fmt: skip
    onsets = np.arange(28) * n / sfreq
    names = [f"stim/{FACED_CLASSES[c]}/{i + 1}" for i, c in enumerate(FACED_CLIP_LABELS)]
    raw.set_annotations(mne.Annotations(onsets, n / sfreq, names))
    return raw


def read_xdf(path: Path):
    """The EEG stream of an XDF file as a Raw; string marker streams as annotations."""
    import mne
    import pyxdf

    try:
        streams, _ = pyxdf.load_xdf(str(path))
    except Exception as err:  # noqa: BLE001 - pyxdf raises many types on a corrupt file
        raise DataError(f"{path}: not a readable XDF file ({_why(err)})") from None
    try:
        return _xdf_raw(streams, path, mne)
    except DataError:
        raise  # already says what is wrong (a DataError is also a ValueError)
    except (KeyError, IndexError, TypeError, ValueError) as err:
        raise DataError(f"{path}: malformed XDF stream ({_why(err)})") from None


def _xdf_raw(streams: list, path: Path, mne):
    numeric = [s for s in streams if s["info"]["channel_format"][0] != "string"
               and float(s["info"]["nominal_srate"][0]) > 0]  # fmt: skip
    eeg = [s for s in numeric if s["info"]["type"][0].lower() == "eeg"] or numeric
    if not eeg:
        raise DataError(f"{path}: no regular numeric (EEG) stream in the XDF file")
    stream = eeg[0]
    info = stream["info"]
    sfreq = float(info["nominal_srate"][0])
    n_ch = int(info["channel_count"][0])
    if len(stream["time_stamps"]) == 0:
        raise DataError(f"{path}: the EEG stream {info['name'][0]!r} holds no samples")
    try:
        channels = info["desc"][0]["channels"][0]["channel"]
        names = [c["label"][0] for c in channels]
        units = [(c.get("unit") or [""])[0].lower() for c in channels]
    except (KeyError, IndexError, TypeError):
        names, units = [f"EEG{i + 1}" for i in range(n_ch)], [""] * n_ch
    scale = np.array([1.0 if u in ("v", "volts", "volt") else 1e-6 for u in units])
    data = np.asarray(stream["time_series"], dtype=np.float64).T * scale[:, None]
    raw = mne.io.RawArray(data, mne.create_info(names, sfreq, "eeg"), verbose=False)
    t0 = stream["time_stamps"][0]
    onsets, descriptions = [], []
    for s in streams:
        if s["info"]["channel_format"][0] == "string":
            for stamp, value in zip(s["time_stamps"], s["time_series"], strict=False):
                if stamp >= t0:
                    onsets.append(stamp - t0)
                    descriptions.append(str(value[0]))
    if onsets:
        raw.set_annotations(mne.Annotations(onsets, 0.0, descriptions))
    return raw


def _why(err: Exception) -> str:
    return f"{type(err).__name__}: {str(err)[:160]}" if str(err) else type(err).__name__


def sane_annotations(annotations, where: str):
    """``annotations`` without what MNE cannot hold: entries with a non-finite onset or
    duration are dropped, a negative duration (a segment that ends before it starts, as
    earlier vaxis versions could record) becomes a zero-length marker. Each is logged."""
    import mne

    onsets, durations, descriptions = [], [], []
    for ann in annotations:
        onset, duration, text = float(ann["onset"]), float(ann["duration"]), ann["description"]
        if not (np.isfinite(onset) and np.isfinite(duration)):
            log.warning("%s: annotation %r at %s s dropped: not a finite time", where, text, onset)
            continue
        if duration < 0:
            log.warning("%s: annotation %r at %.3f s lasts %.3f s: kept as a marker",
                        where, text, onset, duration)  # fmt: skip
            duration = 0.0
        onsets.append(onset)
        durations.append(duration)
        descriptions.append(text)
    return mne.Annotations(onsets, durations, descriptions, orig_time=annotations.orig_time)


def _read_mne(path: Path):
    import mne

    with warnings.catch_warnings():
        # MNE warns about file names, dates and (for a calibration session that was killed)
        # missing closing tags, and reads what is there; only a failure concerns the user.
        warnings.simplefilter("ignore")
        try:
            raw = mne.io.read_raw(path, preload=True, verbose=False)
        except Exception as err:  # noqa: BLE001 - each MNE reader fails its own way
            raise DataError(f"{path}: not a recording MNE can read ({_why(err)})") from None
    sidecar = annot_path(path)
    if not len(raw.annotations) and sidecar.exists():
        try:
            annotations = mne.read_annotations(sidecar)
        except Exception as err:  # noqa: BLE001 - a hand-edited or truncated text file
            raise DataError(f"{sidecar}: unreadable annotations ({_why(err)})") from None
        with warnings.catch_warnings():
            # A killed session's last segment may reach past the last second written.
            warnings.simplefilter("ignore")
            raw.set_annotations(sane_annotations(annotations, str(sidecar)))
    return raw


def read_recording(path: str | Path):
    """Read a recording for replay (see module docstring).

    Raises
    ------
    DataError
        One line naming the file: missing, empty, corrupt, or holding no samples.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty")
    name = path.name.lower()
    if name.endswith(".pkl"):
        raw = read_faced_subject(path)
    elif name.endswith((".xdf", ".xdfz")):
        raw = read_xdf(path)
    else:
        raw = _read_mne(path)
    sfreq = float(raw.info["sfreq"])
    if not raw.n_times or not len(raw.ch_names) or not np.isfinite(sfreq) or sfreq <= 0:
        raise DataError(
            f"{path}: no samples to decode ({len(raw.ch_names)} channels, {raw.n_times} "
            f"samples at {sfreq:g} Hz)"
        )
    events = bids_events_path(path)
    if events is not None and events.is_file():
        raw.set_annotations(read_bids_events(events))
    return raw


def bids_events_path(recording: Path) -> Path | None:
    """The BIDS events file of a recording named ``<entities>_eeg.<ext>``, else ``None``."""
    match = re.match(r"^(.+)_(eeg|ieeg|meg)\.[a-z]+$", recording.name, re.I)
    return recording.with_name(f"{match.group(1)}_events.tsv") if match else None


def read_bids_events(path: Path):
    """A BIDS ``events.tsv`` as MNE annotations: ``trial_type`` over ``onset`` + ``duration``
    (seconds from the first sample; ``n/a`` durations are 0)."""
    import csv

    import mne

    onsets, durations, names = [], [], []
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if not row.get("trial_type") or row["trial_type"] == "n/a":
                    continue
                duration = row.get("duration", "n/a")
                onsets.append(float(row["onset"]))
                durations.append(0.0 if duration in ("n/a", "", None) else float(duration))
                names.append(row["trial_type"])
    except (OSError, KeyError, ValueError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: not a readable BIDS events file ({err})") from None
    return mne.Annotations(onsets, durations, names)


def _stem(fif: Path) -> str:
    return re.sub(r"([_-](raw|eeg))?\.fif$", "", fif.name)


def annot_path(fif: Path) -> Path:
    """The annotation file a calibration session writes beside its FIF recording
    (``x_raw.fif`` → ``x_annot.txt``)."""
    return fif.with_name(f"{_stem(fif)}_annot.txt")


def markers_path(fif: Path) -> Path:
    """The log of every marker a calibration session received (``x_markers.tsv``)."""
    return fif.with_name(f"{_stem(fif)}_markers.tsv")


def label_track(raw, classes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per sample: the class index and the stimulus number (both -1 where no stimulus of a
    known class is shown). Two clips of one class are two stimuli."""
    track = np.full(raw.n_times, -1, dtype=np.int64)
    stimulus = np.full(raw.n_times, -1, dtype=np.int64)
    index = {c.lower(): i for i, c in enumerate(classes)}
    open_at: dict[tuple[str, str], float] = {}
    spans: list[tuple[float, float, int]] = []
    for ann in raw.annotations:
        text = str(ann["description"]).strip()
        onset = float(ann["onset"]) - raw.first_time
        match = STIM_MARKER.match(text)
        if match:
            cls, ident, edge = match.groups()
            if edge == "start":
                open_at[(cls, ident)] = onset
            elif (cls, ident) in open_at and cls.lower() in index:
                spans.append((open_at.pop((cls, ident)), onset, index[cls.lower()]))
            continue
        parts = text.split("/")
        cls = parts[1] if len(parts) >= 2 and parts[0] == "stim" else text
        if cls.lower() in index and float(ann["duration"]) > 0:
            spans.append((onset, onset + float(ann["duration"]), index[cls.lower()]))
    sfreq = raw.info["sfreq"]
    spans = [s for s in spans if np.isfinite(s[:2]).all() and s[1] > s[0]]
    for number, (start, stop, label) in enumerate(spans):
        covered = slice(int(round(start * sfreq)), int(round(stop * sfreq)))
        track[covered] = label
        stimulus[covered] = number
    return track, stimulus
