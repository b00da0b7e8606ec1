"""The Material window: map switcher, mask painting, set-wide inpaint as one undo step, lit
preview, saving the set and the project (a real Nobiax set, cropped for speed)."""

from __future__ import annotations

import os
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
def warnings(monkeypatch) -> list[str]:
    """Records QMessageBox.warning texts instead of showing them (a failed edit)."""
    from PySide6.QtWidgets import QMessageBox

    seen: list[str] = []
    monkeypatch.setattr(
        QMessageBox,
        "warning",
        lambda parent, title, text, *a, **k: seen.append(text) or QMessageBox.StandardButton.Ok,
    )
    return seen


@pytest.fixture
def material_window(qtbot, qapp, set_folder, errors, warnings, settings_dir):
    from texpaint.ui.material_window import open_material_path

    win = open_material_path(set_folder / "normal.png")
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.modified = False


def _wait(win, qtbot, timeout_ms: int = 180000) -> None:
    """Wait until the window's edit on the inference worker has finished; it must not have
    failed."""
    qtbot.waitUntil(lambda: not win.busy, timeout=timeout_ms)
    assert win.last_error is None, win.last_error


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
    assert win.busy and not win.inpaint_action.isEnabled() and win.cancel_action.isEnabled()
    _wait(win, qtbot)
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
    # the project keeps the undo history: reopened, Undo takes the fill back
    from texpaint.ui.material_window import open_material_path

    reopened = open_material_path(tmp_path / "rock.texmat", engine=win.engine)
    qtbot.addWidget(reopened)
    assert reopened.history.labels == ["Inpaint set"] and reopened.history.position == 1
    assert reopened.undo_action.isEnabled()
    reopened.undo_action.trigger()
    for before, m in zip(original, reopened.mset.maps, strict=True):
        np.testing.assert_array_equal(m.image.rgb, before)


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
    """File → Open Material… shows the Open Material dialog (here: the user picks one map;
    its siblings are gathered) and opens the set in a window on the painter's engine."""
    from PySide6.QtWidgets import QFileDialog

    from texpaint.ui.material_open_dialog import MaterialOpenDialog
    from texpaint.ui.material_window import MaterialWindow

    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda *a, **k: (str(set_folder / "diffuse.png"), "")
    )

    def exec_(dialog: MaterialOpenDialog) -> int:
        dialog.pick_map()
        assert [f.name for f, _r, _c in dialog.choices()] == [
            "diffuse.png", "height.png", "normal.png", "specular.png",
        ]  # fmt: skip
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(MaterialOpenDialog, "exec", exec_)
    file_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&File")
    action = next(a for a in file_menu.actions() if a.text().replace("&", "") == "Open Material…")
    texts = [a.text().replace("&", "") for a in file_menu.actions()]
    assert "Batch Export Materials…" in texts
    action.trigger()
    opened = [w for w in window.findChildren(MaterialWindow) if w.isVisible()]
    assert len(opened) == 1
    win = opened[0]
    assert win.engine is window.engine  # the painter's worker: its device and preferences
    assert [m.name for m in win.mset.maps][0] == "diffuse.png"
    assert win.mset.get(MapRole.HEIGHT) is not None
    win.close()


