"""Image → Make Seamless… through the real worker, and the tiled preview of seamless mode."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QDialog

from texpaint.engine.seamless import plan_seamless, seam_overlap_px
from texpaint.imaging.seam_band import band_overlap_px
from texpaint.imaging.seams import wrap_check
from texpaint.ui.seamless_dialog import SeamlessDialog

pytestmark = pytest.mark.gui


def _menu_action(window, menu: str, text: str):
    m = next(a.menu() for a in window.menuBar().actions() if a.text() == menu)
    return next(a for a in m.actions() if a.text().replace("&", "") == text)


def _render_scene(canvas, source: QRectF) -> np.ndarray:
    """uint8 (h, w, 3) RGB of ``source`` (scene pixels) rendered 1:1, as the canvas shows it."""
    w, h = round(source.width()), round(source.height())
    img = QImage(w, h, QImage.Format.Format_RGB888)
    img.fill(QColor(255, 0, 255))
    painter = QPainter(img)
    canvas.scene().render(painter, QRectF(0, 0, w, h), source)
    painter.end()
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(h, img.bytesPerLine())
    return arr[:, : w * 3].reshape(h, w, 3).copy()


def test_make_seamless_through_worker_tiles_and_undoes(
    window, sample, open_image, qtbot, monkeypatch
):
    doc = open_image(sample)
    h, w = doc.size
    original = doc.image.rgb.copy()
    steps = len(doc.history.steps)
    seen = {}

    def accept(dialog):
        assert "already tiles" not in dialog.status.text()
        assert not dialog.force.isVisible()
        dialog.fit.setChecked(False)  # keep the size
        dialog.auto_band.setChecked(False)
        dialog.band.setValue(24)
        dialog.update_preview()
        pix = dialog.preview.pixmap()
        seen["preview"] = (pix.width(), pix.height())
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(SeamlessDialog, "exec", accept)
    action = _menu_action(window, "&Image", "Make Seamless…")
    assert action.isEnabled()
    with qtbot.waitSignal(window.engine.jobFinished, timeout=60000):
        action.trigger()
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=5000)
    assert seen["preview"][0] >= 300 and seen["preview"][1] >= 300, "3 x 3 tiled preview"
    after = doc.image.rgb.copy()
    assert after.shape == original.shape
    assert wrap_check(after).tiles and not wrap_check(original).tiles
    plan = plan_seamless(original, 24, fit_to_period=False)
    reach = 12 + max(band_overlap_px(24), *(seam_overlap_px(plan, a) for a in (0, 1)))
    inner = (slice(reach, h - reach), slice(reach, w - reach))
    assert np.array_equal(after[inner], original[inner]), "away from the seams: bit-identical"
    assert len(doc.history.steps) == steps + 1
    assert doc.history.steps[-1].label == "Make Seamless"
    assert window.job_label.text().startswith("Make Seamless ")
    shown = window.canvas._image_item.buffer
    assert np.array_equal(shown[0, 0], (np.clip(after[0, 0], 0, 1) * 255 + 0.5).astype(np.uint8))

    window.undo()
    assert np.array_equal(doc.image.rgb, original) and not doc.modified
    window.redo()
    assert np.array_equal(doc.image.rgb, after)

    # cancelled dialog: no job
    monkeypatch.setattr(SeamlessDialog, "exec", lambda d: QDialog.DialogCode.Rejected)
    action.trigger()
    assert not window.jobs.busy and len(doc.history.steps) == steps + 1


def test_dialog_says_already_tiles_and_applies_nothing(
    window, open_image, tmp_path, qtbot, monkeypatch
):
    from texpaint import resources_dir
    from texpaint.imaging.io import ImageData, read_image, write_image

    src = read_image(resources_dir() / "samples" / "polyhaven__brick_wall_005_diff_1k.jpg").rgb
    tile = src.reshape(256, 4, 256, 4, 3).mean(axis=(1, 3))  # block average: still tiles
    path = tmp_path / "tile.png"
    write_image(path, ImageData(rgb=tile, alpha=None, sample_format="uint8"))
    doc = open_image(path)
    original = doc.image.rgb.copy()
    steps = len(doc.history.steps)
    seen = {}

    def accept(dialog):
        seen["text"] = dialog.status.text()
        seen["force_shown"] = dialog.force.isVisibleTo(dialog)  # the --force check box
        seen["params"] = dialog.params()
        dialog.force.setChecked(True)
        seen["forced"] = dialog.params()
        dialog.force.setChecked(False)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(SeamlessDialog, "exec", accept)
    _menu_action(window, "&Image", "Make Seamless…").trigger()
    assert "already tiles" in seen["text"] and seen["force_shown"]
    assert seen["params"] is None and seen["forced"]["force"] is True
    assert not window.jobs.busy and len(doc.history.steps) == steps
    assert np.array_equal(doc.image.rgb, original)


def test_seamless_mode_shows_the_neighbour_tiles(window, sample, open_image):
    doc = open_image(sample)
    canvas = window.canvas
    h, w = doc.size
    assert not canvas.tiled_preview and canvas.sceneRect() == QRectF(0, 0, w, h)
    canvas.tile_dim = 0.0  # undimmed, so rendered neighbours equal image pixels exactly
    seamless = _menu_action(window, "&View", "Seamless Mode")
    seamless.trigger()
    assert doc.wrap and canvas.tiled_preview
    assert canvas.sceneRect() == QRectF(-w, -h, 3 * w, 3 * h)

    shown = _render_scene(canvas, QRectF(-w, -h, 3 * w, 3 * h))
    image = canvas._image_item.buffer
    assert np.array_equal(shown[h : 2 * h, w : 2 * w], image)  # the image itself
    # left of the image: its right-hand columns; above it: its bottom rows; and the corners
    assert np.array_equal(shown[h : 2 * h, w - 5 : w], image[:, -5:])
    assert np.array_equal(shown[h : 2 * h, 2 * w : 2 * w + 5], image[:, :5])
    assert np.array_equal(shown[h - 5 : h, w : 2 * w], image[-5:])
    assert np.array_equal(shown[2 * h, w : 2 * w], image[0])
    assert np.array_equal(shown[:h, :w], image) and np.array_equal(shown[2 * h :, 2 * w :], image)

    # image edits show in the neighbours at once
    doc.image.rgb[:, -3:] = 1.0
    canvas.refresh("image", (0, h, w - 3, w))
    shown = _render_scene(canvas, QRectF(-8, 0, 8, h))
    assert (shown[:, -3:] == 255).all()

    # the default preview dims the neighbours
    seamless.trigger()
    canvas.tile_dim = 0.5
    seamless.trigger()
    left = _render_scene(canvas, QRectF(-w, 0, w, h)).astype(int)
    assert np.abs(left - np.round(image * 0.5)).max() <= 2
    seamless.trigger()  # off: no neighbours, the scene is the image again
    assert not canvas.tiled_preview and canvas.sceneRect() == QRectF(0, 0, w, h)
    shown = _render_scene(canvas, QRectF(-w, 0, w, h))
    assert (shown == [255, 0, 255]).all()


def test_dialog_shows_the_fitted_size_and_previews_the_3x3_tiling(qtbot):
    """A crop of a running-bond wall: the dialog names the size fit to period gives (whole
    periods: 288 x 240), the preview is the reduced result tiled 3 x 3 (each third of the
    preview the same tile, and that tile tiles), and unticking Fit to period keeps the size."""
    from test_lattice import running_bond

    from texpaint.ui.seamless_dialog import tiled_preview

    wall = running_bond(400, 480, brick=48, course=20, seed=5)
    crop = wall[7 : 7 + 251, 13 : 13 + 301].copy()
    dialog = SeamlessDialog(crop)
    qtbot.addWidget(dialog)
    assert dialog.plan.size == (240, 288)
    assert "new size 288 x 240" in dialog.fit.text()
    assert "301 x 251 → 288 x 240" in dialog.status.text()
    assert not dialog.force.isVisibleTo(dialog), "no force box: the crop does not tile"
    shown = dialog.preview.pixmap()
    assert not shown.isNull() and shown.width() >= 300, "the 3 x 3 preview shows on open"
    out = dialog.preview_image()
    assert wrap_check(out).tiles and not wrap_check(crop).tiles
    tiles = tiled_preview(out)
    th, tw = out.shape[:2]
    assert tiles.shape == (3 * th, 3 * tw, 3)
    for i in range(3):
        for j in range(3):
            assert np.array_equal(
                tiles[i * th : (i + 1) * th, j * tw : (j + 1) * tw], tiles[:th, :tw]
            )
    dialog.update_preview()
    pix = dialog.preview.pixmap()
    assert not pix.isNull() and pix.width() >= 300 and pix.height() >= 240
    dialog.fit.setChecked(False)
    assert dialog.plan.size == (251, 301) and "new size" not in dialog.fit.text()
    assert dialog.params() == {
        "band_px": None,
        "even_lighting": None,
        "fit_to_period": False,
        "force": False,
    }
