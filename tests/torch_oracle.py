"""PyTorch, the CPU oracle: required on CPython, absent in Pyodide.

Tests that need it are marked ``needs_torch``; on CPython a missing torch fails the
collection (it must run in CI), in Pyodide those tests are skipped and the NumPy, SciPy
and formula oracles still run.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

IN_PYODIDE = sys.platform == "emscripten"

torch: Any = None
F: Any = None
if not IN_PYODIDE:
    import torch
    import torch.nn.functional as F  # noqa: N812

needs_torch = pytest.mark.skipif(IN_PYODIDE, reason="PyTorch does not run in Pyodide")

__all__ = ["F", "IN_PYODIDE", "needs_torch", "torch"]
