"""A SYNTHETIC corpus in FACED's published layouts, with a planted and documented valence effect.

``vaxis data synth`` writes what the FACED release holds, so every later command runs
without the real data:

- ``Processed_data/subNNN.pkl``: a pickled float32 array (28 clips, 32 channels,
  ``seconds * 250`` samples), 250 Hz, microvolts, FACED's clip order and channel order;
- ``EEG_Features/DE/subNNN.pkl.pkl``: float32 (28, 32, seconds, 5), the per-second
  differential entropy of the generated signal in FACED's five bands, computed with
  :func:`vaxis.decoder.features.differential_entropy` on non-overlapping 1-s windows;
- ``vaxis_provenance.json``: ``"synthetic": true``, the generator, the structure, seed,
  every generative parameter and the ground truth, which the corpus readers load into
  ``Corpus.provenance``.

Two structures say where the class information lives. ``"power"`` (the default, described
below) plants every class effect as a band log-amplitude gain, so a linear model on DE
features is optimal and no ensemble can beat it: the null control, unchanged for a given
seed. ``"mixed"`` (:mod:`vaxis.offline.corpus.synthetic_mixed`) keeps the same background,
subject differences and artefacts and spreads the class information over band power,
inter-channel coupling at unchanged power, slow amplitude dynamics at unchanged mean power
and subject subgroups with their own valence topographies, each weak alone: the testbed
where an ensemble of members reading different representations can win.

The generative model (``power``)
--------------------------------
Each subject is generated in the frequency domain, all 28 clips at once, in float32.

1. **Background.** 32 independent sources, one under each electrode, are white complex
   Gaussian spectra shaped by an amplitude envelope: an aperiodic ``1 / (f + knee)**a``
   power law (subject exponent ``a``) plus Gaussian peaks for theta (~6 Hz, strongest at
   frontal-midline sites), alpha (the subject's individual alpha frequency, ~10 Hz,
   strongest posterior) and beta (~20 Hz, strongest central). The spectrum is band-limited
   like FACED's processed data (nothing below 0.05 Hz, an 8th-order low-pass roll-off at
   47 Hz). Sources are mixed by a Gaussian kernel of inter-electrode distance (volume
   conduction), so neighbouring channels correlate; each channel's background has an RMS of
   about ``background_uv`` microvolts.
2. **Subject differences.** Per subject: an overall gain, per-channel gains, per-channel
   per-band log-gains (spectral differences), the aperiodic exponent, the alpha peak
   frequency and the peak heights all vary. Per-subject z-scoring removes most of this.
3. **The emotion effect.** Band amplitudes of each clip are multiplied by ``exp(L)`` with,
   for a clip of class ``c`` seen by subject ``s`` (``v[c]`` is the class's valence)::

       L[ch, band] = effect * (v[c] * V[ch, band]          # graded along valence
                               + category * C[c, ch, band]   # category structure
                               + clip * P[clip, ch, band]    # clip-specific structure
                               + idiosyncrasy * S_s[c, ch, band])  # the subject's own
                     + state * N_s[clip, ch, band]           # state drift, no label

   ``V`` is fixed and named: frontal alpha asymmetry (alpha falls at left frontal sites and
   rises at right ones as valence rises, so ``ln alpha(F4) - ln alpha(F3)`` grows with
   valence) and beta/gamma over lateral temporal sites rising with valence. ``C`` (one per
   category) and ``P`` (one per clip) are spatially smooth random patterns fixed by the
   corpus seed: the same for every subject, which is what cross-subject decoding can learn.
   ``S_s`` and ``N_s`` are drawn per subject and make cross-subject decoding imperfect.
   ``effect`` scales everything that carries label information, so it sets how decodable
   the corpus is (0 gives chance). Each band's gain covers the band's FFT bins; delta's
   also covers the bins below 1 Hz and gamma's those above 47 Hz.
4. **Artefacts**, added in the time domain: blinks (slow positive deflections of ~100 uV at
   Fp1/Fp2, decaying over frontal sites, ~0.3 per second), muscle bursts (20-100 Hz noise
   over temporal sites, a few per minute) and modest 50 Hz line noise (what survives
   FACED's 47 Hz low-pass).

:data:`VALENCE` is the ground truth each class's clips were generated with; it need not
match any language model's axis. With the default ``effect`` (seed 0, 123 subjects x 30 s)
and the FACED split (train on the first 80 subjects, test on the last 23), a logistic
regression on subject-wise z-scored DE features averaged over 4-s windows reached a 9-class
balanced accuracy of 0.32 (chance 0.11) and a valence-sign balanced accuracy of 0.75 on
this SYNTHETIC corpus; with ``effect=0``, 0.10 and 0.49. See README, "Synthetic corpus".
"""

