"""The example notebooks run on CPython too: their code cells, in order (magics skipped)."""

from __future__ import annotations

import ast
import asyncio
import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
if not NOTEBOOKS:  # the Pyodide runner mounts tests/ only
    pytest.skip("notebooks/ is not beside tests/ here", allow_module_level=True)


def code_of(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] == "code":
            lines += [line for line in "".join(cell["source"]).splitlines() if not line.startswith("%")]
    return "\n".join(lines)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, capsys):
    namespace: dict = {}
    # top-level await is allowed, as in Jupyter: such code compiles to a coroutine to run
    code = compile(code_of(path), str(path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    pending = eval(code, namespace)  # noqa: S307 - our own notebooks
    if pending is not None:
        asyncio.run(pending)
    assert capsys.readouterr().out.strip()  # every notebook prints its numbers
