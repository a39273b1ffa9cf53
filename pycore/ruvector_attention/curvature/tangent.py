"""Tangent-space mapping: Poincaré-ball points to the flat tangent space at the origin."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validation as check
from ..kernels import poincare

__all__ = ["TangentSpaceMapper"]


class TangentSpaceMapper:
    r"""Maps points of the Poincaré ball of curvature ``curvature < 0`` (``c = -curvature``)
    to the tangent space at the origin and back:

    .. math:: \log_0(x) = \frac{\operatorname{artanh}(\sqrt c\,|x|)}{\sqrt c\,|x|}\,x,\qquad
              \exp_0(v) = \frac{\tanh(\sqrt c\,|v|)}{\sqrt c\,|v|}\,v

    Inner products of tangent vectors replace geodesic distances (``2|\log_0 x| = d_c(0, x)``),
    so similarities become one dot product. Points outside the ball are first projected
    to radius ``(1 - 4e-3)/√c``. Both maps broadcast over leading axes.

    >>> mapper = TangentSpaceMapper()
    >>> mapper.map_to_tangent([0.5, 0.0])  # artanh(0.5)
    array([0.54930615, 0.        ], dtype=float32)
    """

    def __init__(self, curvature: float = -1.0) -> None:
        self.curvature = check.negative_float("curvature", curvature)

    @property
    def c(self) -> float:
        return -self.curvature

    def __repr__(self) -> str:
        return f"TangentSpaceMapper(curvature={self.curvature!r})"

    def map_to_tangent(self, x: Any) -> np.ndarray:
        """``log_0(x)`` of ball points ``x (..., d)``."""
        points = poincare.project(check.as_vectors(x, "x"), self.c)
        return np.ascontiguousarray(poincare.log_origin(points, self.c), dtype=np.float32)

    def map_from_tangent(self, v: Any) -> np.ndarray:
        """``exp_0(v)`` of tangent vectors ``v (..., d)`` (inside the ball)."""
        return np.ascontiguousarray(poincare.exp_origin(check.as_vectors(v, "v"), self.c), dtype=np.float32)