from __future__ import annotations

import json
import pickle
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, get_args

import numpy as np
from scipy import fft as sp_fft
from scipy import signal

from vaxis import __version__
from vaxis.decoder.channels import FACED_CHANNELS
from vaxis.decoder.faced import FACED_CLASSES, FACED_CLIP_LABELS
from vaxis.decoder.features import BANDS, differential_entropy
from vaxis.decoder.windows import cut
from vaxis.errors import ConfigError
from vaxis.offline.choices import Structure, SynthFormat
from vaxis.offline.corpus.synthetic_mixed import (
    MIXED_DEFAULTS,
    STRUCTURES,
    MixedLayout,
    MixedParams,
    couple,
    mixed_layout,
    modulate,
    subject_rng,
    subject_traits,
)
from vaxis.offline.corpus.synthetic_mixed import ground_truth as mixed_ground_truth

GENERATOR = "vaxis.offline.corpus.synthetic"
PROVENANCE_FILE = "vaxis_provenance.json"
FORMATS: tuple[SynthFormat, ...] = get_args(SynthFormat)

#: Ground-truth valence of each FACED category, in [-1, 1]: negative classes below zero,
#: neutral at zero, positive classes above.
VALENCE: dict[str, float] = {
    "anger": -0.8, "disgust": -0.9, "fear": -0.7, "sadness": -0.6, "neutral": 0.0,
    "amusement": 0.6, "inspiration": 0.5, "joy": 0.9, "tenderness": 0.7,
}  # fmt: skip

#: Electrode positions in head radii (x right, y front, z up) from MNE's standard 10-05
#: montage, rounded; they only set spatial smoothness and artefact topographies.
POSITIONS: dict[str, tuple[float, float, float]] = {
    "Fp1": (-0.31, 0.88, -0.07), "Fp2": (0.31, 0.89, -0.07), "Fz": (0.0, 0.62, 0.70),
    "F3": (-0.53, 0.56, 0.44), "F4": (0.55, 0.57, 0.43), "F7": (-0.74, 0.45, -0.12),
    "F8": (0.77, 0.47, -0.13), "FC1": (-0.36, 0.27, 0.84), "FC2": (0.37, 0.28, 0.83),
    "FC5": (-0.81, 0.20, 0.26), "FC6": (0.84, 0.21, 0.26), "Cz": (0.0, -0.10, 1.06),
    "C3": (-0.69, -0.12, 0.68), "C4": (0.71, -0.11, 0.67), "T7": (-0.89, -0.17, -0.10),
    "T8": (0.90, -0.16, -0.10), "CP1": (-0.37, -0.50, 0.96), "CP2": (0.40, -0.50, 0.95),
    "CP5": (-0.84, -0.49, 0.33), "CP6": (0.88, -0.49, 0.33), "Pz": (0.0, -0.85, 0.87),
    "P3": (-0.56, -0.83, 0.59), "P4": (0.59, -0.83, 0.60), "P7": (-0.76, -0.77, -0.03),
    "P8": (0.77, -0.77, -0.03), "PO3": (-0.38, -1.06, 0.39), "PO4": (0.39, -1.06, 0.38),
    "Oz": (0.0, -1.21, 0.15), "O1": (-0.31, -1.18, 0.09), "O2": (0.31, -1.18, 0.09),
    "A1": (-0.91, -0.26, -0.72), "A2": (0.90, -0.26, -0.72),
}  # fmt: skip

#: The fixed valence pattern ``V``: band -> {channel: weight}; log-amplitude of that band
#: at that channel changes by ``effect * valence * weight``. Channels not listed: 0.
VALENCE_PATTERN: dict[str, dict[str, float]] = {
    "alpha": {
        "F3": -1.0, "F4": 1.0, "F7": -0.7, "F8": 0.7, "Fp1": -0.5, "Fp2": 0.5,
        "FC5": -0.5, "FC6": 0.5, "FC1": -0.3, "FC2": 0.3,
    },
    "beta": {"T7": 0.6, "T8": 0.6, "FC5": 0.3, "FC6": 0.3, "CP5": 0.3, "CP6": 0.3},
    "gamma": {
        "T7": 1.0, "T8": 1.0, "FC5": 0.5, "FC6": 0.5, "CP5": 0.5, "CP6": 0.5,
        "P7": 0.4, "P8": 0.4, "F7": 0.4, "F8": 0.4,
    },
}  # fmt: skip

