"""Load numpy arrays from pickles without ever running code from the file, and without
letting the file decide how much memory is allocated.

FACED publishes its data as pickles, and ``pickle.load`` executes whatever callable a file
names. :func:`load_array` unpickles with Python's pure-Python unpickler, every step of
which is checked here:

- ``find_class`` admits only stand-ins for the handful of numpy callables that rebuild a
  plain ``ndarray`` (``_reconstruct``, ``ndarray``, ``dtype``, ``_frombuffer``, ``scalar``,
  and a latin-1-only ``_codecs.encode`` for old protocols); any other global — ``os.system``,
  a class of some package, ``builtins.eval`` — is refused before it is called, so nothing in
  the file runs;
- every array the file declares (by a call, or by the state it sets on an array) is sized
  before anything is allocated: only plain numeric dtypes are admitted (no object,
  structured or sub-array dtypes), and the bytes all declared arrays need together may not
  exceed what the file itself holds (a real array pickle carries its data) nor the bound the
  caller derives from the layout it expects;
- the file is read whole (after checking its size against that bound), so no length it
  declares makes a read allocate more than it holds; a length declared for a buffer that is
  made before it is read is checked against the file's size; and a pickle may take only
  :data:`MAX_STEPS` opcodes (a real array pickle takes a few dozen), so no sequence of small
  opcodes can build a large structure.
"""

from __future__ import annotations

import io
import math
import operator
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from struct import unpack
from typing import Any

import numpy as np

from vaxis.errors import DataError, UnsafePickleError

#: Opcodes a pickle may execute; numpy writes about 20 (protocol 5) to 50 (protocol 0).
MAX_STEPS = 10_000
#: The longest clip a FACED-layout subject file may declare (FACED's clips last 30 s).
FACED_MAX_CLIP_S = 300.0
#: Plain numeric dtype kinds: bool, signed and unsigned integers, floats, complex.
NUMERIC_KINDS = "biufc"

_CORE = ("numpy.core.multiarray", "numpy._core.multiarray")
_NUMERIC = ("numpy.core.numeric", "numpy._core.numeric")


class _Refused(Exception):
    """Why a pickle is refused; :func:`load_array` names the file."""


def _latin1_bytes(text, encoding: str = "latin1") -> bytes:
    # Protocols < 3 store an array's buffer as a latin-1 string rebuilt by _codecs.encode;
    # this stand-in does only that conversion.
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError("_codecs.encode is admitted for latin-1 buffers only")
    return text.encode("latin1")


def _empty_bytes(*args) -> bytes:
    # Protocols < 3 write an empty buffer as a call of bytes() without arguments.
    if args:
        raise _Refused("bytes() is admitted without arguments only")
    return b""


def _numeric_dtype(spec, align=False, copy=False) -> np.dtype:
    """``numpy.dtype`` for a plain numeric type code; always a fresh copy, so a later state
    (byte order) set by the file can never touch numpy's shared instances."""
    if not isinstance(spec, str) or len(spec) > 8:
        raise _Refused(f"numpy.dtype({spec!r:.40}) is not a plain numeric type code")
    dtype = np.dtype(spec)
    if dtype.kind not in NUMERIC_KINDS or dtype.fields is not None or dtype.shape:
        raise _Refused(
            f"dtype {dtype} is not admitted: numeric arrays only (no object arrays, records "
            "or strings)"
        )
    return np.dtype(spec, align=False, copy=True)


def _shape(shape) -> tuple[int, ...]:
    if isinstance(shape, int):
        shape = (shape,)
    if not isinstance(shape, tuple) or len(shape) > 32:
        raise pickle.UnpicklingError(f"array shape {shape!r:.60} is not a tuple of integers")
    try:
        dims = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise pickle.UnpicklingError(
            f"array shape {shape!r:.60} is not a tuple of integers"
        ) from None
    if any(d < 0 for d in dims):
        raise pickle.UnpicklingError(f"array shape {dims} has a negative dimension")
    return dims


