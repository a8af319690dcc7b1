"""House rules that the code itself can be checked against."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "vaxis"
#: The longest a function may be, from its ``def`` line to its last line, docstring included.
MAX_FUNCTION_LINES = 60
#: Functions allowed over the limit, as ``path::name`` relative to the repository, each with
#: the reason it has not been split yet. Empty: every function fits.
OVER_THE_LIMIT: dict[str, str] = {}


def long_functions(root: Path, limit: int) -> dict[str, int]:
    """Every function (methods and nested functions included) of the ``.py`` files under
    ``root`` longer than ``limit`` lines, as ``path::name`` -> its length in lines."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > limit:
                    found[f"{path.relative_to(root.parent).as_posix()}::{node.name}"] = length
    return found


def test_no_function_over_60_lines():
    found = long_functions(PACKAGE, MAX_FUNCTION_LINES)
    unexpected = {name: n for name, n in found.items() if name not in OVER_THE_LIMIT}
    assert not unexpected, f"functions over {MAX_FUNCTION_LINES} lines: {unexpected}"
    fixed = sorted(set(OVER_THE_LIMIT) - set(found))
    assert not fixed, f"now within the limit, drop from OVER_THE_LIMIT: {fixed}"


def test_the_length_check_counts_from_def_to_last_line(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()

    def function(name: str, n_lines: int) -> str:
        body = "".join(f"    x{i} = {i}\n" for i in range(n_lines - 2))
        return f"def {name}():\n    '''Docstring.'''\n{body}"

    (package / "mod.py").write_text(
        function("fits", 60) + "\n\n@staticmethod\n" + function("too_long", 61)
        + "\n\nclass Holder:\n" + "".join("    " + line + "\n"
                                          for line in function("method", 62).splitlines())
    )  # fmt: skip
    assert long_functions(package, 60) == {"pkg/mod.py::too_long": 61, "pkg/mod.py::method": 62}
