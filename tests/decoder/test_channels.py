import pytest

from vaxis.decoder.channels import FACED_CHANNELS, canonical, match_channels
from vaxis.errors import StreamError


def test_faced_montage_has_32_unique_channels_mastoids_last():
    assert len(FACED_CHANNELS) == 32
    assert len({canonical(c) for c in FACED_CHANNELS}) == 32
    assert FACED_CHANNELS[-2:] == ("A1", "A2")


def test_match_is_case_insensitive_with_1020_aliases_and_ignores_extras():
    available = ["EEG T3", "t4", "T5", "T6", "fp1", "Trigger", "Cz"]
    assert match_channels(available, ["T7", "T8", "P7", "P8", "Fp1", "CZ"]) == [0, 1, 2, 3, 4, 6]


def test_missing_channels_are_all_listed():
    with pytest.raises(StreamError, match="missing channels O1, O2"):
        match_channels(["Fp1", "Fp2"], ["Fp1", "O1", "O2"])
