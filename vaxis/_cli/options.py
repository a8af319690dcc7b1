"""Options that several ``vaxis`` commands declare alike, each declared once, and the one
source of the defaults they share with the library's configurations.

Options with named choices stay ``str`` (typer reads no ``Literal``): their help lists the
choices of the library's ``Literal`` type (:mod:`vaxis.offline.choices`), and a value
outside them is refused by the library with a :class:`~vaxis.errors.ConfigError`, which
:func:`flag_hint` points at the option.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, get_args

import typer

from vaxis.offline import choices


def listed(choice: Any, *extra: str, notes: Mapping[str, str] | None = None) -> str:
    """The values of the ``Literal`` type ``choice`` (then ``extra``) as an option's help
    lists them, ``a, b or c``, each followed by its note in ``notes`` in parentheses."""
    values = [*get_args(choice), *extra]
    notes = notes or {}
    stray = set(notes) - set(values)
    if stray:
        raise ValueError(f"notes for values that are not choices: {sorted(stray)}")
    words = [f"{v} ({notes[v]})" if v in notes else v for v in values]
    return f"{', '.join(words[:-1])} or {words[-1]}"


CorpusFormat = Annotated[str, typer.Option(help=f"{listed(choices.CorpusFormat)}.")]
Seed = Annotated[int, typer.Option(help="Random seed.")]
AxisOption = Annotated[Path, typer.Option(help="axis.json with the categories' positions.")]
ProfileOption = Annotated[Path | None, typer.Option(help="Participant profile directory.")]

#: Each library parameter that a command-line option sets, and that option. A
#: ``ConfigError`` names the parameter (the library speaks Python); the command adds the
#: option (:func:`flag_hint`).
FLAGS: dict[str, str] = {
    "window_s": "--window",
    "hop_s": "--hop",
    "duration": "--duration",
    "connect_timeout": "--connect-timeout",
    "zmq": "--zmq",
    "workers": "--workers",
    "participant": "--participant",
    "format": "--format",
    "fmt": "--format",
    "structure": "--structure",
    "pooling": "--pooling",
    "layer": "--layer",
    "protocol": "--protocol",
    "split": "--split",
    "folds": "--folds",
    "normalisation": "--normalisation",
    "combine": "--combine",
    "archs": "--archs",
    "pool": "--pool",
    "members": "--members",
    "epochs": "--epochs",
    "seeds": "--seeds",
    "n_jobs": "--n-jobs",
    "device": "--device",
}

#: How a message names a parameter: ``archs: ...``, ``unknown [corpus] format 'x'``,
#: ``hop_s must ...``, ``pool and members must ...``, ``layer=9 ...``, ``n_jobs non-zero``.
_NAMED = re.compile(
    r"^([a-z_]+): "
    r"|\bunknown (?:[a-z]+ )?([a-z_]+)\b"
    r"|\b([a-z_]+)(?==| must\b| and [a-z_]+ must\b| non-zero\b)"
)


def flag_hint(message: str) -> str:
    """The options of the parameters ``message`` names, in order, as `` (--pool,
    --members)``; empty when it names none that an option sets."""
    named = [word for groups in _NAMED.findall(message) for word in groups if word]
    flags = dict.fromkeys(FLAGS[word] for word in named if word in FLAGS)
    return f" ({', '.join(flags)})" if flags else ""


def defaults(config: type) -> dict[str, Any]:
    """Each parameter's default of the configuration dataclass ``config``: an option that
    mirrors a parameter takes its default from here, never a copy."""
    return {f.name: f.default for f in dataclasses.fields(config)}