_BLINK_SITES = ("Fp1", "Fp2")
_MUSCLE_SITES = ("T7", "T8")


@dataclass(frozen=True)
class SynthParams:
    """Every parameter of the generative model (see the module docstring).

    Amplitudes are in microvolts, frequencies in Hz, rates per second; ``*_sd`` are
    standard deviations of natural-log gains unless said otherwise.
    """

    sfreq: float = 250.0
    valence: dict[str, float] = field(default_factory=lambda: dict(VALENCE))
    # Label-carrying structure (all scaled by ``effect``).
    effect: float = 0.1
    category: float = 0.35
    clip: float = 0.25
    idiosyncrasy: float = 1.5
    # Label-free clip-to-clip drift of band log-amplitudes within a subject.
    state: float = 0.3
    # Background.
    background_uv: float = 20.0
    aperiodic_exponent: float = 1.6
    aperiodic_exponent_sd: float = 0.2
    knee_hz: float = 1.0
    theta_hz: float = 6.0
    alpha_hz: float = 10.0
    alpha_hz_sd: float = 0.8
    beta_hz: float = 20.0
    peak_width_hz: tuple[float, float, float] = (1.0, 1.2, 3.0)
    peak_height: tuple[float, float, float] = (0.3, 1.5, 0.15)
    peak_height_sd: float = 0.3
    highpass_hz: float = 0.05
    lowpass_hz: float = 47.0
    mixing_width: float = 0.35
    pattern_width: float = 0.5
    # Subject differences.
    subject_gain_sd: float = 0.25
    channel_gain_sd: float = 0.15
    band_gain_sd: float = 0.2
    # Artefacts.
    blink_rate: float = 0.3
    blink_uv: float = 100.0
    blink_ms: float = 300.0
    blink_spread: float = 0.5
    muscle_rate: float = 0.05
    muscle_uv: float = 15.0
    muscle_band_hz: tuple[float, float] = (20.0, 100.0)
    muscle_spread: float = 0.35
    line_hz: float = 50.0
    line_uv: float = 0.5


@dataclass(frozen=True)
class CorpusPatterns:
    """The structure shared by every subject of one corpus (fixed by the corpus seed).

    Attributes
    ----------
    valence : array, shape (n_channels, n_bands)
        The named valence pattern ``V``.
    category : array, shape (n_classes, n_channels, n_bands)
        ``C``: one spatially smooth unit-RMS pattern per category.
    clip : array, shape (n_clips, n_channels, n_bands)
        ``P``: one per clip.
    """

    valence: np.ndarray
    category: np.ndarray
    clip: np.ndarray


def _check_structure(structure: str) -> None:
    if structure not in STRUCTURES:
        raise ConfigError(
            f"unknown synthetic structure {structure!r}; expected one of {', '.join(STRUCTURES)}"
        )


def default_params(structure: Structure = "power") -> SynthParams:
    """The default :class:`SynthParams` of ``structure`` (``"power"`` or ``"mixed"``).

    Raises
    ------
    ConfigError
        For an unknown ``structure``.
    """
    _check_structure(structure)
    return SynthParams(**MIXED_DEFAULTS) if structure == "mixed" else SynthParams()


def _positions() -> np.ndarray:
    return np.array([POSITIONS[name] for name in FACED_CHANNELS])


def _kernel(width: float) -> np.ndarray:
    """Row-normalised Gaussian kernel of inter-electrode distance (channels x channels)."""
    pos = _positions()
    dist = np.linalg.norm(pos[:, None] - pos[None], axis=-1)
    kernel = np.exp(-0.5 * (dist / width) ** 2)
    return kernel / np.linalg.norm(kernel, axis=1, keepdims=True)


def _smooth_patterns(rng: np.random.Generator, n: int, width: float) -> np.ndarray:
    """``n`` spatially smooth random (n_channels, n_bands) patterns of unit RMS."""
    raw = rng.standard_normal((n, len(FACED_CHANNELS), len(BANDS)))
    smooth = np.einsum("ij,njb->nib", _kernel(width), raw)
    return smooth / np.sqrt((smooth**2).mean(axis=(1, 2), keepdims=True))


def valence_pattern() -> np.ndarray:
    """:data:`VALENCE_PATTERN` as an array (n_channels, n_bands)."""
    pattern = np.zeros((len(FACED_CHANNELS), len(BANDS)))
    bands = list(BANDS)
    for band, weights in VALENCE_PATTERN.items():
        for channel, weight in weights.items():
            pattern[FACED_CHANNELS.index(channel), bands.index(band)] = weight
    return pattern


