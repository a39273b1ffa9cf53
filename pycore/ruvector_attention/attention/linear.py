"""Linear attention: Performer FAVOR+ positive orthogonal random features (or ELU+1)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .. import limits
from .._validation import non_negative_int, one_of, positive_int
from ..base import DifferentiableAttention, Gradients
from ..config import AttentionConfig, spec
from ..context import CallContext
from ..kernels.masking import Visibility
from ..kernels.numeric import matmul
from ..kernels.softmax import masked_softmax, normalize_rows
from ..registry import register

__all__ = ["LinearAttention", "LinearConfig", "orthogonal_gaussian"]


@dataclass(frozen=True)
class LinearConfig(AttentionConfig):
    dim: int = spec(positive_int)
    num_features: int = spec(positive_int, 256)
    kernel: str = spec(one_of("favor+", "elu"), "favor+")
    seed: int = spec(non_negative_int, 0)

    def state_bytes(self) -> int:
        return 3 * 8 * self.num_features * self.dim if self.kernel == "favor+" else 0  # QR blocks, norms


def orthogonal_gaussian(rows: int, cols: int, rng: np.random.Generator) -> np.ndarray:
    """``rows`` Gaussian directions in R^cols, orthogonal within each block of ``cols``.

    Each block is the Q of a QR factorisation (signs fixed by ``diag(R) > 0`` so the
    result does not depend on the LAPACK build); rows are rescaled to chi(cols)-distributed
    norms so that marginally each row is ``N(0, I)`` (Choromanski et al., 2021).
    """
    blocks = []
    for _ in range(math.ceil(rows / cols)):
        q, r = np.linalg.qr(rng.standard_normal((cols, cols)))
        blocks.append((q * np.sign(np.diag(r))).T)
    directions = np.concatenate(blocks)[:rows]
    norms = np.linalg.norm(rng.standard_normal((rows, cols)), axis=1, keepdims=True)
    return directions * norms


def _visible_only(kernel: np.ndarray, vis: Visibility) -> np.ndarray:
    """The kernel matrix with entries of keys a query may not see set to 0 (in place)."""
    pattern = vis.dense()
    if pattern is not None:
        kernel *= pattern
    return kernel


@register("linear")
class LinearAttention(DifferentiableAttention):
    r"""Linear-time attention with a random-feature estimate of the softmax kernel.

    FAVOR+: with ``x' = x / d^{1/4}`` and orthogonal Gaussian rows ``w_i``,

    .. math:: \phi(x) = \frac{1}{\sqrt r}\exp\big(W x' - |x'|^2/2\big),\qquad
              \mathbb E[\phi(q)\cdot\phi(k)] = \exp(q\cdot k/\sqrt d)

    and ``out = φ(q)ᵀ Σ_j φ(k_j) v_jᵀ / φ(q)ᵀ Σ_j φ(k_j)``, in ``O(n·r·d)``. Exponents are
    shifted by their maximum (per query, and once over all keys) before ``exp``; the
    shifts cancel in the ratio, so unit-scale inputs give finite, useful estimates.
    ``kernel="elu"`` uses ``φ(x) = elu(x) + 1``. With a mask or causal order the
    ``(m, n)`` kernel matrix is formed instead.
    """

    Config = LinearConfig
    config: LinearConfig
    complexity = "O(n)"

    def _row_bytes(self, n: int, dv: int) -> int:
        """Per query row: its features, and the ``(m, n)`` kernel rows on the masked path."""
        return self._feature_bytes + 8 * (4 * n + 2 * dv)

    @property
    def _feature_bytes(self) -> int:
        """Working bytes of one row's random features (exponents, shifted copy, exp)."""
        return 8 * 6 * self.config.num_features

    def _setup(self) -> None:
        if self.config.kernel == "favor+":
            self._projection = orthogonal_gaussian(self.config.num_features, self.config.dim, self._rng)

    def _log_features(self, x: np.ndarray) -> np.ndarray:
        """``log φ(x)`` up to the ``1/√r`` factor, float64: the FAVOR+ exponents
        ``W x' - |x'|²/2``, or ``log(elu(x) + 1)``."""
        x = x.astype(np.float64)
        if self.config.kernel == "elu":
            return np.where(x > 0, np.log1p(np.maximum(x, 0.0)), x)
        x = x / self.config.dim**0.25
        return x @ self._projection.T - 0.5 * np.sum(x * x, axis=1, keepdims=True)

    def _features(self, x: np.ndarray, *, per_row_shift: bool, shift: float | None = None) -> np.ndarray:
        """``φ(x)``; FAVOR+ exponents shifted by their maximum per row, or over all rows
        (or by a given ``shift``): the shifts cancel in the weights' ratio."""
        exponent = self._log_features(x)
        if self.config.kernel == "elu":
            return np.exp(exponent)
        if shift is None:
            shift = exponent.max(axis=1, keepdims=True) if per_row_shift else exponent.max()
        return np.exp(exponent - shift) / math.sqrt(self.config.num_features)

    def _key_feature_blocks(self, keys: np.ndarray) -> Iterator[tuple[int, int, np.ndarray]]:
        """``(start, stop, φ(k_start:stop))`` over blocks of keys whose features fit
        ``ra.MAX_WORK_BYTES``; several blocks share the global shift (a first pass finds it)."""
        n = len(keys)
        size = limits.block_rows(n, self._feature_bytes, "the random features of one key")
        blocks = [(start, min(start + size, n)) for start in range(0, n, size)]
        shift = None
        if len(blocks) > 1 and self.config.kernel == "favor+":
            shift = max(float(self._log_features(keys[a:b]).max()) for a, b in blocks)
        for a, b in blocks:
            yield a, b, self._features(keys[a:b], per_row_shift=False, shift=shift)

    def _key_summary(self, keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``Σ_j φ(k_j) v_jᵀ`` ``(r, dv)`` and ``Σ_j φ(k_j)`` ``(r,)``."""
        key_values, key_sum = 0.0, 0.0
        for a, b, phi in self._key_feature_blocks(keys):
            key_values = key_values + matmul(phi.T, values[a:b])
            key_sum = key_sum + phi.sum(axis=0)
        return key_values, key_sum

    def _kernel_matrix(self, queries: np.ndarray, keys: np.ndarray, vis: Visibility) -> np.ndarray:
        """The masked ``(m, n)`` kernel matrix ``φ(Q) φ(K)ᵀ``, keys in blocks."""
        phi_q = self._features(queries, per_row_shift=True)
        kernel = np.empty((len(queries), len(keys)))
        for a, b, phi in self._key_feature_blocks(keys):
            kernel[:, a:b] = phi_q @ phi.T
        return _visible_only(kernel, vis)

    def _log_kernel_weights(self, queries: np.ndarray, keys: np.ndarray, visible: np.ndarray) -> np.ndarray:
        """The weights ``φ(q)·φ(k_j) / Σ_j φ(q)·φ(k_j)`` computed from ``log φ`` (a log-sum-exp
        over features per key, in blocks of keys): exact where the shifted features of every
        visible key underflow to 0 (inputs of very different magnitudes)."""
        log_q, log_k = self._log_features(queries), self._log_features(keys)
        log_kernel = np.empty((len(queries), len(keys)))
        block = max(1, (1 << 20) // max(1, len(queries) * log_q.shape[1]))
        for start in range(0, len(keys), block):
            terms = log_q[:, None, :] + log_k[None, start : start + block, :]
            top = terms.max(axis=2)
            log_kernel[:, start : start + block] = top + np.log(np.exp(terms - top[..., None]).sum(axis=2))
        return masked_softmax(log_kernel, visible)

    def _features_backward(self, x: np.ndarray, phi: np.ndarray, grad_phi: np.ndarray) -> np.ndarray:
        """``d loss / d x`` from ``d loss / d φ(x)``. The max-shifts scale whole rows (queries)
        or everything (keys), which the row normalisation cancels, so they carry no gradient."""
        x = x.astype(np.float64)
        if self.config.kernel == "elu":
            return grad_phi * np.where(x > 0, 1.0, phi)
        root = self.config.dim**0.25
        weighted = grad_phi * phi  # dφ_i/dx = φ_i (w_i - x') / d^(1/4)
        return (weighted @ self._projection - weighted.sum(axis=1, keepdims=True) * (x / root)) / root

    def _weights(self, queries: np.ndarray, keys: np.ndarray, ctx: CallContext) -> np.ndarray:
        weights = normalize_rows(self._kernel_matrix(queries, keys, ctx.vis))
        underflowed = (weights.sum(axis=1) == 0) & ctx.vis.pattern().any(axis=1)
        if underflowed.any():
            weights[underflowed] = self._log_kernel_weights(
                queries[underflowed], keys, ctx.vis.pattern()[underflowed]
            )
        return weights

    def _backward(self, queries, keys, values, ctx, grad_output) -> Gradients:  # typed in the base class
        # backward needs every key's features at once
        limits.check_bytes(self._feature_bytes * len(keys), "the random features of the keys")
        phi_q = self._features(queries, per_row_shift=True)
        phi_k = self._features(keys, per_row_shift=False)
        kernel = _visible_only(phi_q @ phi_k.T, ctx.vis)
        total = kernel.sum(axis=1, keepdims=True)
        weights = np.divide(kernel, total, out=np.zeros_like(kernel), where=total > 0)
        grad_output = grad_output.astype(np.float64)
        grad_weights = grad_output @ values.T
        inner = np.sum(grad_weights * weights, axis=1, keepdims=True)
        grad_kernel = np.divide(grad_weights - inner, total, out=np.zeros_like(kernel), where=total > 0)
        pattern = ctx.vis.dense()
        if pattern is not None:
            grad_kernel *= pattern
        return Gradients(
            query=self._features_backward(queries, phi_q, grad_kernel @ phi_k),
            keys=self._features_backward(keys, phi_k, grad_kernel.T @ phi_q),
            values=weights.T @ grad_output,
            params={},
        )

    def _forward(
        self, queries: np.ndarray, keys: np.ndarray, values: np.ndarray, ctx: CallContext
    ) -> np.ndarray:
        if not ctx.vis.is_full:
            return self._weights(queries, keys, ctx) @ values
        phi_q = self._features(queries, per_row_shift=True)
        key_values, key_sum = self._key_summary(keys, values)
        numerator = matmul(phi_q, key_values)
        denominator = phi_q @ key_sum[:, None]
        out = np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)
        underflowed = denominator[:, 0] == 0
        if underflowed.any():
            visible = np.ones((int(underflowed.sum()), len(keys)), dtype=bool)
            out[underflowed] = matmul(self._log_kernel_weights(queries[underflowed], keys, visible), values)
        return out
