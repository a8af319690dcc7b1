"""How the ``vaxis`` command answers SIGINT and SIGTERM at each stage of its life.

Until a command has opened anything, a stop request ends the process at once, with exit
code 0 (:func:`exit_on_stop`); the live commands then take the signals over and stop
cleanly (:func:`stop_on_signal`); the other commands get Python's defaults back
(:func:`default_handlers`: Ctrl-C is exit code 130).
"""

from __future__ import annotations

import os
import signal
import sys
import threading

#: The commands that stop cleanly on a signal; they take the signals over as they start.
STOPPABLE = ("live", "calibrate")

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _exit_now(signum, frame) -> None:
    # Nothing is open yet, and a SystemExit raised inside an import can be caught and
    # re-raised as another error by the import machinery: leave at once.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def exit_on_stop() -> None:
    """From here until :func:`stop_on_signal`, SIGINT/SIGTERM end the process at once with
    exit code 0: nothing has been opened or written yet."""
    for signum in _SIGNALS:
        signal.signal(signum, _exit_now)


def stop_on_signal() -> threading.Event:
    """From here on SIGINT/SIGTERM set the returned event; the command stops cleanly."""
    stop = threading.Event()
    for signum in _SIGNALS:
        signal.signal(signum, lambda *_: stop.set())
    return stop


def default_handlers(args: list[str]) -> None:
    """Python's own SIGINT/SIGTERM handling back, unless ``args`` run a stoppable command."""
    command = next((arg for arg in args if not arg.startswith("-")), None)
    if command not in STOPPABLE:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
