"""The WebAssembly SIMD kernels (``wasm/attention.c``, built into ``attention.wasm`` and,
with relaxed SIMD's fused multiply-adds, ``attention-relaxed.wasm``) called from Python
inside Pyodide: the relaxed module where the engine validates it (Chromium since 114,
Node 21 and later), else the simd128 one; ``RUVECTOR_SIMD=simd128`` keeps the simd128 one
(fused and unfused multiply-adds round differently, so results then agree bit for bit
across machines).

``attention.wasm`` is an Emscripten side module: it imports its memory, so Pyodide's
dynamic linker (``ctypes.CDLL``, Pyodide's ``dlopen``) loads it into the interpreter's own
address space, as it loads NumPy's extension modules. The kernels therefore read and write
NumPy's buffers where they lie: no copy in, no copy out, one ``ctypes`` call per kernel.
Node workers, browser workers and JupyterLite get them with no JavaScript of ours.

float32, and float64 for products; every method returns None for a case it does not take
(another dtype, sizes where the call costs more than NumPy's loop, or magnitudes where
float32 scores or sums overflow), and the caller computes with NumPy instead.
"""

from __future__ import annotations

import ctypes
import functools
from typing import Any

import numpy as np

__all__ = ["WasmKernels", "load"]

MODULES = {"relaxed": "attention-relaxed.wasm", "simd128": "attention.wasm"}
"""The two builds of ``wasm/attention.c``, by the WebAssembly SIMD they use: the relaxed
one is 1.2-1.3x faster on the fused attention (Pyodide under Node with relaxed SIMD on)."""
MIN_PRODUCT = 1 << 14
"""``batch·m·n·k`` below which NumPy's product costs less than the call (measured for
float32 in Pyodide under Node: 29-41 µs against 44 µs up to 8192, 36 against 31 at 32768;
NumPy's float64 loops are slower still, so the gate holds for them too)."""
MIN_SOFTMAX = 1 << 6
"""Scores below which NumPy's softmax may cost less than the call (measured: the kernel
is 2.4x faster at 64 scores, 6x at 4096)."""

_RESULTS: dict[str, Any] = {
    "scratch_floats": ctypes.c_int,
    "all_finite": ctypes.c_int,
    "sgemm": None,
    "dgemm": None,
    "softmax_rows": None,
    "attention": ctypes.c_int,
}
"""The exports and their result types. Their arguments go without ``argtypes``: a Python
int passes as a C ``int``, which is also what a pointer is in wasm32 (an address above
2^31 keeps its bits), and ``scale``/``alpha`` as ``ctypes.c_float``. Converting each call's
arguments by ``argtypes`` took 6.5 of a 10.6 µs call (one query over 16 keys, in Pyodide)."""


def load(simd: str = "auto") -> WasmKernels:
    """Link the kernels: ``simd`` ``"auto"`` takes the relaxed-SIMD module if this engine
    validates it, else (or if it fails to link) the simd128 one; ``"simd128"`` that one
    (Pyodide only: elsewhere ``dlopen`` cannot read a WebAssembly module and raises
    ``OSError``)."""
    if simd == "auto" and _engine_validates(MODULES["relaxed"]):
        try:
            return _link("relaxed")
        except OSError:
            pass  # the simd128 build computes the same
    return _link("simd128")


def _link(simd: str) -> WasmKernels:
    from importlib.resources import as_file, files

    with as_file(files(__package__) / MODULES[simd]) as path:
        return WasmKernels(ctypes.CDLL(str(path)), simd)


def _engine_validates(module: str) -> bool:
    """Whether the JavaScript engine that runs Pyodide can compile the package's ``module``:
    the feature detection for relaxed SIMD, asked of the module itself (False if it cannot
    be asked)."""
    from importlib.resources import files

    try:
        import js  # type: ignore[import-not-found]
        from pyodide.ffi import to_js  # type: ignore[import-not-found]

        return bool(js.WebAssembly.validate(to_js((files(__package__) / module).read_bytes())))
    except Exception:  # no engine to ask, or no module: the simd128 build
        return False


def _address(array: np.ndarray | None) -> int:
    """Where ``array``'s data starts (0 for None: the kernels' null). Every operand of every
    call needs one: a writable contiguous array's through a ``ctypes`` view of its buffer
    (2.6 µs in Pyodide), any other's (read-only uploads) from ``__array_interface__`` (6.3 µs)."""
    if array is None:
        return 0
    flags = array.flags
    if flags.writeable and flags.c_contiguous and array.size:
        return ctypes.addressof(ctypes.c_char.from_buffer(array))
    return int(array.__array_interface__["data"][0])


def _mask_bytes(mask: np.ndarray | None, m: int, n: int) -> np.ndarray | None:
    """An ``(m, n)``-broadcastable boolean mask as contiguous ``(m, n)`` bytes (1 = attend)."""
    return None if mask is None else np.ascontiguousarray(np.broadcast_to(mask, (m, n))).view(np.uint8)


