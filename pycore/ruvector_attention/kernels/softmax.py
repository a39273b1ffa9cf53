"""Row-wise softmax and normalisation with masks (True = attend)."""

from __future__ import annotations

import numpy as np

from .backend import wasm_kernels
from .numeric import all_finite

__all__ = ["Segments", "masked_exp", "masked_softmax", "normalize_rows", "entropy", "softmax_backward"]


def masked_softmax(scores: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """``softmax`` over the last axis with masked entries at exactly 0, in the scores' dtype.

    A row whose every entry is masked comes out all zeros (never NaN). ``scores`` (float32,
    or float64 from an overflow-safe kernel) must be finite and may be overwritten.

    >>> masked_softmax(np.array([[0.0, 0.0], [1.0, 2.0]]), np.array([[False, False], [True, False]]))
    array([[0., 0.],
           [1., 0.]])
    """
    kernels = wasm_kernels()
    if kernels is not None and (out := kernels.softmax(scores, mask)) is not None:
        return out
    return normalize_rows(masked_exp(scores, mask))


def masked_exp(scores: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """``exp(s - max(s))`` along the last axis (the softmax before its division), masked
    entries exactly 0, rows with nothing visible all 0; in place where ``scores`` allows."""
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    row_max = scores.max(axis=-1, keepdims=True)
    if mask is not None:
        row_max[~np.isfinite(row_max)] = 0.0
    with np.errstate(over="ignore"):  # a difference beyond -float max is -inf: its weight is 0
        scores -= row_max
    return np.exp(scores, out=scores)


def normalize_rows(weights: np.ndarray) -> np.ndarray:
    """Divide non-negative rows by their sums in place; all-zero rows stay zero."""
    total = weights.sum(axis=-1, keepdims=True)
    if total.min() > 0:  # the common case: a multiply by reciprocals is 2x faster
        return np.multiply(weights, np.reciprocal(total), out=weights)
    return np.divide(weights, total, out=weights, where=total > 0)


def entropy(weights: np.ndarray) -> np.ndarray:
    """Shannon entropy (natural log) of each row of a probability matrix."""
    safe = np.where(weights > 0, weights, 1.0)
    return -(weights * np.log(safe)).sum(axis=-1)


def softmax_backward(weights: np.ndarray, grad_weights: np.ndarray) -> np.ndarray:
    """Gradient w.r.t. the scores of ``weights = softmax(scores)``:
    ``w ⊙ (g - Σ_j g_j w_j)`` (masked entries, where ``w = 0``, get 0)."""
    with np.errstate(over="ignore", invalid="ignore"):
        inner = np.sum(grad_weights * weights, axis=-1, keepdims=True)
        grad = weights * (grad_weights - inner)
    if all_finite(grad):
        return grad
    grad_weights = grad_weights.astype(np.float64)
    return weights * (grad_weights - np.sum(grad_weights * weights, axis=-1, keepdims=True))


class Segments:
    """Rows grouped by segment id in ``[0, count)`` (a graph's edges by target node): sorted
    once, then reduced with ``ufunc.reduceat`` (``ufunc.at`` is an order of magnitude slower).
    Methods take and return rows in the original order unless noted."""

    def __init__(self, ids: np.ndarray, count: int) -> None:
        self.count = count
        self.order = np.argsort(ids, kind="stable")
        self.ids = ids
        sorted_ids = ids[self.order]
        self.starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]]) if len(ids) else self.order
        self.present = sorted_ids[self.starts]

    def reduce_sorted(self, ufunc: np.ufunc, rows: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """Reduce rows already in sorted order: ``(count, ...)``, ``fill`` for empty segments."""
        out = np.full((self.count, *rows.shape[1:]), fill, dtype=np.result_type(rows, np.float32))
        if len(self.order):
            out[self.present] = ufunc.reduceat(rows, self.starts, axis=0)
        return out

    def sum(self, rows: np.ndarray) -> np.ndarray:
        return self.reduce_sorted(np.add, rows[self.order])

    def softmax(self, scores: np.ndarray) -> np.ndarray:
        """Softmax within each segment, max-shifted per segment."""
        shift = self.reduce_sorted(np.maximum, scores[self.order])
        e = np.exp(scores - shift[self.ids])
        return e / self.sum(e)[self.ids]

