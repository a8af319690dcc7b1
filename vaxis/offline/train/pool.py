"""The pool of candidate members: architectures x seeds x bags of training subjects."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from vaxis.decoder.channels import canonical
from vaxis.offline.corpus.synthetic import POSITIONS
from vaxis.offline.train.models import ZOO

#: Adam learning rate per architecture (the linear model tolerates, and needs, a larger one).
LEARNING_RATES = {
    "logistic": 1e-2, "mlp": 1e-3, "graph": 2e-3, "tangent": 1e-3, "envelope": 1e-3,
    "shallow": 1e-3, "eegnet": 1e-2, "deep4": 1e-2, "cbramod": 1e-3,
}  # fmt: skip


@dataclass(frozen=True)
class MemberSpec:
    """One candidate member.

    Attributes
    ----------
    arch : str
        A :data:`~vaxis.offline.train.models.ZOO` name.
    seed : int
        Seeds initialisation, dropout and batch order.
    bag : tuple of str
        The training subjects it learns from (all of them, or a random subset).
    """

    arch: str
    seed: int
    bag: tuple[str, ...]

    @property
    def kind(self) -> str:
        return ZOO[self.arch][1]

    def describe(self) -> dict:
        return {"arch": self.arch, "seed": self.seed, "kind": self.kind, "bag": len(self.bag)}


def plan_pool(
    archs: list[str], size: int, train_ids: list[str], seed: int, bag_fraction: float
) -> list[MemberSpec]:
    """``size`` members cycling through ``archs``; the first round sees every training
    subject, later rounds a random ``bag_fraction`` of them, each with its own seed."""
    rng = np.random.default_rng(seed)
    n_bag = max(1, int(round(bag_fraction * len(train_ids))))
    specs = []
    for i in range(size):
        bag = train_ids if i < len(archs) else sorted(rng.choice(train_ids, n_bag, replace=False))
        specs.append(MemberSpec(archs[i % len(archs)], seed + i, tuple(bag)))
    return specs


def electrode_positions(channels: list[str]) -> np.ndarray | None:
    """Positions of ``channels`` in head radii, or None when any is unknown."""
    known = {canonical(name): xyz for name, xyz in POSITIONS.items()}
    if not all(canonical(c) in known for c in channels):
        return None
    return np.array([known[canonical(c)] for c in channels])


def build_member(
    spec: MemberSpec,
    input_shape: tuple[int, ...],
    n_outputs: int,
    raw_sfreq: float,
    channels: list[str],
    init: str | None = None,
) -> nn.Module:
    """A freshly initialised model for ``spec`` (seeded).

    Parameters
    ----------
    input_shape : tuple of int
        One window's input without the batch axis: ``(n_chans, n_bands)`` for band
        features and envelopes, ``(n_bands, n_pairs)`` for covariance, ``(n_chans,
        n_times)`` for raw.
    raw_sfreq : float
        Rate of the raw members' (decimated) input.
    init : str, optional
        A local checkpoint for the members that can start from one.
    """
    torch.manual_seed(spec.seed)
    cls, kind = ZOO[spec.arch]
    if kind == "raw":
        shape = {"n_chans": input_shape[0], "n_times": input_shape[1], "n_outputs": n_outputs,
                 "sfreq": raw_sfreq}  # fmt: skip
        if init is not None and hasattr(cls, "from_checkpoint"):
            return cls.from_checkpoint(init, **shape)
        return cls(**shape)
    if kind == "covariance":
        return cls(n_bands=input_shape[0], n_pairs=input_shape[1], n_outputs=n_outputs)
    n_chans, n_bands = input_shape
    if spec.arch == "graph":
        positions = electrode_positions(channels)
        return cls(n_chans=n_chans, n_bands=n_bands, n_outputs=n_outputs, positions=positions)
    return cls(n_chans=n_chans, n_bands=n_bands, n_outputs=n_outputs)