class WasmKernels:
    """The module's exports as ``ctypes`` functions on NumPy arrays (see :data:`_RESULTS`);
    ``simd`` names the build (a key of :data:`MODULES`)."""

    def __init__(self, library: ctypes.CDLL, simd: str) -> None:
        self.simd = simd
        for name, result in _RESULTS.items():
            getattr(library, name).restype = result
        self._x = library
        self._scratch_floats = functools.lru_cache(maxsize=64)(lambda m, d: int(library.scratch_floats(m, d)))
        self._scratch_space, self._scratch_at = np.empty(0, dtype=np.float32), 0

    def _scratch(self, m: int, d: int) -> int:
        """The address of the kernels' scratch for ``m`` rows of inner dimension ``d``: one
        buffer, grown when a call needs more (Pyodide runs one call at a time)."""
        floats = self._scratch_floats(m, d)
        if floats > self._scratch_space.size:
            self._scratch_space = np.empty(max(floats, 2 * self._scratch_space.size), dtype=np.float32)
            self._scratch_at = _address(self._scratch_space)
        return self._scratch_at

    def all_finite(self, x: np.ndarray) -> bool | None:
        """Whether a C-contiguous float32 array holds no NaN or ±Inf (None for others)."""
        if x.dtype != np.float32 or not x.flags.c_contiguous:
            return None
        return bool(self._x.all_finite(x.size, _address(x)))

    def matmul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
        """``a @ b`` for float32 or float64 matrices (both of one dtype), or stacks of them of
        one batch size (a 2-D operand shared by the batch); ``b`` may be a transposed view
        (``keys.T``), whose rows the module reads as stored."""
        if a.dtype != b.dtype or a.dtype not in (np.float32, np.float64) or not (2 <= a.ndim <= 3 and 2 <= b.ndim <= 3):
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
        out = np.empty((batch, m, n) if max(a.ndim, b.ndim) == 3 else (m, n), dtype=a.dtype)
        a_stride, b_stride = m * k if a.ndim == 3 else 0, k * n if b.ndim == 3 else 0
        operands = (batch, m, n, k, _address(a), a_stride, _address(rows), b_stride, int(transposed), _address(out))
        if a.dtype == np.float32:  # only B transposed is packed into the scratch panel
            self._x.sgemm(*operands, ctypes.c_float(1.0), self._scratch(0, k) if transposed else 0)
        else:  # a panel of doubles takes the floats of two
            self._x.dgemm(*operands, self._scratch(0, 2 * k) if transposed else 0)
        return out

    def softmax(self, scores: np.ndarray, mask: np.ndarray | None) -> np.ndarray | None:
        """Row softmax of float32 ``scores`` ``(..., m, n)`` in place, entries where the
        ``(m, n)``-broadcastable ``mask`` is False exactly 0, rows with none visible 0."""
        if scores.dtype != np.float32 or scores.ndim < 2 or not scores.flags.c_contiguous:
            return None
        if scores.size < MIN_SOFTMAX or (mask is not None and mask.ndim > 2):
            return None
        m, n = scores.shape[-2:]
        pattern = _mask_bytes(mask, m, n)
        self._x.softmax_rows(scores.size // (m * n), m, n, _address(scores), _address(pattern), 0, 0)
        return scores

    def attention(
        self,
        queries: np.ndarray,
        keys: np.ndarray,
        values: np.ndarray,
        scale: float,
        mask: np.ndarray | None,
        causal_shift: int | None,
        stats: np.ndarray | None = None,
    ) -> np.ndarray | None:
        """The fused ``softmax(scale · Q Kᵀ) V`` of ``(m, d)``, ``(n, d)``, ``(n, dv)``
        float32 operands, or of ``(batch, ...)`` stacks of them. ``mask`` (``(m, n)``-
        broadcastable, True = attend) and ``causal_shift`` (row ``i`` sees keys
        ``j <= i + shift``) hide keys; a row that sees none gives zeros. ``stats``, a
        C-contiguous float32 ``(batch·m, 2)`` array, receives each row's softmax statistics
        (largest visible score μ, ``ℓ = Σ e^{s-μ}``). Every size is worth the call: NumPy's
        unfused path costs far more even for one query."""
        f32 = np.float32
        if not (queries.dtype == keys.dtype == values.dtype == f32 and queries.ndim == keys.ndim == values.ndim):
            return None
        if queries.ndim == 3 and not queries.shape[0] == keys.shape[0] == values.shape[0]:
            return None
        if queries.ndim not in (2, 3):
            return None
        (m, d), (n, dv) = queries.shape[-2:], values.shape[-2:]
        batch = queries.shape[0] if queries.ndim == 3 else 1
        if stats is not None and not (stats.dtype == f32 and stats.flags.c_contiguous and stats.size >= 2 * batch * m):
            return None
        queries, keys, values = np.ascontiguousarray(queries), np.ascontiguousarray(keys), np.ascontiguousarray(values)
        pattern = _mask_bytes(mask, m, n)
        out = np.empty((*queries.shape[:-1], dv), dtype=np.float32)
        overflowed = self._x.attention(
            batch, m, n, d, dv, _address(queries), _address(keys), _address(values), _address(out),
            _address(pattern), int(causal_shift is not None), int(causal_shift or 0), ctypes.c_float(scale),
            _address(stats), self._scratch(m, d),
        )
        return None if overflowed else out
