"""Overflow-safe arithmetic: float64 fallbacks against exact sums and float64 formulas."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import softmax

from ruvector_attention.kernels.dot import dot_scores
from ruvector_attention.kernels.numeric import FLOAT32_MAX, all_finite, matmul, to_float32
from ruvector_attention.kernels.softmax import masked_softmax


def test_matmul_falls_back_to_exact_float64_products(rng):
    a = (rng.normal(size=(3, 5)) * 1e25).astype(np.float32)
    b = (rng.normal(size=(5, 4)) * 1e25).astype(np.float32)
    out = matmul(a, b)
    assert out.dtype == np.float64 and np.isfinite(out).all()
    exact = [[math.fsum(float(x) * float(y) for x, y in zip(row, col)) for col in b.T] for row in a]
    np.testing.assert_allclose(out, exact, rtol=1e-12)


def test_matmul_stays_float32_when_it_fits(rng):
    a, b = rng.normal(size=(3, 5)).astype(np.float32), rng.normal(size=(5, 2)).astype(np.float32)
    assert matmul(a, b).dtype == np.float32


def test_all_finite_and_saturating_cast():
    assert all_finite(np.ones(4, np.float32)) and not all_finite(np.array([1.0, np.nan]))
    assert not all_finite(np.array([np.inf, -np.inf]))
    out = to_float32(np.array([1e300, -1e300, 2.5]))
    np.testing.assert_array_equal(out, np.array([FLOAT32_MAX, -FLOAT32_MAX, 2.5], np.float32))
    assert out.flags.c_contiguous


def test_softmax_of_huge_dot_scores_equals_the_float64_formula(rng):
    q = (rng.normal(size=(4, 8)) * 1e20).astype(np.float32)
    k = (rng.normal(size=(6, 8)) * 1e20).astype(np.float32)
    scores = dot_scores(q, k, 0.5)
    reference = 0.5 * (q.astype(np.float64) @ k.T.astype(np.float64))
    np.testing.assert_allclose(scores, reference, rtol=1e-12)
    np.testing.assert_allclose(masked_softmax(scores.copy()), softmax(reference, axis=1), atol=1e-12)


def test_einsum_products_split_rows_beyond_the_iteration_limit(monkeypatch):
    """Pyodide's einsum counts its iterations in 32 bits: larger products go in row blocks
    (or through ``@``), with the same result as ``@``."""
    from ruvector_attention.kernels import numeric

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 7, 3)).astype(np.float32), rng.normal(size=(3, 5)).astype(np.float32)
    monkeypatch.setattr(numeric, "EINSUM_PRODUCTS", True)
    for limit in (10**9, 2 * 3 * 5 * 2, 2 * 3 * 5 - 1):  # one einsum, blocks of 2 rows, @
        monkeypatch.setattr(numeric, "EINSUM_MAX_ITERATION", limit)
        np.testing.assert_allclose(numeric.product(a, b), a @ b, rtol=1e-6)
