"""The ``mixed`` structure of the SYNTHETIC corpus: class information spread over feature families.

With ``structure="power"`` (:mod:`vaxis.offline.corpus.synthetic`) every class effect is a
per-band log-amplitude gain, so a linear model on differential entropy (DE) features is
optimal and no ensemble can beat it: the null control. ``structure="mixed"`` keeps the
power structure's background, subject differences, state drift and artefacts, and spreads
the 9-class category information over four families that no single input representation
sees whole, each weak alone:

1. **Band power** (what DE sees): the power structure's log-amplitude ``L``, graded along
   valence and class-specific, with a weaker ``effect`` (:data:`MIXED_DEFAULTS`) and the
   valence pattern of the subject's subgroup (family 4) scaled by ``valence_scale``.
2. **Inter-channel coupling at unchanged band power** (what per-band covariance and
   tangent-space models see; DE does not): each class ``c`` has a spatially contiguous
   electrode group ``G_c`` (the 4-8 electrodes nearest a centre) and a band ``b_c``, drawn
   from the corpus seed (groups sharing a band do not overlap). When the entry is active,
   each channel of ``G_c`` becomes, inside ``b_c``'s spectrum bins,
   ``sqrt(1 - rho) x_own + sqrt(rho) A_ch s``: ``s`` is one complex Gaussian source shared
   by the group, ``A_ch`` the channel's own expected amplitude spectrum. Every channel
   keeps its band power in expectation; the group's in-band correlation rises by about
   ``rho`` (``coupling``, jittered per subject by ``exp(coupling_sd * N(0, 1))``).
3. **Slow amplitude dynamics at unchanged mean power** (what a raw-signal CNN or envelope
   statistics see; a 4-s DE window averages it out): each class has a region, a band where
   that rhythm dominates and a rate (:data:`DYNAMICS`: theta at frontal sites, alpha at
   posterior ones, beta at central ones; left, midline or right; 0.3-1 Hz). When the entry
   is active, the band component of the region's sources (before volume conduction) is
   multiplied by ``(1 + m cos(2 pi f t + phi)) / sqrt(1 + m**2 / 2)`` (``m`` = ``depth``,
   ``phi`` random per clip), whose mean square is 1: band power and the channels'
   covariance are unchanged in expectation.
4. **Subject subgroups** with different valence topographies (:data:`GROUP_VALENCE`):
   each subject belongs to one of ``n_groups`` subgroups (drawn per subject), whose
   valence pattern ``V_g`` its band power follows: frontal alpha asymmetry, its reverse,
   or posterior alpha with frontal-midline theta. A single linear DE model averages
   conflicting patterns; a mixture (per-subgroup weights) or nonlinear model need not.

A clip of class ``c`` activates its class's coupling entry plus ``coupling_distractors``
others and its class's dynamics entry plus ``dynamics_distractors`` others, drawn
independently from the other classes' entries and carrying no label. So a perfect
coupling detector alone names the class at best one time in ``1 + coupling_distractors``
(likewise for dynamics), while the two together narrow it to the entries both carry: the
families are complementary, which is what an ensemble of members that read different
representations can exploit.

The families do not leak into each other's features: coupling mixes a stationary source
in at unchanged power (no envelope change, no DE change); dynamics modulates independent
sources before they mix (no covariance change, no mean power change); band power scales
channels within a band (no change of band-limited correlation or of envelope statistics
in log units).

Random draws specific to this structure come from their own streams (seed spawn keys
``(2, subject)`` per subject and ``(3,)`` per corpus), so subject ``i``'s background,
subject differences and artefacts are the same draws as in the ``power`` corpus of the
same seed; with one subgroup, ``valence_scale = 1``, ``coupling = 0`` and ``depth = 0``
the two structures give identical data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

import numpy as np
from scipy import fft as sp_fft

from vaxis.decoder.channels import FACED_CHANNELS
from vaxis.decoder.faced import FACED_CLASSES
from vaxis.decoder.features import BANDS
from vaxis.errors import ConfigError
from vaxis.offline.choices import Structure

STRUCTURES: tuple[Structure, ...] = get_args(Structure)

#: Valence pattern of each subgroup (``V_g``): band -> {channel: weight}, as the power
#: structure's ``VALENCE_PATTERN``. Subgroup 0 is that pattern; subgroup 1 reverses it;
#: subgroup 2 responds at the back of the head and in frontal-midline theta.
GROUP_VALENCE: dict[str, dict[str, dict[str, float]]] = {
    "frontal-asymmetry": {
        "alpha": {
            "F3": -1.0, "F4": 1.0, "F7": -0.7, "F8": 0.7, "Fp1": -0.5, "Fp2": 0.5,
            "FC5": -0.5, "FC6": 0.5, "FC1": -0.3, "FC2": 0.3,
        },
        "beta": {"T7": 0.6, "T8": 0.6, "FC5": 0.3, "FC6": 0.3, "CP5": 0.3, "CP6": 0.3},
        "gamma": {
            "T7": 1.0, "T8": 1.0, "FC5": 0.5, "FC6": 0.5, "CP5": 0.5, "CP6": 0.5,
            "P7": 0.4, "P8": 0.4, "F7": 0.4, "F8": 0.4,
        },
    },
    "reversed-asymmetry": {
        "alpha": {
            "F3": 1.0, "F4": -1.0, "F7": 0.7, "F8": -0.7, "Fp1": 0.5, "Fp2": -0.5,
            "FC5": 0.5, "FC6": -0.5, "FC1": 0.3, "FC2": -0.3,
        },
        "beta": {"T7": -0.6, "T8": -0.6, "FC5": -0.3, "FC6": -0.3, "CP5": -0.3, "CP6": -0.3},
        "gamma": {
            "T7": -1.0, "T8": -1.0, "FC5": -0.5, "FC6": -0.5, "CP5": -0.5, "CP6": -0.5,
            "P7": -0.4, "P8": -0.4, "F7": -0.4, "F8": -0.4,
        },
    },
    "posterior-alpha-midline-theta": {
        "alpha": {
            "Pz": -1.0, "P3": -0.8, "P4": -0.8, "PO3": -0.8, "PO4": -0.8, "Oz": -0.7,
            "O1": -0.6, "O2": -0.6, "CP1": -0.4, "CP2": -0.4,
        },
        "theta": {"Fz": 1.0, "FC1": 0.7, "FC2": 0.7, "F3": 0.5, "F4": 0.5, "Cz": 0.5},
        "delta": {"Fz": 0.4, "FC1": 0.3, "FC2": 0.3},
    },
}  # fmt: skip

#: Where and how fast each class's amplitude envelope is modulated: class ->
#: (band, region channels, rate in Hz). Each band sits where its rhythm dominates.
DYNAMICS: dict[str, tuple[str, tuple[str, ...], float]] = {
    "anger": ("theta", ("Fp1", "F3", "F7", "FC5"), 0.3),
    "disgust": ("theta", ("Fz", "FC1", "FC2", "Cz"), 0.9),
    "fear": ("theta", ("Fp2", "F4", "F8", "FC6"), 0.5),
    "sadness": ("alpha", ("P3", "P7", "PO3", "O1"), 0.7),
    "neutral": ("alpha", ("Pz", "CP1", "CP2", "Oz"), 0.4),
    "amusement": ("alpha", ("P4", "P8", "PO4", "O2"), 1.0),
    "inspiration": ("beta", ("C3", "FC5", "CP5", "T7"), 0.6),
    "joy": ("beta", ("Cz", "FC1", "FC2", "CP1", "CP2"), 0.8),
    "tenderness": ("beta", ("C4", "FC6", "CP6", "T8"), 0.35),
}


@dataclass(frozen=True)
class MixedParams:
    """Parameters of the families the ``mixed`` structure adds (see the module docstring).

    Band-power strength stays ``SynthParams.effect``; :data:`MIXED_DEFAULTS` holds the
    weaker band-power default this structure uses.

    Attributes
    ----------
    n_groups : int
        Subject subgroups (1 to 3), each with its :data:`GROUP_VALENCE` pattern.
    valence_scale : float
        Multiplies the subgroup valence pattern in the band-power family.
    coupling, coupling_sd : float
        ``rho``, the share of in-band power from the group's shared source, and the
        standard deviation of its per-subject log jitter (``rho`` is capped at 0.95).
    coupling_size : (int, int)
        Smallest and largest electrode group.
    coupling_distractors : int
        Label-free coupling entries active in each clip besides its class's.
    depth : float
        Modulation depth ``m`` of the envelope, in [0, 1].
    dynamics_distractors : int
        Label-free dynamics entries active in each clip besides its class's.
    """

    n_groups: int = 3
    valence_scale: float = 4.0
    coupling: float = 0.1
    coupling_sd: float = 0.3
    coupling_size: tuple[int, int] = (4, 8)
    coupling_distractors: int = 2
    depth: float = 0.9
    dynamics_distractors: int = 3


#: ``SynthParams`` fields the ``mixed`` structure changes from the ``power`` defaults.
MIXED_DEFAULTS: dict[str, Any] = {"effect": 0.07}


@dataclass(frozen=True)
class MixedLayout:
    """The ground truth of a ``mixed`` corpus (fixed by the corpus seed).

    Attributes
    ----------
    group_valence : array, shape (n_groups, n_channels, n_bands)
        ``V_g`` of each subgroup.
    coupling_channels : tuple of int arrays
        Per class, the channel indices of its coupled group ``G_c``.
    coupling_band : int array, shape (n_classes,)
        Per class, the band index ``b_c`` of its coupling.
    dynamics_channels : tuple of int arrays
        Per class, the channel indices of its modulated region.
    dynamics_band : int array, shape (n_classes,)
        Per class, the band index of its modulation.
    dynamics_rate : float array, shape (n_classes,)
        Per class, the modulation rate in Hz.
    """

    group_valence: np.ndarray
    coupling_channels: tuple[np.ndarray, ...]
    coupling_band: np.ndarray
    dynamics_channels: tuple[np.ndarray, ...]
    dynamics_band: np.ndarray
    dynamics_rate: np.ndarray


def validate(mixed: MixedParams) -> None:
    """Raise :class:`ConfigError` for parameters the generator cannot honour."""
    if not 1 <= mixed.n_groups <= len(GROUP_VALENCE):
        raise ConfigError(f"n_groups must be 1 to {len(GROUP_VALENCE)}, got {mixed.n_groups}")
    if not 0.0 <= mixed.coupling < 1.0:
        raise ConfigError(f"coupling must be in [0, 1), got {mixed.coupling}")
    low, high = mixed.coupling_size
    if not 2 <= low <= high <= len(FACED_CHANNELS):
        raise ConfigError(f"coupling_size must be 2 <= low <= high <= 32, got {low, high}")
    if not 0.0 <= mixed.depth <= 1.0:
        raise ConfigError(f"depth must be in [0, 1], got {mixed.depth}")
    for name in ("coupling_distractors", "dynamics_distractors"):
        if not 0 <= getattr(mixed, name) < len(FACED_CLASSES):
            raise ConfigError(f"{name} must be 0 to {len(FACED_CLASSES) - 1}")


def _pattern_array(pattern: dict[str, dict[str, float]]) -> np.ndarray:
    array = np.zeros((len(FACED_CHANNELS), len(BANDS)))
    bands = list(BANDS)
    for band, weights in pattern.items():
        for channel, weight in weights.items():
            array[FACED_CHANNELS.index(channel), bands.index(band)] = weight
    return array


def _channel_indices(names: tuple[str, ...]) -> np.ndarray:
    return np.array([FACED_CHANNELS.index(name) for name in names])


def _coupled_groups(
    rng: np.random.Generator, positions: np.ndarray, size: tuple[int, int]
) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Per class a band and the electrodes nearest a random centre, none overlapping in a band."""
    dist = np.linalg.norm(positions[:, None] - positions[None], axis=-1)
    nearest = np.argsort(dist, axis=1)
    groups: list[np.ndarray] = []
    bands = rng.permutation(np.resize(np.arange(len(BANDS)), len(FACED_CLASSES)))
    for band in bands:
        taken = {int(c) for g, b in zip(groups, bands, strict=False) if b == band for c in g}
        while True:
            centre = int(rng.integers(len(FACED_CHANNELS)))
            group = nearest[centre, : int(rng.integers(size[0], size[1] + 1))]
            if taken.isdisjoint(group.tolist()):
                break
        groups.append(np.sort(group))
    return tuple(groups), bands


