"""The live process's malloc arena limit (glibc only)."""

import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent(
    """
    import ctypes, ctypes.util, sys, tempfile, threading
    from vaxis.stream.memory import limit_malloc_arenas

    if sys.argv[1] == "limit":
        assert limit_malloc_arenas(2)
    barrier, held = threading.Barrier(8), []

    def work():
        held.append([bytearray(2000) for _ in range(200)])  # malloc, not pymalloc
        barrier.wait()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.fopen.restype = ctypes.c_void_p
    libc.fclose.argtypes = [ctypes.c_void_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    with tempfile.NamedTemporaryFile(suffix=".xml") as out:
        handle = libc.fopen(out.name.encode(), b"w")
        libc.malloc_info(0, handle)
        libc.fclose(handle)
        print(open(out.name).read().count("<heap nr="))
    """
)


def _arenas(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_threads_share_at_most_two_arenas_once_limited():
    assert _arenas("free") > 2  # eight threads spread over arenas of their own
    assert _arenas("limit") <= 2