def corpus_patterns(seed: int, params: SynthParams = SynthParams()) -> CorpusPatterns:
    """The category and clip patterns of the corpus with ``seed`` (shared by all subjects)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    return CorpusPatterns(
        valence=valence_pattern(),
        category=_smooth_patterns(rng, len(FACED_CLASSES), params.pattern_width),
        clip=_smooth_patterns(rng, FACED_CLIP_LABELS.size, params.pattern_width),
    )


def _subject_rng(seed: int, subject: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, subject)))


def _band_masks(freqs: np.ndarray) -> np.ndarray:
    """Indicator (n_bands, n_freqs) of the band each bin's gain follows.

    The lowest band also takes the bins below it and the highest those above it, so a
    band gain scales all the power a 1-s window can leak into that band.
    """
    edges = np.array([low for low, _ in BANDS.values()][1:])
    index = np.searchsorted(edges, freqs, side="right")
    return (index[None] == np.arange(len(BANDS))[:, None]).astype(np.float32)


def _source_envelopes(
    rng: np.random.Generator, params: SynthParams, freqs: np.ndarray, n_times: int
) -> np.ndarray:
    """Amplitude spectra (n_channels, n_freqs) of the sources, each of unit variance."""
    pos = _positions()
    x, y, z = pos.T
    exponent = params.aperiodic_exponent + params.aperiodic_exponent_sd * rng.standard_normal()
    centres = (
        params.theta_hz,
        params.alpha_hz + params.alpha_hz_sd * rng.standard_normal(),
        params.beta_hz,
    )
    # Where each rhythm is strongest: frontal midline, posterior, central.
    topographies = (
        np.exp(-(x**2 + (y - 0.5) ** 2) / 0.5),
        np.exp(-((y + 1.1) ** 2) / 0.6),
        np.exp(-(y**2 + (z - 1.0) ** 2) / 0.6),
    )
    power = np.tile(1.0 / (freqs + params.knee_hz) ** exponent, (pos.shape[0], 1))
    for centre, width, height, topo in zip(
        centres, params.peak_width_hz, params.peak_height, topographies, strict=True
    ):
        gain = height * np.exp(params.peak_height_sd * rng.standard_normal()) * topo
        power += gain[:, None] * np.exp(-0.5 * ((freqs - centre) / width) ** 2)
    power /= 1.0 + (freqs / params.lowpass_hz) ** 16
    power[:, freqs < params.highpass_hz] = 0.0
    power[:, 0] = 0.0
    amplitude = np.sqrt(power)
    # Variance of irfft output for a bin of unit complex noise (E|Z|^2 = 2) is 4 A^2 / N^2.
    variance = 4.0 * (amplitude**2).sum(axis=1, keepdims=True) / n_times**2
    return amplitude / np.sqrt(variance)


def _log_gains(
    rng: np.random.Generator, params: SynthParams, patterns: CorpusPatterns, shift: np.ndarray
) -> np.ndarray:
    """Log-amplitude ``L`` (n_clips, n_channels, n_bands) of one subject's clips."""
    labels = FACED_CLIP_LABELS
    valence = np.array([params.valence[name] for name in FACED_CLASSES])[labels]
    idiosyncrasy = _smooth_patterns(rng, len(FACED_CLASSES), params.pattern_width)
    drift = _smooth_patterns(rng, labels.size, params.pattern_width)
    spectral = params.band_gain_sd * _smooth_patterns(rng, 1, params.pattern_width)[0]
    planted = (
        valence[:, None, None] * patterns.valence
        + params.category * patterns.category[labels]
        + params.clip * patterns.clip
        + params.idiosyncrasy * idiosyncrasy[labels]
    )
    return params.effect * planted + params.state * drift + spectral + shift


def _blinks(
    rng: np.random.Generator, params: SynthParams, n_clips: int, n_times: int
) -> np.ndarray:
    """Blink waveforms (n_clips, n_times) at Fp1/Fp2 strength."""
    rate = params.blink_rate * np.exp(0.4 * rng.standard_normal())
    counts = rng.poisson(rate * n_times / params.sfreq, size=n_clips)
    impulses = np.zeros((n_clips, n_times), dtype=np.float32)
    rows = np.repeat(np.arange(n_clips), counts)
    at = rng.integers(0, n_times, size=rows.size)
    amp = params.blink_uv * np.exp(0.3 * rng.standard_normal(rows.size))
    np.add.at(impulses, (rows, at), amp.astype(np.float32))
    half = int(params.blink_ms / 1000 * params.sfreq)
    shape = np.hanning(2 * half + 1).astype(np.float32) ** 2
    return signal.oaconvolve(impulses, shape[None], mode="same", axes=-1)


