"""How the study trains its classifiers: the training package's loop, the study's settings.

Every classifier of the study -- label-only or with an alignment term -- trains in
:func:`vaxis.offline.train.fit.fit_member`, the loop of ``vaxis train``'s members: Adam at
each architecture's learning rate, early stopping on validation balanced accuracy, the best
epoch's weights restored, the raw-window classifiers' caps on epochs and windows per epoch.
The study's loss is unweighted, so a label-only baseline and its strategy runs differ by
the alignment term alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaxis.offline.train.fit import FitSettings


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
    """

    epochs: int = 30
    batch_size: int = 256
    lr: float | None = None
    weight_decay: float = 1e-4
    patience: int = 6
    device: str = "cpu"
    raw_epochs: int = 12
    raw_windows_per_epoch: int | None = 6000

    def for_run(self, arch: str, kind: str) -> FitSettings:
        """The settings of one run of architecture ``arch`` reading ``kind``."""
        from vaxis.offline.train.pool import LEARNING_RATES

        raw = kind == "raw"
        return FitSettings(
            epochs=min(self.epochs, self.raw_epochs) if raw else self.epochs,
            patience=self.patience,
            batch_size=self.batch_size,
            lr=self.lr if self.lr is not None else LEARNING_RATES.get(arch, 1e-3),
            weight_decay=self.weight_decay,
            device=self.device,
            windows_per_epoch=self.raw_windows_per_epoch if raw else None,
            class_weights=False,
        )
