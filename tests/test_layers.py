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
