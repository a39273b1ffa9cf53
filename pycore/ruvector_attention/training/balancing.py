"""Multi-objective loss balancing (seed 004, FR-006.3): fixed weights, uncertainty weighting
and GradNorm.

Each balancer combines ``T`` task losses ``L_i`` into one loss ``L = Σ_i w_i L_i`` and returns
a :class:`Balanced`: the combined ``loss``, the ``grad`` of the balancer's own objective
w.r.t. its own parameters (for an optimizer step on them), and the per-loss ``weights``
``w_i = ∂L/∂L_i``, so that the shared parameters' gradient is ``Σ_i w_i ∇L_i``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .. import _validation as check
from ..errors import DimensionMismatchError, InvalidInputError

__all__ = ["Balanced", "fixed_weights", "gradnorm", "normalize_weights", "uncertainty_weighting"]


class Balanced(NamedTuple):
    """``loss``: the combined ``Σ_i w_i L_i`` (plus the uncertainty terms);
    ``grad``: ``∂ objective / ∂ own parameters``, ``(T,)``; ``weights``: ``w_i = ∂ loss / ∂ L_i``;
    ``objective``: the value whose gradient ``grad`` is (``loss`` except for GradNorm)."""

    loss: float
    grad: np.ndarray
    weights: np.ndarray
    objective: float


def _losses(losses: Any) -> np.ndarray:
    return check.as_vector(losses, "losses").astype(np.float64)


def _per_task(value: Any, name: str, count: int) -> np.ndarray:
    return check.as_vector(value, name, size=count).astype(np.float64)


def _balanced(loss: float, grad: np.ndarray, weights: np.ndarray, objective: float) -> Balanced:
    return Balanced(float(loss), grad.astype(np.float32), weights.astype(np.float32), float(objective))


def fixed_weights(losses: Any, weights: Any = None) -> Balanced:
    """``L = Σ_i w_i L_i`` with constant ``w`` (default all 1); ``grad = ∂L/∂w = (L_i)``."""
    ls = _losses(losses)
    w = np.ones_like(ls) if weights is None else _per_task(weights, "weights", len(ls))
    loss = float(w @ ls)
    return _balanced(loss, ls, w, loss)


def uncertainty_weighting(losses: Any, log_vars: Any) -> Balanced:
    """Kendall, Gal & Cipolla (2018) in its common form with learned log-variances
    ``s_i = log σ_i²``: ``L = Σ_i exp(-s_i) L_i + s_i``, so ``w_i = exp(-s_i)`` and
    ``∂L/∂s_i = 1 - exp(-s_i) L_i`` (zero at ``s_i = log L_i``: each loss is scaled by the
    inverse of its own size)."""
    ls = _losses(losses)
    s = _per_task(log_vars, "log_vars", len(ls))
    w = np.exp(-s)
    loss = float(w @ ls + s.sum())
    return _balanced(loss, 1.0 - w * ls, w, loss)


def gradnorm(
    losses: Any, initial_losses: Any, weights: Any, shared_grads: Any, alpha: float = 1.5
) -> Balanced:
    """GradNorm (Chen et al. 2018) on task weights ``w``, given each task's gradient
    ``g_i = ∇_W L_i`` on the shared parameters ``W`` (rows of ``shared_grads (T, P)``).

    ``G_i = |w_i g_i|``, ``Ḡ = mean_i G_i``, the relative inverse training rate
    ``r_i = L̃_i / mean_j L̃_j`` with ``L̃_i = L_i / L_i(0)``, and the objective
    ``L_grad = Σ_i |G_i - Ḡ r_i^α|`` (``r_i = 1`` when every loss is 0) with the target ``Ḡ r_i^α`` held constant, so
    ``∂L_grad/∂w_i = sign(G_i - Ḡ r_i^α) |g_i|``. After a step on ``w``, renormalise with
    :func:`normalize_weights` (``Σ_i w_i = T``). ``loss`` is ``Σ_i w_i L_i``."""
    ls = _losses(losses)
    initial = _per_task(initial_losses, "initial_losses", len(ls))
    if np.any(initial <= 0):
        raise InvalidInputError("initial_losses must be positive")
    w = _per_task(weights, "weights", len(ls))
    g = check.as_matrix(shared_grads, "shared_grads").astype(np.float64)
    if len(g) != len(ls):
        raise DimensionMismatchError("shared_grads must have one row per loss", expected=len(ls), actual=len(g))
    alpha = check.non_negative_float("alpha", alpha)
    norms = np.linalg.norm(g, axis=1)
    scaled = w * norms
    ratio = ls / initial
    rate = ratio / ratio.mean() if ratio.mean() > 0 else np.ones_like(ratio)
    target = scaled.mean() * rate**alpha
    gap = scaled - target
    return _balanced(w @ ls, np.sign(gap) * norms, w, np.abs(gap).sum())


def normalize_weights(weights: Any) -> np.ndarray:
    """``w · T / Σ_i w_i`` (GradNorm's renormalisation), with negative weights clipped to 0."""
    w = np.maximum(check.as_vector(weights, "weights").astype(np.float64), 0.0)
    total = w.sum()
    if total <= 0:
        raise InvalidInputError("weights must have a positive sum")
    return (w * len(w) / total).astype(np.float32)
