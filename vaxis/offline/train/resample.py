"""Anti-aliased decimation of raw windows, identical in numpy (training) and torch (the graph).

The raw members read windows at a fraction of the recording's rate. Keeping every
``factor``-th sample alone (or a block mean, whose side lobes are barely 13 dB down)
folds 50 Hz line noise, muscle bursts and gamma into the low bands the members learn
from. Both faces here first apply one linear-phase low-pass FIR (:func:`fir_taps`):
flat up to 64 % of the new Nyquist frequency, at least 60 dB down from 78 % of it on, so
nothing above the new Nyquist frequency survives to alias and line noise at 50 Hz is
gone when 250 Hz becomes 125 Hz.

Edges: each window is extended by reflection (about its first and last sample, which are
not repeated) by half the filter's length on both sides, so output sample ``k`` is the
filter centred on input sample ``k * factor``; the output keeps ``n_times // factor``
samples. Windows are filtered one by one: no state crosses windows, as in the live decoder.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from scipy import signal
from torch import nn
from torch.nn import functional as F

from vaxis.errors import ConfigError

#: Pass band edge and stop band edge, as fractions of the decimated rate's Nyquist frequency.
PASS_EDGE, STOP_EDGE = 0.64, 0.78
#: Stop band attenuation in dB (Kaiser window design).
ATTENUATION_DB = 60.0


@lru_cache(maxsize=8)
def _taps(factor: int) -> np.ndarray:
    if int(factor) != factor or factor < 1:
        raise ConfigError(f"the decimation factor must be a positive integer, got {factor}")
    if factor == 1:
        return np.ones(1)
    nyquist = 1.0 / factor  # the new Nyquist frequency, relative to the old one
    numtaps, beta = signal.kaiserord(ATTENUATION_DB, (STOP_EDGE - PASS_EDGE) * nyquist)
    numtaps |= 1  # odd: a whole-sample delay, so the filter can be centred
    cutoff = 0.5 * (PASS_EDGE + STOP_EDGE) * nyquist
    taps = signal.firwin(numtaps, cutoff, window=("kaiser", beta))
    taps.flags.writeable = False
    return taps


def fir_taps(factor: int) -> np.ndarray:
    """The anti-aliasing low-pass filter of a decimation by ``factor`` (float64, odd length).

    A Kaiser-window linear-phase FIR, gain 1 at 0 Hz; ``factor == 1`` gives the identity.
    For ``factor == 2`` it has 105 taps.

    Raises
    ------
    ConfigError
        When ``factor`` is not a positive integer.
    """
    return _taps(factor).copy()


def decimate_fir(x: np.ndarray, factor: int) -> np.ndarray:
    """Low-pass filter the last axis of ``x`` with :func:`fir_taps` and keep every
    ``factor``-th sample, starting with the first.

    Parameters
    ----------
    x : array, shape (..., n_times)
        Windows; ``n_times`` must exceed half the filter's length (reflection needs it).
    factor : int

    Returns
    -------
    array, shape (..., n_times // factor), float32
    """
    taps = fir_taps(factor)
    x = np.asarray(x, dtype=np.float32)
    n_out = x.shape[-1] // factor
    if factor == 1:
        return x.copy()
    half = len(taps) // 2
    _check_length(x.shape[-1], half)
    pad = [(0, 0)] * (x.ndim - 1) + [(half, half)]
    padded = np.pad(x, pad, mode="reflect")
    # Full-rate filtering by FFT, then the kept samples: the sums of the graph's strided
    # convolution (to float32 rounding), faster than a direct convolution in numpy.
    kernel = taps.astype(np.float32).reshape((1,) * (x.ndim - 1) + (-1,))
    filtered = signal.fftconvolve(padded, kernel, mode="valid", axes=-1)
    return filtered[..., ::factor][..., :n_out].astype(np.float32, copy=False)


def _check_length(n_times: int, half: int) -> None:
    if n_times <= half:
        raise ConfigError(
            f"windows of {n_times} samples are too short for the {2 * half + 1}-tap "
            "anti-aliasing filter"
        )


class FIRDecimate(nn.Module):
    """:func:`decimate_fir` as a module: ``(batch, n_chans, n_times)`` in,
    ``(batch, n_chans, n_times // factor)`` out.

    Every channel goes through the same taps. The strided convolution is computed in
    polyphase form: phase ``p`` of the padded signal (every ``factor``-th sample from
    ``p``) convolved with phase ``p`` of the taps, the phases summed. Same sums, no output
    computed only to be dropped: onnxruntime's strided Conv took twice as long. Exports to
    ONNX (opset 17) as Pad, Slice, Conv and Add.

    Parameters
    ----------
    factor : int
        Decimation factor; 1 passes the input through unchanged.
    """

    def __init__(self, factor: int):
        super().__init__()
        reversed_taps = fir_taps(factor)[::-1]  # conv1d correlates: the filter reversed
        self.factor = int(factor)
        self.n_taps = reversed_taps.size
        # The filter is not learned and not worth a place in the state dict.
        for p in range(self.factor):
            phase = torch.as_tensor(reversed_taps[p :: self.factor].copy(), dtype=torch.float32)
            self.register_buffer(f"phase{p}", phase.view(1, 1, -1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.factor == 1:
            return x
        n_chans, n_times = x.shape[1], x.shape[2]
        n_out, half, f = n_times // self.factor, self.n_taps // 2, self.factor
        flat = F.pad(x.reshape(-1, 1, n_times), (half, half), mode="reflect")
        phases = [self.get_buffer(f"phase{p}") for p in range(f)]
        out = F.conv1d(flat[..., 0::f], phases[0])[..., :n_out]
        for p in range(1, f):
            out = out + F.conv1d(flat[..., p::f], phases[p])[..., :n_out]
        return out.reshape(-1, n_chans, n_out)

    def extra_repr(self) -> str:
        return f"factor={self.factor}, taps={self.n_taps}"
