"""Scaled dot-product scores and their softmax, the kernel most mechanisms share."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .backend import wasm_kernels
from .masking import Visibility
from .numeric import all_finite, matmul, product
from .softmax import masked_exp, masked_softmax, softmax_backward

__all__ = ["dot_attention", "dot_scores", "dot_softmax", "dot_attention_backward"]


def dot_scores(queries: np.ndarray, keys: np.ndarray, scale: float) -> np.ndarray:
    """``(queries · scale) @ keys.T``; ``(..., m, n)``. float32, or float64 where float32
    would overflow (inputs near float32's limits), so the scores are always finite."""
    with np.errstate(over="ignore", invalid="ignore"):
        scores = product(queries * np.float32(scale), np.swapaxes(keys, -1, -2))
    if all_finite(scores):
        return scores
    return product(queries.astype(np.float64) * scale, np.swapaxes(keys, -1, -2).astype(np.float64))


def dot_softmax(
    queries: np.ndarray, keys: np.ndarray, scale: float, mask: np.ndarray | None
) -> np.ndarray:
    """``softmax(scale · q kᵀ)`` with a boolean attend-mask broadcast over the scores."""
    return masked_softmax(dot_scores(queries, keys, scale), mask)


def dot_attention(
    queries: np.ndarray,
    keys: np.ndarray,
    values: np.ndarray,
    scale: float,
    vis: Visibility,
    fallback: Callable[[], np.ndarray] | None = None,
) -> np.ndarray:
    """``softmax(scale · q kᵀ) v`` over the keys ``vis`` lets each query see; ``(..., m, dv)``.

    The backend's fused kernel where it has one (the wasm module: scores, mask, causal
    order, online softmax and ``· v`` in one pass, no ``(m, n)`` matrix), else ``fallback()``
    (a mechanism's own NumPy algorithm), else the dense weights times the values.
    """
    kernels = wasm_kernels()
    if kernels is not None:
        shift = vis.causal_shift()
        out = kernels.attention(queries, keys, values, scale, vis.mask if shift is not None else vis.dense(), shift)
        if out is not None:
            return out
    if fallback is not None:
        return fallback()
    return _normalised_attention(queries, keys, values, scale, vis.dense())


def _normalised_attention(
    queries: np.ndarray, keys: np.ndarray, values: np.ndarray, scale: float, mask: np.ndarray | None
) -> np.ndarray:
    """``softmax(scale · q kᵀ) v`` with NumPy: ``E = exp(S - max S)`` in place, then
    ``(E v) / rowsum(E)``, dividing the ``(m, dv)`` output instead of the ``(m, n)``
    weights. Rows that see no key give zeros."""
    exp = masked_exp(dot_scores(queries, keys, scale), mask)
    total = exp.sum(axis=-1, keepdims=True)
    out = matmul(exp, values)
    if total.min() > 0:  # the common case: a multiply by reciprocals
        return np.multiply(out, np.reciprocal(total, dtype=out.dtype), out=out)
    return np.divide(out, total, out=np.zeros_like(out), where=total > 0)


def dot_attention_backward(
    queries: np.ndarray,
    keys: np.ndarray,
    values: np.ndarray,
    scale: float,
    mask: np.ndarray | None,
    grad_output: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients ``(dQ, dK, dV)`` of ``sum(G ⊙ softmax(scale·QKᵀ) V)``:
    ``dV = Wᵀ G``, ``dS = W ⊙ (G Vᵀ - rowsum(W ⊙ G Vᵀ))``, ``dQ = scale·dS K``,
    ``dK = scale·dSᵀ Q``."""
    weights = dot_softmax(queries, keys, scale, mask)
    grad_scores = softmax_backward(weights, matmul(grad_output, values.T)) * scale
    return matmul(grad_scores, keys), matmul(grad_scores.T, queries), matmul(weights.T, grad_output)
