"""diffusion: implicit-Euler heat flow written out with SciPy's Laplacian; limits and smoothing."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import laplacian as scipy_laplacian
from scipy.special import softmax

import ruvector_attention as ra


def _entropy(w):
    return -np.sum(w * np.log(np.where(w > 0, w, 1)), axis=-1)


@pytest.mark.parametrize("kind", ["unnormalized", "symmetric_normalized", "random_walk"])
def test_matches_written_out_heat_flow(rng, kind):
    q, k, v = rng.normal(size=(3, 6)), rng.normal(size=(9, 6)), rng.normal(size=(9, 2))
    attn = ra.DiffusionAttention(6, t=0.8, num_steps=5, sigma=2.0, use_knn=False, laplacian=kind)
    d2 = ((k[:, None] - k[None]) ** 2).sum(-1)
    w = np.exp(-d2 / 8.0)
    np.fill_diagonal(w, 0)
    lap = {"unnormalized": scipy_laplacian(w), "symmetric_normalized": scipy_laplacian(w, normed=True),
           "random_walk": np.eye(9) - w / w.sum(1, keepdims=True)}[kind]
    step = np.linalg.inv(np.eye(9) + 0.16 * lap)
    flow = softmax(q @ k.T / np.sqrt(6), axis=1) @ np.linalg.matrix_power(step, 5)
    expected = flow / flow.sum(1, keepdims=True)
    np.testing.assert_allclose(attn.weights_batch(q, k), expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(attn.compute_batch(q, k, v), expected @ v, rtol=1e-4, atol=1e-5)


def test_small_t_approaches_softmax_and_smoothing_is_monotone(rng):
    q, k = rng.normal(size=8) * 2, rng.normal(size=(12, 8))
    exact = softmax(k @ q / np.sqrt(8))
    tiny = ra.DiffusionAttention(8, t=1e-6, use_knn=False).weights(q, k)
    np.testing.assert_allclose(tiny, exact, atol=1e-5)
    attn = ra.DiffusionAttention(8, t=4.0, k=4, sigma=3.0)
    scales = attn.compute_multiscale(q, k, 5)
    assert scales.shape == (5, 12)
    np.testing.assert_allclose(scales.sum(1), 1, atol=1e-5)
    entropies = _entropy(scales)
    assert all(a <= b + 1e-6 for a, b in zip(entropies, entropies[1:])), entropies
    assert _entropy(exact) <= entropies[0] + 1e-6


def test_masked_keys_stay_zero(rng):
    q, k = rng.normal(size=4), rng.normal(size=(6, 4))
    mask = np.array([1, 1, 0, 1, 0, 1], bool)
    w = ra.DiffusionAttention(4, t=2.0, use_knn=False).weights(q, k, mask=mask)
    np.testing.assert_array_equal(w[~mask], 0)
    assert w.sum() == pytest.approx(1, abs=1e-6)
