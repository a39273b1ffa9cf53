"""Pairwise squared distances and k-nearest-neighbour lists."""

from __future__ import annotations

import numpy as np

__all__ = ["nearest_neighbours", "squared_distances"]


def squared_distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``|x_i - y_j|²`` for ``x (m, d)``, ``y (n, d)`` -> ``(m, n)``, clipped at 0."""
    d2 = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * x @ y.T
    return np.maximum(d2, 0.0)


def nearest_neighbours(d2: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` nearest other points of each row of a square distance matrix,
    ``(n, k)``, nearest first (ties by index)."""
    ranked = np.where(np.eye(len(d2), dtype=bool), np.inf, d2)
    return np.argsort(ranked, axis=1, kind="stable")[:, :k]
