"""The safetensors reader against the safetensors package (the format's reference
implementation), and files that lie about their layout."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from ruvector_attention.errors import InvalidInputError
from ruvector_attention.models import read_safetensors
from tests.oracles import IN_PYODIDE, needs_torch, torch


def _file(header: dict, body: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + body


@pytest.mark.skipif(IN_PYODIDE, reason="the safetensors package is CPython-only here")
def test_equals_the_reference_writer_for_every_dtype():
    from safetensors.numpy import save

    rng = np.random.default_rng(0)
    tensors = {
        "f32": rng.normal(size=(3, 5)).astype(np.float32),
        "f64": rng.normal(size=(2,)),
        "f16": rng.normal(size=(4, 1, 2)).astype(np.float16),
        "i64": rng.integers(-9, 9, size=(7,)),
        "i32": rng.integers(-9, 9, size=(2, 2)).astype(np.int32),
        "u8": rng.integers(0, 255, size=(5,)).astype(np.uint8),
        "b": rng.random(6) > 0.5,
        "empty": np.zeros((0, 3), np.float32),
        "scalar": np.array(2.5, np.float32),
    }
    read = read_safetensors(save(tensors, metadata={"format": "np"}))
    assert read.keys() == tensors.keys()
    for name, expected in tensors.items():
        assert read[name].dtype == expected.dtype and read[name].shape == expected.shape, name
        np.testing.assert_array_equal(read[name], expected)


@needs_torch
def test_bf16_widens_like_torch():
    from safetensors.torch import save

    x = torch.randn(4, 3).to(torch.bfloat16)
    read = read_safetensors(save({"x": x}))["x"]
    assert read.dtype == np.float32
    np.testing.assert_array_equal(read, x.float().numpy())


GOOD = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "shorter than"),
        (b"\x05\x00\x00", "shorter than"),
        (struct.pack("<Q", 1 << 40) + b"{}", "header of"),
        (struct.pack("<Q", 4) + b"{}", "header of"),
        (struct.pack("<Q", 3) + b"{x}", "not JSON"),
        (struct.pack("<Q", 2) + b"\xff\xfe", "not JSON"),
        (_file([1, 2], b""), "not a JSON object"),
        (_file(GOOD, b"\0" * 4), "truncated"),
        (_file({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8), "bytes for shape"),
        (_file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}, b"\0" * 8), "spans"),
        (_file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [-8, 0]}}, b"\0" * 8), "spans"),
        (_file({"a": {"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8), "dtype"),
        (_file({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\0" * 8), "shape"),
        (_file({"a": {"dtype": "F32", "shape": [2.0], "data_offsets": [0, 8]}}, b"\0" * 8), "shape"),
        (_file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0]}}, b"\0" * 8), "data_offsets"),
        (_file({"a": "F32"}, b"\0" * 8), "not an object"),
        (_file({**GOOD, "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, b"\0" * 8), "overlap"),
    ],
)
def test_a_file_that_lies_is_an_invalid_input_error(data, why):
    with pytest.raises(InvalidInputError, match=why) as info:
        read_safetensors(data, "weights.bin")
    assert "weights.bin" in str(info.value)


def test_metadata_is_skipped_and_arrays_are_views():
    data = bytearray(_file({"__metadata__": {"k": "v"}, **GOOD}, np.array([1.5, -2], np.float32).tobytes()))
    read = read_safetensors(data)
    np.testing.assert_array_equal(read["a"], [1.5, -2])
    assert list(read) == ["a"]
