"""GUI responsiveness: event-loop stalls during a real job, and brush-stroke cost on a big canvas.

Run from the repository root (see ``benchmarks/README.md``)::

    nice -n 5 .venv/bin/python benchmarks/gui_stall.py --json benchmarks/out/gui_stall.json
    .venv/bin/python benchmarks/gui_stall.py --size 1024 --canvas-size 2048   # smoke run

What it does
------------
* Runs the real :class:`~texpaint.ui.main_window.MainWindow` (Qt ``offscreen`` platform unless
  ``QT_QPA_PLATFORM`` says otherwise; settings and autosaves in a temporary folder, so the
  user's are untouched, with the default preferences: autosave after each AI result on).
* **Job stall**: opens a ``--size``² texture (default 4096; a bundled sample mirror-tiled,
  written as PNG and opened through ``open_path``, i.e. the background loader), paints the
  job's mask (inpaint: a centred square of 25 % of the area; denoise/stylize: none, the whole
  image) and runs ``--op`` (default denoise) through ``MainWindow.run_job``, i.e. the
  JobTracker and the real inference worker thread. A heartbeat ``QTimer`` (``--beat-ms``,
  default 5 ms, precise) stamps the GUI thread's event loop; a stall is how much later than
  asked a beat came, ``max(0, gap - beat)``. Printed per phase, p50 / p99 / max in ms:
  ``submit`` (``run_job``: freezing the job's copies), ``running`` (worker started →
  result delivered), ``apply`` (result delivered → applied, canvas refreshed, autosaved,
  plus one more second). The GUI-thread calls on the way are also timed one by one
  (``make_job``, ``apply_result``, ``canvas.refresh``, ``Autosaver.save_now``).
* **Canvas**: opens a ``--canvas-size``² document (default 8192) and drags the Brush
  (``--brush`` px) with real mouse events (``QTest``) over ``--segments`` segments of 8 screen
  px, at the fit-to-window zoom and at 100 %; each segment is one mouse move plus
  ``processEvents`` (which paints). Printed: median and p95 ms per segment (wall, and the
  GUI thread's CPU time, which other load on the machine does not inflate), the median
  image box re-read by ``canvas.refresh`` and the median image area the raster items
  repainted per segment, as a share of the whole image (dirty-region redraw check).
* Opening (both parts): seconds from ``open_path`` until the document is shown, and the
  GUI-thread part of it (``ImageCanvas.set_document``: building the display buffers).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from benchmarks.bench_common import bundled_texture, stall_stats  # noqa: E402

CALL_TIMES: dict[str, list[float]] = defaultdict(list)
"""GUI-thread calls timed by :func:`_timed`: name -> seconds of each call."""

CALL_AREAS: dict[str, list[int]] = defaultdict(list)
"""Image areas (px) re-read by ``ImageCanvas.refresh`` / repainted by ``RasterItem.paint``."""

OPEN_TIMES: dict[int, dict[str, float]] = {}
"""Image size -> seconds to open and milliseconds in ``ImageCanvas.set_document``."""


def _timed(cls, name: str) -> None:
    """Wrap ``cls.name`` so each call's duration goes into ``CALL_TIMES``."""
    original = getattr(cls, name)
    n_positional = original.__code__.co_argcount  # Qt passes signal arguments a slot ignores

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original(*args[:n_positional], **kwargs)
        finally:
            CALL_TIMES[f"{cls.__name__}.{name}"].append(time.perf_counter() - t0)

    setattr(cls, name, wrapper)


