"""Lazy public names for a package (PEP 562): a name's module is imported on first use.

``import vaxis`` must stay cheap and torch-free: the live path (``vaxis.LiveLoop``) never
pays for the offline names (``vaxis.train_bundle``) that share the namespace.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose public names load lazily.

    Parameters
    ----------
    package : str
        The package's ``__name__``, for error messages and ``__dir__``.
    exports : mapping of str to str
        Each public name and the module that defines it.

    Returns
    -------
    getattr, dir : callable
        Assign them to the package's ``__getattr__`` and ``__dir__``; the package's
        ``__all__`` is ``list(exports)``.

    Examples
    --------
    >>> __getattr__, __dir__ = lazy_exports(__name__, {"Decoder": "vaxis.decoder.pipeline"})
    """

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later lookups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(exports) | set(vars(importlib.import_module(package))))

    return __getattr__, __dir__
