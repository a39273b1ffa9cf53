"""ra.compression against the written-out bounds, NumPy's SVD and scipy.sparse."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

import ruvector_attention as ra
from ruvector_attention import compression


@pytest.mark.parametrize("bits", [8, 5, 4])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_quantization_error_is_at_most_half_a_step(rng, bits, axis):
    x = rng.normal(size=(7, 9)) * rng.uniform(0.1, 10, size=(7, 1))
    q = compression.quantize(x, bits=bits, axis=axis)
    levels = 2 ** (bits - 1) - 1
    assert q.values.dtype == np.int8 and np.abs(q.values).max() <= levels
    if axis is None:
        np.testing.assert_allclose(q.scale, np.abs(x).max() / levels, rtol=1e-6)
        bound = q.scale / 2
    else:
        other = 1 - (axis % 2)
        np.testing.assert_allclose(q.scale, np.abs(x).max(axis=other) / levels, rtol=1e-6)
        bound = np.expand_dims(q.scale, other) / 2
    assert (np.abs(compression.dequantize(q) - x) <= bound * (1 + 1e-5) + 1e-7).all()


def test_quantize_edge_cases():
    q = compression.quantize(np.zeros(4))
    np.testing.assert_array_equal(compression.dequantize(q), 0)
    with pytest.raises(ra.InvalidConfigError):
        compression.quantize(np.ones(3), bits=3)
    with pytest.raises(ra.InvalidConfigError):
        compression.quantize(np.ones((2, 2)), axis=2)
    with pytest.raises(ra.InvalidInputError):
        compression.quantize([1.0, np.nan])


def test_low_rank_is_the_truncated_svd(rng):
    w = rng.normal(size=(12, 8))
    u, v = compression.low_rank(w, 3)
    assert u.shape == (12, 3) and v.shape == (3, 8)
    s = np.linalg.svd(w, compute_uv=False)
    np.testing.assert_allclose(np.linalg.norm(w - u @ v), np.sqrt((s[3:] ** 2).sum()), rtol=1e-4)
    full_u, full_v = compression.low_rank(w, 8)
    np.testing.assert_allclose(full_u @ full_v, w, atol=1e-5)
    with pytest.raises(ra.InvalidConfigError):
        compression.low_rank(w, 9)


@pytest.mark.parametrize("threshold", [0.0, 0.5])
def test_sparse_formats_match_scipy_and_round_trip(rng, threshold):
    dense = rng.normal(size=(6, 9)) * (rng.random((6, 9)) < 0.4)
    kept = np.where(np.abs(dense) > threshold, dense, 0).astype(np.float32)
    csr, coo = compression.to_csr(dense, threshold), compression.to_coo(dense, threshold)
    reference = scipy.sparse.csr_matrix(kept)
    np.testing.assert_array_equal(csr.indptr, reference.indptr)
    np.testing.assert_array_equal(csr.indices, reference.indices)
    np.testing.assert_array_equal(csr.data, reference.data)
    reference_coo = reference.tocoo()
    np.testing.assert_array_equal(coo.row, reference_coo.row)
    np.testing.assert_array_equal(coo.col, reference_coo.col)
    np.testing.assert_array_equal(csr.to_dense(), kept)
    np.testing.assert_array_equal(coo.to_dense(), kept)
    assert csr.shape == coo.shape == (6, 9)
    with pytest.raises(ra.InvalidInputError):
        compression.to_csr(np.ones(3))
