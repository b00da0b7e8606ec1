"""Run slow file work (saving) on a thread while the GUI stays live.

Saving a 4096² float image as a 16-bit PNG or a project with its undo history takes seconds
of compression. :func:`run_off_gui_thread` does that work on a short-lived thread and keeps
the GUI thread's event loop running meanwhile (the window repaints; the inference worker's
progress and results keep arriving), with a window-modal busy dialog once it takes longer
than :data:`SHOW_AFTER_MS`. To the caller it looks synchronous: it returns the work's result
or raises its exception, so "save, then close" flows stay simple. The work must not touch
the live document: pass it a snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QProgressDialog, QWidget

from texpaint.ui.background import run_in_background

T = TypeVar("T")

SHOW_AFTER_MS = 400
"""The busy dialog appears only for work that takes longer than this (milliseconds)."""


def run_off_gui_thread(parent: QWidget | None, label: str, work: Callable[[], T]) -> T:
    """Run ``work()`` on a background thread (:func:`~texpaint.ui.background.run_in_background`,
    thread ``texpaint-save``); process GUI events until it returns.

    Args:
        parent: the window the busy dialog blocks (window-modal) once it shows.
        label: the dialog's text, e.g. ``"Saving brick.png…"``.
        work: the function to run; it must not use Qt widgets or the live document.

    Returns:
        What ``work()`` returned.

    Raises:
        Whatever ``work()`` raised, re-raised on the calling (GUI) thread.
    """
    loop = QEventLoop()
    dialog = QProgressDialog(label, "", 0, 0, parent)
    dialog.setWindowTitle("texpaint")
    dialog.setCancelButton(None)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(0)
    dialog.reset()  # hidden until the timer shows it
    show = QTimer()
    show.setSingleShot(True)
    show.timeout.connect(dialog.show)
    show.start(SHOW_AFTER_MS)
    # on_finished comes through the event loop, so it cannot arrive before exec() runs;
    # the outcome (value or error) is read from the task below
    task = run_in_background(work, name="texpaint-save", on_finished=lambda _t: loop.quit())
    loop.exec()
    show.stop()
    dialog.close()
    dialog.deleteLater()
    return task.result()