def _bytes(size: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if size < 1024 or unit == "PiB":
            return f"{size} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError  # unreachable: the loop returns at PiB


def _counted(handler):
    def step(self):
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _Refused(f"more than {MAX_STEPS} pickle opcodes; a numpy array needs a few dozen")
        handler(self)

    return step


class _ArrayUnpickler(pickle._Unpickler):  # the pure-Python unpickler: every opcode is ours
    # Set by pickle._Unpickler.load() and absent from its stub.
    stack: list[Any]
    read: Callable[[int], bytes]
    append: Callable[[Any], None]

    def __init__(self, file, file_bytes: int, max_elements: int | None, layout: str):
        super().__init__(file, encoding="latin1")
        self.file_bytes = file_bytes
        self.max_elements, self.layout = max_elements, layout
        self.declared = 0
        self.steps = 0
        # One object, so _reconstruct can tell it is handed numpy.ndarray by identity.
        self.ndarray = self._new_array

    # -- what may be called ---------------------------------------------------------------

    def find_class(self, module: str, name: str):
        stand_ins = {
            ("_codecs", "encode"): _latin1_bytes,
            ("__builtin__", "bytes"): _empty_bytes,
            ("builtins", "bytes"): _empty_bytes,
            ("numpy", "dtype"): _numeric_dtype,
            ("numpy", "ndarray"): self.ndarray,
            **{(m, "_reconstruct"): self._reconstruct for m in _CORE},
            **{(m, "scalar"): self._scalar for m in _CORE},
            **{(m, "_frombuffer"): self._frombuffer for m in _NUMERIC},
        }
        try:
            return stand_ins[(module, name)]
        except KeyError:
            raise _Refused(
                f"the pickle names {module}.{name}, but only numpy arrays are admitted "
                "(nothing from the file was run)"
            ) from None

    def persistent_load(self, pid):
        raise _Refused("persistent ids are not admitted")

    def _admit(self, shape, dtype) -> tuple[int, ...]:
        """Check an array's declared size before anything is allocated for it."""
        if not isinstance(dtype, np.dtype) or dtype.kind not in NUMERIC_KINDS or dtype.shape:
            raise _Refused(f"an array of dtype {dtype!s:.40} (numeric arrays only)")
        dims = _shape(shape)
        elements = math.prod(dims)
        size = elements * dtype.itemsize
        self.declared += size
        if self.max_elements is not None and elements > self.max_elements:
            raise _Refused(
                f"the pickle declares an array of shape {dims} ({elements} values, "
                f"{_bytes(size)}), more than {self.layout} allows ({self.max_elements} "
                "values); nothing was allocated"
            )
        if self.declared > self.file_bytes:
            raise _Refused(
                f"the pickle declares an array of shape {dims} {dtype} ({_bytes(size)}) but "
                f"the file holds only {_bytes(self.file_bytes)}, so its data cannot be in it; "
                "nothing was allocated"
            )
        return dims

    def _new_array(self, shape=(), dtype="f8"):
        dtype = _numeric_dtype(dtype) if isinstance(dtype, str) else dtype
        return np.zeros(self._admit(shape, dtype), dtype)

    def _reconstruct(self, subtype, shape, code):
        if subtype is not self.ndarray:
            raise _Refused(f"_reconstruct of {subtype!r:.40}; only numpy.ndarray is admitted")
        dtype = _numeric_dtype(code.decode("latin1") if isinstance(code, bytes) else code)
        return np.zeros(self._admit(shape, dtype), dtype)

    def _scalar(self, dtype, data=b""):
        if not isinstance(data, bytes) or not isinstance(dtype, np.dtype):
            raise pickle.UnpicklingError("a numpy scalar needs a dtype and bytes")
        self._admit((), dtype)
        if len(data) != dtype.itemsize:
            raise pickle.UnpicklingError(f"a {dtype} scalar holds {len(data)} bytes")
        return np.frombuffer(data, dtype)[0]

    def _frombuffer(self, buf, dtype, shape, order="C", axis_order=None):
        if not isinstance(buf, (bytes, bytearray)) or order not in ("C", "F", "K"):
            raise pickle.UnpicklingError("_frombuffer needs an in-band buffer and order C, F or K")
        dims = self._admit(shape, dtype)
        if len(buf) != math.prod(dims) * dtype.itemsize:
            raise pickle.UnpicklingError(
                f"buffer of {len(buf)} bytes does not hold a {dims} {dtype} array"
            )
        array = np.frombuffer(buf, dtype)
        if order == "K" and axis_order is not None:
            # numpy >= 2.1 writes a non-contiguous array in memory order plus the axis order.
            if sorted(_shape(axis_order)) != list(range(len(dims))):
                raise pickle.UnpicklingError(f"axis order {axis_order!r:.40} is not a permutation")
            return array.reshape(dims, order="C").transpose(axis_order)
        return array.reshape(dims, order="F" if order == "F" else "C")

    # -- opcodes that set state or size buffers ------------------------------------------

    def load_build(self):
        state = self.stack.pop()
        target = self.stack[-1]
        if isinstance(target, np.dtype):
            self._set_dtype_state(target, state)
        elif type(target) is np.ndarray:
            self._set_array_state(target, state)
        else:
            raise _Refused(
                f"the pickle sets the state of a {type(target).__name__}; only arrays and "
                "dtypes are admitted"
            )

    def _set_dtype_state(self, dtype: np.dtype, state) -> None:
        # A plain numeric dtype's state: (version, byteorder, None, None, None, -1, -1, flags
        # [, metadata]); anything richer (fields, sub-arrays) is refused.
        simple = (
            isinstance(state, tuple) and len(state) in (8, 9) and state[0] in (3, 4)
            and state[1] in ("<", ">", "|", "=") and state[2:5] == (None, None, None)
            and state[5:7] == (-1, -1) and isinstance(state[7], int)
            and (len(state) == 8 or state[8] is None)
        )  # fmt: skip
        if not simple:
            raise _Refused(f"dtype state {state!r:.80} is not a plain numeric one")
        dtype.__setstate__(state)  # type: ignore[attr-defined]  # numpy's stub omits it

    def _set_array_state(self, array: np.ndarray, state) -> None:
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise pickle.UnpicklingError(f"array state {state!r:.60} is malformed")
        shape, dtype, fortran, data = state[-4:]
        dims = self._admit(shape, dtype)
        if isinstance(data, str):
            data = data.encode("latin1")  # Python 2 pickles, read with encoding latin-1
        if not isinstance(data, (bytes, bytearray)):
            raise pickle.UnpicklingError("array data is not a byte buffer")
        needed = math.prod(dims) * dtype.itemsize
        if len(data) != needed:
            raise pickle.UnpicklingError(
                f"array data of {len(data)} bytes does not fill shape {dims} {dtype} "
                f"({needed} bytes)"
            )
        # numpy's stub asks for np.bool_; the C implementation takes any truth value.
        array.__setstate__((1, dims, dtype, bool(fortran), data))  # type: ignore[arg-type]

    def _declared_length(self, opcode: str) -> int:
        (length,) = unpack("<Q", self.read(8))
        if length > self.file_bytes:
            raise _Refused(
                f"{opcode} declares {_bytes(length)} but the file holds only "
                f"{_bytes(self.file_bytes)}; nothing was allocated"
            )
        return length

    def load_bytearray8(self):
        data = self.read(self._declared_length("a byte array"))
        self.append(bytearray(data))

    dispatch = {code: _counted(handler) for code, handler in pickle._Unpickler.dispatch.items()}
    dispatch[pickle.BUILD[0]] = _counted(load_build)
    dispatch[pickle.BYTEARRAY8[0]] = _counted(load_bytearray8)


def _read_bounded(path: Path, max_elements: int | None, layout: str) -> tuple[bytes, int]:
    """The file's bytes and size, refused unread when larger than ``max_elements`` allow."""
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        raise DataError(f"{path}: file does not exist") from None
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err.strerror})") from None
    with fh:
        file_bytes = os.fstat(fh.fileno()).st_size
        if max_elements is not None and file_bytes > max_elements * 16 + (1 << 20):
            raise UnsafePickleError(
                f"{path}: refused: {_bytes(file_bytes)} is larger than any array {layout} "
                f"allows ({max_elements} values)"
            )
        return fh.read(), file_bytes


