"""Participant profiles: what a calibration session learned, applied by live and replay.

A profile is a directory (``profiles/ID/``) holding ``profile.json`` and, when calibration
re-fitted a model part, ``model.onnx`` (a whole replacement graph with the bundle's inputs
and outputs). ``profile.json`` (schema ``vaxis.profile/1``):

``participant``
    The participant id.
``bundle``
    ``{"model_id", "sha256"}`` of the bundle it was calibrated against; a profile is refused
    with any other bundle.
``normalisation``
    :class:`~vaxis.decoder.inputs.InputStats` as a dict: the participant's statistics of each
    input kind of the bundle (a profile written before a kind existed lacks its keys).
``model``
    ``null`` or ``{"file": "model.onnx", "sha256": ...}``.
``metrics``, ``created``, ``synthetic``
    Balanced accuracy before/after adaptation, creation time, data provenance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from vaxis.decoder.bundle import Bundle, sha256_file
from vaxis.decoder.inputs import InputStats
from vaxis.decoder.integrity import check_model_signature, rehearse
from vaxis.decoder.pipeline import Decoder
from vaxis.errors import ProfileError

SCHEMA = "vaxis.profile/1"
META_FILE = "profile.json"
MODEL_FILE = "model.onnx"


@dataclass
class Profile:
    """A participant's calibration result.

    Attributes
    ----------
    participant : str
    bundle_model_id, bundle_sha256 : str
        The bundle the profile belongs to.
    stats : InputStats
        The participant's input statistics.
    model_path : Path or None
        A re-fitted graph replacing the bundle's, when calibration changed a model part.
    metrics : dict
    synthetic : bool
    """

    participant: str
    bundle_model_id: str
    bundle_sha256: str
    stats: InputStats
    model_path: Path | None = None
    metrics: dict = field(default_factory=dict)
    synthetic: bool = False
    created: str = ""

    def check_bundle(self, bundle: Bundle) -> None:
        """Refuse a bundle other than the one this profile was calibrated against."""
        if bundle.meta["onnx"]["sha256"] != self.bundle_sha256:
            raise ProfileError(
                f"profile of {self.participant!r} was calibrated against bundle "
                f"{self.bundle_model_id!r} ({self.bundle_sha256[:12]}…), not "
                f"{bundle.model_id!r} ({bundle.meta['onnx']['sha256'][:12]}…)"
            )
        if self.model_path is not None:
            check_model_signature(self.model_path, bundle.meta)


def save_profile(profile: Profile, path: str | Path) -> Path:
    """Write ``profile.json`` into directory ``path``; a model must already sit there."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    model = None
    if profile.model_path is not None:
        model_file = Path(profile.model_path)
        if model_file.resolve() != (path / MODEL_FILE).resolve():
            raise ProfileError(f"profile model must be {path / MODEL_FILE}, got {model_file}")
        model = {"file": MODEL_FILE, "sha256": sha256_file(model_file)}
    meta = {
        "schema": SCHEMA,
        "participant": profile.participant,
        "bundle": {"model_id": profile.bundle_model_id, "sha256": profile.bundle_sha256},
        "normalisation": profile.stats.to_dict(),
        "model": model,
        "metrics": profile.metrics,
        "synthetic": profile.synthetic,
        "created": profile.created,
    }
    out = path / META_FILE
    out.write_text(json.dumps(meta, indent=2) + "\n")
    return out


def load_profile(path: str | Path) -> Profile:
    """Read a profile directory (or its ``profile.json``), checking the model's sha256."""
    path = Path(path)
    if path.is_file():
        path = path.parent
    meta_path = path / META_FILE
    try:
        meta = json.loads(meta_path.read_text())
    except FileNotFoundError:
        raise ProfileError(f"{path} is not a vaxis profile: {META_FILE} is missing") from None
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ProfileError(f"{meta_path}: not readable JSON ({err})") from None
    if not isinstance(meta, dict) or meta.get("schema") != SCHEMA:
        raise ProfileError(f"{meta_path}: schema is not {SCHEMA!r}")
    try:
        stats = InputStats.from_dict(meta["normalisation"])
        bundle = meta["bundle"]
        model_path = None
        if meta.get("model"):
            model_path = path / meta["model"]["file"]
            if not model_path.is_file() or sha256_file(model_path) != meta["model"]["sha256"]:
                raise ProfileError(f"{model_path}: missing or does not match profile.json sha256")
        return Profile(
            participant=str(meta["participant"]),
            bundle_model_id=str(bundle["model_id"]),
            bundle_sha256=str(bundle["sha256"]),
            stats=stats,
            model_path=model_path,
            metrics=dict(meta.get("metrics") or {}),
            synthetic=bool(meta.get("synthetic", False)),
            created=str(meta.get("created", "")),
        )
    except ProfileError:
        raise  # already says what is wrong (a ProfileError is also a ValueError)
    except (KeyError, TypeError, ValueError) as err:
        raise ProfileError(f"{meta_path}: malformed profile ({err!r})") from None


def profiled_decoder(
    bundle: Bundle, profile: str | Path | None = None, threads: int = 1
) -> Decoder:
    """A rehearsed decoder of ``bundle``, with a participant's profile applied if given.

    Parameters
    ----------
    bundle : Bundle
    profile : path, optional
        A profile directory (or its ``profile.json``): its statistics, and its model when
        calibration re-fitted one, replace the bundle's. A profile calibrated against
        another bundle is refused (:class:`~vaxis.errors.ProfileError`).
    threads : int
        onnxruntime intra-op threads.

    Returns
    -------
    decoder : Decoder
        Already run on one flat window, so that a bundle (or profile) that cannot decode
        is refused here rather than at the first window.
    """
    stats, model = None, None
    if profile:
        loaded = load_profile(profile)
        loaded.check_bundle(bundle)
        stats, model = loaded.stats, loaded.model_path
    decoder = Decoder(bundle, stats=stats, model=model, threads=threads)
    rehearse(decoder, len(bundle.channels), bundle.window_samples)
    return decoder
