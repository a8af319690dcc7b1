"""Keeping a long-running live process's memory flat.

glibc's allocator gives threads their own arenas (up to eight per core) and keeps freed
memory in them. A live loop starts short-lived threads on every reconnect (ours and
liblsl's), so over hours of dropped and restored sources the resident size creeps up by
memory that is free but spread over many arenas. Two arenas are plenty for one decoding
thread and its helpers; the limit has to be set before the threads exist.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

logger = logging.getLogger(__name__)

#: ``mallopt``'s parameter number for the arena limit (glibc's ``M_ARENA_MAX``).
M_ARENA_MAX = -8


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Ask glibc to create at most ``arenas`` malloc arenas from now on.

    Returns True when the limit was set, False where the C library is not glibc (macOS,
    Windows, musl): nothing changes there.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    done = mallopt(M_ARENA_MAX, int(arenas)) == 1
    logger.debug("malloc arenas limited to %d: %s", arenas, done)
    return done
