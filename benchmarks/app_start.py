"""App start time: process start to the first painted window, and to the sample on screen.

Run from the repository root (see ``benchmarks/README.md``)::

    .venv/bin/python benchmarks/app_start.py                # 5 runs, Qt offscreen
    xvfb-run -a .venv/bin/python benchmarks/app_start.py --platform xcb

Each run starts a fresh Python process that calls the real GUI entry point
(:func:`texpaint.ui.app.run_gui`) on a bundled sample texture, with settings and autosaves in
a temporary folder (the user's are untouched). An application-wide event filter, installed
before ``run_gui``, notes the wall-clock time of

* ``window``: the first paint event of any widget of the main window;
* ``image``: the first paint of the canvas once the document (the sample, read on the
  background loader thread) is shown;

and whether the GUI (main) thread was the one that imported ``torch`` by then (it must not
be: the inference worker imports it on its own thread). Times are seconds from
``subprocess.Popen`` in this process, so interpreter start and all imports count. Printed:
median, min and max over ``--runs``. Issue 7's target: first painted window under 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, os, sys, threading, time
from PySide6.QtCore import QEvent, QObject

torch_thread = []

class TorchImportWatch:
    # notes which thread first imports torch; finds nothing itself
    def find_spec(self, name, path=None, target=None):
        if name == "torch" and not torch_thread:
            torch_thread.append(threading.current_thread() is threading.main_thread())
        return None

sys.meta_path.insert(0, TorchImportWatch())
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

app = QApplication(sys.argv[:1])
marks = {}

class Probe(QObject):
    def eventFilter(self, obj, ev):
        if ev.type() != QEvent.Type.Paint or not isinstance(obj, QWidget):
            return False
        win = obj.window()
        if not isinstance(win, QMainWindow):
            return False
        now = time.time()
        if "window" not in marks:
            marks["window"] = now
            marks["torch_on_gui_thread"] = bool(torch_thread and torch_thread[0])
        if "image" not in marks and getattr(win, "document", None) is not None:
            if win.canvas.isAncestorOf(obj) or obj is win.canvas:
                marks["image"] = now
                marks["torch_on_gui_thread"] |= bool(torch_thread and torch_thread[0])
                print(json.dumps(marks), flush=True)
                os._exit(0)
        return False

probe = Probe()
app.installEventFilter(probe)
from texpaint.ui.app import run_gui
run_gui(sys.argv[1])
"""


def one_run(sample: Path, platform: str, timeout_s: float) -> dict:
    """Start the app once; returns the marks as seconds after process start.

    Raises:
        RuntimeError: the child exited without reporting (its stderr is in the message).
    """
    with tempfile.TemporaryDirectory(prefix="texpaint-start-") as tmp:
        env = dict(os.environ)
        env.update(
            QT_QPA_PLATFORM=platform,
            TEXPAINT_DATA_DIR=str(Path(tmp) / "data"),
            XDG_CONFIG_HOME=str(Path(tmp) / "config"),
            HOME=tmp,
        )
        t0 = time.time()
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, str(sample)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=timeout_s,
        )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise RuntimeError(
            f"the app did not report (exit {proc.returncode}): {proc.stderr[-2000:]}"
        )
    marks = json.loads(lines[-1])
    return {
        "window_s": marks["window"] - t0,
        "image_s": marks["image"] - t0,
        "torch_on_gui_thread": marks["torch_on_gui_thread"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--platform", default="offscreen", help="Qt platform plugin (offscreen, xcb)")
    ap.add_argument("--sample", type=Path, default=None, help="image to open (a bundled sample)")
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)
    sample = args.sample or sorted((ROOT / "resources" / "samples").glob("*.jpg"))[0]
    print(f"app start, {args.runs} runs, platform {args.platform}, sample {sample.name}")
    runs = [one_run(sample, args.platform, args.timeout) for _ in range(args.runs)]
    out: dict[str, object] = {"platform": args.platform, "sample": sample.name, "runs": runs}
    for key, label in (("window_s", "first painted window"), ("image_s", "sample on screen")):
        vals = [r[key] for r in runs]
        out[key] = {"median": statistics.median(vals), "min": min(vals), "max": max(vals)}
        print(
            f"  {label:22s} median {statistics.median(vals):5.2f} s   "
            f"min {min(vals):5.2f}   max {max(vals):5.2f}"
        )
    on_gui = any(r["torch_on_gui_thread"] for r in runs)
    print(
        f"  torch imported on the GUI thread before the image showed: {'yes' if on_gui else 'no'}"
    )
    out["torch_on_gui_thread"] = on_gui
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
