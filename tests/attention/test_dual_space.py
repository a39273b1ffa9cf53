"""dual_space against its three parts written out with NumPy, per query."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra


def _softmax_over(scores, allowed):
    s = np.where(allowed, scores, -np.inf)
    e = np.exp(s - s.max())
    return e / e.sum()


def _reference(attn, q, k, v, graph_mask, latent_k, g):
    p = attn.parameters()
    score = lambda x: (x @ p["w_q"]) @ (k @ p["w_k"]).T / np.sqrt(k.shape[1])  # noqa: E731
    out = []
    for i, row in enumerate(q):
        s = score(row)
        latent = np.zeros(len(k), bool)
        latent[np.argsort(-s)[:latent_k]] = True
        w_graph = _softmax_over(s, graph_mask[i])
        w_latent = _softmax_over(s, latent)
        w_cross = _softmax_over(score(w_graph @ k), latent)
        out.append(g * w_graph @ v + (1 - g) / 2 * (w_latent @ v + w_cross @ v))
    return np.array(out)


@pytest.mark.parametrize("g", [0.0, 0.3, 1.0])
def test_matches_the_written_out_parts(rng, g):
    attn = ra.DualSpaceAttention(6, graph_weight=g, latent_k=3, seed=2)
    q, k, v = rng.normal(size=(4, 6)), rng.normal(size=(9, 6)), rng.normal(size=(9, 2))
    graph_mask = rng.random((4, 9)) < 0.5
    graph_mask[:, 0] = True
    expected = _reference(attn, q, k, v, graph_mask, 3, g)
    np.testing.assert_allclose(attn.compute_batch(q, k, v, graph_mask=graph_mask), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(attn.compute(q[1], k, v, graph_mask=graph_mask[1]), expected[1], rtol=1e-4, atol=1e-5)


def test_no_graph_neighbour_falls_back_to_latent(rng):
    attn = ra.DualSpaceAttention(4, graph_weight=0.5, latent_k=2)
    q, k, v = rng.normal(size=4), rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    w = attn.weights(q, k, graph_mask=np.zeros(5, bool))
    np.testing.assert_allclose(w.sum(), 1.0, atol=1e-6)
    assert (w > 0).sum() == 2  # only the two latent neighbours
    np.testing.assert_allclose(attn.compute(q, k, v, graph_mask=np.zeros(5, bool)), w @ v, atol=1e-6)
