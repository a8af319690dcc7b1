"""One cross-subject fold: train the pool, select the ensemble, fit the valence read-out."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.metrics import balanced_accuracy_score
from torch import nn

from vaxis.offline.splits import Split
from vaxis.offline.train.data import WindowSet
from vaxis.offline.train.ensemble import greedy_select, residual_correlation
from vaxis.offline.train.fit import FitSettings, fit_member, predict_proba
from vaxis.offline.train.pool import LEARNING_RATES, MemberSpec, build_member, plan_pool
from vaxis.offline.train.valence import expected_position, fit_ridge, pearson, ridge_predict


@dataclass
class FoldResult:
    """Everything one fold learned and predicted.

    Attributes
    ----------
    split : Split
    specs, models : list
        The pool's members and their trained models (evaluation mode, CPU).
    members : list of dict
        Per member: spec, training info, validation and test balanced accuracy.
    selected : list of int
        The residual ensemble (indices into ``models``), in the order chosen.
    trace : list of dict
        The greedy selection's steps.
    best : int
        The best single member on validation.
    residual_correlation : array (n_members, n_members)
        Correlation of the members' within-class residuals on validation subjects.
    ridge : Ridge
    ridge_info : dict
    valence_source : {"ridge", "expectation"}
        The better valence read-out on validation.
    val_r : dict
        Validation correlation of each valence read-out.
    test : dict of str to array
        Test windows: ``y``, ``subjects``, ``target`` (true category's position),
        ``probs_best``, ``probs_naive``, ``probs_ensemble``, ``valence_ridge``,
        ``valence_expectation``.
    """

    split: Split
    specs: list[MemberSpec]
    models: list[nn.Module]
    members: list[dict]
    selected: list[int]
    trace: list[dict]
    best: int
    residual_correlation: np.ndarray
    ridge: Ridge
    ridge_info: dict
    valence_source: str
    val_r: dict
    test: dict = field(repr=False)


def train_fold(
    windows: WindowSet,
    split: Split,
    positions: np.ndarray,
    config,
    n_classes: int,
    on_member=None,
) -> FoldResult:
    """Train the pool on ``split.train``, select on ``split.val``, predict ``split.test``.

    Parameters
    ----------
    windows : WindowSet
    split : Split
    positions : array, shape (n_classes,)
        V-axis position of each class.
    config : TrainConfig
    n_classes : int
    on_member : callable, optional
        Called with each trained member's spec (progress bars).
    """
    val, test = windows.mask(split.val), windows.mask(split.test)
    y_val, y_test = windows.y[val], windows.y[test]
    specs = plan_pool(list(config.archs), config.pool, split.train, config.seed,
                      config.bag_fraction)  # fmt: skip
    n_bands, n_times = windows.features.shape[2], windows.raw.shape[2]
    models, members, val_probs, test_probs = [], [], [], []
    for spec in specs:
        raw = spec.kind == "raw"
        settings = FitSettings(
            epochs=min(config.epochs, config.raw_epochs) if raw else config.epochs,
            patience=config.patience, batch_size=config.batch_size,
            lr=LEARNING_RATES[spec.arch], device=config.device,
            windows_per_epoch=config.raw_windows_per_epoch if raw else None,
        )  # fmt: skip
        model = build_member(spec, len(windows.channels), n_bands, n_times, n_classes,
                             windows.sfreq / windows.decimate, windows.channels)  # fmt: skip
        bag = windows.mask(list(spec.bag))
        start = time.perf_counter()
        model, info = fit_member(
            model, windows.inputs(spec.kind, bag), windows.y[bag],
            windows.inputs(spec.kind, val), y_val, settings, seed=spec.seed,
        )  # fmt: skip
        val_probs.append(predict_proba(model, windows.inputs(spec.kind, val), config.device))
        test_probs.append(predict_proba(model, windows.inputs(spec.kind, test), config.device))
        models.append(model.cpu())
        members.append({
            **spec.describe(), **info, "seconds": round(time.perf_counter() - start, 2),
            "test_balanced_accuracy": float(
                balanced_accuracy_score(y_test, test_probs[-1].argmax(1))),
        })  # fmt: skip
        if on_member is not None:
            on_member(spec)
    selected, trace = greedy_select(
        val_probs, y_val, config.members, config.diversity_weight, config.min_members
    )
    best = selected[0]

    train = windows.mask(split.train)
    ridge, ridge_info = fit_ridge(
        windows.features[train], positions[windows.y[train]],
        windows.features[val], positions[y_val],
    )  # fmt: skip
    ensemble_val = np.mean([val_probs[i] for i in selected], axis=0)
    val_r = {
        "ridge": pearson(ridge_predict(ridge, windows.features[val]), positions[y_val]),
        "expectation": pearson(expected_position(ensemble_val, positions), positions[y_val]),
    }
    ensemble_test = np.mean([test_probs[i] for i in selected], axis=0)
    return FoldResult(
        split=split, specs=specs, models=models, members=members, selected=selected,
        trace=trace, best=best, residual_correlation=residual_correlation(val_probs, y_val),
        ridge=ridge, ridge_info=ridge_info, valence_source=max(val_r, key=val_r.get),
        val_r=val_r,
        test={
            "y": y_test,
            "subjects": windows.subjects[test],
            "target": positions[y_test],
            "probs_best": test_probs[best],
            "probs_naive": np.mean(test_probs, axis=0),
            "probs_ensemble": ensemble_test,
            "valence_ridge": ridge_predict(ridge, windows.features[test]),
            "valence_expectation": expected_position(ensemble_test, positions),
        },
    )  # fmt: skip
