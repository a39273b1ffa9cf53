"""The one place that chooses who multiplies: NumPy, or the WebAssembly SIMD kernels.

- CPython: NumPy (and its BLAS), always.
- Pyodide: the WebAssembly SIMD kernels the wheel carries (``kernels/*.wasm``, see
  :mod:`.wasm`; :func:`simd` says which build) when they load; NumPy otherwise (no BLAS,
  no SIMD there), silently but observably: :func:`backend` says ``"numpy"`` and
  :func:`failure` why.

``RUVECTOR_KERNELS=numpy|wasm|auto`` (read once, at import; under Node also from the
process's environment, so it reaches the workers' Pyodide) or :func:`use_backend` force a
choice; ``RUVECTOR_SIMD=simd128`` keeps the kernels' simd128 build where the engine has
relaxed SIMD (``auto``, the default, takes the relaxed one there). The kernels in ``kernels/`` ask :func:`wasm_kernels` and compute with NumPy when it
is None, so no mechanism knows which ran.

>>> previous = use_backend("numpy")
>>> backend()
'numpy'
>>> _ = use_backend(previous)
"""

from __future__ import annotations

import os
import sys
import warnings

from ..errors import InvalidConfigError
from .wasm import WasmKernels, load

__all__ = ["BACKENDS", "backend", "failure", "simd", "use_backend", "wasm_kernels"]

BACKENDS = ("auto", "numpy", "wasm")
ENVIRONMENT = "RUVECTOR_KERNELS"
SIMD_BUILDS = ("auto", "simd128")
SIMD_ENVIRONMENT = "RUVECTOR_SIMD"

_choice = "auto"
_simd = "auto"
_kernels: WasmKernels | None = None
_failure: str | None = None
_tried = False


def _load() -> WasmKernels | None:
    """The wasm kernels, instantiated on first use (Pyodide only); None if they cannot be."""
    global _kernels, _failure, _tried
    if not _tried:
        _tried = True
        if sys.platform != "emscripten":
            _failure = "not running in Pyodide (CPython computes with NumPy and its BLAS)"
        else:
            try:
                _kernels = load(_simd)
            except Exception as error:  # any failure leaves NumPy in charge, observably
                _failure = f"{type(error).__name__}: {error}"
    return _kernels


def wasm_kernels() -> WasmKernels | None:
    """The wasm kernels if they are the active backend, else None (compute with NumPy)."""
    return None if _choice == "numpy" else _load()


def backend() -> str:
    """``"wasm"`` or ``"numpy"``: who computes the products and softmaxes now."""
    return "numpy" if wasm_kernels() is None else "wasm"


def simd() -> str | None:
    """The WebAssembly SIMD the kernels compute with: ``"relaxed"`` (fused multiply-adds,
    where the engine has relaxed SIMD) or ``"simd128"``; None while NumPy computes."""
    kernels = wasm_kernels()
    return None if kernels is None else kernels.simd


def failure() -> str | None:
    """Why the wasm kernels are not available (None when they are, or not yet asked for)."""
    return _failure


def use_backend(name: str) -> str:
    """Choose ``"numpy"``, ``"wasm"`` (an error where the kernels cannot load) or ``"auto"``
    (wasm where it loads); returns the previous choice (to restore it)."""
    global _choice
    if name not in BACKENDS:
        raise InvalidConfigError(f"kernel backend must be one of {', '.join(BACKENDS)}, got {name!r}")
    if name == "wasm" and _load() is None:
        raise InvalidConfigError(f"the wasm kernels are not available: {_failure}")
    previous, _choice = _choice, name
    return previous


def _requested(variable: str, choices: tuple[str, ...]) -> str:
    """``variable`` from Python's environment or, in Pyodide under Node (whose Python sees
    only the variables given to ``loadPyodide``), from the Node process's; ``"auto"`` if
    unset or not one of ``choices`` (with a warning)."""
    value = os.environ.get(variable)
    if value is None and sys.platform == "emscripten":
        try:
            import js  # type: ignore[import-not-found]

            value = getattr(js.process.env, variable, None)
        except (ImportError, AttributeError):  # a browser: no process
            value = None
    requested = str(value or "auto").strip().lower() or "auto"
    if requested not in choices:
        warnings.warn(f"{variable}={requested!r} is not one of {', '.join(choices)}: using auto", stacklevel=3)
        requested = "auto"
    return requested


def _from_environment() -> None:
    global _choice, _simd
    _simd = _requested(SIMD_ENVIRONMENT, SIMD_BUILDS)
    requested = _requested(ENVIRONMENT, BACKENDS)
    _choice = "auto" if requested == "wasm" else requested
    if requested == "wasm" and _load() is None:
        warnings.warn(f"{ENVIRONMENT}=wasm, but the wasm kernels are not available: {_failure}", stacklevel=2)


_from_environment()
