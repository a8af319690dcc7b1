"""A two-layer perceptron on DE features."""

from __future__ import annotations

import torch
from torch import nn


class MLPDE(nn.Module):
    """Flattened band features through one hidden layer.

    Parameters
    ----------
    n_chans, n_bands : int
        Input shape ``(batch, n_chans, n_bands)``.
    n_outputs : int
        Number of classes.
    hidden : int
        Width of the hidden layer (the penultimate representation).
    dropout : float
        Dropout on the input and the hidden layer.
    """

    def __init__(
        self, n_chans: int, n_bands: int, n_outputs: int, hidden: int = 64, dropout: float = 0.3
    ):
        super().__init__()
        self.n_chans, self.n_bands, self.n_outputs = n_chans, n_bands, n_outputs
        self.body = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout / 2),
            nn.Linear(n_chans * n_bands, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
        )
        self.readout = nn.Linear(hidden, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.body(x))
