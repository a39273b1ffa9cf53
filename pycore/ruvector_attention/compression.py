"""Compression of weights and attention maps: symmetric quantisation, low rank, sparse, and
per-layer quantisation of HNSW index vectors.

>>> import numpy as np
>>> q = quantize(np.array([0.5, -1.0, 0.25]), bits=8)
>>> q.values.tolist(), round(float(q.scale) * 127, 6)
([64, -127, 32], 1.0)
>>> bool(np.abs(dequantize(q) - [0.5, -1.0, 0.25]).max() <= q.scale / 2)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _validation as check
from .errors import DimensionMismatchError, InvalidConfigError, InvalidInputError

__all__ = [
    "Quantized", "quantize", "dequantize", "low_rank", "CSR", "COO", "to_csr", "to_coo",
    "LAYER_BITS", "LayerReport", "QuantizedLayers", "quantize_layers",
]

BITS = (8, 5, 4)


@dataclass(frozen=True)
class Quantized:
    """Integers ``values`` (int8) with ``x ≈ values · scale``; ``scale`` is a float32 scalar
    (``axis=None``) or one scale per index along ``axis``."""

    values: np.ndarray
    scale: np.ndarray
    bits: int
    axis: int | None


def _axis(axis: Any, ndim: int) -> int | None:
    if axis is None:
        return None
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise InvalidConfigError(f"axis must be None or an axis of a {ndim}-D array, got {axis!r}")
    return int(axis) % ndim


def _broadcast(scale: np.ndarray, ndim: int, axis: int | None) -> np.ndarray:
    if axis is None:
        return scale
    shape = [1] * ndim
    shape[axis] = scale.shape[0]
    return scale.reshape(shape)


def quantize(x: Any, bits: int = 8, axis: int | None = None) -> Quantized:
    """Symmetric quantisation: ``scale = max|x| / (2^(bits-1) - 1)``, ``values = round(x / scale)``.

    With ``axis``, one scale per index along that axis (the max over the other axes).
    The error of :func:`dequantize` is at most ``scale / 2`` everywhere.
    """
    arr = check.as_array(x, "x")
    if bits not in BITS:
        raise InvalidConfigError(f"bits must be one of {list(BITS)}, got {bits!r}")
    if arr.size == 0:
        raise InvalidInputError("x is empty")
    axis = _axis(axis, arr.ndim)
    levels = 2 ** (bits - 1) - 1
    if axis is None:
        peak = np.abs(arr).max()
    else:
        peak = np.abs(arr).max(axis=tuple(i for i in range(arr.ndim) if i != axis))
    scale = (np.where(peak > 0, peak, 1.0) / levels).astype(np.float32)
    values = np.clip(np.rint(arr / _broadcast(scale, arr.ndim, axis)), -levels, levels).astype(np.int8)
    return Quantized(values, scale, bits, axis)


def dequantize(q: Quantized) -> np.ndarray:
    """``values · scale`` as float32."""
    return (q.values * _broadcast(q.scale, q.values.ndim, q.axis)).astype(np.float32)


def low_rank(w: Any, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """Truncated SVD: ``U (a, r) = U_r Σ_r``, ``V (r, b) = V_rᵀ`` with ``U @ V ≈ W`` (the best
    rank-r approximation in the Frobenius norm, Eckart-Young)."""
    arr = check.as_array(w, "W")
    if arr.ndim != 2 or 0 in arr.shape:
        raise InvalidInputError(f"W must be a non-empty matrix, got shape {arr.shape}")
    rank = check.positive_int("rank", rank)
    if rank > min(arr.shape):
        raise InvalidConfigError(f"rank must be at most min{arr.shape} = {min(arr.shape)}, got {rank}")
    u, s, vt = np.linalg.svd(arr.astype(np.float64), full_matrices=False)
    return (u[:, :rank] * s[:rank]).astype(np.float32), vt[:rank].astype(np.float32)


@dataclass(frozen=True)
class COO:
    """Coordinate format: ``dense[row[k], col[k]] = data[k]``."""

    data: np.ndarray
    row: np.ndarray
    col: np.ndarray
    shape: tuple[int, int]

    def to_dense(self) -> np.ndarray:
        dense = np.zeros(self.shape, dtype=np.float32)
        dense[self.row, self.col] = self.data
        return dense


@dataclass(frozen=True)
class CSR:
    """Compressed sparse rows: row ``i`` holds ``data[indptr[i]:indptr[i+1]]`` at columns
    ``indices[indptr[i]:indptr[i+1]]``."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple[int, int]

    def to_coo(self) -> COO:
        rows = np.repeat(np.arange(self.shape[0]), np.diff(self.indptr).astype(np.intp))
        return COO(self.data, rows, self.indices, self.shape)

    def to_dense(self) -> np.ndarray:
        return self.to_coo().to_dense()


