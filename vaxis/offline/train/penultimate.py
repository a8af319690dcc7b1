"""A classifier's penultimate representation: the input of its read-out layer.

Every model of the zoo reads out through its last registered ``nn.Linear``, so the
representation is captured generically, by a forward pre-hook on that layer, without
changing what the model computes. :func:`~vaxis.offline.train.fit.fit_member` uses it for
an alignment term on the representation; the study reads it to ask where the classes lie.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def last_linear(model: nn.Module) -> nn.Linear:
    """The model's read-out: its last ``nn.Linear`` in registration order."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise TypeError(f"{type(model).__name__} has no nn.Linear read-out layer")
    return linears[-1]


class PenultimateCapture:
    """Context manager that keeps the input of the read-out layer of each forward pass.

    Attributes
    ----------
    layer : nn.Linear
        The read-out layer hooked.
    z : torch.Tensor or None
        Its input in the last forward pass (in the autograd graph while training).
    """

    def __init__(self, model: nn.Module):
        self.layer = last_linear(model)
        self.z: torch.Tensor | None = None

    def _hook(self, _module, inputs) -> None:
        self.z = inputs[0]

    def __enter__(self) -> PenultimateCapture:
        self._handle = self.layer.register_forward_pre_hook(self._hook)
        return self

    def __exit__(self, *exc) -> None:
        self._handle.remove()

    def flat(self) -> torch.Tensor:
        """:attr:`z`, one row per window."""
        if self.z is None:
            raise RuntimeError("no forward pass has run inside the capture")
        return self.z.flatten(1)


@torch.no_grad()
def embed(
    model: nn.Module, X: np.ndarray, device: str = "cpu", batch_size: int = 2048
) -> tuple[np.ndarray, np.ndarray]:
    """Penultimate features (flattened) and logits of ``X``, in evaluation mode."""
    model.eval()
    zs, logits = [], []
    with PenultimateCapture(model) as cap:
        for start in range(0, len(X), batch_size):
            out = model(torch.as_tensor(X[start : start + batch_size], device=device))
            zs.append(cap.flat().cpu().numpy())
            logits.append(out.cpu().numpy())
    return np.concatenate(zs), np.concatenate(logits)
