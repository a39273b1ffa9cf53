"""A safetensors reader in NumPy alone (runs in Pyodide).

The format: an 8-byte little-endian header length ``N``, ``N`` bytes of JSON mapping each
tensor name to ``{"dtype", "shape", "data_offsets": [begin, end]}`` (offsets relative to
the byte after the header), an optional ``"__metadata__"`` of strings, then the data.
Every field is checked before any tensor is made: a file that lies about its layout is an
``InvalidInputError`` naming the file, never a crash or a silent garbage tensor.
"""

from __future__ import annotations

import json
import math
import struct

import numpy as np

from ..errors import InvalidInputError

__all__ = ["read_safetensors"]

# safetensors dtype -> little-endian NumPy dtype (BF16 widened to float32 below)
_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "BF16": "<u2",
    "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?",
}
_MAX_HEADER = 100 << 20  # the reference implementation's limit


def _bad(name: str, why: str) -> InvalidInputError:
    return InvalidInputError(f"{name}: not a valid safetensors file ({why})")


def read_safetensors(data: bytes | bytearray | memoryview, name: str = "model.safetensors") -> dict[str, np.ndarray]:
    """Tensors of a safetensors file's bytes, as read-only arrays viewing ``data``."""
    buffer = memoryview(data).cast("B")
    if len(buffer) < 8:
        raise _bad(name, f"{len(buffer)} bytes, shorter than the 8-byte header length")
    (header_len,) = struct.unpack("<Q", buffer[:8])
    if header_len > min(_MAX_HEADER, len(buffer) - 8):
        raise _bad(name, f"header of {header_len} bytes in a file of {len(buffer)}")
    try:
        header = json.loads(bytes(buffer[8 : 8 + header_len]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _bad(name, f"header is not JSON: {err}") from None
    if not isinstance(header, dict):
        raise _bad(name, "header is not a JSON object")
    body = buffer[8 + header_len :]
    tensors: dict[str, np.ndarray] = {}
    spans = []
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        tensor, span = _tensor(name, key, entry, body)
        tensors[key] = tensor
        spans.append(span)
    spans.sort()
    for (_, end), (begin, _) in zip(spans, spans[1:]):
        if begin < end:
            raise _bad(name, "tensors overlap")
    return tensors


def _tensor(name: str, key: str, entry: object, body: memoryview) -> tuple[np.ndarray, tuple[int, int]]:
    if not isinstance(entry, dict):
        raise _bad(name, f"entry {key!r} is not an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if dtype not in _DTYPES:
        raise _bad(name, f"{key!r} has unsupported dtype {dtype!r}")
    if not (isinstance(shape, list) and all(type(n) is int and n >= 0 for n in shape)):
        raise _bad(name, f"{key!r} has shape {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(n) is int for n in offsets)):
        raise _bad(name, f"{key!r} has data_offsets {offsets!r}")
    begin, end = offsets
    item = np.dtype(_DTYPES[dtype])
    if not 0 <= begin <= end <= len(body):
        raise _bad(name, f"{key!r} spans bytes {begin}..{end} of a {len(body)}-byte body (truncated?)")
    if end - begin != math.prod(shape) * item.itemsize:
        raise _bad(name, f"{key!r} has {end - begin} bytes for shape {shape} of {dtype}")
    array = np.frombuffer(body[begin:end], dtype=item).reshape(shape)
    if dtype == "BF16":  # the upper half of a float32
        array = (array.astype(np.uint32) << 16).view(np.float32)
    return array, (begin, end)
