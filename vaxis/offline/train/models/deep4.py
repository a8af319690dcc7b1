"""Deep ConvNet (Schirrmeister et al., 2017): four convolution-pooling blocks."""

from __future__ import annotations

from braindecode.models import Deep4Net

from vaxis.offline.train.models.braindecode_adapt import adapt


class DeepConvNet(Deep4Net):
    """braindecode's ``Deep4Net`` with kernels in seconds and a linear read-out.

    Parameters
    ----------
    n_chans, n_times : int
        Input shape ``(batch, n_chans, n_times)``.
    n_outputs : int
        Number of classes (logits out).
    sfreq : float
        Rate of the input; every convolution spans 40 ms (10 samples at the published
        250 Hz). Pooling keeps its factor of 3 per block, so a window needs about 1.3 s
        at 125 Hz to survive the four blocks.
    drop_prob : float
    """

    def __init__(
        self,
        n_chans: int,
        n_times: int,
        n_outputs: int,
        sfreq: float = 125.0,
        drop_prob: float = 0.5,
    ):
        kernel = max(2, round(0.04 * sfreq))
        super().__init__(
            n_chans=n_chans,
            n_outputs=n_outputs,
            n_times=n_times,
            sfreq=sfreq,
            filter_time_length=kernel,
            filter_length_2=kernel,
            filter_length_3=kernel,
            filter_length_4=kernel,
            final_conv_length="auto",
            drop_prob=drop_prob,
            add_log_softmax=False,
        )
        adapt(self, n_chans, n_times, n_outputs)
