"""Windows on sample counts."""

from __future__ import annotations

import numpy as np
import pytest

from vaxis.decoder.windows import cut, n_windows, seconds_to_samples, window_starts


@pytest.mark.parametrize(
    ("n_times", "window", "hop", "count"),
    [(1000, 250, 250, 4), (1000, 250, 125, 7), (1001, 250, 250, 4), (249, 250, 50, 0),
     (250, 250, 10, 1)],
)  # fmt: skip
def test_window_counts(n_times, window, hop, count):
    assert n_windows(n_times, window, hop) == count
    np.testing.assert_array_equal(window_starts(n_times, window, hop), np.arange(count) * hop)


@pytest.mark.parametrize(("window", "hop"), [(0, 10), (10, 0), (-5, 5)])
def test_window_and_hop_must_be_positive(window, hop):
    with pytest.raises(ValueError, match="must be positive"):
        n_windows(100, window, hop)


def test_cut_values_shape_and_read_only_view():
    x = np.arange(2 * 3 * 1000, dtype=np.float32).reshape(2, 3, 1000)
    windows = cut(x, 250, 125)
    assert windows.shape == (2, 3, 7, 250)
    for i in range(7):
        np.testing.assert_array_equal(windows[:, :, i], x[:, :, i * 125 : i * 125 + 250])
    assert np.shares_memory(windows, x)
    assert not windows.flags.writeable


def test_cut_of_a_short_signal_is_empty():
    windows = cut(np.zeros((4, 100)), 250, 250)
    assert windows.shape == (4, 0, 250)


def test_seconds_to_samples():
    assert seconds_to_samples(4.0, 250.0) == 1000
    assert seconds_to_samples(0.5, 256.0) == 128
    with pytest.raises(ValueError, match="shorter than one sample"):
        seconds_to_samples(0.001, 250.0)
