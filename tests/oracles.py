"""The CPython-only oracles: PyTorch (CPU) and POT (Python Optimal Transport).

Tests that need one are marked ``needs_torch`` / ``needs_pot``; on CPython a missing
oracle fails the collection (it must run in CI), in Pyodide those tests are skipped and
the NumPy, SciPy and formula oracles still run.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

IN_PYODIDE = sys.platform == "emscripten"

torch: Any = None
F: Any = None
ot: Any = None
if not IN_PYODIDE:
    import ot
    import torch
    import torch.nn.functional as F  # noqa: N812

needs_torch = pytest.mark.skipif(IN_PYODIDE, reason="PyTorch does not run in Pyodide")
needs_pot = pytest.mark.skipif(IN_PYODIDE, reason="POT is not in the offline Pyodide distribution")

__all__ = ["F", "IN_PYODIDE", "needs_pot", "needs_torch", "ot", "torch"]
