"""GUI entry point (and the smoke-test hook used by ``packaging/smoke_test.py``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QFileOpenEvent, QIcon
from PySide6.QtWidgets import QApplication

import texpaint

APP_NAME = "texpaint"
ORG_NAME = "texpaint"
SMOKE_ENV = "TEXPAINT_SMOKE_TEST"
SMOKE_TIMEOUT_S = 600


def run_gui(path: str | Path | None = None) -> int:
    """Start the texture painter, optionally opening ``path``; returns the exit code.

    Sets the application and organisation names, so QSettings (recent files, overlay colour,
    window layout, preferences) are stored per user under "texpaint"; applies the theme; offers
    to recover the autosave of a session that did not exit cleanly.

    With ``TEXPAINT_SMOKE_TEST=1`` in the environment the window instead opens ``path`` (or
    the first bundled sample), masks a 64 x 64 square in its middle, runs one Inpaint through
    the inference worker with the first inpainting model found and quits: exit code 0 when the
    result was applied and changed the masked pixels only, 1 on any failure (see
    :func:`_run_smoke_test`). No recovery prompt is shown then.
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationVersion(texpaint.__version__)
    app.setDesktopFileName(APP_NAME)  # Wayland app id = packaging/texpaint.desktop
    app.setWindowIcon(app_icon())
    from texpaint.ui.main_window import MainWindow
    from texpaint.ui.preferences import Preferences, apply_theme

    apply_theme(app, Preferences.load().theme)
    window = MainWindow()
    window.show()
    opener = FileOpenForwarder(window)
    app.installEventFilter(opener)
    if os.environ.get(SMOKE_ENV) == "1":
        return _run_smoke_test(app, window, Path(path) if path is not None else None)
    recovered = window.autosave.offer_recovery(window)
    if recovered is not None:
        window._set_document(recovered)
        window.autosave.save_now()
    elif path is not None:
        window.open_path(Path(path))
    from texpaint.ui.material_window import offer_material_recovery

    offer_material_recovery(window, engine=window.engine, folder=window.autosave.folder)
    return int(app.exec())


class FileOpenForwarder(QObject):
    """Application event filter: a macOS open-document event (``QFileOpenEvent``: a file
    double-clicked in Finder or dropped on the Dock icon, also at launch) opens the file in
    ``window`` through :meth:`MainWindow.open_path` (unsaved-changes prompt, background
    loading, error dialog). Other platforms pass files on the command line instead."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self._window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Consume ``QEvent.FileOpen`` with a local file; let every other event through."""
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            name = event.file()
            if name:
                self._window.open_path(Path(name))
                return True
        return False


def app_icon() -> QIcon:
    """The texpaint icon from ``resources/icons`` (PNG renders 16-512 px); empty if missing."""
    icon = QIcon()
    try:
        folder = texpaint.resources_dir() / "icons"
    except FileNotFoundError:
        return icon
    for png in sorted(folder.glob("texpaint-*.png")):
        icon.addFile(str(png))
    return icon


def _run_smoke_test(app: QApplication, window, path: Path | None) -> int:
    """Open an image, inpaint a masked square through the worker, quit. Returns 0 or 1."""
    import numpy as np

    from texpaint.models.catalog import list_models

    outcome: dict[str, object] = {"code": 1, "why": "timed out"}

    def finish(code: int, why: str) -> None:
        outcome.update(code=code, why=why)
        window.document and window.document.mark_image_saved()  # no unsaved-changes prompt
        window.close()
        app.quit()

    if path is None:
        samples = sorted((texpaint.resources_dir() / "samples").glob("*.jpg"))
        if not samples:
            print("smoke test: no bundled sample image", file=sys.stderr)
            return 1
        path = samples[0]
    models = list_models("inpaint")
    if not models:
        print("smoke test: no inpainting model found", file=sys.stderr)
        return 1
    from texpaint.models.styles import list_styles

    if app.windowIcon().isNull() or not any(s.builtin for s in list_styles()):
        print("smoke test: the bundled icons or styles are missing", file=sys.stderr)
        return 1
    state: dict[str, np.ndarray] = {}

    def loaded(_path, doc) -> None:
        QTimer.singleShot(0, lambda: start_job(doc))

    def start_job(doc) -> None:
        h, w = doc.size
        y, x = h // 2, w // 2
        doc.edit_mask("Smoke test mask", "fill_rect", y - 32, y + 32, x - 32, x + 32)
        state["before"] = doc.image.rgb.copy()
        state["mask"] = doc.mask.data.copy()
        window.run_job({"op": "inpaint", "params": {}, "model_id": models[0].id, "seed": 0})

    def applied(_box) -> None:
        doc = window.document
        changed = np.any(doc.image.rgb != state["before"], axis=2)
        if not changed.any():
            finish(1, "the inpaint result did not change any pixel")
        elif (changed & (state["mask"] == 0)).any():
            finish(1, "pixels outside the mask changed")
        else:
            finish(0, f"inpainted {int(changed.sum())} px with {models[0].id}")

    window.loader.loaded.connect(loaded)
    window.loader.failed.connect(lambda _p, msg: finish(1, f"cannot open {path}: {msg}"))
    window.jobs.resultApplied.connect(applied)
    window.jobs.failed.connect(lambda msg: finish(1, f"inpaint failed: {msg}"))
    window._error = lambda title, msg: finish(1, f"{title}: {msg}")
    QTimer.singleShot(SMOKE_TIMEOUT_S * 1000, lambda: finish(1, "timed out"))
    window.open_path(path)
    app.exec()
    print(f"smoke test: {'OK' if outcome['code'] == 0 else 'FAILED'}: {outcome['why']}")
    return int(outcome["code"])
