"""Scaled dot-product attention on keys shifted by learned per-key terms (the base of
``hnsw_aware`` and ``structural``, whose per-call graph inputs pick the terms)."""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass

import numpy as np

from ..base import DifferentiableAttention, Gradients
from ..context import CallContext
from ..kernels.dot import dot_attention_backward, dot_softmax
from ..kernels.numeric import finite

__all__ = ["KeyTerms", "OffsetKeyAttention", "PerKey"]


@dataclass(frozen=True)
class PerKey:
    """A validated per-call input with one entry per key, not per query row: not an
    ``ndarray``, so :meth:`CallContext.slice` keeps it whole for every block of rows."""

    value: np.ndarray


@dataclass(frozen=True)
class KeyTerms:
    """Per-key terms of one call: ``offsets (n, d)`` added to the keys and an optional score
    ``bias (n,)``."""

    offsets: np.ndarray
    bias: np.ndarray | None = None


def _finite_sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a + b`` in float32, or in float64 where float32 overflows (huge keys or features)."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = a + b
    if finite(total):
        return total
    return a.astype(np.float64) + b


class OffsetKeyAttention(DifferentiableAttention):
    r"""``s_ij = q_i·(k_j + a_j)/√d + c_j``, ``w = softmax(s)``, output ``Σ_j w_ij v_j``.

    Subclasses give the offsets ``a (n, d)`` and biases ``c (n,)`` of a call
    (:meth:`_terms`) and map their gradients to parameter gradients (:meth:`_term_grads`).
    A bias is one more key coordinate ``c_j √d`` met by a constant query coordinate 1:

    .. math:: \tilde q = [q, 1],\quad \tilde k_j = [k_j + a_j,\ c_j\sqrt d],\quad
              s_{ij} = \tilde q_i \cdot \tilde k_j / \sqrt d

    so the scaled dot-product kernels (float64 where float32 overflows) give the forward
    and backward: ``∂L/∂a_j = ∂L/∂k_j`` and ``∂L/∂c_j = √d · ∂L/∂\tilde k_{j,d}``.
    """

    complexity = "O(n^2)"

    @property
    def _scale(self) -> float:
        return 1.0 / math.sqrt(self.dim)

    @abc.abstractmethod
    def _terms(self, ctx: CallContext) -> KeyTerms:
        """The call's per-key offsets and biases from its validated extras and the parameters."""

    @abc.abstractmethod
    def _term_grads(self, ctx: CallContext, grad_offsets: np.ndarray, grad_bias: np.ndarray | None) -> dict[str, np.ndarray]:
        """Parameter gradients from ``∂L/∂a (n, d)`` and ``∂L/∂c (n,)``."""

    def _augmented(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> tuple[np.ndarray, np.ndarray]:
        """The queries and shifted keys, each with the bias column when there is a bias."""
        terms = self._terms(ctx)
        shifted = _finite_sum(keys, terms.offsets)
        if terms.bias is None:
            return queries, shifted
        column = (terms.bias * math.sqrt(self.dim)).astype(shifted.dtype)[:, None]
        ones = np.ones((queries.shape[0], 1), dtype=queries.dtype)
        return np.concatenate([queries, ones], axis=1), np.concatenate([shifted, column], axis=1)

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        q, k = self._augmented(queries, keys, ctx)
        return dot_softmax(q, k, self._scale, ctx.vis.dense())

    def _backward(self, queries, keys, values, ctx, grad_output) -> Gradients:  # typed in the base class
        q, k = self._augmented(queries, keys, ctx)
        grad_q, grad_k, grad_v = dot_attention_backward(q, k, values, self._scale, ctx.vis.dense(), grad_output)
        d = self.dim
        grad_bias = grad_k[:, d].astype(np.float64) * math.sqrt(d) if k.shape[1] > d else None
        grad_keys = grad_k[:, :d]
        return Gradients(grad_q[:, :d], grad_keys, grad_v, params=self._term_grads(ctx, grad_keys, grad_bias))
