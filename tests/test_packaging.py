"""Packaging files: icons at their sizes, the desktop entry, and the smoke test (slow)."""

from __future__ import annotations

import ast
import configparser
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
ICONS = REPO / "resources" / "icons"


@pytest.mark.unit
@pytest.mark.parametrize("size", [16, 24, 32, 48, 64, 128, 256, 512])
def test_icon_pngs_have_their_size_and_transparent_corners(size):
    im = np.asarray(Image.open(ICONS / f"texpaint-{size}.png").convert("RGBA"))
    assert im.shape == (size, size, 4)
    assert im[0, 0, 3] == 0 and im[size // 2, size // 2, 3] == 255  # rounded card, opaque middle


@pytest.mark.unit
def test_desktop_entry_and_spec_are_well_formed():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(REPO / "packaging" / "texpaint.desktop")
    d = entry["Desktop Entry"]
    assert d["Type"] == "Application" and d["Icon"] == "texpaint" and "%f" in d["Exec"]
    assert (ICONS / "texpaint.svg").is_file()  # installed as hicolor/scalable/apps/texpaint.svg
    # the project type it claims is defined (for xdg-mime) with the app's project suffix
    from xml.etree import ElementTree

    from texpaint.document.project import PROJECT_SUFFIX

    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    mime = ElementTree.parse(REPO / "packaging" / "texpaint-mime.xml").getroot()
    [mime_type] = mime.findall("m:mime-type", ns)
    assert mime_type.get("type") in d["MimeType"].split(";")
    assert mime_type.find("m:glob", ns).get("pattern") == "*" + PROJECT_SUFFIX
    tree = ast.parse((REPO / "packaging" / "texpaint.spec").read_text())
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and hasattr(n.func, "id")}
    assert {"Analysis", "EXE", "COLLECT"} <= calls


@pytest.mark.slow
def test_smoke_test_against_source_tree():
    proc = subprocess.run(
        [sys.executable, str(REPO / "packaging" / "smoke_test.py"), "--source", "--timeout", "300"],
        capture_output=True,
        text=True,
        timeout=360,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "smoke test: OK" in proc.stdout


def _spec_datas() -> list[tuple[str, str]]:
    """The spec's ``datas`` as (source relative to the repository, destination) pairs, read
    from its syntax tree (``str(REPO / "a" / "b")`` -> ``"a/b"``), so PyInstaller is not needed."""
    tree = ast.parse((REPO / "packaging" / "texpaint.spec").read_text())
    [value] = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "datas" for t in node.targets)
    ]
    assert isinstance(value, ast.List), "datas should be a literal list of (source, dest)"

    def repo_path(node: ast.expr) -> str:
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "str":
            return repo_path(node.args[0])
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left = repo_path(node.left)
            assert isinstance(node.right, ast.Constant), ast.unparse(node)
            return f"{left}/{node.right.value}".lstrip("/")
        assert isinstance(node, ast.Name) and node.id == "REPO", ast.unparse(node)
        return ""

    pairs = []
    for item in value.elts:
        assert isinstance(item, ast.Tuple) and len(item.elts) == 2, ast.unparse(item)
        pairs.append((repo_path(item.elts[0]), ast.literal_eval(item.elts[1])))
    return pairs


@pytest.mark.unit
def test_spec_bundles_every_resources_folder_the_app_reads():
    """Every resources/ subfolder (and each one the code names via resources_dir()) is copied
    to texpaint/resources/<name> in the bundle, where texpaint.resources_dir() finds it."""
    import re

    read_by_code = set()
    for source in (REPO / "texpaint").rglob("*.py"):
        read_by_code |= set(re.findall(r'resources_dir\(\)\s*/\s*"(\w+)"', source.read_text()))
    present = {p.name for p in (REPO / "resources").iterdir() if p.is_dir()}
    assert read_by_code and read_by_code <= present, read_by_code - present
    assert {"icons", "models", "samples", "styles"} <= present

    bundled = {}
    for source, dest in _spec_datas():
        if source == "resources":
            bundled.update({name: f"{dest}/{name}" for name in present})
        elif source.startswith("resources/"):
            bundled[source.removeprefix("resources/")] = dest
    for name in sorted(present | read_by_code):
        assert name in bundled, f"resources/{name} is not in the spec's datas"
        assert bundled[name] == f"texpaint/resources/{name}", (name, bundled[name])


@pytest.mark.unit
def test_spec_excludes_nothing_the_app_imports_and_collects_torchvision_ops():
    """No module texpaint imports (nor a parent package of one) is in the spec's EXCLUDES,
    except spandrel_extra_arches (used only when the user installed it; its architectures'
    licences forbid shipping it), which must be excluded; torchvision's compiled ops
    (``_C_stable.so``, which the contrib hook misses) are collected."""
    tree = ast.parse((REPO / "packaging" / "texpaint.spec").read_text())
    [excludes] = [
        ast.literal_eval(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "EXCLUDES" for t in node.targets)
    ]
    imported = {"spandrel", "torchvision"}  # spandrel imports torchvision
    for source in (REPO / "texpaint").rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module)
    never_bundled = {"spandrel_extra_arches"}
    assert never_bundled <= imported and never_bundled <= set(excludes)
    imported -= never_bundled
    dropped = {m for m in imported for e in excludes if m == e or m.startswith(e + ".")}
    assert not dropped, f"the spec excludes modules the app imports: {sorted(dropped)}"
    collected = [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "collect_dynamic_libs"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]
    assert "torchvision" in collected
