"""Calibration sessions: the protocol and its markers, the recording, and the adaptation
that turns a recording into a participant profile.

The public names load lazily, on first use.
"""

from typing import TYPE_CHECKING

from vaxis._lazy import lazy_exports

#: Each public name and the module that defines it.
_EXPORTS = {
    "CalibrationConfig": "vaxis.calibration.config",
    "CalibrationResult": "vaxis.calibration.session",
    "calibrate": "vaxis.calibration.session",
    "record_session": "vaxis.calibration.session",
    "adapt": "vaxis.calibration.adaptation",
    "Protocol": "vaxis.calibration.protocol",
    "load_protocol": "vaxis.calibration.protocol",
    "MarkerOutlet": "vaxis.calibration.markers",
}

__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # what type checkers and editors see; kept equal to _EXPORTS by a test
    from vaxis.calibration.adaptation import adapt as adapt
    from vaxis.calibration.config import CalibrationConfig as CalibrationConfig
    from vaxis.calibration.markers import MarkerOutlet as MarkerOutlet
    from vaxis.calibration.protocol import Protocol as Protocol
    from vaxis.calibration.protocol import load_protocol as load_protocol
    from vaxis.calibration.session import CalibrationResult as CalibrationResult
    from vaxis.calibration.session import calibrate as calibrate
    from vaxis.calibration.session import record_session as record_session
