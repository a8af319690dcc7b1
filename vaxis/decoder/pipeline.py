"""A window in, a prediction out: the decoder shared by live, replay and calibration."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vaxis.decoder.bundle import Bundle
from vaxis.decoder.inputs import InputStats, RunningStats, window_inputs
from vaxis.decoder.quality import DEFAULT_LIMITS, QualityLimits, check_windows
from vaxis.decoder.session import open_session
from vaxis.errors import BundleError


@dataclass
class Predictions:
    """Predictions for a batch of windows.

    Attributes
    ----------
    probs : array, shape (n_windows, n_classes)
    valence : array, shape (n_windows,)
        Position on the V-axis.
    labels : array of int, shape (n_windows,)
    valid : array of bool, shape (n_windows,)
    reasons : list of str or None
        Why a window is invalid; ``None`` where valid.
    """

    probs: np.ndarray
    valence: np.ndarray
    labels: np.ndarray
    valid: np.ndarray
    reasons: list[str | None]

    def __len__(self) -> int:
        return self.labels.size


class Decoder:
    """Runs a bundle on windows already in the bundle's channels, rate and unit.

    Parameters
    ----------
    bundle : Bundle
    stats : InputStats or None
        Fixed participant statistics (from a calibration profile). ``None`` follows the
        bundle's normalisation: the population prior alone for ``"population"``, else
        running statistics that start from the prior.
    model : path or bytes or None
        An ONNX graph replacing the bundle's (a profile's adapted model).
    threads : int
        onnxruntime intra-op threads.
    limits : QualityLimits
        When a window is invalid.
    """

    def __init__(
        self,
        bundle: Bundle,
        stats: InputStats | None = None,
        model=None,
        threads: int = 1,
        limits: QualityLimits = DEFAULT_LIMITS,
    ):
        self.bundle = bundle
        self.limits = limits
        norm = bundle.normalisation
        prior = InputStats.from_dict(norm["prior"])
        if stats is None and norm.get("method") == "population":
            stats = prior
        self.stats = stats
        self.running = None if stats else RunningStats(prior, norm["warmup"])
        held = stats if stats else prior
        missing = [k for k in bundle.kinds if k not in held.kinds]
        if missing:
            whose = "the participant's statistics" if stats else "the bundle's prior"
            raise BundleError(f"{whose} hold no statistics for the bundle's "
                              f"{', '.join(missing)} input")  # fmt: skip
        self.session = open_session(model or bundle.model_path, threads=threads)
        self._inputs = bundle.inputs
        self._tangent = bundle.tangent_space()
        self._positions = np.array([bundle.valence_positions[c] for c in bundle.classes])

    def decode(self, windows: np.ndarray) -> Predictions:
        """Predict a batch of windows (n_windows, n_channels, n_times) in microvolts.

        Invalid windows (non-finite, flat, saturated) are still returned, with
        ``valid=False``, a reason, and NaN outputs; they never update running statistics.
        """
        windows = np.asarray(windows, dtype=np.float32)
        valid, reasons = check_windows(windows, self.bundle.channels, self.limits)
        probs, valence = self.session.run(["probs", "valence"], self.feeds(windows, valid))
        probs = np.where(valid[:, None], probs, np.nan)
        valence = np.where(valid, valence.reshape(-1), np.nan)
        labels = np.where(valid, np.nanargmax(np.nan_to_num(probs, nan=-1.0), axis=1), -1)
        return Predictions(probs, valence, labels, valid, reasons)

    def feeds(self, windows: np.ndarray, valid: np.ndarray) -> dict[str, np.ndarray]:
        """The graph's inputs by name: the normalised inputs of the kinds the bundle reads.

        Invalid windows are zeroed before their inputs are computed and do not update
        running statistics (which valid ones do).

        Parameters
        ----------
        windows : array, shape (n_windows, n_channels, n_times), microvolts
        valid : array of bool, shape (n_windows,)
        """
        clean = np.where(valid[:, None, None], windows, 0.0).astype(np.float32)
        b = self.bundle
        inputs = window_inputs(clean, b.sfreq, b.kinds, reference=b.reference, detrend=b.detrend,
                               feature_kind=b.feature_kind, bands=b.bands,
                               tangent=self._tangent)  # fmt: skip
        if self.running is not None:
            normalised = self.running.normalise(inputs, valid)
        else:
            assert self.stats is not None  # running statistics are kept only without them
            normalised = self.stats.normalise(inputs)
        return {spec.name: normalised[spec.kind].astype(np.float32) for spec in self._inputs}
