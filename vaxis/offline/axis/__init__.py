"""The V-axis: a valence direction from a language model's hidden states."""

from vaxis.offline.axis.file import SCHEMA, AxisFile, load_axis, save_axis

__all__ = ["SCHEMA", "AxisFile", "load_axis", "save_axis"]
