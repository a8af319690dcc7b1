"""Shallow ConvNet (Schirrmeister et al., 2017): log band power of learned spatial filters."""

from __future__ import annotations

from braindecode.models import ShallowFBCSPNet

from vaxis.offline.train.models.braindecode_adapt import adapt


class ShallowConvNet(ShallowFBCSPNet):
    """braindecode's ``ShallowFBCSPNet`` with kernels in seconds and a linear read-out.

    Temporal filters, spatial filters, squaring, mean pooling and a log: a learned
    filter-bank common spatial pattern, the raw-signal counterpart of band-power features.

    Parameters
    ----------
    n_chans, n_times : int
        Input shape ``(batch, n_chans, n_times)``.
    n_outputs : int
        Number of classes (logits out).
    sfreq : float
        Rate of the input; the temporal filter spans 100 ms and the pooling 300 ms every
        60 ms, the published design at 250 Hz.
    n_filters : int
        Temporal filters, and spatial filters.
    drop_prob : float
    """

    def __init__(
        self,
        n_chans: int,
        n_times: int,
        n_outputs: int,
        sfreq: float = 125.0,
        n_filters: int = 40,
        drop_prob: float = 0.5,
    ):
        super().__init__(
            n_chans=n_chans,
            n_outputs=n_outputs,
            n_times=n_times,
            sfreq=sfreq,
            n_filters_time=n_filters,
            n_filters_spat=n_filters,
            filter_time_length=max(3, round(0.1 * sfreq)),
            pool_time_length=max(2, round(0.3 * sfreq)),
            pool_time_stride=max(1, round(0.06 * sfreq)),
            final_conv_length="auto",
            drop_prob=drop_prob,
            add_log_softmax=False,
        )
        adapt(self, n_chans, n_times, n_outputs)
