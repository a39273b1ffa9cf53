"""The WebAssembly SIMD kernels (``wasm/attention.c``, built into ``attention.wasm``) called
from Python inside Pyodide.

Python instantiates the module itself (``WebAssembly.Module`` / ``Instance`` on the bytes,
synchronous, as workers allow), so Node workers, browser workers and JupyterLite get the
kernels with no JavaScript of ours. Pyodide 0.27 does not expose its ``WebAssembly.Memory``
(only views of it, ``HEAPU8``), so the module has a memory of its own: each operand is
copied in once and the result out once, ``TypedArray.set`` between the two memories
(about 0.03 ms per MB). Operands are laid out from ``heap_base()`` up for each call.

float32 only; every method returns None for a case it does not take (another dtype, a
layout, sizes where the copies cost more than NumPy's loop, or magnitudes where float32
scores or sums could overflow), and the caller computes with NumPy instead.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["WasmKernels", "load"]

WASM_FILE = "attention.wasm"
MIN_PRODUCT = 1 << 15
"""``batch·m·n·k`` below which NumPy's product costs less than the copies and calls."""
MIN_SOFTMAX = 1 << 12
"""Scores below which NumPy's softmax costs less than the copies and calls."""
OVERFLOW_BOUND = 2.0**126
"""Bound on a score or an unnormalised output sum: half way to float32's maximum, so that
differences of two scores stay finite too."""

_COPIER = """(module, memory) => ({
  put: (address, bytes, at) =>
    new Uint8Array(memory.buffer, at, bytes).set(module.HEAPU8.subarray(address, address + bytes)),
  get: (at, bytes, address) => module.HEAPU8.set(new Uint8Array(memory.buffer, at, bytes), address),
})"""


def load() -> WasmKernels:
    """Instantiate the kernels from the package's ``attention.wasm`` (Pyodide only)."""
    from importlib.resources import files

    import js  # type: ignore[import-not-found]  # Pyodide's modules
    import pyodide_js  # type: ignore[import-not-found]
    from pyodide.code import run_js  # type: ignore[import-not-found]
    from pyodide.ffi import to_js  # type: ignore[import-not-found]

    data = (files(__package__) / WASM_FILE).read_bytes()
    module = js.WebAssembly.Module.new(to_js(data))
    exports = js.WebAssembly.Instance.new(module, js.Object.new()).exports
    return WasmKernels(exports, run_js(_COPIER)(pyodide_js._module, exports.memory))


def _address(array: np.ndarray) -> int:
    return int(array.__array_interface__["data"][0])


