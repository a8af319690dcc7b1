"""One cross-subject fold: train the pool, fit the combinations, predict the test subjects.

The fold's training subjects are split once more: most train members (each on its bag),
the rest -- the *selection* subjects -- are seen by no member and fit the combinations
(:mod:`vaxis.offline.train.ensemble`); the validation subjects early-stop members and,
under ``combine="auto"``, pick which fitted combination ships (the one with the best
balanced accuracy on them). So every combination is fitted on predictions the members
neither trained nor stopped on, and no test subject has a say in any choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.metrics import balanced_accuracy_score

from vaxis.offline.splits import Split
from vaxis.offline.train.data import WindowSet
from vaxis.offline.train.ensemble import (
    AUTO,
    METHODS,
    Combination,
    caruana_select,
    eligible_members,
    error_correlation,
    fit_stacking,
    greedy_select,
    mean_combination,
)
from vaxis.offline.train.fit import FitSettings
from vaxis.offline.train.members import MemberContext, MemberResult, train_members
from vaxis.offline.train.models import ZOO
from vaxis.offline.train.normalise import SplitInputs, split_inputs
from vaxis.offline.train.pool import LEARNING_RATES, MemberSpec, plan_pool
from vaxis.offline.train.valence import expected_position, fit_ridge, pearson, ridge_predict


@dataclass
class FoldResult:
    """Everything one fold learned and predicted.

    Attributes
    ----------
    split : Split
    selection : list of str
        Training subjects held out from every member to fit the combinations.
    results : list of MemberResult
        The pool's members, trained, with their predictions.
    members : list of dict
        Per member: spec, training info, selection and test balanced accuracy, whether it
        passed the accuracy floor, its error diversity.
    eligible : list of int
        Members above the accuracy floor on the selection subjects.
    combinations : dict of str to Combination
        Every method of :data:`~vaxis.offline.train.ensemble.METHODS`, fitted.
    shipped : str
        The method the bundle exports.
    combination_val : dict of str to float
        Balanced accuracy of every combination on the validation subjects (what
        ``combine="auto"`` chooses by).
    best : int
        The best single member on the selection subjects.
    error_correlation : array (n_members, n_members)
        Correlation of members' soft errors on the selection subjects.
    inputs : SplitInputs
        The split's normalisation: prior, statistics, tangent space (what the bundle needs).
    ridge : Ridge
    ridge_info : dict
    valence_source : {"ridge", "expectation"}
    val_r : dict
    test : dict of str to array
        Test windows: ``y``, ``subjects``, ``target``, ``probs_<name>`` for the best member,
        every combination method and the shipped one (``probs_ensemble``), and the valence
        read-outs.
    """

    split: Split
    selection: list[str]
    results: list[MemberResult]
    members: list[dict]
    eligible: list[int]
    combinations: dict[str, Combination]
    shipped: str
    combination_val: dict[str, float]
    best: int
    error_correlation: np.ndarray
    inputs: SplitInputs
    ridge: Ridge
    ridge_info: dict
    valence_source: str
    val_r: dict
    test: dict = field(repr=False)


def selection_subjects(train: list[str], fraction: float, seed: int) -> list[str]:
    """The training subjects kept from members to fit the combinations (at least one, and
    at least one left to train on)."""
    n = min(len(train) - 1, max(1, int(round(fraction * len(train)))))
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(sorted(train), n, replace=False).tolist())


def _settings(spec: MemberSpec, config) -> FitSettings:
    raw = spec.kind == "raw"
    return FitSettings(
        epochs=min(config.epochs, config.raw_epochs) if raw else config.epochs,
        patience=config.patience, batch_size=config.batch_size,
        lr=LEARNING_RATES[spec.arch], device=config.device,
        windows_per_epoch=config.raw_windows_per_epoch if raw else None,
    )  # fmt: skip


def fit_combinations(
    results: list[MemberResult],
    y: np.ndarray,
    groups: np.ndarray,
    eligible: np.ndarray,
    n_classes: int,
    config,
) -> dict[str, Combination]:
    """Every combination method fitted on the selection windows."""
    log_probs = [r.log_probs["selection"] for r in results]
    return {
        "stacking": fit_stacking(log_probs, y, groups, eligible, n_classes),
        "caruana": caruana_select(log_probs, y, eligible, rounds=config.caruana_rounds),
        "greedy": greedy_select(
            log_probs, y, eligible, config.members, config.diversity_weight, config.min_members
        ),  # fmt: skip
        "mean": mean_combination(len(results)),
    }


def prepare_split(windows: WindowSet, split: Split, config) -> SplitInputs:
    """A split's inputs of every kind the pool reads (band features always: the valence
    read-out needs them), normalised as ``config.normalisation`` says; with the test
    subjects also under transductive normalisation in ``extra["test_subject"]`` when the
    main normalisation is not already that."""
    kinds = {ZOO[arch][1] for arch in config.archs} | {"features"}
    prepared = split_inputs(windows, kinds, split.train, config.normalisation)
    if config.normalisation != "subject":
        test_rows = np.flatnonzero(windows.mask(split.test))
        transductive = split_inputs(windows, kinds, split.train, "subject", only=test_rows,
                                    tangent=prepared.tangent)  # fmt: skip
        prepared.extra["test_subject"] = transductive.inputs
    return prepared


def choose_combination(
    combinations: dict[str, Combination],
    val_log_probs: list[np.ndarray],
    y_val: np.ndarray,
    combine: str,
) -> tuple[str, dict[str, float]]:
    """The combination to ship and every combination's balanced accuracy on the validation
    windows: ``combine`` itself, or under ``"auto"`` the best there (ties go to the first
    of :data:`~vaxis.offline.train.ensemble.METHODS`)."""
    scores = {
        name: float(balanced_accuracy_score(y_val, c.predict_proba(val_log_probs).argmax(1)))
        for name, c in combinations.items()
    }
    if combine != AUTO:
        return combine, scores
    return max(METHODS, key=lambda name: (scores[name], -METHODS.index(name))), scores


def train_fold(
    windows: WindowSet,
    split: Split,
    prepared: SplitInputs,
    positions: np.ndarray,
    config,
    n_classes: int,
    on_member=None,
) -> FoldResult:
    """Train the pool, fit the combinations on the selection subjects, predict the test ones.

    Parameters
    ----------
    windows : WindowSet
    split : Split
    prepared : SplitInputs
        The split's normalised inputs (:func:`prepare_split`).
    positions : array, shape (n_classes,)
        V-axis position of each class.
    config : TrainConfig
    n_classes : int
    on_member : callable, optional
        Called with each trained member's spec (progress bars).
    """
    selection = selection_subjects(split.train, config.selection_fraction, config.seed)
    fit_ids = [s for s in split.train if s not in selection]
    results, index = _train_pool(windows, split, selection, fit_ids, prepared, n_classes, config,
                                 on_member)  # fmt: skip
    y_sel, y_test = windows.y[index["selection"]], windows.y[index["test"]]
    sel_scores = np.array([balanced_accuracy_score(y_sel, r.log_probs["selection"].argmax(1))
                           for r in results])  # fmt: skip
    eligible = eligible_members(sel_scores, 1.0 / n_classes, config.accuracy_floor)
    corr = error_correlation([r.log_probs["selection"] for r in results], y_sel)
    combinations = fit_combinations(results, y_sel, windows.subjects[index["selection"]],
                                    eligible, n_classes, config)  # fmt: skip
    best = int(np.argmax(sel_scores))
    members = _member_rows(results, sel_scores, y_test, eligible, corr)
    train, val = windows.mask(fit_ids), windows.mask(split.val)
    features, y_val = prepared.inputs["features"], windows.y[val]
    ridge, ridge_info = fit_ridge(
        features[train], positions[windows.y[train]], features[val], positions[y_val],
    )  # fmt: skip
    val_lp = [r.log_probs["val"] for r in results]
    shipped_name, combination_val = choose_combination(combinations, val_lp, y_val,
                                                       config.combine)  # fmt: skip
    val_probs = combinations[shipped_name].predict_proba(val_lp)
    val_r = {
        "ridge": pearson(ridge_predict(ridge, features[val]), positions[y_val]),
        "expectation": pearson(expected_position(val_probs, positions), positions[y_val]),
    }
    test = _test_outputs(windows, index["test"], positions, results, combinations, best,
                         shipped_name, ridge, features, prepared.extra)  # fmt: skip
    return FoldResult(
        split=split, selection=selection, results=results, members=members,
        eligible=[int(i) for i in eligible], combinations=combinations, shipped=shipped_name,
        combination_val=combination_val, best=best, error_correlation=corr, inputs=prepared,
        ridge=ridge, ridge_info=ridge_info, valence_source=max(val_r, key=val_r.__getitem__),
        val_r=val_r, test=test,
    )  # fmt: skip


def _train_pool(
    windows: WindowSet,
    split: Split,
    selection: list[str],
    fit_ids: list[str],
    prepared: SplitInputs,
    n_classes: int,
    config,
    on_member,
) -> tuple[list[MemberResult], dict[str, np.ndarray]]:
    """Every member of the pool, trained on ``fit_ids``; and the window indices of the
    selection, validation and test subjects, on which each member predicts."""
    index = {name: np.flatnonzero(windows.mask(ids))
             for name, ids in (("selection", selection), ("val", split.val),
                               ("test", split.test))}  # fmt: skip
    ctx = MemberContext(
        inputs=prepared.inputs, y=windows.y, subjects=windows.subjects, index=index,
        n_outputs=n_classes, channels=windows.channels,
        raw_sfreq=windows.sfreq / windows.decimate, init=config.init, extra=prepared.extra,
    )  # fmt: skip
    specs = plan_pool(list(config.archs), config.pool, fit_ids, config.seed, config.bag_fraction)
    results = train_members([(s, _settings(s, config)) for s in specs], ctx,
                            n_jobs=config.n_jobs, ray_address=config.ray,
                            on_member=on_member)  # fmt: skip
    return results, index


def _member_rows(
    results: list[MemberResult],
    sel_scores: np.ndarray,
    y_test: np.ndarray,
    eligible: np.ndarray,
    corr: np.ndarray,
) -> list[dict]:
    """Each member's description, training info, scores and error diversity."""
    members = []
    for i, r in enumerate(results):
        others = [j for j in eligible if j != i]
        members.append({
            **r.spec.describe(), **r.info,
            "selection_balanced_accuracy": float(sel_scores[i]),
            "test_balanced_accuracy": float(
                balanced_accuracy_score(y_test, r.log_probs["test"].argmax(1))),
            "eligible": bool(i in eligible),
            "error_diversity": float(1 - corr[i, others].mean()) if others else None,
        })  # fmt: skip
    return members


