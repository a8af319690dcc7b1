"""SEED-V raw recordings (``EEG_raw/{subject}_{session}_{date}.cnt``), read with MNE.

Each of the three sessions holds 15 film clips; the published start and end seconds
(the dataset's README, reproduced below) cut them out of the continuous 1000 Hz Neuroscan
recording. The 62 EEG channels are kept (M1, M2, VEO and HEO dropped), resampled to
``sfreq`` and converted to microvolts. A subject's trials are its sessions' clips in order
(clip id = 15 * (session - 1) + index, so ``clip // 15`` is the session).

Trials are whole clips by default: clips differ in length (52-297 s), so a subject loads as
a list of ``(62, n_times)`` arrays (see :mod:`vaxis.offline.corpus.base`). With
``trial_seconds`` each trial is instead the last ``trial_seconds`` of its clip (one array;
52 s, the shortest clip, is the SEED-V analogue of FACED's last 30 s).

Besides the release's ``.cnt`` files (read with :func:`mne.io.read_raw_cnt`), a session may
be a FIF file of the same name, ``{subject}_{session}_{date}_raw.fif`` (read with
:func:`mne.io.read_raw_fif`): the same recording converted, or the SYNTHETIC corpus of
:mod:`vaxis.offline.corpus.synthetic_seedv`. A synthetic corpus may compress the published
timing to stay small: its ``vaxis_provenance.json`` then declares ``"time_scale"`` (every
published second is multiplied by it). The release carries no such file, so real SEED-V is
always cut at the published seconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vaxis.errors import DataError
from vaxis.offline.corpus.base import Corpus, Subject, Trials, cut_spans
from vaxis.offline.corpus.faced import read_provenance

SEEDV_CLASSES: tuple[str, ...] = ("disgust", "fear", "sad", "neutral", "happy")
NON_EEG = ("M1", "M2", "VEO", "HEO")
#: The 62 EEG channels of the release's ESI NeuroScan cap, in its order.
SEEDV_CHANNELS: tuple[str, ...] = (
    "FP1", "FPZ", "FP2", "AF3", "AF4", "F7", "F5", "F3", "F1", "FZ", "F2", "F4", "F6", "F8",
    "FT7", "FC5", "FC3", "FC1", "FCZ", "FC2", "FC4", "FC6", "FT8", "T7", "C5", "C3", "C1", "CZ",
    "C2", "C4", "C6", "T8", "TP7", "CP5", "CP3", "CP1", "CPZ", "CP2", "CP4", "CP6", "TP8",
    "P7", "P5", "P3", "P1", "PZ", "P2", "P4", "P6", "P8", "PO7", "PO5", "PO3", "POZ", "PO4",
    "PO6", "PO8", "CB1", "O1", "OZ", "O2", "CB2",
)  # fmt: skip

#: Published clip boundaries in seconds, per session.
TRIAL_START: dict[int, tuple[int, ...]] = {
    1: (30, 132, 287, 555, 773, 982, 1271, 1628, 1730, 2025, 2227, 2435, 2667, 2932, 3204),
    2: (30, 299, 548, 646, 836, 1000, 1091, 1392, 1657, 1809, 1966, 2186, 2333, 2490, 2741),
    3: (30, 353, 478, 674, 825, 908, 1200, 1346, 1451, 1711, 2055, 2307, 2457, 2726, 2888),
}
TRIAL_END: dict[int, tuple[int, ...]] = {
    1: (102, 228, 524, 742, 920, 1240, 1568, 1697, 1994, 2166, 2401, 2607, 2901, 3172, 3359),
    2: (267, 488, 614, 773, 967, 1059, 1331, 1622, 1777, 1908, 2153, 2302, 2428, 2709, 2817),
    3: (321, 418, 643, 764, 877, 1147, 1284, 1418, 1679, 1996, 2275, 2425, 2664, 2857, 3066),
}
#: Class of each clip, per session (0 disgust, 1 fear, 2 sad, 3 neutral, 4 happy).
TRIAL_LABELS: dict[int, tuple[int, ...]] = {
    1: (4, 1, 3, 2, 0, 4, 1, 3, 2, 0, 4, 1, 3, 2, 0),
    2: (2, 1, 3, 0, 4, 4, 0, 3, 2, 1, 3, 4, 1, 2, 0),
    3: (2, 1, 3, 0, 4, 4, 0, 3, 2, 1, 3, 4, 1, 2, 0),
}
#: The shortest clip of the three sessions (52 s).
SHORTEST_TRIAL_S = min(
    e - s
    for session in TRIAL_START
    for s, e in zip(TRIAL_START[session], TRIAL_END[session], strict=True)
)

_FILE = re.compile(r"^(\d+)_([123])_\w*?(?:\.cnt|_raw\.fif)$")


def clip_spans(session: int, time_scale: float = 1.0) -> list[tuple[float, float]]:
    """The published ``(start, end)`` seconds of a session's 15 clips, times ``time_scale``."""
    bounds = zip(TRIAL_START[session], TRIAL_END[session], strict=True)
    return [(start * time_scale, end * time_scale) for start, end in bounds]


