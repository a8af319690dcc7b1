"""Options that several ``vaxis`` commands declare alike, each declared once, and the one
source of the defaults they share with the library's configurations."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any

import typer

CorpusFormat = Annotated[str, typer.Option(help="auto, faced-processed, faced-de, bids, seed-v.")]
Seed = Annotated[int, typer.Option(help="Random seed.")]
AxisOption = Annotated[Path, typer.Option(help="axis.json with the categories' positions.")]
ProfileOption = Annotated[Path | None, typer.Option(help="Participant profile directory.")]


def defaults(config: type) -> dict[str, Any]:
    """Each parameter's default of the configuration dataclass ``config``: an option that
    mirrors a parameter takes its default from here, never a copy."""
    return {f.name: f.default for f in dataclasses.fields(config)}
