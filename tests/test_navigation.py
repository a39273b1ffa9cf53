"""ra.navigation: kNN graphs, greedy search against a plain reference, the policy's log-prob
gradient against torch autograd, and REINFORCE improving the policy's own recall@1."""

from __future__ import annotations

import numpy as np
import pytest

import ruvector_attention as ra
from ruvector_attention import navigation as nav

from .oracles import needs_torch, torch


def _sphere(rng, n, d=8):
    x = rng.normal(size=(n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _greedy_reference(x, graph, target, node):
    """One target, plain loops: move to the nearest neighbour while strictly nearer."""
    hops = 0
    while True:
        here = float(np.sum((x[node] - target) ** 2))
        best, nearest = here, node
        for j in graph[node]:
            dist = float(np.sum((x[j] - target) ** 2))
            if dist < best:
                best, nearest = dist, j
        if nearest == node:
            return node, hops
        node, hops = nearest, hops + 1


def test_knn_graph_is_exact(rng):
    x = _sphere(rng, 60)
    d2 = np.sum((x[:, None] - x[None]) ** 2, -1) + np.diag(np.full(60, np.inf))
    np.testing.assert_array_equal(nav.knn_graph(x, 5), np.argsort(d2, axis=1, kind="stable")[:, :5])


@pytest.mark.parametrize("kind", ["knn", "random"])
def test_greedy_search_equals_brute_force_reference(rng, kind):
    x, targets = _sphere(rng, 150), _sphere(rng, 40)
    graph = nav.knn_graph(x, 5) if kind == "knn" else rng.integers(0, 150, size=(150, 7))
    entries = rng.integers(0, 150, size=40)
    nodes, hops = nav.greedy_search(x, graph, targets, entries)
    expected = [_greedy_reference(x, graph, t, e) for t, e in zip(targets, entries)]
    assert nodes.tolist() == [n for n, _ in expected]
    assert hops.tolist() == [h for _, h in expected]


def test_hnsw_graph_layers_and_layered_greedy_equal_reference(rng):
    x, targets = _sphere(rng, 300), _sphere(rng, 30)
    hnsw = nav.hnsw_graph(x, 5, m=4, seed=2)
    assert len(hnsw.layers) == hnsw.levels.max() + 1 >= 3 and hnsw.levels[hnsw.entry] == hnsw.levels.max()
    for layer, graph in enumerate(hnsw.layers):
        on = np.flatnonzero(hnsw.levels >= layer)
        assert np.all(hnsw.levels[graph[on]] >= layer)
        assert graph.shape[1] == min(5, len(on) - 1)
    np.testing.assert_array_equal(hnsw.layers[0], nav.knn_graph(x, 5))
    nodes, hops = nav.layered_search(nav.greedy_search, x, hnsw, targets)
    for target, node, moves in zip(targets, nodes, hops):
        here, total = hnsw.entry, 0
        for graph in reversed(hnsw.layers):
            here, h = _greedy_reference(x, graph, target, here)
            total += h
        assert (node, moves) == (here, total)


@needs_torch
def test_log_prob_gradient_vs_autograd(rng):
    candidates, target, w = rng.normal(size=(7, 5)), rng.normal(size=5), rng.normal(size=(5, 5))
    tw = torch.tensor(w, requires_grad=True)
    expected = torch.log_softmax(torch.tensor(candidates) @ (tw @ torch.tensor(target)), 0)[3]
    expected.backward()
    value, grad = nav.log_prob(candidates, target, w, 3)
    np.testing.assert_allclose(value, expected.item(), rtol=1e-6)
    np.testing.assert_allclose(grad, tw.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_reinforce_improves_recall_deterministically():
    rng = np.random.default_rng(0)
    x, train, test = _sphere(rng, 200), _sphere(rng, 256), _sphere(rng, 100)
    graph, hnsw = nav.knn_graph(x, 6), nav.hnsw_graph(x, 6, m=4, seed=0)
    runs = []
    for _ in range(2):
        navigator = nav.Navigator(8, seed=0, max_hops=48, hop_cost=0.002)
        before = [nav.compare(navigator, x, g, test) for g in (graph, hnsw)]
        rewards = navigator.fit(x, graph, train, steps=150, batch=32, lr=0.1, seed=0)
        after = [nav.compare(navigator, x, g, test) for g in (graph, hnsw)]
        runs.append((before, after, rewards, navigator.projection.copy()))
    (before, after, rewards, projection), again = runs
    assert np.mean(rewards[-20:]) > np.mean(rewards[:20])
    for old, new in zip(before, after):  # on the kNN graph it was trained on, and layer by layer
        assert new["navigator"].recall_at_1 >= old["navigator"].recall_at_1 + 0.1
        assert new["navigator_argmax"].recall_at_1 >= old["navigator_argmax"].recall_at_1 + 0.1
        assert new["greedy"] == old["greedy"]
    np.testing.assert_array_equal(projection, again[3])
    assert (after, rewards) == again[1:3]


def test_navigation_errors(rng):
    x = _sphere(rng, 20)
    graph = nav.knn_graph(x, 3)
    with pytest.raises(ra.InvalidInputError):
        nav.knn_graph(x, 20)
    with pytest.raises(ra.InvalidInputError):
        nav.greedy_search(x, graph + 20, x[:2])
    with pytest.raises(ra.InvalidInputError):
        nav.greedy_search(x, graph, x[:2], entry=-1)
    with pytest.raises(ra.DimensionMismatchError):
        nav.greedy_search(x, graph, np.ones((2, 3)))
    with pytest.raises(ra.DimensionMismatchError):
        nav.greedy_search(x, graph, x[:2], entry=[0, 1, 2])
    with pytest.raises(ra.DimensionMismatchError):
        nav.Navigator(4).search(x, graph, x[:2])
    with pytest.raises(ra.DimensionMismatchError):
        nav.search_report(x, x[:2], [0], [1])
    with pytest.raises(ra.InvalidConfigError):
        nav.Navigator(8, max_hops=0)
    with pytest.raises(ra.InvalidInputError):
        nav.log_prob(x[:4], x[0], np.eye(8), 4)
