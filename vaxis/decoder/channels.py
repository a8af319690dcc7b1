"""Channel names: the FACED montage, 10-20 aliases and matching a stream to a bundle."""

from __future__ import annotations

from collections.abc import Sequence

from vaxis.errors import StreamError

#: The 30 EEG channels of FACED in the order of ``Processed_data`` arrays.
FACED_EEG_CHANNELS: tuple[str, ...] = (
    "Fp1", "Fp2", "Fz", "F3", "F4", "F7", "F8", "FC1", "FC2", "FC5", "FC6",
    "Cz", "C3", "C4", "T7", "T8", "CP1", "CP2", "CP5", "CP6", "Pz", "P3", "P4",
    "P7", "P8", "PO3", "PO4", "Oz", "O1", "O2",
)  # fmt: skip

#: The 32 rows of a FACED ``Processed_data`` array. The FACED release's own loader
#: (``Preprocessing/`` in the Synapse repository) lists the mastoids last; some third-party
#: loaders put them after T8. Override with ``--channel-order`` or by passing
#: ``channels=`` to the readers when your copy differs.
FACED_CHANNELS: tuple[str, ...] = FACED_EEG_CHANNELS + ("A1", "A2")

#: The mastoid reference channels, excluded from decoding.
FACED_REFERENCE_CHANNELS: tuple[str, ...] = ("A1", "A2")

#: Old 10-20 names and common spellings mapped to the 10-10 names used here.
ALIASES: dict[str, str] = {
    "t3": "t7",
    "t4": "t8",
    "t5": "p7",
    "t6": "p8",
    "m1": "a1",
    "m2": "a2",
    "fpz": "fpz",
}


def canonical(name: str) -> str:
    """Return the case-folded 10-10 name of a channel (``"T3"`` -> ``"t7"``)."""
    key = name.strip().lower().removeprefix("eeg ").replace("-ref", "").strip()
    return ALIASES.get(key, key)


def match_channels(available: Sequence[str], wanted: Sequence[str]) -> list[int]:
    """Indices into ``available`` of each channel in ``wanted``, matched by name.

    Matching is case-insensitive and honours :data:`ALIASES`; extra channels in
    ``available`` are ignored.

    Raises
    ------
    StreamError
        If any wanted channel is missing; the message lists all of them.
    """
    index: dict[str, int] = {}
    for i, name in enumerate(available):
        index.setdefault(canonical(name), i)
    missing = [name for name in wanted if canonical(name) not in index]
    if missing:
        raise StreamError(
            f"missing channels {', '.join(missing)} (the stream has {', '.join(available)})"
        )
    return [index[canonical(name)] for name in wanted]
