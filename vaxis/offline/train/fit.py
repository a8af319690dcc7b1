"""Training one classifier: labels (and optionally an alignment term), early stopping on
validation subjects, seeded. ``vaxis train``'s members and the study's classifiers both
train here."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from sklearn.metrics import balanced_accuracy_score
from torch import nn

from vaxis.offline.train.penultimate import PenultimateCapture


class StepRecorder(Protocol):
    """What :func:`fit_member` tells a recorder (the study's saturation analysis)."""

    def on_step(
        self,
        z: torch.Tensor,
        task_loss: torch.Tensor,
        y: torch.Tensor,
        aux_loss: torch.Tensor | None,
    ) -> None: ...

    def on_epoch(self, epoch: int, model: nn.Module) -> None: ...


@dataclass
class FitSettings:
    """Optimiser and stopping settings of one member.

    Attributes
    ----------
    epochs : int
        Most passes over the training windows.
    patience : int
        Epochs without a better validation balanced accuracy before stopping.
    batch_size : int
    lr, weight_decay : float
        Adam's learning rate and (L2) weight decay.
    device : str
        Torch device.
    windows_per_epoch : int or None
        Train each epoch on a fresh random sample of this many windows (all when None);
        bounds the cost of the raw-window members on a FACED-size corpus.
    class_weights : bool
        Weight the cross-entropy by inverse class frequency in the training windows, because
        FACED's neutral category has four clips and the others three, and the figure of
        merit is balanced accuracy. The study trains unweighted (``False``), so a label-only
        baseline and its strategy runs differ by the alignment term alone.
    """

    epochs: int = 30
    patience: int = 5
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    device: str = "cpu"
    windows_per_epoch: int | None = None
    class_weights: bool = True


@torch.no_grad()
def predict_proba(
    model: nn.Module, X: np.ndarray, device: str = "cpu", batch_size: int = 4096
) -> np.ndarray:
    """Softmax probabilities of ``X`` in evaluation mode, float64 on the CPU."""
    model.eval()
    out = []
    for start in range(0, len(X), batch_size):
        # A copy: X may be a read-only memory map (joblib), which torch will not wrap.
        batch = np.array(X[start : start + batch_size], dtype=np.float32)
        logits = model(torch.from_numpy(batch).to(device))
        out.append(torch.softmax(logits, dim=1).double().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, 0))


def task_loss_fn(y_train: np.ndarray, y_val: np.ndarray, settings: FitSettings) -> nn.Module:
    """Cross-entropy, weighted by inverse class frequency when ``settings.class_weights``."""
    if not settings.class_weights:
        return nn.CrossEntropyLoss()
    counts = np.bincount(y_train, minlength=int(max(y_train.max(), y_val.max())) + 1)
    weights = torch.as_tensor(counts.sum() / np.maximum(counts, 1) / counts.size)
    return nn.CrossEntropyLoss(weight=weights.float().to(settings.device))


@dataclass
class _Training:
    """The optimisation of one model: task loss plus ``aux_weight * aux(z, logits, y)``."""

    model: nn.Module
    optim: torch.optim.Optimizer
    task: nn.Module
    aux: nn.Module | None
    aux_weight: float
    recorder: StepRecorder | None
    settings: FitSettings

    @classmethod
    def start(cls, model, settings, task, aux, aux_weight, recorder) -> _Training:
        """Move the model (and ``aux``) to the device; Adam over both."""
        params = list(model.to(settings.device).parameters())
        if aux is not None:
            params += list(aux.to(settings.device).parameters())
        optim = torch.optim.Adam(params, lr=settings.lr, weight_decay=settings.weight_decay)
        return cls(model, optim, task, aux, aux_weight, recorder, settings)

    def epoch(self, X: torch.Tensor, y: torch.Tensor, rng, cap) -> None:
        """One pass over a fresh random order of (at most ``windows_per_epoch``) windows."""
        self.model.train()
        order = rng.permutation(len(X))[: self.settings.windows_per_epoch]
        order = torch.as_tensor(order, device=self.settings.device)
        for start in range(0, len(order), self.settings.batch_size):
            idx = order[start : start + self.settings.batch_size]
            if idx.numel() >= 2:  # batch norm cannot train on a single window
                self.step(X[idx], y[idx], cap)

    def step(self, x: torch.Tensor, y: torch.Tensor, cap: PenultimateCapture | None) -> None:
        logits = self.model(x)
        task = self.task(logits, y)
        z = cap.flat() if cap is not None else None
        aux_loss = None
        if self.aux is not None and self.aux_weight > 0:
            aux_loss = self.aux(z, logits, y)
        loss = task if aux_loss is None else task + self.aux_weight * aux_loss
        if self.recorder is not None:
            assert z is not None  # a recorder is only given with a capture
            self.recorder.on_step(z, task, y, aux_loss)
        self.optim.zero_grad(set_to_none=True)
        loss.backward()
        self.optim.step()


