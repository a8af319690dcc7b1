"""Load numpy arrays from pickles without ever running code from the file.

FACED publishes its data as pickles, and ``pickle.load`` executes whatever callable a file
names. :func:`load_array` uses an unpickler whose ``find_class`` admits only the handful
of numpy callables that rebuild a plain ``ndarray`` (``_reconstruct``, ``ndarray``,
``dtype``, ``_frombuffer``, ``scalar``, and a latin-1-only ``_codecs.encode`` for old
protocols); any other global — ``os.system``, a class of some
package, ``builtins.eval`` — is refused before it is called, so nothing in the file runs.
Object arrays are refused too (their elements would be arbitrary pickled objects).
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np

from vaxis.errors import DataError, UnsafePickleError

_CORE = {"numpy.core.multiarray", "numpy._core.multiarray"}
_NUMERIC = {"numpy.core.numeric", "numpy._core.numeric"}


def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    # Protocols < 3 store an array's buffer as a latin-1 string rebuilt by _codecs.encode;
    # this stand-in does only that conversion.
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("_codecs.encode is admitted for latin-1 buffers only")
    return text.encode("latin1")


_ALLOWED = {
    ("_codecs", "encode"): _latin1_bytes,
    **{(m, "_reconstruct"): np._core.multiarray._reconstruct for m in _CORE},
    **{(m, "scalar"): np._core.multiarray.scalar for m in _CORE},
    **{(m, "_frombuffer"): np._core.numeric._frombuffer for m in _NUMERIC},
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class _ArrayUnpickler(pickle.Unpickler):
    def __init__(self, file, where: str):
        super().__init__(file)
        self.where = where

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"{self.where}: refused to load: the pickle names {module}.{name}, but only "
                "numpy arrays are admitted (nothing from the file was run)"
            ) from None

    def persistent_load(self, pid):
        raise UnsafePickleError(f"{self.where}: refused to load: persistent ids are not admitted")


def load_array(path: str | Path) -> np.ndarray:
    """Read one numpy array from a pickle file, refusing anything else.

    Parameters
    ----------
    path : path
        A pickle holding a single ``numpy.ndarray`` (as FACED's ``.pkl`` files do).

    Returns
    -------
    ndarray
        A numeric array (object arrays are refused).

    Raises
    ------
    UnsafePickleError
        When the file names any callable other than numpy's array rebuilders, or holds an
        object array.
    DataError
        When the file is missing, truncated, not a pickle, or holds something other than
        an array.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file does not exist") from None
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err.strerror})") from None
    try:
        value = _ArrayUnpickler(io.BytesIO(data), str(path)).load()
    except UnsafePickleError:
        raise
    except EOFError:
        raise DataError(
            f"{path}: truncated pickle ({len(data)} bytes): the file ends before the array does"
        ) from None
    except (pickle.UnpicklingError, ValueError, TypeError, AttributeError, IndexError) as err:
        if "truncated" in str(err):
            raise DataError(
                f"{path}: truncated pickle ({len(data)} bytes): the file ends before the array does"
            ) from None
        raise DataError(f"{path}: not a readable numpy pickle ({err})") from None
    if not isinstance(value, np.ndarray):
        raise DataError(f"{path}: expected a numpy array, found {type(value).__name__}")
    if value.dtype.hasobject:
        raise UnsafePickleError(f"{path}: refused: object arrays are not admitted")
    return value
