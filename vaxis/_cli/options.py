"""Options that several ``vaxis`` commands declare alike, each declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

CorpusFormat = Annotated[str, typer.Option(help="auto, faced-processed, faced-de, bids, seed-v.")]
Seed = Annotated[int, typer.Option(help="Random seed.")]
AxisOption = Annotated[Path, typer.Option(help="axis.json with the categories' positions.")]
ProfileOption = Annotated[Path | None, typer.Option(help="Participant profile directory.")]