def test_open_dialog_picks_a_folder_corrects_roles_and_refuses_odd_sizes(
    qtbot, qapp, set_folder, monkeypatch
) -> None:
    from PySide6.QtWidgets import QDialogButtonBox, QFileDialog

    from texpaint.ui.material_open_dialog import MaterialOpenDialog

    # a scan with no role in its name, and a map of another size
    with Image.open(set_folder / "specular.png") as im:
        im.save(set_folder / "scan_0042.png")
    with Image.open(set_folder / "height.png") as im:
        im.resize((96, 96)).save(set_folder / "rock_ao.png")
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(set_folder))
    dialog = MaterialOpenDialog()
    qtbot.addWidget(dialog)
    open_button = dialog.buttons.button(QDialogButtonBox.StandardButton.Open)
    assert not open_button.isEnabled()
    dialog.pick_folder()
    # several materials in the folder ("rock" and plain names): pick one map instead
    assert "materials" in dialog.message.text() and not open_button.isEnabled()
    dialog.set_path(set_folder / "normal.png")
    chosen = {f.name: r for f, r, _c in dialog.choices()}
    assert chosen == {
        "diffuse.png": MapRole.ALBEDO,
        "height.png": MapRole.HEIGHT,
        "normal.png": MapRole.NORMAL,
        "specular.png": MapRole.SPECULAR,
    }
    assert open_button.isEnabled()
    # the user takes in the odd-sized AO map: refused, naming it
    dialog.set_used("rock_ao.png", True)
    assert "rock_ao.png is 96 x 96" in dialog.message.text()
    assert not open_button.isEnabled()
    dialog.accept()
    assert dialog.material is None and dialog.result() == 0  # refused: stays open
    dialog.set_used("rock_ao.png", False)
    # ... and gives the unnamed scan a role, and says the normal map is DirectX
    dialog.set_used("scan_0042.png", True, MapRole.ROUGHNESS)
    dialog.convention_box(dialog.row_of("normal.png")).setCurrentIndex(1)
    assert open_button.isEnabled()
    dialog.accept()
    assert dialog.result() == 1 and dialog.material is not None
    mset = dialog.material
    assert mset.get(MapRole.ROUGHNESS) is not None
    assert mset.get(MapRole.ROUGHNESS).name == "scan_0042.png"  # type: ignore[union-attr]
    assert mset.get(MapRole.NORMAL).normal_convention == "directx"  # type: ignore[union-attr]
    assert mset.maps[0].role is MapRole.ALBEDO and len(mset.maps) == 5


def test_open_dialog_opens_a_project(
    qtbot, qapp, set_folder, tmp_path: Path, errors, settings_dir
) -> None:
    from texpaint.document.material_project import save_material_project
    from texpaint.ui.material_window import open_material_window

    mset = open_material(set_folder)
    mask = np.zeros((192, 192), np.float32)
    mask[10:40, 20:60] = 1
    save_material_project(tmp_path / "rock.texmat", mset, mask)
    win = open_material_window(None, path=tmp_path / "rock.texmat")
    assert win is not None
    qtbot.addWidget(win)
    assert win.project_path == tmp_path / "rock.texmat"
    np.testing.assert_array_equal(win.mask, mask)
    win.close()


def test_mask_strokes_are_undo_steps(material_window, qtbot) -> None:
    win = material_window
    canvas = win.canvas
    win.brush.setValue(20)
    start = canvas.rect().center()
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=start)
    painted = win.mask.copy()
    assert (painted > 0).sum() > 50
    assert win.history.labels == ["Mask stroke"]
    assert win.undo_action.isEnabled() and "Mask stroke" in win.undo_action.text()
    win.undo()
    assert not (win.mask > 0).any() and canvas.mask is win.mask
    win.redo()
    np.testing.assert_array_equal(win.mask, painted)
    win.clear_mask()
    assert not (win.mask > 0).any()
    win.undo()
    np.testing.assert_array_equal(win.mask, painted)
    assert not win.modified  # the maps did not change


def test_cancel_leaves_the_set_as_it_was(material_window, qtbot) -> None:
    win = material_window
    before = [m.image.rgb.copy() for m in win.mset.maps]
    win.mask[40:150, 30:160] = 1.0
    assert win.inpaint()
    win.cancel_action.trigger()
    _wait(win, qtbot)
    for b, m in zip(before, win.mset.maps, strict=True):
        np.testing.assert_array_equal(m.image.rgb, b)
    assert win.history.labels == [] and not win.modified
    assert "cancelled" in win.statusBar().currentMessage()


