"""Multi-head attention with heads gated per query by a learned importance (seed 004 FR-005.4)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validation import non_negative_int, positive_int, probability
from ..base import Gradients
from ..config import DRAWN_PARAMETER_BYTES, AttentionConfig, divisor_at_most, spec
from ..context import CallContext
from ..errors import InvalidConfigError
from ..kernels.numeric import matmul
from ..kernels.softmax import masked_softmax, softmax_backward
from ..registry import register
from .multi_head import MultiHeadAttention

__all__ = ["DynamicHeadAttention", "DynamicHeadConfig"]


@dataclass(frozen=True)
class DynamicHeadConfig(AttentionConfig):
    dim: int = spec(positive_int)
    max_heads: int = spec(positive_int, 8)
    min_heads: int = spec(positive_int, 1)
    threshold: float = spec(probability, 0.1)
    seed: int = spec(non_negative_int, 0)

    bias = True
    """Every projection has a bias (the ``multi_head`` layout with ``bias=True``)."""

    def validate(self) -> None:
        if self.dim % self.max_heads:
            raise InvalidConfigError(f"dim ({self.dim}) must be divisible by max_heads ({self.max_heads})")
        if self.min_heads > self.max_heads:
            raise InvalidConfigError(f"min_heads ({self.min_heads}) must be at most max_heads ({self.max_heads})")

    @classmethod
    def example(cls, dim: int) -> dict[str, Any]:
        return {"dim": dim, "max_heads": divisor_at_most(dim, 4)}

    def state_bytes(self) -> int:
        return DRAWN_PARAMETER_BYTES * (4 * (self.dim * self.dim + self.dim) + self.dim * self.max_heads)

    @property
    def num_heads(self) -> int:
        return self.max_heads

    @property
    def head_dim(self) -> int:
        return self.dim // self.max_heads


def active_heads(probs: np.ndarray, threshold: float, keep: int) -> np.ndarray:
    """``(m, H)`` booleans: heads whose importance reaches ``threshold``, and always the
    ``keep`` most important (ties to the lower index)."""
    order = np.argsort(-probs, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(probs.shape[1])[None, :], axis=1)
    return (probs >= threshold) | (rank < keep)


def renormalised(probs: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Gates ``g_h = p_h / Σ_{h' active} p_h'`` on the active heads, 0 elsewhere (float64;
    the most important head is always active, so the sum is at least ``1/H``)."""
    kept = np.where(active, probs, 0.0).astype(np.float64)
    return kept / kept.sum(axis=1, keepdims=True)


def renormalised_backward(gates: np.ndarray, active: np.ndarray, probs: np.ndarray, grad_gates: np.ndarray) -> np.ndarray:
    """``∂L/∂p`` from ``∂L/∂g`` for :func:`renormalised` (the active set is piecewise constant):
    ``∂L/∂p_h = [h active] (∂L/∂g_h - Σ_{h'} g_{h'} ∂L/∂g_{h'}) / Σ_{h' active} p_{h'}``."""
    total = np.where(active, probs, 0.0).astype(np.float64).sum(axis=1, keepdims=True)
    inner = np.sum(gates * grad_gates, axis=1, keepdims=True)
    return np.where(active, (grad_gates - inner) / total, 0.0)


