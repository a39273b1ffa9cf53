"""Spherical kernels: unit rows, random directions, geodesic distance on the sphere of
curvature ``c > 0``."""

from __future__ import annotations

import numpy as np

from .numeric import product

__all__ = ["pairwise_geodesic", "random_directions", "unit_rows"]

_MIN_NORM = 1e-12


def unit_rows(x: np.ndarray) -> np.ndarray:
    """Each row divided by its norm; zero rows stay zero."""
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), _MIN_NORM)


def random_directions(rng: np.random.Generator, count: int, dim: int) -> np.ndarray:
    """``count`` directions uniform on the unit sphere of ``R^dim``, ``(count, dim)``."""
    return unit_rows(rng.standard_normal((count, dim)))


def pairwise_geodesic(x: np.ndarray, y: np.ndarray, c: float) -> np.ndarray:
    """``arccos(cos∠(x_i, y_j)) / √c`` for ``x (m, d)``, ``y (n, d)`` -> ``(m, n)``.

    Directions are what matter on the sphere of radius ``1/√c``; a zero vector is taken
    to be orthogonal to everything (distance ``π / (2√c)``).
    """
    return np.arccos(np.clip(product(unit_rows(x), unit_rows(y).T), -1.0, 1.0)) / np.sqrt(c)
