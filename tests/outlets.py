"""An EEG outlet on loopback, as an amplifier's LSL app would declare it."""

import pylsl

from vaxis.decoder.channels import FACED_CHANNELS


def make_outlet(name, channels=FACED_CHANNELS, unit="microvolts", source_id=None, fs=250.0):
    """A float32 EEG outlet with labelled channels and units, pushing chunks of 10."""
    info = pylsl.StreamInfo(name, "EEG", len(channels), fs, "float32", source_id or "")
    chans = info.desc().append_child("channels")
    for label in channels:
        ch = chans.append_child("channel")
        ch.append_child_value("label", label)
        ch.append_child_value("unit", unit)
    return pylsl.StreamOutlet(info, 10)
