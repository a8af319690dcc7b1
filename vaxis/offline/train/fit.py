"""Training one member: labels only, early stopping on validation subjects, seeded."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.metrics import balanced_accuracy_score
from torch import nn


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
    """

    epochs: int = 30
    patience: int = 5
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    device: str = "cpu"
    windows_per_epoch: int | None = None


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


def fit_member(
    model: nn.Module,
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    settings: FitSettings,
    seed: int = 0,
) -> tuple[nn.Module, dict]:
    """Train ``model`` with cross-entropy; keep the epoch best on validation.

    Class weights balance the loss, because FACED's neutral category has four clips and
    the others three, and the figure of merit is balanced accuracy.

    Returns
    -------
    model : nn.Module
        In evaluation mode, with the best epoch's weights.
    info : dict
        ``best_epoch``, ``epochs_run`` and ``val_balanced_accuracy`` of the best epoch.
    """
    device = settings.device
    model.to(device)
    optim = torch.optim.Adam(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    counts = np.bincount(y_train, minlength=int(max(y_train.max(), y_val.max())) + 1)
    weights = torch.as_tensor(counts.sum() / np.maximum(counts, 1) / counts.size, device=device)
    loss_fn = nn.CrossEntropyLoss(weight=weights.float())
    rng = np.random.default_rng(seed)
    Xt = torch.as_tensor(X_train, device=device)
    yt = torch.as_tensor(y_train, device=device)
    best, best_epoch, state, epoch = -np.inf, 0, None, -1
    for epoch in range(settings.epochs):
        model.train()
        order = torch.as_tensor(
            rng.permutation(len(X_train))[: settings.windows_per_epoch], device=device
        )
        for start in range(0, len(order), settings.batch_size):
            idx = order[start : start + settings.batch_size]
            if idx.numel() < 2:  # batch norm cannot train on a single window
                continue
            loss = loss_fn(model(Xt[idx]), yt[idx])
            optim.zero_grad(set_to_none=True)
            loss.backward()
            optim.step()
        val = balanced_accuracy_score(y_val, predict_proba(model, X_val, device).argmax(1))
        if val > best:
            best, best_epoch = val, epoch
            state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        elif epoch - best_epoch >= settings.patience:
            break
    model.load_state_dict(state)
    model.eval()
    info = {"best_epoch": best_epoch, "epochs_run": epoch + 1, "val_balanced_accuracy": best}
    return model, info
