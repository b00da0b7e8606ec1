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
@pytest.mark.parametrize("size", [16, 32, 48, 64, 128, 256, 512])
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
