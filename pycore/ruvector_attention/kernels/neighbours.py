"""Pairwise squared distances and k-nearest-neighbour lists."""

from __future__ import annotations

import math

import numpy as np

from .numeric import product

__all__ = ["knn", "knn_row_bytes", "nearest_neighbours", "smallest_k", "squared_distances"]


def squared_distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``|x_i - y_j|²`` for ``x (m, d)``, ``y (n, d)`` -> ``(m, n)``, clipped at 0."""
    d2 = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2.0 * product(x, y.T)
    return np.maximum(d2, 0.0)


def nearest_neighbours(d2: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` nearest other points of each row of a square distance matrix,
    ``(n, k)``, nearest first (ties by index)."""
    n = len(d2)
    if k >= n:
        ranked = np.where(np.eye(n, dtype=bool), np.inf, d2)
        return np.argsort(ranked, axis=1, kind="stable")[:, :k]
    ranked = np.array(d2, dtype=np.result_type(d2, np.float32))
    np.fill_diagonal(ranked, np.inf)
    return smallest_k(ranked, k)


def smallest_k(d: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the ``k`` smallest entries of each row of ``d (b, n)`` (``k < n``),
    smallest first, ties by index: the same as ``np.argsort(d, kind="stable")[:, :k]`` in
    O(b·n) rather than O(b·n log n). ``d`` must hold no NaN."""
    part = np.argpartition(d, k - 1, axis=1)[:, :k]
    kth = np.take_along_axis(d, part, axis=1).max(axis=1, keepdims=True)
    below = d < kth
    short = k - below.sum(axis=1)
    tied = (d == kth).sum(axis=1) > short  # the partition may have picked any of the tied
    if tied.any():
        rows = np.flatnonzero(tied)
        at_kth = d[rows] == kth[rows]
        keep = below[rows] | (at_kth & (np.cumsum(at_kth, axis=1) <= short[rows, None]))
        part[rows] = np.nonzero(keep)[1].reshape(len(rows), k)
    order = np.lexsort((part, np.take_along_axis(d, part, axis=1)), axis=1)
    return np.take_along_axis(part, order, axis=1)


def _layout(n: int, k: int) -> tuple[int, int, int]:
    """``(wide, groups, width)``: ``2k`` candidates, ``g`` interleaved column groups of
    ``width`` columns (the last padded)."""
    wide = min(2 * k, n - 1)
    groups = max(1, int(math.sqrt(n / wide)))  # balances the two partitions
    return wide, groups, -(-n // groups)


def knn_row_bytes(n: int, d: int, k: int) -> int:
    """Bytes :func:`knn` holds per row of a block (distances, candidates and their differences)."""
    wide, groups, width = _layout(n, k)
    return 8 * (2 * groups * width + 2 * width + 3 * wide * groups + 2 * wide * d + 4 * wide)


def knn(x: np.ndarray, k: int, block_bytes: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``k`` nearest other rows of ``x (n, d)`` (``k < n``), as indices ``(n, k)``
    (nearest first, ties by index) and squared distances ``(n, k)`` float64.

    Row blocks of the distance matrix of about ``block_bytes`` (at least one row;
    :func:`knn_row_bytes` per row), never ``n x n``: the ``2k`` nearest candidates by
    ``|x_j|² - 2 x_i·x_j`` of the centred points (one matrix product), then the ``k`` nearest
    of those by distances recomputed from the differences ``x_i - x_j``. So the distances
    are exact to rounding whatever the points' offset or scale (up to float32's maximum),
    and ties (duplicate points) are broken by index unless more than ``k`` points tie
    within rounding.

    Selecting candidates: the columns are dealt into ``g`` interleaved groups; the ``2k``
    nearest points lie in the ``2k`` groups with the smallest minimum (each of those groups
    holds a point at least as near as the ``2k``-th smallest minimum), so only the groups'
    minima (one elementwise pass) and ``2k·g`` values per row are partitioned.
    """
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    wide, groups, width = _layout(n, k)
    block_rows = max(1, min(n, block_bytes // knn_row_bytes(n, d, k)))
    centred = np.zeros((groups * width, d))
    np.subtract(x, x.mean(axis=0), out=centred[:n])
    norms = np.einsum("ij,ij->i", centred, centred)
    norms[n:] = np.inf  # padding columns are never chosen
    scaled = np.ascontiguousarray(-2.0 * centred.T)
    index = np.empty((n, k), dtype=np.intp)
    dist2 = np.empty((n, k), dtype=np.float64)
    spread = np.arange(groups)[None, :, None] * width
    buffer = np.empty((block_rows, len(norms)))
    for start in range(0, n, block_rows):
        stop = min(start + block_rows, n)
        rows = np.arange(stop - start)
        block = np.matmul(centred[start:stop], scaled, out=buffer[: stop - start])
        block += norms
        block[rows, np.arange(start, stop)] = np.inf
        if 2 * wide < width:
            minima = block.reshape(stop - start, groups, width).min(axis=1)
            chosen = np.argpartition(minima, wide - 1, axis=1)[:, None, :wide]
            del minima
            columns = (chosen + spread).reshape(stop - start, -1)
            values = np.take_along_axis(block, columns, axis=1)
            cand = np.take_along_axis(columns, np.argpartition(values, wide - 1, axis=1)[:, :wide], axis=1)
            del columns, values
        else:
            cand = np.argpartition(block, wide - 1, axis=1)[:, :wide]
        diff = x[cand]
        diff -= x[start:stop, None, :]
        exact = np.einsum("ikd,ikd->ik", diff, diff)
        del diff
        order = np.lexsort((cand, exact), axis=1)[:, :k]
        index[start:stop] = np.take_along_axis(cand, order, axis=1)
        dist2[start:stop] = np.take_along_axis(exact, order, axis=1)
        del cand, exact, order
    return index, dist2
