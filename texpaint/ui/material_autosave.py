"""Autosave and crash recovery of Material windows, as the painter's :mod:`texpaint.ui.autosave`.

Each open :class:`~texpaint.ui.material_window.MaterialWindow` writes its set, roles, mask
and undo history as a material project
(:func:`~texpaint.document.material_project.save_material_project`: atomic, temp file +
:func:`os.replace`) to ``<data dir>/autosave/material-<pid>-<n>.texmat`` every N minutes
(the painter's Preferences, default 3) and after each applied edit of the
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
from pathlib import Path
from typing import Protocol

import numpy as np
from PySide6.QtCore import QObject

from texpaint.document.material import MaterialSet
from texpaint.document.material_history import MaterialHistory
from texpaint.document.material_project import PROJECT_EXTENSION, save_material_project
from texpaint.models.catalog import user_data_dir
from texpaint.ui.autosave import BackgroundSaver, _pid_alive


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


class MaterialAutosaver(BackgroundSaver):
    """Timed and on-demand autosave of one Material window (the saving machinery is
    :class:`~texpaint.ui.autosave.BackgroundSaver`, shared with the painter's autosave).

    Args:
        window: the Material window (a QObject with ``mset``, ``mask`` and ``revision``, a
            counter bumped on every change) whose set is saved.
        folder: where to write (default :func:`autosave_folder`).

    Signals:
        saved(object): the autosave ``Path`` just written.
        failed(str): an autosave failed; message for the status bar.
    """

    def __init__(self, window: QObject, folder: Path | None = None) -> None:
        folder = Path(folder) if folder is not None else autosave_folder()
        name = f"{AUTOSAVE_PREFIX}{os.getpid()}-{next(_serial)}{PROJECT_EXTENSION}"
        super().__init__(window, "texpaint-material-autosave", folder / name)
        # a weak reference: no reference cycle with the window's Python wrapper
        self._window: weakref.ref[_SavedWindow] = weakref.ref(window)  # type: ignore[arg-type]
        self.folder = folder
        self._last_state = window.revision  # type: ignore[attr-defined]

    def start(self, minutes: int = 3) -> None:
        """Start the timer (``minutes`` 0: no timer; edits still autosave)."""
        self._begin(minutes)

    def stop(self) -> None:
        """The window closed for good: stop, wait for a write, remove the autosave."""
        self._end()

    def adopt(self, old: Path) -> None:
        """Make the (recovered) autosave ``old`` this window's autosave (moved, atomic)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        os.replace(old, self.path)
        self._last_state = self._state()  # the file holds what the window shows now

    def _state(self) -> int | None:
        win = self._window()
        return None if win is None else win.revision

    def _snapshot(self) -> tuple[MaterialSet, np.ndarray, MaterialHistory]:
        win = self._window()
        assert win is not None  # _state() saw it a moment ago, on this thread
        snapshot = win.mset.with_pixels(
            [
                (m.image.rgb.copy(), None if m.image.alpha is None else m.image.alpha.copy())
                for m in win.mset.maps
            ]
        )
        mask = np.array(win.mask, dtype=np.float32, copy=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        return snapshot, mask, win.history.copy()  # undo steps are immutable: shared

    def _write(self, snapshot: tuple[MaterialSet, np.ndarray, MaterialHistory]) -> Path:
        return save_material_project(self.path, *snapshot)


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