def mixed_layout(seed: int, mixed: MixedParams, positions: np.ndarray) -> MixedLayout:
    """The ground truth of the ``mixed`` corpus with ``seed``.

    Parameters
    ----------
    seed : int
        Corpus seed.
    mixed : MixedParams
        The structure's parameters.
    positions : array, shape (n_channels, 3)
        Electrode positions, in FACED's channel order.
    """
    validate(mixed)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(3,)))
    coupling_channels, coupling_band = _coupled_groups(rng, positions, mixed.coupling_size)
    bands = list(BANDS)
    entries = [DYNAMICS[name] for name in FACED_CLASSES]
    return MixedLayout(
        group_valence=np.stack(
            [_pattern_array(p) for p in list(GROUP_VALENCE.values())[: mixed.n_groups]]
        ),
        coupling_channels=coupling_channels,
        coupling_band=coupling_band,
        dynamics_channels=tuple(_channel_indices(region) for _, region, _ in entries),
        dynamics_band=np.array([bands.index(band) for band, _, _ in entries]),
        dynamics_rate=np.array([rate for _, _, rate in entries]),
    )


def subject_rng(seed: int, subject: int) -> np.random.Generator:
    """The random stream of the ``mixed`` structure's per-subject draws."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2, subject)))


def subject_traits(rng: np.random.Generator, mixed: MixedParams) -> tuple[int, float]:
    """The subject's subgroup and coupling ``rho``: the first draws of its :func:`subject_rng`."""
    group = int(rng.integers(mixed.n_groups))
    rho = min(mixed.coupling * float(np.exp(mixed.coupling_sd * rng.standard_normal())), 0.95)
    return group, rho


