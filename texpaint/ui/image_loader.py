"""Reads image files into documents on a background thread, so the GUI never waits on a disk.

This is not the inference worker: decoding a file needs no model or device, and an open must
not queue behind a long AI job. Each request gets a short-lived :class:`QThread`; only the
newest request's result is delivered, older ones are dropped when they finish.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from texpaint.document.document import TextureDocument
from texpaint.document.project import PROJECT_SUFFIX, ProjectError, load_project
from texpaint.imaging.io import ImageIOError


class _LoadThread(QThread):
    """Runs :meth:`TextureDocument.open` (or :func:`~texpaint.document.project.load_project` for a
    ``.texpaint`` file) for one path; ``done`` carries itself when it ends.

    After ``done`` exactly one of ``document`` / ``error`` is set.
    """

    done = Signal(object)

    def __init__(
        self, path: Path, parent: QObject | None = None, memory_cap_bytes: int | None = None
    ) -> None:
        super().__init__(parent)
        self.path = path
        self.memory_cap_bytes = memory_cap_bytes
        self.document: TextureDocument | None = None
        self.error: str | None = None

    def run(self) -> None:  # noqa: D102 (runs in the load thread)
        try:
            if self.path.suffix.lower() == PROJECT_SUFFIX:
                self.document = load_project(self.path, memory_cap_bytes=self.memory_cap_bytes)
            else:
                self.document = TextureDocument.open(self.path)
        except (ImageIOError, ProjectError) as exc:
            self.error = str(exc)
        except MemoryError:
            self.error = f"Not enough memory to open {self.path.name}."
        except Exception as exc:  # noqa: BLE001 - any reader failure becomes a message
            self.error = f"Cannot read {self.path.name}: {type(exc).__name__}: {exc}"
        self.done.emit(self)


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
        self._threads: list[_LoadThread] = []
        self._latest: _LoadThread | None = None
        self.memory_cap_bytes: int | None = None  # undo cap for opened projects (None: default)

    @property
    def busy(self) -> bool:
        """True while any load thread is running."""
        return bool(self._threads)

    def load(self, path: str | Path) -> None:
        """Start reading ``path``; the answer comes as ``loaded`` or ``failed``.

        A later :meth:`load` supersedes this one: its result is then dropped.
        """
        thread = _LoadThread(Path(path), self, self.memory_cap_bytes)
        thread.done.connect(self._on_done)  # queued: self lives on the GUI thread
        was_busy = self.busy
        self._threads.append(thread)
        self._latest = thread
        thread.start()
        self.started.emit(thread.path)
        if not was_busy:
            self.busyChanged.emit(True)

    @Slot(object)
    def _on_done(self, thread: _LoadThread) -> None:
        thread.wait()  # run() has returned; this only joins the thread
        if thread in self._threads:
            self._threads.remove(thread)
        thread.deleteLater()
        if thread is self._latest:
            self._latest = None
            if thread.document is not None:
                self.loaded.emit(thread.path, thread.document)
            else:
                self.failed.emit(thread.path, thread.error or "Unknown error.")
        if not self._threads:
            self.busyChanged.emit(False)

    def shutdown(self) -> None:
        """Drop every pending result and wait for running reads to end (they cannot be
        interrupted mid-file; a read takes at most the time to decode one image)."""
        self._latest = None
        for thread in list(self._threads):
            thread.wait()
