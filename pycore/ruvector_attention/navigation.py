"""Graph navigation (seed 004, FR-005.3): an attention policy trained with REINFORCE to walk a
kNN graph toward a target vector's nearest neighbour, and greedy search to compare it with.

A walk starts at an entry node; at node ``u`` the candidates are ``u`` itself (stop) and its
``k`` graph neighbours. The policy attends from the target ``q`` to the candidates' vectors
``x_j`` with a learned projection ``W (d, d)``:

    s_j = x_j · (W q),    π(j | u, q) = softmax(s)_j,

and samples the next node (choosing ``u`` ends the walk, as does ``max_hops``). For
unit-length vectors and ``W = c·I`` with ``c → ∞`` this is greedy search. The reward of a walk
ending at ``e`` after ``h`` moves is ``R = -(|x_e - q|² - |x_nn - q|²) - hop_cost·h`` (0 for
finding the nearest neighbour ``nn`` at once), and REINFORCE with the batch's mean reward as
baseline ``b`` follows ``∇J = mean((R - b) Σ_t ∇_W log π(a_t))`` with
``∇_W log π(a) = (x_a - Σ_j π_j x_j) qᵀ``.

>>> import numpy as np
>>> x = np.eye(3, dtype=np.float32)
>>> [a.tolist() for a in greedy_search(x, np.array([[1], [2], [0]]), [[0.0, 0.1, 1.0]])]  # 0 -> 1 -> 2
[[2], [2]]
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from . import _validation as check
from . import limits
from .errors import DimensionMismatchError, InvalidConfigError, InvalidInputError
from .kernels.neighbours import knn, knn_row_bytes
from .kernels.softmax import masked_softmax
from .training.optimizers import Adam

__all__ = [
    "HNSWGraph", "Navigator", "SearchReport", "compare", "greedy_search", "hnsw_graph", "hnsw_levels", "knn_graph",
    "layered_search", "log_prob", "search_report",
]

Choose = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
"""``(candidate vectors (B, c, d), targets (B, d)) -> (choices (B,), ∇ log π terms (B, d))``."""


class SearchReport(NamedTuple):
    """``recall_at_1``: the fraction of walks ending at the target's exact nearest
    neighbour; ``mean_hops``: the mean number of moves."""

    recall_at_1: float
    mean_hops: float


def knn_graph(vectors: Any, k: int) -> np.ndarray:
    """The exact ``k`` nearest other vectors of each vector, ``(n, k)`` indices, nearest first
    (ties by index), from the library's blocked kNN kernel."""
    x = check.as_matrix(vectors, "vectors").astype(np.float64)
    k = check.positive_int("k", k)
    if k >= len(x):
        raise InvalidInputError(f"k must be below the number of vectors ({len(x)}), got {k}")
    block = max(knn_row_bytes(len(x), x.shape[1], k), limits.MAX_WORK_BYTES // 8)
    return knn(x, k, block)[0].astype(np.intp)


def hnsw_levels(n: int, m: int = 16, seed: int = 0) -> np.ndarray:
    """HNSW's random top layers ``floor(-ln U / ln m)``, ``U ~ Uniform(0, 1]``: a node reaches
    layer ``l`` with probability ``m^-l``. ``(n,)`` indices (``np.intp``)."""
    n, m = check.positive_int("n", n), check.positive_int("m", m)
    if m < 2:
        raise InvalidConfigError(f"m must be at least 2, got {m}")
    u = 1.0 - np.random.default_rng(check.non_negative_int("seed", seed)).random(n)
    return np.floor(-np.log(u) / np.log(m)).astype(np.intp)


class HNSWGraph(NamedTuple):
    """A small HNSW-like layered graph: ``levels (n,)`` each node's top layer, ``layers[l]``
    an ``(n, k_l)`` neighbour array in global node indices (the exact kNN among the nodes on
    layer ``l``; rows of nodes not on it are unused), ``entry`` the search's start on the top
    layer."""

    levels: np.ndarray
    layers: tuple[np.ndarray, ...]
    entry: int


def _layer_graph(x: np.ndarray, on_layer: np.ndarray, k: int) -> np.ndarray:
    """kNN among the nodes ``on_layer``, as rows of a full ``(n, k_l)`` array."""
    nodes = np.flatnonzero(on_layer)
    width = min(k, len(nodes) - 1)
    graph = np.repeat(np.arange(len(x), dtype=np.intp)[:, None], width, axis=1)
    if width:
        graph[nodes] = nodes[knn_graph(x[nodes], width)]
    return graph


def hnsw_graph(vectors: Any, k: int, m: int = 16, seed: int = 0) -> HNSWGraph:
    """Levels from :func:`hnsw_levels` and on each layer the exact ``k``-NN graph of its
    nodes (fewer where a layer has ``k`` nodes or fewer); the entry is the lowest-index node
    on the top layer. Search it with :func:`layered_search`."""
    x = check.as_matrix(vectors, "vectors").astype(np.float64)
    k = check.positive_int("k", k)
    levels = hnsw_levels(len(x), m, seed)
    layers = tuple(_layer_graph(x, levels >= layer, k) for layer in range(int(levels.max()) + 1))
    return HNSWGraph(levels, layers, int(np.argmax(levels)))


Search = Callable[[Any, Any, Any, Any], tuple[np.ndarray, np.ndarray]]
"""``(vectors, graph, targets, entries) -> (final nodes, moves)``: greedy or a navigator."""


def layered_search(search: Search, vectors: Any, graph: HNSWGraph, targets: Any) -> tuple[np.ndarray, np.ndarray]:
    """HNSW's descent: ``search`` on the top layer from its entry, then on each layer below
    from where the layer above ended. Returns the final nodes and the moves over all layers."""
    m = len(check.as_matrix(targets, "targets"))
    nodes, total = np.full(m, graph.entry, dtype=np.intp), np.zeros(m, dtype=np.int64)
    for layer in reversed(graph.layers):
        nodes, hops = search(vectors, layer, targets, nodes)
        total += hops
    return nodes, total


def _inputs(vectors: Any, graph: Any, targets: Any, entry: Any) -> tuple[np.ndarray, ...]:
    """Validated ``vectors (n, d)``, ``graph (n, k)``, ``targets (m, d)`` and ``entries (m,)``."""
    x = check.as_matrix(vectors, "vectors").astype(np.float64)
    g = np.asarray(graph)
    if g.ndim != 2 or len(g) != len(x) or g.dtype.kind not in "iu" or (g.size and (g.min() < 0 or g.max() >= len(x))):
        raise InvalidInputError(f"graph must be (n, k) node indices below n = {len(x)}, one row per vector")
    q = check.as_matrix(targets, "targets", cols=x.shape[1]).astype(np.float64)
    e = np.asarray(entry)
    if e.ndim > 1 or (e.ndim == 1 and len(e) != len(q)):
        raise DimensionMismatchError("entry must be one node or one per target", expected=len(q), actual=e.size)
    e = np.broadcast_to(e, (len(q),))
    if e.dtype.kind not in "iu" or e.min() < 0 or e.max() >= len(x):
        raise InvalidInputError(f"entry must be node indices below n = {len(x)}, one or one per target")
    return x, g.astype(np.intp), q, e.astype(np.intp)


def _walk(
    x: np.ndarray, graph: np.ndarray, targets: np.ndarray, entries: np.ndarray, max_hops: int, choose: Choose
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All walks in lockstep: final nodes ``(m,)``, moves ``(m,)`` and the sums over each walk
    of ``choose``'s gradient terms ``(m, d)``."""
    node, hops = entries.copy(), np.zeros(len(targets), dtype=np.int64)
    terms, active = np.zeros_like(targets), np.ones(len(targets), dtype=bool)
    for _ in range(max_hops):
        rows = np.flatnonzero(active)
        if not len(rows):
            break
        candidates = np.concatenate([node[rows, None], graph[node[rows]]], axis=1)
        choice, term = choose(x[candidates], targets[rows])
        terms[rows] += term
        moving = choice > 0
        node[rows[moving]] = candidates[moving, choice[moving]]
        hops[rows[moving]] += 1
        active[rows[~moving]] = False
    return node, hops, terms


def _closest(candidates: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Greedy choice: the candidate nearest the target, the current node (index 0) on ties."""
    diff = candidates - targets[:, None, :]
    return np.argmin(np.einsum("bcd,bcd->bc", diff, diff), axis=1), np.zeros_like(targets)


def greedy_search(vectors: Any, graph: Any, targets: Any, entry: Any = 0) -> tuple[np.ndarray, np.ndarray]:
    """Greedy search from ``entry`` (a node, or one per target): move to the neighbour nearest
    the target while it is strictly nearer than the current node. Returns the final nodes and
    the moves, ``(m,)`` each."""
    x, g, q, e = _inputs(vectors, graph, targets, entry)
    node, hops, _ = _walk(x, g, q, e, len(x), _closest)
    return node, hops


def _policy(candidates: np.ndarray, targets: np.ndarray, projection: np.ndarray) -> np.ndarray:
    """``π = softmax_j(x_j · W q)`` per row, ``(B, c)``."""
    return masked_softmax(np.einsum("bcd,bd->bc", candidates, targets @ projection.T))


def _score_terms(candidates: np.ndarray, pi: np.ndarray, choice: np.ndarray) -> np.ndarray:
    """``x_a - Σ_j π_j x_j`` per row: ``∇_W log π(a) = (x_a - Σ_j π_j x_j) qᵀ``."""
    return candidates[np.arange(len(choice)), choice] - np.einsum("bc,bcd->bd", pi, candidates)


def log_prob(candidates: Any, target: Any, projection: Any, action: int) -> tuple[float, np.ndarray]:
    """``log π(action)`` of the policy over ``candidates (c, d)`` for ``target (d,)``, and its
    gradient w.r.t. ``projection (d, d)``."""
    k = check.as_matrix(candidates, "candidates").astype(np.float64)
    q = check.as_vector(target, "target", size=k.shape[1]).astype(np.float64)
    w = check.as_matrix(projection, "projection", cols=k.shape[1]).astype(np.float64)
    if w.shape[0] != k.shape[1]:
        raise InvalidInputError(f"projection must be ({k.shape[1]}, {k.shape[1]}), got {w.shape}")
    a = check.as_index(action, "action", upper=len(k))
    pi = _policy(k[None], q[None], w)
    term = _score_terms(k[None], pi, np.array([a]))[0]
    return float(np.log(pi[0, a])), np.outer(term, q).astype(np.float32)


def _sampler(projection: np.ndarray, rng: np.random.Generator | None) -> Choose:
    """The policy's choice: sampled from ``π`` with ``rng``, or its argmax without one."""

    def choose(candidates: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pi = _policy(candidates, targets, projection)
        if rng is None:
            choice = np.argmax(pi, axis=1)
        else:
            cumulative = np.cumsum(pi, axis=1)
            choice = np.minimum((cumulative < rng.random((len(pi), 1)) * cumulative[:, -1:]).sum(1), pi.shape[1] - 1)
        return choice, _score_terms(candidates, pi, choice)

    return choose


def _nearest(x: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Each target's exact nearest vector (brute force), ``(m,)``."""
    diff = targets[:, None, :] - x[None, :, :]
    return np.argmin(np.einsum("mnd,mnd->mn", diff, diff), axis=1)


class Navigator:
    """The attention policy over a node's neighbours (see the module docstring), with
    ``parameters() = {"projection": W (d, d)}`` initialised to ``init_scale · N(0, 1)``
    (near-uniform choices: a random walk), trained by :meth:`fit`."""

    def __init__(
        self, dim: int, *, hop_cost: float = 0.01, max_hops: int = 32, init_scale: float = 0.01, seed: int = 0
    ) -> None:
        self.dim = check.positive_int("dim", dim)
        self.hop_cost = check.non_negative_float("hop_cost", hop_cost)
        self.max_hops = check.positive_int("max_hops", max_hops)
        scale = check.non_negative_float("init_scale", init_scale)
        rng = np.random.default_rng(check.non_negative_int("seed", seed))
        self.projection = (scale * rng.standard_normal((self.dim, self.dim))).astype(np.float32)

    def parameters(self) -> dict[str, np.ndarray]:
        """The learned projection, by reference (an optimizer updates it in place)."""
        return {"projection": self.projection}

    def _inputs(self, vectors: Any, graph: Any, targets: Any, entry: Any) -> tuple[np.ndarray, ...]:
        x, g, q, e = _inputs(vectors, graph, targets, entry)
        if x.shape[1] != self.dim:
            raise DimensionMismatchError(
                f"vectors must have the navigator's dim {self.dim} values", expected=self.dim, actual=x.shape[1]
            )
        return x, g, q, e

    def search(
        self, vectors: Any, graph: Any, targets: Any, entry: Any = 0, *, seed: int | None = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        """Walks sampled from the policy (``seed=None``: its argmax at each step); final nodes
        and moves, ``(m,)`` each."""
        x, g, q, e = self._inputs(vectors, graph, targets, entry)
        rng = None if seed is None else np.random.default_rng(check.non_negative_int("seed", seed))
        node, hops, _ = _walk(x, g, q, e, self.max_hops, _sampler(self.projection.astype(np.float64), rng))
        return node, hops

    def reinforce(
        self, vectors: Any, graph: Any, targets: Any, entry: Any = 0, *, rng: np.random.Generator
    ) -> tuple[float, dict[str, np.ndarray]]:
        """One batch of walks, one per target: ``(mean reward, ∇_W of -J)`` with
        ``∇J = mean_b (R_b - mean R) Σ_t ∇_W log π(a_t)`` (minimise with any optimizer)."""
        x, g, q, e = self._inputs(vectors, graph, targets, entry)
        node, hops, terms = _walk(x, g, q, e, self.max_hops, _sampler(self.projection.astype(np.float64), rng))
        best = _nearest(x, q)
        reward = -(np.sum((x[node] - q) ** 2, 1) - np.sum((x[best] - q) ** 2, 1)) - self.hop_cost * hops
        advantage = reward - reward.mean()
        grad = -np.einsum("b,bd,be->de", advantage, terms, q) / len(q)
        return float(reward.mean()), {"projection": grad.astype(np.float32)}

    def fit(
        self, vectors: Any, graph: Any, targets: Any, entry: Any = 0, *,
        steps: int = 200, batch: int = 32, lr: float = 0.05, seed: int = 0,
    ) -> list[float]:
        """REINFORCE with Adam: each step walks toward ``batch`` targets drawn from
        ``targets``. Returns the mean reward of each step."""
        q = check.as_matrix(targets, "targets")
        rng = np.random.default_rng(check.non_negative_int("seed", seed))
        opt, rewards = Adam(lr), []
        for _ in range(check.positive_int("steps", steps)):
            pick = rng.integers(0, len(q), size=check.positive_int("batch", batch))
            reward, grads = self.reinforce(vectors, graph, q[pick], np.broadcast_to(entry, len(q))[pick], rng=rng)
            opt.step(self.parameters(), grads)
            rewards.append(reward)
        return rewards


def search_report(vectors: Any, targets: Any, nodes: Any, hops: Any) -> SearchReport:
    """Recall@1 of ``nodes`` against the targets' exact nearest vectors, and the mean hops."""
    x = check.as_matrix(vectors, "vectors").astype(np.float64)
    q = check.as_matrix(targets, "targets", cols=x.shape[1]).astype(np.float64)
    nodes, hops = np.asarray(nodes), np.asarray(hops)
    if nodes.shape != (len(q),) or hops.shape != (len(q),):
        raise DimensionMismatchError("nodes and hops must hold one value per target", expected=len(q), actual=nodes.size)
    return SearchReport(float(np.mean(nodes == _nearest(x, q))), float(hops.mean()))


def compare(
    navigator: Navigator, vectors: Any, graph: Any, targets: Any, entry: Any = 0, *, seed: int = 0
) -> dict[str, SearchReport]:
    """Greedy search and the navigator (sampled with ``seed``, and its argmax) on the same
    graph, entries and targets: ``{"greedy", "navigator", "navigator_argmax"}``. On an
    :class:`HNSWGraph` each searches layer by layer (:func:`layered_search`; ``entry`` unused)."""
    searches: dict[str, Search] = {
        "greedy": greedy_search,
        "navigator": functools.partial(navigator.search, seed=seed),
        "navigator_argmax": functools.partial(navigator.search, seed=None),
    }

    def run(search: Search) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(graph, HNSWGraph):
            return layered_search(search, vectors, graph, targets)
        return search(vectors, graph, targets, entry)

    return {name: search_report(vectors, targets, *run(search)) for name, search in searches.items()}