class WasmKernels:
    """The module's exports with the copies around them."""

    def __init__(self, exports: Any, copier: Any) -> None:
        self._x = exports
        self._copier = copier
        self._base = int(exports.heap_base())

    def _reserve(self, *sizes: int) -> list[int]:
        """Addresses of consecutive 16-byte aligned regions of ``sizes`` bytes; grows the
        module's memory when they do not fit."""
        at, addresses = self._base, []
        for size in sizes:
            addresses.append(at)
            at += -(-size // 16) * 16
        missing = at - int(self._x.memory.buffer.byteLength)
        if missing > 0:
            self._x.memory.grow(-(-missing // 65536))
        return addresses

    def _put(self, array: np.ndarray, at: int) -> None:
        """Copy a C-contiguous array into the module's memory at ``at``."""
        self._copier.put(_address(array), array.nbytes, at)

    def _get(self, at: int, out: np.ndarray) -> np.ndarray:
        """Fill the C-contiguous ``out`` from the module's memory at ``at``."""
        self._copier.get(at, out.nbytes, _address(out))
        return out

    def max_abs(self, at: int, count: int) -> float:
        """``max |x|`` of ``count`` floats already in the module's memory."""
        return float(self._x.max_abs(count, at))

    def matmul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
        """``a @ b`` for float32 matrices, or stacks of them of one batch size (a 2-D
        operand shared by the batch); ``b`` may be a transposed view (``keys.T``), whose
        rows the module reads as stored."""
        if a.dtype != np.float32 or b.dtype != np.float32 or not (2 <= a.ndim <= 3 and 2 <= b.ndim <= 3):
            return None
        (m, k), n = a.shape[-2:], b.shape[-1]
        batch = a.shape[0] if a.ndim == 3 else (b.shape[0] if b.ndim == 3 else 1)
        if (a.ndim == 3 and a.shape[0] != batch) or (b.ndim == 3 and b.shape[0] != batch) or b.shape[-2] != k:
            return None
        if batch * m * n * k < MIN_PRODUCT:
            return None
        a = np.ascontiguousarray(a)
        transposed = not b.flags.c_contiguous and np.swapaxes(b, -1, -2).flags.c_contiguous
        rows = np.swapaxes(b, -1, -2) if transposed else np.ascontiguousarray(b)
        out = np.empty((batch, m, n) if max(a.ndim, b.ndim) == 3 else (m, n), dtype=np.float32)
        pa, pb, pc, ps = self._reserve(a.nbytes, rows.nbytes, out.nbytes, 4 * int(self._x.scratch_floats(0, k)))
        self._put(a, pa)
        self._put(rows, pb)
        a_stride, b_stride = m * k if a.ndim == 3 else 0, k * n if b.ndim == 3 else 0
        self._x.sgemm(batch, m, n, k, pa, a_stride, pb, b_stride, int(transposed), pc, 1.0, ps)
        return self._get(pc, out)

    def softmax(self, scores: np.ndarray, mask: np.ndarray | None) -> np.ndarray | None:
        """Row softmax of float32 ``scores`` ``(..., m, n)`` in place, entries where the
        ``(m, n)``-broadcastable ``mask`` is False exactly 0, rows with none visible 0."""
        if scores.dtype != np.float32 or scores.ndim < 2 or not scores.flags.c_contiguous:
            return None
        if scores.size < MIN_SOFTMAX or (mask is not None and mask.ndim > 2):
            return None
        m, n = scores.shape[-2:]
        pattern = None if mask is None else np.ascontiguousarray(np.broadcast_to(mask, (m, n))).view(np.uint8)
        ps, pm = self._reserve(scores.nbytes, 0 if pattern is None else pattern.nbytes)
        self._put(scores, ps)
        if pattern is not None:
            self._put(pattern, pm)
        self._x.softmax_rows(scores.size // (m * n), m, n, ps, 0 if pattern is None else pm, 0, 0)
        return self._get(ps, scores)

    def attention(
        self,
        queries: np.ndarray,
        keys: np.ndarray,
        values: np.ndarray,
        scale: float,
        mask: np.ndarray | None,
        causal_shift: int | None,
    ) -> np.ndarray | None:
        """The fused ``softmax(scale · Q Kᵀ) V`` of ``(m, d)``, ``(n, d)``, ``(n, dv)``
        float32 operands, or of ``(batch, ...)`` stacks of them. ``mask`` (``(m, n)``-
        broadcastable, True = attend) and ``causal_shift`` (row ``i`` sees keys
        ``j <= i + shift``) hide keys; a row that sees none gives zeros."""
        operands = (queries, keys, values)
        if any(x.dtype != np.float32 for x in operands) or len({x.ndim for x in operands}) != 1:
            return None
        if queries.ndim not in (2, 3) or (queries.ndim == 3 and len({x.shape[0] for x in operands}) != 1):
            return None
        (m, d), (n, dv) = queries.shape[-2:], values.shape[-2:]
        batch = queries.shape[0] if queries.ndim == 3 else 1
        if batch * m * n * d < MIN_PRODUCT:
            return None
        queries, keys, values = (np.ascontiguousarray(x) for x in operands)
        pattern = None if mask is None else np.ascontiguousarray(np.broadcast_to(mask, (m, n))).view(np.uint8)
        out = np.empty((*queries.shape[:-1], dv), dtype=np.float32)
        scratch = 4 * int(self._x.scratch_floats(m, d))
        pq, pk, pv, po, pm, ps = self._reserve(
            queries.nbytes, keys.nbytes, values.nbytes, out.nbytes, m * n if pattern is not None else 0, scratch
        )
        for array, at in ((queries, pq), (keys, pk), (values, pv)):
            self._put(array, at)
        score_bound = self.max_abs(pq, queries.size) * self.max_abs(pk, keys.size) * d * max(scale, 1.0)
        if not (math.isfinite(score_bound) and score_bound < OVERFLOW_BOUND and self.max_abs(pv, values.size) * n < OVERFLOW_BOUND):
            return None
        if pattern is not None:
            self._put(pattern, pm)
        causal = causal_shift is not None
        self._x.attention(
            batch, m, n, d, dv, pq, pk, pv, po, 0 if pattern is None else pm, int(causal), causal_shift or 0, scale, ps
        )
        return self._get(po, out)
