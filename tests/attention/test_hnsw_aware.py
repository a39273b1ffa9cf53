"""hnsw_aware: equal to torch SDPA with E = b = 0, its formula, backward against torch.autograd,
typed errors for bad ``hnsw_layers=``."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra

from ..oracles import F, needs_torch, torch
from .offset_keys import assert_backward_matches_autograd, assert_every_entry_raises


def _zeroed(dim: int, max_layers: int = 4) -> ra.HNSWAwareAttention:
    attn = ra.HNSWAwareAttention(dim, max_layers=max_layers)
    attn.load_parameters({"layer_embedding": np.zeros((max_layers, dim)), "layer_bias": np.zeros(max_layers)})
    return attn


def _randomised(dim: int, rng: np.random.Generator, max_layers: int = 4) -> ra.HNSWAwareAttention:
    attn = ra.HNSWAwareAttention(dim, max_layers=max_layers, seed=3)
    attn.load_parameters({"layer_embedding": rng.normal(size=(max_layers, dim)), "layer_bias": rng.normal(size=max_layers)})
    return attn


@needs_torch
@pytest.mark.parametrize("m, n", [(1, 7), (5, 5), (3, 11)])
def test_zero_terms_equal_torch_sdpa(rng, m, n):
    q, k, v = (rng.normal(size=s).astype(np.float32) for s in [(m, 8), (n, 8), (n, 3)])
    layers = rng.integers(0, 4, n)
    mask = rng.random((m, n)) < 0.7
    mask[:, 0] = True
    expected = F.scaled_dot_product_attention(
        torch.tensor(q)[None], torch.tensor(k)[None], torch.tensor(v)[None], attn_mask=torch.tensor(mask)
    )[0].numpy()
    attn = _zeroed(8)
    np.testing.assert_allclose(attn.compute_batch(q, k, v, mask=mask, hnsw_layers=layers), expected, atol=1e-5)
    np.testing.assert_allclose(attn.compute(q[0], k, v, mask=mask[0], hnsw_layers=layers), expected[0], atol=1e-5)
    np.testing.assert_allclose(attn.compute_batch(q, k, v, mask=mask), expected, atol=1e-5)


def test_formula_float64(rng):
    attn = _randomised(6, rng)
    p = attn.parameters()
    q, k, v = rng.normal(size=(3, 6)), rng.normal(size=(9, 6)), rng.normal(size=(9, 2))
    layers = rng.integers(0, 4, 9)
    scores = q @ (k + p["layer_embedding"][layers]).T / np.sqrt(6) + p["layer_bias"][layers]
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(attn.weights_batch(q, k, hnsw_layers=layers), weights, atol=1e-5)
    np.testing.assert_allclose(attn.compute_batch(q, k, v, hnsw_layers=layers), weights @ v, atol=1e-5)
    default = attn.weights_batch(q, k)
    np.testing.assert_allclose(default, attn.weights_batch(q, k, hnsw_layers=np.zeros(9, int)), atol=0)


def test_layers_shared_by_every_block_of_rows(rng, monkeypatch):
    """Per-key layers stay whole when a batch runs in blocks of query rows."""
    attn = _randomised(8, rng)
    q, k, v = rng.normal(size=(64, 8)), rng.normal(size=(40, 8)), rng.normal(size=(40, 3))
    layers = rng.integers(0, 4, 40)
    whole = attn.compute_batch(q, k, v, hnsw_layers=layers)
    grads = attn.backward(q, k, v, np.ones((64, 3)), hnsw_layers=layers)
    monkeypatch.setattr(ra.limits, "MAX_WORK_BYTES", 40 * 1024)
    np.testing.assert_allclose(attn.compute_batch(q, k, v, hnsw_layers=layers), whole, atol=1e-6)
    blocked = attn.backward(q, k, v, np.ones((64, 3)), hnsw_layers=layers)
    for name, value in grads.params.items():
        np.testing.assert_allclose(blocked.params[name], value, rtol=1e-5, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("single", [True, False])
@pytest.mark.parametrize("causal", [False, True])
def test_backward_matches_autograd(rng, single, causal):
    attn = _randomised(8, rng)
    layers = rng.integers(0, 4, 7)
    index = torch.tensor(layers)
    assert_backward_matches_autograd(
        attn, lambda p: (p["layer_embedding"][index], p["layer_bias"][index]), rng, single=single, causal=causal, hnsw_layers=layers
    )


@pytest.mark.parametrize(
    ("layers", "error"),
    [
        ([0, 1, 2], ra.DimensionMismatchError),
        ([[0, 1, 2, 3]], ra.DimensionMismatchError),
        ([0, 1, 2, 4], ra.InvalidInputError),
        ([0, -1, 2, 3], ra.InvalidInputError),
        ([0, 1.5, 2, 3], ra.InvalidInputError),
        ([0, np.nan, 2, 3], ra.InvalidInputError),
        (["a", 1, 2, 3], ra.InvalidInputError),
    ],
)
def test_bad_layers_are_typed_errors(rng, layers, error):
    attn = ra.HNSWAwareAttention(4, max_layers=4)
    assert_every_entry_raises(attn, error, rng, hnsw_layers=layers)


def test_integral_floats_are_layers(rng):
    attn = ra.HNSWAwareAttention(4, max_layers=4)
    q, k = rng.normal(size=4), rng.normal(size=(3, 4))
    np.testing.assert_array_equal(attn.weights(q, k, hnsw_layers=[0.0, 3.0, 1.0]), attn.weights(q, k, hnsw_layers=[0, 3, 1]))


def test_parameters_seeded_small_and_loadable(tmp_path):
    a, b, c = (ra.HNSWAwareAttention(16, seed=s) for s in (0, 0, 1))
    pa = a.parameters()
    assert pa["layer_embedding"].shape == (16, 16) and pa["layer_bias"].shape == (16,)
    np.testing.assert_array_equal(pa["layer_embedding"], b.parameters()["layer_embedding"])
    assert not np.array_equal(pa["layer_embedding"], c.parameters()["layer_embedding"])
    assert 0 < np.abs(pa["layer_embedding"]).max() < 0.2
    with pytest.raises(ra.DimensionMismatchError):
        a.load_parameters({**pa, "layer_bias": np.zeros(3)})
    a.save(tmp_path / "h.npz")
    restored = ra.load(tmp_path / "h.npz")
    for name, value in pa.items():
        np.testing.assert_array_equal(restored.parameters()[name], value)
