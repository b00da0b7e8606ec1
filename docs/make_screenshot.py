"""Render docs/screenshot.png: the real main window with a finished inpaint on the brick sample.

Run under a virtual X server (real window, not the offscreen platform)::

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_screenshot.py

It opens the bundled brick sample, paints two brush strokes over a patch of wall with the
document's own brush (the same call a mouse stroke makes), runs Inpaint through the inference
worker, waits for the result and grabs the window.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

import texpaint
from texpaint.ui.main_window import MainWindow

OUT = Path(__file__).resolve().parent / "screenshot.png"
SAMPLE = texpaint.resources_dir() / "samples" / "polyhaven__brick_wall_005_diff_1k.jpg"


def main() -> int:
    app = QApplication(sys.argv[:1])
    app.setApplicationName("texpaint-screenshot")
    win = MainWindow()
    win.resize(1500, 950)
    win.show()
    state = {"phase": "load"}

    def step() -> None:
        doc = win.document
        if state["phase"] == "load":
            if doc is None:
                QTimer.singleShot(200, step)
                return
            win.canvas.fit()
            doc.begin_stroke("Brush")
            doc.stroke_segment((430, 330), (640, 520), 34, 0.8, 1.0)
            doc.stroke_segment((640, 520), (560, 700), 34, 0.8, 1.0)
            doc.end_stroke()
            win.canvas.refresh("mask", None)
            state["phase"] = "run"
            win.jobs.resultApplied.connect(lambda *a: QTimer.singleShot(800, grab))
            win.operations_panel._emit_run()

    def grab() -> None:
        # hide the mask overlay so the filled pixels are seen as they are
        win.mask_panel.set_overlay(win.mask_panel._overlay_color, 0.0)
        app.processEvents()
        win.grab().save(str(OUT))
        print(f"wrote {OUT}")
        win.engine.shutdown()
        app.quit()

    win.open_path(SAMPLE)
    QTimer.singleShot(500, step)
    QTimer.singleShot(180_000, app.quit)
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
