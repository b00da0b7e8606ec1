"""GUI entry point."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

import texpaint

APP_NAME = "texpaint"
ORG_NAME = "texpaint"


def run_gui(path: str | Path | None = None) -> int:
    """Start the texture painter, optionally opening ``path``; returns the exit code.

    Sets the application and organisation names, so QSettings (recent files, overlay colour,
    window layout) are stored per user under "texpaint".
    """
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationVersion(texpaint.__version__)
    from texpaint.ui.main_window import MainWindow

    window = MainWindow()
    window.show()
    if path is not None:
        window.open_path(Path(path))
    return int(app.exec())
