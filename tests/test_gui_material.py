"""The Material window: map switcher, mask painting, set-wide inpaint as one undo step, lit
preview, saving the set and the project (a real Nobiax set, cropped for speed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from texpaint.document.material import MapRole, open_material

pytestmark = pytest.mark.gui

PBR = Path(__file__).resolve().parents[2] / "shared" / "data" / "pbr-sets"


@pytest.fixture
def set_folder(tmp_path: Path) -> Path:
    src = PBR / "nobiax-82"
    if not src.is_dir():
        pytest.skip(f"{src} not available")
    folder = tmp_path / "rock"
    folder.mkdir()
    for f in src.iterdir():
        with Image.open(f) as im:
            im.crop((0, 0, 192, 192)).save(folder / f.name)
    return folder


@pytest.fixture
def material_window(qtbot, qapp, set_folder, errors):
    from texpaint.ui.material_window import open_material_path

    win = open_material_path(set_folder / "normal.png")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.modified = False


def test_map_switcher_keys_and_lit_preview(material_window, qtbot) -> None:
    win = material_window
    roles = [m.role for m in win.mset.maps]
    assert roles[0] is MapRole.ALBEDO and len(roles) == 4
    for key, index in ((Qt.Key.Key_3, 2), (Qt.Key.Key_1, 0), (Qt.Key.Key_2, 1)):
        qtbot.keyClick(win, key)
        assert win.current == index
        np.testing.assert_array_equal(win.canvas.rgb, win.mset.maps[index].image.rgb)
    before = win.preview.pixmap().toImage()
    win.preview.azimuth, win.preview.elevation = 0.0, 20.0
    win.update_preview()
    assert win.preview.pixmap().toImage() != before  # the light moved, the shading changed


def test_paint_inpaint_undo_redo_save(material_window, qtbot, tmp_path: Path) -> None:
    from texpaint.document.material_project import load_material_project

    win = material_window
    original = [m.image.rgb.copy() for m in win.mset.maps]
    win.canvas.brush_px = 30
    for x in range(60, 130, 6):
        win.canvas.dab(x, 90)
    assert (win.mask > 0).sum() > 1000
    assert win.inpaint()
    hole = win.mask > 0
    for before, m in zip(original, win.mset.maps, strict=True):
        np.testing.assert_array_equal(m.image.rgb[~hole], before[~hole])
        assert not np.array_equal(m.image.rgb[hole], before[hole])
    assert win.history.labels == ["Inpaint set"] and win.undo_action.isEnabled()
    filled = [m.image.rgb.copy() for m in win.mset.maps]
    assert win.undo_action.shortcut().toString() == "Ctrl+Z"
    win.undo_action.trigger()
    for before, m in zip(original, win.mset.maps, strict=True):
        np.testing.assert_array_equal(m.image.rgb, before)
    win.redo()
    for after, m in zip(filled, win.mset.maps, strict=True):
        np.testing.assert_array_equal(m.image.rgb, after)
    written = win.save_set_to(tmp_path / "out")
    assert written is not None and len(written) == 4
    saved = open_material(tmp_path / "out")
    for a, b in zip(win.mset.maps, saved.maps, strict=True):
        assert b.image.sample_format == a.image.sample_format and b.grey == a.grey
    assert win.save_project_to(tmp_path / "rock.texmat")
    back, mask = load_material_project(tmp_path / "rock.texmat")
    np.testing.assert_array_equal(mask, win.mask)
    np.testing.assert_array_equal(back.maps[1].image.rgb, win.mset.maps[1].image.rgb)


def test_empty_mask_and_flip(material_window, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    win = material_window
    shown = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: shown.append(a[2]))
    assert not win.inpaint()
    assert shown and "Paint the area" in shown[0]
    normal = win.mset.get(MapRole.NORMAL)
    assert normal is not None
    g = normal.image.rgb[..., 1].copy()
    win.flip_normal()
    assert normal.normal_convention == "directx"
    np.testing.assert_allclose(win.mset.get(MapRole.NORMAL).image.rgb[..., 1], 1 - g)


def test_file_menu_opens_material(window, set_folder, monkeypatch, qtbot) -> None:
    from PySide6.QtWidgets import QFileDialog

    from texpaint.ui import material_window as mw

    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda *a, **k: (str(set_folder / "diffuse.png"), "")
    )
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    action = next(a for a in file_menu.actions() if a.text().replace("&", "") == "Open Material…")
    texts = [a.text().replace("&", "") for a in file_menu.actions()]
    assert "Batch Export Materials…" in texts
    opened = []
    real = mw.open_material_window
    monkeypatch.setattr(mw, "open_material_window", lambda parent=None: opened.append(real(parent)))
    action.trigger()
    assert opened and opened[0] is not None
    assert [m.name for m in opened[0].mset.maps][0] == "diffuse.png"
    opened[0].close()


def test_batch_export_materials_dialog(qtbot, qapp, tmp_path: Path, errors) -> None:
    from texpaint.imaging.io import write_mask
    from texpaint.ui.material_batch_dialog import MaterialBatchDialog

    sets = []
    for name in ("nobiax-82", "nobiax-139"):
        src = PBR / name
        if not src.is_dir():
            pytest.skip(f"{src} not available")
        folder = tmp_path / name
        folder.mkdir()
        for f in src.iterdir():
            with Image.open(f) as im:
                im.crop((0, 0, 160, 160)).save(folder / f.name)
        sets.append(folder)
    mask = np.zeros((160, 160), np.float32)
    mask[40:90, 50:110] = 1
    write_mask(sets[0] / "mask.png", mask)  # the second set has none: it fails, batch goes on
    dialog = MaterialBatchDialog()
    qtbot.addWidget(dialog)
    for s in sets:
        dialog.add_folder(s)
    dialog.inpaint.setChecked(True)
    dialog.sizes.setText("128, 64")
    dialog.out_dir.setText(str(tmp_path / "out"))
    assert dialog.ops() == ["inpaint:mask.png"]
    assert dialog.start()
    assert dialog.is_running()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=120000)
    assert dialog.run_button.isEnabled()
    texts = [dialog.results.item(i).text() for i in range(dialog.results.count())]
    assert any(t.startswith("nobiax-82: wrote 8 maps") for t in texts), texts
    assert any(t.startswith("nobiax-139: failed") and "mask.png" in t for t in texts), texts
    for size in (128, 64):
        out = tmp_path / "out" / f"nobiax-82_{size}"
        with Image.open(out / "diffuse.png") as im:
            assert im.size == (size, size)
    dialog.sizes.setText("12x")
    assert not dialog.start()
    dialog.close()


def test_denoise_albedo_only(material_window) -> None:
    win = material_window
    before = [m.image.rgb.copy() for m in win.mset.maps]
    rng = np.random.default_rng(1)
    noisy = np.clip(before[0] + rng.normal(0, 0.08, before[0].shape), 0, 1).astype(np.float32)
    win.mset = win.mset.with_pixels(
        [(noisy if i == 0 else m.image.rgb, m.image.alpha) for i, m in enumerate(win.mset.maps)]
    )
    assert win.denoise_albedo()
    assert win.history.labels == ["Denoise albedo"]
    assert np.abs(win.mset.maps[0].image.rgb - before[0]).mean() < np.abs(noisy - before[0]).mean()
    for b, m in zip(before[1:], win.mset.maps[1:], strict=True):
        np.testing.assert_array_equal(m.image.rgb, b)


def test_make_seamless_set_asks_when_it_already_tiles(qtbot, qapp, errors, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    from texpaint.ui.material_window import open_material_path

    src = PBR / "nobiax-139"  # every map tiles
    if not src.is_dir():
        pytest.skip(f"{src} not available")
    win = open_material_path(src)
    qtbot.addWidget(win)
    asked = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No
    )
    assert not win.make_seamless()
    assert asked and "already tiles" in asked[0]
    assert win.history.labels == [] and not win.modified
