"""flash: equal to torch SDPA block by block, never building the score matrix."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import ruvector_attention as ra

from ..oracles import F, needs_torch, torch


@needs_torch
@pytest.mark.parametrize("block_size", [1, 7, 64, 500])
@pytest.mark.parametrize("causal", [False, True])
def test_matches_torch_sdpa(rng, block_size, causal):
    q, k, v = (rng.normal(size=s).astype(np.float32) for s in [(9, 16), (130, 16), (130, 5)])
    attn = ra.FlashAttention(16, block_size=block_size, causal=causal)
    attn.max_tile = 0  # one block per step, as on inputs too large to group
    visible = torch.ones(9, 130, dtype=torch.bool).tril(diagonal=130 - 9) if causal else None
    expected = F.scaled_dot_product_attention(
        torch.tensor(q), torch.tensor(k), torch.tensor(v), attn_mask=visible
    ).numpy()
    np.testing.assert_allclose(attn.compute_batch(q, k, v), expected, atol=1e-5)
    exact = ra.ScaledDotProductAttention(16, causal=causal)
    np.testing.assert_allclose(attn.weights_batch(q, k), exact.weights_batch(q, k), atol=1e-6)


def test_masked_blocks_and_blind_rows(rng):
    q, k, v = (rng.normal(size=s) for s in [(3, 8), (40, 8), (40, 2)])
    mask = np.zeros((3, 40), bool)
    mask[0, 35:] = True  # only the last block visible
    mask[1, ::9] = True
    attn = ra.FlashAttention(8, block_size=8)
    attn.max_tile = 0
    exact = ra.ScaledDotProductAttention(8)
    np.testing.assert_allclose(attn.compute_batch(q, k, v, mask=mask), exact.compute_batch(q, k, v, mask=mask), atol=1e-6)
    np.testing.assert_array_equal(attn.compute_batch(q, k, v, mask=mask)[2], 0.0)


def test_large_scores_do_not_overflow(rng):
    q = rng.normal(size=(2, 8)) * 30
    k = rng.normal(size=(100, 8)) * 30
    v = rng.normal(size=(100, 3))
    out = ra.FlashAttention(8, block_size=16).compute_batch(q, k, v)
    np.testing.assert_allclose(out, ra.ScaledDotProductAttention(8).compute_batch(q, k, v), atol=1e-5)


def test_grouped_blocks_give_the_same_result(rng):
    q, k, v = (rng.normal(size=s).astype(np.float32) for s in [(3, 8), (1000, 8), (1000, 4)])
    grouped, single = ra.FlashAttention(8, block_size=16), ra.FlashAttention(8, block_size=16)
    single.max_tile = 0
    assert len(grouped._blocks(3, 1000)) == 1 and len(single._blocks(3, 1000)) == 63
    np.testing.assert_allclose(grouped.compute_batch(q, k, v), single.compute_batch(q, k, v), atol=1e-6)


def test_peak_memory_is_blockwise(rng):
    m, n, d = 64, 50_000, 16
    q, k, v = (rng.normal(size=s).astype(np.float32) for s in [(m, d), (n, d), (n, d)])
    attn = ra.FlashAttention(d, block_size=64)
    tracemalloc.start()
    attn.compute_batch(q, k, v)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    full_scores = m * n * 4
    assert peak < full_scores / 8, (peak, full_scores)


@needs_torch
@pytest.mark.parametrize("causal", [False, True])
def test_backward_matches_autograd_blockwise(rng, causal):
    q, k, v, g = (rng.normal(size=s) for s in [(5, 8), (70, 8), (70, 3), (5, 3)])
    mask = rng.random((5, 70)) < 0.8
    mask[:, -1] = True
    attn = ra.FlashAttention(8, block_size=16, causal=causal)
    attn.max_tile = 0  # several blocks
    tq, tk, tv = (torch.tensor(x, requires_grad=True) for x in (q, k, v))
    visible = torch.tensor(mask)
    if causal:
        visible &= torch.ones(5, 70, dtype=torch.bool).tril(diagonal=70 - 5)
    out = F.scaled_dot_product_attention(tq, tk, tv, attn_mask=visible)
    (out * torch.tensor(g)).sum().backward()
    grads = attn.backward(q, k, v, g, mask=mask)
    np.testing.assert_allclose(grads.query, tq.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grads.keys, tk.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grads.values, tv.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_backward_equals_scaled_dot_backward(rng):
    q, k, v, g = (rng.normal(size=s) for s in [(3, 8), (40, 8), (40, 2), (3, 2)])
    flash = ra.FlashAttention(8, block_size=8)
    flash.max_tile = 0
    exact = ra.ScaledDotProductAttention(8).backward(q, k, v, g)
    mine = flash.backward(q, k, v, g)
    for name in ("query", "keys", "values"):
        np.testing.assert_allclose(getattr(mine, name), getattr(exact, name), rtol=1e-4, atol=1e-5)


def test_values_at_float32_max_stay_finite(rng):
    """The accumulator is a running convex combination, so values of 3.4e38 cannot overflow
    it; oracle: the softmax formula in float64."""
    q, k = rng.normal(size=(3, 8)).astype(np.float32), rng.normal(size=(300, 8)).astype(np.float32)
    v = np.where(rng.random((300, 2)) < 0.5, -3.4e38, 3.4e38).astype(np.float32)
    v[:, 1] = 3.4e38
    scores = q.astype(np.float64) @ k.T.astype(np.float64) / np.sqrt(8)
    w = np.exp(scores - scores.max(axis=1, keepdims=True))
    expected = (w / w.sum(axis=1, keepdims=True)) @ v.astype(np.float64)
    out = ra.FlashAttention(8, block_size=32).compute_batch(q, k, v)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, np.clip(expected, -3.4028235e38, 3.4028235e38), rtol=1e-5)
