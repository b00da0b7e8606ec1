"""Layer rules that import-linter cannot express: the engine uses QtCore only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import texpaint

pytestmark = pytest.mark.unit

PKG = Path(texpaint.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((PKG / "engine").glob("*.py")), ids=lambda p: p.name)
def test_engine_imports_no_widgets(path):
    bad = {n for n in _imports(path) if n.startswith(("PySide6.QtWidgets", "PySide6.QtGui"))}
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("pkg", ["document", "models", "imaging", "engine"])
def test_torch_free_gui_start(pkg):
    """Packages the GUI imports at start-up must not import torch at module level, except the
    ones that exist to run it (engine.pipeline/device/tiling, models.arch, and
    models.texture_hint, the generator's input shared by the pipeline and the trainer)."""
    allowed = {
        "engine": {"pipeline.py", "device.py", "tiling.py"},
        "models": {"texture_hint.py"},
    }.get(pkg, set())
    for path in sorted((PKG / pkg).rglob("*.py")):
        if path.name in allowed or "arch" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        mods = {a.name for n in top if isinstance(n, ast.Import) for a in n.names}
        mods |= {n.module for n in top if isinstance(n, ast.ImportFrom) and n.module}
        assert "torch" not in mods, f"{path} imports torch at module level"


def test_no_import_circles():
    """No two texpaint modules import each other, directly or through others, counting
    imports inside functions too (grimp's graph, which import-linter uses): every strongly
    connected component of the module graph is a single module."""
    import grimp

    graph = grimp.build_graph("texpaint")
    modules = sorted(m for m in graph.modules if m.startswith("texpaint"))
    edges = {
        m: sorted(d for d in graph.find_modules_directly_imported_by(m) if d.startswith("texpaint"))
        for m in modules
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for m in modules:
        if m not in index:
            visit(m)
    assert circles == [], f"import circles: {circles}"
