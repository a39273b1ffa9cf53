"""Per-component quantisation of product-space vectors: 8-bit Euclidean, 5-bit curved parts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validation as check
from ..compression import BITS, Quantized, dequantize, quantize
from ..errors import DimensionMismatchError, InvalidConfigError

__all__ = ["ComponentQuantizer", "QuantizedComponents"]


@dataclass(frozen=True)
class QuantizedComponents:
    """One :class:`~ruvector_attention.compression.Quantized` per non-empty component
    (Euclidean, hyperbolic, spherical order), each with one scale per row."""

    parts: tuple[Quantized, ...]

    @property
    def nbytes(self) -> int:
        return sum(p.values.nbytes + p.scale.nbytes for p in self.parts)


class ComponentQuantizer:
    r"""Symmetric per-row quantisation of the ``[E | H | S]`` slices of ``(rows, d)`` vectors
    with ``euclidean_bits`` for E and ``curved_bits`` for H and S (default 8 / 5):

    .. math:: s = \max_i |x_i| / (2^{b-1} - 1),\qquad \hat x_i = s\,\mathrm{round}(x_i / s),
              \qquad |x_i - \hat x_i| \le s / 2

    per row and component, so each slice keeps its own dynamic range.

    >>> cq = ComponentQuantizer(2, 1, 1)
    >>> cq.roundtrip([[1.0, -0.5, 0.3, 0.2]]).round(3)
    array([[ 1.  , -0.504,  0.3  ,  0.2  ]], dtype=float32)
    """

    def __init__(
        self, euclidean_dim: int, hyperbolic_dim: int, spherical_dim: int, euclidean_bits: int = 8, curved_bits: int = 5
    ) -> None:
        dims = (
            check.non_negative_int("euclidean_dim", euclidean_dim),
            check.non_negative_int("hyperbolic_dim", hyperbolic_dim),
            check.non_negative_int("spherical_dim", spherical_dim),
        )
        for name, bits in (("euclidean_bits", euclidean_bits), ("curved_bits", curved_bits)):
            if bits not in BITS:
                raise InvalidConfigError(f"{name} must be one of {list(BITS)}, got {bits!r}")
        self.bits = (euclidean_bits, curved_bits, curved_bits)
        self.dim = sum(dims)
        starts = np.cumsum([0, *dims])
        self._components = [
            (slice(int(starts[i]), int(starts[i + 1])), self.bits[i]) for i in range(3) if dims[i]
        ]

    def quantize(self, x: Any) -> QuantizedComponents:
        """Codes and per-row scales of each component of ``x (rows, d)``."""
        arr = check.as_matrix(x, "x", cols=self.dim)
        return QuantizedComponents(tuple(quantize(arr[:, part], bits, axis=0) for part, bits in self._components))

    def dequantize(self, q: QuantizedComponents) -> np.ndarray:
        """The float32 ``(rows, d)`` reconstruction."""
        if len(q.parts) != len(self._components):
            raise DimensionMismatchError(
                f"expected {len(self._components)} quantized components, got {len(q.parts)}",
                expected=len(self._components),
                actual=len(q.parts),
            )
        return np.ascontiguousarray(np.concatenate([dequantize(p) for p in q.parts], axis=1))

    def roundtrip(self, x: Any) -> np.ndarray:
        """``dequantize(quantize(x))``."""
        return self.dequantize(self.quantize(x))

    def error_bound(self, q: QuantizedComponents) -> np.ndarray:
        """The per-entry bound ``s / 2`` on ``|x - dequantize(q)|``, ``(rows, d)``."""
        return np.concatenate([np.repeat(p.scale[:, None] / 2, p.values.shape[1], axis=1) for p in q.parts], axis=1)
