"""ra.compression.quantize_layers: per-HNSW-layer bits, the scale/2 bound, bytes, errors."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra
from ruvector_attention import compression
from ruvector_attention.navigation import hnsw_levels


def test_levels_are_geometric():
    levels = hnsw_levels(20_000, m=4, seed=3)
    counts = np.bincount(levels)
    assert counts[0] > counts[1] > counts[2] > 0
    assert counts[1] / counts[0] == pytest.approx((1 / 4 - 1 / 16) / (1 - 1 / 4), rel=0.1)
    np.testing.assert_array_equal(levels, hnsw_levels(20_000, m=4, seed=3))


@pytest.mark.parametrize("bits_per_layer", [None, (8, 5, 5, 4)])
def test_quantize_layers_bound_bytes_and_round_trip(rng, bits_per_layer):
    x = (rng.normal(size=(300, 12)) * rng.uniform(0.01, 100, size=(300, 1))).astype(np.float32)
    levels = np.minimum(hnsw_levels(300, m=4, seed=1), 3)
    assert levels.max() == 3
    out = compression.quantize_layers(x, levels, bits_per_layer)
    expected_bits = bits_per_layer or (4, 5, 8, 8)
    restored = out.dequantize()
    for layer, (q, rows, report) in enumerate(zip(out.layers, out.indices, out.report)):
        np.testing.assert_array_equal(rows, np.flatnonzero(levels == layer))
        assert (report.layer, report.count, report.bits, q.bits) == (layer, len(rows), expected_bits[layer], report.bits)
        error = np.abs(restored[rows] - x[rows])
        assert np.all(error <= q.scale[:, None] / 2 * (1 + 1e-6))
        assert report.max_error == pytest.approx(float(error.max()))
        assert report.bytes == -(-len(rows) * 12 * report.bits // 8) + 4 * len(rows)
        assert report.float32_bytes == 4 * 12 * len(rows)
    assert out.bytes == sum(r.bytes for r in out.report) < x.nbytes / 3
    if bits_per_layer is None:  # the sparse upper layers get more bits and so a finer relative error
        relative = [r.max_error / np.abs(x[rows]).max() for r, rows in zip(out.report, out.indices)]
        assert relative[0] > relative[1] > relative[2]


def test_empty_layer_and_single_layer(rng):
    x = rng.normal(size=(5, 3))
    out = compression.quantize_layers(x, [0, 0, 2, 0, 2])
    assert out.layers[1] is None and out.report[1].count == 0 and out.report[1].bytes == 0
    np.testing.assert_allclose(out.dequantize(), x, atol=np.abs(x).max() / 7 / 2 + 1e-6)
    flat = compression.quantize_layers(x, np.zeros(5, dtype=int), [8])
    np.testing.assert_array_equal(flat.layers[0].values, compression.quantize(x, 8, axis=0).values)


def test_quantize_layers_errors(rng):
    x = rng.normal(size=(4, 3))
    with pytest.raises(ra.DimensionMismatchError):
        compression.quantize_layers(x, [0, 1, 0])
    for bad in ([0, -1, 0, 0], [0.0, 1.0, 0.0, 0.0], [[0, 1, 0, 0]]):
        with pytest.raises(ra.InvalidInputError):
            compression.quantize_layers(x, bad)
    with pytest.raises(ra.InvalidInputError):
        compression.quantize_layers([[1.0, float("nan")]], [0])
    with pytest.raises(ra.InvalidInputError):
        compression.quantize_layers(np.ones(3), [0, 0, 0])
    for bits in ([8], [8, 3], [8, 5, 4]):
        with pytest.raises(ra.InvalidConfigError):
            compression.quantize_layers(x, [0, 1, 0, 0], bits)
    with pytest.raises(ra.InvalidConfigError):
        hnsw_levels(10, m=1)