def test_closing_the_main_window_asks_the_material_window(
    window, set_folder, qtbot, monkeypatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from texpaint.ui.material_window import open_material_path

    win = open_material_path(set_folder, window, window.engine)
    win.show()
    win.flip_normal()  # an unsaved edit
    assert win.modified
    answers = [QMessageBox.StandardButton.Cancel]
    asked = []

    def question(*a, **k):
        asked.append(a[2])
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    assert not window.close()  # the user kept the material: nothing closes
    assert asked and "unsaved changes" in asked[0]
    assert win.isVisible() and window.isVisible()
    answers.append(QMessageBox.StandardButton.Save)
    saved = []
    monkeypatch.setattr(type(win), "save", lambda self: saved.append(True) or True)
    assert win.close()
    assert saved


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


def test_batch_dialog_denoises_the_maps_it_names(qtbot, settings_dir, tmp_path):
    """Batch Export Materials' maps field: Denoise changes the albedo and the map named
    (specular) and writes the other maps bit-identical; an unknown map fails that set."""
    from texpaint.ui.material_batch_dialog import MaterialBatchDialog

    src = PBR / "nobiax-82"
    if not src.is_dir():
        pytest.skip(f"{src} not available")
    folder = tmp_path / "nobiax-82"
    folder.mkdir()
    rng = np.random.default_rng(5)
    for f in src.iterdir():
        with Image.open(f) as im:
            crop = np.asarray(im.crop((0, 0, 128, 128)))
        if f.stem in ("diffuse", "specular"):
            noise = rng.normal(0, 18, crop.shape)
            crop = np.clip(crop + noise, 0, 255).astype(np.uint8)
        Image.fromarray(crop).save(folder / f.name)
    dialog = MaterialBatchDialog()
    qtbot.addWidget(dialog)
    dialog.add_folder(folder)
    dialog.denoise.setChecked(True)
    dialog.maps.setText("albedo, specular")
    dialog.out_dir.setText(str(tmp_path / "out"))
    assert dialog.ops() == ["denoise"]
    assert dialog.start()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=120000)
    out = tmp_path / "out" / "nobiax-82"
    for name, changed in (
        ("diffuse", True),
        ("specular", True),
        ("normal", False),
        ("height", False),
    ):
        with Image.open(folder / f"{name}.png") as a, Image.open(out / f"{name}.png") as b:
            before, after = np.asarray(a, np.float64), np.asarray(b, np.float64)
        assert before.shape == after.shape
        if changed:  # the noise (sigma 18) is mostly gone
            assert np.std(after - before) > 10, name
        else:
            assert np.array_equal(before, after), name
    dialog.maps.setText("roughness")  # the set has none
    dialog.out_dir.setText(str(tmp_path / "out2"))
    assert dialog.start()
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=120000)
    texts = [dialog.results.item(i).text() for i in range(dialog.results.count())]
    assert any(t.startswith("nobiax-82: failed") and "roughness" in t for t in texts), texts
    dialog.close()


def _noisy(win) -> list[np.ndarray]:
    """Add noise to every map of the window's set; returns the clean maps."""
    before = [m.image.rgb.copy() for m in win.mset.maps]
    rng = np.random.default_rng(1)
    pixels = []
    for m in win.mset.maps:
        noise = rng.normal(0, 0.08, m.image.rgb.shape[:2] + (1 if m.grey else 3,))
        pixels.append((np.clip(m.image.rgb + noise, 0, 1).astype(np.float32), m.image.alpha))
    win.mset = win.mset.with_pixels(pixels)
    return before


def test_denoise_albedo_only(material_window, qtbot) -> None:
    from texpaint.ui.material_ops import MaterialOpDialog

    win = material_window
    clean = _noisy(win)
    noisy = [m.image.rgb.copy() for m in win.mset.maps]
    dialog = MaterialOpDialog("denoise", win.mset, win)
    qtbot.addWidget(dialog)
    assert dialog.chosen() == ["diffuse.png"]  # the data maps are not ticked
    request = dialog.request()
    assert request["label"] == "Denoise albedo"
    assert win.run_map_operation(request)
    _wait(win, qtbot)
    assert win.history.labels == ["Denoise albedo"]
    albedo = win.mset.maps[0].image.rgb
    assert np.abs(albedo - clean[0]).mean() < 0.7 * np.abs(noisy[0] - clean[0]).mean()
    for b, m in zip(noisy[1:], win.mset.maps[1:], strict=True):
        np.testing.assert_array_equal(m.image.rgb, b)
    win.undo()
    np.testing.assert_array_equal(win.mset.maps[0].image.rgb, noisy[0])


