"""Autosave and crash recovery of Material windows, as the painter's :mod:`texpaint.ui.autosave`.

Each open :class:`~texpaint.ui.material_window.MaterialWindow` writes its set, roles and mask
as a material project (:func:`~texpaint.document.material_project.save_material_project`:
atomic, temp file + :func:`os.replace`) to ``<data dir>/autosave/material-<pid>-<n>.texmat``
every N minutes (the painter's Preferences, default 3) and after each applied edit of the
maps (Inpaint, Make Seamless, Denoise, Stylize), only when the window changed since its last
autosave. The GUI thread only copies the arrays; compression and the write run on a
background thread (:func:`~texpaint.ui.background.run_in_background`, thread
``texpaint-material-autosave``), one at a time (a request meanwhile is written after it).
Closing the window (saved, or its changes discarded by the user) removes its autosave.

A file whose process ``<pid>`` no longer runs was left by a crash (or a kill)
(:func:`crashed_material_autosaves`): :func:`texpaint.ui.material_window.
offer_material_recovery`, called at start after the painter's own recovery, asks
Recover / Discard and reopens the sets in Material windows (marked modified, their autosave
moved, never copied, to the new window's autosave, so no moment exists where it is on disk
nowhere). An autosave that cannot be read is kept and named.
"""

from __future__ import annotations

import itertools
import os
import weakref
from functools import partial
from pathlib import Path
from typing import Protocol

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from texpaint.document.material import MaterialSet
from texpaint.document.material_project import PROJECT_EXTENSION, save_material_project
from texpaint.models.catalog import user_data_dir
from texpaint.ui.autosave import _pid_alive
from texpaint.ui.background import BackgroundTask, run_in_background


class _SavedWindow(Protocol):
    """What the autosaver reads of a Material window."""

    mset: MaterialSet
    mask: np.ndarray
    revision: int


__all__ = [
    "AUTOSAVE_PREFIX",
    "MaterialAutosaver",
    "autosave_folder",
    "crashed_material_autosaves",
]

AUTOSAVE_PREFIX = "material-"
"""Material autosaves are ``<prefix><pid>-<n>.texmat`` in the autosave folder."""

_serial = itertools.count(1)


def autosave_folder() -> Path:
    """``<data dir>/autosave`` (the painter's autosave folder)."""
    return user_data_dir() / "autosave"


class MaterialAutosaver(QObject):
    """Timed and on-demand autosave of one Material window.

    Args:
        window: the Material window (a QObject with ``mset``, ``mask`` and ``revision``, a
            counter bumped on every change) whose set is saved.
        folder: where to write (default :func:`autosave_folder`).

    Signals:
        saved(object): the autosave ``Path`` just written.
        failed(str): an autosave failed; message for the status bar.
    """

    saved = Signal(object)
    failed = Signal(str)

    def __init__(self, window: QObject, folder: Path | None = None) -> None:
        super().__init__(window)
        # a weak reference: no reference cycle with the window's Python wrapper
        self._window: weakref.ref[_SavedWindow] = weakref.ref(window)  # type: ignore[arg-type]
        self.folder = Path(folder) if folder is not None else autosave_folder()
        self.path = (
            self.folder / f"{AUTOSAVE_PREFIX}{os.getpid()}-{next(_serial)}{PROJECT_EXTENSION}"
        )
        self._last_revision: int | None = window.revision  # type: ignore[attr-defined]
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.save_now)
        self._started = False
        self._writer: BackgroundTask[Path] | None = None
        self._pending = False

    def start(self, minutes: int = 3) -> None:
        """Start the timer (``minutes`` 0: no timer; edits still autosave)."""
        self._started = True
        self._timer.stop()
        if minutes > 0:
            self._timer.start(int(minutes * 60_000))

    @property
    def interval_ms(self) -> int:
        """The timer's interval, 0 when the timer is off."""
        return self._timer.interval() if self._timer.isActive() else 0

    @property
    def busy(self) -> bool:
        """True while an autosave is being written."""
        return self._writer is not None

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the write in progress (if any) has finished."""
        writer = self._writer
        return writer.wait(timeout_s) if writer is not None else True

    def stop(self) -> None:
        """The window closed for good: stop, wait for a write, remove the autosave."""
        self._timer.stop()
        self._started = False
        self._pending = False
        self.wait()
        self.path.unlink(missing_ok=True)

    def adopt(self, old: Path) -> None:
        """Make the (recovered) autosave ``old`` this window's autosave (moved, atomic)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        os.replace(old, self.path)
        win = self._window()
        self._last_revision = None if win is None else win.revision

    @Slot()
    def save_now(self) -> bool:
        """Start writing the window's set and mask if they changed since the last autosave
        (on a background thread; :attr:`saved` or :attr:`failed` follows). A call while a
        write runs queues one more.

        Returns:
            True when a write started.
        """
        if not self._started:
            return False
        if self._writer is not None:
            self._pending = True
            return False
        win = self._window()
        if win is None:
            return False
        revision = win.revision
        if revision == self._last_revision:
            return False
        try:
            snapshot = win.mset.with_pixels(
                [
                    (m.image.rgb.copy(), None if m.image.alpha is None else m.image.alpha.copy())
                    for m in win.mset.maps
                ]
            )
            mask = np.array(win.mask, dtype=np.float32, copy=True)
            self.folder.mkdir(parents=True, exist_ok=True)
        except (MemoryError, OSError) as e:
            self.failed.emit(f"Autosave failed: {e}")
            return False
        self._writer = run_in_background(
            partial(self._write, snapshot, mask),
            name="texpaint-material-autosave",
            on_finished=partial(self._on_written, revision),
        )
        return True

    def _write(self, snapshot: MaterialSet, mask: np.ndarray) -> Path:
        return save_material_project(self.path, snapshot, mask)

    def _on_written(self, revision: int, task: BackgroundTask[Path]) -> None:
        self._writer = None
        try:
            path = task.result()
        except Exception as e:  # noqa: BLE001 - any write failure goes to the status bar
            self.failed.emit(f"Autosave failed: {e}")
        else:
            self._last_revision = revision
            if self._started:
                self.saved.emit(path)
            else:  # closed meanwhile: the file must not outlive the window
                self.path.unlink(missing_ok=True)
        if self._pending and self._started:
            self._pending = False
            self.save_now()


def crashed_material_autosaves(folder: Path | None = None) -> list[Path]:
    """Material autosaves left by processes that no longer run, newest first."""
    root = Path(folder) if folder is not None else autosave_folder()
    found = []
    for f in root.glob(f"{AUTOSAVE_PREFIX}*{PROJECT_EXTENSION}"):
        try:
            pid = int(f.stem[len(AUTOSAVE_PREFIX) :].split("-", 1)[0])
        except ValueError:
            continue
        if not _pid_alive(pid):
            found.append(f)
    found.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return found
