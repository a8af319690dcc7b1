"""EEGNet (Lawhern et al., 2018): a compact convolutional network on raw windows."""

from __future__ import annotations

import torch
from torch import nn


class EEGNet(nn.Module):
    """Temporal filters, depthwise spatial filters, a separable convolution, a read-out.

    Parameters
    ----------
    n_chans, n_times : int
        Input shape ``(batch, n_chans, n_times)``.
    n_outputs : int
        Number of classes.
    sfreq : float
        Sampling rate of the input; sets the temporal kernel to half a second.
    f1, depth, f2 : int
        Temporal filters, spatial filters per temporal filter, separable filters.
    dropout : float
    """

    def __init__(
        self,
        n_chans: int,
        n_times: int,
        n_outputs: int,
        sfreq: float = 62.5,
        f1: int = 8,
        depth: int = 2,
        f2: int = 16,
        dropout: float = 0.25,
    ):
        super().__init__()
        self.n_chans, self.n_times, self.n_outputs = n_chans, n_times, n_outputs
        kernel = max(3, int(round(sfreq / 2)) | 1)
        self.features = nn.Sequential(
            nn.Conv2d(1, f1, (1, kernel), padding=(0, kernel // 2), bias=False),
            nn.BatchNorm2d(f1),
            nn.Conv2d(f1, f1 * depth, (n_chans, 1), groups=f1, bias=False),
            nn.BatchNorm2d(f1 * depth),
            nn.ELU(),
            nn.AvgPool2d((1, 4)),
            nn.Dropout(dropout),
            nn.Conv2d(
                f1 * depth, f1 * depth, (1, 15), padding=(0, 7), groups=f1 * depth, bias=False
            ),
            nn.Conv2d(f1 * depth, f2, 1, bias=False),
            nn.BatchNorm2d(f2),
            nn.ELU(),
            nn.AvgPool2d((1, 8)),
            nn.Dropout(dropout),
            nn.Flatten(),
        )
        with torch.no_grad():
            n_flat = self.features(torch.zeros(1, 1, n_chans, n_times)).shape[1]
        self.readout = nn.Linear(n_flat, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.features(x.unsqueeze(1)))
