"""The JS bridge on CPython: flat buffers in, the same results as the Python API out."""

from __future__ import annotations

import json
import sys
import re
from pathlib import Path

import numpy as np
import pytest

import ruvector_attention as ra
from ruvector_attention import bridge

from .conftest import build, in_ball, value_dim


PROTOCOL = Path(__file__).parents[1] / "web" / "core" / "protocol.mjs"


def _create(handle, name, **config):
    return json.loads(bridge.create(handle, name, json.dumps(config)))


def _data(attn, rng, m=5, n=9):
    q = in_ball(rng.normal(size=(m, attn.dim)))
    k = in_ball(rng.normal(size=(n, attn.dim)))
    v = in_ball(rng.normal(size=(n, value_dim(attn))))
    return q, k, v


def test_mechanisms_and_info():
    assert json.loads(bridge.mechanisms()) == ra.mechanisms()
    info = _create(1, "multi-head", dim=8, num_heads=2)
    assert info["name"] == "multi_head" and info["num_heads"] == 2 and info["splittable"]
    assert info["config"] == ra.MultiHeadAttention(8, 2).config.to_dict()
    assert _create(2, "moe", dim=8)["splittable"] is False


def test_every_method_matches_the_python_api(name, rng):
    attn = build(name)
    info = _create(7, name, **attn.config.to_dict())
    q, k, v = _data(attn, rng)
    mask = rng.random((5, 9)) < 0.7
    flat = lambda x: x.astype(np.float32).ravel()
    np.testing.assert_array_equal(
        bridge.call(7, "compute_batch", flat(q), flat(k), flat(v), mask.astype(np.uint8).ravel(), query_rows=5, mask_rows=5),
        attn.compute_batch(q, k, v, mask=mask),
    )
    np.testing.assert_array_equal(bridge.call(7, "weights_batch", flat(q), flat(k)), attn.weights_batch(q, k))
    np.testing.assert_array_equal(bridge.call(7, "compute", flat(q[0]), flat(k), flat(v)), attn.compute(q[0], k, v))
    np.testing.assert_array_equal(bridge.call(7, "weights", flat(q[0]), flat(k)), attn.weights(q[0], k))
    assert bridge.call(7, "head_weights_batch", flat(q), flat(k)).shape == (info["num_heads"], 5, 9)
    bridge.dispose(7)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("name", [n for n in ra.mechanisms() if ra.registry.resolve(n).splittable])
def test_split_rows_equal_the_whole_batch(name, rng, causal):
    attn = build(name)
    _create(3, name, **attn.config.to_dict())
    q, k, v = _data(attn, rng, m=7, n=11)
    whole = attn.compute_batch(q, k, v, causal=causal)
    parts = [
        bridge.call(3, "compute_batch", q[a:b].ravel(), k.ravel(), v.ravel(), None,
                    query_rows=b - a, causal=causal, row_offset=a, total_rows=7)
        for a, b in [(0, 3), (3, 4), (4, 7)]
    ]
    np.testing.assert_allclose(np.concatenate(parts), whole, atol=1e-6)


def test_errors_are_recorded_with_attributes(rng):
    _create(4, "scaled_dot", dim=4)
    with pytest.raises(ra.DimensionMismatchError):
        bridge.call(4, "compute", np.ones(4), np.ones(12), np.ones(4), None, values_rows=2)
    error = json.loads(bridge.take_error())
    assert error["name"] == "DimensionMismatchError" and error["details"] == {"expected": 3, "actual": 2}
    assert bridge.take_error() is None
    with pytest.raises(ra.DimensionMismatchError):
        bridge.call(4, "compute", np.ones(4), np.ones(10), np.ones(5))  # 10 values, dim 4
    with pytest.raises(ra.InvalidConfigError):
        bridge.create(5, "flash", json.dumps({"dim": 8, "dropout": 0.1}))
    assert "dropout" in json.loads(bridge.take_error())["details"]["reason"]
    with pytest.raises(ra.UnknownMechanismError):
        bridge.create(5, "nope", "{}")
    assert json.loads(bridge.take_error())["details"]["choices"] == ra.mechanisms()
    with pytest.raises(ra.InvalidInputError):
        bridge.call(99, "compute", np.ones(4), np.ones(4), np.ones(4))
    with pytest.raises(ra.InvalidInputError):
        bridge.call(4, "compute", np.array([np.nan, 0, 0, 0]), np.ones(4), np.ones(4))


