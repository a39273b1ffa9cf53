"""Information bottleneck: Gaussian KL terms, reparameterised sampling, compressed weights."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validation as check
from ..errors import DimensionMismatchError

__all__ = ["DiagonalGaussian", "KLDivergence", "InformationBottleneck", "compress_weights"]


@dataclass(frozen=True)
class DiagonalGaussian:
    """``N(mean, diag(exp(log_var)))``."""

    mean: np.ndarray
    log_var: np.ndarray

    def __post_init__(self) -> None:
        mean = check.as_array(self.mean, "mean").astype(np.float64)
        log_var = check.as_array(self.log_var, "log_var").astype(np.float64)
        if mean.shape != log_var.shape:
            raise DimensionMismatchError("mean and log_var must have one shape", expected=list(mean.shape), actual=list(log_var.shape))
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "log_var", log_var)


def _distributions(p: Any, q: Any) -> tuple[np.ndarray, np.ndarray]:
    a = check.as_vector(p, "p").astype(np.float64)
    b = check.as_vector(q, "q", size=a.size).astype(np.float64)
    return a / a.sum(), b / b.sum()


class KLDivergence:
    """Kullback-Leibler divergences (natural log).

    >>> round(KLDivergence.jensen_shannon([1, 0], [0, 1]), 6)   # log 2
    0.693147
    """

    @staticmethod
    def gaussian_to_unit(g: DiagonalGaussian) -> float:
        """``KL(N(μ, σ²) ‖ N(0, I)) = ½ Σ (σ² + μ² - 1 - log σ²)``."""
        return float(0.5 * np.sum(np.exp(g.log_var) + g.mean**2 - 1.0 - g.log_var))

    @staticmethod
    def categorical(p: Any, q: Any) -> float:
        """``Σ p log(p / q)``; terms with ``p = 0`` are 0 (``inf`` if ``q = 0 < p``)."""
        a, b = _distributions(p, q)
        support = a > 0
        with np.errstate(divide="ignore"):
            return float(np.sum(a[support] * (np.log(a[support]) - np.log(b[support]))))

    @classmethod
    def jensen_shannon(cls, p: Any, q: Any) -> float:
        """``½ KL(p ‖ m) + ½ KL(q ‖ m)`` with ``m = (p + q)/2``."""
        a, b = _distributions(p, q)
        m = (a + b) / 2
        return 0.5 * cls.categorical(a, m) + 0.5 * cls.categorical(b, m)


def compress_weights(weights: np.ndarray, strength: float) -> np.ndarray:
    """The IB trade-off ``argmin_q KL(q ‖ w) + β KL(q ‖ uniform)`` has the closed form
    ``q ∝ w^{1/(1+β)}``; here ``strength = 1/(1+β)`` (per row, zero rows stay zero)."""
    with np.errstate(divide="ignore"):
        logs = np.where(weights > 0, np.log(np.where(weights > 0, weights, 1.0)) * strength, -np.inf)
    shift = np.max(logs, axis=-1, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0.0)
    e = np.exp(logs - shift)
    total = e.sum(axis=-1, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


def kl_to_uniform(weights: np.ndarray) -> np.ndarray:
    """``KL(w ‖ uniform) = log n - H(w)`` per row."""
    n = weights.shape[-1]
    safe = np.where(weights > 0, weights, 1.0)
    return np.log(n) + np.sum(weights * np.log(safe), axis=-1)


class InformationBottleneck:
    """Variational information bottleneck helpers (Alemi et al.)."""

    def __init__(self, beta: float = 0.1, z_dim: int = 64, anneal_steps: int = 1000) -> None:
        self.beta = check.non_negative_float("beta", beta)
        self.z_dim = check.positive_int("z_dim", z_dim)
        self.anneal_steps = check.non_negative_int("anneal_steps", anneal_steps)

    def sample(self, mean: Any, log_var: Any, eps: Any) -> np.ndarray:
        """Reparameterised sample ``mean + exp(log_var / 2) · eps``."""
        g = DiagonalGaussian(mean, log_var)
        noise = check.as_array(eps, "eps").astype(np.float64)
        if noise.shape != g.mean.shape:
            raise DimensionMismatchError("eps must have the shape of mean", expected=list(g.mean.shape), actual=list(noise.shape))
        return (g.mean + np.exp(g.log_var / 2) * noise).astype(np.float32)

    def compute_kl_loss(self, mean: Any, log_var: Any, step: int | None = None) -> float:
        """``β · min(1, step / anneal_steps) · KL(N(mean, e^log_var) ‖ N(0, I))``; ``step=None``
        (or no annealing) applies the full ``β``."""
        weight = self.beta
        if step is not None and self.anneal_steps:
            weight *= min(1.0, check.non_negative_int("step", step) / self.anneal_steps)
        return weight * KLDivergence.gaussian_to_unit(DiagonalGaussian(mean, log_var))

    def compress_attention_weights(self, weights: Any, temperature: float = 1.0) -> tuple[np.ndarray, float]:
        """``q ∝ w^{1/(T(1+β))}``: larger ``β`` (or ``T``) moves the weights toward uniform.
        Returns ``(q, KL(q ‖ uniform))`` (the mean KL over rows for a matrix)."""
        w = check.as_array(weights, "weights").astype(np.float64)
        t = check.positive_float("temperature", temperature)
        q = compress_weights(w, 1.0 / (t * (1.0 + self.beta)))
        return q.astype(np.float32), float(np.mean(kl_to_uniform(q)))
