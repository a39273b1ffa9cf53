"""diffusion: implicit-Euler heat flow written out with SciPy's Laplacian; limits and smoothing."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.csgraph import laplacian as scipy_laplacian
from scipy.special import softmax

import ruvector_attention as ra
from ruvector_attention.pde import laplacian


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


# ---------------------------------------------------------------- the sparse flow vs the dense formula


def _dense_weights(q, k, mask, *, t, steps, sigma, knn, kind):
    """The definition written out densely: softmax, ``((I + Δ L)^-1)^steps`` by inverse and
    matrix power on SciPy's Laplacian of the (kNN) Gaussian graph, clip, mask, renormalise."""
    n = len(k)
    d2 = ((k[:, None] - k[None]) ** 2).sum(-1)
    w = np.exp(-d2 / (2 * sigma**2))
    np.fill_diagonal(w, 0)
    if knn is not None and knn < n - 1:
        ranked = d2 + np.diag(np.full(n, np.inf))
        keep = np.zeros_like(w, bool)
        np.put_along_axis(keep, np.argsort(ranked, axis=1, kind="stable")[:, :knn], True, axis=1)
        w = np.where(keep | keep.T, w, 0)
    degree = w.sum(1)
    lap = {"unnormalized": scipy_laplacian(w), "symmetric_normalized": scipy_laplacian(w, normed=True),
           "random_walk": np.eye(n) - w / degree[:, None]}[kind]
    step = np.linalg.inv(np.eye(n) + t / steps * lap)
    scores = np.where(mask, q @ k.T / np.sqrt(k.shape[1]), -np.inf)
    flow = np.maximum(softmax(scores, axis=1) @ np.linalg.matrix_power(step, steps), 0) * mask
    return flow / flow.sum(1, keepdims=True)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("kind", ["unnormalized", "symmetric_normalized", "random_walk"])
@pytest.mark.parametrize("use_knn", [True, False])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("t, steps", [(1.0, 10), (5.0, 3), (40.0, 2)])
@pytest.mark.parametrize("method", ["chebyshev", "steps"])
def test_sparse_flow_equals_the_dense_propagator(rng, monkeypatch, kind, use_knn, masked, t, steps, method):
    if method == "steps":  # no Chebyshev series: implicit steps by conjugate gradients
        monkeypatch.setattr(laplacian, "MAX_TERMS", 0)
    q, k = rng.normal(size=(7, 5)), rng.normal(size=(60, 5))
    mask = rng.random((7, 60)) < 0.7 if masked else np.ones((7, 60), bool)
    attn = ra.DiffusionAttention(5, t=t, num_steps=steps, sigma=1.5, use_knn=use_knn, k=4, laplacian=kind)
    expected = _dense_weights(q, k, mask, t=t, steps=steps, sigma=1.5, knn=4 if use_knn else None, kind=kind)
    got = attn.weights_batch(q, k, mask=mask if masked else None)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)  # float32 output
    np.testing.assert_allclose(got.sum(1), 1, atol=1e-6)
    single = attn.weights(q[3], k, mask=mask[3] if masked else None)
    np.testing.assert_allclose(single, expected[3], rtol=1e-5, atol=1e-7)


def test_causal_and_fully_masked_rows(rng):
    q, k = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    attn = ra.DiffusionAttention(4, k=2)
    w = attn.weights_batch(q, k, causal=True)
    np.testing.assert_array_equal(np.triu(w, 1), 0)
    np.testing.assert_allclose(w.sum(1), 1, atol=1e-6)
    mask = np.ones((6, 6), bool)
    mask[2] = False
    w = attn.weights_batch(q, k, mask=mask)
    assert (w[2] == 0).all() and np.allclose(np.delete(w, 2, 0).sum(1), 1, atol=1e-6)
    np.testing.assert_array_equal(attn.compute_batch(q, k, rng.normal(size=(6, 3)), mask=mask)[2], 0)


