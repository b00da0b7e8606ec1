"""Explicit saves (File → Save / Save Project) write on a thread while the GUI stays live."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import QTimer

from texpaint.document.project import load_project
from texpaint.imaging.io import ImageIOError, read_image
from texpaint.jobs import JobResult, Operation
from texpaint.ui import main_window as main_window_mod


def _ai_edit(doc, value: float) -> None:
    image = doc.image.rgb.copy()
    image[:64, :64] = value
    doc.apply_result(JobResult(0, Operation.INPAINT, image, (0, 64, 0, 64), 0.1, "cpu", "test"))


def _slow(real, release: threading.Event, threads: list[str]):
    def write(*args, **kwargs):
        threads.append(threading.current_thread().name)
        assert release.wait(20)
        return real(*args, **kwargs)

    return write


def _edit_while_writing(window, doc, release: threading.Event, ticks: list[int]) -> QTimer:
    """A GUI-thread timer that counts its ticks, changes the document on the third and lets
    the write finish on the sixth: it only runs if the event loop runs during the save."""
    timer = QTimer(window)

    def tick() -> None:
        ticks.append(1)
        if len(ticks) == 3:
            _ai_edit(doc, 0.1)
        if len(ticks) == 6:
            release.set()

    timer.timeout.connect(tick)
    timer.start(20)
    return timer


@pytest.mark.parametrize("kind", ["image", "project"])
def test_save_writes_a_snapshot_on_a_thread_while_the_event_loop_runs(
    kind, window, sample, open_image, tmp_path, monkeypatch
):
    """File → Save / Save Project: the write runs on the save thread while GUI timers keep
    firing; an edit made meanwhile is not in the file and leaves the document modified."""
    doc = open_image(sample)
    _ai_edit(doc, 0.9)
    expected = doc.image.rgb.copy()
    release, threads, ticks = threading.Event(), [], []
    writer = "write_image" if kind == "image" else "write_project"
    monkeypatch.setattr(
        main_window_mod, writer, _slow(getattr(main_window_mod, writer), release, threads)
    )
    out = tmp_path / ("saved.png" if kind == "image" else "work.texpaint")
    save = window._save_to if kind == "image" else window._save_project_to
    timer = _edit_while_writing(window, doc, release, ticks)
    assert save(out) is True
    timer.stop()
    assert threads == ["texpaint-save"] and len(ticks) >= 6
    if kind == "image":
        assert np.array_equal(read_image(out).rgb, np.round(expected * 255) / 255)
        assert doc.path == out and doc.modified
        doc.history.undo()
        assert not doc.modified  # back at the state that was written
    else:
        back = load_project(out)
        assert np.array_equal(back.image.rgb, expected) and len(back.history.steps) == 1
        assert doc.project_path == out and len(doc.history.steps) == 2


def test_failed_save_reports_and_keeps_the_document(
    window, sample, open_image, tmp_path, monkeypatch, errors
):
    doc = open_image(sample)
    _ai_edit(doc, 0.9)

    def fail(*args, **kwargs):
        raise ImageIOError("disk full")

    monkeypatch.setattr(main_window_mod, "write_image", fail)
    assert window._save_to(tmp_path / "nope.png") is False
    assert errors == [("Cannot save image", "disk full")]
    assert doc.path == sample and doc.modified and not (tmp_path / "nope.png").exists()
