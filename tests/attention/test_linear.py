"""linear: the FAVOR+ formula written out in float64, and the quality of its estimate."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra

from ..oracles import F, needs_torch, torch


def _favor_reference(q, k, v, w, d, r):
    """Unstabilised FAVOR+, straight from the paper (fine for small inputs)."""
    def phi(x):
        x = x / d**0.25
        return np.exp(x @ w.T - (x * x).sum(-1, keepdims=True) / 2) / np.sqrt(r)
    kernel = phi(q) @ phi(k).T
    weights = kernel / kernel.sum(-1, keepdims=True)
    return weights, weights @ v


def test_matches_reference_formula(rng):
    attn = ra.LinearAttention(8, num_features=32, seed=5)
    q, k, v = rng.normal(size=(4, 8)) * 0.5, rng.normal(size=(20, 8)) * 0.5, rng.normal(size=(20, 3))
    weights, out = _favor_reference(q, k, v, attn._projection, 8, 32)
    np.testing.assert_allclose(attn.weights_batch(q, k), weights, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(attn.compute_batch(q, k, v), out, rtol=1e-4, atol=1e-5)


def test_features_are_orthogonal_gaussian(rng):
    attn = ra.LinearAttention(16, num_features=48, seed=1)
    w = attn._projection
    for block in (w[:16], w[16:32], w[32:]):
        gram = block @ block.T
        np.testing.assert_allclose(gram - np.diag(np.diag(gram)), 0.0, atol=1e-9)
    norms2 = (w * w).sum(1)
    assert 8 < norms2.mean() < 24  # chi-square(16) has mean 16


def test_kernel_estimate_is_unbiased(rng):
    q, k = rng.normal(size=(1, 4)) * 0.6, rng.normal(size=(5, 4)) * 0.6
    exact = np.exp(q @ k.T / 2.0)[0]
    estimates = []
    def phi(x, w):
        return np.exp(x / np.sqrt(2) @ w.T - (x * x).sum(-1, keepdims=True) / 4) / np.sqrt(64)

    for seed in range(400):
        w = ra.LinearAttention(4, num_features=64, seed=seed)._projection
        estimates.append((phi(q, w) @ phi(k, w).T)[0])
    np.testing.assert_allclose(np.mean(estimates, axis=0), exact, rtol=0.05)


@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_useful_estimate_at_unit_scale(rng, scale):
    """Unit-norm (and larger) inputs: finite, close to exact softmax attention."""
    d, n = 32, 200
    q = rng.normal(size=(16, d))
    k = rng.normal(size=(n, d))
    q, k = scale * q / np.linalg.norm(q, axis=1, keepdims=True), scale * k / np.linalg.norm(k, axis=1, keepdims=True)
    v = rng.normal(size=(n, 8))
    out = ra.LinearAttention(d, num_features=256).compute_batch(q, k, v)
    exact = ra.ScaledDotProductAttention(d).compute_batch(q, k, v)
    assert np.isfinite(out).all() and np.abs(out).max() > 0
    relative = np.linalg.norm(out - exact) / np.linalg.norm(exact)
    assert relative < 0.25, relative


def test_large_inputs_stay_finite(rng):
    q, k, v = rng.normal(size=(3, 16)) * 40, rng.normal(size=(50, 16)) * 40, rng.normal(size=(50, 2))
    attn = ra.LinearAttention(16)
    out, weights = attn.compute_batch(q, k, v), attn.weights_batch(q, k)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(weights.sum(1), 1.0, atol=1e-5)


def test_elu_kernel_formula(rng):
    q, k, v = rng.normal(size=(3, 6)), rng.normal(size=(9, 6)), rng.normal(size=(9, 2))
    phi = lambda x: np.where(x > 0, x + 1, np.exp(x))
    kernel = phi(q) @ phi(k).T
    expected = kernel / kernel.sum(1, keepdims=True) @ v
    np.testing.assert_allclose(ra.LinearAttention(6, kernel="elu").compute_batch(q, k, v), expected, atol=1e-5)


def test_unmasked_fast_path_equals_masked_path(rng):
    q, k, v = rng.normal(size=(4, 8)), rng.normal(size=(12, 8)), rng.normal(size=(12, 3))
    attn = ra.LinearAttention(8, num_features=64)
    np.testing.assert_allclose(
        attn.compute_batch(q, k, v), attn.compute_batch(q, k, v, mask=np.ones(12, bool)), atol=1e-5
    )


def test_seed_and_num_features_change_the_result(rng):
    q, k, v = rng.normal(size=8), rng.normal(size=(12, 8)), rng.normal(size=(12, 3))
    base = ra.LinearAttention(8).compute(q, k, v)
    assert not np.allclose(base, ra.LinearAttention(8, seed=1).compute(q, k, v))
    assert not np.allclose(base, ra.LinearAttention(8, num_features=16).compute(q, k, v))


@needs_torch
@pytest.mark.parametrize("kernel", ["favor+", "elu"])
@pytest.mark.parametrize("masked", [False, True])
def test_backward_matches_autograd(rng, kernel, masked):
    attn = ra.LinearAttention(8, num_features=16, kernel=kernel, seed=4)
    q, k, v, g = rng.normal(size=(4, 8)) * 0.5, rng.normal(size=(9, 8)) * 0.5, rng.normal(size=(9, 3)), rng.normal(size=(4, 3))
    mask = (rng.random((4, 9)) < 0.7) | np.eye(4, 9, dtype=bool) if masked else None
    tq, tk, tv = (torch.tensor(x, requires_grad=True) for x in (q, k, v))

    def phi(x):
        if kernel == "elu":
            return F.elu(x) + 1
        x = x / 8**0.25
        w = torch.tensor(attn._projection)
        return torch.exp(x @ w.T - (x * x).sum(1, keepdim=True) / 2) / 4

    a = phi(tq) @ phi(tk).T
    if masked:
        a = a * torch.tensor(mask)
    out = (a / a.sum(1, keepdim=True)) @ tv
    (out * torch.tensor(g)).sum().backward()
    grads = attn.backward(q, k, v, g, mask=mask)
    np.testing.assert_allclose(attn.compute_batch(q, k, v, mask=mask), out.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grads.query, tq.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grads.keys, tk.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grads.values, tv.grad.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("kernel", "keys"),
    [
        ("favor+", [[-1e10, 1e10, -1e10, 1e10], [-5e9, 5e9, -5e9, 5e9], [-1e10, 1e10, -1e10, 9e9]]),
        ("elu", [[-1e10, 5.0, -1e10, 7.0], [-1e10, 1.0, -1e10, 2.0], [-3e9, 3.0, -1e9, 1.0]]),
    ],
)
def test_underflowed_kernels_are_taken_in_the_log_domain(kernel, keys):
    """Inputs of very different magnitudes make every shifted feature product underflow;
    the weights are then φ(q)·φ(k_j) normalised via log-sum-exp (SciPy oracle)."""
    from scipy.special import logsumexp, softmax

    from ruvector_attention.kernels.masking import Visibility

    attn = ra.LinearAttention(4, num_features=8, kernel=kernel, seed=1)
    q = np.array([[1e10, -1e10, 1e10, -1e10]], np.float32)
    k = np.array(keys, np.float32)
    assert attn._kernel_matrix(q, k, Visibility(1, 3)).sum() == 0  # the fast path underflows
    log_q, log_k = attn._log_features(q), attn._log_features(k)
    expected = softmax(logsumexp(log_q[:, None, :] + log_k[None, :, :], axis=2), axis=1)
    np.testing.assert_allclose(attn.weights_batch(q, k), expected, rtol=1e-5, atol=1e-7)
    v = np.eye(3, dtype=np.float32)
    np.testing.assert_allclose(attn.compute_batch(q, k, v), expected, rtol=1e-5, atol=1e-7)
