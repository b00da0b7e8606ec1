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

import threading
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

T = TypeVar("T")

SHOW_AFTER_MS = 400
"""The busy dialog appears only for work that takes longer than this (milliseconds)."""


class _Finished(QObject):
    done = Signal()


def run_off_gui_thread(parent: QWidget | None, label: str, work: Callable[[], T]) -> T:
    """Run ``work()`` on a new thread; process GUI events until it returns.

    Args:
        parent: the window the busy dialog blocks (window-modal) once it shows.
        label: the dialog's text, e.g. ``"Saving brick.png…"``.
        work: the function to run; it must not use Qt widgets or the live document.

    Returns:
        What ``work()`` returned.

    Raises:
        Whatever ``work()`` raised, re-raised on the calling (GUI) thread.
    """
    outcome: dict[str, object] = {}
    finished = _Finished()
    loop = QEventLoop()
    finished.done.connect(loop.quit, Qt.ConnectionType.QueuedConnection)

    def target() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread
            outcome["error"] = exc
        finally:
            finished.done.emit()

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
    worker = threading.Thread(target=target, name="texpaint-save", daemon=True)
    worker.start()
    loop.exec()  # the queued quit arrives even if the work ended before exec started
    worker.join()
    show.stop()
    dialog.close()
    dialog.deleteLater()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
