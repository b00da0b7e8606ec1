"""Tests for the bundled style library (texpaint.models.styles)."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from texpaint.models.styles import StyleLibraryError, list_styles

pytestmark = pytest.mark.unit


def test_bundled_styles_are_five_paintings_and_six_materials_with_valid_images():
    styles = list_styles()
    paintings = [s for s in styles if s.kind == "painting"]
    materials = [s for s in styles if s.kind == "material"]
    assert len(paintings) == 5 and len(materials) == 6 and len(styles) == 11
    assert len({s.name for s in styles}) == 11
    assert [s.id for s in styles] == sorted(s.id for s in styles)
    for s in styles:
        with Image.open(s.exemplar) as im:
            assert im.mode == "RGB" and max(im.size) <= 768 and min(im.size) >= 256
        with Image.open(s.thumbnail) as im:
            assert im.size == (128, 128)
    assert all("public domain" in s.licence for s in paintings)
    assert all("CC0" in s.licence for s in materials)


def test_broken_style_json_is_reported(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "style.json").write_text(json.dumps({"id": "x", "name": "X"}))
    with pytest.raises(StyleLibraryError, match="missing keys"):
        list_styles(tmp_path)
    assert list_styles(tmp_path / "nothing here") == []
