"""Bundle integrity: every field of ``bundle.json`` checked at load, and the document tied
to its graph.

At export, :func:`stamp_graph_metadata` writes into ``model.onnx``'s ``metadata_props``
the class names in output order (``vaxis.classes``) and the whole ``bundle.json`` as
exported (``vaxis.bundle``; all of it but ``onnx.sha256``, which is the hash of the stamped
file itself). The sha256 recorded in ``bundle.json`` then covers the graph and, through the
stamp, every field of ``bundle.json``: at load, :func:`check_graph` refuses a ``bundle.json``
that differs from its stamp (two classes swapped, a prior or a band edited) and names what
differs, and compares the graph's own inputs and outputs (names, ranks, sizes) with what
``bundle.json`` declares. :func:`check_fields` validates every field the live path reads, so
that nothing fails at the first window that could have failed at start-up;
:func:`rehearse` then runs one window through a decoder at start-up.

A bundle exported before stamps existed has no ``vaxis.bundle`` entry: it still loads (its
graph inputs and outputs are checked), with a warning that its ``bundle.json`` cannot be
checked against the graph; exporting it again stamps it.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

import numpy as np

from vaxis.decoder.features import FEATURE_KINDS, band_matrix, envelope_fits, sub_window_samples
from vaxis.decoder.inputs import InputStats
from vaxis.decoder.onnx_graph import FLOAT, OnnxFormatError, read_signature, write_metadata
from vaxis.errors import BundleError

log = logging.getLogger(__name__)

STAMP_PREFIX = "vaxis."
CLASSES_KEY = "vaxis.classes"
BUNDLE_KEY = "vaxis.bundle"
OUTPUTS = ("probs", "valence")
#: Unstamped bundles already warned about in this process (live and replay load a bundle
#: more than once).
_warned_unstamped: set[str] = set()


def _stamped_meta(meta: Mapping) -> dict:
    """``meta`` as stamped: everything but ``onnx.sha256`` (the hash of the stamped file),
    as plain JSON values."""
    return json.loads(json.dumps(_unhashed(meta)))


def _unhashed(meta: Mapping) -> dict:
    """A shallow copy of ``meta`` without ``onnx.sha256``."""
    out = dict(meta)
    if isinstance(out.get("onnx"), Mapping):
        out["onnx"] = {k: v for k, v in out["onnx"].items() if k != "sha256"}
    return out


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def stamp_graph_metadata(model_path: str | Path, meta: Mapping) -> None:
    """Record the class names and the whole of ``meta`` in ``model_path``'s metadata.

    The exporter calls it after writing ``model.onnx`` and before hashing it
    (:func:`vaxis.decoder.bundle.write_bundle_json` does both). Stamping again replaces the
    earlier stamp.

    Raises
    ------
    BundleError
        If ``model_path`` is not an ONNX model.
    """
    entries = {
        CLASSES_KEY: json.dumps(list(meta["classes"])),
        BUNDLE_KEY: _canonical(_stamped_meta(meta)),
    }
    try:
        write_metadata(model_path, entries, STAMP_PREFIX)
    except (OSError, OnnxFormatError) as err:
        raise BundleError(f"{model_path}: cannot stamp the graph: {err}") from None


def _differences(ours, theirs, prefix: str = "") -> list[str]:
    """Dotted paths where two JSON documents differ."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        out = []
        for key in sorted(set(ours) | set(theirs), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            if key not in ours or key not in theirs:
                out.append(path)
            else:
                out += _differences(ours[key], theirs[key], path)
        return out
    return [] if _canonical(ours) == _canonical(theirs) else [prefix or "(whole document)"]


def check_graph(model_path: str | Path, meta: Mapping, where: str) -> bool:
    """Check ``model_path`` against ``meta``; return whether the graph carries a stamp.

    Raises
    ------
    BundleError
        If the file is not an ONNX model, its inputs or outputs disagree with ``meta``, or
        ``meta`` differs from the stamp recorded at export.
    """
    signature = check_model_signature(model_path, meta)
    stamp = signature.metadata.get(BUNDLE_KEY)
    if stamp is None:
        if where in _warned_unstamped:
            return False
        _warned_unstamped.add(where)
        log.warning(
            "%s: bundle.json is not stamped in model.onnx (exported by an earlier vaxis): its "
            "class order cannot be checked against the graph; export the bundle again to "
            "stamp it",
            where,
        )
        return False
    try:
        exported = json.loads(stamp)
        stamped_classes = json.loads(signature.metadata.get(CLASSES_KEY, "null"))
    except json.JSONDecodeError:
        raise BundleError(f"{model_path}: the stamp in the graph's metadata is corrupt") from None
    if stamped_classes is not None and list(meta["classes"]) != stamped_classes:
        raise BundleError(
            f"{where}: classes {list(meta['classes'])} do not match the graph's outputs, "
            f"exported as {stamped_classes}: every prediction would be mislabelled"
        )
    ours = _unhashed(meta)
    # Equal values are the common case, and comparing them takes 0.1 ms where walking the
    # documents for the paths that differ took 20 ms of every load.
    changed = [] if ours == exported else _differences(ours, exported)
    if changed:
        shown = ", ".join(changed[:6]) + (
            f" and {len(changed) - 6} more" if len(changed) > 6 else ""
        )
        raise BundleError(
            f"{where}: differs from the bundle.json exported with model.onnx (stamped in its "
            f"metadata) at {shown}: edited after export? export the bundle again"
        )
    return True


def check_model_signature(model_path: str | Path, meta: Mapping):
    """Read ``model_path``'s inputs and outputs and check them against ``meta`` (a bundle's
    graph, or a profile's replacement for it); return its
    :class:`~vaxis.decoder.onnx_graph.GraphSignature`."""
    try:
        signature = read_signature(model_path)
    except (OSError, OnnxFormatError) as err:
        raise BundleError(f"{model_path}: not a readable ONNX model ({err})") from None
    check_signature(signature.inputs, signature.outputs, meta, str(model_path))
    return signature


def check_signature(inputs, outputs, meta: Mapping, where: str) -> None:
    """Compare a graph's inputs and outputs (:class:`~vaxis.decoder.onnx_graph.TensorInfo`)
    with what ``meta`` declares; raise :class:`BundleError` naming the first mismatch."""
    declared = {spec["name"]: spec for spec in meta["inputs"]}
    found = {info.name: info for info in inputs}
    if set(declared) != set(found):
        raise BundleError(
            f"{where}: graph inputs {sorted(found)} do not match bundle.json's inputs "
            f"{sorted(declared)}"
        )
    for name, spec in declared.items():
        _check_tensor(found[name], [None, *spec["shape"][1:]], f"{where}: input {name!r}")
    produced = {info.name: info for info in outputs}
    missing = [name for name in OUTPUTS if name not in produced]
    if missing:
        raise BundleError(f"{where}: the graph has no output {', '.join(map(repr, missing))}")
    _check_tensor(produced["probs"], [None, len(meta["classes"])], f"{where}: output 'probs'")
    valence = produced["valence"]
    if len(valence.shape) == 2:
        _check_tensor(valence, [None, 1], f"{where}: output 'valence'")
    else:
        _check_tensor(valence, [None], f"{where}: output 'valence'")


def _check_tensor(info, expected: list, what: str) -> None:
    if info.elem_type != FLOAT:
        raise BundleError(f"{what} is not float32 (ONNX element type {info.elem_type})")
    if len(info.shape) != len(expected):
        raise BundleError(f"{what} has rank {len(info.shape)}, bundle.json implies {len(expected)}")
    for axis, (dim, want) in enumerate(zip(info.shape, expected, strict=True)):
        if isinstance(dim, int) and want is not None and dim != want:
            shape = tuple(d if isinstance(d, int) else "?" for d in info.shape)
            raise BundleError(
                f"{what} has shape {shape} in the graph, but bundle.json implies {want} on "
                f"axis {axis}"
            )


# -- fields -----------------------------------------------------------------------------


def _fail(where: str, key: str, problem: str) -> NoReturn:
    raise BundleError(f"{where}: {key} {problem}")


def _dict(parent: Mapping, key: str, where: str, label: str | None = None) -> Mapping:
    value = parent.get(key)
    if not isinstance(value, dict):
        _fail(where, label or key, f"must be an object, found {type(value).__name__}")
    return value


def _number(value, key: str, where: str, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        _fail(where, key, f"must be a finite number, found {value!r:.40}")
    if positive and value <= 0:
        _fail(where, key, f"must be positive, found {value!r}")
    return float(value)


def _integer(value, key: str, where: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        _fail(where, key, f"must be an integer >= {least}, found {value!r:.40}")
    return value


def _names(value, key: str, where: str) -> list[str]:
    if not isinstance(value, list) or not value:
        _fail(where, key, "must be a non-empty list of names")
    if not all(isinstance(v, str) and v.strip() for v in value):
        _fail(where, key, "must hold non-empty strings only")
    if len(set(value)) != len(value):
        doubled = sorted({v for v in value if value.count(v) > 1})
        _fail(where, key, f"names {doubled} more than once")
    return value


def check_fields(meta: Mapping, where: str) -> None:
    """Validate every field of ``bundle.json`` the live path reads.

    Called by :func:`vaxis.decoder.bundle.validate_meta` once the top-level keys are known
    to be present. Raises :class:`BundleError` naming the field and what is wrong with it.
    """
    channels, sfreq, samples = _check_header(meta, where)
    _check_input_specs(meta, where)
    prep = _dict(meta, "preprocessing", where)
    for key in ("reference", "detrend"):
        if key not in prep:
            _fail(where, f"preprocessing.{key}", "is missing")
    bands = _check_features(meta, where, samples["window"], sfreq)
    _check_input_axes(meta["inputs"], len(bands), samples["window"], where)
    _check_prior(meta, where, channels, bands, samples["window"], sfreq)
    valence = _dict(meta, "valence", where)
    positions = _dict(valence, "positions", where, "valence.positions")
    for cls, value in positions.items():
        _number(value, f"valence.positions.{cls}", where)
    _dict(meta, "provenance", where)


def _check_header(meta: Mapping, where: str) -> tuple[list[str], float, dict[str, int]]:
    """The model id, channels, classes, rate, unit, window and hop, and the ONNX hash;
    returns the channels, the rate and the window and hop in samples."""
    if not isinstance(meta.get("model_id"), str) or not meta["model_id"]:
        _fail(where, "model_id", "must be a non-empty string")
    channels = _names(meta["channels"], "channels", where)
    _names(meta["classes"], "classes", where)
    sfreq = _number(meta["sfreq"], "sfreq", where, positive=True)
    if not isinstance(meta["unit"], str):
        _fail(where, "unit", "must be a string")
    samples = {}
    for key in ("window", "hop"):
        _dict(meta, key, where)
        samples[key] = _integer(meta[key].get("samples"), f"{key}.samples", where, 1)
    onnx = _dict(meta, "onnx", where)
    sha = onnx.get("sha256")
    if sha is not None and not (isinstance(sha, str) and len(sha) == 64):
        _fail(where, "onnx.sha256", "must be 64 hexadecimal digits")
    return channels, sfreq, samples


def _check_input_specs(meta: Mapping, where: str) -> None:
    """``inputs``: a list of objects with distinct names and shapes of positive sizes."""
    if not isinstance(meta["inputs"], list) or not all(isinstance(s, dict) for s in meta["inputs"]):
        _fail(where, "inputs", "must be a list of objects")
    names = [spec.get("name") for spec in meta["inputs"]]
    if meta["inputs"]:
        _names(names, "inputs[].name", where)
    for spec in meta["inputs"]:
        shape = spec.get("shape")
        if not isinstance(shape, list) or not all(
            d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0) for d in shape
        ):
            _fail(where, f"inputs[{spec['name']!r}].shape", "must be a list of sizes (null: any)")


def _check_features(meta: Mapping, where: str, window: int, sfreq: float) -> Mapping:
    """The feature kind and the bands, which must fit the bundle's windows; returns the
    bands."""
    features = _dict(meta, "features", where)
    if features.get("kind") not in FEATURE_KINDS:
        _fail(
            where,
            "features.kind",
            f"must be one of {FEATURE_KINDS}, found {features.get('kind')!r}",
        )
    bands = _dict(features, "bands", where, "features.bands")
    if not bands:
        _fail(where, "features.bands", "is empty")
    for band, edges in bands.items():
        if not (isinstance(edges, list) and len(edges) == 2):
            _fail(where, f"features.bands.{band}", "must be [low, high] in Hz")
        for edge in edges:
            _number(edge, f"features.bands.{band}", where)
    try:
        band_matrix(window, sfreq, {k: tuple(v) for k, v in bands.items()})
    except ValueError as err:
        _fail(where, "features.bands", f"cannot be computed on the bundle's windows: {err}")
    return bands


def _check_input_axes(specs: list, n_bands: int, window: int, where: str) -> None:
    """Axis 2 of each input is its band count or, for raw input, the window's samples."""
    for spec in specs:
        third = {"features": n_bands, "envelope": n_bands, "raw": window}.get(spec.get("kind"))
        shape = spec["shape"]
        if third is not None and len(shape) == 3 and shape[2] not in (None, third):
            _fail(where, f"inputs[{spec['name']!r}].shape", f"{shape}: axis 2 must be {third}")


def _check_prior(
    meta: Mapping, where: str, channels: list[str], bands: Mapping, window: int, sfreq: float
) -> None:
    """``normalisation``: a warm-up count and a finite prior, of the right shape, for every
    input kind the bundle feeds."""
    norm = _dict(meta, "normalisation", where)
    _integer(norm.get("warmup"), "normalisation.warmup", where, 0)
    prior = _dict(norm, "prior", where, "normalisation.prior")
    try:
        stats = InputStats.from_dict(prior)
    except (KeyError, TypeError, ValueError) as err:
        _fail(where, "normalisation.prior", f"is incomplete or malformed ({err!s:.80})")
    kinds = {spec.get("kind") for spec in meta["inputs"]}
    expected: dict[str, tuple[int, ...]] = {}
    if "features" in kinds:
        expected["feature_mean"] = expected["feature_std"] = (len(channels), len(bands))
    if "envelope" in kinds:
        _check_envelope(window, sfreq, bands, where)
        expected["envelope_mean"] = expected["envelope_std"] = (len(channels), len(bands))
    if "raw" in kinds:
        expected["raw_std"] = (len(channels),)
    for key, shape in expected.items():
        value = getattr(stats, key)
        if value is None:
            _fail(where, f"normalisation.prior.{key}", "is missing")
        if value.shape != shape:
            _fail(where, f"normalisation.prior.{key}", f"has shape {value.shape}, not {shape}")
        spread = not key.endswith("_mean")
        if not np.isfinite(value).all() or (spread and (value < 0).any()):
            _fail(where, f"normalisation.prior.{key}", "must be finite (and spreads >= 0)")


def _check_envelope(window: int, sfreq: float, bands: Mapping, where: str) -> None:
    """The envelope input needs two sub-windows per window, each with a bin in every band."""
    sub = sub_window_samples(sfreq)
    if not envelope_fits(window, sfreq):
        _fail(where, "window.samples", f"{window} holds fewer than two envelope sub-windows "
              f"of {sub} samples")  # fmt: skip
    try:
        band_matrix(sub, sfreq, {k: tuple(v) for k, v in bands.items()})
    except ValueError as err:
        _fail(where, "features.bands", f"cannot be computed on envelope sub-windows: {err}")


def rehearse(decoder, n_channels: int, n_times: int) -> None:
    """Run one flat window through ``decoder`` (a :class:`~vaxis.decoder.pipeline.Decoder`),
    so a bundle that cannot decode is refused at start-up rather than at the first window.
    A flat window is invalid, so it never reaches the running statistics."""
    try:
        decoder.decode(np.zeros((1, n_channels, n_times), np.float32))
    except Exception as err:  # noqa: BLE001 - whatever the graph or features raise
        raise BundleError(
            f"the bundle (with its profile, if any) cannot decode a window "
            f"({type(err).__name__}: {err!s:.200})"
        ) from None
