"""The bundle: the only contract between offline training and live decoding.

A bundle is a directory holding ``model.onnx`` and ``bundle.json``. :func:`load_bundle`
validates everything the live path relies on and refuses, with a reason, a bundle it
cannot honour. :func:`write_bundle_json` is what the exporter calls.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np

from vaxis.decoder.covariance import TangentSpaceMap, n_pairs
from vaxis.decoder.features import FeatureKind, band_matrix
from vaxis.decoder.inputs import INPUT_KINDS, InputStats
from vaxis.decoder.integrity import check_fields, check_graph, stamp_graph_metadata
from vaxis.decoder.preprocessing import DETRENDS, REFERENCES, Detrend, Reference
from vaxis.decoder.windows import seconds_to_samples
from vaxis.errors import BundleError

SCHEMA = "vaxis.bundle/1"
MODEL_FILE = "model.onnx"
META_FILE = "bundle.json"

#: Top-level keys bundle.json must hold.
REQUIRED_KEYS = (
    "schema", "model_id", "onnx", "inputs", "channels", "sfreq", "unit", "window", "hop",
    "preprocessing", "features", "normalisation", "classes", "valence", "provenance",
    "metrics",
)  # fmt: skip


@dataclass(frozen=True)
class InputSpec:
    """One input of the ONNX graph.

    ``kind`` is ``"features"`` (shape ``(batch, n_channels, n_bands)``: normalised band
    features), ``"raw"`` (shape ``(batch, n_channels, n_times)``: the preprocessed window
    divided by each channel's standard deviation) or ``"covariance"`` (shape
    ``(batch, n_covariance_bands, n_channels * (n_channels + 1) / 2)``: normalised tangent
    vectors of the band covariances, defined by ``features.covariance``) or ``"envelope"``
    (shape ``(batch, n_channels, n_bands)``: normalised envelope variability in the bands
    of ``features.bands``).
    """

    name: str
    kind: str
    shape: tuple


@dataclass
class Bundle:
    """A validated bundle, as the live path sees it.

    Attributes mirror ``bundle.json``; ``meta`` keeps the whole document.
    """

    path: Path
    meta: dict = field(repr=False)

    @property
    def model_path(self) -> Path:
        return self.path / MODEL_FILE

    @property
    def model_id(self) -> str:
        return self.meta["model_id"]

    @property
    def channels(self) -> list[str]:
        return list(self.meta["channels"])

    @property
    def sfreq(self) -> float:
        return float(self.meta["sfreq"])

    @property
    def unit(self) -> str:
        return self.meta["unit"]

    @property
    def window_samples(self) -> int:
        return int(self.meta["window"]["samples"])

    @property
    def hop_samples(self) -> int:
        return int(self.meta["hop"]["samples"])

    def samples_at(self, sfreq: float) -> tuple[int, int]:
        """The window and the hop in whole samples at ``sfreq``, a stream's or a recording's
        rate: the bundle's durations, rounded (windows are resampled to the bundle's rate
        before decoding)."""
        window = seconds_to_samples(self.window_samples / self.sfreq, sfreq)
        return window, seconds_to_samples(self.hop_samples / self.sfreq, sfreq)

    @property
    def classes(self) -> list[str]:
        return list(self.meta["classes"])

    @property
    def inputs(self) -> list[InputSpec]:
        return [InputSpec(i["name"], i["kind"], tuple(i["shape"])) for i in self.meta["inputs"]]

    @property
    def reference(self) -> Reference:
        return cast(Reference, self.meta["preprocessing"]["reference"])  # checked on load

    @property
    def detrend(self) -> Detrend:
        return cast(Detrend, self.meta["preprocessing"]["detrend"])  # checked on load

    @property
    def feature_kind(self) -> FeatureKind:
        return cast(FeatureKind, self.meta["features"]["kind"])  # checked on load

    @property
    def bands(self) -> dict[str, tuple[float, float]]:
        return {k: (float(v[0]), float(v[1])) for k, v in self.meta["features"]["bands"].items()}

    @property
    def kinds(self) -> tuple[str, ...]:
        """The input kinds the graph reads, each once, in the order of :attr:`inputs`."""
        return tuple(dict.fromkeys(spec.kind for spec in self.inputs))

    @property
    def covariance(self) -> dict | None:
        """``features.covariance`` (bands, shrinkage, reference), or None without a
        covariance input."""
        return self.meta["features"].get("covariance")

    def tangent_space(self) -> TangentSpaceMap | None:
        """The covariance input's :class:`TangentSpaceMap`, or None without one."""
        block = self.covariance
        return None if block is None else _tangent_space(block)

    @property
    def normalisation(self) -> dict:
        return self.meta["normalisation"]

    @property
    def valence_positions(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.meta["valence"]["positions"].items()}

    @property
    def synthetic(self) -> bool:
        return bool(self.meta["provenance"].get("synthetic", False))


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _tangent_space(block: dict) -> TangentSpaceMap:
    bands = {k: (float(v[0]), float(v[1])) for k, v in block["bands"].items()}
    return TangentSpaceMap(np.asarray(block["reference"], dtype=np.float64),
                           float(block["shrinkage"]), bands)  # fmt: skip


