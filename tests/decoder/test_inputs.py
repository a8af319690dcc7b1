import numpy as np

from vaxis.decoder.inputs import InputStats, RunningStats, window_inputs


def _windows(n=30, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 4, 250)) * rng.uniform(5, 20, (1, 4, 1))).astype(np.float32)


def test_window_inputs_shapes():
    features, raw = window_inputs(_windows(5), 250.0)
    assert features.shape == (5, 4, 5) and raw.shape == (5, 4, 250)


def test_subject_stats_roundtrip_and_normalise():
    features, raw = window_inputs(_windows(), 250.0)
    stats = InputStats.fit(features, raw)
    again = InputStats.from_dict(stats.to_dict())
    out = again.normalise(features, raw)
    np.testing.assert_allclose(out["features"].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(out["features"].std(axis=0), 1, atol=1e-4)
    np.testing.assert_allclose(np.sqrt((out["raw"] ** 2).mean(axis=(0, 2))), 1, atol=1e-4)


def test_running_stats_batch_equals_one_by_one_and_skips_invalid():
    features, raw = window_inputs(_windows(40), 250.0)
    valid = np.ones(40, dtype=bool)
    valid[[3, 17]] = False
    prior = InputStats.fit(features[:5] + 3.0, raw[:5])
    batch = RunningStats(prior, warmup=10).normalise(features, raw, valid)
    single = RunningStats(prior, warmup=10)
    steps = [
        single.normalise(features[i : i + 1], raw[i : i + 1], valid[i : i + 1]) for i in range(40)
    ]
    for kind in ("features", "raw"):
        np.testing.assert_allclose(
            batch[kind], np.concatenate([s[kind] for s in steps]), rtol=1e-5, atol=1e-5
        )


def test_running_stats_use_prior_until_warm_then_converge():
    features, raw = window_inputs(_windows(200, seed=3), 250.0)
    valid = np.ones(200, dtype=bool)
    prior = InputStats.fit(features + 1.0, raw * 2.0)
    out = RunningStats(prior, warmup=50).normalise(features, raw, valid)
    np.testing.assert_allclose(
        out["features"][:49], prior.normalise(features, raw)["features"][:49]
    )
    final = InputStats.fit(features, raw).normalise(features, raw)["features"][-1]
    np.testing.assert_allclose(out["features"][-1], final, atol=1e-4)
