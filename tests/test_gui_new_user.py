"""What a new user meets in the first ten minutes (issue 24): saving over a JPEG, the mask
after a result, compare without canvas focus, Fit in Seamless Mode, the AI panel on a new
document, when Run is enabled, the style picker."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from texpaint.engine.jobs import JobResult, Operation
from texpaint.imaging.io import ImageData, read_image, write_image

pytestmark = pytest.mark.gui


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