def _muscle(
    rng: np.random.Generator, params: SynthParams, n_clips: int, n_times: int
) -> np.ndarray:
    """Muscle bursts (n_clips, 2, n_times): left and right temporal sources."""
    freqs = sp_fft.rfftfreq(n_times, 1.0 / params.sfreq)
    low, high = params.muscle_band_hz
    band = ((freqs >= low) & (freqs <= high)).astype(np.float32)
    noise = rng.standard_normal((n_clips, 2, freqs.size, 2), dtype=np.float32)
    spectrum = noise.view(np.complex64)[..., 0] * band
    bursts = sp_fft.irfft(spectrum, n=n_times, axis=-1)
    bursts /= np.sqrt(4.0 * band.sum() / n_times**2)  # unit variance, as for the sources
    envelope = np.zeros((n_clips, 2, n_times), dtype=np.float32)
    counts = rng.poisson(params.muscle_rate * n_times / params.sfreq, size=n_clips)
    for clip, count in enumerate(counts):
        for _ in range(count):
            length = int(rng.uniform(0.3, 1.5) * params.sfreq)
            start = int(rng.integers(0, max(1, n_times - length)))
            sides = [rng.integers(2)] if rng.random() < 0.7 else [0, 1]
            amp = params.muscle_uv * np.exp(0.3 * rng.standard_normal())
            window = amp * signal.windows.tukey(length, 0.3)[: n_times - start]
            envelope[clip, sides, start : start + window.size] += window.astype(np.float32)
    return bursts * envelope


def _topography(sites: tuple[str, ...], spread: float) -> np.ndarray:
    """Per-channel weight (n_sites, n_channels) decaying with distance from each site."""
    pos = _positions()
    centres = np.array([POSITIONS[s] for s in sites])
    dist = np.linalg.norm(pos[None] - centres[:, None], axis=-1)
    return np.exp(-dist / spread).astype(np.float32)


def synthesize_subject(
    subject: int = 0,
    *,
    seed: int = 0,
    seconds: float = 30.0,
    params: SynthParams | None = None,
    patterns: CorpusPatterns | None = None,
    shift: float | np.ndarray = 0.0,
    structure: Structure = "power",
    mixed: MixedParams | None = None,
) -> np.ndarray:
    """One SYNTHETIC subject's 28 clips, as written to ``Processed_data/subNNN.pkl``.

    Parameters
    ----------
    subject : int
        Subject index; with ``seed`` it fixes the subject's random draws, so
        ``synthesize_subject(i, seed=k)`` equals ``sub{i:03d}`` of the corpus written with
        seed ``k`` (same ``seconds`` and ``params``).
    seed : int
        Corpus seed (fixes the category and clip patterns shared by all subjects).
    seconds : float
        Seconds per clip.
    params : SynthParams, optional
        Generative parameters; :func:`default_params` of ``structure`` when omitted.
    patterns : CorpusPatterns, optional
        Precomputed :func:`corpus_patterns` of ``seed`` (saves recomputing them).
    shift : float or array broadcastable to (n_channels, n_bands)
        Shifts the subject's signal statistics: the background amplitude in each band at
        each channel is multiplied by ``exp(shift)``, so band variances grow by
        ``exp(2 * shift)`` and each differential-entropy feature rises by about ``shift``
        nats (exactly, were it not for artefacts and the bins outside FACED's bands). A
        stand-in for a new participant whose statistics differ from the training population.
    structure : {"power", "mixed"}
        ``"power"``: every class effect is a band log-amplitude gain (the null control for
        ensembles). ``"mixed"``: class information spread over band power, inter-channel
        coupling, slow amplitude dynamics and subject subgroups
        (:mod:`vaxis.offline.corpus.synthetic_mixed`).
    mixed : MixedParams, optional
        Parameters of the ``mixed`` structure's families; the defaults when omitted.

    Returns
    -------
    data : float32 array, shape (28, 32, seconds * sfreq)
        Microvolts, FACED's clip and channel order.

    Raises
    ------
    ConfigError
        For an unknown ``structure``, bad ``mixed`` parameters or clips shorter than 1 s.
    """
    _check_structure(structure)
    params = params or default_params(structure)
    n_times = _clip_samples(seconds, params.sfreq)
    patterns = patterns or corpus_patterns(seed, params)
    draws = _mixed_subject(seed, subject, mixed or MixedParams()) if structure == "mixed" else None
    rng = _subject_rng(seed, subject)
    data = _background(rng, params, patterns, shift, n_times, draws)
    _add_artefacts(data, rng, params, n_times)
    return data.astype(np.float32, copy=False)


