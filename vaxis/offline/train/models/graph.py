"""A topographic graph network: band features propagated between neighbouring electrodes."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def adjacency(positions: np.ndarray | None, n_chans: int, width: float = 0.5) -> np.ndarray:
    """Row-normalised Gaussian kernel of inter-electrode distance.

    Parameters
    ----------
    positions : array, shape (n_chans, 3), or None
        Electrode positions (any unit; ``width`` is in the same unit). Without positions
        every electrode is a neighbour of every other (half self, half the mean).
    n_chans : int
    width : float
        Distance at which a neighbour's weight falls to ``exp(-1/2)``.
    """
    if positions is None:
        kernel = 0.5 * np.eye(n_chans) + 0.5 / n_chans
    else:
        positions = np.asarray(positions, dtype=np.float64)
        if positions.shape != (n_chans, 3):
            raise ValueError(f"positions must be ({n_chans}, 3), got {positions.shape}")
        dist = np.linalg.norm(positions[:, None] - positions[None], axis=-1)
        kernel = np.exp(-0.5 * (dist / width) ** 2)
    return (kernel / kernel.sum(axis=1, keepdims=True)).astype(np.float32)


class TopoGraphNet(nn.Module):
    """Two graph convolutions over electrodes, then a dense read-out.

    Each layer mixes every electrode's features with its neighbours' (a fixed adjacency
    from electrode positions plus a learned correction) and transforms the bands, so the
    network learns spatially smooth patterns such as frontal asymmetries.

    Parameters
    ----------
    n_chans, n_bands : int
        Input shape ``(batch, n_chans, n_bands)``.
    n_outputs : int
        Number of classes.
    positions : array, shape (n_chans, 3), optional
        Electrode positions in head radii; see :func:`adjacency`.
    hidden : int
        Features per electrode after each graph convolution.
    dropout : float
    """

    adjacency: torch.Tensor  # a buffer

    def __init__(
        self,
        n_chans: int,
        n_bands: int,
        n_outputs: int,
        positions: np.ndarray | None = None,
        hidden: int = 16,
        dropout: float = 0.3,
    ):
        super().__init__()
        self.n_chans, self.n_bands, self.n_outputs = n_chans, n_bands, n_outputs
        self.register_buffer("adjacency", torch.from_numpy(adjacency(positions, n_chans)))
        self.edge_correction = nn.Parameter(torch.zeros(n_chans, n_chans))
        self.conv1 = nn.Linear(n_bands, hidden)
        self.conv2 = nn.Linear(hidden, hidden)
        self.act = nn.GELU()
        self.dense = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(n_chans * hidden, 32), nn.GELU()
        )
        self.readout = nn.Linear(32, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.adjacency + self.edge_correction
        h = self.act(self.conv1(a @ x))
        h = self.act(self.conv2(a @ h))
        return self.readout(self.dense(h))
