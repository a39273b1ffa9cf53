"""Dual-space attention: graph neighbours and latent neighbours, fused (seed FR-004.3)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validation as check
from .._validation import non_negative_int, positive_int, probability
from ..base import Attention
from ..config import DRAWN_PARAMETER_BYTES, AttentionConfig, spec
from ..context import CallContext
from ..kernels.dot import dot_scores
from ..kernels.masking import top_k
from ..kernels.numeric import matmul
from ..kernels.softmax import masked_softmax
from ..registry import register

__all__ = ["DualSpaceAttention", "DualSpaceConfig"]


@dataclass(frozen=True)
class DualSpaceConfig(AttentionConfig):
    dim: int = spec(positive_int)
    graph_weight: float = spec(probability, 0.5)
    latent_k: int = spec(positive_int, 8)
    seed: int = spec(non_negative_int, 0)

    def state_bytes(self) -> int:
        return 2 * DRAWN_PARAMETER_BYTES * self.dim * self.dim


@register("dual_space")
class DualSpaceAttention(Attention):
    r"""Fuse attention over a node's graph neighbours with attention over its latent ones.

    With learned projections, ``s(x, k_j) = (x W_q)·(k_j W_k)/√d``:

    - graph: ``g = softmax_{j ∈ N_graph}(s(q, k_j)) V`` (``graph_mask=``, default all keys);
    - latent: ``l = softmax_{j ∈ N_latent}(s(q, k_j)) V``, ``N_latent`` the ``latent_k`` keys
      of highest score (and any tied with the last of them);
    - cross: ``c = softmax_{j ∈ N_latent}(s(ĝ, k_j)) V`` where ``ĝ = softmax_{N_graph} K`` is
      the graph neighbourhood's summary in key space, querying the latent neighbours;
    - ``out = α_g g + α_l l + α_c c`` with ``α = (graph_weight, (1-w)/2, (1-w)/2)``,
      renormalised over the parts a query has (no graph neighbour: latent and cross only).

    ``weights`` are the fused weights ``α_g w_g + α_l w_l + α_c w_c``: they sum to 1 and
    ``weights @ V == compute``.
    """

    Config = DualSpaceConfig
    config: DualSpaceConfig
    complexity = "O(n^2)"
    extra_inputs = frozenset({"graph_mask"})

    def _setup(self) -> None:
        bound = math.sqrt(3.0 / self.config.dim)
        for name in ("w_q", "w_k"):
            self._params[name] = self._rng.uniform(-bound, bound, (self.config.dim, self.config.dim)).astype(np.float32)

    def _check_extras(self, extras: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        graph_mask = extras.get("graph_mask")
        return {"graph": None if graph_mask is None else check.as_mask(graph_mask, ctx.rows, ctx.cols, single=ctx.single)}

    def _scores(self, queries: np.ndarray, keys: np.ndarray) -> np.ndarray:
        projected_keys = matmul(keys, self._params["w_k"])
        return dot_scores(matmul(queries, self._params["w_q"]), projected_keys, 1.0 / math.sqrt(self.dim))

    def _parts(
        self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Weights of the three parts and their fusion coefficients ``(m, 3)``."""
        m = queries.shape[0]
        visible = ctx.vis.pattern()
        graph = visible if ctx.extras.get("graph") is None else visible & ctx.extras["graph"]
        scores = self._scores(queries, keys)
        latent = top_k(scores, visible, self.config.latent_k)
        w_graph = masked_softmax(scores.copy(), graph)
        w_latent = masked_softmax(scores.copy(), latent)
        w_cross = masked_softmax(self._scores(matmul(w_graph, keys), keys), latent)
        has_graph, has_any = graph.any(axis=1), visible.any(axis=1)
        g = self.config.graph_weight
        alpha = np.stack([np.where(has_graph, g, 0.0), np.full(m, (1 - g) / 2), np.full(m, (1 - g) / 2)], axis=1)
        alpha[~has_graph, 2] = 0.0  # the cross part needs a graph result to query with
        total = alpha.sum(axis=1, keepdims=True)
        alpha = np.divide(alpha, total, out=np.zeros_like(alpha), where=total > 0) * has_any[:, None]
        return w_graph, w_latent, w_cross, alpha

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        w_graph, w_latent, w_cross, alpha = self._parts(queries, keys, ctx)
        return (alpha[:, :1] * w_graph + alpha[:, 1:2] * w_latent + alpha[:, 2:] * w_cross).astype(np.float32)
