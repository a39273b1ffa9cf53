"""Spherical kernels: geodesic distance on the sphere of curvature ``c > 0``."""

from __future__ import annotations

import numpy as np

__all__ = ["pairwise_geodesic"]

_MIN_NORM = 1e-12


def pairwise_geodesic(x: np.ndarray, y: np.ndarray, c: float) -> np.ndarray:
    """``arccos(cos∠(x_i, y_j)) / √c`` for ``x (m, d)``, ``y (n, d)`` -> ``(m, n)``.

    Directions are what matter on the sphere of radius ``1/√c``; a zero vector is taken
    to be orthogonal to everything (distance ``π / (2√c)``).
    """
    x_unit = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), _MIN_NORM)
    y_unit = y / np.maximum(np.linalg.norm(y, axis=1, keepdims=True), _MIN_NORM)
    return np.arccos(np.clip(x_unit @ y_unit.T, -1.0, 1.0)) / np.sqrt(c)
