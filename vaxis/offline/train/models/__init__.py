"""The model zoo: plain ``nn.Module`` classifiers, one per file (braindecode style).

Band-feature models take ``(n_chans, n_bands, n_outputs)`` and read normalised DE
features ``(batch, n_chans, n_bands)`` (the ``envelope`` member reads envelope variability
of the same shape with the MLP); raw models take ``(n_chans, n_times, n_outputs)``
and read normalised raw windows ``(batch, n_chans, n_times)``. Every model's read-out is
its last registered ``nn.Linear`` (the study reads the penultimate representation there).
"""

from vaxis.offline.train.models.cbramod import CBraMod
from vaxis.offline.train.models.deep4 import DeepConvNet
from vaxis.offline.train.models.eegnet import EEGNet
from vaxis.offline.train.models.graph import TopoGraphNet
from vaxis.offline.train.models.logistic import LogisticDE
from vaxis.offline.train.models.mlp import MLPDE
from vaxis.offline.train.models.shallow import ShallowConvNet
from vaxis.offline.train.models.tangent import TangentMLP

#: Architecture name -> (class, input kind).
ZOO: dict[str, tuple[type, str]] = {
    "logistic": (LogisticDE, "features"),
    "mlp": (MLPDE, "features"),
    "graph": (TopoGraphNet, "features"),
    "shallow": (ShallowConvNet, "raw"),
    "eegnet": (EEGNet, "raw"),
    "deep4": (DeepConvNet, "raw"),
    "cbramod": (CBraMod, "raw"),
    "tangent": (TangentMLP, "covariance"),
    "envelope": (MLPDE, "envelope"),
}

__all__ = [
    "ZOO",
    "CBraMod",
    "DeepConvNet",
    "EEGNet",
    "LogisticDE",
    "MLPDE",
    "ShallowConvNet",
    "TangentMLP",
    "TopoGraphNet",
]
