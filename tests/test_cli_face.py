"""The command's face: ``--verbose``/``--quiet`` set what the library's log shows, and the
command module only parses and dispatches."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import get_args

import mne
import numpy as np
import pytest
import typer

from tests.bundles import write_linear_bundle
from vaxis._cli.options import FLAGS, flag_hint
from vaxis.cli import app
from vaxis.decoder.bundle import sha256_file
from vaxis.decoder.channels import FACED_CHANNELS
from vaxis.decoder.onnx_graph import write_metadata
from vaxis.offline import choices

PACKAGE = Path(__file__).resolve().parents[1] / "vaxis"
#: The command run as the installed ``vaxis``, then a library record at INFO.
CLI = (
    "import logging, sys; from vaxis.cli import main; sys.argv[0] = 'vaxis'; main(); "
    "logging.getLogger('vaxis.stream.replay').info('an info line from the library')"
)
UNSTAMPED = "bundle.json is not stamped in model.onnx"


@pytest.fixture(scope="module")
def replay_args(tmp_path_factory) -> list[str]:
    """``replay`` of 4 s of noise with a bundle that loads with a warning (no stamp)."""
    root = tmp_path_factory.mktemp("cli_face")
    bundle = write_linear_bundle(root / "bundle")
    write_metadata(bundle / "model.onnx", {}, "vaxis.")
    meta = json.loads((bundle / "bundle.json").read_text())
    meta["onnx"]["sha256"] = sha256_file(bundle / "model.onnx")
    (bundle / "bundle.json").write_text(json.dumps(meta))
    data = np.random.default_rng(0).normal(0, 10e-6, (len(FACED_CHANNELS), 4 * 250))
    raw = mne.io.RawArray(data, mne.create_info(list(FACED_CHANNELS), 250.0, "eeg"), verbose=False)
    raw.save(root / "noise_raw.fif", verbose=False)
    return ["replay", str(root / "noise_raw.fif"), "--bundle", str(bundle)]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def test_warnings_by_default_no_info(replay_args):
    done = run(*replay_args)
    assert done.returncode == 0, done.stderr
    assert f"warning: {replay_args[3]}/bundle.json: {UNSTAMPED}" in done.stderr
    assert "an info line" not in done.stderr
    assert "13 windows (13 valid)" in done.stderr


@pytest.mark.parametrize("flag", ["--quiet", "-q"])
def test_quiet_silences_the_library_warnings(replay_args, flag):
    done = run(flag, *replay_args)
    assert done.returncode == 0, done.stderr
    assert UNSTAMPED not in done.stderr and "an info line" not in done.stderr
    assert "13 windows (13 valid)" in done.stderr  # the command's own output stays


@pytest.mark.parametrize("flag", ["--verbose", "-v"])
def test_verbose_also_prints_the_library_info_lines(replay_args, flag):
    done = run(flag, *replay_args)
    assert done.returncode == 0, done.stderr
    assert UNSTAMPED in done.stderr
    assert done.stderr.strip().splitlines()[-1] == "an info line from the library"


def test_verbose_and_quiet_exclude_each_other(replay_args):
    done = run("--verbose", "--quiet", *replay_args)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        "Error: Invalid value: --verbose and --quiet exclude each other"
    )


@pytest.mark.parametrize(
    ("args", "error"),
    [(["replay", "--no-such-option"], "Error: No such option: --no-such-option"),
     (["no-such-command"], "Error: No such command 'no-such-command'."),
     (["data", "synth", "out", "--layout", "x"], "--layout must be faced or seedv, got 'x'")],
)  # fmt: skip
def test_a_usage_error_prints_usage_and_exits_2_without_a_traceback(args, error):
    done = run(*args)
    assert done.returncode == 2
    assert error in done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr and "╭" not in done.stderr


@pytest.mark.parametrize(
    ("args", "error"),
    [(["live", "--bundle", "absent", "--stream", "eeg", "--no-dashboard", "--hop", "-1"],
      "error: hop_s must be a positive number of seconds, got -1.0 (--hop)"),
     (["data", "synth", "out", "--format", "csv"],
      "error: unknown synthetic format 'csv'; expected one of processed, de, both (--format)")],
)  # fmt: skip
def test_a_config_error_names_the_option_that_sets_the_parameter(tmp_path, args, error):
    done = subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [error]
    assert "Traceback" not in done.stderr


def test_the_hint_names_each_parameter_once_in_order_and_never_a_value():
    assert flag_hint("pool and members must be >= 1, got 0, 5") == " (--pool, --members)"
    assert flag_hint("seeds and caruana_rounds must be >= 1 and n_jobs non-zero") == (
        " (--seeds, --n-jobs)"
    )
    assert flag_hint("layer=99 out of range: m has layers 0-6") == " (--layer)"
    assert flag_hint("unknown split 'kfold'; expected one of ('faced', 'kfold')") == " (--split)"
    assert flag_hint("rediscovery_archs: 'x' has no trainable layer before its read-out") == ""
    assert flag_hint("unknown normalisation 'split'") == " (--normalisation)"


def _is_option(param) -> bool:
    # typer may build its commands with its own copy of click: compare by kind, not class.
    return param.param_type_name == "option"


def _options(command) -> dict:
    """Every option of ``command`` and of its sub-commands, by each of its flags."""
    found = {flag: p for p in command.params if _is_option(p) for flag in p.opts}
    for sub in getattr(command, "commands", {}).values():
        found.update(_options(sub))
    return found


def test_every_hinted_option_is_an_option_of_a_command():
    options = _options(typer.main.get_command(app))
    assert sorted(set(FLAGS.values()) - set(options)) == []


def _option(path: list[str], flag: str):
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return next(p for p in command.params if _is_option(p) and flag in p.opts)


@pytest.mark.parametrize(
    ("path", "flag", "choice"),
    [(["data", "synth"], "--format", choices.SynthFormat),
     (["data", "synth"], "--structure", choices.Structure),
     (["data", "info"], "--format", choices.CorpusFormat),
     (["axis", "build"], "--pooling", choices.Pooling),
     (["train"], "--format", choices.CorpusFormat),
     (["train"], "--protocol", choices.ProtocolName),
     (["train"], "--split", choices.SplitScheme),
     (["train"], "--normalisation", choices.Normalisation),
     (["train"], "--combine", choices.Combine),
     (["study"], "--protocol", choices.ProtocolName),
     (["study"], "--normalisation", choices.Normalisation)],
)  # fmt: skip
def test_an_option_with_named_choices_lists_the_library_s_choices(path, flag, choice):
    help_text = _option(path, flag).help or ""
    assert all(value in help_text for value in get_args(choice)), help_text


def _function_lengths(path: Path) -> dict[str, int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        f"{path.name}:{node.name}": node.end_lineno - min(
            [node.lineno] + [d.lineno for d in node.decorator_list]) + 1
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }  # fmt: skip


def test_the_command_module_is_short_and_its_functions_shorter():
    cli = PACKAGE / "cli.py"
    assert len(cli.read_text(encoding="utf-8").splitlines()) < 250
    lengths = {}
    for path in [cli, *sorted((PACKAGE / "_cli").glob("*.py"))]:
        lengths.update(_function_lengths(path))
    assert {name: n for name, n in lengths.items() if n > 60} == {}
