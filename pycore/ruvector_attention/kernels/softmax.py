"""Row-wise softmax and normalisation with masks (True = attend)."""

from __future__ import annotations

import numpy as np

__all__ = ["masked_softmax", "normalize_rows", "entropy", "segment_softmax", "softmax_backward"]


def masked_softmax(scores: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """``softmax`` over the last axis with masked entries at exactly 0.

    A row whose every entry is masked comes out all zeros (never NaN). ``scores`` may be
    overwritten (pass a fresh array).

    >>> masked_softmax(np.array([[0.0, 0.0], [1.0, 2.0]]), np.array([[False, False], [True, False]]))
    array([[0., 0.],
           [1., 0.]])
    """
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    row_max = scores.max(axis=-1, keepdims=True)
    if mask is not None:
        row_max[~np.isfinite(row_max)] = 0.0
    scores -= row_max
    np.exp(scores, out=scores)
    return normalize_rows(scores)


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
    inner = np.sum(grad_weights * weights, axis=-1, keepdims=True)
    return weights * (grad_weights - inner)


def segment_softmax(scores: np.ndarray, segments: np.ndarray, count: int) -> np.ndarray:
    """Softmax of ``scores (E, ...)`` within each segment (e.g. a node's incoming edges):
    ``segments (E,)`` holds each entry's segment in ``[0, count)``; max-shifted per segment."""
    shift = np.full((count, *scores.shape[1:]), -np.inf)
    np.maximum.at(shift, segments, scores)
    e = np.exp(scores - shift[segments])
    total = np.zeros((count, *scores.shape[1:]))
    np.add.at(total, segments, e)
    return e / total[segments]