def _record_areas() -> None:
    """Wrap ``ImageCanvas.refresh`` and ``RasterItem.paint`` (before any item exists) so the
    image area each call covers goes into ``CALL_AREAS``."""
    from texpaint.ui import canvas as canvas_mod

    refresh, paint = canvas_mod.ImageCanvas.refresh, canvas_mod.RasterItem.paint

    def counted_refresh(self, layer, box):
        if box is not None:
            CALL_AREAS["ImageCanvas.refresh"].append((box[1] - box[0]) * (box[3] - box[2]))
        return refresh(self, layer, box)

    def counted_paint(self, painter, option, widget=None):
        r = option.exposedRect.intersected(self.boundingRect())
        CALL_AREAS["RasterItem.paint"].append(round(r.width() * r.height()))
        return paint(self, painter, option, widget)

    canvas_mod.ImageCanvas.refresh = counted_refresh
    canvas_mod.RasterItem.paint = counted_paint


class Heartbeat:
    """A precise ``QTimer`` on the GUI thread that records when each beat fired."""

    def __init__(self, interval_ms: int) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.interval_ms = interval_ms
        self.beats: list[float] = []
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(lambda: self.beats.append(time.perf_counter()))

    def start(self) -> None:
        self.beats.clear()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def between(self, t0: float, t1: float) -> dict[str, float]:
        """Stall statistics of the beats in ``[t0, t1]`` (plus the last beat before ``t0``,
        so a stall that begins before ``t0`` and ends inside counts)."""
        before = [b for b in self.beats if b < t0][-1:]
        return stall_stats(before + [b for b in self.beats if t0 <= b <= t1], self.interval_ms)


def wait_until(app, condition, timeout_s: float) -> None:
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("timed out waiting for the window")
        app.processEvents()
        time.sleep(0.002)


