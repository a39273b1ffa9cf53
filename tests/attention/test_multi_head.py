"""multi_head against torch.nn.MultiheadAttention under the contract's weight mapping."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra

from ..conftest import call_backward
from ..oracles import needs_torch, torch

pytestmark = needs_torch


def _torch_mha(attn: ra.MultiHeadAttention) -> torch.nn.MultiheadAttention:
    p = attn.parameters()
    cfg = attn.config
    mha = torch.nn.MultiheadAttention(cfg.dim, cfg.num_heads, bias=cfg.bias, batch_first=True)
    mha = mha.double()
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.tensor(np.concatenate([p["w_q"].T, p["w_k"].T, p["w_v"].T])))
        mha.out_proj.weight.copy_(torch.tensor(p["w_o"].T))
        if cfg.bias:
            mha.in_proj_bias.copy_(torch.tensor(np.concatenate([p["b_q"], p["b_k"], p["b_v"]])))
            mha.out_proj.bias.copy_(torch.tensor(p["b_o"]))
    return mha.eval()


def _randomise_biases(attn, rng):
    attn.load_parameters(
        {k: (rng.normal(size=v.shape) * 0.1 if k.startswith("b_") else v) for k, v in attn.parameters().items()}
    )


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("causal", [False, True])
def test_matches_torch(rng, bias, causal):
    attn = ra.MultiHeadAttention(16, 4, bias=bias, causal=causal, seed=7)
    if bias:
        _randomise_biases(attn, rng)
    q, k, v = (rng.normal(size=s).astype(np.float32) for s in [(5, 16), (5, 16), (5, 16)])
    mha = _torch_mha(attn)
    causal_mask = torch.ones(5, 5, dtype=torch.bool).triu(1) if causal else None
    expected, weights = mha(
        *(torch.tensor(x, dtype=torch.float64)[None] for x in (q, k, v)), attn_mask=causal_mask,
        average_attn_weights=False,
    )
    np.testing.assert_allclose(attn.compute_batch(q, k, v), expected[0].detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(attn.weights_batch(q, k), weights[0].mean(0).detach().numpy(), atol=1e-5)
    if not causal:
        np.testing.assert_allclose(
            attn.head_weights(q[1], k), weights[0, :, 1].detach().numpy(), atol=1e-5
        )


def test_key_padding_mask_matches_torch(rng):
    attn = ra.MultiHeadAttention(8, 2, seed=1)
    _randomise_biases(attn, rng)
    q, k, v = (rng.normal(size=s).astype(np.float32) for s in [(3, 8), (6, 8), (6, 8)])
    keep = np.array([True, True, False, True, False, True])
    expected, _ = _torch_mha(attn)(
        *(torch.tensor(x, dtype=torch.float64)[None] for x in (q, k, v)),
        key_padding_mask=torch.tensor(~keep)[None],
    )
    np.testing.assert_allclose(attn.compute_batch(q, k, v, mask=keep), expected[0].detach().numpy(), atol=1e-5)


def test_blind_query_outputs_zero_despite_bias(rng):
    attn = ra.MultiHeadAttention(8, 2)
    _randomise_biases(attn, rng)
    q, k, v = (rng.normal(size=s) for s in [(2, 8), (4, 8), (4, 8)])
    mask = np.array([[True] * 4, [False] * 4])
    out = attn.compute_batch(q, k, v, mask=mask)
    np.testing.assert_array_equal(out[1], 0.0)
    assert np.abs(out[0]).sum() > 0


def test_init_is_seeded_and_torch_like():
    a, b, c = (ra.MultiHeadAttention(64, 8, seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(a.parameters()["w_q"], b.parameters()["w_q"])
    assert not np.array_equal(a.parameters()["w_q"], c.parameters()["w_q"])
    bound = np.sqrt(6 / (64 * 4))
    assert 0.9 * bound < np.abs(a.parameters()["w_q"]).max() <= bound
    np.testing.assert_array_equal(a.parameters()["b_o"], 0.0)


def test_dropout_acts_in_train_mode_only(rng):
    attn = ra.MultiHeadAttention(8, 2, dropout=0.5)
    q, k, v = (rng.normal(size=s) for s in [(3, 8), (20, 8), (20, 8)])
    clean = attn.compute_batch(q, k, v)
    assert not np.allclose(attn.train().compute_batch(q, k, v), clean)
    np.testing.assert_array_equal(attn.eval().compute_batch(q, k, v), clean)


def test_values_must_have_dim_columns(rng):
    attn = ra.MultiHeadAttention(8, 2)
    with pytest.raises(ra.DimensionMismatchError):
        attn.compute(rng.normal(size=8), rng.normal(size=(3, 8)), rng.normal(size=(3, 5)))


@pytest.mark.parametrize("single", [True, False])
def test_backward_matches_autograd(rng, single):
    attn = ra.MultiHeadAttention(12, 3, causal=not single, seed=2)
    _randomise_biases(attn, rng)
    m = 1 if single else 4
    q, k, v, g = (rng.normal(size=s) for s in [(m, 12), (6, 12), (6, 12), (m, 12)])
    mask = rng.random((m, 6)) < 0.8
    mask[:, 0] = True
    mha = _torch_mha(attn)
    tq, tk, tv = (torch.tensor(x, requires_grad=True) for x in (q, k, v))
    visible = torch.tensor(mask)
    if not single:
        visible &= torch.ones(m, 6, dtype=torch.bool).tril(diagonal=6 - m)
    out, _ = mha(tq[None], tk[None], tv[None], attn_mask=~visible)
    (out[0] * torch.tensor(g)).sum().backward()
    grads, query_grad = call_backward(attn, q, k, v, g, mask, single=single)
    np.testing.assert_allclose(query_grad, tq.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grads.keys, tk.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grads.values, tv.grad.numpy(), rtol=1e-4, atol=1e-5)
    d = 12
    torch_grads = {
        "w_q": mha.in_proj_weight.grad[:d].T, "w_k": mha.in_proj_weight.grad[d:2 * d].T,
        "w_v": mha.in_proj_weight.grad[2 * d:].T, "w_o": mha.out_proj.weight.grad.T,
        "b_q": mha.in_proj_bias.grad[:d], "b_k": mha.in_proj_bias.grad[d:2 * d],
        "b_v": mha.in_proj_bias.grad[2 * d:], "b_o": mha.out_proj.bias.grad,
    }
    assert set(grads.params) == set(torch_grads)
    for key, expected in torch_grads.items():
        np.testing.assert_allclose(grads.params[key], expected.numpy(), rtol=1e-4, atol=1e-5, err_msg=key)