def _validate_covariance(meta: dict, specs: list[dict], where: str) -> None:
    """Check ``features.covariance`` and the covariance inputs against each other."""
    block = meta["features"].get("covariance")
    if block is None:
        if specs:
            raise BundleError(f"{where}: a covariance input needs features.covariance")
        return
    if not specs:
        raise BundleError(f"{where}: features.covariance given but no covariance input")
    try:
        tangent = _tangent_space(block)
        band_matrix(int(meta["window"]["samples"]), float(meta["sfreq"]), tangent.bands)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise BundleError(f"{where}: features.covariance is not usable ({err})") from None
    n_ch = len(meta["channels"])
    if tangent.n_channels != n_ch:
        raise BundleError(f"{where}: covariance reference is {tangent.n_channels} channels "
                          f"square, not {n_ch}")  # fmt: skip
    expected = [len(tangent.bands), n_pairs(n_ch)]
    for spec in specs:
        shape = list(spec.get("shape") or ())
        if len(shape) != 3 or shape[1:] != expected:
            raise BundleError(
                f"{where}: covariance input {spec.get('name')!r} shape {spec.get('shape')} is "
                f"not [batch, {expected[0]} bands, {expected[1]} channel pairs]"
            )
    try:
        prior = InputStats.from_dict(meta["normalisation"]["prior"])
    except (KeyError, TypeError, ValueError) as err:
        raise BundleError(f"{where}: normalisation.prior is not readable ({err})") from None
    for name in ("covariance_mean", "covariance_std"):
        value = getattr(prior, name)
        if value is None or list(value.shape) != expected:
            raise BundleError(f"{where}: normalisation.prior.{name} must have shape {expected}")


def validate_meta(meta: dict, where: str = META_FILE) -> None:
    """Raise :class:`BundleError` naming the first thing ``meta`` gets wrong."""
    if not isinstance(meta, dict):
        raise BundleError(f"{where}: not a JSON object")
    missing = [k for k in REQUIRED_KEYS if k not in meta]
    if missing:
        raise BundleError(f"{where}: missing keys {', '.join(missing)}")
    if meta["schema"] != SCHEMA:
        raise BundleError(f"{where}: schema {meta['schema']!r} is not {SCHEMA!r}")
    check_fields(meta, where)
    if not meta["inputs"]:
        raise BundleError(f"{where}: no inputs declared")
    n_ch = len(meta["channels"])
    for spec in meta["inputs"]:
        if spec.get("kind") not in INPUT_KINDS:
            raise BundleError(f"{where}: input kind {spec.get('kind')!r} not in {INPUT_KINDS}")
        if spec["kind"] == "covariance":
            continue
        if len(spec.get("shape", ())) != 3 or spec["shape"][1] != n_ch:
            raise BundleError(
                f"{where}: input {spec.get('name')!r} shape {spec.get('shape')} does not "
                f"match {n_ch} channels"
            )
    prep = meta["preprocessing"]
    if prep.get("reference") not in REFERENCES or prep.get("detrend") not in DETRENDS:
        raise BundleError(f"{where}: preprocessing {prep} not supported by this vaxis")
    for key in ("window", "hop"):
        if int(meta[key].get("samples", 0)) < 1:
            raise BundleError(f"{where}: {key} must hold a positive 'samples'")
    positions = meta["valence"].get("positions", {})
    if set(positions) != set(meta["classes"]):
        raise BundleError(f"{where}: valence positions do not cover the classes")
    if "sha256" not in meta["onnx"]:
        raise BundleError(f"{where}: onnx.sha256 missing")
    _validate_covariance(meta, [s for s in meta["inputs"] if s["kind"] == "covariance"], where)


def load_bundle(path: str | Path) -> Bundle:
    """Load and validate a bundle directory.

    Raises
    ------
    BundleError
        If a file is missing, ``bundle.json`` is malformed or incomplete, or
        ``model.onnx`` does not match the recorded sha256.
    """
    path = Path(path)
    meta_path, model_path = path / META_FILE, path / MODEL_FILE
    for needed in (meta_path, model_path):
        if not needed.is_file():
            raise BundleError(f"{path} is not a vaxis bundle: {needed.name} is missing")
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise BundleError(f"{meta_path}: not readable JSON ({err})") from None
    validate_meta(meta, str(meta_path))
    actual = sha256_file(model_path)
    if actual != meta["onnx"]["sha256"]:
        raise BundleError(
            f"{model_path}: sha256 {actual[:12]}… does not match bundle.json "
            f"({meta['onnx']['sha256'][:12]}…): the model was changed or corrupted"
        )
    check_graph(model_path, meta, str(meta_path))
    return Bundle(path, meta)


def write_bundle_json(path: str | Path, meta: dict) -> Path:
    """Write ``bundle.json`` beside ``model.onnx``, filling in schema and sha256.

    Validates the result, so an exporter cannot write a bundle live would refuse, and stamps
    ``model.onnx`` with it (:func:`vaxis.decoder.integrity.stamp_graph_metadata`) before
    hashing.
    """
    path = Path(path)
    meta = dict(meta)
    meta["schema"] = SCHEMA
    meta["onnx"] = {**meta.get("onnx", {}), "file": MODEL_FILE}
    meta["onnx"]["sha256"] = sha256_file(path / MODEL_FILE)
    validate_meta(meta, str(path / META_FILE))
    # The stamp ties bundle.json to the graph; the hash is then that of the stamped graph.
    stamp_graph_metadata(path / MODEL_FILE, meta)
    meta["onnx"]["sha256"] = sha256_file(path / MODEL_FILE)
    out = path / META_FILE
    out.write_text(json.dumps(meta, indent=2))
    return out