def eeg_channels(names: list[str]) -> list[str]:
    """The EEG channels of a SEED-V recording: all but M1, M2, VEO and HEO."""
    return [ch for ch in names if ch.upper() not in NON_EEG]


def cut_session(
    raw,
    session: int,
    trial_seconds: float | None,
    sfreq: float,
    where: str,
    time_scale: float = 1.0,
) -> np.ndarray | list[np.ndarray]:
    """The 15 clips of one session, microvolts at ``sfreq``.

    Whole clips (a list of ``(n_eeg, n_times)`` arrays) when ``trial_seconds`` is None, else
    the last ``trial_seconds`` of each clip as one ``(15, n_eeg, trial_seconds * sfreq)``
    array.
    """
    spans = clip_spans(session, time_scale)
    if trial_seconds is not None:
        too_short = [f"{s:g}-{e:g}" for s, e in spans if e - s < trial_seconds - 1 / sfreq]
        if too_short:
            raise DataError(f"{where}: a {trial_seconds:g} s trial does not fit the clips "
                            f"{', '.join(too_short)} s")  # fmt: skip
        n = int(round(trial_seconds * sfreq))
        spans = [(round(end * sfreq) / sfreq - n / sfreq, end) for _, end in spans]
    trials = cut_spans(raw, eeg_channels(raw.ch_names), spans, sfreq, where)
    return trials if trial_seconds is None else np.stack(trials)


def _read_raw(file: Path):
    import mne

    if file.name.endswith(".cnt"):
        return mne.io.read_raw_cnt(file, preload=False, verbose=False)
    return mne.io.read_raw_fif(file, preload=False, verbose=False)


def _session_files(folder: Path) -> dict[str, dict[int, Path]]:
    """Each subject's recording file of each session (1-3), from their names."""
    sessions: dict[str, dict[int, Path]] = {}
    for file in sorted(folder.iterdir()) if folder.is_dir() else []:
        match = _FILE.match(file.name)
        if match:
            sessions.setdefault(match.group(1), {})[int(match.group(2))] = file
    if not sessions:
        raise DataError(f"{folder}: no SEED-V recordings ({{subject}}_{{session}}_{{date}}.cnt, "
                        "or _raw.fif)")  # fmt: skip
    return sessions


def _subject_loader(
    files: dict[int, Path], trial_seconds: float | None, sfreq: float, scale: float
) -> Callable[[], Trials]:
    """Reads one subject's trials, session after session."""

    def load() -> Trials:
        parts = [cut_session(_read_raw(f), s, trial_seconds, sfreq, str(f), scale)
                 for s, f in sorted(files.items())]  # fmt: skip
        if trial_seconds is None:
            return [trial for part in parts for trial in part]
        return np.concatenate(parts)

    return load


def read_seedv(
    path: str | Path,
    trial_seconds: float | None = None,
    sfreq: float = 250.0,
    time_scale: float | None = None,
) -> Corpus:
    """SEED-V from its ``EEG_raw`` folder (or the release root holding it).

    Parameters
    ----------
    path : path
        The release root or its ``EEG_raw`` folder.
    trial_seconds : float, optional
        Keep the last ``trial_seconds`` of each clip; None (default) keeps whole clips.
    sfreq : float
        Rate the recordings are resampled to.
    time_scale : float, optional
        Factor on the published seconds; None reads it from the corpus's
        ``vaxis_provenance.json`` (a SYNTHETIC corpus's declaration), else 1.
    """
    path = Path(path)
    folder = path / "EEG_raw" if (path / "EEG_raw").is_dir() else path
    sessions = _session_files(folder)
    provenance = read_provenance(folder)
    scale = float(time_scale if time_scale is not None else provenance.get("time_scale", 1.0))
    if not scale > 0:
        raise DataError(f"{folder}: time_scale must be positive, got {scale}")
    first = next(iter(sessions.values()))
    channels = eeg_channels(_read_raw(next(iter(first.values()))).ch_names)
    subjects = []
    for subject_id, files in sorted(sessions.items(), key=lambda item: int(item[0])):
        labels = np.concatenate([TRIAL_LABELS[s] for s in sorted(files)])
        clips = np.concatenate([np.arange(15) + 15 * (s - 1) for s in sorted(files)])
        load = _subject_loader(files, trial_seconds, sfreq, scale)
        subjects.append(Subject(subject_id, labels, clips, load))
    return Corpus(
        name="seed-v",
        kind="raw",
        channels=channels,
        sfreq=sfreq,
        classes=list(SEEDV_CLASSES),
        subjects=subjects,
        unit="uV",
        provenance={
            **provenance,
            "synthetic": bool(provenance.get("synthetic", False)),
            "source": str(folder),
            "format": "seed-v",
            "trials": "whole clips" if trial_seconds is None else f"last {trial_seconds:g} s",
            "time_scale": scale,
        },  # fmt: skip
    )