def test_key_set_state_is_cached(rng, monkeypatch):
    from ruvector_attention.attention import diffusion

    built = []
    real = diffusion.heat_graph
    monkeypatch.setattr(diffusion, "heat_graph", lambda *a: built.append(1) or real(*a))
    q, k = rng.normal(size=(3, 4)), rng.normal(size=(50, 4))
    attn = ra.DiffusionAttention(4, k=5)
    first = attn.weights_batch(q, k)
    np.testing.assert_array_equal(attn.weights_batch(q, k.copy()), first)
    attn.compute_multiscale(q[0], k, 3)  # other t, same graph
    assert len(built) == 1
    attn.weights_batch(q, k + 1e-3)
    assert len(built) == 2


# ---------------------------------------------------------------- robustness


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("kind", ["unnormalized", "symmetric_normalized", "random_walk"])
@pytest.mark.parametrize("use_knn", [True, False])
@pytest.mark.parametrize(
    "keys",
    [
        np.full((10, 4), 3.4e38, np.float32),  # all equal at float32 max
        np.r_[np.full((5, 4), 3.4e38), np.full((5, 4), -3.4e38)].astype(np.float32),
        np.full((10, 4), 1e-45, np.float32),  # denormals
        (np.arange(40).reshape(10, 4) * 8e36).astype(np.float32),  # far apart: no edges
        np.zeros((10, 4), np.float32),
    ],
    ids=["equal-max", "two-huge-clusters", "denormal", "isolated", "zeros"],
)
@pytest.mark.parametrize("config", [{}, {"sigma": 1e-30}, {"sigma": 1e30, "t": 1e6}, {"t": 1e-30, "num_steps": 100_000}])
def test_finite_in_finite_out(kind, use_knn, keys, config):
    attn = ra.DiffusionAttention(4, use_knn=use_knn, k=3, laplacian=kind, **config)
    queries = np.array([[3.4e38, -3.4e38, 1e-45, 0], [1, 2, 3, 4], [0, 0, 0, 0]], np.float32)
    w = attn.weights_batch(queries, keys)
    assert np.isfinite(w).all() and (w >= 0).all()
    np.testing.assert_allclose(w.sum(1), 1, atol=1e-5)
    out = attn.compute_batch(queries, keys, np.full((10, 2), 3.4e38, np.float32))
    assert np.isfinite(out).all()


@pytest.mark.parametrize("option, value", [("t", 2e6), ("num_steps", 100_001), ("t", 0.0), ("sigma", -1.0)])
def test_config_limits(option, value):
    with pytest.raises(ra.InvalidConfigError):
        ra.DiffusionAttention(4, **{option: value})


def test_20000_keys_within_max_work_bytes(monkeypatch):
    """The issue's case (a MemoryError before): 20,000 keys, within a 48 MiB budget measured
    by tracemalloc, where the dense propagator alone would be 3.2 GB."""
    import tracemalloc

    rng = np.random.default_rng(0)
    keys = rng.standard_normal((20_000, 16), dtype=np.float32)
    queries = rng.standard_normal((16, 16), dtype=np.float32)
    budget = 48 << 20
    monkeypatch.setattr(ra, "MAX_WORK_BYTES", budget)
    attn = ra.DiffusionAttention(16)
    tracemalloc.start()
    try:
        w = attn.weights_batch(queries, keys)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - w.nbytes <= budget, f"{peak / 2**20:.1f} MiB"
    assert np.isfinite(w).all()
    np.testing.assert_allclose(w.sum(1), 1, atol=1e-5)
    # the dense graph (use_knn=False) is refused before it is allocated
    with pytest.raises(ra.InputTooLargeError):
        ra.DiffusionAttention(16, use_knn=False).weights(queries[0], keys)
    monkeypatch.setattr(ra, "MAX_WORK_BYTES", 4 << 20)
    with pytest.raises(ra.InputTooLargeError):
        attn.weights(queries[0], keys * 2)
