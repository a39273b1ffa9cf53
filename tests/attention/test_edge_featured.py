"""edge_featured against PyG GATConv's formula written out per node, and autograd."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra

from ..oracles import needs_torch, torch


def _gatconv_reference(x, edge_index, edge_attr, p, slope):
    """PyG GATConv(heads=1, add_self_loops=False, edge_dim=...): a loop over target nodes."""
    xw = x @ p["w"]
    out = np.zeros_like(xw)
    for i in range(len(x)):
        incoming = np.flatnonzero(edge_index[1] == i)
        if not len(incoming):
            continue
        j = edge_index[0, incoming]
        s = xw[j] @ p["att_src"][0] + xw[i] @ p["att_dst"][0] + (edge_attr[incoming] @ p["w_edge"]) @ p["att_edge"][0]
        s = np.where(s > 0, s, slope * s)
        a = np.exp(s - s.max())
        a /= a.sum()
        out[i] = a @ xw[j]
    return out + p["bias"]


def _randomise(attn, rng):
    attn.load_parameters({k: rng.normal(size=v.shape) * 0.5 for k, v in attn.parameters().items()})


def test_forward_graph_equals_gatconv(rng):
    attn = ra.EdgeFeaturedAttention(6, edge_dim=3, negative_slope=0.2, seed=1)
    _randomise(attn, rng)
    x = rng.normal(size=(7, 6))
    edge_index = np.array([[0, 1, 2, 3, 4, 5, 6, 0, 2, 5], [1, 2, 3, 4, 5, 6, 0, 3, 0, 1]])
    edge_attr = rng.normal(size=(10, 3))
    expected = _gatconv_reference(x, edge_index, edge_attr, attn.parameters(), 0.2)
    np.testing.assert_allclose(attn.forward_graph(x, edge_index, edge_attr), expected, rtol=1e-4, atol=1e-5)


def test_isolated_node_gets_the_bias_and_bad_graphs_raise(rng):
    attn = ra.EdgeFeaturedAttention(4, edge_dim=0)
    _randomise(attn, rng)
    out = attn.forward_graph(rng.normal(size=(3, 4)), np.array([[0], [1]]))
    np.testing.assert_allclose(out[2], attn.parameters()["bias"], atol=1e-6)
    with pytest.raises(ra.InvalidInputError):
        attn.forward_graph(np.ones((3, 4)), np.array([[0, 5], [1, 2]]))
    with pytest.raises(ra.InvalidInputError):
        attn.forward_graph(np.ones((3, 4)), np.array([[0.0], [1.0]]))


@pytest.mark.parametrize("heads, concat", [(1, True), (2, True), (2, False)])
def test_compute_is_one_node_of_the_graph(rng, heads, concat):
    attn = ra.EdgeFeaturedAttention(8, edge_dim=2, num_heads=heads, concat=concat, seed=3)
    _randomise(attn, rng)
    x = rng.normal(size=(5, 8))
    edge_attr = rng.normal(size=(4, 2))
    edge_index = np.array([[1, 2, 3, 4], [0, 0, 0, 0]])
    graph = attn.forward_graph(x, edge_index, edge_attr)
    np.testing.assert_allclose(attn.compute(x[0], x[1:], x[1:], edge_features=edge_attr), graph[0], rtol=1e-4, atol=1e-5)
    batch = attn.compute_batch(x[:2], x[1:], x[1:], edge_features=np.stack([edge_attr, edge_attr]))
    np.testing.assert_allclose(batch[0], graph[0], rtol=1e-4, atol=1e-5)
    assert attn.head_weights_batch(x[:2], x[1:]).shape == (heads, 2, 4)
    with pytest.raises(ra.DimensionMismatchError):
        attn.compute(x[0], x[1:], x[1:], edge_features=np.ones((4, 3)))


@needs_torch
@pytest.mark.parametrize("heads, concat", [(1, True), (2, True), (2, False)])
def test_backward_matches_autograd(rng, heads, concat):
    attn = ra.EdgeFeaturedAttention(6, edge_dim=2, num_heads=heads, concat=concat, seed=5)
    _randomise(attn, rng)
    q, k, v, g = rng.normal(size=(3, 6)), rng.normal(size=(5, 6)), rng.normal(size=(5, 6)), rng.normal(size=(3, 6))
    edges = rng.normal(size=(3, 5, 2))
    mask = rng.random((3, 5)) < 0.8
    mask[:, 0] = True
    tp = {name: torch.tensor(value.astype(np.float64), requires_grad=True) for name, value in attn.parameters().items()}
    tq, tk, tv = (torch.tensor(x, requires_grad=True) for x in (q, k, v))
    c = attn.config.head_dim

    def heads_of(x, w):
        return (x @ w).reshape(*x.shape[:-1], heads, c)

    xq, xk, xv, xe = heads_of(tq, tp["w"]), heads_of(tk, tp["w"]), heads_of(tv, tp["w"]), heads_of(torch.tensor(edges), tp["w_edge"])
    raw = (torch.einsum("mhc,hc->hm", xq, tp["att_dst"])[:, :, None] + torch.einsum("nhc,hc->hn", xk, tp["att_src"])[:, None, :]
           + torch.einsum("mnhc,hc->hmn", xe, tp["att_edge"]))
    scores = torch.nn.functional.leaky_relu(raw, 0.2).masked_fill(~torch.tensor(mask), -torch.inf)
    weights = torch.softmax(scores, dim=-1)
    out_heads = torch.einsum("hmn,nhc->mhc", weights, xv)
    out = (out_heads.reshape(3, -1) if concat else out_heads.mean(1)) + tp["bias"]
    (out * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(attn.compute_batch(q, k, v, mask=mask, edge_features=edges), out.detach().numpy(), rtol=1e-4, atol=1e-5)
    grads = attn.backward(q, k, v, g, mask=mask, edge_features=edges)
    for name, t in (("query", tq), ("keys", tk), ("values", tv)):
        np.testing.assert_allclose(getattr(grads, name), t.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
    assert set(grads.params) == set(tp)
    for name, t in tp.items():
        np.testing.assert_allclose(grads.params[name], t.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
