"""The project's own exceptions.

A user error (missing file, wrong channels, bad pickle, no model, a bundle that cannot be
honoured) raises a subclass of :class:`VaxisError`; the CLI prints its message on one line
and exits non-zero without a traceback.

Each class also subclasses the builtin exception it refines, so code that embeds vaxis
may catch either: ``except DataError`` or ``except ValueError`` both see a malformed
corpus. Messages name the Python parameters (``split='kfold'``), which the command-line
options mirror.
"""


class VaxisError(Exception):
    """Base class of every error a user can cause and fix."""


class ConfigError(VaxisError, ValueError):
    """A setting or parameter has an unknown or out-of-range value (a ``ValueError``)."""


class DataError(VaxisError, ValueError):
    """A corpus, recording, axis or lexicon file is missing, malformed or refused
    (a ``ValueError``: the input's content, not the program, is at fault)."""


class UnsafePickleError(DataError):
    """A pickle asked to build something other than numpy arrays and dtypes."""


class ModelError(VaxisError, RuntimeError):
    """A language model or trained model cannot be found, loaded or used (a
    ``RuntimeError``: the installation, a checkpoint or an export failed, not a value)."""


class BundleError(VaxisError, ValueError):
    """A decoder bundle is missing, corrupt or cannot be honoured (a ``ValueError``)."""


class ProfileError(VaxisError, ValueError):
    """A participant profile is missing, corrupt, or belongs to another bundle (a
    ``ValueError``)."""


class StreamError(VaxisError, ConnectionError):
    """An LSL stream or a publisher endpoint cannot be found or reached, or the stream
    does not match the bundle (a ``ConnectionError``: the connection is refused)."""
