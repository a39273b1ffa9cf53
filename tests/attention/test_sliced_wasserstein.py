"""sliced_wasserstein: the per-slice 1-D W2 (SciPy), the limit of many projections (POT),
the candidate filter, and the projection cache."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import softmax
from scipy.stats import wasserstein_distance

import ruvector_attention as ra

from ..oracles import needs_pot, ot


def test_sliced_distance_averages_the_one_dimensional_distances(rng):
    attn = ra.SlicedWassersteinAttention(8, num_projections=32, num_candidates=100, seed=3)
    q, k, v = rng.normal(size=8), rng.normal(size=(10, 8)), rng.normal(size=(10, 2))
    theta = attn._directions
    # W2 between the projections on one slice; for 1-D point masses W1 = W2 (SciPy computes W1)
    sw = np.array([np.sqrt(np.mean([wasserstein_distance([t @ q], [t @ key]) ** 2 for t in theta])) for key in k])
    expected = softmax(-sw / 1.0)
    np.testing.assert_allclose(attn.weights(q, k), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(attn.compute_sliced(q, k, v), expected @ v, rtol=1e-5, atol=1e-6)


@needs_pot
@pytest.mark.parametrize("dim", [4, 16])
def test_many_projections_approach_pot_sliced_wasserstein(rng, dim):
    q, k = rng.normal(size=dim), rng.normal(size=(3, dim))
    attn = ra.SlicedWassersteinAttention(dim, num_projections=20_000, temperature=1.0, seed=1)
    ours = -np.log(attn.weights(q, k))  # s_j up to a shared constant
    pot = np.array([ot.sliced_wasserstein_distance(q[None], key[None], n_projections=20_000, seed=2) for key in k])
    np.testing.assert_allclose(ours - ours.min(), pot - pot.min(), atol=0.02 * pot.max())
    np.testing.assert_allclose(pot, np.linalg.norm(k - q, axis=1) / np.sqrt(dim), rtol=0.03)


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
