"""dynamic_head: with every head active and equal gates equal to torch.nn.MultiheadAttention;
the gated formula and backward against torch.autograd; threshold, min_heads, set_active_heads."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra

from ..conftest import call_backward
from ..oracles import needs_torch, torch
from .offset_keys import assert_gradients_match
from .test_multi_head import _randomise_biases, _torch_mha


def _ungated(attn: ra.DynamicHeadAttention) -> ra.DynamicHeadAttention:
    attn.load_parameters({**attn.parameters(), "w_gate": np.zeros_like(attn.parameters()["w_gate"])})
    return attn


def _torch_dynamic(params: dict[str, np.ndarray], heads: int, q, k, v, visible, active):
    """The docstring's formula in torch (float64), the active set given."""
    t = {name: torch.tensor(value.astype(np.float64), requires_grad=True) for name, value in params.items()}
    m, d = q.shape[0], q.shape[1]
    c = d // heads

    def split(x):
        return x.reshape(x.shape[0], heads, c).transpose(0, 1)

    qh, kh, vh = (split(x @ t[f"w_{p}"] + t[f"b_{p}"]) for x, p in ((q, "q"), (k, "k"), (v, "v")))
    weights = torch.softmax((qh @ kh.transpose(1, 2) / np.sqrt(c)).masked_fill(~visible, -torch.inf), dim=-1)
    out_heads = weights @ vh  # (H, m, c)
    probs = torch.softmax(q @ t["w_gate"], dim=-1)
    kept = torch.where(torch.tensor(active), probs, torch.zeros_like(probs))
    gates = kept / kept.sum(dim=1, keepdim=True)
    merged = (heads * gates.T[:, :, None] * out_heads).transpose(0, 1).reshape(m, d)
    return merged @ t["w_o"] + t["b_o"], t


