"""Structural coherence of a window of keys, each metric in [0, 1] (1 = coherent)."""

from __future__ import annotations

import enum

import numpy as np

from ..kernels.neighbours import nearest_neighbours, squared_distances
from ..kernels.sphere import unit_rows

__all__ = ["CoherenceMetric", "window_coherence"]

class CoherenceMetric(enum.Enum):
    """How coherence is measured on the k-nearest-neighbour graph of the window's keys."""

    BOUNDARY_MASS = "boundary_mass"
    """Fraction of kNN edges that stay within a quarter of the window in sequence order."""
    CUT_PROXY = "cut_proxy"
    """1 - the fraction of kNN edges crossing the middle of the window."""
    DISAGREEMENT = "disagreement"
    """1 - the mean over keys of the variance of their neighbours' cosine similarities."""
    SIMILARITY_VARIANCE = "similarity_variance"
    """Mean neighbour cosine similarity (clipped at 0) times 1 - its standard deviation."""


def window_coherence(keys: np.ndarray, metric: CoherenceMetric, k_neighbors: int) -> float:
    """Coherence of ``keys (w, d)`` (validated) by ``metric`` on their kNN graph with
    ``min(k_neighbors, w - 1)`` neighbours; 1.0 for fewer than two keys.

    Cosine similarities lie in [-1, 1], so their variance is at most 1 and every metric
    stays in [0, 1].
    """
    w = keys.shape[0]
    if w < 2:
        return 1.0
    x = keys.astype(np.float64)
    neighbours = nearest_neighbours(squared_distances(x, x), min(k_neighbors, w - 1))
    rows = np.arange(w)[:, None]
    if metric is CoherenceMetric.BOUNDARY_MASS:
        return float(np.mean(np.abs(rows - neighbours) <= w // 4))
    if metric is CoherenceMetric.CUT_PROXY:
        half = w // 2
        return float(1.0 - np.mean((rows < half) != (neighbours < half)))
    unit = unit_rows(x)
    cosines = np.clip(np.einsum("id,ikd->ik", unit, unit[neighbours]), -1.0, 1.0)
    if metric is CoherenceMetric.DISAGREEMENT:
        return float(1.0 - cosines.var(axis=1).mean())
    return float(max(cosines.mean(), 0.0) * (1.0 - cosines.std()))