@register("dynamic_head")
class DynamicHeadAttention(MultiHeadAttention):
    r"""Multi-head attention whose heads are gated per query by a learned importance.

    With the ``multi_head`` parameters (``w_q w_k w_v w_o``, biases; same layout, same
    initialisation) and a gate ``W_g (dim, max_heads)`` (parameter ``w_gate``, initialised
    ``U(-1/√d, 1/√d)`` from ``seed``), query ``q`` with heads ``head_h`` (``H = max_heads``):

    .. math:: p = \operatorname{softmax}(q W_g),\qquad
              A = \{h : p_h \ge \text{threshold}\} \cup \text{top-}\text{min\_heads}(p),\qquad
              g_h = \frac{[h \in A]\, p_h}{\sum_{h' \in A} p_{h'}}

    .. math:: \text{out} = \operatorname{concat}_h\big(H g_h \cdot \text{head}_h\big)\, W_o + b_o

    Skipped heads contribute nothing; the factor ``H`` keeps the gates' total at ``H`` (as
    inverted dropout does), so with every head active and equal gates (``W_g = 0``,
    ``threshold ≤ 1/H``) the output is exactly ``multi_head``'s,
    ``concat_h(head_h) W_o + b_o``. :meth:`set_active_heads` ``(k)`` replaces ``A`` by the
    top-``k`` heads (``None`` restores the threshold). After each call :attr:`last_stats`
    holds ``active`` (``(m, H)`` booleans), ``mean_active`` and ``head_usage`` (the share
    of query rows using each head). ``weights`` are ``Σ_h g_h`` (head ``h``'s weights), so
    they sum to 1 (with all heads active and equal gates: the mean over heads, as
    ``multi_head``); ``head_weights`` are every head's own weights. ``backward`` treats
    ``A`` as fixed (it is piecewise constant).

    >>> attn = DynamicHeadAttention(8, max_heads=4, threshold=0.3)
    >>> _ = attn.compute([1.0] * 8, [[0.5] * 8] * 3, [[1.0] * 8] * 3)
    >>> attn.set_active_heads(2)
    >>> _ = attn.compute([1.0] * 8, [[0.5] * 8] * 3, [[1.0] * 8] * 3)
    >>> attn.last_stats["mean_active"]
    2.0
    """

    Config = DynamicHeadConfig  # type: ignore[assignment]
    config: DynamicHeadConfig  # type: ignore[assignment]

    def _setup(self) -> None:
        super()._setup()
        bound = 1.0 / math.sqrt(self.config.dim)
        self._params["w_gate"] = self._rng.uniform(-bound, bound, (self.config.dim, self.config.max_heads)).astype(np.float32)
        self._fixed_heads: int | None = None
        self.last_stats: dict[str, Any] = {}

    def set_active_heads(self, k: int | None) -> None:
        """Keep exactly the ``k`` most important heads of every query from now on
        (``1 <= k <= max_heads``); ``None`` returns to the threshold rule."""
        whole = isinstance(k, (int, np.integer)) and not isinstance(k, bool)
        if k is not None and not (whole and 1 <= k <= self.config.max_heads):
            raise InvalidConfigError(f"set_active_heads needs an integer in [1, {self.config.max_heads}] or None, got {k!r}")
        self._fixed_heads = None if k is None else int(k)

    @property
    def fixed_heads(self) -> int | None:
        """The ``k`` of :meth:`set_active_heads`, or None under the threshold rule."""
        return self._fixed_heads

    def _importance(self, queries: np.ndarray) -> np.ndarray:
        """``softmax(q W_g)`` over the heads of validated queries: ``(m, max_heads)``."""
        return masked_softmax(matmul(queries, self._params["w_gate"]))

    def _gating(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Importance, active heads and renormalised gates, each ``(m, max_heads)``."""
        probs = self._importance(queries)
        if self._fixed_heads is None:
            active = active_heads(probs, self.config.threshold, self.config.min_heads)
        else:
            active = active_heads(probs, math.inf, self._fixed_heads)
        return probs, active, renormalised(probs, active)

    def _in_row_blocks(self, kernel, queries, keys, values, ctx):  # typed in the base class
        """Gate the whole call once (for :attr:`last_stats`), then run in row blocks."""
        _, active, gates = self._gating(queries)
        self.last_stats = {
            "active": active,
            "mean_active": float(active.sum(axis=1).mean()),
            "head_usage": active.mean(axis=0).tolist(),
        }
        return super()._in_row_blocks(kernel, queries, keys, values, ctx.with_extras(gates=gates))

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        return np.einsum("mh,hmn->mn", ctx.extras["gates"], self._head_weights(queries, keys, ctx))

    def _output(self, gates: np.ndarray, heads: np.ndarray, ctx: CallContext) -> np.ndarray:
        """``concat_h(H g_h head_h) W_o + b_o`` as ``concat_h(g_h head_h) (H W_o) + b_o``
        (``g_h ≤ 1``: no overflow before the overflow-safe product)."""
        merged = self._merge(gates.T[:, :, None] * heads)
        out = matmul(merged, self._params["w_o"] * np.float32(self.config.max_heads)) + self._params["b_o"]
        return self._silence_blind(out, ctx.vis)

    def _forward(self, queries: np.ndarray, keys: np.ndarray, values: np.ndarray, ctx: CallContext) -> np.ndarray:
        return self._output(ctx.extras["gates"], self._head_outputs(queries, keys, values, ctx), ctx)

    def _backward(self, queries, keys, values, ctx, grad_output) -> Gradients:  # typed in the base class
        count = self.config.max_heads
        grad_output = self._silence_blind(grad_output.copy(), ctx.vis)
        heads = self._attend(queries, keys, values, ctx.vis)
        probs, active, gates = self._gating(queries)
        scales = count * gates.T[:, :, None]  # (H, m, 1), float64
        grad_scaled = self._split(matmul(grad_output, self._params["w_o"].T))  # ∂L/∂(H g_h head_h)
        grads = self._backward_heads(
            queries, keys, values, heads, scales * grad_scaled, self._merge(scales * heads.outputs), grad_output
        )
        grad_gates = count * np.sum(np.multiply(heads.outputs, grad_scaled, dtype=np.float64), axis=-1).T  # (m, H)
        grad_probs = renormalised_backward(gates, active, probs, grad_gates)
        grad_logits = softmax_backward(probs.astype(np.float64), grad_probs)
        w_gate = self._params["w_gate"]
        return Gradients(
            query=grads.query + matmul(grad_logits, w_gate.T.astype(np.float64)),
            keys=grads.keys,
            values=grads.values,
            params={**grads.params, "w_gate": matmul(queries.T.astype(np.float64), grad_logits)},
        )
