"""Readers for FACED's published layouts: ``Processed_data`` and ``EEG_Features/DE``.

Both are directories of per-subject pickles (``subNNN.pkl``; the DE files are
``subNNN.pkl.pkl`` in the release). Every file is read with :func:`vaxis.safe_pickle.load_array`,
which admits numpy arrays only: nothing in a file is ever executed. Subjects are read on
demand; each load checks shape, dtype and finiteness and names the file when it fails.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import numpy as np

from vaxis.decoder.channels import FACED_CHANNELS, FACED_EEG_CHANNELS
from vaxis.decoder.faced import FACED_CLASSES, FACED_CLIP_LABELS
from vaxis.decoder.features import BANDS
from vaxis.errors import DataError
from vaxis.offline.corpus.base import Corpus, DataKind, Subject
from vaxis.safe_pickle import FACED_MAX_CLIP_S, load_array

PROVENANCE_FILE = "vaxis_provenance.json"
SFREQ = 250.0
N_CLIPS = len(FACED_CLIP_LABELS)

#: Named orders of the 32 rows of a FACED array. ``mastoids-last`` (the default,
#: :data:`vaxis.decoder.channels.FACED_CHANNELS`) follows the FACED release's loader;
#: ``mastoids-after-t8`` is the order some third-party loaders use.
CHANNEL_ORDERS: dict[str, tuple[str, ...]] = {
    "mastoids-last": FACED_CHANNELS,
    "mastoids-after-t8": FACED_EEG_CHANNELS[:16] + ("A1", "A2") + FACED_EEG_CHANNELS[16:],
}

_SUBJECT = re.compile(r"^(sub\d+)\.pkl(\.pkl)?$")


def channel_order(spec: str | Sequence[str] | None) -> list[str]:
    """Resolve ``--channel-order``: a name from :data:`CHANNEL_ORDERS` or 32 comma-separated
    channel names."""
    if spec is None:
        return list(FACED_CHANNELS)
    if isinstance(spec, str):
        if spec in CHANNEL_ORDERS:
            return list(CHANNEL_ORDERS[spec])
        spec = [name.strip() for name in spec.split(",") if name.strip()]
    names = list(spec)
    if len(names) != len(FACED_CHANNELS) or len(set(names)) != len(names):
        raise DataError(
            f"a FACED channel order needs 32 distinct names or one of "
            f"{', '.join(CHANNEL_ORDERS)}; got {len(names)} names"
        )
    return names


def read_provenance(path: Path) -> dict:
    """The ``vaxis_provenance.json`` at or up to two levels above ``path``, else ``{}``."""
    for folder in (path, *list(path.parents)[:2]):
        candidate = folder / PROVENANCE_FILE
        if candidate.is_file():
            try:
                return json.loads(candidate.read_text())
            except (OSError, json.JSONDecodeError) as err:
                raise DataError(f"{candidate}: unreadable provenance ({err})") from None
    return {}


def _subject_files(folder: Path, de: bool) -> list[tuple[str, Path]]:
    found: dict[str, Path] = {}
    for file in folder.iterdir():
        match = _SUBJECT.match(file.name)
        if match and file.is_file():
            # The DE release doubles the suffix; prefer it there, the single one for raw.
            if match.group(1) not in found or bool(match.group(2)) == de:
                found[match.group(1)] = file
    if not found:
        raise DataError(f"{folder}: no subNNN.pkl files found")
    return sorted(found.items(), key=lambda item: int(item[0][3:]))


def _checked(path: Path, expected: tuple[int | None, ...], what: str, longest: int) -> np.ndarray:
    """Load one subject file; ``longest`` bounds the free (time) axis before allocation."""
    bound = tuple(longest if e is None else e for e in expected)
    array = load_array(path, int(np.prod(bound)), f"the FACED layout {bound}")
    shape_ok = array.ndim == len(expected) and all(
        e is None or e == s for e, s in zip(expected, array.shape, strict=False)
    )
    wanted = " x ".join("any" if e is None else str(e) for e in expected)
    if not shape_ok:
        raise DataError(f"{path}: expected {what} of shape ({wanted}), got {array.shape}")
    if not np.issubdtype(array.dtype, np.floating) and not np.issubdtype(array.dtype, np.integer):
        raise DataError(f"{path}: expected a numeric array, got dtype {array.dtype}")
    if not np.isfinite(array).all():
        bad = int(np.size(array) - np.isfinite(array).sum())
        raise DataError(f"{path}: {bad} NaN/Inf values in {what}")
    return np.asarray(array, dtype=np.float32)


def _corpus(folder: Path, kind: DataKind, channels: list[str], de: bool) -> Corpus:
    if not folder.is_dir():
        raise DataError(f"{folder}: not a directory")
    provenance = read_provenance(folder)
    n_ch = len(channels)
    sfreq = 1.0 if de else float(provenance.get("sfreq", SFREQ))
    longest = int(np.ceil(FACED_MAX_CLIP_S * sfreq))
    expected: tuple[int | None, ...]
    if de:
        expected, what = (N_CLIPS, n_ch, None, len(BANDS)), "(clips, channels, seconds, bands) DE"
    else:
        expected, what = (N_CLIPS, n_ch, None), "(clips, channels, samples) EEG"
    subjects = [
        Subject(
            subject_id,
            FACED_CLIP_LABELS.copy(),
            np.arange(N_CLIPS),
            partial(_checked, file, expected, what, longest),
        )
        for subject_id, file in _subject_files(folder, de)
    ]
    return Corpus(
        name="faced",
        kind=kind,
        channels=channels,
        sfreq=sfreq,
        classes=list(FACED_CLASSES),
        subjects=subjects,
        unit="uV",
        bands=dict(BANDS) if de else None,
        provenance={
            "synthetic": False,
            "source": str(folder),
            "format": "faced-de" if de else "faced-processed",
            **provenance,
        },
    )


def read_faced_processed(path: str | Path, channels: str | Sequence[str] | None = None) -> Corpus:
    """FACED ``Processed_data``: per subject (28 clips, 32 channels, samples) at 250 Hz, uV.

    Parameters
    ----------
    path : path
        The ``Processed_data`` folder, or the release root holding it.
    channels : str or list of str, optional
        The order of the 32 rows (see :func:`channel_order`).
    """
    path = Path(path)
    folder = path / "Processed_data" if (path / "Processed_data").is_dir() else path
    return _corpus(folder, "raw", channel_order(channels), de=False)


def read_faced_de(path: str | Path, channels: str | Sequence[str] | None = None) -> Corpus:
    """FACED ``EEG_Features/DE``: per subject (28 clips, 32 channels, seconds, 5 bands).

    Per-second differential entropy in delta 1-4, theta 4-8, alpha 8-14, beta 14-30 and
    gamma 30-47 Hz.
    """
    path = Path(path)
    for sub in ("EEG_Features/DE", "DE"):
        if (path / sub).is_dir():
            path = path / sub
            break
    return _corpus(path, "de", channel_order(channels), de=True)
