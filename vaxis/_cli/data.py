"""``vaxis data``: write a synthetic corpus, describe and check a corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer

from vaxis._cli.options import CorpusFormat, Seed, listed
from vaxis._cli.render import console
from vaxis.offline import choices

data_app = typer.Typer(no_args_is_help=True, help="Corpora: synthesise and inspect.")

#: What each synthetic structure puts where, for the help of --structure.
STRUCTURE_NOTES = {
    "power": "all class information in band power: the null control",
    "mixed": "spread over band power, coupling, slow dynamics and subject subgroups",
}

Structure = Annotated[
    str, typer.Option(help=f"{listed(choices.Structure, notes=STRUCTURE_NOTES)}.")
]
SynthFormat = Annotated[str, typer.Option(help=f"{listed(choices.SynthFormat)}.")]


@data_app.command("synth")
def data_synth(
    out: Annotated[Path, typer.Argument(help="Directory to write the corpus into.")],
    subjects: Annotated[int, typer.Option(help="Number of subjects.")] = 12,
    seconds: Annotated[int, typer.Option(help="Seconds per clip (FACED: 30).")] = 30,
    seed: Seed = 0,
    format: SynthFormat = "both",
    layout: Annotated[str, typer.Option(help="faced, or seedv (SEED-V's, FIF sessions).")] = (
        "faced"
    ),
    structure: Structure = "power",
) -> None:
    """Write a synthetic corpus in FACED's (or SEED-V's) published layouts."""
    from vaxis.offline.corpus.synthetic import write_synthetic_faced

    if layout == "seedv" and structure != "power":
        raise typer.BadParameter(f"--structure {structure} is only written in the faced layout")
    if layout == "seedv":
        from vaxis.offline.corpus.synthetic_seedv import write_synthetic_seedv

        write_synthetic_seedv(out, n_subjects=subjects, seed=seed)
        console.print(f"wrote a SYNTHETIC SEED-V-layout corpus of {subjects} subjects to {out}")
        return
    if layout != "faced":
        raise typer.BadParameter(f"--layout must be faced or seedv, got {layout!r}")
    write_synthetic_faced(out, n_subjects=subjects, seconds=seconds, seed=seed,
                          fmt=cast(choices.SynthFormat, format),
                          structure=cast(choices.Structure, structure))  # fmt: skip
    console.print(
        f"wrote a SYNTHETIC FACED-format corpus ({structure} structure) of {subjects} subjects "
        f"to {out}"
    )


@data_app.command("info")
def data_info(
    path: Annotated[Path, typer.Argument(help="Corpus directory or file.")],
    format: CorpusFormat = "auto",
    channel_order: Annotated[
        str | None,
        typer.Option(help="FACED row order: mastoids-last, mastoids-after-t8 or 32 names."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Open and validate every subject file.")
    ] = False,
) -> None:
    """Print a corpus's format, subjects, clips, channels, rate, classes and provenance."""
    from vaxis._cli.render import print_check_problem, print_corpus
    from vaxis.errors import DataError
    from vaxis.offline.corpus import open_corpus
    from vaxis.offline.corpus.check import check_corpus

    corpus = open_corpus(path, format=cast(choices.CorpusFormat, format), channels=channel_order)
    print_corpus(corpus)
    if not check:
        return
    results = check_corpus(corpus, print_check_problem)
    bad = [r for r in results if not r.ok]
    if bad:
        raise DataError(f"{len(bad)} of {len(results)} subject files failed the check")
    console.print(f"checked {len(results)} subject files: all open and hold valid data")
