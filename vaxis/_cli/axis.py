"""``vaxis axis``: build the V-axis, project texts on it, validate and compare axes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer

from vaxis._cli.options import listed
from vaxis._cli.render import console
from vaxis.offline import choices

axis_app = typer.Typer(no_args_is_help=True, help="The V-axis: build, project, validate, compare.")

AxisPath = Annotated[Path, typer.Argument(help="axis.json")]


def _int_option(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise typer.BadParameter(f"{name} must be an integer or 'auto', got {value!r}") from None


@axis_app.command("build")
def axis_build(
    out: Annotated[Path, typer.Option("-o", "--out", help="axis.json to write.")],
    model: Annotated[
        str | None, typer.Option(help="Model directory or cached hub id (default: MiniLM).")
    ] = None,
    layer: Annotated[str, typer.Option(help="Layer index or 'auto'.")] = "auto",
    pooling: Annotated[str, typer.Option(help=f"{listed(choices.Pooling)}.")] = "mean",
    sentences: Annotated[
        Path | None, typer.Option(help="JSON {category: sentence or {sentence, side}}.")
    ] = None,
    extra: Annotated[
        Path | None, typer.Option(help="JSON {category: sentence} placed on the axis.")
    ] = None,
    template: Annotated[str, typer.Option(help="Wraps projected words.")] = "The word is: {}.",
    plot: Annotated[Path | None, typer.Option(help="PNG of the categories.")] = None,
) -> None:
    """Build the V-axis from category sentences (default: FACED's nine; happy, sad placed)."""
    from vaxis._cli.render import print_axis
    from vaxis.offline.axis import save_axis
    from vaxis.offline.axis.build import build_axis, load_extra, load_sentences
    from vaxis.offline.axis.validate import plot_positions

    chosen = "auto" if layer == "auto" else _int_option(layer, "--layer")
    chosen_sentences = load_sentences(sentences)
    if extra:
        chosen_sentences = chosen_sentences.with_placed(load_extra(extra))
    axis = build_axis(model, chosen, cast(choices.Pooling, pooling), chosen_sentences, template)
    save_axis(axis, out)
    print_axis(axis)
    if plot:
        plot_positions(axis, plot)
    console.print(f"wrote {out}")


@axis_app.command("project")
def axis_project(
    axis: AxisPath,
    texts: Annotated[list[str] | None, typer.Argument(help="Texts to project.")] = None,
    text_file: Annotated[Path | None, typer.Option(help="One text per line.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
) -> None:
    """Print the axis position of each text, in input order."""
    import json

    from vaxis.errors import DataError
    from vaxis.offline.axis import load_axis
    from vaxis.offline.axis.build import project

    items = list(texts or [])
    if text_file:
        try:
            items += [t for t in text_file.read_text(encoding="utf-8").splitlines() if t.strip()]
        except OSError as err:
            raise DataError(f"{text_file}: {err.strerror}") from None
    if not items:
        raise DataError("nothing to project: give TEXT arguments or --text-file")
    scores = project(load_axis(axis), items)
    if json_out:
        print(json.dumps([round(float(s), 6) for s in scores]))
    else:
        for text, score in zip(items, scores, strict=True):
            print(f"{score:+.4f}\t{text}")


@axis_app.command("validate")
def axis_validate(
    axis: AxisPath,
    lexicon: Annotated[str, typer.Option(help="'vader' or a word<TAB>rating file.")] = "vader",
    plot: Annotated[Path | None, typer.Option(help="PNG of scores against ratings.")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the figures.")] = None,
) -> None:
    """Zero-shot transfer to a human-rated valence lexicon."""
    import json

    from vaxis._cli.render import print_validation
    from vaxis.offline.axis import load_axis
    from vaxis.offline.axis.validate import plot_lexicon, validate

    result = validate(load_axis(axis), lexicon)
    print_validation(result)
    if plot:
        plot_lexicon(result, plot)
    if json_out:
        json_out.write_text(json.dumps(result.to_dict(), indent=2) + "\n")


@axis_app.command("compare")
def axis_compare(
    axes: Annotated[list[Path], typer.Argument(help="Two or more axis.json files.")],
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Folder for JSON, PNG.")] = None,
    lexicon: Annotated[str | None, typer.Option(help="Also compare lexicon scores.")] = None,
) -> None:
    """Cross-model consistency of the nine category positions."""
    import json

    from vaxis.errors import DataError
    from vaxis.offline.axis import load_axis
    from vaxis.offline.axis.validate import compare, plot_compare

    if len(axes) < 2:
        raise DataError("compare needs at least two axis files")
    result = compare([load_axis(a) for a in axes], [a.stem for a in axes], lexicon)
    print(json.dumps(result.to_dict(), indent=2))
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / "compare.json").write_text(json.dumps(result.to_dict(), indent=2) + "\n")
        plot_compare(result, out / "compare.png")