def test_uploaded_matrices_are_validated_once_and_reused(rng):
    _create(8, "scaled_dot", dim=4)
    k, v, q = rng.normal(size=(6, 4)), rng.normal(size=(6, 3)), rng.normal(size=(2, 4))
    assert json.loads(bridge.upload(100, k.astype(np.float32).ravel(), 6, None)) == [6, 4]
    assert json.loads(bridge.upload(101, v.astype(np.float32).ravel(), None, 3)) == [6, 3]
    expected = ra.ScaledDotProductAttention(4).compute_batch(q, k, v)
    np.testing.assert_allclose(bridge.call(8, "compute_batch", q.ravel(), 100, 101), expected, atol=1e-6)
    np.testing.assert_allclose(bridge.call(8, "compute", q[0], 100, 101), expected[0], atol=1e-6)
    bridge.release(100)
    with pytest.raises(ra.InvalidInputError, match="released"):
        bridge.call(8, "compute", q[0], 100, 101)
    with pytest.raises(ra.InvalidInputError):
        bridge.upload(102, np.array([1.0, np.nan]), 1, None)
    with pytest.raises(ra.DimensionMismatchError):
        bridge.upload(103, np.ones(5, np.float32), 2, None)
    with pytest.raises(ra.EmptyInputError):
        bridge.upload(104, np.ones(0, np.float32), 0, None)


def test_describe_gives_defaults_with_required_fields(name):
    info = json.loads(bridge.describe(name, 12))
    assert info["name"] == name and info["dim"] == 12
    assert ra.create(name, **info["config"]).config.to_dict() == info["config"]
    with pytest.raises(ra.InvalidConfigError):
        bridge.describe(name, 0)


@pytest.mark.skipif(not PROTOCOL.exists(), reason="the JS sources are not beside the tests (Pyodide)")
def test_the_bridge_serves_the_methods_the_protocol_names():
    text = PROTOCOL.read_text(encoding="utf-8")
    block = text[text.index("export const METHODS") :]
    block = block[: block.index("});")]
    assert re.findall(r"^\s+(\w+): \{", block, re.M) == list(bridge.METHODS)
    for name, batch, values in re.findall(r"^\s+(\w+): \{.*batch: (\w+), values: (\w+)", block, re.M):
        assert (batch == "true", values == "true") == (name.endswith("_batch"), name.startswith("compute")), name


@pytest.mark.skipif(sys.platform != "emscripten", reason="JavaScript typed arrays exist only in Pyodide")
def test_typed_arrays_cross_in_one_copy_each_way():
    from js import Float32Array, Float64Array  # Pyodide only

    attn = ra.create("scaled_dot", dim=4)
    _create(71, "scaled_dot", dim=4)
    rng = np.random.default_rng(7)
    q, k, v = (rng.normal(size=s).astype(np.float32) for s in [(4,), (3, 4), (3, 4)])
    js = [Float32Array.new(len(a.ravel())) for a in (q, k, v)]
    for target, a in zip(js, (q, k, v)):
        target.assign(a.ravel())
    out = bridge.to_js(bridge.call(71, "compute", *js))
    assert out.constructor.name == "Float32Array"
    np.testing.assert_array_equal(np.asarray(out.to_py()), attn.compute(q, k, v))
    # a float64 typed array keeps its values (as NumPy reads them), then float32 like any input
    wide = Float64Array.new(4)
    wide.assign(q.astype(np.float64))
    np.testing.assert_array_equal(bridge.call(71, "compute", wide, js[1], js[2]), attn.compute(q, k, v))
    bridge.dispose(71)
