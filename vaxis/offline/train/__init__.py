"""Offline training: the model zoo, the residual ensemble, the EEG -> V-axis projection and
the ONNX bundle export.

:func:`train_bundle` is the one entry point (``vaxis train``); :class:`TrainConfig` holds
its settings and :class:`TrainResult` is what it returns. The zoo's models live in
:mod:`vaxis.offline.train.models`, one per file.
"""

from vaxis.offline.train.config import TrainConfig, resolve_device
from vaxis.offline.train.run import Progress, TrainResult, train_bundle

__all__ = ["Progress", "TrainConfig", "TrainResult", "resolve_device", "train_bundle"]
