"""The project's own exceptions.

A user error (missing file, wrong channels, bad pickle, no model, a bundle that cannot be
honoured) raises a subclass of :class:`VaxisError`; the CLI prints its message on one line
and exits non-zero without a traceback.
"""


class VaxisError(Exception):
    """Base class of every error a user can cause and fix."""


class DataError(VaxisError):
    """A corpus or recording file is missing, malformed or refused."""


class UnsafePickleError(DataError):
    """A pickle asked to build something other than numpy arrays and dtypes."""


class ModelError(VaxisError):
    """A language model or trained model cannot be found or used."""


class BundleError(VaxisError):
    """A decoder bundle is missing, corrupt or cannot be honoured."""


class StreamError(VaxisError):
    """An LSL stream cannot be found or does not match the bundle."""
