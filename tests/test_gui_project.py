"""File → Save Project / Open Project in the main window, and corrupt or unsavable projects."""

from __future__ import annotations

import errno
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from texpaint.document import project as project_mod
from texpaint.document.project import save_project
from texpaint.jobs import JobResult, Operation

pytestmark = pytest.mark.gui


def _ai_edit(doc, value: float) -> None:
    image = doc.image.rgb.copy()
    image[8:40, 8:40] = value
    doc.apply_result(JobResult(0, Operation.INPAINT, image, (8, 40, 8, 40), 0.1, "cpu", "test"))


def _wait_project(window, qtbot, path: Path, old):
    qtbot.waitUntil(
        lambda: window.document not in (None, old) and window.document.project_path == path,
        timeout=10000,
    )
    return window.document


def test_save_project_then_open_restores_image_mask_wrap_and_undo(
    window, sample, open_image, qtbot, tmp_path, monkeypatch, errors
):
    doc = open_image(sample)
    original = doc.image.rgb.copy()
    window.mask_operation("fill", 0)
    _ai_edit(doc, 0.75)
    window.seamless_action.trigger()
    assert doc.wrap
    target = tmp_path / "work"  # the suffix is added
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    assert window.save_project_as_action.isEnabled()
    window.save_project_as_action.trigger()
    saved = tmp_path / "work.texpaint"
    assert saved.is_file() and doc.project_path == saved and not errors

    assert window.open_path(saved)
    back = _wait_project(window, qtbot, saved, doc)
    assert back is not doc and back.wrap and window.seamless_action.isChecked()
    assert np.array_equal(back.image.rgb, doc.image.rgb)
    assert np.array_equal(back.mask.data, doc.mask.data)
    assert window.undo_action.isEnabled()
    window.undo_action.trigger()  # the AI result
    window.undo_action.trigger()  # the mask fill
    assert np.array_equal(back.image.rgb, original)
    assert back.mask.is_empty()
    window.redo_action.trigger()
    window.redo_action.trigger()
    assert np.array_equal(back.image.rgb, doc.image.rgb)


def test_corrupt_project_shows_error_and_keeps_document(
    window, sample, open_image, qtbot, tmp_path, errors
):
    doc = open_image(sample)
    pixels = doc.image.rgb.copy()
    good = save_project(doc, tmp_path / "good.texpaint")
    bad = tmp_path / "broken.texpaint"
    data = bytearray(good.read_bytes())
    data[len(data) // 3 : len(data) // 3 + 64] = b"\xff" * 64  # damage a member
    bad.write_bytes(bytes(data))
    assert window.open_path(bad)
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert errors[0][0] == "Cannot open project" and "broken.texpaint" in errors[0][1]
    assert window.document is doc
    assert np.array_equal(doc.image.rgb, pixels)


def test_save_project_on_full_disk_explains_and_keeps_old_file(
    window, sample, open_image, tmp_path, monkeypatch, errors
):
    doc = open_image(sample)
    path = save_project(doc, tmp_path / "p.texpaint")
    old = path.read_bytes()
    _ai_edit(doc, 0.1)

    def full_disk(target, members):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(project_mod, "_write_zip", full_disk)
    assert window.save_project() is False
    assert errors and errors[0][0] == "Cannot save project"
    assert "not enough disk space" in errors[0][1]
    assert path.read_bytes() == old
