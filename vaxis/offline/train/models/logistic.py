"""Multinomial logistic regression on DE features."""

from __future__ import annotations

import torch
from torch import nn


class LogisticDE(nn.Module):
    """A linear read-out of the flattened band features.

    Parameters
    ----------
    n_chans, n_bands : int
        Input shape ``(batch, n_chans, n_bands)``.
    n_outputs : int
        Number of classes.
    """

    def __init__(self, n_chans: int, n_bands: int, n_outputs: int):
        super().__init__()
        self.n_chans, self.n_bands, self.n_outputs = n_chans, n_bands, n_outputs
        self.readout = nn.Linear(n_chans * n_bands, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(x.flatten(1))
