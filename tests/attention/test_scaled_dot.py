"""scaled_dot against torch SDPA (forward, masks, causal) and torch.autograd (backward)."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra

from ..conftest import call_backward
from ..oracles import F, needs_torch, torch


def _sdpa(q, k, v, mask=None, causal=False, scale=None):
    out = F.scaled_dot_product_attention(
        torch.tensor(q)[None], torch.tensor(k)[None], torch.tensor(v)[None],
        attn_mask=None if mask is None else torch.tensor(mask), is_causal=causal, scale=scale,
    )
    return out[0].numpy()


@needs_torch
@pytest.mark.parametrize("m, n", [(1, 7), (5, 5), (3, 11), (6, 4)])
def test_matches_torch_sdpa(rng, m, n):
    q, k, v = (rng.normal(size=s).astype(np.float32) for s in [(m, 16), (n, 16), (n, 6)])
    attn = ra.ScaledDotProductAttention(16)
    np.testing.assert_allclose(attn.compute_batch(q, k, v), _sdpa(q, k, v), atol=1e-5)
    np.testing.assert_allclose(attn.compute(q[0], k, v), _sdpa(q[:1], k, v)[0], atol=1e-5)


@needs_torch
def test_causal_matches_torch_bottom_right(rng):
    q, k, v = (rng.normal(size=s).astype(np.float32) for s in [(4, 8), (9, 8), (9, 3)])
    attn = ra.ScaledDotProductAttention(8, causal=True)
    bottom_right = torch.ones(4, 9, dtype=torch.bool).tril(diagonal=9 - 4).numpy()
    np.testing.assert_allclose(attn.compute_batch(q, k, v), _sdpa(q, k, v, mask=bottom_right), atol=1e-5)
    square = rng.normal(size=(9, 8)).astype(np.float32)
    np.testing.assert_allclose(
        attn.compute_batch(square, k, v), _sdpa(square, k, v, causal=True), atol=1e-5
    )


@needs_torch
def test_mask_scale_and_temperature(rng):
    q, k, v = (rng.normal(size=s).astype(np.float32) for s in [(3, 8), (10, 8), (10, 4)])
    mask = rng.random((3, 10)) < 0.7
    mask[:, 0] = True
    attn = ra.ScaledDotProductAttention(8, scale=0.5, temperature=2.0)
    np.testing.assert_allclose(
        attn.compute_batch(q, k, v, mask=mask), _sdpa(q, k, v, mask=mask, scale=0.25), atol=1e-5
    )


def test_weights_formula_float64(rng):
    q, k = rng.normal(size=8), rng.normal(size=(6, 8))
    scores = k @ q / np.sqrt(8)
    expected = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
    np.testing.assert_allclose(ra.ScaledDotProductAttention(8).weights(q, k), expected, atol=1e-6)


def test_dropout_only_in_train_mode_and_seeded(rng):
    q, k, v = (rng.normal(size=s).astype(np.float32) for s in [(4, 8), (30, 8), (30, 4)])
    attn = ra.ScaledDotProductAttention(8, dropout=0.5, seed=3)
    clean = ra.ScaledDotProductAttention(8).compute_batch(q, k, v)
    np.testing.assert_array_equal(attn.compute_batch(q, k, v), clean)
    dropped = attn.train().compute_batch(q, k, v)
    assert not np.allclose(dropped, clean)
    again = ra.ScaledDotProductAttention(8, dropout=0.5, seed=3).train().compute_batch(q, k, v)
    np.testing.assert_array_equal(dropped, again)
    weights = attn.weights_batch(q, k)
    assert ((weights == 0).mean() > 0.3) and np.isclose(weights.max() * 0.5, weights.max() / 2)


@needs_torch
@pytest.mark.parametrize("single", [True, False])
@pytest.mark.parametrize("causal", [False, True])
def test_backward_matches_autograd(rng, single, causal):
    m = 1 if single else 5
    q, k, v, g = (rng.normal(size=s) for s in [(m, 8), (7, 8), (7, 3), (m, 3)])
    mask = rng.random((m, 7)) < 0.8
    mask[:, -1] = True
    attn = ra.ScaledDotProductAttention(8, temperature=1.5, causal=causal)
    tq, tk, tv = (torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in (q, k, v))
    scores = tq @ tk.T / np.sqrt(8) / 1.5
    visible = torch.tensor(mask)
    if causal and not single:
        visible &= torch.ones(m, 7, dtype=torch.bool).tril(diagonal=7 - m)
    weights = torch.softmax(scores.masked_fill(~visible, -torch.inf), dim=-1)
    (weights @ tv * torch.tensor(g)).sum().backward()
    grads, query_grad = call_backward(attn, q, k, v, g, mask, single=single)
    np.testing.assert_allclose(query_grad, tq.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grads.keys, tk.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grads.values, tv.grad.numpy(), rtol=1e-4, atol=1e-5)
    assert grads.params == {}


def test_backward_rejects_wrong_grad_shape(rng):
    q, k, v = rng.normal(size=(2, 4)), rng.normal(size=(3, 4)), rng.normal(size=(3, 2))
    with pytest.raises(ra.DimensionMismatchError):
        ra.ScaledDotProductAttention(4).backward(q, k, v, np.ones((3, 2)))


@needs_torch
def test_huge_inputs_equal_torch_in_float64(rng):
    """q·k near 1e41 overflows float32; the scores are taken in float64, as torch does here."""
    q = (rng.normal(size=(4, 8)) * 1e20).astype(np.float32)
    k = (rng.normal(size=(6, 8)) * 1e20).astype(np.float32)
    v = rng.normal(size=(6, 3)).astype(np.float32)
    tq, tk, tv = (torch.from_numpy(x.astype(np.float64)) for x in (q, k, v))
    expected = F.scaled_dot_product_attention(tq[None], tk[None], tv[None])[0].numpy()
    attn = ra.ScaledDotProductAttention(8)
    np.testing.assert_allclose(attn.compute_batch(q, k, v), expected, rtol=1e-5, atol=1e-6)
    grads = attn.backward(q, k, v, np.ones((4, 3), np.float32))
    assert all(np.isfinite(g).all() for g in (grads.query, grads.keys, grads.values))
