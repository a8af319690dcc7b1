"""Binding the ZeroMQ publisher beyond loopback warns, naming the address, unless told not
to (``--allow-remote``)."""

import logging
import subprocess
import sys

import pytest

from tests.bundles import write_linear_bundle
from tests.ports import free_port
from vaxis.stream.publishers import ZmqPublisher, is_loopback

CLI = "import sys; from vaxis.cli import main; sys.argv[0] = 'vaxis'; main()"


@pytest.mark.parametrize(
    ("address", "local"),
    [
        ("tcp://127.0.0.1:5556", True), ("tcp://127.3.4.5:5556", True), ("tcp://[::1]:5556", True),
        ("tcp://localhost:5556", True), ("tcp://lo:5556", True), ("ipc:///tmp/vaxis", True),
        ("inproc://vaxis", True), ("tcp://0.0.0.0:5556", False), ("tcp://*:5556", False),
        ("tcp://[::]:5556", False), ("tcp://eth0:5556", False), ("tcp://192.168.1.4:5556", False),
        ("epgm://eth0;239.192.1.1:5555", False),
    ],
)  # fmt: skip
def test_what_counts_as_loopback(address, local):
    assert is_loopback(address) == local


def test_a_publisher_beyond_loopback_warns_unless_allowed(caplog):
    address = f"tcp://0.0.0.0:{free_port()}"
    with caplog.at_level(logging.WARNING, logger="vaxis"):
        ZmqPublisher(address).close()
    assert f"binds to {address}, beyond loopback" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="vaxis"):
        ZmqPublisher(f"tcp://0.0.0.0:{free_port()}", allow_remote=True).close()
        ZmqPublisher(f"tcp://127.0.0.1:{free_port()}").close()
    assert caplog.text == ""


@pytest.mark.parametrize("allow", [False, True])
def test_vaxis_live_prints_the_warning(tmp_path, allow):
    bundle = write_linear_bundle(tmp_path / "bundle")
    address = f"tcp://0.0.0.0:{free_port()}"
    args = ["live", "--bundle", str(bundle), "--stream", "absent", "--zmq", address,
            "--connect-timeout", "0.5", "--no-dashboard"]  # fmt: skip
    args += ["--allow-remote"] if allow else []
    done = subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 1 and "no LSL stream" in done.stderr  # nothing to decode
    warned = f"warning: the ZeroMQ publisher binds to {address}" in done.stderr
    assert warned != allow, done.stderr
