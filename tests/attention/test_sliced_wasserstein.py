"""sliced_wasserstein: the 1-D W2 by sorted differences (and SciPy's W1 as a cross-check),
the candidate filter, and the projection cache."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax
from scipy.stats import wasserstein_distance

import ruvector_attention as ra


def test_sliced_distance_is_the_sorted_difference_formula(rng):
    attn = ra.SlicedWassersteinAttention(8, num_projections=32, num_candidates=100, seed=3)
    q, k, v = rng.normal(size=8), rng.normal(size=(10, 8)), rng.normal(size=(10, 2))
    theta = attn._directions
    pq = q @ theta.T
    sw = np.array([np.sqrt(np.mean((np.sort(pq) - np.sort(row @ theta.T)) ** 2)) for row in k])
    expected = softmax(-sw / 1.0)
    np.testing.assert_allclose(attn.weights(q, k), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(attn.compute_sliced(q, k, v), expected @ v, rtol=1e-5, atol=1e-6)
    # W1 between the projected values, two ways: scipy and the sorted absolute differences
    w1 = np.mean(np.abs(np.sort(pq) - np.sort(k[0] @ theta.T)))
    assert wasserstein_distance(pq, k[0] @ theta.T) == pytest.approx(w1, rel=1e-9)
    assert w1 <= sw[0] + 1e-12  # W1 <= W2


def test_candidate_filter_keeps_exactly_the_top_dot_products(rng):
    attn = ra.SlicedWassersteinAttention(6, num_candidates=4)
    q, k = rng.normal(size=6), rng.normal(size=(20, 6))
    w = attn.weights(q, k)
    top = set(np.argsort(-(k @ q))[:4])
    assert set(np.flatnonzero(w > 0)) == top
    np.testing.assert_allclose(w.sum(), 1, atol=1e-6)


def test_cached_projections_give_identical_results(rng):
    attn = ra.SlicedWassersteinAttention(8)
    q, k, v = rng.normal(size=(3, 8)), rng.normal(size=(30, 8)), rng.normal(size=(30, 2))
    first = attn.compute_batch(q, k, v)
    cached = attn._cache._value
    again = attn.compute_batch(q, k, v)
    assert attn._cache._value is cached
    np.testing.assert_array_equal(first, again)
    fresh = ra.SlicedWassersteinAttention(8).compute_batch(q, k, v)
    np.testing.assert_array_equal(first, fresh)
    other = attn.compute_batch(q, k + 1, v)
    assert attn._cache._value is not cached and not np.allclose(other, first)
