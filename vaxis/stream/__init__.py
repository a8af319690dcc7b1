"""Everything that touches LSL or ZeroMQ: the live loop between an EEG inlet and the
publishers, and the replay of recordings through the decoder or the live loop.

The public names load lazily, on first use.
"""

from typing import TYPE_CHECKING

from vaxis._lazy import lazy_exports

#: Each public name and the module that defines it.
_EXPORTS = {
    "LiveConfig": "vaxis.stream.config",
    "LiveLoop": "vaxis.stream.loop",
    "LiveSummary": "vaxis.stream.summary",
    "run_live": "vaxis.stream.runner",
    "run_live_many": "vaxis.stream.runner",
    "ReplayResult": "vaxis.stream.replay",
    "replay_fast": "vaxis.stream.replay",
    "replay_realtime": "vaxis.stream.replay",
    "attach_labels": "vaxis.stream.replay",
    "read_recording": "vaxis.stream.recordings",
}

__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # what type checkers and editors see; kept equal to _EXPORTS by a test
    from vaxis.stream.config import LiveConfig as LiveConfig
    from vaxis.stream.loop import LiveLoop as LiveLoop
    from vaxis.stream.recordings import read_recording as read_recording
    from vaxis.stream.replay import ReplayResult as ReplayResult
    from vaxis.stream.replay import attach_labels as attach_labels
    from vaxis.stream.replay import replay_fast as replay_fast
    from vaxis.stream.replay import replay_realtime as replay_realtime
    from vaxis.stream.runner import run_live as run_live
    from vaxis.stream.runner import run_live_many as run_live_many
    from vaxis.stream.summary import LiveSummary as LiveSummary
