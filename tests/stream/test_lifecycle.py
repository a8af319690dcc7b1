"""The live loop's lifecycle on real ZeroMQ and real LSL: a constructor that acquires
nothing, ``connect()`` that acquires in order and releases on failure, ``close()`` that may be
called twice, and ``with``."""

import time
import uuid

import numpy as np
import pytest
import zmq

from tests.bundles import write_linear_bundle
from tests.outlets import make_outlet
from tests.ports import free_address
from vaxis.decoder.bundle import load_bundle
from vaxis.decoder.inputs import InputStats
from vaxis.decoder.profile import Profile, save_profile
from vaxis.errors import ConfigError, ProfileError, StreamError
from vaxis.stream.config import LiveConfig
from vaxis.stream.inlet import EegInlet
from vaxis.stream.loop import LiveLoop
from vaxis.stream.runner import run_live_many


@pytest.fixture
def bundle(tmp_path):
    return write_linear_bundle(tmp_path / "bundle")


def can_bind(address: str, within: float = 0.0) -> bool:
    """Whether a socket of our own binds ``address``, trying for up to ``within`` seconds (a
    closed ZeroMQ socket releases its port in the background, promptly but not at once)."""
    deadline = time.monotonic() + within
    while True:
        sock = zmq.Context.instance().socket(zmq.PUB)
        try:
            sock.bind(address)
            return True
        except zmq.ZMQError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
        finally:
            sock.close(linger=0)


def test_constructing_a_loop_acquires_nothing(tmp_path):
    address = free_address()
    config = LiveConfig(bundle=tmp_path / "no-such-bundle", stream="absent", zmq=address,
                        lsl_out="vaxis-test")  # fmt: skip
    loop = LiveLoop(config)  # the bundle is not even read
    assert can_bind(address, within=2.0), "the constructor bound the ZeroMQ port"
    assert loop.state == "connecting" and not loop.connected and loop.last_prediction is None
    with pytest.raises(StreamError, match="call connect"):
        loop.bundle  # noqa: B018
    loop.close()  # nothing to release
    loop.close()


def test_a_bad_parameter_is_refused_by_name_before_anything_opens(bundle):
    with pytest.raises(TypeError):
        LiveConfig(bundle, stream="x")  # keyword-only
    for bad, name in [({"hop_s": -0.25}, "hop_s"), ({"threads": 0}, "threads"),
                      ({"zmq": "127.0.0.1:5556"}, "zmq"), ({"stale_s": float("nan")}, "stale_s"),
                      ({"connect_timeout": -1}, "connect_timeout")]:  # fmt: skip
        with pytest.raises(ConfigError, match=f"^{name} must"):
            LiveLoop(LiveConfig(bundle=bundle, stream="x", **bad))
    with pytest.raises(ConfigError, match="stream, stype or source_id"):
        LiveConfig(bundle=bundle).check()
    loop = LiveLoop(LiveConfig(bundle=bundle, stream="x", zmq=None, window_s=2.0))
    with pytest.raises(ConfigError, match="window_s=2 s does not match the bundle's 1 s"):
        loop.connect()
    # Also for a loop that shares the decoder of one opened before it (run_live_many).
    with pytest.raises(ConfigError, match="window_s=2 s does not match the bundle's 1 s"):
        run_live_many([LiveConfig(bundle=bundle, stream="x", zmq=None),
                       LiveConfig(bundle=bundle, stream="y", zmq=None, window_s=2.0)])  # fmt: skip


def test_a_source_lost_after_liblsl_closed_it_is_never_picked_again(bundle):
    name = f"eeg-{uuid.uuid4().hex[:8]}"
    outlet = make_outlet(name)  # noqa: F841 - alive while the inlet connects
    inlet = EegInlet(load_bundle(bundle).channels, name).connect(timeout=5)
    uid = inlet.uid
    inlet.disconnect()  # as pull() does when liblsl reports the connection lost
    inlet.mark_lost()
    assert uid and uid in inlet.dead and inlet.stream is None
    with pytest.raises(StreamError, match="no LSL stream"):
        inlet.find(timeout=0.3)  # the one source answering is the lost one


def test_a_failing_lsl_outlet_releases_the_bound_zeromq_port(bundle):
    address = free_address()
    # liblsl refuses an empty outlet name: the step after the ZeroMQ bind fails.
    loop = LiveLoop(LiveConfig(bundle=bundle, stream="absent", zmq=address, lsl_out=""))
    with pytest.raises(StreamError, match="cannot create the LSL outlet ''"):
        loop.connect()
    assert can_bind(address, within=2.0), "the ZeroMQ port leaked"
    assert not loop.connected


def test_a_profile_for_another_bundle_is_refused_before_any_port_is_bound(bundle, tmp_path):
    other = load_bundle(write_linear_bundle(tmp_path / "other", classes={"a": -1.0, "b": 1.0}))
    stats = InputStats(np.zeros((32, 5)), np.ones((32, 5)), np.ones(32))
    profile = Profile("P", other.model_id, other.meta["onnx"]["sha256"], stats)
    save_profile(profile, tmp_path / "profile")
    address = free_address()
    config = LiveConfig(bundle=bundle, stream="absent", zmq=address, profile=tmp_path / "profile")
    with pytest.raises(ProfileError, match="calibrated against bundle"):
        LiveLoop(config).connect()
    assert can_bind(address, within=2.0)


def test_a_stream_not_found_releases_the_publishers(bundle):
    address = free_address()
    states = []
    config = LiveConfig(bundle=bundle, stream=f"absent-{uuid.uuid4().hex[:8]}", zmq=address,
                        lsl_out=f"vaxis-{uuid.uuid4().hex[:8]}", connect_timeout=0.3)  # fmt: skip
    loop = LiveLoop(config, on_status=lambda m: states.append(m["state"]))
    with pytest.raises(StreamError, match="no LSL stream"):
        loop.connect()
    assert can_bind(address, within=2.0)
    assert states == ["connecting", "stopped"] and loop.state == "stopped"


def test_with_connects_then_closes_and_close_may_come_twice(bundle):
    name = f"eeg-{uuid.uuid4().hex[:8]}"
    _outlet = make_outlet(name)
    address = free_address()
    states = []
    config = LiveConfig(bundle=bundle, stream=name, zmq=address, connect_timeout=5)
    with LiveLoop(config, on_status=lambda m: states.append(m["state"])) as loop:
        assert loop.connected and loop.state == "connected"
        assert loop.bundle.classes == ["negative", "neutral", "positive"]
        assert loop.inlet.sfreq == 250.0 and not loop.resampling
        assert not can_bind(address), "connected, yet the ZeroMQ port is free"
    assert loop.state == "stopped" and not loop.connected
    assert can_bind(address, within=2.0)
    loop.close()  # again: nothing more happens
    assert states == ["connecting", "connected", "stopped"]
    with pytest.raises(StreamError, match="closed"):
        loop.connect()
