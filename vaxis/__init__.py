"""vaxis: real-time decoding of emotional valence from EEG on a language-model valence axis.

The public names below load lazily, on first use: ``vaxis.LiveLoop`` imports the live path
only (no torch, transformers or scikit-learn), ``vaxis.train_bundle`` the offline one.

Examples
--------
>>> import vaxis
>>> bundle = vaxis.load_bundle("bundle/")  # doctest: +SKIP
>>> predictions = vaxis.Decoder(bundle).decode(windows)  # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from vaxis._lazy import lazy_exports

__version__ = "0.1.0"

#: Each public name and the module it is imported from.
_EXPORTS = {
    # decoding: a window in, a prediction out
    "Bundle": "vaxis.decoder",
    "load_bundle": "vaxis.decoder",
    "Decoder": "vaxis.decoder",
    "Predictions": "vaxis.decoder",
    "Profile": "vaxis.decoder",
    "load_profile": "vaxis.decoder",
    # live decoding and replay
    "LiveConfig": "vaxis.stream",
    "LiveLoop": "vaxis.stream",
    "LiveSummary": "vaxis.stream",
    "run_live": "vaxis.stream",
    "run_live_many": "vaxis.stream",
    "ReplayResult": "vaxis.stream",
    "replay_fast": "vaxis.stream",
    "replay_realtime": "vaxis.stream",
    "read_recording": "vaxis.stream",
    # calibration
    "CalibrationConfig": "vaxis.calibration",
    "CalibrationResult": "vaxis.calibration",
    "calibrate": "vaxis.calibration",
    "adapt": "vaxis.calibration",
    "Protocol": "vaxis.calibration",
    "load_protocol": "vaxis.calibration",
    # offline: the V-axis, corpora, training, the study
    "AxisFile": "vaxis.offline.axis",
    "load_axis": "vaxis.offline.axis",
    "save_axis": "vaxis.offline.axis",
    "build_axis": "vaxis.offline.axis.build",
    "Corpus": "vaxis.offline.corpus",
    "open_corpus": "vaxis.offline.corpus",
    "TrainConfig": "vaxis.offline.train",
    "TrainResult": "vaxis.offline.train",
    "train_bundle": "vaxis.offline.train",
    "StudyConfig": "vaxis.offline.study",
    "StudySummary": "vaxis.offline.study",
    "run_study": "vaxis.offline.study",
    # errors a user can cause and fix
    "VaxisError": "vaxis.errors",
    "BundleError": "vaxis.errors",
    "ConfigError": "vaxis.errors",
    "DataError": "vaxis.errors",
    "ModelError": "vaxis.errors",
    "ProfileError": "vaxis.errors",
    "StreamError": "vaxis.errors",
}

__all__ = ["__version__", *_EXPORTS]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # what type checkers and editors see; kept equal to _EXPORTS by a test
    from vaxis.calibration import CalibrationConfig as CalibrationConfig
    from vaxis.calibration import CalibrationResult as CalibrationResult
    from vaxis.calibration import Protocol as Protocol
    from vaxis.calibration import adapt as adapt
    from vaxis.calibration import calibrate as calibrate
    from vaxis.calibration import load_protocol as load_protocol
    from vaxis.decoder import Bundle as Bundle
    from vaxis.decoder import Decoder as Decoder
    from vaxis.decoder import Predictions as Predictions
    from vaxis.decoder import Profile as Profile
    from vaxis.decoder import load_bundle as load_bundle
    from vaxis.decoder import load_profile as load_profile
    from vaxis.errors import BundleError as BundleError
    from vaxis.errors import ConfigError as ConfigError
    from vaxis.errors import DataError as DataError
    from vaxis.errors import ModelError as ModelError
    from vaxis.errors import ProfileError as ProfileError
    from vaxis.errors import StreamError as StreamError
    from vaxis.errors import VaxisError as VaxisError
    from vaxis.offline.axis import AxisFile as AxisFile
    from vaxis.offline.axis import load_axis as load_axis
    from vaxis.offline.axis import save_axis as save_axis
    from vaxis.offline.axis.build import build_axis as build_axis
    from vaxis.offline.corpus import Corpus as Corpus
    from vaxis.offline.corpus import open_corpus as open_corpus
    from vaxis.offline.study import StudyConfig as StudyConfig
    from vaxis.offline.study import StudySummary as StudySummary
    from vaxis.offline.study import run_study as run_study
    from vaxis.offline.train import TrainConfig as TrainConfig
    from vaxis.offline.train import TrainResult as TrainResult
    from vaxis.offline.train import train_bundle as train_bundle
    from vaxis.stream import LiveConfig as LiveConfig
    from vaxis.stream import LiveLoop as LiveLoop
    from vaxis.stream import LiveSummary as LiveSummary
    from vaxis.stream import ReplayResult as ReplayResult
    from vaxis.stream import read_recording as read_recording
    from vaxis.stream import replay_fast as replay_fast
    from vaxis.stream import replay_realtime as replay_realtime
    from vaxis.stream import run_live as run_live
    from vaxis.stream import run_live_many as run_live_many