def _test_outputs(
    windows: WindowSet,
    test_index: np.ndarray,
    positions: np.ndarray,
    results: list[MemberResult],
    combinations: dict[str, Combination],
    best: int,
    shipped_name: str,
    ridge: Ridge,
    features: np.ndarray,
    extra: dict,
) -> dict[str, np.ndarray]:
    """The test windows' labels, targets and what every decoder predicts for them (under
    transductive normalisation too, when ``extra`` holds it)."""
    y_test = windows.y[test_index]
    test_lp = [r.log_probs["test"] for r in results]
    test = {
        "y": y_test,
        "subjects": windows.subjects[test_index],
        "target": positions[y_test],
        "probs_best": np.exp(test_lp[best]),
        **{f"probs_{name}": c.predict_proba(test_lp) for name, c in combinations.items()},
        "valence_ridge": ridge_predict(ridge, features[test_index]),
    }
    if "test_subject" in extra:
        transductive = [r.log_probs["test_subject"] for r in results]
        test["probs_best_transductive"] = np.exp(transductive[best])
        test.update({f"probs_{name}_transductive": c.predict_proba(transductive)
                     for name, c in combinations.items()})  # fmt: skip
        test["probs_ensemble_transductive"] = test[f"probs_{shipped_name}_transductive"]
    test["probs_ensemble"] = test[f"probs_{shipped_name}"]
    test["valence_expectation"] = expected_position(test["probs_ensemble"], positions)
    return test
