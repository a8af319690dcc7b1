"""Loopback TCP ports for tests, chosen where nothing else on the machine will take them.

A port the kernel hands out itself (``bind`` to port 0, or the local end of any outgoing
connection, such as liblsl's inlets reconnecting in the background) comes from the ephemeral
range. A port picked there and released, even for a millisecond, can be taken before the test
binds it again: CI saw ``Address already in use`` that way. Below that range, a port is only
ever taken by a program that names it.
"""

import random
import socket
from pathlib import Path

LOWEST = 20000


def ephemeral_floor() -> int:
    """The first port of the kernel's ephemeral range (32768 where it cannot be read)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A loopback TCP port below the ephemeral range that nothing is bound to now."""
    top = max(ephemeral_floor(), LOWEST + 1000)
    for _ in range(100):
        port = random.randrange(LOWEST, top)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free loopback port between {LOWEST} and {top}")


def free_address() -> str:
    """A ZeroMQ endpoint on :func:`free_port`."""
    return f"tcp://127.0.0.1:{free_port()}"
