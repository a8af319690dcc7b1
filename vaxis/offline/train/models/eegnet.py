"""EEGNet (Lawhern et al., 2018): a compact depthwise-separable ConvNet."""

from __future__ import annotations

from braindecode.models import EEGNetv4
from torch import nn

from vaxis.offline.train.models.braindecode_adapt import adapt


class EEGNet(EEGNetv4):
    """braindecode's ``EEGNetv4`` with its temporal kernel in seconds and a linear read-out.

    Parameters
    ----------
    n_chans, n_times : int
        Input shape ``(batch, n_chans, n_times)``.
    n_outputs : int
        Number of classes (logits out).
    sfreq : float
        Rate of the input; the first temporal kernel spans half a second (64 samples at
        the published 128 Hz).
    f1, depth, f2 : int
        Temporal filters, spatial filters per temporal filter, separable filters.
    drop_prob : float
    bn_momentum : float
        Batch-norm running-statistics momentum. braindecode keeps Keras's 0.01, whose
        running statistics are still far from the data after the few hundred steps a
        member trains for, so evaluation-mode outputs lag the training ones; 0.1 is
        torch's default.
    """

    def __init__(
        self,
        n_chans: int,
        n_times: int,
        n_outputs: int,
        sfreq: float = 125.0,
        f1: int = 8,
        depth: int = 2,
        f2: int = 16,
        drop_prob: float = 0.25,
        bn_momentum: float = 0.1,
    ):
        super().__init__(
            n_chans=n_chans,
            n_outputs=n_outputs,
            n_times=n_times,
            sfreq=sfreq,
            F1=f1,
            D=depth,
            F2=f2,
            kernel_length=max(4, round(0.5 * sfreq)),
            final_conv_length="auto",
            drop_prob=drop_prob,
        )
        adapt(self, n_chans, n_times, n_outputs)
        for module in self.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.momentum = bn_momentum
