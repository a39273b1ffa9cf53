"""Arithmetic that stays finite for every finite float32 input.

Float32 products of large inputs overflow (``1e20 · 1e20``) although the quantities
attention needs from them (softmax weights, convex combinations of values) are finite.
The kernels here compute in float32 and, only when that overflowed, once more in float64,
whose range holds every product and sum of float32 numbers (``d · 3.4e38² ≈ 1.2e77 · d``).
Results that are mathematically beyond float32's range are saturated when they leave the
package (:func:`to_float32`).
"""

from __future__ import annotations

import math
import sys

import numpy as np

from .backend import wasm_kernels

__all__ = ["FLOAT32_MAX", "aligned_copy", "all_finite", "finite", "matmul", "narrow", "product", "to_float32"]

FLOAT32_MAX = float(np.finfo(np.float32).max)
CACHE_LINE = 64

EINSUM_PRODUCTS = sys.platform == "emscripten"
"""Pyodide's NumPy has no BLAS: there ``einsum``'s loops multiply matrices 1.3-4x faster
than ``@`` (``(1, 1000) @ (1000, 128)``: 0.14 ms against 0.46); natively BLAS wins."""
EINSUM_MAX_ITERATION = int(np.iinfo(np.intp).max)
"""``einsum`` iterates over ``batch · m · k · n`` entries with an ``intp`` counter (32 bits
in Pyodide): a larger product is split into blocks of rows."""


def all_finite(x: np.ndarray) -> bool:
    """True when ``x`` holds no NaN or ±Inf and its sum fits: one pairwise sum (NaN and Inf
    propagate). Entries so large that their sum overflows also give False, which sends the
    caller to its float64 path: that headroom keeps later sums of them finite too."""
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(np.add.reduce(x, axis=None)))


def finite(x: np.ndarray) -> bool:
    """Exactly whether ``x`` holds no NaN or ±Inf: the wasm kernels' SIMD test where they
    take ``x``, else :func:`all_finite` and, only if that says no, the exact ``min``/``max``.

    >>> finite(np.array([3e38, 3e38], dtype=np.float32)), finite(np.array([1.0, np.nan]))
    (True, False)
    """
    kernels = wasm_kernels()
    if kernels is not None and (known := kernels.all_finite(x)) is not None:
        return known
    return x.size == 0 or all_finite(x) or bool(np.isfinite(x.min()) and np.isfinite(x.max()))


def product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` (matrices, with leading batch axes) through the platform's fastest loop: the
    wasm GEMM (float32 or float64) where that backend is active (:mod:`.backend`), else NumPy's.

    >>> product(np.eye(2, dtype=np.float32), np.ones((2, 3), dtype=np.float32)).shape
    (2, 3)
    """
    kernels = wasm_kernels()
    if kernels is not None and (out := kernels.matmul(a, b)) is not None:
        return out
    if not (EINSUM_PRODUCTS and a.ndim >= 2 and b.ndim >= 2):
        return a @ b
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    per_row = math.prod(batch) * a.shape[-1] * b.shape[-1]
    m = a.shape[-2]
    if per_row * m <= EINSUM_MAX_ITERATION:
        return np.einsum("...mk,...kn->...mn", a, b)
    if per_row > EINSUM_MAX_ITERATION:
        return a @ b
    out = np.empty((*batch, m, b.shape[-1]), dtype=np.result_type(a, b))
    rows = EINSUM_MAX_ITERATION // per_row
    for start in range(0, m, rows):
        np.einsum("...mk,...kn->...mn", a[..., start : start + rows, :], b, out=out[..., start : start + rows, :])
    return out


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b``: float32 when it fits, else recomputed in float64 (exact products of float32).

    >>> big = np.full((1, 2), 1e20, dtype=np.float32)
    >>> matmul(big, big.T).dtype, float(matmul(big, big.T)[0, 0])
    (dtype('float64'), 2.0000000801635102e+40)
    """
    with np.errstate(over="ignore", invalid="ignore"):
        out = product(a, b)
    if out.dtype == np.float64 or all_finite(out):
        return out
    return product(a.astype(np.float64), b.astype(np.float64))


def narrow(x: np.ndarray) -> np.ndarray:
    """``x`` as float32 when every entry fits (the fast kernels' dtype), else unchanged.

    >>> narrow(np.array([1.0, 2.0])).dtype, narrow(np.array([1.0, 1e39])).dtype
    (dtype('float32'), dtype('float64'))
    """
    with np.errstate(over="ignore"):
        small = x.astype(np.float32)
    return small if finite(small) else x


def aligned_copy(x: np.ndarray) -> np.ndarray:
    """A C-contiguous copy of ``x`` whose data starts on a 64-byte boundary (a cache line),
    for operands kept and read many times: the wasm SIMD kernels read 10 MB of keys and
    values about 1.4x faster from there than from 8 bytes off (NumPy's alignment in Pyodide).

    >>> aligned_copy(np.arange(3, dtype=np.float32)).__array_interface__["data"][0] % 64
    0
    """
    raw = np.empty(x.nbytes + CACHE_LINE, dtype=np.uint8)
    start = -int(raw.__array_interface__["data"][0]) % CACHE_LINE
    out = raw[start : start + x.nbytes].view(x.dtype).reshape(x.shape)
    out[...] = x
    return out


def to_float32(x: np.ndarray) -> np.ndarray:
    """A C-contiguous float32 copy or view of ``x``, saturating values beyond float32's range
    (a convex combination of float32 values can exceed it only by rounding).

    >>> to_float32(np.array([1e39, -1e39, 1.5]))
    array([ 3.4028235e+38, -3.4028235e+38,  1.5000000e+00], dtype=float32)
    """
    if x.dtype != np.float32:
        x = np.clip(x, -FLOAT32_MAX, FLOAT32_MAX)
    return np.ascontiguousarray(x, dtype=np.float32)
