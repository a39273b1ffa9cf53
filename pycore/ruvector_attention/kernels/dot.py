"""Scaled dot-product scores and their softmax, the kernel most mechanisms share."""

from __future__ import annotations

import numpy as np

from .softmax import masked_softmax

__all__ = ["dot_scores", "dot_softmax"]


def dot_scores(queries: np.ndarray, keys: np.ndarray, scale: float) -> np.ndarray:
    """``(queries · scale) @ keys.T``, scaling the smaller operand; ``(..., m, n)``."""
    return (queries * np.float32(scale)) @ np.swapaxes(keys, -1, -2)


def dot_softmax(
    queries: np.ndarray, keys: np.ndarray, scale: float, mask: np.ndarray | None
) -> np.ndarray:
    """``softmax(scale · q kᵀ)`` with a boolean attend-mask broadcast over the scores."""
    return masked_softmax(dot_scores(queries, keys, scale), mask)
