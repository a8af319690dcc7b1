"""What the live path needs to know of an ONNX file, read and stamped without the ``onnx``
package (which belongs to the ``train`` extra).

An ONNX model is a protobuf ``ModelProto``. :func:`read_signature` walks its wire format just
far enough to return the graph's inputs and outputs (names, element types, shapes) and the
model's ``metadata_props``; :func:`write_metadata` rewrites the file with some metadata
entries replaced and everything else byte for byte as it was. Field numbers are those of
``onnx.proto`` (ModelProto: graph 7, metadata_props 14; GraphProto: initializer 5, input 11,
output 12; ValueInfoProto: name 1, type 2; TypeProto: tensor_type 1; Tensor: elem_type 1,
shape 2; TensorShapeProto: dim 1; Dimension: dim_value 1, dim_param 2; TensorProto: name 8;
StringStringEntryProto: key 1, value 2).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

#: ONNX ``TensorProto.DataType`` of float32, the only input and output type vaxis feeds.
FLOAT = 1

_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5


class OnnxFormatError(ValueError):
    """The bytes are not a well-formed ONNX protobuf."""


@dataclass(frozen=True)
class TensorInfo:
    """One graph input or output: ``shape`` holds ints, symbolic names (str) or None."""

    name: str
    elem_type: int
    shape: tuple[int | str | None, ...]


@dataclass
class GraphSignature:
    """The graph's inputs (initializers excluded) and outputs, and the model's metadata."""

    inputs: list[TensorInfo] = field(default_factory=list)
    outputs: list[TensorInfo] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise OnnxFormatError("truncated or overlong varint")
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _fields(buf: memoryview) -> Iterator[tuple[int, int, int | memoryview, int, int]]:
    """``(field, wire type, value, start, end)`` of each field; ``value`` is an int for
    varints and fixed-width fields, a memoryview for length-delimited ones; ``start:end``
    is the whole field, key included."""
    pos = 0
    while pos < len(buf):
        start = pos
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        value: int | memoryview
        if wire == _VARINT:
            value, pos = _varint(buf, pos)
        elif wire == _FIXED64:
            value, pos = int.from_bytes(buf[pos : pos + 8], "little"), pos + 8
        elif wire == _FIXED32:
            value, pos = int.from_bytes(buf[pos : pos + 4], "little"), pos + 4
        elif wire == _BYTES:
            length, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + length], pos + length
        else:
            raise OnnxFormatError(f"unsupported protobuf wire type {wire}")
        if pos > len(buf) or number == 0:
            raise OnnxFormatError("truncated protobuf field")
        yield number, wire, value, start, pos


def _text(value: int | memoryview) -> str:
    if not isinstance(value, memoryview):
        raise OnnxFormatError("a string field is not length-delimited")
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        raise OnnxFormatError("a string field is not UTF-8") from None


def _sub(buf: memoryview, number: int) -> list[memoryview]:
    return [v for n, _, v, _, _ in _fields(buf) if n == number and isinstance(v, memoryview)]


def _tensor_info(value_info: memoryview) -> TensorInfo:
    name, elem_type = "", 0
    shape: tuple[int | str | None, ...] = ()
    for number, _, value, _, _ in _fields(value_info):
        if number == 1:
            name = _text(value)
        elif number == 2 and isinstance(value, memoryview):
            for tensor in _sub(value, 1):
                for n, _, v, _, _ in _fields(tensor):
                    if n == 1 and isinstance(v, int):
                        elem_type = v
                    elif n == 2 and isinstance(v, memoryview):
                        shape = tuple(_dim(d) for d in _sub(v, 1))
    return TensorInfo(name, elem_type, shape)


def _dim(dimension: memoryview) -> int | str | None:
    for number, _, value, _, _ in _fields(dimension):
        if number == 1 and isinstance(value, int):
            return value
        if number == 2:
            return _text(value)
    return None


def read_signature(path: str | Path) -> GraphSignature:
    """Inputs, outputs and ``metadata_props`` of an ONNX model file.

    Raises
    ------
    OnnxFormatError
        If the file is not a well-formed ONNX model or holds no graph.
    """
    buf = memoryview(Path(path).read_bytes())
    signature, graph = GraphSignature(), None
    for number, _, value, _, _ in _fields(buf):
        if not isinstance(value, memoryview):
            continue
        if number == 7:
            graph = value
        elif number == 14:
            entry = {n: _text(v) for n, w, v, _, _ in _fields(value) if w == _BYTES}
            signature.metadata[entry.get(1, "")] = entry.get(2, "")
    if graph is None:
        raise OnnxFormatError("no graph in the model")
    initialised: set[str] = set()
    for tensor in _sub(graph, 5):
        initialised.update(_text(v) for n, w, v, _, _ in _fields(tensor) if n == 8 and w == _BYTES)
    signature.inputs = [
        info for info in map(_tensor_info, _sub(graph, 11)) if info.name not in initialised
    ]
    signature.outputs = [_tensor_info(v) for v in _sub(graph, 12)]
    return signature


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _length_delimited(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | _BYTES) + _encode_varint(len(payload)) + payload


def write_metadata(path: str | Path, entries: Mapping[str, str], replace_prefix: str) -> None:
    """Rewrite ``path`` with every ``metadata_props`` entry whose key starts with
    ``replace_prefix`` replaced by ``entries`` (atomically: a temporary file, then a rename).

    Raises
    ------
    OnnxFormatError
        If the file is not a well-formed ONNX model.
    """
    path = Path(path)
    buf = memoryview(path.read_bytes())
    kept, has_graph = bytearray(), False
    for number, wire, value, start, end in _fields(buf):
        has_graph |= number == 7 and wire == _BYTES
        if number == 14 and isinstance(value, memoryview):
            key = next((_text(v) for n, w, v, _, _ in _fields(value) if n == 1), "")
            if key.startswith(replace_prefix):
                continue
        kept += buf[start:end]
    if not has_graph:
        raise OnnxFormatError("no graph in the model")
    for key, text in entries.items():
        entry = _length_delimited(1, key.encode()) + _length_delimited(2, text.encode())
        kept += _length_delimited(14, entry)
    tmp = path.with_name(f".{path.name}.stamping")
    tmp.write_bytes(bytes(kept))
    os.replace(tmp, path)
