"""structural: equal to torch SDPA with W_s = 0, its formula, backward against torch.autograd,
typed errors for bad ``structural_features=``."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra

from ..oracles import F, needs_torch, torch
from .offset_keys import assert_backward_matches_autograd, assert_every_entry_raises


def _with(dim: int, w_s: np.ndarray) -> ra.StructuralAttention:
    attn = ra.StructuralAttention(dim, num_features=w_s.shape[0])
    attn.load_parameters({"w_s": w_s})
    return attn


@needs_torch
@pytest.mark.parametrize("m, n", [(1, 7), (5, 5), (3, 11)])
def test_zero_projection_equals_torch_sdpa(rng, m, n):
    q, k, v = (rng.normal(size=s).astype(np.float32) for s in [(m, 8), (n, 8), (n, 3)])
    features = rng.normal(size=(n, 3)) * 10
    mask = rng.random((m, n)) < 0.7
    mask[:, 0] = True
    expected = F.scaled_dot_product_attention(
        torch.tensor(q)[None], torch.tensor(k)[None], torch.tensor(v)[None], attn_mask=torch.tensor(mask)
    )[0].numpy()
    attn = _with(8, np.zeros((3, 8)))
    np.testing.assert_allclose(attn.compute_batch(q, k, v, mask=mask, structural_features=features), expected, atol=1e-5)
    np.testing.assert_allclose(attn.compute(q[0], k, v, mask=mask[0], structural_features=features), expected[0], atol=1e-5)


def test_formula_float64(rng):
    w_s = rng.normal(size=(2, 6))
    attn = _with(6, w_s)
    q, k, v = rng.normal(size=(3, 6)), rng.normal(size=(9, 6)), rng.normal(size=(9, 2))
    features = rng.normal(size=(9, 2))
    scores = q @ (k + features @ w_s).T / np.sqrt(6)
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(attn.weights_batch(q, k, structural_features=features), weights, atol=1e-5)
    np.testing.assert_allclose(attn.compute_batch(q, k, v, structural_features=features), weights @ v, atol=1e-5)
    plain = ra.ScaledDotProductAttention(6).weights_batch(q, k)
    np.testing.assert_allclose(attn.weights_batch(q, k), plain, atol=1e-6)  # default: zero features


def test_features_shared_by_every_block_of_rows(rng, monkeypatch):
    attn = _with(8, rng.normal(size=(3, 8)))
    q, k, v = rng.normal(size=(64, 8)), rng.normal(size=(40, 8)), rng.normal(size=(40, 3))
    features = rng.normal(size=(40, 3))
    whole = attn.compute_batch(q, k, v, structural_features=features)
    grads = attn.backward(q, k, v, np.ones((64, 3)), structural_features=features)
    monkeypatch.setattr(ra.limits, "MAX_WORK_BYTES", 40 * 1024)
    np.testing.assert_allclose(attn.compute_batch(q, k, v, structural_features=features), whole, atol=1e-6)
    blocked = attn.backward(q, k, v, np.ones((64, 3)), structural_features=features)
    np.testing.assert_allclose(blocked.params["w_s"], grads.params["w_s"], rtol=1e-5, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("single", [True, False])
@pytest.mark.parametrize("causal", [False, True])
def test_backward_matches_autograd(rng, single, causal):
    attn = _with(8, rng.normal(size=(3, 8)))
    features = rng.normal(size=(7, 3))
    assert_backward_matches_autograd(
        attn, lambda p: (torch.tensor(features) @ p["w_s"], 0.0), rng, single=single, causal=causal, structural_features=features
    )


@pytest.mark.parametrize(
    ("features", "error"),
    [
        (np.ones((3, 2)), ra.DimensionMismatchError),  # one row short
        (np.ones((4, 3)), ra.DimensionMismatchError),  # wrong feature count
        (np.ones(4), ra.InvalidInputError),  # not a matrix
        (np.array([[0.0, np.nan]] * 4), ra.InvalidInputError),
        (np.array([[0.0, np.inf]] * 4), ra.InvalidInputError),
        ([["a", 1.0]] * 4, ra.InvalidInputError),
    ],
)
def test_bad_features_are_typed_errors(rng, features, error):
    attn = ra.StructuralAttention(4, num_features=2)
    assert_every_entry_raises(attn, error, rng, structural_features=features)


def test_parameters_seeded_small_and_loadable(tmp_path):
    a, b, c = (ra.StructuralAttention(16, 4, seed=s) for s in (0, 0, 1))
    w = a.parameters()["w_s"]
    assert w.shape == (4, 16) and 0 < np.abs(w).max() <= 0.05
    np.testing.assert_array_equal(w, b.parameters()["w_s"])
    assert not np.array_equal(w, c.parameters()["w_s"])
    with pytest.raises(ra.InvalidConfigError):
        a.load_parameters({"w_s": w, "bogus": w})
    with pytest.raises(ra.InvalidConfigError):
        ra.StructuralAttention(16, 0)
    a.save(tmp_path / "s.npz")
    np.testing.assert_array_equal(ra.load(tmp_path / "s.npz").parameters()["w_s"], w)
