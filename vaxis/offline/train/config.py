"""Settings of a training run."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import get_args

from vaxis.errors import ConfigError, ModelError
from vaxis.offline.choices import (
    Channels,
    Combine,
    Normalisation,
    ProtocolName,
    SplitScheme,
)
from vaxis.offline.train.models import ZOO
from vaxis.offline.train.normalise import NORMALISATIONS

SPLITS: tuple[SplitScheme, ...] = get_args(SplitScheme)
COMBINE: tuple[Combine, ...] = get_args(Combine)
#: The default pool: every input kind, and the raw member that trains in minutes on a CPU
#: (EEGNet, Deep4Net and CBraMod are in the zoo, for --archs or a GPU).
DEFAULT_ARCHS = ("logistic", "mlp", "graph", "tangent", "envelope", "shallow")


@dataclass(kw_only=True)
class TrainConfig:
    """Everything ``vaxis train`` can be told.

    Attributes
    ----------
    protocol : {"vaxis", "faced-cbramod", "seedv-cbramod"}
        The named preset these settings came from (:mod:`vaxis.offline.protocols`).
    resample : float or None
        Rate the corpus is resampled to before cutting (None: the corpus's).
    channels : {"eeg", "all"}
        ``eeg`` leaves out FACED's mastoid references; ``all`` keeps every channel.
    window_s, hop_s : float
        Window and hop in seconds (the bundle's; 4 s every 2 s offline).
    decimate : int
        Raw members read windows low-pass filtered (anti-aliasing FIR, pass band to 64 %
        of the new Nyquist) and decimated by this factor: 250 Hz / 2 = 125 Hz keeps
        everything up to 40 Hz (gamma included) and removes 50 Hz line noise.
    normalisation : {"causal", "subject", "population"}
        How every subject's inputs are normalised (:mod:`vaxis.offline.train.normalise`):
        ``causal`` as the live decoder does (the default of every reported figure),
        ``subject`` transductively, ``population`` with the training population's only.
    split : {"faced", "kfold", "session-trials"}
        CBraMod's FACED split (scaled to the corpus), leave-subjects-out k-fold, or each
        subject's sessions split 5/5/5 by trial (SEED-V).
    folds : int
        k of the k-fold split.
    archs : tuple of str
        Architectures of the pool, cycled.
    pool : int
        Candidate members trained per fold.
    members : int
        Most members of the greedy combination.
    min_members : int
        Members the greedy combination keeps even when adding them lowers selection
        accuracy (default 1: the selection alone decides).
    combine : {"auto", "stacking", "caruana", "greedy", "mean"}
        The combination the bundle ships; every method is fitted and reported. ``auto``
        ships the one with the best balanced accuracy on the validation subjects.
    selection_fraction : float
        Share of the training subjects no member learns from; the combinations are fitted
        on their windows.
    accuracy_floor : float
        Members take part in a combination only above ``chance + accuracy_floor * (best -
        chance)`` on the selection subjects.
    caruana_rounds : int
        Additions of the selection with replacement.
    seeds : int
        Whole training runs with seeds ``seed .. seed + seeds - 1`` (same split); the report
        gives mean and standard deviation over them, the bundle comes from the first.
    n_jobs : int
        Members trained side by side with joblib (-1: every core).
    ray : str or None
        Train members on Ray instead (``"local"`` or a cluster address).
    epochs, patience, batch_size : int
        Training of each member (early stopping on validation subjects).
    raw_epochs, raw_windows_per_epoch : int
        The raw-window members' (EEGNet's) cap on epochs and on windows per epoch: they
        cost ~100x more per window than the feature members.
    bag_fraction : float
        Share of training subjects each member after the first round learns from.
    diversity_weight : float
        Weight of error diversity against selection accuracy in the greedy combination.
    init : str or None
        A local checkpoint that raw members able to start from one (CBraMod) fine-tune from.
    seed : int
    device : str
        ``"auto"``, ``"cpu"`` or ``"cuda"`` (``"cuda:N"`` for one of several GPUs).
    """

    protocol: ProtocolName = "vaxis"
    resample: float | None = None
    channels: Channels = "eeg"
    window_s: float = 4.0
    hop_s: float = 2.0
    decimate: int = 2
    normalisation: Normalisation = "causal"
    split: SplitScheme = "faced"
    folds: int = 5
    archs: tuple[str, ...] = DEFAULT_ARCHS
    pool: int = 12
    members: int = 5
    min_members: int = 1
    combine: Combine = "auto"
    selection_fraction: float = 0.25
    accuracy_floor: float = 0.25
    caruana_rounds: int = 25
    seeds: int = 1
    n_jobs: int = 1
    ray: str | None = None
    epochs: int = 30
    patience: int = 5
    batch_size: int = 256
    raw_epochs: int = 12
    raw_windows_per_epoch: int = 6000
    bag_fraction: float = 0.8
    diversity_weight: float = 0.05
    init: str | None = None
    seed: int = 0
    device: str = "cpu"

    @classmethod
    def from_protocol(cls, name: str, **overrides) -> TrainConfig:
        """The settings of protocol ``name``, then ``overrides``."""
        from vaxis.offline.protocols import get_protocol

        return cls(**{**get_protocol(name).settings(), **overrides})

    @classmethod
    def quick(cls, **overrides) -> TrainConfig:
        """A small pool and few epochs: seconds on a tiny corpus, minutes on FACED."""
        return cls(**{"pool": 6, "members": 4, "epochs": 8, "patience": 3, "raw_epochs": 6,
                      **overrides})  # fmt: skip

    def check(self) -> TrainConfig:
        """Raise :class:`ModelError` on settings that cannot train; return self."""
        unknown = [a for a in self.archs if a not in ZOO]
        if unknown:
            raise ConfigError(f"archs: unknown architectures {unknown}; the zoo holds {list(ZOO)}")
        if self.split not in SPLITS:
            raise ConfigError(f"unknown split {self.split!r}; expected one of {SPLITS}")
        if not 1 <= self.min_members <= self.members:
            raise ConfigError(f"min_members must be in 1..members, got {self.min_members}")
        if self.pool < 1 or self.members < 1:
            raise ConfigError(f"pool and members must be >= 1, got {self.pool}, {self.members}")
        if self.normalisation not in NORMALISATIONS:
            raise ConfigError(f"unknown normalisation {self.normalisation!r}; expected one of "
                             f"{NORMALISATIONS}")  # fmt: skip
        if self.combine not in COMBINE:
            raise ConfigError(
                f"combine: unknown combination {self.combine!r}; expected one of {COMBINE}"
            )
        if not 0 < self.selection_fraction < 1:
            raise ConfigError(
                f"selection_fraction must be in (0, 1), got {self.selection_fraction}"
            )
        if not 0 <= self.accuracy_floor <= 1:
            raise ConfigError(f"accuracy_floor must be in [0, 1], got {self.accuracy_floor}")
        if self.seeds < 1 or self.caruana_rounds < 1 or self.n_jobs == 0:
            raise ConfigError("seeds and caruana_rounds must be >= 1 and n_jobs non-zero")
        if self.epochs < 1:
            raise ConfigError(f"epochs must be >= 1, got {self.epochs}")
        return self

    def to_dict(self) -> dict:
        return {**asdict(self), "archs": list(self.archs)}


def resolve_device(device: str) -> str:
    """``auto`` -> CUDA when torch sees one, else CPU; ``cuda`` without CUDA is an error."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            build = f"built for CUDA {torch.version.cuda}" if torch.version.cuda else "CPU-only"
            raise ModelError(
                f"device={device!r}: torch sees no CUDA device (torch {torch.__version__}, "
                f"{build}); use device 'cpu' or 'auto'"
            )
        return device
    if device != "cpu":
        raise ConfigError(f"unknown device {device!r}; expected auto, cpu or cuda")
    return device
