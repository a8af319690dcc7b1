"""A SYNTHETIC corpus in SEED-V's published layout, with a planted valence effect.

We cannot write Neuroscan ``.cnt``, so each session is a FIF file named like the release's
recording, ``EEG_raw/{subject}_{session}_{date}_raw.fif``, which
:func:`~vaxis.offline.corpus.seedv.read_seedv` reads through the same cutting code as a
``.cnt`` (see that module). What is SEED-V's: the 62 EEG channels in the release's order plus
M1, M2, VEO and HEO (dropped by the reader), three sessions of 15 clips at the published
start and end seconds, and the published class of each clip. What is not: the rate (written
at ``sfreq``, 250 Hz by default, not 1000 Hz) and the timing, which is compressed by
``time_scale`` (every published second times 0.1 by default: clips of 5.2-29.7 s, sessions of
about five minutes) so a corpus stays small. ``vaxis_provenance.json`` at the root says
``"synthetic": true`` and declares the ``time_scale`` the reader applies.

Each file also carries one annotation per clip, ``stim/<class>/<clip id>`` over the clip's
span (the marker vocabulary), so a session file is a labelled recording for ``vaxis replay``.

The generative model
--------------------
Every segment (each clip, and the rest between clips) is generated in the frequency domain:
white complex Gaussian spectra shaped by ``1 / (f + 1)`` amplitude with an alpha peak at
10 Hz, per channel, plus one source common to all channels (a share ``common`` of the
power), scaled to about ``background_uv`` microvolts RMS. Band amplitudes of a clip of class
``c`` shown to subject ``s`` are multiplied by ``exp(L)``::

    L[ch, band] = effect * (v[c] * V[ch, band] + C[c, ch, band]
                            + idiosyncrasy * S_s[c, ch, band]) + state * N[clip, ch, band]

``v`` is :data:`VALENCE`; ``V`` is frontal alpha asymmetry (alpha falls over left frontal
sites and rises over right ones as valence rises) and gamma over lateral temporal sites
rising with valence; ``C`` (one random pattern per class, fixed by the corpus seed) is what
cross-subject decoding can learn beyond valence; ``S_s`` and ``N`` (the subject's own, and
per clip) make it imperfect. Rest segments have ``L = state * N``. Subjects also differ by an
overall gain and per-channel gains, which per-subject statistics remove.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from vaxis import __version__
from vaxis.decoder.features import BANDS
from vaxis.offline.corpus.faced import PROVENANCE_FILE
from vaxis.offline.corpus.seedv import (
    NON_EEG,
    SEEDV_CHANNELS,
    SEEDV_CLASSES,
    TRIAL_END,
    TRIAL_LABELS,
    clip_spans,
)

GENERATOR = "vaxis.offline.corpus.synthetic_seedv"

#: Ground-truth valence of each SEED-V class, in [-1, 1].
VALENCE: dict[str, float] = {"disgust": -0.9, "fear": -0.7, "sad": -0.6, "neutral": 0.0,
                             "happy": 0.9}  # fmt: skip

#: ``V``: the named valence pattern, ``{band: {channel: weight}}``.
VALENCE_PATTERN: dict[str, dict[str, float]] = {
    "alpha": {"FP1": -0.6, "AF3": -0.8, "F7": -0.6, "F5": -0.8, "F3": -1.0,
              "FP2": 0.6, "AF4": 0.8, "F8": 0.6, "F6": 0.8, "F4": 1.0},
    "gamma": {"FT7": 0.7, "T7": 1.0, "TP7": 0.7, "FT8": 0.7, "T8": 1.0, "TP8": 0.7},
}  # fmt: skip

#: A recording date for the file names (the release names each session by its date).
DATE = "20180101"


@dataclass(frozen=True)
class SeedVSynthParams:
    """Generative parameters of the SYNTHETIC SEED-V-layout corpus (see module docstring)."""

    effect: float = 0.05
    idiosyncrasy: float = 1.0
    state: float = 0.2
    background_uv: float = 10.0
    common: float = 0.3
    tail_s: float = 2.0


def session_file(subject: int, session: int) -> str:
    """The file name of a session: ``{subject}_{session}_{date}_raw.fif``."""
    return f"{subject}_{session}_{DATE}_raw.fif"


def _band_index(freqs: np.ndarray) -> np.ndarray:
    """Band of each FFT bin (-1 outside every band)."""
    index = np.full(freqs.size, -1)
    for i, (lo, hi) in enumerate(BANDS.values()):
        index[(freqs >= lo) & (freqs < hi)] = i
    return index


def _segment(rng, n_times: int, sfreq: float, log_gain: np.ndarray, params) -> np.ndarray:
    """One segment, shape (n_eeg, n_times), microvolts; ``log_gain`` is (n_eeg, n_bands)."""
    n_eeg = log_gain.shape[0]
    freqs = np.fft.rfftfreq(n_times, 1 / sfreq)
    envelope = 1 / (freqs + 1) + 0.6 * np.exp(-0.5 * ((freqs - 10) / 1.5) ** 2)
    envelope[0] = 0
    bands = _band_index(freqs)
    gain = np.ones((n_eeg, freqs.size))
    inside = bands >= 0
    gain[:, inside] = np.exp(log_gain[:, bands[inside]])
    shape = (n_eeg + 1, freqs.size)
    white = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    own = np.fft.irfft(white[:n_eeg] * envelope * gain, n_times)
    common = np.fft.irfft(white[n_eeg:] * envelope, n_times)
    mixed = np.sqrt(1 - params.common) * own + np.sqrt(params.common) * common
    rms = np.sqrt(np.mean(mixed**2)) + 1e-12
    return mixed * (params.background_uv / rms)


def valence_pattern() -> np.ndarray:
    """:data:`VALENCE_PATTERN` as an array (62 channels, n_bands)."""
    pattern = np.zeros((len(SEEDV_CHANNELS), len(BANDS)))
    for band, weights in VALENCE_PATTERN.items():
        for channel, weight in weights.items():
            pattern[SEEDV_CHANNELS.index(channel), list(BANDS).index(band)] = weight
    return pattern


def synthesize_session(
    subject: int,
    session: int,
    seed: int = 0,
    time_scale: float = 0.1,
    sfreq: float = 250.0,
    params: SeedVSynthParams = SeedVSynthParams(),
) -> np.ndarray:
    """One SYNTHETIC session: (62 EEG channels + M1, M2, VEO, HEO, n_times) microvolts.

    The session runs from 0 s to its last clip's (scaled) end plus ``params.tail_s``; clips
    sit at :func:`~vaxis.offline.corpus.seedv.clip_spans` ``(session, time_scale)``.
    """
    n_eeg, n_bands = len(SEEDV_CHANNELS), len(BANDS)
    shared = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    category = shared.standard_normal((len(SEEDV_CLASSES), n_eeg, n_bands))
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, subject, session)))
    own = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2, subject)))
    idiosyncrasy = own.standard_normal((len(SEEDV_CLASSES), n_eeg, n_bands))
    channel_gain = np.exp(0.2 * own.standard_normal(n_eeg)) * np.exp(0.2 * own.standard_normal())
    pattern = valence_pattern()
    n_total = int(round((TRIAL_END[session][-1] * time_scale + params.tail_s) * sfreq))
    eeg = np.empty((n_eeg, n_total))
    edges = [0]
    for start, end in clip_spans(session, time_scale):
        edges += [int(round(start * sfreq)), int(round(end * sfreq))]
    edges.append(n_total)
    for k, (first, stop) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        log_gain = params.state * rng.standard_normal((n_eeg, n_bands))
        if k % 2:  # odd segments are clips
            label = TRIAL_LABELS[session][k // 2]
            valence = VALENCE[SEEDV_CLASSES[label]]
            log_gain += params.effect * (valence * pattern + category[label]
                                         + params.idiosyncrasy * idiosyncrasy[label])  # fmt: skip
        eeg[:, first:stop] = _segment(rng, stop - first, sfreq, log_gain, params)
    eeg *= channel_gain[:, None]
    extra = params.background_uv * rng.standard_normal((len(NON_EEG), n_total))
    return np.concatenate([eeg, extra]).astype(np.float32)


def session_annotations(session: int, time_scale: float = 0.1):
    """The clips of a session as MNE annotations ``stim/<class>/<clip id>`` (ids 1-45)."""
    import mne

    spans = clip_spans(session, time_scale)
    names = [f"stim/{SEEDV_CLASSES[label]}/{15 * (session - 1) + i + 1}"
             for i, label in enumerate(TRIAL_LABELS[session])]  # fmt: skip
    return mne.Annotations([s for s, _ in spans], [e - s for s, e in spans], names)


def write_synthetic_seedv(
    out: str | Path,
    n_subjects: int = 16,
    sessions: tuple[int, ...] = (1, 2, 3),
    seed: int = 0,
    time_scale: float = 0.1,
    sfreq: float = 250.0,
    params: SeedVSynthParams = SeedVSynthParams(),
) -> Path:
    """Write a SYNTHETIC corpus in SEED-V's layout under ``out``; return ``out``.

    ``out/EEG_raw/{subject}_{session}_{date}_raw.fif`` per subject (1..n_subjects) and
    session, and ``out/vaxis_provenance.json``.
    """
    import mne

    from vaxis.errors import ConfigError

    if n_subjects < 1 or not sessions or not set(sessions) <= {1, 2, 3}:
        raise ConfigError("a SEED-V-layout corpus needs >= 1 subject and sessions among 1, 2, 3")
    if not 0 < time_scale <= 1:
        raise ConfigError(f"time_scale must be in (0, 1], got {time_scale}")
    out = Path(out)
    folder = out / "EEG_raw"
    folder.mkdir(parents=True, exist_ok=True)
    names = [*SEEDV_CHANNELS, *NON_EEG]
    types = ["eeg"] * (len(SEEDV_CHANNELS) + 2) + ["eog", "eog"]
    info = mne.create_info(names, sfreq, types)
    for subject in range(1, n_subjects + 1):
        for session in sessions:
            data = synthesize_session(subject, session, seed, time_scale, sfreq, params)
            raw = mne.io.RawArray(data.astype(np.float64) * 1e-6, info, verbose=False)
            raw.set_annotations(session_annotations(session, time_scale))
            raw.save(folder / session_file(subject, session), overwrite=True, verbose=False)
    provenance = {
        "synthetic": True,
        "generator": GENERATOR,
        "vaxis_version": __version__,
        "layout": "seed-v",
        "seed": seed,
        "n_subjects": n_subjects,
        "sessions": list(sessions),
        "time_scale": time_scale,
        "sfreq": sfreq,
        "params": asdict(params),
        "ground_truth": {"valence": dict(VALENCE), "valence_pattern": VALENCE_PATTERN},
    }
    (out / PROVENANCE_FILE).write_text(json.dumps(provenance, indent=2) + "\n")
    return out
