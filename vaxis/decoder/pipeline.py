"""A window in, a prediction out: the decoder shared by live, replay and calibration."""

from __future__ import annotations

import copy
from collections.abc import Sequence
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


@dataclass
class Checked:
    """Windows checked and their inputs computed, not yet normalised: what
    :meth:`Decoder.prepare` returns. It needs no running statistics, so it may be
    computed ahead, in another thread, while earlier windows are predicted.

    Attributes
    ----------
    valid : array of bool, shape (n_windows,)
    reasons : list of str or None
    inputs : dict of str to array
        Un-normalised inputs by kind, invalid windows zeroed first.
    """

    valid: np.ndarray
    reasons: list[str | None]
    inputs: dict[str, np.ndarray]

    def __len__(self) -> int:
        return self.valid.size


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

    Notes
    -----
    The running statistics are one stream's: :meth:`fork` gives another stream a decoder
    of its own that shares this one's onnxruntime session, and :func:`decode_together`
    decodes the windows of several such decoders in one run of the graph.
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
        self._prior = InputStats.from_dict(norm["prior"])
        if stats is None and norm.get("method") == "population":
            stats = self._prior
        self.stats = stats
        self.running = None if stats else RunningStats(self._prior, norm["warmup"])
        held = stats if stats else self._prior
        missing = [k for k in bundle.kinds if k not in held.kinds]
        if missing:
            whose = "the participant's statistics" if stats else "the bundle's prior"
            raise BundleError(f"{whose} hold no statistics for the bundle's "
                              f"{', '.join(missing)} input")  # fmt: skip
        self.session = open_session(model or bundle.model_path, threads=threads)
        self._inputs = bundle.inputs
        self._tangent = bundle.tangent_space()

    def fork(self) -> Decoder:
        """A decoder for another stream: the same bundle, statistics, limits and
        onnxruntime session, running statistics of its own (from the prior)."""
        other = copy.copy(self)
        if self.running is not None:
            other.running = RunningStats(self._prior, self.running.warmup)
        return other

    def decode(self, windows: np.ndarray) -> Predictions:
        """Predict a batch of windows (n_windows, n_channels, n_times) in microvolts.

        Invalid windows (non-finite, flat, saturated) are still returned, with
        ``valid=False``, a reason, and NaN outputs; they never update running statistics.
        """
        return decode_together([self], [windows])[0]

    def prepare(self, windows: np.ndarray) -> Checked:
        """Check windows (n_windows, n_channels, n_times), microvolts, and compute their
        inputs; :meth:`predict` finishes. Touches no running statistics."""
        windows = np.asarray(windows, dtype=np.float32)
        valid, reasons = check_windows(windows, self.bundle.channels, self.limits)
        return Checked(valid, reasons, self.inputs(windows, valid))

    def predict(self, checked: Checked) -> Predictions:
        """Normalise prepared windows (updating running statistics, in order) and predict:
        ``decoder.predict(decoder.prepare(w))`` is ``decoder.decode(w)``."""
        return predict_together([self], [len(checked)], checked)[0]

    def inputs(self, windows: np.ndarray, valid: np.ndarray) -> dict[str, np.ndarray]:
        """The un-normalised inputs of the kinds the bundle reads; invalid windows are
        zeroed first."""
        clean = np.where(valid[:, None, None], windows, 0.0).astype(np.float32)
        b = self.bundle
        return window_inputs(clean, b.sfreq, b.kinds, reference=b.reference, detrend=b.detrend,
                             feature_kind=b.feature_kind, bands=b.bands,
                             tangent=self._tangent)  # fmt: skip

    def normalise(self, inputs: dict[str, np.ndarray], valid: np.ndarray) -> dict[str, np.ndarray]:
        """Inputs normalised by this stream's statistics, which the valid windows update
        (running statistics only)."""
        if self.running is not None:
            return self.running.normalise(inputs, valid)
        assert self.stats is not None  # running statistics are kept only without them
        return self.stats.normalise(inputs)

    def feeds(self, windows: np.ndarray, valid: np.ndarray) -> dict[str, np.ndarray]:
        """The graph's inputs by name: the normalised inputs of the kinds the bundle reads.

        Invalid windows are zeroed before their inputs are computed and do not update
        running statistics (which valid ones do).

        Parameters
        ----------
        windows : array, shape (n_windows, n_channels, n_times), microvolts
        valid : array of bool, shape (n_windows,)
        """
        return self._graph_inputs(self.normalise(self.inputs(windows, valid), valid))

    def _graph_inputs(self, normalised: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Normalised inputs by kind -> the graph's inputs by name, float32."""
        return {spec.name: normalised[spec.kind].astype(np.float32) for spec in self._inputs}


def decode_together(
    decoders: Sequence[Decoder], batches: Sequence[np.ndarray]
) -> list[Predictions]:
    """Predict each decoder's batch of windows, in one run of the graph.

    Windows are checked and their inputs computed together; each decoder's rows are then
    normalised by its own statistics, in order, so the result equals decoding each batch
    on its own.

    Parameters
    ----------
    decoders : sequence of Decoder
        Sharing one onnxruntime session (one decoder and its :meth:`Decoder.fork` es).
    batches : sequence of array, shape (n_windows_i, n_channels, n_times)
        Microvolts; one per decoder.
    """
    windows = np.concatenate([np.asarray(b, dtype=np.float32) for b in batches])
    return predict_together(decoders, [len(b) for b in batches], decoders[0].prepare(windows))


def predict_together(
    decoders: Sequence[Decoder], sizes: Sequence[int], checked: Checked
) -> list[Predictions]:
    """:func:`decode_together` of windows already prepared: ``checked`` holds each
    decoder's ``sizes[i]`` windows in turn; each decoder's rows are normalised by its own
    statistics, in order, then all go through one run of the graph."""
    first = decoders[0]
    if any(d.session is not first.session for d in decoders):
        raise ValueError("decoding together needs decoders that share one session (fork)")
    valid, reasons, inputs = checked.valid, checked.reasons, checked.inputs
    bounds = np.cumsum([0, *sizes])
    normalised = [
        d.normalise({k: x[lo:hi] for k, x in inputs.items()}, valid[lo:hi])
        for d, lo, hi in zip(decoders, bounds[:-1], bounds[1:], strict=True)
    ]
    merged = {kind: np.concatenate([n[kind] for n in normalised]) for kind in inputs}
    probs, valence = first.session.run(["probs", "valence"], first._graph_inputs(merged))
    probs = np.where(valid[:, None], probs, np.nan)
    valence = np.where(valid, valence.reshape(-1), np.nan)
    labels = np.where(valid, np.nanargmax(np.nan_to_num(probs, nan=-1.0), axis=1), -1)
    return [
        Predictions(probs[lo:hi], valence[lo:hi], labels[lo:hi], valid[lo:hi], reasons[lo:hi])
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
    ]
