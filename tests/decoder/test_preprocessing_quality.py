import numpy as np
from scipy import signal

from vaxis.decoder.preprocessing import preprocess
from vaxis.decoder.quality import QualityLimits, check_windows


def test_average_reference_and_linear_detrend():
    rng = np.random.default_rng(0)
    t = np.arange(500) / 250
    x = rng.standard_normal((3, 4, 500)) + 40.0 + 7.0 * t  # offset and drift
    out = preprocess(x, reference="average", detrend="linear")
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.sum(axis=1), 0.0, atol=1e-3)
    slope = np.polyfit(t, out[0, 0], 1)[0]
    assert abs(slope) < 1e-3
    # The closed form equals scipy's least-squares line removal.
    referenced = (x - x.mean(axis=1, keepdims=True)).astype(np.float32)
    expected = signal.detrend(referenced, axis=-1, type="linear")
    np.testing.assert_allclose(out, expected, atol=2e-5)


def test_no_reference_keeps_channel_differences():
    x = np.ones((1, 2, 100))
    x[0, 1] += np.sin(np.arange(100))
    out = preprocess(x, reference="none", detrend="constant")
    assert np.allclose(out[0, 0], 0) and not np.allclose(out[0, 1], 0)


def test_quality_reasons_name_channels():
    rng = np.random.default_rng(1)
    windows = rng.standard_normal((4, 3, 200)) * 10
    windows[1, 2, 5] = np.nan
    windows[2, 0] = 3.0  # flat
    windows[3, 1, 10] = 5000.0  # saturated
    valid, reasons = check_windows(windows, ["Fz", "Cz", "Pz"], QualityLimits())
    assert valid.tolist() == [True, False, False, False]
    assert reasons[0] is None
    assert reasons[1] == "non-finite: Pz"
    assert reasons[2] == "flat: Fz"
    assert reasons[3] == "saturated: Cz"