def test_denoise_data_maps_when_picked_keeps_them_valid(material_window, qtbot) -> None:
    """Ticking the height (grey) and normal maps: they are denoised too, the height map
    stays grey, the normals stay unit length, and outside the mask nothing changes."""
    from texpaint.imaging.normal_map import normal_lengths
    from texpaint.ui.material_ops import MaterialOpDialog

    win = material_window
    _noisy(win)
    noisy = [m.image.rgb.copy() for m in win.mset.maps]
    win.mask[30:160, 20:170] = 1.0
    dialog = MaterialOpDialog("denoise", win.mset, win)
    qtbot.addWidget(dialog)
    dialog.set_checked("height.png", True)
    dialog.set_checked("normal.png", True)
    request = dialog.request()
    assert request["maps"] == ["diffuse.png", "height.png", "normal.png"]
    assert win.run_map_operation(request)
    _wait(win, qtbot)
    assert win.history.labels == ["Denoise 3 maps"]
    inside = win.mask > 0
    by_name = {m.name: m for m in win.mset.maps}
    for i, m in enumerate(win.mset.maps):
        np.testing.assert_array_equal(m.image.rgb[~inside], noisy[i][~inside], err_msg=m.name)
        changed = not np.array_equal(m.image.rgb[inside], noisy[i][inside])
        assert changed == (m.name != "specular.png"), m.name
    height = by_name["height.png"].image.rgb
    np.testing.assert_array_equal(height[..., 0], height[..., 1])
    np.testing.assert_array_equal(height[..., 0], height[..., 2])
    lengths = normal_lengths(by_name["normal.png"].image.rgb)[inside]
    assert np.abs(lengths - 1).max() < 1e-3


def test_stylize_albedo_only(material_window, qtbot) -> None:
    from texpaint.ui.material_ops import MaterialOpDialog

    win = material_window
    before = [m.image.rgb.copy() for m in win.mset.maps]
    dialog = MaterialOpDialog("stylize", win.mset, win)
    qtbot.addWidget(dialog)
    assert dialog.style_box is not None and dialog.style_box.count() > 0
    assert dialog.quality_box is not None
    dialog.quality_box.setCurrentIndex(dialog.quality_box.findData("best"))  # no network
    assert dialog.chosen() == ["diffuse.png"]
    request = dialog.request()
    assert request["label"] == "Stylize albedo" and request["params"]["quality"] == "best"
    assert win.run_map_operation(request)
    _wait(win, qtbot)
    assert win.history.labels == ["Stylize albedo"]
    assert np.abs(win.mset.maps[0].image.rgb - before[0]).mean() > 0.02
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
    assert win.make_seamless()
    _wait(win, qtbot)
    assert asked and "already tiles" in asked[0]
    assert win.history.labels == [] and not win.modified


def test_main_window_opens_a_material_project_or_folder(
    window, set_folder, tmp_path: Path, qtbot, monkeypatch
) -> None:
    """The painter's open path (File → Open, Open Recent, drag and drop) hands a ``.texmat``
    project, or a folder of maps, to a Material window; its document stays as it was."""
    from texpaint.document.material_project import save_material_project
    from texpaint.ui.material_open_dialog import MaterialOpenDialog
    from texpaint.ui.material_window import MaterialWindow

    save_material_project(tmp_path / "rock.texmat", open_material(set_folder))
    assert window.open_path(tmp_path / "rock.texmat")
    opened = [w for w in window.findChildren(MaterialWindow) if w.isVisible()]
    assert len(opened) == 1 and opened[0].project_path == tmp_path / "rock.texmat"
    assert opened[0].engine is window.engine and window.document is None
    opened[0].close()

    def exec_(dialog: MaterialOpenDialog) -> int:
        assert dialog.folder == set_folder and len(dialog.choices()) == 4
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(MaterialOpenDialog, "exec", exec_)
    assert window.open_path(set_folder)
    opened = [w for w in window.findChildren(MaterialWindow) if w.isVisible()]
    assert len(opened) == 1 and opened[0].mset.folder == set_folder
    opened[0].close()
    # both are in the painter's Open Recent list, which reopens them the same way
    recent = window.recent.paths()
    assert recent[:2] == [set_folder.resolve(), (tmp_path / "rock.texmat").resolve()]


