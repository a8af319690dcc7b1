"""The ``vaxis`` command. Thin: parse arguments, then call one function per sub-command.

Heavy imports (torch, transformers, mne) happen inside the commands that need them, so
``vaxis --help`` and the live commands start quickly. The commands live in
:mod:`vaxis._cli`, one module per group; what they print, in :mod:`vaxis._cli.render`.
"""

from __future__ import annotations

import sys

# Run as the vaxis program (not imported as a library), a stop request that comes before any
# command has started ends the process at once, with exit code 0: this precedes even the
# imports below.
if __name__ == "__main__" or sys.argv[0].rsplit("/", 1)[-1] == "vaxis":
    from vaxis._cli.signals import exit_on_stop

    exit_on_stop()

import logging  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated  # noqa: E402

import typer  # noqa: E402

from vaxis._cli.axis import axis_app  # noqa: E402
from vaxis._cli.data import data_app  # noqa: E402
from vaxis._cli.live import calibrate, live, replay  # noqa: E402
from vaxis._cli.offline import study, train  # noqa: E402
from vaxis._cli.render import LogLines, print_error  # noqa: E402
from vaxis._cli.signals import default_handlers  # noqa: E402
from vaxis.errors import VaxisError  # noqa: E402

__all__ = ["app", "main"]

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__.splitlines()[0])

#: The library's logger: every module logs under it (``logging.getLogger(__name__)``).
library = logging.getLogger("vaxis")


@app.callback()
def verbosity(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Also print what the library is doing.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print no warnings.")] = False,
) -> None:
    """Set how much the library says (its ``vaxis`` logger's level); warnings by default."""
    if verbose and quiet:
        raise typer.BadParameter("--verbose and --quiet exclude each other")
    library.setLevel(logging.INFO if verbose else logging.ERROR if quiet else logging.WARNING)


for _name, _command in (("train", train), ("study", study), ("live", live),
                        ("replay", replay), ("calibrate", calibrate)):  # fmt: skip
    app.command(_name)(_command)


@app.command("demo")
def demo(
    out: Annotated[Path, typer.Option(help="Directory for everything the demo writes.")] = Path(
        "demo_out"
    ),
    subjects: Annotated[int, typer.Option(help="Synthetic subjects.")] = 12,
    seconds: Annotated[int, typer.Option(help="Seconds per clip.")] = 20,
    dashboard: Annotated[bool, typer.Option(help="Show the live dashboard.")] = True,
) -> None:
    """The whole story on synthetic data: corpus, V-axis, training, real-time replay."""
    from vaxis._cli.demo import run_demo

    run_demo(out, subjects=subjects, seconds=seconds, dashboard=dashboard)


app.add_typer(data_app, name="data")
app.add_typer(axis_app, name="axis")


def main() -> None:
    """Entry point: run the app; a user error prints one line and exits 1."""
    if not any(isinstance(h, LogLines) for h in library.handlers):
        library.addHandler(LogLines())
    library.propagate = False
    default_handlers(sys.argv[1:])
    try:
        app(standalone_mode=False)
    except VaxisError as err:
        print_error(err)
        sys.exit(1)
    except (typer.Abort, KeyboardInterrupt):
        sys.exit(130)
    except typer.Exit as err:
        sys.exit(err.exit_code)
    except Exception as err:
        # A usage error of click (or of the copy of click newer typers carry) shows itself.
        show, exit_code = getattr(err, "show", None), getattr(err, "exit_code", None)
        if not (callable(show) and isinstance(exit_code, int)):
            raise
        show()
        sys.exit(exit_code)


if __name__ == "__main__":
    main()
