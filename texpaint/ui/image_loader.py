"""Reads image files into documents on a background thread, so the GUI never waits on a disk.

This is not the inference worker: decoding a file needs no model or device, and an open must
not queue behind a long AI job. Each request runs on its own short-lived thread
(:func:`~texpaint.ui.background.run_in_background`, thread ``texpaint-open``); only the newest
request's result is delivered: a newer request cancels the older ones, whose results are
dropped when they finish (a read cannot be interrupted mid-file).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from texpaint.document.document import TextureDocument
from texpaint.document.project import PROJECT_SUFFIX, ProjectError, load_project
from texpaint.imaging.io import ImageIOError
from texpaint.ui.background import BackgroundTask, run_in_background


def _read(path: Path, memory_cap_bytes: int | None) -> TextureDocument:
    """Runs on the load thread: :meth:`TextureDocument.open`, or
    :func:`~texpaint.document.project.load_project` for a ``.texpaint`` file."""
    if path.suffix.lower() == PROJECT_SUFFIX:
        return load_project(path, memory_cap_bytes=memory_cap_bytes)
    return TextureDocument.open(path)


def _message(path: Path, exc: BaseException) -> str:
    """The user's message for a failed read of ``path``."""
    if isinstance(exc, ImageIOError | ProjectError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return f"Not enough memory to open {path.name}."
    return f"Cannot read {path.name}: {type(exc).__name__}: {exc}"


class ImageLoader(QObject):
    """Opens image files off the GUI thread.

    Signals (all delivered on the loader's thread, the GUI thread):
        started(object): ``Path`` whose load began.
        loaded(object, object): ``Path`` and the new :class:`TextureDocument` (float32 image,
            empty mask, fresh history) of the newest request.
        failed(object, str): ``Path`` and a message for the user (unreadable, unsupported,
            corrupt or too large a file) of the newest request.
        busyChanged(bool): a load started while none ran / the last one ended.
    """

    started = Signal(object)
    loaded = Signal(object, object)
    failed = Signal(object, str)
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: list[BackgroundTask[TextureDocument]] = []
        self._latest: BackgroundTask[TextureDocument] | None = None
        self.memory_cap_bytes: int | None = None  # undo cap for opened projects (None: default)

    @property
    def busy(self) -> bool:
        """True while any read is running (or its outcome is not delivered yet)."""
        return bool(self._tasks)

    def load(self, path: str | Path) -> None:
        """Start reading ``path``; the answer comes as ``loaded`` or ``failed``.

        A later :meth:`load` supersedes this one: its result is then dropped.
        """
        path = Path(path)
        cap = self.memory_cap_bytes
        was_busy = self.busy
        for older in self._tasks:
            older.cancel()  # superseded: its result or error is dropped
        task = run_in_background(
            partial(_read, path, cap),
            name="texpaint-open",
            on_finished=partial(self._on_finished, path),
        )
        self._tasks.append(task)
        self._latest = task
        self.started.emit(path)
        if not was_busy:
            self.busyChanged.emit(True)

    def _on_finished(self, path: Path, task: BackgroundTask[TextureDocument]) -> None:
        if task in self._tasks:
            self._tasks.remove(task)
        if task is self._latest:
            self._latest = None
            try:
                document = task.result()
            except BaseException as exc:  # noqa: BLE001 - any reader failure becomes a message
                self.failed.emit(path, _message(path, exc))
            else:
                self.loaded.emit(path, document)
        if not self._tasks:
            self.busyChanged.emit(False)

    def shutdown(self) -> None:
        """Drop every pending result and wait for running reads to end (they cannot be
        interrupted mid-file; a read takes at most the time to decode one image)."""
        self._latest = None
        for task in list(self._tasks):
            task.cancel()
            task.wait()