def test_canvas_zooms_around_the_cursor_pans_and_paints_where_it_points(
    material_window, qtbot
) -> None:
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    win = material_window
    canvas = win.canvas
    pos = QPointF(canvas.width() // 2 + 30, canvas.height() // 2 + 20)
    x0, y0 = canvas.image_pos(pos)
    wheel = QWheelEvent(
        pos, canvas.mapToGlobal(pos), QPoint(0, 0), QPoint(0, 240),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
        False,
    )  # fmt: skip
    QApplication.sendEvent(canvas, wheel)  # two notches in
    assert canvas.zoom == pytest.approx(1.25**2)
    x1, y1 = canvas.image_pos(pos)
    assert (x1, y1) == pytest.approx((x0, y0), abs=1e-6)  # the point under the cursor stays
    before = canvas.grab().toImage().pixelColor(pos.toPoint())
    win.brush.setValue(10)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=pos.toPoint())
    iy, ix = int(y0), int(x0)
    assert win.mask[iy, ix] == 1.0
    painted = np.argwhere(win.mask > 0)
    assert np.abs(painted - [y0, x0]).max() <= 6  # a 10 px brush in image pixels
    after = canvas.grab().toImage().pixelColor(pos.toPoint())
    assert after.red() - after.blue() > before.red() - before.blue() + 30  # tinted red
    # the middle button drags the view; Fit to Window resets it
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QMouseEvent

    xr, yr = canvas.image_pos(pos)
    qtbot.mousePress(canvas, Qt.MouseButton.MiddleButton, pos=pos.toPoint())
    to = pos + QPointF(40, 0)
    move = QMouseEvent(
        QEvent.Type.MouseMove, to, canvas.mapToGlobal(to), Qt.MouseButton.NoButton,
        Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(canvas, move)
    assert canvas.image_pos(to) == pytest.approx((xr, yr), abs=1e-6)  # the image moved along
    qtbot.mouseRelease(canvas, Qt.MouseButton.MiddleButton, pos=to.toPoint())
    assert win.history.labels == ["Mask stroke"]  # panning painted nothing
    win.fit_action.trigger()
    assert canvas.zoom == 1.0 and canvas.pan == QPointF(0, 0)


# ------------------------------------------------------------------------------------------
# autosave and crash recovery, lit preview light, switcher keys up to 6


def test_material_window_autosaves_edits_and_removes_the_autosave_on_close(
    material_window, qtbot
) -> None:
    """A change (here Flip Normal Y and a mask stroke) is autosaved as a material project on a
    background thread, atomically; nothing new, nothing written; closing removes it."""
    from texpaint.document.material_project import load_material_project, read_material_project

    win = material_window
    saver = win.autosaver
    assert saver.interval_ms == 3 * 60_000  # the painter's Preferences default
    assert not saver.save_now()  # nothing changed yet
    win.flip_normal()
    win.canvas.strokeStarted.emit()
    win.canvas.dab(50, 60)
    win.canvas.strokeFinished.emit()
    with qtbot.waitSignal(saver.saved, timeout=30000) as blocker:
        assert saver.save_now()
    path = blocker.args[0]
    assert path == saver.path and path.is_file() and path.suffix == ".texmat"
    assert not list(path.parent.glob(f".{path.name}*.tmp"))  # written through a temp file
    back, mask = load_material_project(path)
    np.testing.assert_array_equal(mask, win.mask)
    assert read_material_project(path).history.labels == win.history.labels  # undo kept too
    assert len(win.history.labels) == 2
    normal = back.get(MapRole.NORMAL)
    assert normal is not None and normal.normal_convention == "directx"
    np.testing.assert_array_equal(normal.image.rgb, win.mset.get(MapRole.NORMAL).image.rgb)
    assert not saver.save_now()  # unchanged since
    win.modified = False
    win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)  # qtbot closes it again
    win.close()
    assert not path.exists()


