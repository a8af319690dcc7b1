"""Pure computation shared by offline training and live decoding: a window in, a prediction out.

Never imports torch, transformers, :mod:`vaxis.offline` or :mod:`vaxis.stream`. The public
names load lazily, on first use.
"""

from typing import TYPE_CHECKING

from vaxis._lazy import lazy_exports

#: Each public name and the module that defines it.
_EXPORTS = {
    "Bundle": "vaxis.decoder.bundle",
    "load_bundle": "vaxis.decoder.bundle",
    "Decoder": "vaxis.decoder.pipeline",
    "Predictions": "vaxis.decoder.pipeline",
    "Profile": "vaxis.decoder.profile",
    "load_profile": "vaxis.decoder.profile",
    "save_profile": "vaxis.decoder.profile",
    "InputStats": "vaxis.decoder.inputs",
    "QualityLimits": "vaxis.decoder.quality",
}

__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # what type checkers and editors see; kept equal to _EXPORTS by a test
    from vaxis.decoder.bundle import Bundle as Bundle
    from vaxis.decoder.bundle import load_bundle as load_bundle
    from vaxis.decoder.inputs import InputStats as InputStats
    from vaxis.decoder.pipeline import Decoder as Decoder
    from vaxis.decoder.pipeline import Predictions as Predictions
    from vaxis.decoder.profile import Profile as Profile
    from vaxis.decoder.profile import load_profile as load_profile
    from vaxis.decoder.profile import save_profile as save_profile
    from vaxis.decoder.quality import QualityLimits as QualityLimits
