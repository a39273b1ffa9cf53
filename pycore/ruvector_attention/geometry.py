"""Poincaré-ball geometry (``ra.geometry``).

Public functions validate their inputs and curvature (keyword-only, negative: the ball
of curvature ``-c`` has radius ``1/sqrt(c)``), compute in float64 in the private kernels
of :mod:`ruvector_attention.kernels.poincare`, and return float32. Every function
broadcasts over leading axes; the last axis is the vector axis.

>>> import numpy as np
>>> x = np.array([0.1, 0.2]); y = np.array([-0.3, 0.05])
>>> bool(np.allclose(mobius_add(-x, mobius_add(x, y)), y, atol=1e-6))   # left cancellation
True
>>> bool(np.allclose(exp_map(x, log_map(x, y)), y, atol=1e-6))          # exp/log round trip
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _validation as check
from .errors import DimensionMismatchError
from .kernels import poincare

__all__ = ["poincare_distance", "mobius_add", "exp_map", "log_map", "project_to_ball"]


def _curvature(curvature: Any) -> float:
    return -check.negative_float("curvature", curvature)


def _points(x: Any, name: str, c: float) -> np.ndarray:
    """float64 points of rank >= 1, strictly inside the ball."""
    return poincare.project(check.as_vectors(x, name), c, eps=1e-7)


def _same_width(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape[-1] != b.shape[-1]:
        raise DimensionMismatchError(
            f"vectors must have the same length, got {a.shape[-1]} and {b.shape[-1]}",
            expected=a.shape[-1],
            actual=b.shape[-1],
        )


def _out(arr: np.ndarray) -> np.ndarray:
    return np.asarray(arr, dtype=np.float32, order="C")


def _two_points(kernel, x: Any, y: Any, curvature: Any) -> np.ndarray:
    """Validate two point arrays of the same width in the ball and apply ``kernel``."""
    c = _curvature(curvature)
    a, b = _points(x, "x", c), _points(y, "y", c)
    _same_width(a, b)
    return _out(kernel(a, b, c))


def poincare_distance(x: Any, y: Any, *, curvature: float = -1.0) -> np.ndarray:
    """Geodesic distance ``d_c(x, y) = (2/√c) artanh(√c |(-x) ⊕_c y|)``, ``c = -curvature``.

    >>> float(poincare_distance([0.0, 0.0], [0.5, 0.0]))   # 2 artanh(0.5)
    1.0986123
    """
    return _two_points(poincare.distance, x, y, curvature)


def mobius_add(x: Any, y: Any, *, curvature: float = -1.0) -> np.ndarray:
    """Möbius addition ``x ⊕_c y``."""
    return _two_points(poincare.mobius_add, x, y, curvature)


def exp_map(x: Any, v: Any, *, curvature: float = -1.0) -> np.ndarray:
    """Exponential map at base point ``x`` of tangent vector ``v`` (conformal factor
    ``λ_x = 2/(1 - c|x|²)``)."""
    c = _curvature(curvature)
    a, b = _points(x, "x", c), check.as_vectors(v, "v")
    _same_width(a, b)
    return _out(poincare.exp_map(a, b, c))


def log_map(x: Any, y: Any, *, curvature: float = -1.0) -> np.ndarray:
    """Logarithmic map at base point ``x`` of ``y`` (inverse of :func:`exp_map`)."""
    return _two_points(poincare.log_map, x, y, curvature)


def project_to_ball(x: Any, *, curvature: float = -1.0, eps: float | None = None) -> np.ndarray:
    """Pull points with ``|x| > (1 - eps)/√c`` back onto that radius (default eps 4e-3).

    >>> project_to_ball([3.0, 4.0], eps=0.5)
    array([0.3, 0.4], dtype=float32)
    """
    c = _curvature(curvature)
    margin = poincare.BALL_EPS if eps is None else check.probability("eps", eps)
    return _out(poincare.project(check.as_vectors(x, "x"), c, eps=margin))
