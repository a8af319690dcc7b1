"""SEED-V raw recordings (``EEG_raw/{subject}_{session}_{date}.cnt``), read with MNE.

Each of the three sessions holds 15 film clips; the published start and end seconds
(the dataset's README, reproduced below) cut them out of the continuous 1000 Hz Neuroscan
recording. The 62 EEG channels are kept (M1, M2, VEO and HEO dropped), resampled to
``sfreq`` and converted to microvolts. Clips differ in length (52-297 s), so each trial is
the last ``trial_seconds`` of its clip, the SEED-V analogue of FACED's last 30 s; a
subject's trials are its sessions' clips in order (clip id = 15 * (session - 1) + index).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from vaxis.errors import DataError
from vaxis.offline.corpus.base import Corpus, Subject

SEEDV_CLASSES: tuple[str, ...] = ("disgust", "fear", "sad", "neutral", "happy")
NON_EEG = ("M1", "M2", "VEO", "HEO")

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
#: The shortest clip of the three sessions, the default trial length.
SHORTEST_TRIAL_S = min(
    e - s
    for session in TRIAL_START
    for s, e in zip(TRIAL_START[session], TRIAL_END[session], strict=True)
)

_FILE = re.compile(r"^(\d+)_([123])_\w*\.cnt$")


def cut_session(raw, session: int, trial_seconds: float, sfreq: float, where: str) -> np.ndarray:
    """The 15 clips of one session: (15, n_eeg, trial_seconds * sfreq) microvolts."""
    eeg = [ch for ch in raw.ch_names if ch.upper() not in NON_EEG]
    raw = raw.copy().pick(eeg).load_data()
    if raw.info["sfreq"] != sfreq:
        raw.resample(sfreq, verbose=False)
    data = raw.get_data(units="uV")
    n = int(round(trial_seconds * sfreq))
    trials = []
    for start, end in zip(TRIAL_START[session], TRIAL_END[session], strict=True):
        stop = int(round(end * sfreq))
        if stop > data.shape[1] or stop - n < int(round(start * sfreq)) - 1:
            raise DataError(f"{where}: clip {start}-{end} s does not fit a {trial_seconds} s trial "
                            f"in a {data.shape[1] / sfreq:.0f} s recording")  # fmt: skip
        trials.append(data[:, stop - n : stop])
    return np.stack(trials).astype(np.float32)


def read_seedv(
    path: str | Path, trial_seconds: float = SHORTEST_TRIAL_S, sfreq: float = 250.0
) -> Corpus:
    """SEED-V from its ``EEG_raw`` folder (or the release root holding it)."""
    import mne

    path = Path(path)
    folder = path / "EEG_raw" if (path / "EEG_raw").is_dir() else path
    sessions: dict[str, dict[int, Path]] = {}
    for file in sorted(folder.glob("*.cnt")):
        match = _FILE.match(file.name)
        if match:
            sessions.setdefault(match.group(1), {})[int(match.group(2))] = file
    if not sessions:
        raise DataError(f"{folder}: no SEED-V recordings ({{subject}}_{{session}}_{{date}}.cnt)")
    first = next(iter(sessions.values()))
    head = mne.io.read_raw_cnt(next(iter(first.values())), preload=False, verbose=False)
    channels = [ch for ch in head.ch_names if ch.upper() not in NON_EEG]

    def loader(files: dict[int, Path]):
        def load() -> np.ndarray:
            return np.concatenate([
                cut_session(mne.io.read_raw_cnt(f, preload=False, verbose=False), s,
                            trial_seconds, sfreq, str(f))
                for s, f in sorted(files.items())
            ])  # fmt: skip

        return load

    subjects = []
    for subject_id, files in sorted(sessions.items(), key=lambda item: int(item[0])):
        labels = np.concatenate([TRIAL_LABELS[s] for s in sorted(files)])
        clips = np.concatenate([np.arange(15) + 15 * (s - 1) for s in sorted(files)])
        subjects.append(Subject(subject_id, labels, clips, loader(files)))
    return Corpus(
        name="seed-v",
        kind="raw",
        channels=channels,
        sfreq=sfreq,
        classes=list(SEEDV_CLASSES),
        subjects=subjects,
        unit="uV",
        provenance={
            "synthetic": False,
            "source": str(folder),
            "format": "seed-v",
            "trial_seconds": trial_seconds,
        },  # fmt: skip
    )
