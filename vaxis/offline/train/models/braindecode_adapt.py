"""Adapting braindecode's ConvNets to vaxis: a linear read-out, an exportable first layer.

- braindecode ends its ConvNets in a convolution spanning the whole remaining feature map
  (``final_layer.conv_classifier``). Over a fixed-length window that convolution is a
  linear map of the flattened feature map, so it is replaced by exactly that: ``Flatten``
  then an ``nn.Linear``, the read-out every vaxis model exposes (the study and the
  ensemble read the representation entering it). No LogSoftmax: training uses
  cross-entropy on logits.
- braindecode 0.8's merged temporal-spatial convolution (``CombinedConv``) computes its
  bias with argument-less ``squeeze`` calls that the ONNX exporter turns into a graph
  onnxruntime rejects; :class:`TimeSpaceConv` computes the same convolution from the
  same parameters (same state-dict keys) with explicit shapes, as a 1-d convolution
  (five times faster to train on a CPU than braindecode's 2-d one).
"""

from __future__ import annotations

import torch
from braindecode.models.modules import CombinedConv
from torch import nn
from torch.nn import functional as F
from torch.nn import init


class TimeSpaceConv(nn.Module):
    """A temporal then a spatial convolution, merged into one (braindecode's
    ``CombinedConv``, exportable).

    Parameters
    ----------
    combined : CombinedConv
        Its ``conv_time`` and ``conv_spat`` become this module's.
    """

    def __init__(self, combined: CombinedConv):
        super().__init__()
        self.conv_time = combined.conv_time
        self.conv_spat = combined.conv_spat

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (time filters, 1, length, 1) x (time filters, space filters, 1, channels), summed
        # over time filters: one (space filters, length, channels) kernel.
        weight = (self.conv_time.weight * self.conv_spat.weight.permute(1, 0, 2, 3)).sum(0)
        bias = None
        if self.conv_time.bias is not None:
            bias = self.conv_spat.weight.sum(dim=(2, 3)) @ self.conv_time.bias
        if self.conv_spat.bias is not None:
            bias = self.conv_spat.bias if bias is None else bias + self.conv_spat.bias
        # x is (batch, 1, time, channels): the kernel spans all channels, so this is a
        # 1-d convolution over time with channels as input features, several times
        # faster on a CPU than the equivalent 2-d one.
        out = F.conv1d(x[:, 0].transpose(1, 2), weight.transpose(1, 2), bias)
        return out.unsqueeze(-1)


def adapt(model: nn.Sequential, n_chans: int, n_times: int, n_outputs: int) -> None:
    """Make a braindecode ConvNet exportable and end it in an ``nn.Linear`` to
    ``n_outputs`` logits (Xavier-initialised like braindecode's classifier)."""
    if isinstance(getattr(model, "conv_time_spat", None), CombinedConv):
        model.conv_time_spat = TimeSpaceConv(model.conv_time_spat)
    body = nn.Sequential(*(m for name, m in model.named_children() if name != "final_layer"))
    was_training = model.training
    body.eval()
    with torch.no_grad():
        n_flat = body(torch.zeros(1, n_chans, n_times)).numel()
    linear = nn.Linear(n_flat, n_outputs)
    init.xavier_uniform_(linear.weight, gain=1)
    init.zeros_(linear.bias)
    model.final_layer = nn.Sequential(nn.Flatten(), linear)
    model.train(was_training)
