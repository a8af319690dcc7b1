"""The public face: ``import vaxis`` gives the public names lazily, the live ones torch-free."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys

import pytest

import vaxis

#: Packages whose public names load lazily, each with its ``_EXPORTS`` map.
LAZY_FACES = ("vaxis", "vaxis.decoder", "vaxis.stream", "vaxis.calibration")

OFFLINE_ONLY = ("torch", "transformers", "sklearn")


def test_the_live_names_import_no_offline_library():
    code = (
        "import sys, vaxis; vaxis.LiveLoop; vaxis.LiveConfig; vaxis.Decoder; vaxis.load_bundle; "
        "vaxis.replay_fast; vaxis.calibrate; "
        f"print([m for m in {OFFLINE_ONLY!r} if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_import_vaxis_imports_no_subpackage():
    code = "import sys, vaxis; print(sorted(m for m in sys.modules if m.startswith('vaxis.')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['vaxis._lazy']"


@pytest.mark.parametrize("face", LAZY_FACES)
def test_every_public_name_resolves_to_what_its_module_defines(face):
    package = importlib.import_module(face)
    assert package.__all__, face
    for home in set(package._EXPORTS.values()):  # a submodule named like an export shadows it
        importlib.import_module(home)
    for name in package.__all__:
        if name == "__version__":
            continue
        value = getattr(package, name)
        home = importlib.import_module(package._EXPORTS[name])
        assert value is getattr(home, name), f"{face}.{name}"
        assert name in dir(package)


@pytest.mark.parametrize("face", LAZY_FACES)
def test_type_checkers_see_the_same_names_as_run_time(face):
    package = importlib.import_module(face)
    tree = ast.parse(inspect.getsource(package))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
    )
    seen = {alias.name: node.module for node in block.body for alias in node.names}  # fmt: skip
    assert seen == package._EXPORTS


def test_the_top_level_exports_the_entry_points_of_every_room():
    for name in ("load_bundle", "Decoder", "LiveLoop", "LiveConfig", "replay_fast",
                 "replay_realtime", "calibrate", "train_bundle", "TrainConfig", "TrainResult",
                 "run_study", "StudySummary", "build_axis", "load_axis",
                 "open_corpus", "VaxisError"):  # fmt: skip
        assert name in vaxis.__all__, name
    assert vaxis.__version__


@pytest.mark.parametrize("face", LAZY_FACES)
def test_an_unknown_name_raises_attribute_error(face):
    package = importlib.import_module(face)
    with pytest.raises(AttributeError, match="no attribute 'no_such_thing'"):
        package.no_such_thing  # noqa: B018
    assert not hasattr(package, "no_such_thing")


def test_a_submodule_still_imports_by_its_name():
    from vaxis.stream import replay

    assert inspect.ismodule(replay)
    assert replay.replay_fast is vaxis.replay_fast
