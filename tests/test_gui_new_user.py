"""What a new user meets in the first ten minutes (issue 24): saving over a JPEG, the mask
after a result, compare without canvas focus, Fit in Seamless Mode, the AI panel on a new
document, when Run is enabled, the style picker."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QRectF, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from texpaint.imaging.io import ImageData, read_image, write_image
from texpaint.jobs import JobResult, Operation

pytestmark = pytest.mark.gui

SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"
BRICK = SAMPLES / "polyhaven__brick_wall_005_diff_1k.jpg"
"""The bundled 1024 x 1024 brick texture."""


@pytest.fixture
def jpeg(tmp_path, sample) -> Path:
    """A 256 x 256 JPEG (quality 95) of the sample crop."""
    path = tmp_path / "wall.jpg"
    write_image(path, read_image(sample))
    return path


def _ai_edit(doc, value: float = 0.9) -> None:
    image = doc.image.rgb.copy()
    image[:64, :64] = value
    doc.apply_result(JobResult(0, Operation.INPAINT, image, (0, 64, 0, 64), 0.1, "cpu", "test"))


def _answer_lossy_question(button_text: str, seen: list[str]) -> None:
    """Once the lossy-save question is up, record its text and click ``button_text``."""

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        seen.append(box.text() + "\n" + box.informativeText())
        for b in box.buttons():
            if b.text() == button_text:
                b.click()
                return
        raise AssertionError(f"no button {button_text!r} in {[b.text() for b in box.buttons()]}")

    QTimer.singleShot(0, answer)


def test_ctrl_s_on_a_jpeg_asks_and_cancel_keeps_the_file(window, jpeg, open_image):
    doc = open_image(jpeg)
    _ai_edit(doc)
    before = jpeg.read_bytes()
    seen: list[str] = []
    _answer_lossy_question("Cancel", seen)
    window.save_action.trigger()
    assert len(seen) == 1 and "JPEG compression is lossy" in seen[0]
    assert jpeg.read_bytes() == before and doc.modified and doc.path == jpeg


def test_saving_a_jpeg_goes_to_a_lossless_png_by_default(window, jpeg, open_image, monkeypatch):
    doc = open_image(jpeg)
    _ai_edit(doc)
    expected = doc.image.rgb.copy()
    before = jpeg.read_bytes()
    starts: list[str] = []

    def save_dialog(parent, caption, start, filters):
        starts.append(start)
        return start, ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_dialog)
    seen: list[str] = []
    _answer_lossy_question("Save As Lossless…", seen)
    assert window.save() is True
    png = jpeg.with_suffix(".png")
    assert starts == [str(png)] and len(seen) == 1
    assert jpeg.read_bytes() == before
    assert np.array_equal(read_image(png).rgb, np.round(expected * 255) / 255)
    assert doc.path == png and not doc.modified
    # the document is a PNG now: Ctrl+S writes it without asking
    _ai_edit(doc, 0.2)
    assert window.save() is True and not doc.modified


def test_overwrite_jpeg_only_when_chosen_and_export_writes_a_copy(
    window, jpeg, open_image, monkeypatch, tmp_path
):
    doc = open_image(jpeg)
    _ai_edit(doc)
    before = jpeg.read_bytes()
    seen: list[str] = []
    _answer_lossy_question("Overwrite JPEG", seen)
    assert window.save() is True
    assert jpeg.read_bytes() != before and not doc.modified
    # Export As writes the chosen format without a question and keeps the document's file
    _ai_edit(doc, 0.3)
    out = tmp_path / "copy.webp"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: (str(out), ""))
    assert window.export_as() is True
    assert out.exists() and len(seen) == 1
    assert doc.path == jpeg and doc.modified


def test_quit_prompt_never_silently_overwrites_a_jpeg(window, jpeg, open_image, monkeypatch):
    doc = open_image(jpeg)
    _ai_edit(doc)
    before = jpeg.read_bytes()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Save)
    seen: list[str] = []
    _answer_lossy_question("Cancel", seen)
    assert window.close() is False  # the save was cancelled, so the window stays
    assert len(seen) == 1 and jpeg.read_bytes() == before and doc.modified
    doc.mark_image_saved()  # nothing left to ask about when the fixture closes the window


def test_save_over_a_16_bit_png_as_jpeg_lists_every_loss(window, tmp_path, open_image):
    rgb = np.random.default_rng(0).random((32, 32, 3), dtype=np.float32)
    alpha = np.ones((32, 32), np.float32)
    src = tmp_path / "deep.png"
    write_image(src, ImageData(rgb=rgb, alpha=alpha, sample_format="uint16"))
    doc = open_image(src)
    from texpaint.imaging.io import write_losses

    assert write_losses(src, doc.image) == []
    losses = write_losses(tmp_path / "x.jpg", doc.image)
    assert len(losses) == 3 and "16-bit" in losses[1] and "alpha" in losses[2]


def _inpaint(window, qtbot) -> None:
    with qtbot.waitSignal(window.jobs.resultApplied, timeout=60000):
        window.operations_panel.tabs.setCurrentIndex(0)
        window.operations_panel.run_button.click()
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=5000)


def test_mask_is_cleared_with_the_result_in_one_undo_step(window, sample, open_image, qtbot):
    doc = open_image(sample)
    doc.edit_mask("Rectangle", "fill_rect", 96, 160, 80, 176)
    window.canvas.refresh("mask", (0, 256, 0, 256))
    mask = doc.mask.data.copy()
    original = doc.image.rgb.copy()
    assert window.canvas._mask_item.buffer[128, 128] == 255
    _inpaint(window, qtbot)
    assert doc.mask.is_empty()
    assert not window.canvas._mask_item.buffer.any()  # no overlay over the result
    assert not np.array_equal(doc.image.rgb, original)
    assert [s.label for s in doc.history.steps] == ["Rectangle", "Inpaint"]
    window.undo()  # one step gives back the pixels and the mask
    assert np.array_equal(doc.image.rgb, original) and np.array_equal(doc.mask.data, mask)
    assert window.canvas._mask_item.buffer[128, 128] == 255


def test_keep_mask_preference_leaves_the_mask(window, sample, open_image, qtbot):
    from texpaint.ui.preferences import Preferences

    window.apply_preferences(Preferences(mask_after_result="keep"))
    doc = open_image(sample)
    doc.edit_mask("Rectangle", "fill_rect", 96, 160, 80, 176)
    mask = doc.mask.data.copy()
    _inpaint(window, qtbot)
    assert np.array_equal(doc.mask.data, mask)
    assert Preferences.load().mask_after_result == "clear"  # not saved: only applied
    Preferences(mask_after_result="keep").save()
    assert Preferences.load().mask_after_result == "keep"


def test_hidden_overlay_is_not_remembered_across_restarts(window, qtbot):
    from texpaint.ui.main_window import MainWindow

    window.mask_panel.overlay_slider.setValue(0)
    assert window.canvas._overlay_opacity == 0.0
    window.mask_panel.overlay_slider.setValue(30)  # a visible choice is remembered
    second = MainWindow(engine=window.engine)
    qtbot.addWidget(second)
    assert second.mask_panel.overlay_opacity == pytest.approx(0.3)
    window.mask_panel.overlay_slider.setValue(0)
    third = MainWindow(engine=window.engine)
    qtbot.addWidget(third)
    assert third.mask_panel.overlay_opacity == pytest.approx(0.5)
    assert third.canvas._overlay_opacity == pytest.approx(0.5)


def test_hold_backslash_compares_wherever_the_focus_is(window, sample, open_image, qtbot):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    doc = open_image(sample)
    _ai_edit(doc)
    window.canvas.update_compare()
    panel = window.operations_panel
    for widget in (panel.tabs, window.history_panel.list, window.mask_panel.color_button):
        widget.setFocus()
        assert not window.canvas.hasFocus()
        QTest.keyPress(widget, Qt.Key.Key_Backslash)
        assert window.canvas.comparing, widget
        QTest.keyRelease(widget, Qt.Key.Key_Backslash)
        assert not window.canvas.comparing
    # typing into a number field is left alone
    editor = panel.seed_spin.findChild(type(panel.seed_spin.lineEdit()))
    QTest.keyPress(editor, Qt.Key.Key_Backslash)
    assert not window.canvas.comparing
    QTest.keyRelease(editor, Qt.Key.Key_Backslash)
    # split view: before on the left of the result's region, after on the right
    window.split_action.trigger()
    assert window.canvas.comparing and window.canvas._before_item.clip.width() == 32
    assert not doc.mask.data.any()  # comparing painted nothing


def test_fit_in_seamless_mode_shows_the_whole_tiling_and_the_zoom(window, open_image):
    doc = open_image(BRICK)  # 1024 x 1024
    canvas = window.canvas
    window.seamless_action.trigger()
    canvas.set_zoom(2.0)
    assert window.zoom_label.text() == "200 %"
    window.fit_action.trigger()
    shown = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    h, w = doc.size
    assert shown.contains(QRectF(-w, -h, 3 * w, 3 * h).adjusted(1, 1, -1, -1))
    assert canvas.zoom < 0.34  # about a third of the plain fit
    assert window.zoom_label.text() == f"{canvas.zoom * 100:.0f} %"
    window.seamless_action.trigger()  # back to one tile: Fit shows the image alone
    window.fit_action.trigger()
    assert canvas.zoom > 0.5


def test_100_percent_zooms_around_the_mouse_pointer(window, open_image, qtbot):
    from PySide6.QtCore import QPoint
    from PySide6.QtTest import QTest

    open_image(BRICK)
    canvas = window.canvas
    window.fit_action.trigger()
    assert canvas.zoom < 1.0
    at = canvas.mapFromScene(600, 600)  # a point inside the image, off the view's centre
    assert isinstance(at, QPoint)
    QTest.mouseMove(canvas.viewport(), at)
    before = canvas.mapToScene(at)
    window.actual_size_action.trigger()
    qtbot.wait(50)  # scroll bars that appeared have resized the view by now
    after = canvas.mapToScene(at)
    assert canvas.zoom == 1.0
    assert abs(after.x() - before.x()) <= 1.5 and abs(after.y() - before.y()) <= 1.5
    assert window.zoom_label.text() == "100 %"


def test_ai_panel_forgets_the_last_job_when_another_file_opens(
    window, sample, jpeg, open_image, qtbot
):
    doc = open_image(sample)
    doc.edit_mask("Rectangle", "fill_rect", 96, 160, 80, 176)
    _inpaint(window, qtbot)
    panel = window.operations_panel
    assert panel.message.text() == "Done" and panel.progress.value() == 100
    assert window.job_label.text().startswith("Inpaint ")
    open_image(jpeg)
    assert panel.message.text() == "" and panel.progress.value() == 0
    assert window.job_label.text() == ""


def test_run_is_disabled_with_a_reason_until_it_can_run(window, sample, open_image, errors):
    panel = window.operations_panel
    panel.tabs.setCurrentIndex(0)  # Inpaint
    assert not panel.run_button.isEnabled()
    assert "Open an image" in panel.run_button.toolTip()
    doc = open_image(sample)
    assert not panel.run_button.isEnabled()
    assert "mask is empty" in panel.run_button.toolTip()
    window.operations_panel._emit_run()  # Ctrl+Return: says why, no error dialog
    assert "mask is empty" in panel.message.text() and errors == []
    window.mask_operation("fill", 0)
    assert panel.run_button.isEnabled() and "Ctrl+Return" in panel.run_button.toolTip()
    window.undo()  # the mask is empty again
    assert not panel.run_button.isEnabled()
    window.redo()
    assert panel.run_button.isEnabled()
    window.mask_operation("clear", 0)
    assert not panel.run_button.isEnabled()
    if panel.tabs.isTabEnabled(2):  # Denoise runs on the whole image when the mask is empty
        panel.tabs.setCurrentIndex(2)
        assert panel.run_button.isEnabled()
    assert not window.jobs.busy and doc is window.document


def test_default_strengths_are_the_same_in_the_painter_and_the_cli(qapp, settings_dir):
    from texpaint.cli import build_parser
    from texpaint.jobs import DEFAULT_STRENGTH
    from texpaint.ui.operations_panel import OperationsPanel

    panel = OperationsPanel()
    painter = {}
    for index, op in ((1, "stylize"), (2, "denoise")):
        panel.tabs.setCurrentIndex(index)
        if panel.tabs.currentIndex() == index:
            # a tab without a strength control sends none: the engine's default applies
            painter[op] = panel.request()["params"].get("strength", DEFAULT_STRENGTH)
    parser = build_parser()
    cli = {
        "denoise": parser.parse_args(["denoise", "in.png", "-o", "out.png"]).strength,
        "stylize": parser.parse_args(["stylize", "in.png", "--style", "x", "-o", "o.png"]).strength,
    }
    assert DEFAULT_STRENGTH == 1.0 and cli == {"denoise": 1.0, "stylize": 1.0}
    assert painter and all(v == DEFAULT_STRENGTH for v in painter.values())


def test_style_picker_is_a_list_and_remembers_the_choice(qapp, qtbot, settings_dir):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QListView

    from texpaint.ui.operations_panel import OperationsPanel

    panel = OperationsPanel()
    qtbot.addWidget(panel)
    styles = panel.style_list
    assert styles.viewMode() == QListView.ViewMode.ListMode
    assert styles.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    rows = [
        styles.item(r)
        for r in range(styles.count())
        if styles.item(r).flags() & Qt.ItemFlag.ItemIsEnabled
    ]
    assert len(rows) >= 2
    first, chosen = rows[0], rows[-1]
    assert styles.currentItem() is first
    # one wheel notch (3 steps) scrolls about one row, not two
    row_px = styles.sizeHintForRow(0)
    assert 0.6 * row_px <= 3 * styles.verticalScrollBar().singleStep() <= 1.2 * row_px
    styles.setCurrentItem(chosen)
    style_id = chosen.data(Qt.ItemDataRole.UserRole)
    again = OperationsPanel()  # the next start
    qtbot.addWidget(again)
    assert again.request()["op"] is not None
    assert again.style_list.currentItem().data(Qt.ItemDataRole.UserRole) == style_id
    again.reload()  # a reload (Models dialog) keeps it too
    assert again.style_list.currentItem().data(Qt.ItemDataRole.UserRole) == style_id


def test_title_names_the_project_after_saving_and_reopening_it(
    window, sample, open_image, qtbot, tmp_path, monkeypatch
):
    doc = open_image(sample)
    assert window.windowTitle().startswith("sample.png")
    target = tmp_path / "brick work.texpaint"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    window.save_project_as_action.trigger()
    assert window.windowTitle().startswith("brick work.texpaint")
    open_image(jpeg_of(sample, tmp_path))
    assert window.windowTitle().startswith("wall.jpg")
    assert window.open_path(target)
    qtbot.waitUntil(lambda: window.document.project_path == target, timeout=10000)
    assert window.document is not doc
    assert window.windowTitle().startswith("brick work.texpaint")


def jpeg_of(sample: Path, folder: Path) -> Path:
    path = folder / "wall.jpg"
    write_image(path, read_image(sample))
    return path


def test_batch_results_table_fills_the_dialog(qtbot, settings_dir):
    from texpaint.ui.batch_dialog import BatchExportDialog

    dialog = BatchExportDialog(None)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    rows = 12
    dialog.table.setRowCount(rows)
    row_px = dialog.table.verticalHeader().defaultSectionSize()
    visible = dialog.table.viewport().height() // row_px
    assert visible >= 8, f"only {visible} result rows visible"
    assert dialog.table.height() > dialog.height() // 3


def test_panel_shows_each_reported_phase_and_the_time_running(qapp, qtbot, settings_dir):
    from texpaint.ui.operations_panel import OperationsPanel

    panel = OperationsPanel()
    qtbot.addWidget(panel)
    panel.set_busy(True)
    panel.set_progress(0.0, "Finding texture to continue")
    assert panel.message.text() == "Finding texture to continue"
    assert panel.progress.text() == "0% · 0 s"
    qtbot.waitUntil(lambda: panel.progress.text() == "0% · 1 s", timeout=3000)  # ticks alone
    panel.set_progress(-1.0, "Searching (size unknown)")  # no fraction: a busy indicator
    assert panel.progress.maximum() == 0 and panel.message.text() == "Searching (size unknown)"
    panel.set_progress(0.42, "Refining pass 1/2")
    assert panel.progress.maximum() == 100 and panel.progress.value() == 42
    panel.set_busy(False)
    assert panel.progress.text() == "42%"


def test_a_real_inpaint_shows_its_phases_in_the_panel(window, sample, open_image, qtbot):
    doc = open_image(sample)
    doc.edit_mask("Rectangle", "fill_rect", 96, 160, 80, 176)
    shown: list[str] = []
    window.operations_panel.message.setText("")
    reported: list[str] = []
    window.jobs.progress.connect(lambda f, msg: reported.append(msg))
    window.jobs.progress.connect(
        lambda f, msg: shown.append(window.operations_panel.message.text())
    )
    _inpaint(window, qtbot)
    assert reported and shown == reported  # every phase the job reported was on screen
    assert window.operations_panel.message.text() == "Done"
