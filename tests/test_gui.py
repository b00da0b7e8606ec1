"""Main window end to end: real mouse strokes, the real inference worker, undo, errors."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from texpaint.imaging.io import read_image

pytestmark = pytest.mark.gui


def _drag(viewport, points: list[QPoint]) -> None:
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
    for p in points[1:]:
        QTest.mouseMove(viewport, p)
    QTest.mouseRelease(
        viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1]
    )


def _view_point(canvas, x: float, y: float) -> QPoint:
    return canvas.mapFromScene(x, y)


def test_open_and_paint_stroke_with_mouse(window, sample, open_image):
    open_image(sample)
    doc = window.document
    assert doc.size == (256, 256)
    canvas = window.canvas
    window.tools[0].size = 20
    pts = [_view_point(canvas, x, 128) for x in range(40, 220, 10)]
    _drag(canvas.viewport(), pts)
    mask = doc.mask.data
    assert mask[128, 60] > 0.9 and mask[128, 200] > 0.9  # along the stroke
    assert mask[20, 128] == 0.0 and mask[250, 128] == 0.0  # away from it
    assert [s.label for s in doc.history.steps] == ["Brush"]  # one stroke, one step
    assert window.history_panel.list.count() == 2
    assert not doc.modified  # mask only
    # the overlay shows the painted mask
    assert canvas._mask_item.buffer[128, 128] > 200


def test_inpaint_through_worker_then_undo_redo(window, sample, open_image, qtbot):
    open_image(sample)
    doc = window.document
    doc.edit_mask("Rectangle", "fill_rect", 96, 160, 80, 176)
    window.canvas.refresh("mask", (0, 256, 0, 256))
    original = doc.image.rgb.copy()
    inside = doc.mask.data > 0
    with qtbot.waitSignal(window.engine.jobFinished, timeout=60000):
        qtbot.mouseClick(window.operations_panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=5000)
    assert not errors_shown(window)
    after = doc.image.rgb.copy()
    assert np.array_equal(after[~inside], original[~inside])  # bit-identical outside
    assert not np.array_equal(after[inside], original[inside])
    assert doc.history.steps[-1].label == "Inpaint"
    assert doc.modified and "*" in window.windowTitle()
    assert window.job_label.text().startswith("Inpaint ") and " s on " in window.job_label.text()
    shown = window.canvas._image_item.buffer
    assert np.array_equal(
        shown[128, 128], (np.clip(after[128, 128], 0, 1) * 255 + 0.5).astype(np.uint8)
    )

    # hold backslash: the before-image of the result is shown
    window.canvas.setFocus()
    QTest.keyPress(window.canvas, Qt.Key.Key_Backslash)
    assert window.canvas.comparing
    QTest.keyRelease(window.canvas, Qt.Key.Key_Backslash)
    assert not window.canvas.comparing

    window.undo()
    assert np.array_equal(doc.image.rgb, original)
    assert not doc.modified
    window.redo()
    assert np.array_equal(doc.image.rgb, after)


def errors_shown(window) -> bool:
    return window.operations_panel.message.text() == "Failed"


def test_cancel_leaves_document_unchanged(window, sample, open_image, qtbot):
    open_image(sample)
    doc = window.document
    doc.edit_mask("Rectangle", "fill_rect", 0, 256, 0, 256)
    original = doc.image.rgb.copy()
    steps = len(doc.history.steps)
    with qtbot.waitSignal(window.engine.jobCancelled, timeout=60000):
        window.operations_panel.run_button.click()
        window.operations_panel.cancel_button.click()
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=5000)
    assert np.array_equal(doc.image.rgb, original)
    assert len(doc.history.steps) == steps
    assert window.operations_panel.run_button.isEnabled()


def test_inpaint_with_empty_mask_explains(window, sample, open_image, errors):
    open_image(sample)
    window.operations_panel.run_button.click()  # disabled: nothing runs
    assert "mask is empty" in window.operations_panel.run_button.toolTip()
    with pytest.raises(ValueError, match="mask is empty"):  # the job is refused all the same
        window.jobs.run(window.operations_panel.request())
    assert not errors and not window.jobs.busy


def test_corrupt_file_shows_error_and_keeps_document(
    window, sample, open_image, tmp_path, errors, qtbot
):
    open_image(sample)
    doc = window.document
    pixels = doc.image.rgb.copy()
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    assert window.open_path(bad)  # the read starts in the background
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert len(errors) == 1 and errors[0][0] == "Cannot open image"
    assert "broken.png" in errors[0][1]
    assert not window.loader.busy and not window.load_progress.isVisible()
    assert window.document is doc
    assert np.array_equal(doc.image.rgb, pixels)


def test_bracket_keys_change_brush_size(window, sample, open_image, qtbot):
    open_image(sample)
    window.activateWindow()
    qtbot.waitActive(window)
    window.canvas.setFocus()
    tool = window.canvas.tool
    start = tool.size
    QTest.keyClick(window.canvas, Qt.Key.Key_BracketRight)
    bigger = tool.size
    assert bigger > start
    QTest.keyClick(window.canvas, Qt.Key.Key_BracketLeft)
    QTest.keyClick(window.canvas, Qt.Key.Key_BracketLeft)
    assert tool.size < bigger
    assert window.mask_panel.size_spin.value() == round(tool.size)


def test_mask_panel_operations_are_undoable(window, sample, open_image):
    open_image(sample)
    doc = window.document
    window.mask_operation("fill", 0)
    assert doc.mask.data.min() == 1.0
    window.mask_operation("invert", 0)
    assert doc.mask.is_empty()
    window.history_panel.jumpRequested.emit(1)
    assert doc.mask.data.min() == 1.0
    assert [s.label for s in doc.history.steps] == ["Fill mask", "Invert mask"]


def test_models_missing_disable_tabs_with_tooltip(window):
    from texpaint.models.catalog import list_models
    from texpaint.ui.operations_panel import NO_MODEL_TOOLTIP

    tabs = window.operations_panel.tabs
    assert tabs.isTabEnabled(0)  # the test inpainting model
    for i, op in ((1, "stylize"), (2, "denoise")):
        if not list_models(op):
            assert not tabs.isTabEnabled(i)
            assert tabs.tabToolTip(i) == NO_MODEL_TOOLTIP


def test_recent_files_and_save_as_keep_format(window, sample, open_image, tmp_path):
    open_image(sample)
    assert window.recent.paths()[0] == sample.resolve()
    others = []
    for i in range(12):
        p = tmp_path / f"copy{i}.png"
        shutil.copy(sample, p)
        others.append(p)
        window.recent.add(p)
    paths = window.recent.paths()
    assert len(paths) == 10 and paths[0] == others[-1].resolve()
    out = tmp_path / "saved.tif"
    assert window._save_to(out)
    assert read_image(out).sample_format == "uint8"
    assert np.array_equal(read_image(out).rgb, window.document.image.rgb)


def test_stale_result_is_dropped(window, sample, open_image, qtbot):
    open_image(sample)
    doc = window.document
    doc.edit_mask("Rectangle", "fill_rect", 0, 64, 0, 64)
    window.jobs.run(window.operations_panel.request())
    window.jobs.document = None  # as if another document replaced this one mid-job
    with qtbot.waitSignal(window.engine.jobFinished, timeout=60000):
        pass
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=5000)
    assert doc.history.steps[-1].label != "Inpaint"


def test_result_waits_for_stroke_in_progress(window, sample, open_image, qtbot):
    open_image(sample)
    doc = window.document
    doc.edit_mask("Rectangle", "fill_rect", 0, 64, 0, 64)
    canvas = window.canvas
    vp = canvas.viewport()
    QTest.mousePress(
        vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, _view_point(canvas, 200, 200)
    )
    with qtbot.waitSignal(window.engine.jobFinished, timeout=60000):
        window.operations_panel.run_button.click()
    QTest.mouseMove(vp, _view_point(canvas, 220, 220))
    assert doc.history.steps[-1].label == "Rectangle"  # result deferred, stroke still open
    QTest.mouseRelease(
        vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, _view_point(canvas, 220, 220)
    )
    qtbot.waitUntil(lambda: doc.history.steps[-1].label == "Inpaint", timeout=5000)
    assert [s.label for s in doc.history.steps] == ["Rectangle", "Brush", "Inpaint"]


def test_drop_image_file_opens_it(window, sample, qtbot):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(sample))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.document is not None, timeout=10000)
    assert window.document.path == sample and window.document.size == (256, 256)
