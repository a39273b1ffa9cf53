"""The optional extra: only ``ruvector_attention.distributed`` imports dask, and importing it
without dask is a typed error naming the ``[dask]`` extra. Runs everywhere (Pyodide too)."""

from __future__ import annotations

import ast
import importlib
import sys

import pytest

from ..test_import_graph import GRAPH, MODULES, PACKAGE

DISTRIBUTED = f"{PACKAGE}.distributed"


def third_party(module: str) -> set[str]:
    """Top-level names of what ``module`` imports from outside the package."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_only_the_distributed_package_imports_dask() -> None:
    core = [m for m in MODULES if m != DISTRIBUTED and not m.startswith(DISTRIBUTED + ".")]
    assert DISTRIBUTED in MODULES and len(core) > 50
    for module in core:
        assert not third_party(module) & {"dask", "distributed"}, module
        assert not {t for t in GRAPH[module] if t.startswith(DISTRIBUTED)}, f"{module} imports the distributed package"
    assert "dask" in third_party(f"{DISTRIBUTED}.api")


def test_importing_without_dask_names_the_extra(monkeypatch) -> None:
    for name in [m for m in sys.modules if m == DISTRIBUTED or m.startswith(DISTRIBUTED + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "dask", None)  # as if not installed
    with pytest.raises(ModuleNotFoundError, match=r'pip install "ruvector-attention-py\[dask\]"') as caught:
        importlib.import_module(DISTRIBUTED)
    assert type(caught.value).__name__ == "DaskNotInstalledError"
    assert caught.value.name.split(".")[0] == "dask"  # the missing module
