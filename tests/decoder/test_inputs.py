import numpy as np
import pytest

from vaxis.decoder.covariance import TangentSpaceMap, band_covariances
from vaxis.decoder.inputs import InputStats, RunningStats, window_inputs
from vaxis.decoder.preprocessing import preprocess

KINDS = ("features", "raw", "covariance", "envelope")


def _windows(n=30, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 4, 250)) * rng.uniform(5, 20, (1, 4, 1))).astype(np.float32)


def _tangent(seed=0):
    """A tangent map at the arithmetic mean of some windows' covariances."""
    covs = band_covariances(preprocess(_windows(20, seed=seed + 100)), 250.0)
    return TangentSpaceMap(covs.mean(axis=0))


def _inputs(n=30, seed=0):
    return window_inputs(_windows(n, seed), 250.0, KINDS, tangent=_tangent())


def test_window_inputs_shapes_and_only_the_kinds_asked():
    inputs = _inputs(5)
    assert inputs["features"].shape == (5, 4, 5) and inputs["raw"].shape == (5, 4, 250)
    assert inputs["covariance"].shape == (5, 5, 10) and inputs["envelope"].shape == (5, 4, 5)
    assert all(v.dtype == np.float32 for v in inputs.values())
    assert set(window_inputs(_windows(5), 250.0, ("raw",))) == {"raw"}


def test_window_inputs_refuse_unknown_kinds_and_covariance_without_a_map():
    with pytest.raises(ValueError, match="unknown input kinds"):
        window_inputs(_windows(5), 250.0, ("spectrogram",))
    with pytest.raises(ValueError, match="TangentSpaceMap"):
        window_inputs(_windows(5), 250.0, ("covariance",))


def test_subject_stats_roundtrip_and_normalise():
    inputs = _inputs()
    stats = InputStats.fit(inputs)
    again = InputStats.from_dict(stats.to_dict())
    assert again.kinds == KINDS
    out = again.normalise(inputs)
    for kind in ("features", "covariance", "envelope"):
        np.testing.assert_allclose(out[kind].mean(axis=0), 0, atol=1e-5)
        np.testing.assert_allclose(out[kind].std(axis=0), 1, atol=1e-4)
    np.testing.assert_allclose(np.sqrt((out["raw"] ** 2).mean(axis=(0, 2))), 1, atol=1e-4)


def test_old_statistics_without_covariance_still_read_and_normalise_their_kinds():
    inputs = _inputs()
    old = InputStats.fit(inputs).to_dict()
    for key in ("covariance_mean", "covariance_std", "envelope_mean", "envelope_std"):
        del old[key]
    stats = InputStats.from_dict(old)
    assert stats.kinds == ("features", "raw") and stats.covariance_mean is None
    assert set(stats.normalise({k: inputs[k] for k in ("features", "raw")})) == {"features", "raw"}
    with pytest.raises(ValueError, match="covariance"):
        stats.normalise(inputs)
    with pytest.raises(ValueError, match="covariance"):
        RunningStats(stats).normalise(inputs, np.ones(30, dtype=bool))


def test_mean_of_keeps_the_kinds_every_subject_holds():
    inputs = _inputs()
    full = InputStats.fit(inputs)
    partial = InputStats.fit({k: inputs[k] for k in ("features", "raw")})
    assert InputStats.mean_of([full, full]).kinds == KINDS
    assert InputStats.mean_of([full, partial]).kinds == ("features", "raw")


def test_running_stats_batch_equals_one_by_one_and_skips_invalid():
    inputs = _inputs(40)
    valid = np.ones(40, dtype=bool)
    valid[[3, 17]] = False
    prior = InputStats.fit({k: v[:5] + (3.0 if k != "raw" else 0.0) for k, v in inputs.items()})
    batch = RunningStats(prior, warmup=10).normalise(inputs, valid)
    single = RunningStats(prior, warmup=10)
    steps = [
        single.normalise({k: v[i : i + 1] for k, v in inputs.items()}, valid[i : i + 1])
        for i in range(40)
    ]
    for kind in KINDS:
        np.testing.assert_allclose(
            batch[kind], np.concatenate([s[kind] for s in steps]), rtol=1e-5, atol=1e-5
        )


def test_running_stats_use_prior_until_warm_then_converge():
    inputs = _inputs(200, seed=3)
    valid = np.ones(200, dtype=bool)
    shifted = {"features": inputs["features"] + 1.0, "raw": inputs["raw"] * 2.0,
               "covariance": inputs["covariance"] * 1.5 - 0.5,
               "envelope": inputs["envelope"] * 0.5 + 2.0}  # fmt: skip
    prior = InputStats.fit(shifted)
    out = RunningStats(prior, warmup=50).normalise(inputs, valid)
    final = InputStats.fit(inputs).normalise(inputs)
    from_prior = prior.normalise(inputs)
    for kind in KINDS:
        np.testing.assert_allclose(out[kind][:49], from_prior[kind][:49])
        assert not np.allclose(out[kind][49], from_prior[kind][49])
        np.testing.assert_allclose(out[kind][-1], final[kind][-1], atol=1e-4)