@dataclass
class _Best:
    """The best epoch so far on validation, and when to stop looking for a better one."""

    patience: int
    score: float = -np.inf
    epoch: int = 0
    state: dict | None = None

    def update(self, epoch: int, score: float, model: nn.Module) -> bool:
        """Keep ``model``'s weights if ``score`` is the best; True when it is time to stop."""
        if score > self.score:
            self.score, self.epoch = score, epoch
            self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            return False
        return epoch - self.epoch >= self.patience

    def restore(self, model: nn.Module) -> None:
        """Give ``model`` the best epoch's weights."""
        assert self.state is not None  # the first epoch always improves on -inf
        model.load_state_dict(self.state)


def fit_member(
    model: nn.Module,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    settings: FitSettings,
    seed: int = 0,
    *,
    aux: nn.Module | None = None,
    aux_weight: float = 0.0,
    recorder: StepRecorder | None = None,
) -> tuple[nn.Module, dict]:
    """Train ``model`` on cross-entropy (plus ``aux``); keep the epoch best on validation.

    Parameters
    ----------
    model : nn.Module
        A classifier; with ``aux`` or ``recorder``, one whose read-out is its last
        ``nn.Linear`` (:mod:`vaxis.offline.train.penultimate`).
    X_train, y_train, X_val, y_val : array
        Inputs and labels; validation drives early stopping.
    settings : FitSettings
    seed : int
        Seeds the batch order (the model's initialisation is seeded by its builder).
    aux : nn.Module, optional
        An alignment term ``aux(z, logits, y)`` on the penultimate features ``z`` (the
        study's strategies); its parameters train with the model's.
    aux_weight : float
        Weight of ``aux`` in the loss (0 leaves it out).
    recorder : StepRecorder, optional
        Sees the penultimate features and the task loss at every step, the model after
        every epoch.

    Returns
    -------
    model : nn.Module
        In evaluation mode, with the best epoch's weights.
    info : dict
        ``best_epoch``, ``epochs_run`` and ``val_balanced_accuracy`` of the best epoch.
    """
    training = _Training.start(model, settings, task_loss_fn(y_train, y_val, settings), aux,
                               aux_weight, recorder)  # fmt: skip
    rng = np.random.default_rng(seed)
    Xt, yt = (torch.as_tensor(a, device=settings.device) for a in (X_train, y_train))
    best, epoch = _Best(settings.patience), -1
    hooked = aux is not None or recorder is not None
    with PenultimateCapture(model) if hooked else nullcontext() as cap:
        for epoch in range(settings.epochs):
            training.epoch(Xt, yt, rng, cap)
            probs = predict_proba(model, X_val, settings.device)
            val = balanced_accuracy_score(y_val, probs.argmax(1))
            if recorder is not None:
                recorder.on_epoch(epoch, model)
            if best.update(epoch, val, model):
                break
    best.restore(model)
    model.eval()
    info = {"best_epoch": best.epoch, "epochs_run": epoch + 1, "val_balanced_accuracy": best.score}
    return model, info
