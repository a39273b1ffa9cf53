"""Small pure kernels shared by every mechanism.

Kernels take validated arrays (float32; float64 where a mechanism needs its precision) and
check nothing; public entry points validate (see :mod:`ruvector_attention._validation`).
Products, softmaxes and fused attention go through one backend seam (:mod:`.backend`):
NumPy, or the WebAssembly SIMD kernels in Pyodide; ``ra.kernels.backend()`` says which,
``ra.kernels.simd()`` which build.
"""

from .backend import backend, failure, simd, use_backend

__all__ = ["backend", "failure", "simd", "use_backend"]
