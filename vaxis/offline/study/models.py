"""The classifiers of the study's grids: the training package's band-feature models.

The study writes no model of its own. It takes every ``nn.Module`` of the model zoo
(:mod:`vaxis.offline.train`, one model per file) whose constructor takes
``n_chans, n_bands, n_outputs`` -- the models that read band features, which both raw and
DE corpora provide -- in the zoo's module order.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable

from vaxis.errors import ModelError

ZOO_PACKAGE = "vaxis.offline.train"
REQUIRED = {"n_chans", "n_bands", "n_outputs"}


def _modules(package: str):
    root = importlib.import_module(package)
    yield root
    for info in pkgutil.walk_packages(getattr(root, "__path__", []), prefix=f"{package}."):
        yield importlib.import_module(info.name)


def feature_architectures(package: str = ZOO_PACKAGE) -> dict[str, Callable]:
    """Band-feature classifiers of the zoo by class name, each ``cls(n_chans=, n_bands=,
    n_outputs=)``."""
    from torch import nn

    try:
        modules = list(_modules(package))
    except ImportError as err:
        raise ModelError(f"the study's classifiers come from {package}, which cannot be "
                         f"imported: {err}") from None  # fmt: skip
    found: dict[str, Callable] = {}
    for module in modules:
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, nn.Module) or cls.__module__ != module.__name__:
                continue
            params = set(inspect.signature(cls.__init__).parameters)
            if REQUIRED <= params:
                found.setdefault(name, cls)
    if not found:
        raise ModelError(
            f"{package} holds no nn.Module taking (n_chans, n_bands, n_outputs); the study "
            "trains band-feature classifiers"
        )
    return found
