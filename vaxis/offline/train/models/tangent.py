"""A two-layer perceptron on band-covariance tangent vectors."""

from __future__ import annotations

import torch
from torch import nn


class TangentMLP(nn.Module):
    """Flattened tangent vectors of the band covariances through one hidden layer.

    Reads what band-power members cannot: the coupling between electrodes in each band
    (the tangent space of the Riemannian manifold of covariances, z-scored per subject).

    Parameters
    ----------
    n_bands, n_pairs : int
        Input shape ``(batch, n_bands, n_pairs)``; ``n_pairs = n_chans * (n_chans + 1) / 2``.
    n_outputs : int
        Number of classes.
    hidden : int
        Width of the hidden layer (the penultimate representation).
    dropout : float
        Dropout on the input (half of it) and on the hidden layer.
    """

    def __init__(
        self, n_bands: int, n_pairs: int, n_outputs: int, hidden: int = 64, dropout: float = 0.3
    ):
        super().__init__()
        self.n_bands, self.n_pairs, self.n_outputs = n_bands, n_pairs, n_outputs
        self.body = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout / 2),
            nn.Linear(n_bands * n_pairs, hidden),
            nn.GELU(),
            nn.Dropout(dropout),
        )
        self.readout = nn.Linear(hidden, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.body(x))
