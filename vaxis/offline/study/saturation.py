"""Saturation: where the task gradient goes while a label-only classifier learns.

At every training step the gradient of the task loss (cross-entropy) with respect to the
penultimate features is split, sample by sample, into its component in the *class
subspace* (the span of the class-centroid differences, which holds the V-direction) and
the orthogonal *within-class residual*; the component along the V-direction itself
(``sum_k (p_k - mean p)(c_k - mean c)``, normalised) is reported too. Shares are of the
squared norm, summed over the epoch's steps. The subspaces come from the centroids of the
validation subjects' features, recomputed after every epoch (the first epoch uses the
initial model's). After each epoch the same centroids give the basin's agreement with the
V-axis (:func:`vaxis.offline.study.geometry.axis_agreement`, without null). Where an
alignment term is trained, the shares of its own gradient are recorded beside.

The analysis ends with the ablation of :mod:`vaxis.offline.study.ablation` over the
label-only grid (every architecture x seed of the rediscovery): what each classifier's
decoding loses when the within-class residual of its representation is removed, and
when the class-centroid span is.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from vaxis.offline.study.geometry import axis_agreement, valence_direction
from vaxis.offline.train.penultimate import embed


class SaturationRecorder:
    """Gradient shares per epoch; see the module docstring.

    Parameters
    ----------
    model : nn.Module
        The model about to be trained (its initial state gives the first subspaces).
    X_probe, y_probe : array
        Held-out windows (validation subjects) whose centroids define the subspaces.
    positions : array, shape (n_classes,)
    device : str

    Attributes
    ----------
    epochs_ : list of dict
        Per epoch: ``class_share``, ``vdir_share``, ``residual_share`` of the task
        gradient, the same with prefix ``aux_`` for an alignment term, and
        ``loco_spearman`` / ``pc1_spearman`` of the epoch's centroids.
    """

    def __init__(self, model, X_probe, y_probe, positions, device: str = "cpu"):
        self.X_probe, self.y_probe = X_probe, y_probe
        self.positions = np.asarray(positions, dtype=np.float64)
        self.device = device
        self.epochs_: list[dict] = []
        self._set_subspaces(model)

    def _set_subspaces(self, model) -> dict:
        z, _ = embed(model, self.X_probe, self.device)
        classes = np.arange(self.positions.size)
        centroids = np.stack([z[self.y_probe == c].mean(0) for c in classes])
        basis = np.linalg.svd(centroids - centroids.mean(0), full_matrices=False)[2]
        basis = basis[: classes.size - 1]
        as_t = lambda a: torch.as_tensor(a, dtype=torch.float32, device=self.device)  # noqa: E731
        self._basis = as_t(basis)
        self._vdir = as_t(valence_direction(centroids, self.positions))
        self._sums = np.zeros(6)
        return axis_agreement(centroids, self.positions, n_null=0)

    def _shares(self, grad: torch.Tensor) -> np.ndarray:
        grad = grad.detach()
        total = (grad * grad).sum()
        in_class = ((grad @ self._basis.T) ** 2).sum()
        along_v = ((grad @ self._vdir) ** 2).sum()
        return torch.stack([total, in_class, along_v]).cpu().numpy()

    def on_step(self, z, task_loss, y, aux_loss=None) -> None:
        (grad,) = torch.autograd.grad(task_loss, z, retain_graph=True)
        self._sums[:3] += self._shares(grad)
        if aux_loss is not None and aux_loss.requires_grad:
            (grad,) = torch.autograd.grad(aux_loss, z, retain_graph=True)
            self._sums[3:] += self._shares(grad)

    def on_epoch(self, epoch: int, model) -> None:
        sums = self._sums.copy()
        agreement = self._set_subspaces(model)
        row: dict[str, Any] = {"epoch": epoch}
        for prefix, (total, in_class, along_v) in (("", sums[:3]), ("aux_", sums[3:])):
            if total > 0:
                row[f"{prefix}class_share"] = float(in_class / total)
                row[f"{prefix}vdir_share"] = float(along_v / total)
                row[f"{prefix}residual_share"] = float(1 - in_class / total)
        row["loco_spearman"] = agreement["loco_spearman"]
        row["pc1_spearman"] = agreement["pc1_spearman"]
        self.epochs_.append(row)


def saturation_tasks(
    arch: str,
    seed: int,
    strategy: str,
    weight: float,
    grid_archs: list[str],
    grid_seeds: list[int],
) -> list[dict]:
    """The label-only run and the run under ``strategy`` of ``arch``, both recording
    gradients, then the label-only grid ``grid_archs x grid_seeds`` the ablation scores."""
    from vaxis.offline.study.rediscovery import rediscovery_tasks

    return [
        {"arch": arch, "seed": seed, "strategy": None, "weight": 0.0, "saturation": True},
        {"arch": arch, "seed": seed, "strategy": strategy, "weight": weight, "saturation": True},
    ] + rediscovery_tasks(grid_archs, grid_seeds)


def summarise_saturation(results: list[dict]) -> dict:
    """Per-run epoch curves and their means over the run's epochs; the ablation of the
    label-only grid."""
    from vaxis.offline.study.ablation import summarise_ablation

    runs = {}
    for res in [r for r in results if r["saturation"] is not None]:
        name = "label_only" if not res["strategy"] else f"{res['strategy']}@{res['weight']:g}"
        curves = res["saturation"]
        keys = [k for k in curves[0] if k != "epoch"]
        runs[name] = {
            "arch": res["arch"],
            "seed": res["seed"],
            "balanced_accuracy": res["balanced_accuracy"],
            "epochs": curves,
            "mean": {k: float(np.nanmean([row.get(k, np.nan) for row in curves])) for k in keys},
            "final": {k: curves[-1].get(k) for k in keys},
        }
    grid = [r for r in results if r["saturation"] is None]
    return {
        "runs": runs,
        "ablation": summarise_ablation(grid) if grid else None,
        "method": "per step: gradient of the task loss w.r.t. penultimate features, share of "
        "squared norm in the span of class-centroid differences (class), along the centroid "
        "V-direction (vdir) and in the orthogonal within-class residual; subspaces and "
        "agreement from validation-subject centroids after each epoch",
    }
