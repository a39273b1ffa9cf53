"""Graph Laplacians of a key set under a Gaussian kernel (for diffusion attention)."""

from __future__ import annotations

import enum
from typing import Any

import numpy as np

from .. import _validation as check
from ..kernels.neighbours import nearest_neighbours, squared_distances

__all__ = ["LaplacianType", "GraphLaplacian"]


class LaplacianType(enum.Enum):
    UNNORMALIZED = "unnormalized"
    SYMMETRIC_NORMALIZED = "symmetric_normalized"
    RANDOM_WALK = "random_walk"


def gaussian_kernel(keys: np.ndarray, sigma: float, k: int | None) -> np.ndarray:
    """``W_ij = exp(-|k_i - k_j|² / 2σ²)``, zero diagonal; with ``k``, only pairs where one is
    among the other's ``k`` nearest neighbours are kept (symmetric kNN)."""
    x = keys.astype(np.float64)
    dist2 = squared_distances(x, x)
    w = np.exp(-dist2 / (2 * sigma**2))
    np.fill_diagonal(w, 0.0)
    if k is not None and k < len(x) - 1:
        nearest = nearest_neighbours(dist2, k)
        keep = np.zeros_like(w, dtype=bool)
        np.put_along_axis(keep, nearest, True, axis=1)
        w = np.where(keep | keep.T, w, 0.0)
    return w


def laplacian_of(w: np.ndarray, kind: LaplacianType) -> np.ndarray:
    """``D - W``, ``I - D^-½ W D^-½`` or ``I - D^-1 W``; isolated nodes keep ``L_ii = 0``
    in the normalised forms' ``W`` part (masked, not ``+eps``)."""
    degree = w.sum(axis=1)
    if kind is LaplacianType.UNNORMALIZED:
        return np.diag(degree) - w
    connected = degree > 0
    if kind is LaplacianType.SYMMETRIC_NORMALIZED:
        inv_sqrt = np.where(connected, 1 / np.sqrt(np.where(connected, degree, 1)), 0.0)
        return np.diag(connected.astype(float)) - inv_sqrt[:, None] * w * inv_sqrt[None, :]
    inv = np.where(connected, 1 / np.where(connected, degree, 1), 0.0)
    return np.diag(connected.astype(float)) - inv[:, None] * w


class GraphLaplacian:
    """``GraphLaplacian.from_keys(keys, sigma, laplacian_type, k=None)`` -> ``(n, n)``."""

    @staticmethod
    def from_keys(
        keys: Any, sigma: float = 1.0, laplacian_type: LaplacianType | str = LaplacianType.SYMMETRIC_NORMALIZED,
        k: int | None = None,
    ) -> np.ndarray:
        x = check.as_matrix(keys, "keys")
        kind = check.as_enum(LaplacianType, laplacian_type, "laplacian_type")
        sigma = check.positive_float("sigma", sigma)
        k = None if k is None else check.positive_int("k", k)
        return laplacian_of(gaussian_kernel(x, sigma, k), kind)