def _kept(dense: Any, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    arr = check.as_array(dense, "dense")
    if arr.ndim != 2:
        raise InvalidInputError(f"dense must be a matrix, got shape {arr.shape}")
    return arr, np.abs(arr) > check.non_negative_float("threshold", threshold)


def to_coo(dense: Any, threshold: float = 0.0) -> COO:
    """The entries with ``|x| > threshold`` in row-major order."""
    arr, keep = _kept(dense, threshold)
    row, col = np.nonzero(keep)
    return COO(arr[row, col], row.astype(np.int64), col.astype(np.int64), arr.shape)


def to_csr(dense: Any, threshold: float = 0.0) -> CSR:
    """The entries with ``|x| > threshold``, row by row."""
    arr, keep = _kept(dense, threshold)
    row, col = np.nonzero(keep)
    indptr = np.concatenate([[0], np.cumsum(keep.sum(axis=1))]).astype(np.int64)
    return CSR(arr[row, col], col.astype(np.int64), indptr, arr.shape)


LAYER_BITS = (4, 5, 8)
"""Default bits of the vectors whose top HNSW layer is 0, 1 and 2 or above: the sparse upper
layers, which every search crosses, get the most."""


@dataclass(frozen=True)
class LayerReport:
    """One HNSW layer's storage: ``count`` vectors of ``bits`` bits per entry plus one float32
    scale each (``bytes``, against ``float32_bytes`` uncompressed) and the largest absolute
    error of any entry."""

    layer: int
    count: int
    bits: int
    bytes: int
    float32_bytes: int
    max_error: float


@dataclass(frozen=True)
class QuantizedLayers:
    """Vectors grouped by their top HNSW layer: ``layers[l]`` holds the rows ``indices[l]`` of
    the input, quantised with one scale per vector (``None`` for a layer no vector tops)."""

    layers: tuple[Quantized | None, ...]
    indices: tuple[np.ndarray, ...]
    report: tuple[LayerReport, ...]
    shape: tuple[int, int]

    @property
    def bytes(self) -> int:
        """Total packed bytes over all layers."""
        return sum(r.bytes for r in self.report)

    def dequantize(self) -> np.ndarray:
        """All vectors back in input order, ``(n, d)`` float32."""
        out = np.zeros(self.shape, dtype=np.float32)
        for q, rows in zip(self.layers, self.indices):
            if q is not None:
                out[rows] = dequantize(q)
        return out


def _top_layers(layers: Any, n: int) -> np.ndarray:
    arr = np.asarray(layers)
    if arr.ndim != 1 or arr.dtype.kind not in "iu" or (arr.size and arr.min() < 0):
        raise InvalidInputError(f"layers must be a vector of non-negative integer HNSW levels, got {arr.dtype} {arr.shape}")
    if len(arr) != n:
        raise DimensionMismatchError("layers must hold one level per vector", expected=n, actual=len(arr))
    return arr.astype(np.intp)


def _layer_bits(bits_per_layer: Any, count: int) -> tuple[int, ...]:
    if bits_per_layer is None:
        return tuple(LAYER_BITS[min(layer, len(LAYER_BITS) - 1)] for layer in range(count))
    bits = tuple(bits_per_layer)
    if len(bits) != count or any(b not in BITS for b in bits):
        raise InvalidConfigError(f"bits_per_layer must hold {count} values from {list(BITS)}, got {bits!r}")
    return bits


def _layer(x: np.ndarray, layer: int, bits: int) -> tuple[Quantized | None, LayerReport]:
    if not len(x):
        return None, LayerReport(layer, 0, bits, 0, 0, 0.0)
    q = quantize(x, bits, axis=0)
    packed = -(-x.size * bits // 8) + 4 * len(x)
    error = float(np.abs(dequantize(q) - x).max())
    return q, LayerReport(layer, len(x), bits, packed, 4 * x.size, error)


def quantize_layers(vectors: Any, layers: Any, bits_per_layer: Any = None) -> QuantizedLayers:
    """Hierarchical quantisation for an HNSW index (seed 004, FR-007.4): each vector is stored
    once, at the bits of its top layer ``layers[i]`` (``bits_per_layer[l]``, default 4 bits on
    layer 0, 5 on layer 1 and 8 above), with one scale per vector, so each entry's error is at
    most its vector's ``scale / 2`` (as :func:`quantize` guarantees). ``bytes`` counts the
    values packed at ``bits`` bits plus a float32 scale per vector."""
    x = check.as_matrix(vectors, "vectors")
    top = _top_layers(layers, len(x))
    bits = _layer_bits(bits_per_layer, int(top.max()) + 1)
    indices = tuple(np.flatnonzero(top == layer) for layer in range(len(bits)))
    parts = [_layer(x[rows], layer, b) for layer, (rows, b) in enumerate(zip(indices, bits))]
    return QuantizedLayers(tuple(q for q, _ in parts), indices, tuple(r for _, r in parts), x.shape)
