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
LEARNING_RATES = {"logistic": 1e-2, "mlp": 1e-3, "graph": 2e-3, "eegnet": 3e-3}


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


def build_member(spec: MemberSpec, n_chans: int, n_bands: int, n_times: int, n_outputs: int,
                 sfreq: float, channels: list[str]) -> nn.Module:  # fmt: skip
    """A freshly initialised model for ``spec`` (seeded)."""
    torch.manual_seed(spec.seed)
    cls, kind = ZOO[spec.arch]
    if kind == "raw":
        return cls(n_chans=n_chans, n_times=n_times, n_outputs=n_outputs, sfreq=sfreq)
    if spec.arch == "graph":
        positions = electrode_positions(channels)
        return cls(n_chans=n_chans, n_bands=n_bands, n_outputs=n_outputs, positions=positions)
    return cls(n_chans=n_chans, n_bands=n_bands, n_outputs=n_outputs)