def _unpickle(
    data: bytes, path: Path, file_bytes: int, max_elements: int | None, layout: str
) -> object:
    """What the pickle ``data`` holds, through :class:`_ArrayUnpickler`; every failure is
    one clear error naming ``path``."""
    truncated = (
        f"{path}: truncated pickle ({file_bytes} bytes): the file ends before the array does"
    )
    try:
        # In memory, reads never go past what the file holds, whatever length it declares.
        return _ArrayUnpickler(io.BytesIO(data), file_bytes, max_elements, layout).load()
    except _Refused as why:
        raise UnsafePickleError(f"{path}: refused to load: {why}") from None
    except EOFError:
        raise DataError(truncated) from None
    except Exception as err:  # noqa: BLE001 - any failure to parse a hostile file
        if "truncated" in str(err):
            raise DataError(truncated) from None
        raise DataError(
            f"{path}: not a readable numpy pickle ({type(err).__name__}: {err!s:.120})"
        ) from None


def load_array(
    path: str | Path, max_elements: int | None = None, layout: str = "the expected layout"
) -> np.ndarray:
    """Read one numpy array from a pickle file, refusing anything else.

    Parameters
    ----------
    path : path
        A pickle holding a single ``numpy.ndarray`` (as FACED's ``.pkl`` files do).
    max_elements : int, optional
        The most values the array may hold, derived by the caller from the layout it
        expects (FACED: 28 clips x 32 channels x a few minutes at 250 Hz). Checked against
        the shape the file declares, before anything is allocated. Independently, the
        arrays a file declares may never need more bytes than the file holds.
    layout : str
        Names the expected layout in the error message.

    Returns
    -------
    ndarray
        A numeric array (object, structured and sub-array dtypes are refused).

    Raises
    ------
    UnsafePickleError
        When the file names any callable other than numpy's array rebuilders, declares an
        array beyond the bounds above or of a non-numeric dtype, or takes more than
        :data:`MAX_STEPS` opcodes.
    DataError
        When the file is missing, truncated, not a pickle, or holds something other than
        an array.
    """
    path = Path(path)
    data, file_bytes = _read_bounded(path, max_elements, layout)
    value = _unpickle(data, path, file_bytes, max_elements, layout)
    if not isinstance(value, np.ndarray):
        raise DataError(f"{path}: expected a numpy array, found {type(value).__name__}")
    if value.dtype.hasobject:
        raise UnsafePickleError(f"{path}: refused: object arrays are not admitted")
    return value