@pytest.mark.parametrize("choice", ["Recover", "Discard"])
def test_crashed_material_autosave_is_offered_back(
    qtbot, qapp, set_folder, isolated_data_dir, settings_dir, monkeypatch, choice
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from texpaint.document.material_project import save_material_project
    from texpaint.ui.material_autosave import crashed_material_autosaves
    from texpaint.ui.material_window import offer_material_recovery

    mset = open_material(set_folder)
    mset.maps[0].image.rgb[:40, :40] = 0.5  # unsaved work
    mask = np.zeros((192, 192), np.float32)
    mask[10:30, 10:50] = 1.0
    folder = isolated_data_dir / "autosave"
    folder.mkdir(parents=True)
    dead = 2**22 + 4321  # above the usual pid_max: never a live process
    crashed = save_material_project(folder / f"material-{dead}-1.texmat", mset, mask)
    live = save_material_project(folder / f"material-{os.getppid()}-1.texmat", mset, mask)
    assert crashed_material_autosaves(folder) == [crashed]  # a live session is left alone
    asked: list[str] = []

    def fake_exec(box: QMessageBox) -> int:
        asked.append(box.text())
        for b in box.buttons():
            if b.text() == choice:
                monkeypatch.setattr(QMessageBox, "clickedButton", lambda self, b=b: b)
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    windows = offer_material_recovery(None, folder=folder)
    assert asked and "did not shut down cleanly" in asked[0]
    assert not crashed.exists() and live.exists()
    if choice == "Recover":
        assert len(windows) == 1
        win = windows[0]
        qtbot.addWidget(win)
        assert win.modified and win.project_path is None
        assert win.autosaver.path.is_file()  # moved, not lost, until the window closes
        np.testing.assert_array_equal(win.mask, mask)
        for a, b in zip(mset.maps, win.mset.maps, strict=True):
            np.testing.assert_array_equal(b.image.rgb, a.image.rgb)
        path = win.autosaver.path
        win.modified = False
        win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        win.close()
        assert not path.exists()
    else:
        assert windows == []
    asked.clear()
    assert offer_material_recovery(None, folder=folder) == [] and not asked


def test_lit_preview_light_follows_the_mouse(material_window, qtbot) -> None:
    win = material_window
    preview = win.preview
    before = preview.pixmap().toImage()
    az, el = preview.azimuth, preview.elevation
    w, h = preview.width(), preview.height()
    from PySide6.QtCore import QPoint

    qtbot.mousePress(preview, Qt.MouseButton.LeftButton, pos=QPoint(w - 5, h // 2))
    assert (preview.azimuth, preview.elevation) != (az, el)
    assert abs(preview.azimuth) < 5 and preview.elevation < 20  # light from the right, low
    assert preview.pixmap().toImage() != before


def test_switcher_keys_1_to_6(qtbot, qapp, set_folder, errors, settings_dir) -> None:
    """A set of six maps (roughness and AO added to the folder): keys 1..6 show each map."""
    from texpaint.ui.material_window import open_material_path

    for name, level in (("roughness.png", 80), ("ao.png", 200)):
        Image.fromarray(np.full((192, 192), level, np.uint8), "L").save(set_folder / name)
    win = open_material_path(set_folder)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    qtbot.wait(50)  # let the window become active: the keys are window shortcuts
    assert len(win.mset.maps) == 6
    keys = (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3, Qt.Key.Key_4, Qt.Key.Key_5, Qt.Key.Key_6)
    for index in (5, 0, 4, 3, 1, 2):
        qtbot.keyClick(win, keys[index])
        assert win.current == index
        np.testing.assert_array_equal(win.canvas.rgb, win.mset.maps[index].image.rgb)


def test_every_edit_of_the_maps_undoes_as_one_step(material_window, qtbot) -> None:
    """Make Seamless (set) and a Stylize of two maps: each is one undo step that restores
    every map at once, and redoes at once."""
    from texpaint.ui.material_ops import MaterialOpDialog

    win = material_window
    states = [[m.image.rgb.copy() for m in win.mset.maps]]
    assert win.make_seamless(force=True)
    _wait(win, qtbot)
    states.append([m.image.rgb.copy() for m in win.mset.maps])
    for a, b in zip(states[0], states[1], strict=True):
        assert not np.array_equal(a, b)  # the wrap band changed in every map
    dialog = MaterialOpDialog("stylize", win.mset, win)
    qtbot.addWidget(dialog)
    assert dialog.quality_box is not None
    dialog.quality_box.setCurrentIndex(dialog.quality_box.findData("best"))  # no network
    dialog.set_checked("height.png", True)
    request = dialog.request()
    assert request["maps"] == ["diffuse.png", "height.png"]
    assert win.run_map_operation(request)
    _wait(win, qtbot)
    states.append([m.image.rgb.copy() for m in win.mset.maps])
    assert win.history.labels == ["Make Seamless (set)", "Stylize 2 maps"]
    for i, name in enumerate(m.name for m in win.mset.maps):
        changed = not np.array_equal(states[2][i], states[1][i])
        assert changed == (name in ("diffuse.png", "height.png")), name
    for k in (1, 0):
        win.undo()
        for m, a in zip(win.mset.maps, states[k], strict=True):
            np.testing.assert_array_equal(m.image.rgb, a, err_msg=m.name)
    for k in (1, 2):
        win.redo()
        for m, a in zip(win.mset.maps, states[k], strict=True):
            np.testing.assert_array_equal(m.image.rgb, a, err_msg=m.name)
