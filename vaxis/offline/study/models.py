"""The classifiers of the study's grids: the training package's model zoo, by name.

The study writes no model of its own. An :class:`Architecture` names a model of the zoo
(:data:`vaxis.offline.train.models.ZOO`) and the input it reads -- band features, the
tangent vectors of band covariances, or decimated raw windows -- and builds it exactly as
``vaxis train`` builds a member (:func:`vaxis.offline.train.pool.build_member`). Callers
may add band-feature builders of their own under new names.

Rediscovery asks whether a *learned* representation carries the V-axis, so its members
must learn one: a model whose only trainable layer is its read-out (the logistic
regression) reads its input directly and is refused (:func:`learns_representation`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from vaxis.errors import ConfigError


@dataclass(frozen=True)
class Architecture:
    """A classifier of the study: the input it reads and how it is built.

    Attributes
    ----------
    name : str
        A zoo name (``"mlp"``, ``"tangent"``, ...) or a caller's name.
    kind : {"features", "covariance", "raw"}
        The input it reads.
    builder : callable, optional
        A caller's band-feature model, ``builder(n_chans=, n_bands=, n_outputs=)``; None
        builds the zoo's model ``name``.
    """

    name: str
    kind: str
    builder: Callable | None = None

    def build(
        self,
        input_shape: tuple[int, ...],
        n_outputs: int,
        seed: int,
        raw_sfreq: float | None = None,
        channels: list[str] | None = None,
    ):
        """A freshly initialised model for one window's ``input_shape`` (seeded)."""
        import torch

        if self.builder is not None:
            torch.manual_seed(seed)
            n_chans, n_bands = input_shape
            return self.builder(n_chans=n_chans, n_bands=n_bands, n_outputs=n_outputs)
        from vaxis.offline.train.pool import MemberSpec, build_member

        spec = MemberSpec(self.name, seed, ())
        return build_member(spec, tuple(input_shape), n_outputs, raw_sfreq or 0.0,
                            list(channels or []))  # fmt: skip


def study_architectures(extra: dict[str, Callable] | None = None) -> dict[str, Architecture]:
    """Every zoo model by its zoo name, then ``extra`` band-feature builders by theirs."""
    from vaxis.offline.train.models import ZOO

    found = {name: Architecture(name, kind) for name, (_, kind) in ZOO.items()}
    for name, builder in (extra or {}).items():
        found[name] = builder if isinstance(builder, Architecture) else Architecture(
            name, "features", builder
        )  # fmt: skip
    return found


def pick(
    names: list[str], registry: dict[str, Architecture], kinds: set[str], what: str
) -> list[str]:
    """``names`` that read one of ``kinds``; unknown names raise :class:`ConfigError`."""
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ConfigError(f"{what}: unknown architectures {unknown}; known: {sorted(registry)}")
    return [n for n in names if registry[n].kind in kinds]


def learns_representation(model) -> bool:
    """True when some trainable parameter lies outside the model's read-out layer."""
    from vaxis.offline.train.penultimate import last_linear

    readout = {id(p) for p in last_linear(model).parameters()}
    return any(id(p) not in readout for p in model.parameters() if p.requires_grad)