def _clip_samples(seconds: float, sfreq: float) -> int:
    n_times = int(round(seconds * sfreq))
    if n_times < sfreq:
        raise ConfigError(f"a synthetic clip needs at least 1 s, got {seconds} s")
    return n_times


@dataclass(frozen=True)
class _MixedDraws:
    """One subject's share of the ``mixed`` structure: its parameters, the corpus layout,
    the subject's own random stream, its subgroup's valence pattern (in place of the named
    one) and its coupling strength."""

    mixed: MixedParams
    layout: MixedLayout
    rng: np.random.Generator
    valence: np.ndarray
    rho: float


def _mixed_subject(seed: int, subject: int, mixed: MixedParams) -> _MixedDraws:
    layout = mixed_layout(seed, mixed, _positions())
    rng = subject_rng(seed, subject)
    group, rho = subject_traits(rng, mixed)
    valence = mixed.valence_scale * layout.group_valence[group]
    return _MixedDraws(mixed, layout, rng, valence, rho)


def _background(
    rng: np.random.Generator,
    params: SynthParams,
    patterns: CorpusPatterns,
    shift: float | np.ndarray,
    n_times: int,
    draws: _MixedDraws | None,
) -> np.ndarray:
    """The subject's clips before artefacts (n_clips, n_channels, n_times): gained,
    volume-conducted sources, with the ``mixed`` families when ``draws`` are given."""
    n_clips, n_channels = FACED_CLIP_LABELS.size, len(FACED_CHANNELS)
    if draws is not None:
        patterns = replace(patterns, valence=draws.valence)
    freqs = sp_fft.rfftfreq(n_times, 1.0 / params.sfreq)
    envelopes = _source_envelopes(rng, params, freqs, n_times).astype(np.float32)
    gain_uv = params.background_uv * np.exp(
        params.subject_gain_sd * rng.standard_normal()
        + params.channel_gain_sd * rng.standard_normal(n_channels)
    )
    log_gains = _log_gains(rng, params, patterns, np.broadcast_to(shift, (n_channels, len(BANDS))))
    # exp(L) per band, spread over the band's bins: the spectrum is scaled bin by bin.
    band_masks = _band_masks(freqs)
    gains = (np.exp(log_gains) * gain_uv[:, None]).astype(np.float32) @ band_masks

    noise = rng.standard_normal((n_clips, n_channels, freqs.size, 2), dtype=np.float32)
    sources = noise.view(np.complex64)[..., 0] * envelopes
    labels = FACED_CLIP_LABELS
    if draws is not None:
        modulate(sources, labels, band_masks, draws.layout, draws.mixed, draws.rng,
                 params.sfreq, n_times)  # fmt: skip
    kernel = _kernel(params.mixing_width)
    spectrum = kernel.astype(np.complex64) @ sources
    spectrum *= gains
    if draws is not None:
        # Each bin's expected amplitude: volume-conducted source spectra, then the gains.
        amplitude = gains * np.sqrt(kernel**2 @ envelopes.astype(np.float64) ** 2).astype(
            np.float32
        )
        couple(spectrum, amplitude, labels, band_masks, draws.layout, draws.mixed, draws.rng,
               draws.rho)  # fmt: skip
    return sp_fft.irfft(spectrum, n=n_times, axis=-1, workers=-1)


def _add_artefacts(
    data: np.ndarray, rng: np.random.Generator, params: SynthParams, n_times: int
) -> None:
    """Add blinks, muscle bursts and line noise to ``data`` (n_clips, n_channels, n_times),
    in place."""
    n_clips, n_channels = FACED_CLIP_LABELS.size, len(FACED_CHANNELS)
    data += (
        _topography(_BLINK_SITES, params.blink_spread).max(axis=0)[:, None]
        * _blinks(rng, params, n_clips, n_times)[:, None, :]
    )
    data += np.einsum(
        "sc,nst->nct",
        _topography(_MUSCLE_SITES, params.muscle_spread),
        _muscle(rng, params, n_clips, n_times),
    )
    line_amp = params.line_uv * np.exp(0.3 * rng.standard_normal(n_channels))
    phase = rng.uniform(0, 2 * np.pi, n_channels)
    t = np.arange(n_times) / params.sfreq
    data += (line_amp[:, None] * np.sin(2 * np.pi * params.line_hz * t + phase[:, None]))[None]