@needs_torch
@pytest.mark.parametrize("causal", [False, True])
def test_all_heads_active_equals_torch_multihead(rng, causal):
    attn = _ungated(ra.DynamicHeadAttention(16, max_heads=4, threshold=0.0, seed=7))
    _randomise_biases(attn, rng)
    mha = ra.MultiHeadAttention(16, 4)
    mha.load_parameters({k: v for k, v in attn.parameters().items() if k != "w_gate"})
    q, k, v = (rng.normal(size=s).astype(np.float32) for s in [(5, 16), (5, 16), (5, 16)])
    causal_mask = torch.ones(5, 5, dtype=torch.bool).triu(1) if causal else None
    expected, weights = _torch_mha(mha)(
        *(torch.tensor(x, dtype=torch.float64)[None] for x in (q, k, v)), attn_mask=causal_mask
    )
    out = attn.compute_batch(q, k, v, causal=causal)
    np.testing.assert_allclose(out, expected[0].detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(attn.weights_batch(q, k, causal=causal), weights[0].detach().numpy(), atol=1e-5)
    assert attn.last_stats["mean_active"] == 4.0
    attn.set_active_heads(4)  # the same through the run-time override, whatever the threshold
    np.testing.assert_allclose(attn.compute_batch(q, k, v, causal=causal), out, atol=1e-6)
    np.testing.assert_allclose(attn.compute(q[0], k, v), mha.compute(q[0], k, v), atol=1e-5)


def test_heads_below_threshold_are_skipped_and_gates_renormalised(rng):
    attn = ra.DynamicHeadAttention(8, max_heads=4, threshold=0.3, seed=1)
    p = attn.parameters()
    p["w_gate"] = rng.normal(size=(8, 4)) * 2
    attn.load_parameters(p)
    q, k, v = rng.normal(size=(20, 8)), rng.normal(size=(6, 8)), rng.normal(size=(6, 8))
    out = attn.compute_batch(q, k, v)
    logits = q @ p["w_gate"]
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    active = attn.last_stats["active"]
    top = probs.argmax(axis=1)
    np.testing.assert_array_equal(active, (probs >= 0.3) | (np.arange(4) == top[:, None]))
    assert 1 <= active.sum(axis=1).min() and active.sum(axis=1).max() < 4  # some skipped
    gates = np.where(active, probs, 0) / np.where(active, probs, 0).sum(axis=1, keepdims=True)
    mha = ra.MultiHeadAttention(8, 4)
    mha.load_parameters({name: value for name, value in p.items() if name != "w_gate"})
    # each head's output, read off multi_head by isolating its slice of w_o
    expected = np.tile(p["b_o"], (20, 1)).astype(np.float64)
    c = 2
    for h in range(4):
        only = {**mha.parameters(), "w_o": np.zeros((8, 8)), "b_o": np.zeros(8)}
        only["w_o"][h * c:(h + 1) * c] = p["w_o"][h * c:(h + 1) * c]
        mha.load_parameters(only)
        expected += 4 * gates[:, h:h + 1] * mha.compute_batch(q, k, v)
    np.testing.assert_allclose(out, expected, atol=1e-5)
    np.testing.assert_allclose(attn.weights_batch(q, k).sum(axis=1), 1.0, atol=1e-5)
    assert attn.last_stats["head_usage"] == pytest.approx(active.mean(axis=0).tolist())


def test_min_heads_and_set_active_heads(rng):
    attn = ra.DynamicHeadAttention(8, max_heads=4, min_heads=2, threshold=1.0)
    q, k, v = rng.normal(size=(7, 8)), rng.normal(size=(5, 8)), rng.normal(size=(5, 8))
    attn.compute_batch(q, k, v)
    np.testing.assert_array_equal(attn.last_stats["active"].sum(axis=1), 2)
    attn.set_active_heads(3)
    attn.compute_batch(q, k, v)
    np.testing.assert_array_equal(attn.last_stats["active"].sum(axis=1), 3)
    attn.set_active_heads(None)
    attn.weights(q[0], k)
    assert attn.last_stats["active"].shape == (1, 4) and attn.last_stats["mean_active"] == 2.0
    for bad in (0, 5, 1.5, True, "2"):
        with pytest.raises(ra.InvalidConfigError):
            attn.set_active_heads(bad)


@pytest.mark.parametrize(
    "config", [{"dim": 10, "max_heads": 4}, {"dim": 8, "max_heads": 4, "min_heads": 5}, {"dim": 8, "threshold": 1.5}]
)
def test_bad_config(config):
    with pytest.raises(ra.InvalidConfigError):
        ra.create("dynamic_head", **config)


def test_parameters_are_multi_head_plus_gate():
    attn = ra.DynamicHeadAttention(16, max_heads=4)
    mha = ra.MultiHeadAttention(16, 4)
    params = attn.parameters()
    assert sorted(params) == sorted([*mha.parameters(), "w_gate"])
    for name, value in mha.parameters().items():  # same layout and initialisation
        np.testing.assert_array_equal(params[name], value)
    assert params["w_gate"].shape == (16, 4) and 0 < np.abs(params["w_gate"]).max() <= 0.25
    assert attn.num_heads == 4 and attn.head_weights([1.0] * 16, np.eye(16)).shape == (4, 16)


@needs_torch
@pytest.mark.parametrize("single", [True, False])
@pytest.mark.parametrize("fixed", [None, 2])
def test_backward_matches_autograd(rng, single, fixed):
    attn = ra.DynamicHeadAttention(12, max_heads=3, threshold=0.3, seed=2)
    _randomise_biases(attn, rng)
    attn.load_parameters({**attn.parameters(), "w_gate": rng.normal(size=(12, 3))})
    attn.set_active_heads(fixed)
    m = 1 if single else 6
    q, k, v, g = (rng.normal(size=s) for s in [(m, 12), (5, 12), (5, 12), (m, 12)])
    mask = rng.random((m, 5)) < 0.8
    mask[:, 0] = True
    attn.compute_batch(q, k, v, mask=mask)
    active = attn.last_stats["active"]
    tq, tk, tv = (torch.tensor(x, requires_grad=True) for x in (q, k, v))
    out, params = _torch_dynamic(attn.parameters(), 3, tq, tk, tv, torch.tensor(mask), active)
    (out * torch.tensor(g)).sum().backward()
    grads, query_grad = call_backward(attn, q, k, v, g, mask, single=single)
    np.testing.assert_allclose(attn.compute_batch(q, k, v, mask=mask), out.detach().numpy(), atol=1e-5)
    assert_gradients_match(grads, query_grad, (tq, tk, tv), params)
