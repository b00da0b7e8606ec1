"""Canvas behaviour seen on screen: zoom, pan, pixel grid, compare, tools, overlay, close prompt.

Everything goes through real Qt input events (QTest mouse/key events, QWheelEvent delivered
to the viewport) and is checked on the pixels the viewport renders (``viewport().grab()``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from texpaint.imaging.io import ImageData, write_image
from texpaint.ui.canvas import display_rgb8

pytestmark = pytest.mark.gui

NO_MOD = Qt.KeyboardModifier.NoModifier
LEFT = Qt.MouseButton.LeftButton
MIDDLE = Qt.MouseButton.MiddleButton


# ---------------------------------------------------------------------- helpers
def _flat_png(tmp_path: Path, rgb: tuple[float, float, float], size: int = 32) -> Path:
    """Write a ``size`` x ``size`` 8-bit PNG of one colour; returns its path."""
    pixels = np.empty((size, size, 3), np.float32)
    pixels[...] = np.asarray(rgb, np.float32)
    path = tmp_path / f"flat_{size}.png"
    write_image(path, ImageData(rgb=pixels, alpha=None, sample_format="uint8"))
    return path


def _grab(canvas) -> np.ndarray:
    """The viewport as rendered now: uint8 ``(h, w, 3)`` RGB."""
    img = canvas.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    h, w = img.height(), img.width()
    rows = np.frombuffer(img.constBits(), np.uint8).reshape(h, img.bytesPerLine())
    return rows[:, : w * 3].reshape(h, w, 3).copy()


def _view(canvas, x: float, y: float) -> QPoint:
    """Viewport pixel showing image point ``(x, y)``."""
    return canvas.mapFromScene(QPointF(x, y))


def _shown(grab: np.ndarray, canvas, x: int, y: int) -> np.ndarray:
    """Rendered colour of image pixel ``(y, x)``: the screen pixel holding its centre."""
    p = canvas.viewportTransform().map(QPointF(x + 0.5, y + 0.5))  # floor, not mapFromScene's round
    return grab[int(np.floor(p.y())), int(np.floor(p.x()))].astype(int)


def _wheel(viewport, pos: QPointF, angle_y: int) -> None:
    event = QWheelEvent(
        pos,
        viewport.mapToGlobal(pos),
        QPoint(0, 0),
        QPoint(0, angle_y),
        Qt.MouseButton.NoButton,
        NO_MOD,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, event)


def _drag(viewport, points: list[QPoint], button=LEFT) -> None:
    QTest.mousePress(viewport, button, NO_MOD, points[0])
    for p in points[1:]:
        QTest.mouseMove(viewport, p)
    QTest.mouseRelease(viewport, button, NO_MOD, points[-1])


def _focus_canvas(window, qtbot) -> None:
    window.activateWindow()
    qtbot.waitActive(window)
    window.canvas.setFocus()


def _inpaint(window, qtbot, box: tuple[int, int, int, int]) -> None:
    """Mask ``box`` (y0, y1, x0, x1) and run Inpaint through the real worker."""
    doc = window.document
    window.canvas.refresh("mask", doc.edit_mask("Rectangle", "fill_rect", *box))
    with qtbot.waitSignal(window.jobs.resultApplied, timeout=60000):
        qtbot.mouseClick(window.operations_panel.run_button, LEFT)
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=5000)


# ---------------------------------------------------------------------- zoom
def test_wheel_zoom_keeps_image_point_under_cursor(window, sample, open_image):
    open_image(sample)
    canvas = window.canvas
    vp = canvas.viewport()
    canvas.set_zoom(4.0)  # 1024 px of image: scrollable both ways
    for pos in (QPointF(250.0, 200.0), QPointF(600.0, 640.0)):
        under = canvas.mapToScene(pos.toPoint())
        start = canvas.zoom
        _wheel(vp, pos, 120)
        assert canvas.zoom == pytest.approx(start * 1.25)
        moved = canvas.mapToScene(pos.toPoint()) - under
        assert abs(moved.x()) <= 1.0 / canvas.zoom and abs(moved.y()) <= 1.0 / canvas.zoom
        _wheel(vp, pos, -120)
        assert canvas.zoom == pytest.approx(start)
        moved = canvas.mapToScene(pos.toPoint()) - under
        assert abs(moved.x()) <= 1.0 / canvas.zoom and abs(moved.y()) <= 1.0 / canvas.zoom


def test_fit_and_actual_size_shortcuts(window, sample, open_image, qtbot):
    open_image(sample)
    canvas = window.canvas
    _focus_canvas(window, qtbot)
    canvas.set_zoom(3.0)
    QTest.keyClick(canvas, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert canvas.zoom == 1.0
    assert _view(canvas, 256, 0).x() - _view(canvas, 0, 0).x() == 256
    QTest.keyClick(canvas, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    vw, vh = canvas.viewport().width(), canvas.viewport().height()
    top_left, bottom_right = _view(canvas, 0, 0), _view(canvas, 256, 256)
    assert top_left.x() >= 0 and top_left.y() >= 0
    assert bottom_right.x() <= vw and bottom_right.y() <= vh
    # the image fills the viewport's smaller side (fitInView keeps a 2 px margin)
    assert min(vw, vh) - 8 <= 256 * canvas.zoom <= min(vw, vh)


# ---------------------------------------------------------------------- pan
def test_space_drag_pans_by_drag_distance(window, sample, open_image, qtbot):
    doc = open_image(sample)
    canvas = window.canvas
    vp = canvas.viewport()
    canvas.set_zoom(4.0)
    h, v = canvas.horizontalScrollBar(), canvas.verticalScrollBar()
    h0, v0 = h.value(), v.value()
    under_start = canvas.mapToScene(QPoint(400, 400))
    _focus_canvas(window, qtbot)
    QTest.keyPress(canvas, Qt.Key.Key_Space)
    _drag(vp, [QPoint(400, 400), QPoint(350, 370), QPoint(300, 340)])
    QTest.keyRelease(canvas, Qt.Key.Key_Space)
    assert (h.value(), v.value()) == (h0 + 100, v0 + 60)
    assert canvas.mapToScene(QPoint(300, 340)) == under_start  # the image moved with the hand
    assert doc.mask.is_empty() and not doc.history.steps  # panning never paints
    # without space the same drag paints again
    _drag(vp, [QPoint(400, 400), QPoint(350, 370)])
    assert not doc.mask.is_empty()


def test_middle_button_drag_pans(window, sample, open_image):
    doc = open_image(sample)
    canvas = window.canvas
    canvas.set_zoom(4.0)
    h, v = canvas.horizontalScrollBar(), canvas.verticalScrollBar()
    h0, v0 = h.value(), v.value()
    _drag(canvas.viewport(), [QPoint(300, 300), QPoint(330, 320), QPoint(350, 340)], MIDDLE)
    assert (h.value(), v.value()) == (h0 - 50, v0 - 40)
    assert doc.mask.is_empty()


# ---------------------------------------------------------------------- pixel grid
def test_pixel_grid_drawn_from_8x_only(window, tmp_path, open_image):
    colour = (0.2, 0.6, 0.9)
    open_image(_flat_png(tmp_path, colour, 32))
    canvas = window.canvas
    flat = display_rgb8(np.asarray([[colour]], np.float32), "srgb")[0, 0].astype(int)
    grid = np.round(flat + (128 - flat) * (90 / 255)).astype(int)  # grey, alpha 90

    def grid_columns(grab: np.ndarray) -> list[int]:
        """Image x boundaries 1..31 whose screen column (or its left neighbour) is grid grey."""
        row = _view(canvas, 0, 16.5).y()  # the middle of image row 16
        found = []
        for x in range(1, 32):
            col = _view(canvas, x, 0).x()
            if any(np.abs(grab[row, c].astype(int) - grid).max() <= 3 for c in (col - 1, col)):
                found.append(x)
        return found

    for zoom in (4.0, 7.5):
        canvas.set_zoom(zoom)
        grab = _grab(canvas)
        assert grid_columns(grab) == []
        assert all((_shown(grab, canvas, x, 16) == flat).all() for x in range(32))
    for zoom in (8.0, 16.0):
        canvas.set_zoom(zoom)
        grab = _grab(canvas)
        assert grid_columns(grab) == list(range(1, 32))
        # pixel interiors keep the image colour
        assert all((_shown(grab, canvas, x, 16) == flat).all() for x in range(32))


# ---------------------------------------------------------------------- compare
def test_split_compare_shows_before_left_and_after_right(window, sample, open_image, qtbot):
    doc = open_image(sample)
    _inpaint(window, qtbot, (96, 160, 64, 192))
    canvas = window.canvas
    QTest.keyClick(window.mask_panel.overlay_slider, Qt.Key.Key_Home)  # overlay off
    canvas.actual_size()
    (y0, y1, x0, x1), before = doc.last_result_before
    after = doc.image.rgb[y0:y1, x0:x1]
    before8, after8 = display_rgb8(before, "srgb"), display_rgb8(after, "srgb")
    mid = (x0 + x1) // 2
    ys = range(y0 + 2, y1 - 2, 5)
    left = [(y, x) for y in ys for x in range(x0 + 2, mid - 2, 5)]
    right = [(y, x) for y in ys for x in range(mid + 2, x1 - 2, 5)]

    def differs(points):
        return sum(
            np.abs(before8[y - y0, x - x0].astype(int) - after8[y - y0, x - x0]).max() > 8
            for y, x in points
        )

    assert differs(left) > len(left) // 2 and differs(right) > len(right) // 2

    grab = _grab(canvas)  # split off: the result everywhere
    for y, x in left + right:
        assert np.abs(_shown(grab, canvas, x, y) - after8[y - y0, x - x0]).max() <= 1
    window.split_action.trigger()
    assert canvas.comparing
    grab = _grab(canvas)
    for y, x in left:
        assert np.abs(_shown(grab, canvas, x, y) - before8[y - y0, x - x0]).max() <= 1
    for y, x in right:
        assert np.abs(_shown(grab, canvas, x, y) - after8[y - y0, x - x0]).max() <= 1
    window.split_action.trigger()
    grab = _grab(canvas)
    for y, x in left:
        assert np.abs(_shown(grab, canvas, x, y) - after8[y - y0, x - x0]).max() <= 1


# ---------------------------------------------------------------------- tools
def test_eraser_removes_mask_along_mouse_stroke(window, sample, open_image, qtbot):
    doc = open_image(sample)
    window.mask_operation("fill", 0)
    _focus_canvas(window, qtbot)
    QTest.keyClick(window.canvas, Qt.Key.Key_E)
    assert window.canvas.tool.name == "Eraser"
    window.canvas.tool.size = 20
    pts = [_view(window.canvas, x, 128) for x in range(40, 221, 10)]
    _drag(window.canvas.viewport(), pts)
    mask = doc.mask.data
    assert mask[128, 60] < 0.05 and mask[128, 200] < 0.05
    assert mask[20, 128] == 1.0 and mask[250, 128] == 1.0
    assert [s.label for s in doc.history.steps] == ["Fill mask", "Eraser"]
    assert window.canvas._mask_item.buffer[128, 128] < 15  # the overlay follows


def test_rectangle_tool_fills_dragged_box(window, sample, open_image, qtbot):
    doc = open_image(sample)
    canvas = window.canvas
    _focus_canvas(window, qtbot)
    QTest.keyClick(canvas, Qt.Key.Key_R)
    assert canvas.tool.name == "Rectangle"
    vp = canvas.viewport()
    QTest.mousePress(vp, LEFT, NO_MOD, _view(canvas, 40, 50))
    QTest.mouseMove(vp, _view(canvas, 70, 90))
    assert canvas.tool.preview_path() is not None and doc.mask.is_empty()  # only outlined
    QTest.mouseMove(vp, _view(canvas, 100, 120))
    QTest.mouseRelease(vp, LEFT, NO_MOD, _view(canvas, 100, 120))
    mask = doc.mask.data
    assert (mask[51:119, 41:99] == 1.0).all()
    assert not mask[:49].any() and not mask[121:].any()
    assert not mask[:, :39].any() and not mask[:, 101:].any()
    assert [s.label for s in doc.history.steps] == ["Rectangle"]


def test_lasso_tool_fills_drawn_outline(window, sample, open_image, qtbot):
    doc = open_image(sample)
    canvas = window.canvas
    _focus_canvas(window, qtbot)
    QTest.keyClick(canvas, Qt.Key.Key_L)
    assert canvas.tool.name == "Lasso"
    corners = [(50, 50), (200, 50), (125, 200)]
    pts = []
    for (ax, ay), (bx, by) in zip(corners, corners[1:] + corners[:1], strict=True):
        pts += [_view(canvas, ax + (bx - ax) * f / 10, ay + (by - ay) * f / 10) for f in range(10)]
    _drag(canvas.viewport(), pts)
    mask = doc.mask.data
    assert (mask[70:110, 110:140] == 1.0).all()  # inside the triangle
    assert mask[180, 60] == 0.0 and mask[180, 190] == 0.0 and mask[30, 125] == 0.0
    assert [s.label for s in doc.history.steps] == ["Lasso"]


# ---------------------------------------------------------------------- overlay
def test_overlay_opacity_changes_rendered_pixels(window, tmp_path, open_image):
    grey = (0.5, 0.5, 0.5)
    doc = open_image(_flat_png(tmp_path, grey, 32))
    canvas = window.canvas
    canvas.refresh("mask", doc.edit_mask("Rectangle", "fill_rect", 0, 32, 0, 16))
    canvas.set_zoom(4.0)
    image = display_rgb8(np.asarray([[grey]], np.float32), "srgb")[0, 0].astype(int)
    red = np.array([255, 40, 60])  # the default overlay colour
    slider = window.mask_panel.overlay_slider
    for key, amount in ((Qt.Key.Key_Home, 0.0), (Qt.Key.Key_End, 1.0)):
        QTest.keyClick(slider, key)
        grab = _grab(canvas)
        expected = np.round(image + (red - image) * amount)
        assert np.abs(_shown(grab, canvas, 8, 16) - expected).max() <= 2  # masked
        assert (_shown(grab, canvas, 24, 16) == image).all()  # unmasked
    QTest.keyClick(slider, Qt.Key.Key_Home)
    for _ in range(5):
        QTest.keyClick(slider, Qt.Key.Key_PageUp)  # 5 pages of 10 % = 50 %
    assert window.mask_panel.overlay_opacity == pytest.approx(0.5)
    grab = _grab(canvas)
    assert np.abs(_shown(grab, canvas, 8, 16) - (image + (red - image) * 0.5)).max() <= 3


# ---------------------------------------------------------------------- closing
def test_close_after_ai_result_asks_and_cancel_keeps_everything(
    window, sample, open_image, qtbot, monkeypatch
):
    doc = open_image(sample)
    _inpaint(window, qtbot, (64, 128, 64, 128))
    assert doc.modified
    pixels = doc.image.rgb.copy()
    asked: list[str] = []

    def answer(button):
        def question(parent, title, text, *args, **kwargs):
            asked.append(text)
            return button

        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Cancel))
    assert not window.close()
    assert asked and "sample.png" in asked[0]
    assert window.isVisible() and window.document is doc
    assert np.array_equal(doc.image.rgb, pixels) and doc.modified
    assert doc.history.steps[-1].label == "Inpaint"

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Discard))
    assert window.close()
    assert len(asked) == 2 and not window.isVisible()


def test_close_with_only_mask_edits_does_not_ask(window, sample, open_image, monkeypatch):
    doc = open_image(sample)
    window.mask_operation("fill", 0)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a))
    assert not doc.modified
    assert window.close() and not asked


# ---------------------------------------------------------------------- seamless
def test_seamless_mode_wraps_brush_strokes_across_the_edge(window, sample, open_image):
    doc = open_image(sample)
    canvas = window.canvas
    canvas.set_zoom(2.0)  # room around the image to drag past its right edge
    window.tools[0].size = 20
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    seamless = next(a for a in view_menu.actions() if a.text().replace("&", "") == "Seamless Mode")
    seamless.trigger()
    assert seamless.isChecked() and doc.wrap
    _drag(canvas.viewport(), [_view(canvas, x, 100) for x in range(230, 276, 5)])
    mask = doc.mask.data
    assert mask[100, 250] > 0.9 and mask[100, 5] > 0.9 and mask[100, 15] > 0.9  # 275 -> 19
    assert mask[100, 60] == 0.0 and mask[100, 200] == 0.0
    assert canvas._mask_item.buffer[100, 5] > 230  # the wrapped part is shown
    assert [s.label for s in doc.history.steps] == ["Brush"]

    seamless.trigger()  # off: the same stroke stops at the edge
    assert not doc.wrap
    _drag(canvas.viewport(), [_view(canvas, x, 200) for x in range(230, 276, 5)])
    assert mask[200, 250] > 0.9 and not mask[190:211, :40].any()

    window.undo()
    window.undo()
    assert doc.mask.is_empty() and not canvas._mask_item.buffer.any()
