"""The package's layering: its modules import each other without cycles (imports at module
level and inside functions alike), and ``kernels/`` is the ground floor.

A module's edges are the package modules its ``import`` statements name (``from . import x``
names the module ``x`` when it is one); parent packages that Python imports on the way are
not counted, as in the usual import-graph tools.
"""

from __future__ import annotations

import ast
from pathlib import Path

import ruvector_attention

ROOT = Path(ruvector_attention.__file__).parent
PACKAGE = ROOT.name


def _module_name(path: Path) -> str:
    parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _base(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute module a ``from`` import reads from."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str) -> set[str]:
    """The package modules that ``module`` imports, anywhere in its source."""
    path = MODULES[module]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _base(module, path, node)
            found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names)
    return {name for name in found if name in MODULES and name != module}


GRAPH = {module: imports(module) for module in MODULES}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path ``[a, b, ..., a]``, or None (depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_graph_sees_imports_at_every_level() -> None:
    assert f"{PACKAGE}.kernels.masking" in GRAPH[f"{PACKAGE}.base"] or f"{PACKAGE}.context" in GRAPH[f"{PACKAGE}.base"]
    assert f"{PACKAGE}._validation" in GRAPH[f"{PACKAGE}.attention.rope"]  # from .. import _validation
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_pycore_imports_form_no_cycle() -> None:
    assert _cycle(GRAPH) is None, " -> ".join(_cycle(GRAPH) or [])


def test_kernels_import_only_kernels_and_errors() -> None:
    allowed = {f"{PACKAGE}.errors"}
    for module, targets in GRAPH.items():
        if module.startswith(f"{PACKAGE}.kernels"):
            outside = {t for t in targets if not t.startswith(f"{PACKAGE}.kernels") and t not in allowed}
            assert not outside, f"{module} imports {sorted(outside)}"
