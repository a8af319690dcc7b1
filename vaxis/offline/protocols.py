"""Evaluation protocols as named presets, so a figure can be set beside a published one.

A protocol fixes what a score depends on: the rate the EEG is resampled to, the window
(the scoring unit: every window is one scored sample) and hop, the channels, the
normalisation (scaling), the split, and how many seeds are reported (mean +- sd).
``vaxis train --protocol NAME`` applies one (``bench/protocol.py`` too); options given
explicitly on the command line still override it.

``vaxis`` (default)
    The bundle's own rate, 4-s windows every 2 s, the EEG channels without FACED's
    mastoid references, ``causal`` normalisation (what live decoding does), the FACED
    subject split scaled to the corpus, one seed.
``faced-cbramod``
    CBraMod's FACED setting (Wang et al., ICLR 2025; published 9-class balanced accuracy
    0.5509 +- 0.0089): 200 Hz, three non-overlapping 10-s samples per 30-s clip, all 32
    channels, a fixed scaling (``population``: the training subjects' statistics only, no
    statistic of a test subject), subjects sorted and split 80/20/23, five seeds.
``seedv-cbramod``
    CBraMod's SEED-V setting: 200 Hz, non-overlapping 1-s samples of whole clips, the 62
    channels, fixed scaling, and the trials of each session split 5/5/5 in order
    (train/validation/test within every subject), five seeds.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaxis.errors import ConfigError
from vaxis.offline.choices import Channels, Normalisation, ProtocolName, SplitScheme


@dataclass(frozen=True)
class Protocol:
    """One evaluation protocol.

    Attributes
    ----------
    name : {"vaxis", "faced-cbramod", "seedv-cbramod"}
    sfreq : float or None
        Rate the corpus is resampled to (None: kept).
    window_s, hop_s : float
        Scored samples: their length and spacing.
    channels : {"eeg", "all"}
        ``eeg`` drops FACED's mastoid references (A1, A2); ``all`` keeps every channel.
    normalisation : {"causal", "subject", "population"}
    split : {"faced", "kfold", "session-trials"}
        ``session-trials``: within each subject, each session's trials in order split
        5/5/5 into train, validation and test.
    seeds : int
    source : str
        Where the published figure it mirrors comes from.
    """

    name: ProtocolName
    sfreq: float | None
    window_s: float
    hop_s: float
    channels: Channels
    normalisation: Normalisation
    split: SplitScheme
    seeds: int
    source: str = ""

    def settings(self) -> dict:
        """The :class:`~vaxis.offline.train.TrainConfig` fields this protocol fixes."""
        return {
            "protocol": self.name, "resample": self.sfreq, "window_s": self.window_s,
            "hop_s": self.hop_s, "channels": self.channels,
            "normalisation": self.normalisation, "split": self.split, "seeds": self.seeds,
        }  # fmt: skip


PROTOCOLS: dict[str, Protocol] = {
    "vaxis": Protocol("vaxis", None, 4.0, 2.0, "eeg", "causal", "faced", 1,
                      "vaxis's own setting: what the live decoder does"),
    "faced-cbramod": Protocol(
        "faced-cbramod", 200.0, 10.0, 10.0, "all", "population", "faced", 5,
        "CBraMod (Wang et al., ICLR 2025), FACED 9-class: balanced accuracy 0.5509 +- 0.0089",
    ),
    "seedv-cbramod": Protocol(
        "seedv-cbramod", 200.0, 1.0, 1.0, "all", "population", "session-trials", 5,
        "CBraMod (Wang et al., ICLR 2025), SEED-V 5-class: balanced accuracy 0.4091 +- 0.0097",
    ),
}  # fmt: skip


def get_protocol(name: str) -> Protocol:
    """The preset called ``name``; a :class:`ConfigError` lists the known ones."""
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise ConfigError(f"unknown protocol {name!r}; expected one of {list(PROTOCOLS)}") from None