def synthesize_recording(
    subject: int = 0,
    *,
    seed: int = 0,
    seconds: float = 30.0,
    structure: Structure = "power",
    **kwargs,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One SYNTHETIC subject's clips concatenated into a continuous recording.

    Takes the arguments of :func:`synthesize_subject` (``structure``: ``"power"`` or
    ``"mixed"``).

    Returns
    -------
    data : float32 array, shape (32, 28 * n_times)
        The clips back to back in FACED's clip order (no gaps; clip boundaries are
        discontinuous, as when FACED's processed clips are concatenated).
    onsets : int array, shape (28,)
        First sample of each clip.
    labels : int array, shape (28,)
        Class of each clip.
    """
    clips = synthesize_subject(subject, seed=seed, seconds=seconds, structure=structure, **kwargs)
    n_clips, n_channels, n_times = clips.shape
    data = np.ascontiguousarray(clips.transpose(1, 0, 2)).reshape(n_channels, -1)
    return data, np.arange(n_clips) * n_times, FACED_CLIP_LABELS.copy()


def per_second_de(data: np.ndarray, sfreq: float = 250.0) -> np.ndarray:
    """FACED's DE features: (clips, channels, seconds, bands) from (clips, channels, times)."""
    window = int(round(sfreq))
    return differential_entropy(cut(data, window, window), sfreq).astype(np.float32)


def ground_truth(params: SynthParams, patterns: CorpusPatterns) -> dict:
    """What was planted, for ``vaxis_provenance.json``."""
    bands = list(BANDS)
    clip_rms = np.sqrt((patterns.clip**2).mean(axis=(1, 2)))

    def strongest(pattern: np.ndarray, n: int = 3) -> list[str]:
        flat = np.argsort(-np.abs(pattern).ravel())[:n]
        return [
            f"{FACED_CHANNELS[i // len(bands)]}/{bands[i % len(bands)]}"
            f"{'+' if pattern.ravel()[i] > 0 else '-'}"
            for i in flat
        ]

    return {
        "valence": dict(params.valence),
        "model": "band log-amplitude += effect * (valence * V + category * C[class] "
        "+ clip * P[clip] + idiosyncrasy * S[subject, class]) + state * N[subject, clip]",
        "valence_pattern": VALENCE_PATTERN,
        "valence_pattern_meaning": (
            "log-amplitude of band at channel changes by effect * valence * weight: frontal "
            "alpha asymmetry (ln alpha F4 - ln alpha F3 grows with valence) and lateral "
            "temporal beta/gamma rising with valence"
        ),
        "scales": {
            "valence": params.effect,
            "category": params.effect * params.category,
            "clip": params.effect * params.clip,
            "subject_idiosyncrasy": params.effect * params.idiosyncrasy,
            "state_drift": params.state,
        },
        "category_strongest": {
            name: strongest(patterns.category[i]) for i, name in enumerate(FACED_CLASSES)
        },
        "clips": [
            {
                "clip": i,
                "class": FACED_CLASSES[label],
                "valence": params.valence[FACED_CLASSES[label]],
                "clip_pattern_rms": round(float(params.effect * params.clip * rms), 4),
                "strongest": strongest(patterns.clip[i]),
            }
            for i, (label, rms) in enumerate(zip(FACED_CLIP_LABELS, clip_rms, strict=True))
        ],
    }


def _dump(array: np.ndarray, path: Path) -> None:
    # Protocol 4, as FACED's own files: numpy arrays only, no out-of-band buffers.
    with path.open("wb") as f:
        pickle.dump(array, f, protocol=4)


def write_synthetic_faced(
    out: str | Path,
    n_subjects: int = 12,
    seconds: int = 30,
    seed: int = 0,
    fmt: SynthFormat = "both",
    *,
    effect: float | None = None,
    params: SynthParams | None = None,
    structure: Structure = "power",
    mixed: MixedParams | None = None,
) -> Path:
    """Write a SYNTHETIC corpus in FACED's layouts under ``out``.

    Parameters
    ----------
    out : path
        Directory to write into (created if needed; existing files are overwritten).
    n_subjects : int
        Subjects ``sub000`` ... ``sub{n_subjects - 1:03d}``.
    seconds : int
        Seconds per clip (FACED: 30).
    seed : int
        Corpus seed; the same seed writes identical files.
    fmt : {"processed", "de", "both"}
        ``Processed_data`` (raw), ``EEG_Features/DE`` (per-second DE), or both.
    effect : float, optional
        Overrides ``params.effect``, the strength of the planted band-power structure.
    params : SynthParams, optional
        Every generative parameter; :func:`default_params` of ``structure`` when omitted.
    structure : {"power", "mixed"}
        Where the class information lives: band power only (the default, the null control
        for ensembles) or spread over band power, coupling, dynamics and subject subgroups
        (:mod:`vaxis.offline.corpus.synthetic_mixed`).
    mixed : MixedParams, optional
        Parameters of the ``mixed`` structure; defaults when omitted.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ConfigError
        For an unknown ``fmt`` or ``structure``, bad ``mixed`` parameters, no subjects or
        clips shorter than a second.
    """
    _check_corpus_arguments(fmt, n_subjects, seconds, structure)
    params = params or default_params(structure)
    mixed = (mixed or MixedParams()) if structure == "mixed" else None
    if effect is not None:
        params = replace(params, effect=float(effect))
    out = Path(out)
    patterns = _write_subjects(out, fmt, n_subjects, seconds, seed, params, structure, mixed)
    provenance = _provenance(fmt, n_subjects, seconds, seed, params, patterns, structure, mixed)
    (out / PROVENANCE_FILE).write_text(json.dumps(provenance, indent=2) + "\n")
    return out


def _check_corpus_arguments(fmt: str, n_subjects: int, seconds: int, structure: str) -> None:
    if fmt not in FORMATS:
        raise ConfigError(f"unknown synthetic format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if n_subjects < 1:
        raise ConfigError(f"a synthetic corpus needs at least one subject, got {n_subjects}")
    if seconds < 1:
        raise ConfigError(f"synthetic clips need at least 1 s, got {seconds} s")
    _check_structure(structure)


def _write_subjects(
    out: Path,
    fmt: SynthFormat,
    n_subjects: int,
    seconds: int,
    seed: int,
    params: SynthParams,
    structure: Structure,
    mixed: MixedParams | None,
) -> CorpusPatterns:
    """Write each subject's files in the layouts ``fmt`` asks for; return the corpus
    patterns they share."""
    processed_dir = out / "Processed_data"
    de_dir = out / "EEG_Features" / "DE"
    for directory, wanted in ((processed_dir, ("processed", "both")), (de_dir, ("de", "both"))):
        if fmt in wanted:
            directory.mkdir(parents=True, exist_ok=True)
    patterns = corpus_patterns(seed, params)
    for i in range(n_subjects):
        data = synthesize_subject(
            i,
            seed=seed,
            seconds=seconds,
            params=params,
            patterns=patterns,
            structure=structure,
            mixed=mixed,
        )
        if fmt in ("processed", "both"):
            _dump(data, processed_dir / f"sub{i:03d}.pkl")
        if fmt in ("de", "both"):
            _dump(per_second_de(data, params.sfreq), de_dir / f"sub{i:03d}.pkl.pkl")
    return patterns


def _provenance(
    fmt: SynthFormat,
    n_subjects: int,
    seconds: int,
    seed: int,
    params: SynthParams,
    patterns: CorpusPatterns,
    structure: Structure,
    mixed: MixedParams | None,
) -> dict:
    """What ``vaxis_provenance.json`` holds: the corpus is SYNTHETIC, how it was generated
    and its ground truth."""
    provenance: dict[str, Any] = {
        "synthetic": True,
        "generator": GENERATOR,
        "vaxis_version": __version__,
        "structure": structure,
        "seed": seed,
        "n_subjects": n_subjects,
        "seconds": seconds,
        "format": fmt,
        "sfreq": params.sfreq,
        "unit": "uV",
        "channels": list(FACED_CHANNELS),
        "classes": list(FACED_CLASSES),
        "clip_labels": FACED_CLIP_LABELS.tolist(),
        "bands": {name: list(edges) for name, edges in BANDS.items()},
        "params": asdict(params),
        "ground_truth": ground_truth(params, patterns),
    }
    if mixed is not None:
        layout = mixed_layout(seed, mixed, _positions())
        traits = [subject_traits(subject_rng(seed, i), mixed) for i in range(n_subjects)]
        provenance["mixed_params"] = asdict(mixed)
        provenance["ground_truth"]["mixed"] = mixed_ground_truth(layout, mixed, traits)
    return provenance
