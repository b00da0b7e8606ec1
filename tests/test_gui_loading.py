"""Opening files happens on a background thread; the current document stays until it is done."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from texpaint.document.document import TextureDocument
from texpaint.jobs import JobResult, Operation

pytestmark = pytest.mark.gui


@pytest.fixture
def gated_open(monkeypatch):
    """Makes TextureDocument.open wait for ``gates[path.name].set()``; records reader threads."""
    original = TextureDocument.open.__func__
    gates: dict[str, threading.Event] = {}
    readers: list[threading.Thread] = []

    def gated(cls, path):
        readers.append(threading.current_thread())
        gate = gates.setdefault(Path(path).name, threading.Event())
        assert gate.wait(10.0), "test never opened the gate"
        return original(cls, path)

    monkeypatch.setattr(TextureDocument, "open", classmethod(gated))
    return gates, readers


def _edit_image(doc: TextureDocument, value: float) -> None:
    """Change the image as an AI result would (one undo step over a 16 x 16 box)."""
    image = doc.image.rgb.copy()
    image[:16, :16] = value
    doc.apply_result(JobResult(0, Operation.INPAINT, image, (0, 16, 0, 16), 0.1, "test", "x"))


def test_open_reads_in_background_and_keeps_current_document(
    window, sample, open_image, gated_open, qtbot, tmp_path
):
    gates, readers = gated_open
    gates["sample.png"] = threading.Event()
    gates["sample.png"].set()
    first = open_image(sample)
    second = tmp_path / "second.png"
    shutil.copy(sample, second)

    assert window.open_path(second)  # returns at once, the read waits on its gate
    qtbot.waitUntil(lambda: len(readers) == 2, timeout=5000)
    assert readers[-1] is not threading.main_thread()
    assert window.loader.busy and window.load_progress.isVisible()
    assert "Opening" in window.statusBar().currentMessage()
    assert window.document is first
    # the old document is still editable while the new file loads
    canvas = window.canvas
    window.tools[0].size = 20
    vp = canvas.viewport()
    pts = [canvas.mapFromScene(x, 100) for x in (50, 80, 110)]
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[0])
    for p in pts[1:]:
        QTest.mouseMove(vp, p)
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pts[-1])
    assert first.mask.data[100, 80] > 0.9

    gates["second.png"].set()
    qtbot.waitUntil(lambda: window.document is not first, timeout=10000)
    doc = window.document
    assert doc.path == second and doc.mask.is_empty()
    assert np.array_equal(doc.image.rgb, first.image.rgb)  # same pixels, copied file
    assert not window.loader.busy and not window.load_progress.isVisible()
    assert window.recent.paths()[0] == second.resolve()
    assert "second.png" in window.windowTitle()


def test_newer_open_wins_over_older_one(window, sample, gated_open, qtbot, tmp_path):
    gates, _ = gated_open
    later = tmp_path / "later.png"
    shutil.copy(sample, later)
    for name in ("sample.png", "later.png"):
        gates[name] = threading.Event()
    window.open_path(sample)
    window.open_path(later)
    gates["later.png"].set()
    qtbot.waitUntil(lambda: window.document is not None, timeout=10000)
    assert window.document.path == later
    assert window.loader.busy  # the older read is still running ...
    gates["sample.png"].set()
    qtbot.waitUntil(lambda: not window.loader.busy, timeout=10000)
    assert window.document.path == later  # ... and its result was dropped


def test_open_recent_menu_loads_file(window, sample, qtbot):
    window.recent.add(sample)
    window._fill_recent_menu()
    action = window.recent_menu.actions()[0]
    assert action.text() == "sample.png"
    action.trigger()
    qtbot.waitUntil(lambda: window.document is not None, timeout=10000)
    assert window.document.path == sample.resolve()


def test_missing_file_error_keeps_document(window, sample, open_image, errors, qtbot, tmp_path):
    doc = open_image(sample)
    window.open_path(tmp_path / "nope.png")
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert errors[-1][0] == "Cannot open image" and "nope.png" in errors[-1][1]
    assert window.document is doc and "sample.png" in window.windowTitle()


def test_edit_during_load_asks_again(
    window, sample, open_image, gated_open, qtbot, tmp_path, monkeypatch
):
    gates, _ = gated_open
    gates["sample.png"] = threading.Event()
    gates["sample.png"].set()
    doc = open_image(sample)
    _edit_image(doc, 0.0)
    answers = [QMessageBox.StandardButton.Discard, QMessageBox.StandardButton.Cancel]
    asked = []

    def question(*args, **kwargs):
        asked.append(args[2])
        return answers.pop(0) if answers else QMessageBox.StandardButton.Discard

    monkeypatch.setattr(QMessageBox, "question", question)
    other = tmp_path / "other.png"
    shutil.copy(sample, other)
    gates["other.png"] = threading.Event()
    assert window.open_path(other)  # Discard: fine to drop the edit made so far
    _edit_image(doc, 1.0)  # ... but then the image changes again while the file loads
    edited = doc.image.rgb.copy()
    gates["other.png"].set()
    qtbot.waitUntil(lambda: not window.loader.busy, timeout=10000)
    assert len(asked) == 2  # asked again, answered Cancel
    assert window.document is doc and np.array_equal(doc.image.rgb, edited)


def test_drop_shows_nothing_for_non_images(window, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    text = tmp_path / "notes.txt"
    text.write_text("hello")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(text))])
    event = QDropEvent(
        QPointF(QPoint(10, 10)),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    assert not window.loader.busy and window.document is None
