"""Multi-head attention with learned projections (PyTorch ``nn.MultiheadAttention`` layout)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .._validation import boolean, non_negative_int, positive_int, probability
from ..base import DifferentiableAttention, Gradients
from ..config import DRAWN_PARAMETER_BYTES, AttentionConfig, divisor_at_most, spec
from ..context import CallContext
from ..errors import InvalidConfigError
from ..kernels.dot import dot_attention, dot_softmax
from ..kernels.masking import Visibility
from ..kernels.numeric import matmul
from ..kernels.softmax import softmax_backward
from ..registry import register

__all__ = ["HeadState", "MultiHeadAttention", "MultiHeadConfig"]

_PROJECTIONS = ("q", "k", "v", "o")


class HeadState(NamedTuple):
    """Per-head intermediates of one call: projected queries, keys and values
    ``(heads, rows, head_dim)``, the weights ``(heads, m, n)`` and the head outputs
    ``(heads, m, head_dim)``."""

    q: np.ndarray
    k: np.ndarray
    v: np.ndarray
    weights: np.ndarray
    outputs: np.ndarray


@dataclass(frozen=True)
class MultiHeadConfig(AttentionConfig):
    dim: int = spec(positive_int)
    num_heads: int = spec(positive_int)
    dropout: float = spec(probability, 0.0)
    causal: bool = spec(boolean, False)
    bias: bool = spec(boolean, True)
    seed: int = spec(non_negative_int, 0)

    def validate(self) -> None:
        if self.dim % self.num_heads:
            raise InvalidConfigError(
                f"dim ({self.dim}) must be divisible by num_heads ({self.num_heads})"
            )

    @classmethod
    def example(cls, dim: int) -> dict[str, Any]:
        return {"dim": dim, "num_heads": divisor_at_most(dim, 4)}

    def state_bytes(self) -> int:
        return 4 * DRAWN_PARAMETER_BYTES * (self.dim * self.dim + self.dim)

    @property
    def head_dim(self) -> int:
        return self.dim // self.num_heads


@register("multi_head")
class MultiHeadAttention(DifferentiableAttention):
    r"""Multi-head attention: ``concat_h(softmax(q_h K_h^T/√d_h) V_h) W_o + b_o``.

    Row-vector convention ``x @ w + b`` with ``q' = q W_q + b_q`` (likewise K, V); head
    ``h`` is the contiguous slice ``h·d_h : (h+1)·d_h`` of the projected vectors. Equal to
    ``torch.nn.MultiheadAttention`` with ``in_proj_weight = cat(W_q.T, W_k.T, W_v.T)`` and
    ``out_proj.weight = W_o.T``. Initialised as PyTorch does (Xavier-uniform in-projection,
    Kaiming-uniform out-projection, zero biases) from ``seed``.

    Shapes: values must have ``dim`` columns. ``weights`` is the mean over heads. A query
    that sees no key outputs zeros (where PyTorch gives NaN).

    >>> attn = MultiHeadAttention(dim=8, num_heads=2)
    >>> sorted(attn.parameters())
    ['b_k', 'b_o', 'b_q', 'b_v', 'w_k', 'w_o', 'w_q', 'w_v']
    """

    Config = MultiHeadConfig
    config: MultiHeadConfig
    complexity = "O(n^2)"
    values_match_dim = True

    def _setup(self) -> None:
        d = self.config.dim
        in_bound = math.sqrt(6.0 / (d + 3 * d))  # xavier_uniform_ on the (3d, d) in_proj
        out_bound = 1.0 / math.sqrt(d)  # kaiming_uniform_(a=√5) on the (d, d) out_proj
        for name in _PROJECTIONS:
            bound = out_bound if name == "o" else in_bound
            self._params[f"w_{name}"] = self._rng.uniform(-bound, bound, (d, d)).astype(np.float32)
        if self.config.bias:
            for name in _PROJECTIONS:
                self._params[f"b_{name}"] = np.zeros(d, dtype=np.float32)

    # ------------------------------------------------------------------ helpers

    def _project(self, x: np.ndarray, name: str) -> np.ndarray:
        out = matmul(x, self._params[f"w_{name}"])
        if self.config.bias:
            out = out + self._params[f"b_{name}"]
        return out

    def _split(self, x: np.ndarray) -> np.ndarray:
        """``(rows, dim) -> (heads, rows, head_dim)``."""
        rows = x.shape[0]
        heads = x.reshape(rows, self.config.num_heads, self.config.head_dim).transpose(1, 0, 2)
        return np.ascontiguousarray(heads)  # contiguous heads make the batched matmuls faster

    @staticmethod
    def _merge(x: np.ndarray) -> np.ndarray:
        """``(heads, rows, head_dim) -> (rows, dim)``."""
        heads, rows, head_dim = x.shape
        return x.transpose(1, 0, 2).reshape(rows, heads * head_dim)

    @property
    def _scale(self) -> float:
        return 1.0 / math.sqrt(self.config.head_dim)

    def _head_softmax(self, qh: np.ndarray, kh: np.ndarray, vis: Visibility) -> np.ndarray:
        return dot_softmax(qh, kh, self._scale, vis.dense())

    # ------------------------------------------------------------------ kernels

    def _head_weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        qh = self._split(self._project(queries, "q"))
        kh = self._split(self._project(keys, "k"))
        return self._dropout(self._head_softmax(qh, kh, ctx.vis))

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        return self._head_weights(queries, keys, ctx).mean(axis=0)

    def _head_outputs(
        self, queries: np.ndarray, keys: np.ndarray, values: np.ndarray, ctx: CallContext
    ) -> np.ndarray:
        """Each head's output ``softmax(q_h K_h^T/√d_h) V_h``: ``(heads, m, head_dim)``."""
        vh = self._split(self._project(values, "v"))
        if self.training and self.config.dropout > 0:  # dropout acts on the weights
            return matmul(self._head_weights(queries, keys, ctx), vh)
        qh = self._split(self._project(queries, "q"))
        kh = self._split(self._project(keys, "k"))
        return dot_attention(qh, kh, vh, self._scale, ctx.vis)

    def _forward(
        self, queries: np.ndarray, keys: np.ndarray, values: np.ndarray, ctx: CallContext
    ) -> np.ndarray:
        heads = self._head_outputs(queries, keys, values, ctx)
        return self._silence_blind(self._project(self._merge(heads), "o"), ctx.vis)

    @staticmethod
    def _silence_blind(rows: np.ndarray, vis: Visibility) -> np.ndarray:
        """Queries that see no key output 0 (the contract), not the output bias."""
        blind = vis.blind_rows()
        if blind is not None:
            rows[blind] = 0.0
        return rows

    def head_weights(self, query: Any, keys: Any, mask: Any = None) -> np.ndarray:
        """Per-head weights ``(num_heads, n)`` of one query."""
        q, k, _, ctx = self._context(query, keys, None, mask, single=True)
        return self._finish(self._head_weights(q, k, ctx)[:, 0, :])

    def _attend(self, queries: np.ndarray, keys: np.ndarray, values: np.ndarray, vis: Visibility) -> HeadState:
        """The eval-mode per-head intermediates of one call (for ``backward``)."""
        qh = self._split(self._project(queries, "q"))
        kh = self._split(self._project(keys, "k"))
        vh = self._split(self._project(values, "v"))
        weights = self._head_softmax(qh, kh, vis)
        return HeadState(qh, kh, vh, weights, matmul(weights, vh))

    def _backward(self, queries, keys, values, ctx, grad_output) -> Gradients:  # typed in the base class
        grad_output = self._silence_blind(grad_output.copy(), ctx.vis)
        heads = self._attend(queries, keys, values, ctx.vis)
        grad_heads = self._split(matmul(grad_output, self._params["w_o"].T))
        return self._backward_heads(queries, keys, values, heads, grad_heads, self._merge(heads.outputs), grad_output)

    def _backward_heads(
        self,
        queries: np.ndarray,
        keys: np.ndarray,
        values: np.ndarray,
        heads: HeadState,
        grad_heads: np.ndarray,
        merged: np.ndarray,
        grad_output: np.ndarray,
    ) -> Gradients:
        """Gradients from ``∂L/∂(head outputs)`` ``(heads, m, head_dim)``, the output
        projection's input ``merged (m, dim)`` and ``∂L/∂out (m, dim)``:
        ``∂L/∂W_o = mergedᵀ ∂L/∂out``, then back through each head's softmax and the
        in-projections."""
        p = self._params
        grad_vh = matmul(np.swapaxes(heads.weights, 1, 2), grad_heads)
        grad_scores = softmax_backward(heads.weights, matmul(grad_heads, np.swapaxes(heads.v, 1, 2)))
        grad_scores = grad_scores * self._scale
        grad_projected = {
            "q": self._merge(matmul(grad_scores, heads.k)),
            "k": self._merge(matmul(np.swapaxes(grad_scores, 1, 2), heads.q)),
            "v": self._merge(grad_vh),
        }
        inputs = {"q": queries, "k": keys, "v": values}
        params = {"w_o": matmul(merged.T, grad_output)}
        for name, grad in grad_projected.items():
            params[f"w_{name}"] = matmul(inputs[name].T, grad)
        if self.config.bias:
            params["b_o"] = grad_output.sum(axis=0, dtype=np.float64)
            for name, grad in grad_projected.items():
                params[f"b_{name}"] = grad.sum(axis=0, dtype=np.float64)
        return Gradients(
            query=matmul(grad_projected["q"], p["w_q"].T),
            keys=matmul(grad_projected["k"], p["w_k"].T),
            values=matmul(grad_projected["v"], p["w_v"].T),
            params=params,
        )
