"""moe: router, top-k gates, expert mixture and capacity, each written out in the test."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ruvector_attention as ra


def _router(attn, q):
    logits = np.atleast_2d(q) @ attn.parameters()["w_router"]
    p = np.exp(logits - logits.max(1, keepdims=True))
    return p / p.sum(1, keepdims=True)


def test_single_query_is_gate_weighted_mixture(rng):
    attn = ra.MoEAttention(8, num_experts=4, top_k=2, seed=3)
    q, k, v = rng.normal(size=8) * 0.3, rng.normal(size=(10, 8)) * 0.3, rng.normal(size=(10, 3)) * 0.3
    p = _router(attn, q)[0]
    top = np.argsort(-p)[:2]
    gates = p[top] / p[top].sum()
    assert [e for e, _ in attn.routing(q)] == list(top)
    np.testing.assert_allclose([g for _, g in attn.routing(q)], gates, rtol=1e-6)
    expected = sum(g * attn.experts[e].compute(q, k, v) for e, g in zip(top, gates))
    np.testing.assert_allclose(attn.compute(q, k, v), expected, atol=1e-6)
    expected_w = sum(g * attn.experts[e].weights(q, k) for e, g in zip(top, gates))
    np.testing.assert_allclose(attn.weights(q, k), expected_w, atol=1e-6)


def test_default_experts_are_the_contract_mix():
    attn = ra.MoEAttention(8, num_experts=5)
    assert [e.name for e in attn.experts] == ["scaled_dot", "hyperbolic", "linear", "local_global", "scaled_dot"]


def test_custom_experts_keep_their_parameters(rng, tmp_path):
    mh = ra.MultiHeadAttention(8, 2, seed=9)
    attn = ra.MoEAttention(8, num_experts=2, top_k=1, experts=[mh, ra.ScaledDotProductAttention(8)])
    np.testing.assert_array_equal(attn.experts[0].parameters()["w_q"], mh.parameters()["w_q"])
    attn.save(tmp_path / "moe.npz")
    clone = ra.load(tmp_path / "moe.npz")
    q, k, v = rng.normal(size=(3, 8)), rng.normal(size=(6, 8)), rng.normal(size=(6, 8))
    np.testing.assert_array_equal(clone.compute_batch(q, k, v), attn.compute_batch(q, k, v))
    with pytest.raises(ra.InvalidConfigError):
        ra.MoEAttention(8, num_experts=2, experts=[ra.ScaledDotProductAttention(4)] * 2)


def test_capacity_reroutes_and_counts(rng):
    attn = ra.MoEAttention(4, num_experts=4, top_k=1, expert_capacity=1.0, seed=1)
    q = np.tile(rng.normal(size=4), (8, 1))  # identical queries all prefer one expert
    k, v = rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
    attn.compute_batch(q, k, v)
    stats = attn.last_stats
    capacity = math.ceil(1.0 * 8 * 1 / 4)
    assert stats["capacity"] == capacity
    assert max(stats["tokens_per_expert"]) <= capacity
    assert sum(stats["tokens_per_expert"]) == 8 and stats["rerouted"] == 8 - capacity
    assert stats["dropped"] == 0 and stats["over_capacity"] == 0
    loose = ra.MoEAttention(4, num_experts=4, top_k=1, expert_capacity=8.0, seed=1)
    loose.compute_batch(q, k, v)
    assert loose.last_stats["rerouted"] == 0 and max(loose.last_stats["tokens_per_expert"]) == 8


def test_tiny_capacity_never_loses_a_query(rng):
    attn = ra.MoEAttention(4, num_experts=2, top_k=2, expert_capacity=0.1)
    out = attn.compute_batch(rng.normal(size=(6, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 2)))
    assert np.isfinite(out).all()
    assert attn.last_stats["dropped"] > 0 and sum(attn.last_stats["tokens_per_expert"]) >= 6


def test_jitter_only_in_train_mode(rng):
    attn = ra.MoEAttention(8, jitter_noise=0.5)
    q = rng.normal(size=(16, 8))
    np.testing.assert_allclose(attn.router_probs(q), _router(attn, q), atol=1e-6)
    assert not np.allclose(attn.train().router_probs(q), _router(attn, q), atol=1e-4)


def test_load_balancing_loss_formula(rng):
    attn = ra.MoEAttention(8, num_experts=4, top_k=2)
    q = rng.normal(size=(20, 8))
    p = _router(attn, q)
    top = np.argsort(-p, axis=1)[:, :2]
    dispatch = np.array([(top == e).any(1).mean() for e in range(4)]) / 2
    np.testing.assert_allclose(attn.load_balancing_loss(q), 4 * np.sum(dispatch * p.mean(0)), rtol=1e-5)


def test_config_errors():
    with pytest.raises(ra.InvalidConfigError):
        ra.MoEAttention(8, num_experts=2, top_k=3)
    with pytest.raises(ra.InvalidConfigError):
        ra.MoEAttention(8, num_experts=3, experts=[ra.ScaledDotProductAttention(8)])
    with pytest.raises(ra.InvalidConfigError):
        ra.MoEAttention(8, jitter_noise=1.0)
