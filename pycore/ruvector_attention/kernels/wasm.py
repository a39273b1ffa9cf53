"""The WebAssembly SIMD kernels (``wasm/attention.c``, built into ``attention.wasm``) called
from Python inside Pyodide.

Python instantiates the module itself (``WebAssembly.Module`` / ``Instance`` on the bytes,
synchronous, as workers allow), so Node workers, browser workers and JupyterLite get the
kernels with no JavaScript of ours. Pyodide 0.27 does not expose its ``WebAssembly.Memory``
(only views of it, ``HEAPU8``), so the module has a memory of its own: each operand is
copied in once and the result out once, ``TypedArray.set`` between the two memories
(about 0.03 ms per MB). Immutable keys and values (read-only arrays that own their data,
as the JS bridge's uploaded matrices are) are copied on their first use only and kept
while they live; each call's other operands are laid out above them.

float32 only; every method returns None for a case it does not take (another dtype, a
layout, sizes where the copies cost more than NumPy's loop, or magnitudes where float32
scores or sums could overflow), and the caller computes with NumPy instead.
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import numpy as np

__all__ = ["WasmKernels", "load"]

WASM_FILE = "attention.wasm"
MIN_PRODUCT = 1 << 15
"""``batch·m·n·k`` below which NumPy's product costs less than the copies and calls."""
MIN_SOFTMAX = 1 << 12
"""Scores below which NumPy's softmax costs less than the copies and calls."""
KEPT_BYTES = 1 << 26
"""Most bytes of immutable operands kept in the module's memory between calls."""
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
        self._kept: dict[int, tuple[weakref.ref[np.ndarray], int, float]] = {}
        self._kept_end = self._base
        self._stale = False
        self._size = int(exports.memory.buffer.byteLength)  # grows only through _grow_to

    def _grow_to(self, end: int) -> None:
        if end > self._size:
            pages = -(-(end - self._size) // 65536)
            self._x.memory.grow(pages)
            self._size += pages * 65536

    def _reserve(self, *sizes: int) -> list[int]:
        """Addresses of consecutive 16-byte aligned regions of ``sizes`` bytes above the
        kept operands; grows the module's memory when they do not fit."""
        at, addresses = self._kept_end, []
        for size in sizes:
            addresses.append(at)
            at += -(-size // 16) * 16
        self._grow_to(at)
        return addresses

    def _forget(self, _: object = None) -> None:
        """A kept operand died: drop them all when the next call starts (not during a call,
        whose operands may lie above them)."""
        self._stale = True

    def _start(self) -> None:
        if self._stale:
            self._kept.clear()
            self._kept_end, self._stale = self._base, False

    def _keep(self, array: np.ndarray) -> tuple[int, float] | None:
        """Address and ``max |x|`` of an immutable C-contiguous array (read-only, owning its
        data) in the module's memory, copied there on its first use; None for others."""
        if array.flags.writeable or array.base is not None or not array.flags.c_contiguous:
            return None
        hit = self._kept.get(id(array))
        if hit is not None and hit[0]() is array:
            return hit[1], hit[2]
        at, size = self._kept_end, -(-array.nbytes // 16) * 16
        if at + size - self._base > KEPT_BYTES:
            return None
        self._grow_to(at + size)
        self._put(array, at)
        self._kept[id(array)] = (weakref.ref(array, self._forget), at, self.max_abs(at, array.size))
        self._kept_end = at + size
        return at, self._kept[id(array)][2]

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
        self._start()
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
        self._start()
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
        self._start()
        queries, keys, values = (np.ascontiguousarray(x) for x in operands)
        kept = [self._keep(keys), self._keep(values)]
        pattern = None if mask is None else np.ascontiguousarray(np.broadcast_to(mask, (m, n))).view(np.uint8)
        out = np.empty((*queries.shape[:-1], dv), dtype=np.float32)
        scratch = 4 * int(self._x.scratch_floats(m, d))
        pq, pk, pv, po, pm, ps = self._reserve(
            queries.nbytes, 0 if kept[0] else keys.nbytes, 0 if kept[1] else values.nbytes, out.nbytes,
            m * n if pattern is not None else 0, scratch,
        )
        self._put(queries, pq)
        placed = []
        for place, array, at in zip(kept, (keys, values), (pk, pv)):
            if place is None:  # not kept: copied for this call
                self._put(array, at)
                place = (at, self.max_abs(at, array.size))
            placed.append(place)
        (pk, k_max), (pv, v_max) = placed
        score_bound = self.max_abs(pq, queries.size) * k_max * d * max(scale, 1.0)
        if not (math.isfinite(score_bound) and score_bound < OVERFLOW_BOUND and v_max * n < OVERFLOW_BOUND):
            return None
        if pattern is not None:
            self._put(pattern, pm)
        causal = causal_shift is not None
        self._x.attention(
            batch, m, n, d, dv, pq, pk, pv, po, 0 if pattern is None else pm, int(causal), causal_shift or 0, scale, ps
        )
        return self._get(po, out)