def open_texture(app, window, folder: Path, size: int) -> None:
    """Write a ``size``² 8-bit PNG (OpenCV, fast compression: only the benchmark's input) and
    open it in ``window`` through the background loader."""
    import cv2
    import numpy as np

    path = folder / f"texture_{size}.png"
    rgb8 = (bundled_texture(size) * 255.0 + 0.5).astype(np.uint8)
    cv2.imwrite(str(path), rgb8[..., ::-1], [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if window.document is not None:
        window.document.mark_image_saved()  # no unsaved-changes prompt
    t0 = time.perf_counter()
    window.open_path(path)
    wait_until(app, lambda: window.document is not None and window.document.path == path, 600)
    shown = CALL_TIMES["ImageCanvas.set_document"][-1]
    print(
        f"open {size}²: {time.perf_counter() - t0:.2f} s, of which "
        f"{1000.0 * shown:.0f} ms on the GUI thread in ImageCanvas.set_document",
        flush=True,
    )
    OPEN_TIMES[size] = {"open_s": time.perf_counter() - t0, "set_document_ms": 1000.0 * shown}


def job_stall(app, window, args: argparse.Namespace, folder: Path) -> dict:
    """Open the texture, run the job through the worker, return per-phase stall figures."""
    open_texture(app, window, folder, args.size)
    doc = window.document
    n = args.size
    if args.op == "inpaint":
        q = n // 4
        doc.edit_mask("Rectangle", "fill_rect", q, n - q, q, n - q)
        window.canvas.refresh("mask", (0, n, 0, n))
    wait_until(app, lambda: window.device_label.text() != "Device: starting…", 120)
    events: dict[str, float] = {}
    engine = window.engine
    engine.jobStarted.connect(lambda _id: events.setdefault("started", time.perf_counter()))
    engine.jobFinished.connect(lambda _r: events.setdefault("finished", time.perf_counter()))
    engine.jobFailed.connect(lambda _id, msg: events.setdefault("failed", time.perf_counter()))
    window.jobs.resultApplied.connect(lambda _b: events.setdefault("applied", time.perf_counter()))
    request: dict = {"op": args.op}
    if args.op == "stylize":
        from benchmarks.speed import first_style_model

        request["model_id"] = first_style_model()
    for name in (
        "TextureDocument.make_job",
        "TextureDocument.apply_result",
        "ImageCanvas.refresh",
        "Autosaver.save_now",
    ):
        CALL_TIMES.pop(name, None)
    beat = Heartbeat(args.beat_ms)
    beat.start()
    settle = time.perf_counter() + 0.5
    wait_until(app, lambda: time.perf_counter() > settle, 5)
    events["submit"] = time.perf_counter()
    window.run_job(request)
    events["submitted"] = time.perf_counter()
    wait_until(app, lambda: "applied" in events or "failed" in events, args.job_timeout)
    end = time.perf_counter() + 1.0
    wait_until(app, lambda: time.perf_counter() > end, 5)
    beat.stop()
    if "failed" in events:
        raise RuntimeError("the job failed")
    phases = {
        "submit": beat.between(events["submit"], events["started"]),
        "running": beat.between(events["started"], events["finished"]),
        "apply": beat.between(events["finished"], end),
        "all": beat.between(events["submit"], end),
    }
    return {
        "op": args.op,
        "size": n,
        "device": window.device_label.text(),
        "job_seconds": events["finished"] - events["started"],
        "phases": phases,
        "gui_calls_ms": {
            k: [1000.0 * v for v in vs]
            for k, vs in CALL_TIMES.items()
            if k != "ImageCanvas.set_document"
        },
    }


def canvas_strokes(app, window, args: argparse.Namespace, folder: Path) -> list[dict]:
    """Brush strokes with real mouse events on a ``--canvas-size``² document."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    open_texture(app, window, folder, args.canvas_size)
    canvas = window.canvas
    vp = canvas.viewport()
    window.set_tool(window.tools[0])
    window.tools[0].size = args.brush
    n = args.canvas_size
    refreshed = CALL_AREAS["ImageCanvas.refresh"]
    painted = CALL_AREAS["RasterItem.paint"]
    results = []
    for label, zoom in (("fit", None), ("100%", 1.0)):
        if zoom is None:
            canvas.fit()
        else:
            canvas.set_zoom(zoom)
        app.processEvents()
        rect = vp.rect()
        y = rect.height() // 2
        x0 = rect.width() // 8
        step = 8
        xs = [x0 + i * step for i in range(args.segments + 1)]
        xs = [x for x in xs if x < rect.width() - 8] or [x0]
        QTest.mousePress(
            vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(xs[0], y)
        )
        app.processEvents()
        times, cpu = [], []
        refreshed.clear()
        painted.clear()
        per_seg_refresh, per_seg_paint = [], []
        for x in xs[1:]:
            r0, p0 = len(refreshed), len(painted)
            c0, t0 = time.thread_time(), time.perf_counter()
            QTest.mouseMove(vp, QPoint(x, y))
            app.processEvents()
            times.append(time.perf_counter() - t0)
            cpu.append(time.thread_time() - c0)
            per_seg_refresh.append(sum(refreshed[r0:]))
            per_seg_paint.append(sum(painted[p0:]))
        QTest.mouseRelease(
            vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(xs[-1], y)
        )
        app.processEvents()
        ms = sorted(1000.0 * t for t in times)
        results.append(
            {
                "zoom": label,
                "zoom_factor": canvas.zoom,
                "segments": len(times),
                "segment_image_px": step / canvas.zoom,
                "median_ms": statistics.median(ms),
                "p95_ms": ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))],
                "max_ms": ms[-1],
                "median_cpu_ms": 1000.0 * statistics.median(cpu),
                "median_refresh_px": statistics.median(per_seg_refresh),
                "median_painted_px": statistics.median(per_seg_paint),
                "image_px": n * n,
            }
        )
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--op", default="denoise", choices=("denoise", "inpaint", "stylize"))
    p.add_argument("--size", type=int, default=4096, help="job image size px (default 4096)")
    p.add_argument("--device", default="cpu", help="worker device (default cpu)")
    p.add_argument("--threads", type=int, default=0, help="worker CPU threads (0: default)")
    p.add_argument("--beat-ms", type=int, default=5, help="heartbeat interval (default 5 ms)")
    p.add_argument("--job-timeout", type=float, default=1800.0, help="seconds")
    p.add_argument("--canvas-size", type=int, default=8192, help="canvas test size px")
    p.add_argument("--segments", type=int, default=60, help="stroke segments per zoom")
    p.add_argument("--brush", type=float, default=60.0, help="brush diameter (image px)")
    p.add_argument("--skip-job", action="store_true")
    p.add_argument("--skip-canvas", action="store_true")
    p.add_argument("--json", type=Path, default=None, help="write all figures to this file")
    args = p.parse_args(argv)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    tmp = tempfile.TemporaryDirectory(prefix="texpaint-gui-stall-")
    folder = Path(tmp.name)
    os.environ["TEXPAINT_DATA_DIR"] = str(folder / "data")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    app.setOrganizationName("texpaint-bench")
    app.setApplicationName("texpaint-bench")
    if args.threads:
        import texpaint.engine.device as device_mod

        device_mod.physical_cores = lambda: args.threads  # the worker's Runtime asks this
    from texpaint.document.document import TextureDocument
    from texpaint.ui.autosave import Autosaver
    from texpaint.ui.canvas import ImageCanvas
    from texpaint.ui.main_window import MainWindow
    from texpaint.ui.worker import InferenceEngine

    _record_areas()
    _timed(TextureDocument, "make_job")
    _timed(TextureDocument, "apply_result")
    _timed(ImageCanvas, "refresh")
    _timed(ImageCanvas, "set_document")
    _timed(Autosaver, "save_now")

    window = MainWindow(engine=InferenceEngine(args.device))
    window.show()
    out: dict = {"load_start": os.getloadavg(), "nice": os.nice(0)}
    print(f"nice {out['nice']}; load average {' '.join(f'{v:.2f}' for v in out['load_start'])}")
    try:
        if not args.skip_job:
            job = job_stall(app, window, args, folder)
            out["job"] = job
            print(
                f"job: {job['op']} {job['size']}² on {job['device']}, "
                f"{job['job_seconds']:.1f} s in the worker; GUI-thread stall (ms, "
                f"{args.beat_ms} ms heartbeat):"
            )
            print(f"  {'phase':<8} {'beats':>6} {'p50':>7} {'p99':>7} {'max':>8}")
            for name, s in job["phases"].items():
                print(
                    f"  {name:<8} {s['beats']:>6} {s['p50_ms']:>7.1f} {s['p99_ms']:>7.1f} "
                    f"{s['max_ms']:>8.1f}"
                )
            print("  GUI-thread calls (ms each):")
            for name, ms in job["gui_calls_ms"].items():
                shown = ", ".join(f"{v:.0f}" for v in ms[:6]) + (" ..." if len(ms) > 6 else "")
                print(f"    {name}: {shown}")
        if not args.skip_canvas:
            strokes = canvas_strokes(app, window, args, folder)
            out["canvas"] = strokes
            print(
                f"canvas {args.canvas_size}², brush {args.brush:.0f} px, 8 screen px per "
                "segment (mouse move + paint):"
            )
            for r in strokes:
                print(
                    f"  zoom {r['zoom']:<5} ({r['zoom_factor']:.3f}): median "
                    f"{r['median_ms']:.2f} ms (GUI-thread CPU {r['median_cpu_ms']:.2f}), "
                    f"p95 {r['p95_ms']:.2f}, max {r['max_ms']:.2f} "
                    f"over {r['segments']} segments; per segment re-read "
                    f"{100.0 * r['median_refresh_px'] / r['image_px']:.4f} % and repainted "
                    f"{100.0 * r['median_painted_px'] / r['image_px']:.4f} % of the image"
                )
    finally:
        window.autosave.stop()
        window.engine.shutdown()
        out["open"] = OPEN_TIMES
        out["load_end"] = os.getloadavg()
        print(f"load average at the end {' '.join(f'{v:.2f}' for v in out['load_end'])}")
        tmp.cleanup()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
