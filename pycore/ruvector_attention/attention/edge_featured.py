"""Graph attention with edge features (GAT, Veličković et al.; edge terms as in PyG's GATConv)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validation as check
from .._validation import boolean, non_negative_float, non_negative_int, positive_int
from ..base import DifferentiableAttention, Gradients
from ..config import DRAWN_PARAMETER_BYTES, AttentionConfig, divisor_at_most, spec
from ..context import CallContext
from ..errors import DimensionMismatchError, InvalidConfigError, InvalidInputError
from ..kernels.masking import Visibility
from ..kernels.numeric import matmul
from ..kernels.softmax import Segments, masked_softmax, softmax_backward
from ..registry import register

__all__ = ["EdgeFeaturedAttention", "EdgeFeaturedConfig"]


@dataclass(frozen=True)
class EdgeFeaturedConfig(AttentionConfig):
    dim: int = spec(positive_int)
    edge_dim: int = spec(non_negative_int)
    negative_slope: float = spec(non_negative_float, 0.2)
    num_heads: int = spec(positive_int, 1)
    concat: bool = spec(boolean, True)
    seed: int = spec(non_negative_int, 0)

    @classmethod
    def example(cls, dim: int) -> dict[str, Any]:
        return {"dim": dim, "edge_dim": 3, "num_heads": divisor_at_most(dim, 2)}

    def validate(self) -> None:
        if self.concat and self.dim % self.num_heads:
            raise InvalidConfigError(f"dim ({self.dim}) must be divisible by num_heads ({self.num_heads}) with concat")

    def state_bytes(self) -> int:
        width = self.num_heads * self.head_dim
        return DRAWN_PARAMETER_BYTES * (self.dim * width + (self.edge_dim + 3) * width + self.dim)

    @property
    def head_dim(self) -> int:
        return self.dim // self.num_heads if self.concat else self.dim


def _leaky_relu(x: np.ndarray, slope: float) -> np.ndarray:
    return np.where(x > 0, x, slope * x)


@register("edge_featured")
class EdgeFeaturedAttention(DifferentiableAttention):
    r"""GAT with edge features. With ``x' = x W`` (per head ``h``):

    .. math:: s_{ij} = \operatorname{LeakyReLU}\big(a_{dst}\cdot x'_i + a_{src}\cdot x'_j
              + a_{edge}\cdot (e_{ij} W_e)\big),\quad
              \text{out}_i = \Vert_h \textstyle\sum_j \operatorname{softmax}_j(s_{ij})\, v'_j + b

    In ``compute`` the query is node ``i``, the keys are its neighbours ``j`` and the values
    are projected like keys (``v' = v W``); ``edge_features`` are ``(n, edge_dim)`` (or
    ``(m, n, edge_dim)`` in ``compute_batch``), zero when omitted. ``forward_graph`` runs
    on a whole graph, with a softmax over each node's incoming edges, and equals PyG's
    ``GATConv(heads=1, add_self_loops=False, edge_dim=...)`` given the same weights. Heads
    are concatenated (``concat=True``, ``dim // num_heads`` each) or averaged.
    """

    Config = EdgeFeaturedConfig
    config: EdgeFeaturedConfig
    complexity = "O(E) per graph, O(n^2) dense"
    values_match_dim = True
    extra_inputs = frozenset({"edge_features"})

    def _setup(self) -> None:
        cfg = self.config
        width = cfg.num_heads * cfg.head_dim
        bound = math.sqrt(6.0 / (cfg.dim + width))  # glorot, as PyG
        self._params["w"] = self._rng.uniform(-bound, bound, (cfg.dim, width)).astype(np.float32)
        att_bound = math.sqrt(6.0 / (1 + cfg.head_dim))
        for name in ("att_src", "att_dst", "att_edge"):
            self._params[name] = self._rng.uniform(-att_bound, att_bound, (cfg.num_heads, cfg.head_dim)).astype(np.float32)
        if cfg.edge_dim:
            edge_bound = math.sqrt(6.0 / (cfg.edge_dim + width))
            self._params["w_edge"] = self._rng.uniform(-edge_bound, edge_bound, (cfg.edge_dim, width)).astype(np.float32)
        self._params["bias"] = np.zeros(cfg.dim, dtype=np.float32)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _flat(heads: np.ndarray) -> np.ndarray:
        """``(rows, H, c) -> (rows, H·c)``."""
        return heads.reshape(heads.shape[0], -1)

    def _heads(self, x: np.ndarray, weight: str = "w") -> np.ndarray:
        """``x W`` split into heads: ``(..., H, head_dim)``."""
        out = matmul(x, self._params[weight])
        return out.reshape(*x.shape[:-1], self.config.num_heads, self.config.head_dim)

    def _combine(self, heads: np.ndarray) -> np.ndarray:
        """``(..., H, head_dim)`` -> ``(..., dim)`` by concatenation or mean, plus bias."""
        merged = heads.reshape(*heads.shape[:-2], -1) if self.config.concat else heads.mean(axis=-2)
        return merged + self._params["bias"]

    def _edge_scores(self, edges: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
        """``a_edge · (e W_e)`` per head, broadcast to ``shape + (H,)``."""
        if edges is None or not self.config.edge_dim:
            return np.zeros((*shape, self.config.num_heads), dtype=np.float32)
        # a_edge · (e W_e) = e · (W_e a_edge): fold the attention vector in first
        cfg = self.config
        folded = np.einsum(
            "ehc,hc->eh", self._params["w_edge"].reshape(cfg.edge_dim, cfg.num_heads, cfg.head_dim), self._params["att_edge"]
        )
        return matmul(edges, folded)

    def _edges(self, edge_features: Any, m: int, n: int, single: bool) -> np.ndarray | None:
        if edge_features is None or not self.config.edge_dim:
            return None
        e = check.as_array(edge_features, "edge_features")
        expected = (n, self.config.edge_dim) if single else (m, n, self.config.edge_dim)
        if e.shape == (n, self.config.edge_dim):
            return np.broadcast_to(e, (m, n, self.config.edge_dim))
        if e.shape != expected:
            raise DimensionMismatchError(
                f"edge_features must have shape {expected}, got {e.shape}", expected=list(expected), actual=list(e.shape)
            )
        return e

    # ------------------------------------------------------------------ dense (query/keys) path

    def _attention(
        self, queries: np.ndarray, keys: np.ndarray, vis: Visibility, edges: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Projected queries and keys ``(rows, H, c)``, pre-activation scores and weights
        ``(H, m, n)``."""
        p = self._params
        xq, xk = self._heads(queries), self._heads(keys)
        dst = np.einsum("mhc,hc->hm", xq, p["att_dst"])
        src = np.einsum("nhc,hc->hn", xk, p["att_src"])
        edge = np.moveaxis(self._edge_scores(edges, (queries.shape[0], keys.shape[0])), -1, 0)
        raw = dst[:, :, None] + src[:, None, :] + edge
        return xq, xk, raw, masked_softmax(_leaky_relu(raw, self.config.negative_slope), vis.dense())

    def _head_weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        return self._attention(queries, keys, ctx.vis, ctx.extras.get("edges"))[3]

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        return self._head_weights(queries, keys, ctx).mean(axis=0)

    def _forward(self, queries: np.ndarray, keys: np.ndarray, values: np.ndarray, ctx: CallContext) -> np.ndarray:
        weights = self._head_weights(queries, keys, ctx)  # (H, m, n)
        heads = np.swapaxes(matmul(weights, np.swapaxes(self._heads(values), 0, 1)), 0, 1)  # (m, H, c)
        out = self._combine(heads)
        blind = ctx.vis.blind_rows()
        if blind is not None:
            out[blind] = 0.0
        return out

    def _check_extras(self, extras: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        return {"edges": self._edges(extras.get("edge_features"), ctx.rows, ctx.cols, single=ctx.single)}

    def _backward(self, queries, keys, values, ctx, grad_output) -> Gradients:  # typed in the base class
        cfg, p = self.config, self._params
        edges = ctx.extras["edges"]
        xq, xk, raw, weights = self._attention(queries, keys, ctx.vis, edges)
        blind = ctx.vis.blind_rows()
        g = grad_output.copy()
        if blind is not None:
            g[blind] = 0.0
        xv = self._heads(values)  # (n, H, c)
        # combine: concat splits the gradient by head, mean shares it equally
        g_heads = g.reshape(g.shape[0], cfg.num_heads, cfg.head_dim) if cfg.concat else np.repeat(
            g[:, None, :] / cfg.num_heads, cfg.num_heads, axis=1)
        grad_xv = np.swapaxes(matmul(np.swapaxes(weights, 1, 2), np.swapaxes(g_heads, 0, 1)), 0, 1)  # (n, H, c)
        grad_weights = matmul(np.swapaxes(g_heads, 0, 1), np.transpose(xv, (1, 2, 0)))  # (H, m, n)
        grad_act = softmax_backward(weights, grad_weights)
        grad_raw = grad_act * np.where(raw > 0, 1.0, cfg.negative_slope)
        grad_xq = np.einsum("hmn,hc->mhc", grad_raw, p["att_dst"])
        grad_xk = np.einsum("hmn,hc->nhc", grad_raw, p["att_src"])
        params = {
            "w": matmul(queries.T, self._flat(grad_xq)) + matmul(keys.T, self._flat(grad_xk))
            + matmul(values.T, self._flat(grad_xv)),
            "att_dst": np.einsum("hmn,mhc->hc", grad_raw, xq),
            "att_src": np.einsum("hmn,nhc->hc", grad_raw, xk),
            "bias": g.sum(axis=0, dtype=np.float64),
        }
        if cfg.edge_dim:
            if edges is None:
                params["att_edge"] = np.zeros_like(p["att_edge"])
                params["w_edge"] = np.zeros_like(p["w_edge"])
            else:
                xe = self._heads(edges, "w_edge")  # (m, n, H, c)
                params["att_edge"] = np.einsum("hmn,mnhc->hc", grad_raw, xe)
                grad_xe = np.einsum("hmn,hc->mnhc", grad_raw, p["att_edge"]).reshape(*edges.shape[:2], -1)
                params["w_edge"] = np.einsum("mne,mnw->ew", edges, grad_xe)
        else:
            params["att_edge"] = np.zeros_like(p["att_edge"])
        w = p["w"]
        return Gradients(
            query=matmul(self._flat(grad_xq), w.T),
            keys=matmul(self._flat(grad_xk), w.T),
            values=matmul(self._flat(grad_xv), w.T),
            params=params,
        )

    # ------------------------------------------------------------------ graph path

    def forward_graph(self, x: Any, edge_index: Any, edge_attr: Any = None) -> np.ndarray:
        """Node features ``x (N, d)``, edges ``edge_index (2, E)`` (source row, target row),
        ``edge_attr (E, edge_dim)``; each node attends over its incoming edges. ``(N, d)``."""
        nodes = check.as_matrix(x, "x", cols=self.dim)
        index = np.asarray(edge_index)
        if index.ndim != 2 or index.shape[0] != 2 or index.dtype.kind not in "iu":
            raise InvalidInputError(f"edge_index must be an integer array of shape (2, E), got {index.shape} {index.dtype}")
        if index.size and (index.min() < 0 or index.max() >= len(nodes)):
            raise InvalidInputError(f"edge_index must hold node indices in [0, {len(nodes)})")
        src, dst = index[0].astype(np.int64), index[1].astype(np.int64)
        edges = None
        if edge_attr is not None and self.config.edge_dim:
            edges = check.as_matrix(edge_attr, "edge_attr", cols=self.config.edge_dim)
            if len(edges) != len(src):
                raise DimensionMismatchError("edge_attr needs one row per edge", expected=len(src), actual=len(edges))
        xw = self._heads(nodes)  # (N, H, c)
        p = self._params
        alpha_src = np.einsum("nhc,hc->nh", xw, p["att_src"])
        alpha_dst = np.einsum("nhc,hc->nh", xw, p["att_dst"])
        raw = alpha_src[src] + alpha_dst[dst] + self._edge_scores(edges, (len(src),))
        incoming = Segments(dst, len(nodes))
        alpha = incoming.softmax(_leaky_relu(raw, self.config.negative_slope))  # (E, H)
        order = incoming.order
        heads = incoming.reduce_sorted(np.add, alpha[order, :, None] * xw[src[order]])
        return self._finish(self._combine(heads))
