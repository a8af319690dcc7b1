"""A small training loop for the study: task loss plus an optional alignment term.

Why not the training package's fit loop: the study needs, at every step, the penultimate
features as a tensor in the graph (an alignment term is a function of them), the gradient
of the task loss alone with respect to them (the saturation analysis), and both without
changing what the model computes. This loop gets the penultimate features generically, as
the input of the model's last ``nn.Linear`` (captured by a forward pre-hook), so it works
with every classifier of the model zoo whose read-out is a linear layer, and it leaves the
zoo's models and fit loop untouched. Label-only runs use it too, so a baseline and its
strategy runs differ by the alignment term alone. It keeps the training package's
conventions: Adam at each architecture's learning rate, early stopping on validation
balanced accuracy, the best epoch's weights restored, the raw-window members' caps on
epochs and windows per epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
import torch
from sklearn.metrics import balanced_accuracy_score
from torch import nn


class StepRecorder(Protocol):
    """What the loop tells a recorder (the saturation analysis)."""

    def on_step(
        self,
        z: torch.Tensor,
        task_loss: torch.Tensor,
        y: torch.Tensor,
        aux_loss: torch.Tensor | None,
    ) -> None: ...

    def on_epoch(self, epoch: int, model: nn.Module) -> None: ...


def last_linear(model: nn.Module) -> nn.Linear:
    """The model's read-out: its last ``nn.Linear`` in registration order."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise TypeError(f"{type(model).__name__} has no nn.Linear read-out layer")
    return linears[-1]


class PenultimateCapture:
    """Context manager that keeps the input of the read-out layer of each forward pass."""

    def __init__(self, model: nn.Module):
        self.layer = last_linear(model)
        self.z: torch.Tensor | None = None

    def _hook(self, _module, inputs):
        self.z = inputs[0]

    def __enter__(self) -> PenultimateCapture:
        self._handle = self.layer.register_forward_pre_hook(self._hook)
        return self

    def __exit__(self, *exc) -> None:
        self._handle.remove()


@dataclass
class FitConfig:
    """Training hyper-parameters of every model of a sweep.

    Attributes
    ----------
    epochs, batch_size, patience : int
    lr : float or None
        Adam's learning rate; None takes ``vaxis train``'s rate of each zoo architecture
        (:data:`vaxis.offline.train.pool.LEARNING_RATES`; 1e-3 for a caller's model).
    weight_decay : float
    device : str
    raw_epochs : int
        Cap on the epochs of the raw-window classifiers, which cost ~100x more per window.
    raw_windows_per_epoch : int or None
        The raw-window classifiers train each epoch on a fresh random sample of this many
        windows (all when None), as ``vaxis train``'s raw members do.
    windows_per_epoch : int or None
        The same for one run (set by :meth:`for_run`).
    """

    epochs: int = 30
    batch_size: int = 256
    lr: float | None = None
    weight_decay: float = 1e-4
    patience: int = 6
    device: str = "cpu"
    raw_epochs: int = 12
    raw_windows_per_epoch: int | None = 6000
    windows_per_epoch: int | None = None

    def for_run(self, arch: str, kind: str) -> FitConfig:
        """The settings of one run of architecture ``arch`` reading ``kind``."""
        from vaxis.offline.train.pool import LEARNING_RATES

        lr = self.lr if self.lr is not None else LEARNING_RATES.get(arch, 1e-3)
        if kind != "raw":
            return replace(self, lr=lr)
        return replace(self, lr=lr, epochs=min(self.epochs, self.raw_epochs),
                       windows_per_epoch=self.raw_windows_per_epoch)  # fmt: skip


@dataclass
class FitResult:
    model: nn.Module
    best_epoch: int
    history: list[dict] = field(default_factory=list)


@torch.no_grad()
def embed(
    model: nn.Module, X: np.ndarray, device: str = "cpu", batch_size: int = 2048
) -> tuple[np.ndarray, np.ndarray]:
    """Penultimate features and logits of ``X``, in evaluation mode."""
    model.eval()
    zs, logits = [], []
    with PenultimateCapture(model) as cap:
        for start in range(0, len(X), batch_size):
            out = model(torch.as_tensor(X[start : start + batch_size], device=device))
            zs.append(cap.z.flatten(1).cpu().numpy())
            logits.append(out.cpu().numpy())
    return np.concatenate(zs), np.concatenate(logits)


def _balanced_accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray, device: str) -> float:
    _, logits = embed(model, X, device)
    return float(balanced_accuracy_score(y, logits.argmax(1)))


def fit(
    model: nn.Module,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    config: FitConfig,
    seed: int = 0,
    aux: nn.Module | None = None,
    aux_weight: float = 0.0,
    recorder: StepRecorder | None = None,
) -> FitResult:
    """Train ``model`` on cross-entropy plus ``aux_weight * aux(z, logits, y)``.

    Parameters
    ----------
    model : nn.Module
        A classifier whose read-out is its last ``nn.Linear``.
    X_train, y_train, X_val, y_val : array
        Inputs and labels; validation drives early stopping.
    config : FitConfig
    seed : int
        Seeds the batch order (the model's initialisation is seeded by its builder).
    aux : nn.Module, optional
        An alignment term (see :mod:`vaxis.offline.study.alignment`); its parameters
        are trained with the model's.
    aux_weight : float
    recorder : StepRecorder, optional
        Sees the penultimate features and the task loss at every step.
    """
    device = config.device
    model.to(device)
    params = list(model.parameters()) + (list(aux.parameters()) if aux is not None else [])
    if aux is not None:
        aux.to(device)
    lr = 1e-3 if config.lr is None else config.lr
    optim = torch.optim.Adam(params, lr=lr, weight_decay=config.weight_decay)
    rng = np.random.default_rng(seed)
    Xt = torch.as_tensor(X_train, device=device)
    yt = torch.as_tensor(y_train, device=device)
    best, best_epoch, state, history = -np.inf, 0, None, []
    with PenultimateCapture(model) as cap:
        for epoch in range(config.epochs):
            model.train()
            order = rng.permutation(len(X_train))[: config.windows_per_epoch]
            order = torch.as_tensor(order, device=device)
            for start in range(0, len(order), config.batch_size):
                idx = order[start : start + config.batch_size]
                if idx.numel() < 2:  # batch norm cannot train on a single window
                    continue
                logits = model(Xt[idx])
                z = cap.z.flatten(1)
                task = nn.functional.cross_entropy(logits, yt[idx])
                aux_loss = aux(z, logits, yt[idx]) if aux is not None and aux_weight > 0 else None
                loss = task if aux_loss is None else task + aux_weight * aux_loss
                if recorder is not None:
                    recorder.on_step(z, task, yt[idx], aux_loss)
                optim.zero_grad(set_to_none=True)
                loss.backward()
                optim.step()
            val_ba = _balanced_accuracy(model, X_val, y_val, device)
            history.append({"epoch": epoch, "val_balanced_accuracy": val_ba})
            if recorder is not None:
                recorder.on_epoch(epoch, model)
            if val_ba > best:
                best, best_epoch = val_ba, epoch
                state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            elif epoch - best_epoch >= config.patience:
                break
    model.load_state_dict(state)
    model.eval()
    return FitResult(model, best_epoch, history)
