"""``vaxis train`` and ``vaxis study``: the residual ensemble's bundle, the paper's analyses.

Options are declared once here, as annotated types, so that each command's signature reads
as a list of its settings. An option with named choices is a ``str`` handed to the library as
its ``Literal`` type (:mod:`vaxis._cli.options`): the library refuses a value outside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer

from vaxis._cli.options import AxisOption, CorpusFormat, Seed, listed
from vaxis.offline import choices

#: What the choices of --split, --normalisation and --combine mean, for their help.
SPLIT_NOTES = {"faced": "CBraMod's split"}
COMBINE_NOTES = {"auto": "the best on the validation subjects"}
NORMALISATION_NOTES = {"causal": "as live decoding", "subject": "transductive",
                       "population": "training prior only"}  # fmt: skip

Data = Annotated[Path, typer.Option(help="Raw corpus directory (FACED, BIDS, SEED-V).")]
StudyData = Annotated[Path, typer.Option(help="Corpus directory or file (raw or DE).")]
BundleOut = Annotated[Path, typer.Option("-o", "--out", help="Bundle directory to write.")]
ReportOut = Annotated[Path, typer.Option("-o", "--out", help="Report directory.")]
TrainProtocol = Annotated[
    str,
    typer.Option(
        help=f"Named evaluation preset: {listed(choices.ProtocolName)} "
        "(rate, window, channels, scaling, split, seeds; options below override)."
    ),
]
StudyProtocol = Annotated[
    str,
    typer.Option(
        help=f"Named evaluation preset, as vaxis train's: {listed(choices.ProtocolName)} "
        "(rate, windows, channels, scaling, split)."
    ),
]
Split = Annotated[
    str | None, typer.Option(help=f"{listed(choices.SplitScheme, notes=SPLIT_NOTES)}.")
]
Folds = Annotated[int, typer.Option(help="k of --split kfold.")]
Members = Annotated[int, typer.Option(help="Most members of the residual ensemble.")]
Pool = Annotated[int, typer.Option(help="Candidate members trained per fold.")]
TrainDevice = Annotated[str, typer.Option(help="auto, cpu or cuda.")]
StudyDevice = Annotated[str, typer.Option(help="Torch device for the classifiers.")]
Window = Annotated[float | None, typer.Option(help="Window length in seconds.")]
Hop = Annotated[float | None, typer.Option(help="Hop between windows in seconds.")]
Epochs = Annotated[int, typer.Option(help="Most epochs per member.")]
TrainQuick = Annotated[
    bool, typer.Option(help="Small pool and few epochs (overrides --pool/--members/--epochs).")
]
StudyQuick = Annotated[bool, typer.Option(help="Small grids, few epochs.")]
Init = Annotated[
    Path | None,
    typer.Option(
        help="Local CBraMod checkpoint (the authors' pretrained weights) that "
        "CBraMod members fine-tune from."
    ),
]
TrainNormalisation = Annotated[
    str | None,
    typer.Option(
        help=f"{listed(choices.Normalisation, notes=NORMALISATION_NOTES)}; reported figures "
        "are causal."
    ),
]
StudyNormalisation = Annotated[
    str | None,
    typer.Option(
        help=f"Every analysis's inputs: {listed(choices.Normalisation, notes=NORMALISATION_NOTES)}"
        "; default: the protocol's."
    ),
]
Combine = Annotated[
    str,
    typer.Option(
        help=f"Combination the bundle ships: {listed(choices.Combine, notes=COMBINE_NOTES)}."
    ),
]
Archs = Annotated[
    str | None, typer.Option(help="Comma-separated architectures of the pool (default: all).")
]
Seeds = Annotated[int | None, typer.Option(help="Training runs, successive seeds (mean +- sd).")]
TrainJobs = Annotated[int, typer.Option(help="Members trained side by side (-1: all cores).")]
StudyJobs = Annotated[int, typer.Option(help="joblib workers for the sweeps.")]
TrainRay = Annotated[
    str | None, typer.Option(help="Train members on Ray: 'local' or a cluster address.")
]
StudyRay = Annotated[
    str | None, typer.Option(help="Run sweeps on Ray: 'local' or a cluster address.")
]
Analysis = Annotated[str, typer.Argument(help=f"{listed(choices.Analysis, 'all')}.")]


def train(
    data: Data,
    axis: AxisOption,
    out: BundleOut,
    format: CorpusFormat = "auto",
    protocol: TrainProtocol = "vaxis",
    split: Split = None,
    folds: Folds = 5,
    members: Members = 5,
    pool: Pool = 12,
    device: TrainDevice = "cpu",
    seed: Seed = 0,
    window: Window = None,
    hop: Hop = None,
    epochs: Epochs = 30,
    quick: TrainQuick = False,
    init: Init = None,
    normalisation: TrainNormalisation = None,
    combine: Combine = "auto",
    archs: Archs = None,
    seeds: Seeds = None,
    n_jobs: TrainJobs = 1,
    ray: TrainRay = None,
) -> None:
    """Train the residual ensemble and export a bundle (model.onnx + bundle.json + report/)."""
    from vaxis._cli.progress import ProgressBars
    from vaxis._cli.render import console, print_training
    from vaxis.offline.protocols import get_protocol
    from vaxis.offline.train import TrainConfig, train_bundle

    settings = {**get_protocol(protocol).settings(), "folds": folds, "device": device,
                "seed": seed, "init": None if init is None else str(init), "combine": combine,
                "n_jobs": n_jobs, "ray": ray}  # fmt: skip
    explicit = {"split": split, "window_s": window, "hop_s": hop,
                "normalisation": normalisation, "seeds": seeds}  # fmt: skip
    settings.update({k: v for k, v in explicit.items() if v is not None})
    if archs:
        settings["archs"] = tuple(a.strip() for a in archs.split(",") if a.strip())
    config = (
        TrainConfig.quick(**settings)
        if quick
        else TrainConfig(pool=pool, members=members, epochs=epochs, **settings)
    )
    with ProgressBars(console) as bars:
        result = train_bundle(data, axis, out, config, progress=bars,
                              format=cast(choices.CorpusFormat, format))  # fmt: skip
    print_training(result, out)


def study(
    analysis: Analysis,
    data: StudyData,
    axis: AxisOption,
    out: ReportOut,
    quick: StudyQuick = False,
    n_jobs: StudyJobs = 1,
    seed: Seed = 0,
    ray: StudyRay = None,
    device: StudyDevice = "cpu",
    protocol: StudyProtocol = "vaxis",
    normalisation: StudyNormalisation = None,
) -> None:
    """Reproduce the study: mapping, rediscovery, alignment strategies, saturation."""
    from vaxis._cli.render import print_study
    from vaxis.offline.study import run_study

    summary = run_study(cast(choices.Analysis, analysis), data, axis, out, quick=quick,
                        ray_address=ray, seed=seed, n_jobs=n_jobs, device=device,
                        normalisation=cast(choices.Normalisation | None, normalisation),
                        protocol=cast(choices.ProtocolName, protocol))  # fmt: skip
    print_study(summary, out)
