"""Render the screenshots of docs/first_texture.md from the real main window.

Run under a virtual X server (a real window, not the offscreen platform)::

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_first_texture.py

Each step does what a person does, through the same widgets: a 900 x 900 crop of the brick
sample (the whole sample already tiles) is opened with ``open_path`` (File → Open), the mask
is painted with real mouse drags on the canvas, Run, View → Split Compare, View → Seamless
Mode and Fit are triggered as actions, Make Seamless runs with the values its dialog
proposes, and Batch Export is the real dialog running a batch over the bundled samples.
Every result comes from the inference worker. The images are written to
``docs/first_texture/`` (JPEG, quality 90, to keep the repository small).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QRectF, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

import texpaint
from texpaint.imaging.io import ImageData, read_image, write_image
from texpaint.ui.batch_dialog import BatchExportDialog
from texpaint.ui.main_window import MainWindow
from texpaint.ui.seamless_dialog import SeamlessDialog

OUT = Path(__file__).resolve().parent / "first_texture"
SAMPLES = texpaint.resources_dir() / "samples"
BRICK = SAMPLES / "polyhaven__brick_wall_005_diff_1k.jpg"


def wait(app: QApplication, done: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Run the event loop until ``done()`` or fail after ``timeout_s`` seconds."""
    end = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > end:
            raise SystemExit(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.02)


def settle(app: QApplication, seconds: float = 0.4) -> None:
    """Let the window repaint for a moment."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def save(widget: QWidget, name: str) -> None:
    pixmap: QPixmap = widget.grab()
    path = OUT / name
    pixmap.save(str(path), "JPG", 90)
    print(f"wrote {path} ({pixmap.width()} x {pixmap.height()})")


def drag(canvas, points: list[tuple[float, float]]) -> None:
    """A left-button drag through image points ``(x, y)``, as a mouse stroke."""
    view = [canvas.mapFromScene(x, y) for x, y in points]
    vp = canvas.viewport()
    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, view[0])
    for a, b in zip(view, view[1:], strict=False):
        for t in (0.25, 0.5, 0.75, 1.0):  # intermediate moves, like a real hand
            QTest.mouseMove(
                vp, QPoint(round(a.x() + t * (b.x() - a.x())), round(a.y() + t * (b.y() - a.y())))
            )
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, view[-1])


def main() -> int:
    app = QApplication(sys.argv[:1])
    app.setOrganizationName("texpaint-docs")
    app.setApplicationName("texpaint-first-texture")
    OUT.mkdir(exist_ok=True)
    win = MainWindow()
    win.resize(1400, 900)
    win.show()
    wait(app, lambda: win.isVisible(), 10, "the window")

    # 1. open: a 900 x 900 crop of the brick sample (the whole sample already tiles, so Make
    # Seamless would rightly leave it alone; the crop does not)
    work = Path(tempfile.mkdtemp(prefix="texpaint-docs-"))
    source = read_image(BRICK)
    crop = work / "brick_wall.png"
    write_image(
        crop, ImageData(rgb=source.rgb[:900, :900].copy(), alpha=None, sample_format="uint8")
    )
    win.open_path(crop)
    wait(app, lambda: win.document is not None, 30, "the sample to load")
    wait(
        app,
        lambda: "Device:" in win.device_label.text() and "starting" not in win.device_label.text(),
        120,
        "the device",
    )
    settle(app)
    save(win, "1_open.jpg")

    # 2. mask: a brush stroke over a patch of wall
    canvas = win.canvas
    brush = win.tools[0]
    brush.size = 70
    win.set_tool(brush)
    drag(canvas, [(420, 330), (560, 420), (640, 520), (600, 640)])
    QTest.mouseMove(canvas.viewport(), canvas.mapFromScene(700, 700))
    settle(app)
    save(win, "2_mask.jpg")
    QApplication.sendEvent(canvas, QEvent(QEvent.Type.Leave))  # the pointer leaves the canvas

    # 3. inpaint: Run with the Inpaint tab
    win.operations_panel.tabs.setCurrentIndex(0)
    assert win.operations_panel.run_button.isEnabled(), win.operations_panel.run_button.toolTip()
    t0 = time.monotonic()
    win.operations_panel.run_button.click()
    wait(app, lambda: win.jobs.busy, 10, "the job to start")
    wait(app, lambda: not win.jobs.busy, 600, "the inpaint")
    print(f"inpaint took {time.monotonic() - t0:.1f} s")
    settle(app, 0.8)
    save(win, "3_inpaint.jpg")

    # 4. compare: zoom to the result and split it into before | after
    (y0, y1, x0, x1), _ = win.document.last_result_before
    canvas.fit_rect(QRectF(x0 - 60, y0 - 60, x1 - x0 + 120, y1 - y0 + 120))
    win.split_action.trigger()
    settle(app)
    save(win, "4_compare.jpg")
    win.split_action.trigger()

    # 5. Seamless Mode shows the 3 x 3 tiling; Fit shows all of it
    win.seamless_action.trigger()
    win.fit_action.trigger()
    settle(app)
    save(win, "5_seamless_mode.jpg")
    corner = QRectF(-160, -250, 320, 500)  # where four tiles meet: both seams
    canvas.fit_rect(corner)
    settle(app)
    save(canvas, "5b_seams_before.jpg")

    # 6. Make Seamless with the band its dialog proposes
    dialog = SeamlessDialog(win.document.image.rgb, win)
    dialog.show()
    dialog.preview_button.click()  # the reduced 3 x 3 preview of the result
    settle(app, 1.0)
    save(dialog, "6_make_seamless_dialog.jpg")
    print(f"Make Seamless dialog: {dialog.status.text()}")
    params = dialog.params()
    dialog.close()
    if params is None:
        win.engine.shutdown()
        raise SystemExit("the image already tiles: Make Seamless would do nothing")
    t0 = time.monotonic()
    win.run_job({"op": "seamless", "params": params})
    wait(app, lambda: not win.jobs.busy, 900, "Make Seamless")
    print(f"Make Seamless took {time.monotonic() - t0:.1f} s, params {params}")
    canvas.fit_rect(QRectF(-160, -250, 320, 500))
    settle(app, 0.8)
    save(canvas, "7b_seams_after.jpg")
    win.fit_action.trigger()
    settle(app, 0.8)
    save(win, "7_made_seamless.jpg")

    # 7. Batch Export: every bundled sample at 512 px, as PNG and JPEG
    with tempfile.TemporaryDirectory() as out_dir:
        batch = BatchExportDialog(win.document, win)
        batch.file_list.clear()  # the dialog restores the last batch's settings
        batch.ops_list.clear()
        batch.set_input_mode("files")
        batch.add_files(sorted(SAMPLES.glob("*.jpg")))
        batch.add_op("resize")
        batch.sizes_edit.setText("512")
        for key, check in batch.format_checks.items():
            check.setChecked(key in ("png", "jpg"))
        batch.output_edit.setText(out_dir)
        batch.show()
        settle(app)
        if not batch.start():
            win.engine.shutdown()
            raise SystemExit(f"batch did not start: {batch.error_label.text()}")
        wait(app, lambda: batch.report is not None, 300, "the batch")
        settle(app)
        save(batch, "8_batch_export.jpg")
        batch.shutdown()
        batch.close()

    win.document.mark_image_saved()  # nothing to ask about on close
    win.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
