"""Autosave and crash recovery.

Each running texpaint writes, in ``<data dir>/autosave/``:

* ``session-<pid>.lock``: JSON ``{"pid", "started"}``, created at start and removed on a clean
  exit together with the session's autosave. A lock left behind by a process that is no
  longer running means that session crashed (or was killed).
* ``session-<pid>.texpaint``: the open document as a project file (image, mask, wrap, undo
  history; see :mod:`texpaint.document.project`), written every N minutes (Preferences,
  default 3) and after each applied AI result, only when the document changed since the last
  autosave.

The data dir is :func:`texpaint.models.catalog.user_data_dir` (``$TEXPAINT_DATA_DIR`` when
set, as the tests do, else platformdirs). On start the main window calls
:meth:`Autosaver.offer_recovery`: for a crashed session with an autosave it asks Recover /
Discard.

Only the snapshot (:func:`~texpaint.document.project.snapshot_project`: a copy of the image
and mask, about 0.1 s for a 4096² float image) is taken on the GUI thread; compression and
the disk write (seconds for a large image) run on a background thread
(:func:`~texpaint.ui.background.run_in_background`, thread ``texpaint-autosave``), one at a
time. A save asked for while one is being written is written after it. A failing autosave is
reported in the status bar only, never by a dialog.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from texpaint.document.document import IMAGE_LAYER, MASK_LAYER, TextureDocument
from texpaint.document.project import (
    PROJECT_SUFFIX,
    ProjectError,
    ProjectSnapshot,
    load_project,
    snapshot_project,
    write_project,
)
from texpaint.models.catalog import user_data_dir
from texpaint.ui.background import BackgroundTask, run_in_background


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill(pid, 0) would send CTRL_C_EVENT there
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to someone else
        return True
    except OSError:
        return False
    return True


def _document_state(doc: TextureDocument) -> tuple:
    h = doc.history
    return (
        id(doc),
        h.state_token(IMAGE_LAYER),
        h.state_token(MASK_LAYER),
        h.index,
        len(h.steps),
        doc.wrap,
    )


class BackgroundSaver(QObject):
    """Timed and on-demand saving of a snapshot on a background thread, one write at a time:
    the machinery the painter's :class:`Autosaver` and the Material window's
    :class:`~texpaint.ui.material_autosave.MaterialAutosaver` share.

    A subclass gives a cheap change token of what it saves
    (:meth:`_state`; None when there is nothing to save now), the copy taken on the GUI thread
    (:meth:`_snapshot`) and the write to :attr:`path` run on the background thread
    (:meth:`_write`). A save is
    started only when the token differs from the last written one; a save asked for while one
    is being written is written after it; a file written after :meth:`_end` is removed again.

    Args:
        parent: owner QObject.
        thread_name: the writer thread's name.
        path: the file the saves go to (:attr:`path`).

    Signals:
        saved(object): the file ``Path`` just written.
        failed(str): a save failed; message for the status bar.
    """

    saved = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None, thread_name: str, path: Path) -> None:
        super().__init__(parent)
        self.path = path
        self._thread_name = thread_name
        self._last_state: object = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.save_now)
        self._started = False
        self._writer: BackgroundTask[Path] | None = None
        self._pending = False

    # ---------------------------------------------------------------- for subclasses
    def _state(self) -> object:
        """A token that changes whenever what is saved changes; None: nothing to save now."""
        raise NotImplementedError

    def _snapshot(self) -> object:
        """GUI thread: copy what is saved (raises MemoryError, OSError or ValueError)."""
        raise NotImplementedError

    def _write(self, snapshot: Any) -> Path:
        """Writer thread: compress and write ``snapshot`` to :attr:`path`; returns it."""
        raise NotImplementedError

    def _begin(self, minutes: int) -> None:
        self._started = True
        self.set_interval_minutes(minutes)

    def _end(self) -> None:
        """Stop the timer, wait for a write in progress and remove :attr:`path`."""
        self._timer.stop()
        self._started = False
        self._pending = False
        self.wait()
        self.path.unlink(missing_ok=True)

    # ---------------------------------------------------------------- public
    def set_interval_minutes(self, minutes: int) -> None:
        """Save every ``minutes`` (0 stops the timer; edits still save)."""
        self._timer.stop()
        if minutes > 0 and self._started:
            self._timer.start(int(minutes * 60_000))

    @property
    def interval_ms(self) -> int:
        """The timer's interval, 0 when the timer is off."""
        return self._timer.interval() if self._timer.isActive() else 0

    @property
    def busy(self) -> bool:
        """True while a save is being written on the background thread."""
        return self._writer is not None

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the write in progress (if any) has finished; its result signal is
        still delivered by the event loop. Returns False if ``timeout_s`` ran out first."""
        writer = self._writer
        return writer.wait(timeout_s) if writer is not None else True

    @Slot()
    def save_now(self) -> bool:
        """Start writing :attr:`path` if what it holds changed since the last save. The write
        runs on a background thread; :attr:`saved` or :attr:`failed` follows. A call while a
        write is in progress queues one more save.

        Returns:
            True when a write was started; False when not started, there is nothing to save
            (or a brush stroke is open), it is unchanged, or a write is already running
            (then queued).
        """
        if not self._started:
            return False
        if self._writer is not None:
            self._pending = True
            return False
        state = self._state()
        if state is None or state == self._last_state:
            return False
        try:
            snapshot = self._snapshot()
        except (ProjectError, MemoryError, OSError, ValueError) as e:
            self.failed.emit(f"Autosave failed: {e}")
            return False
        self._writer = run_in_background(
            partial(self._write, snapshot),
            name=self._thread_name,
            on_finished=partial(self._on_written, state),
        )
        return True

    def _on_written(self, state: object, task: BackgroundTask[Path]) -> None:
        self._writer = None
        try:
            path = task.result()
        except (ProjectError, MemoryError) as e:
            self.failed.emit(f"Autosave failed: {e}")
        except Exception as e:  # noqa: BLE001 - any write failure goes to the status bar
            self.failed.emit(f"Autosave failed: {type(e).__name__}: {e}")
        else:
            self._last_state = state
            if self._started:
                self.saved.emit(path)
            else:  # stopped meanwhile: the file must not outlive its window or session
                self.path.unlink(missing_ok=True)
        if self._pending and self._started:
            self._pending = False
            self.save_now()


def ask_recover(parent: QWidget | None, title: str, text: str) -> bool:
    """Ask Recover / Discard about autosaves left by a crash; True for Recover."""
    box = QMessageBox(
        QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent
    )
    recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.exec()
    return box.clickedButton() is recover


class Autosaver(BackgroundSaver):
    """Periodic and on-demand autosave of the current document, plus the session lock.

    Args:
        current_document: returns the document to save (or None).
        parent: owner QObject (the main window).
        folder: where to keep locks and autosaves (default ``user_data_dir() / "autosave"``).

    Signals:
        saved(object): the autosave file ``Path`` just written.
        failed(str): an autosave failed; message for the status bar.
    """

    def __init__(
        self,
        current_document: Callable[[], TextureDocument | None],
        parent: QObject | None = None,
        folder: Path | None = None,
    ) -> None:
        folder = Path(folder) if folder is not None else user_data_dir() / "autosave"
        super().__init__(
            parent, "texpaint-autosave", folder / f"session-{os.getpid()}{PROJECT_SUFFIX}"
        )
        self._current = current_document
        self.folder = folder
        self.lock_path = folder / f"session-{os.getpid()}.lock"

    # ------------------------------------------------------------------ session
    def start(self, minutes: int = 3) -> None:
        """Write this session's lock file and start the timer (``minutes`` 0: no timer)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.lock_path.write_text(
                json.dumps({"pid": os.getpid(), "started": time.time()}), encoding="utf-8"
            )
        except OSError as e:
            self.failed.emit(f"Autosave disabled: cannot write in {self.folder} ({e})")
            return
        self._begin(minutes)

    def stop(self) -> None:
        """Clean exit: stop the timer, wait for a write in progress, and remove this
        session's lock and autosave."""
        self._end()
        self.lock_path.unlink(missing_ok=True)

    # ------------------------------------------------------------------ saving
    def _state(self) -> tuple | None:
        doc = self._current()
        if doc is None or doc.history.in_block:
            return None
        return _document_state(doc)

    def _snapshot(self) -> ProjectSnapshot:
        doc = self._current()
        assert doc is not None  # _state() saw it a moment ago, on this thread
        return snapshot_project(doc, copy=True)

    def _write(self, snapshot: ProjectSnapshot) -> Path:
        return write_project(snapshot, self.path)

    # ------------------------------------------------------------------ recovery
    def crashed_sessions(self) -> list[tuple[Path, Path | None]]:
        """``(lock, autosave or None)`` of sessions whose process is gone, newest first."""
        found = []
        for lock in self.folder.glob("session-*.lock"):
            if lock == self.lock_path:
                continue
            try:
                pid = int(json.loads(lock.read_text(encoding="utf-8"))["pid"])
            except (OSError, ValueError, KeyError, TypeError):
                pid = -1
            if _pid_alive(pid):
                continue
            save = lock.with_suffix(PROJECT_SUFFIX)
            found.append((lock, save if save.is_file() else None))
        found.sort(key=lambda item: item[0].stat().st_mtime, reverse=True)
        return found

    def offer_recovery(self, parent: QWidget | None = None) -> TextureDocument | None:
        """Ask whether to recover the newest crashed session's autosave.

        Returns:
            The recovered document (``modified``, without a project path, so saving asks
            where), or None when there is nothing to recover, the user chose Discard, or the
            autosave could not be read (an error dialog then names the file, which is kept).
            Locks of crashed sessions are removed in every case; a discarded autosave too.
        """
        sessions = self.crashed_sessions()
        candidates = [(lock, save) for lock, save in sessions if save is not None]
        for lock, save in sessions:
            if save is None:
                lock.unlink(missing_ok=True)
        if not candidates:
            return None
        lock, save = candidates[0]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(save.stat().st_mtime))
        recover = ask_recover(
            parent,
            "Recover unsaved work",
            f"texpaint did not shut down cleanly. An autosave from {when} was found.\n\n"
            "Recover it?",
        )
        recovered: TextureDocument | None = None
        if recover:
            try:
                recovered = load_project(save)
            except ProjectError as e:
                QMessageBox.critical(
                    parent, "Cannot recover", f"{e}\nThe autosave is kept at {save}."
                )
                for old_lock, _ in candidates:
                    old_lock.unlink(missing_ok=True)
                return None
            recovered.project_path = None
            recovered.mark_image_saved(False)
        for old_lock, old_save in candidates:
            old_lock.unlink(missing_ok=True)
            if old_save is not None:
                old_save.unlink(missing_ok=True)
        return recovered
