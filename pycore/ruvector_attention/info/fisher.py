"""Information geometry of the probability simplex: the Fisher metric and natural gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validation as check
from ..errors import DimensionMismatchError
from ..kernels.softmax import masked_softmax

__all__ = ["FisherMetric", "NaturalGradient"]


def _pair(probs: Any, v: Any, name: str) -> tuple[np.ndarray, np.ndarray]:
    p = check.as_vector(probs, "probs").astype(np.float64)
    x = check.as_vector(v, name).astype(np.float64)
    if x.shape != p.shape:
        raise DimensionMismatchError(f"{name} must have {p.size} values", expected=p.size, actual=x.size)
    return p, x


class FisherMetric:
    """The Fisher information of a categorical distribution in logit coordinates,
    ``F = diag(p) - p pᵀ`` (singular along the all-ones direction).

    >>> FisherMetric().apply([0.5, 0.5], [1.0, 0.0]).tolist()
    [0.25, -0.25]
    """

    def __init__(self, eps: float = 1e-8, max_cg_iters: int = 50, cg_tol: float = 1e-6) -> None:
        self.eps = check.positive_float("eps", eps)
        self.max_cg_iters = check.positive_int("max_cg_iters", max_cg_iters)
        self.cg_tol = check.positive_float("cg_tol", cg_tol)

    def apply(self, probs: Any, v: Any) -> np.ndarray:
        """``F v = diag(p) v - p (p·v)``."""
        p, x = _pair(probs, v, "v")
        return (p * x - p * (p @ x)).astype(np.float32)

    def solve(self, probs: Any, g: Any) -> np.ndarray:
        """Conjugate-gradient solution of ``(F + eps I) x = g`` on the tangent space of the
        simplex (``g`` is first projected to sum zero, the range of ``F``); stops when the
        residual is below ``cg_tol · |g|`` or after ``max_cg_iters`` iterations."""
        p, b = _pair(probs, g, "g")
        b = b - b.mean()
        x = np.zeros_like(b)
        r = b.copy()
        d = r.copy()
        rr = r @ r
        for _ in range(self.max_cg_iters):
            if np.sqrt(rr) <= self.cg_tol * max(np.linalg.norm(b), 1e-30):
                break
            fd = p * d - p * (p @ d) + self.eps * d
            step = rr / (d @ fd)
            x += step * d
            r -= step * fd
            rr, previous = r @ r, rr
            d = r + (rr / previous) * d
        return (x - x.mean()).astype(np.float32)


class NaturalGradient:
    """Natural-gradient steps on logits: ``z ← z - lr · F(softmax z)⁻¹ g`` (or, with
    ``use_diagonal``, ``g / (p (1 - p) + eps)``)."""

    def __init__(self, lr: float = 0.1, use_diagonal: bool = False, fisher: FisherMetric | None = None) -> None:
        self.lr = check.positive_float("lr", lr)
        self.use_diagonal = check.boolean("use_diagonal", use_diagonal)
        self.fisher = fisher if fisher is not None else FisherMetric()

    def step_logits(self, logits: Any, grad: Any) -> np.ndarray:
        z, g = _pair(logits, grad, "grad")
        p = masked_softmax(z[None, :].copy())[0]
        if self.use_diagonal:
            direction = g / (p * (1 - p) + self.fisher.eps)
        else:
            direction = self.fisher.solve(p, g).astype(np.float64)
        return (z - self.lr * direction).astype(np.float32)
