"""Rich progress bars for the command line, fed by a library's progress callback.

Library functions take an optional ``progress(stage, done, total)`` callable
(:data:`vaxis.offline.train.Progress`) and never draw anything themselves; the ``vaxis``
command (and the demo) draw one bar per stage with :class:`ProgressBars`.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class ProgressBars:
    """One rich progress bar per stage; call it as ``bars(stage, done, total)``.

    Parameters
    ----------
    console : rich.console.Console, optional
        Where the bars go (rich's default console when None).
    enabled : bool
        Draw nothing when False.

    Examples
    --------
    >>> with ProgressBars(console) as bars:  # doctest: +SKIP
    ...     train_bundle(data, axis, out, progress=bars)
    """

    def __init__(self, console: Console | None = None, enabled: bool = True):
        self._bars = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=console, disable=not enabled,
        )  # fmt: skip
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> ProgressBars:
        self._bars.start()
        return self

    def __exit__(self, *exc) -> None:
        self._bars.stop()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self._tasks:
            self._tasks[stage] = self._bars.add_task(stage, total=total)
        self._bars.update(self._tasks[stage], completed=done, total=total)
