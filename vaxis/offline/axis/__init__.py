"""The V-axis: a valence direction from a language model's hidden states."""

from vaxis.offline.axis.file import SCHEMA, AxisFile, load_axis, save_axis
from vaxis.offline.axis.validate import AxisComparison, AxisValidation

__all__ = ["SCHEMA", "AxisComparison", "AxisFile", "AxisValidation", "load_axis", "save_axis"]
