"""structural: equal to torch SDPA with W_s = 0, its formula, backward against torch.autograd,
typed errors for bad ``structural_features=``."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra

from ..oracles import F, needs_torch, torch


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
    m, n, d = (1 if single else 5), 7, 8
    attn = _with(d, rng.normal(size=(3, d)))
    q, k, v, g = (rng.normal(size=s) for s in [(m, d), (n, d), (n, 3), (m, 3)])
    features = rng.normal(size=(n, 3))
    mask = rng.random((m, n)) < 0.8
    mask[:, -1] = True
    tq, tk, tv = (torch.tensor(x, requires_grad=True) for x in (q, k, v))
    tw = torch.tensor(attn.parameters()["w_s"].astype(np.float64), requires_grad=True)
    scores = tq @ (tk + torch.tensor(features) @ tw).T / np.sqrt(d)
    visible = torch.tensor(mask)
    if causal and not single:
        visible &= torch.ones(m, n, dtype=torch.bool).tril(diagonal=n - m)
    weights = torch.softmax(scores.masked_fill(~visible, -torch.inf), dim=-1)
    (weights @ tv * torch.tensor(g)).sum().backward()
    if single:
        grads = attn.backward(q[0], k, v, g[0], mask=mask[0], structural_features=features)
        query_grad = grads.query[None]
    else:
        grads = attn.backward(q, k, v, g, mask=mask, causal=causal, structural_features=features)
        query_grad = grads.query
    np.testing.assert_allclose(query_grad, tq.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grads.keys, tk.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grads.values, tv.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grads.params["w_s"], tw.grad.numpy(), rtol=1e-4, atol=1e-5)


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
    q, k, v = rng.normal(size=(2, 4)), rng.normal(size=(4, 4)), rng.normal(size=(4, 2))
    for call in (
        lambda: attn.compute(q[0], k, v, structural_features=features),
        lambda: attn.compute_batch(q, k, v, structural_features=features),
        lambda: attn.backward(q, k, v, np.ones((2, 2)), structural_features=features),
    ):
        with pytest.raises(error, match="structural_features"):
            call()


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
