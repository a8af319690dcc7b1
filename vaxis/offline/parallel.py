"""Ray for independent training tasks (training members, study sweeps); joblib needs no help."""

from __future__ import annotations

from vaxis.errors import VaxisError


def connect_ray(address: str):
    """The ``ray`` module, initialised: ``"local"`` starts a local Ray, anything else goes to
    ``ray.init(address=...)`` (``"auto"``, ``"ray://host:10001"``)."""
    try:
        import ray
    except ImportError:
        raise VaxisError(
            "training on Ray needs the 'ray' package: pip install 'vaxis[ray]' (or leave Ray "
            "out to use joblib on this machine)"
        ) from None
    ray.init(address=None if address == "local" else address, ignore_reinit_error=True)
    return ray