def _complex_noise(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    # As the background sources: real and imaginary parts standard normal, E|z|^2 = 2.
    return rng.standard_normal((*shape, 2), dtype=np.float32).view(np.complex64)[..., 0]


def _active_entries(rng: np.random.Generator, labels: np.ndarray, distractors: int) -> np.ndarray:
    """Which classes' entries each clip carries (clips, classes): its own and distractors."""
    n_classes = len(FACED_CLASSES)
    active = np.zeros((labels.size, n_classes), dtype=bool)
    active[np.arange(labels.size), labels] = True
    for clip, label in enumerate(labels):
        others = np.delete(np.arange(n_classes), label)
        active[clip, rng.choice(others, size=distractors, replace=False)] = True
    return active


def couple(
    spectrum: np.ndarray,
    amplitude: np.ndarray,
    labels: np.ndarray,
    band_masks: np.ndarray,
    layout: MixedLayout,
    mixed: MixedParams,
    rng: np.random.Generator,
    rho: float,
) -> None:
    """Mix each active entry's shared in-band source into its electrode group, in place.

    Parameters
    ----------
    spectrum : complex array, shape (n_clips, n_channels, n_freqs)
        The mixed, gained background spectrum; modified in place.
    amplitude : array, shape (n_clips, n_channels, n_freqs)
        Expected amplitude of each bin of ``spectrum`` (its RMS over draws, divided by
        ``sqrt(2)``), so the shared source gets each channel's own spectrum.
    labels : int array, shape (n_clips,)
        Class of each clip.
    band_masks : array, shape (n_bands, n_freqs)
        Which bins each band's gain covers.
    layout, mixed, rng
        Ground truth, parameters and the subject's random stream.
    rho : float
        The subject's coupling strength (:func:`subject_traits`).
    """
    active = _active_entries(rng, labels, mixed.coupling_distractors)
    for entry, (group, band) in enumerate(
        zip(layout.coupling_channels, layout.coupling_band, strict=True)
    ):
        clips = np.flatnonzero(active[:, entry])
        bins = np.flatnonzero(band_masks[band])
        index = np.ix_(clips, group, bins)
        shared = _complex_noise(rng, (clips.size, 1, bins.size))
        spectrum[index] = np.sqrt(1 - rho) * spectrum[index] + np.sqrt(rho) * (
            amplitude[index] * shared
        )


def modulate(
    sources: np.ndarray,
    labels: np.ndarray,
    band_masks: np.ndarray,
    layout: MixedLayout,
    mixed: MixedParams,
    rng: np.random.Generator,
    sfreq: float,
    n_times: int,
) -> None:
    """Impose each clip's slow envelope modulations on its regions' sources, in place.

    Parameters
    ----------
    sources : complex array, shape (n_clips, n_channels, n_freqs)
        Spectra of the independent sources under each electrode, before volume
        conduction; modified in place.
    labels, band_masks, layout, mixed, rng
        As for :func:`couple`.
    sfreq : float
        Sampling rate in Hz.
    n_times : int
        Samples per clip.

    Notes
    -----
    The band component of each source of the region is multiplied by one unit-mean-square
    envelope. Modulating independent sources before they mix keeps every channel's band
    power and the channels' covariance unchanged in expectation; the same envelope
    imposed on channels would lower their correlation with unmodulated neighbours, which
    covariance features would read.
    """
    n_clips, n_classes = labels.size, len(FACED_CLASSES)
    active = _active_entries(rng, labels, mixed.dynamics_distractors)
    phase = rng.uniform(0, 2 * np.pi, size=(n_clips, n_classes))
    t = np.arange(n_times) / sfreq
    norm = np.sqrt(1 + mixed.depth**2 / 2)
    for entry in range(n_classes):
        clips = np.flatnonzero(active[:, entry])
        index = np.ix_(clips, layout.dynamics_channels[entry])
        mask = band_masks[layout.dynamics_band[entry]]
        component = sp_fft.irfft(sources[index] * mask, n=n_times, axis=-1)
        angle = 2 * np.pi * layout.dynamics_rate[entry] * t + phase[clips, entry, None]
        envelope = ((1 + mixed.depth * np.cos(angle)) / norm - 1).astype(np.float32)
        sources[index] += sp_fft.rfft(envelope[:, None, :] * component, axis=-1)


def ground_truth(layout: MixedLayout, mixed: MixedParams, traits: list[tuple[int, float]]) -> dict:
    """What the ``mixed`` structure planted, for ``vaxis_provenance.json``.

    ``traits`` holds each subject's :func:`subject_traits`, in subject order.
    """
    bands = list(BANDS)
    names = list(GROUP_VALENCE)[: mixed.n_groups]

    def channels(index: np.ndarray) -> list[str]:
        return [FACED_CHANNELS[i] for i in index]

    return {
        "families": {
            "band_power": "the power structure's band log-amplitude L with the subject's "
            "subgroup valence pattern V_g (SynthParams.effect scales it)",
            "coupling": "in band b_c, each channel of group G_c := sqrt(1 - rho) own + "
            "sqrt(rho) shared source with the channel's own spectrum (band power unchanged); "
            "rho = coupling * exp(coupling_sd * N(0, 1)) per subject, at most 0.95",
            "dynamics": "band component of the region's sources (before volume conduction) "
            "*= (1 + depth cos(2 pi rate t + phase)) / sqrt(1 + depth^2 / 2) (mean power "
            "unchanged)",
            "distractors": "each clip activates its class's coupling and dynamics entries "
            "plus coupling_distractors and dynamics_distractors other classes' entries, "
            "drawn independently, label-free",
            "subgroups": "each subject's valence pattern is valence_scale * its subgroup's V_g",
        },
        "subgroups": {
            "patterns": {name: GROUP_VALENCE[name] for name in names},
            "subject_group": {f"sub{i:03d}": names[g] for i, (g, _) in enumerate(traits)},
        },
        "subject_coupling_rho": {f"sub{i:03d}": round(rho, 4) for i, (_, rho) in enumerate(traits)},
        "coupling": {
            name: {
                "band": bands[layout.coupling_band[c]],
                "channels": channels(layout.coupling_channels[c]),
            }
            for c, name in enumerate(FACED_CLASSES)
        },
        "dynamics": {
            name: {
                "band": bands[layout.dynamics_band[c]],
                "channels": channels(layout.dynamics_channels[c]),
                "rate_hz": float(layout.dynamics_rate[c]),
            }
            for c, name in enumerate(FACED_CLASSES)
        },
    }
