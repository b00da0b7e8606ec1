"""texpaint.ui.background: work off the GUI thread, outcome back on the GUI thread, cancel,
and no thread left behind (also at application exit)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QCoreApplication, QThread

from texpaint.imaging.io import ImageData, ImageIOError, read_image, write_image
from texpaint.ui.background import (
    BackgroundTask,
    active_tasks,
    run_in_background,
    shutdown_background,
)

pytestmark = pytest.mark.gui

REPO = Path(__file__).resolve().parents[1]


def _on_gui_thread() -> bool:
    """True on the application's (GUI) thread, for Python and for Qt alike."""
    app = QCoreApplication.instance()
    return threading.current_thread() is threading.main_thread() and (
        QThread.currentThread() is app.thread()
    )


def _round_trip(path: Path, rgb: np.ndarray, seen: list[tuple[str, bool]]) -> np.ndarray:
    """Write ``rgb`` as a 16-bit PNG and read it back (the real work of a save/open)."""
    here = threading.current_thread()
    seen.append((here.name, here is threading.main_thread()))
    write_image(path, ImageData(rgb=rgb, alpha=None, sample_format="uint16"))
    return read_image(path).rgb


def _compress_chunks(
    data: bytes, chunks: int, cancel: threading.Event, started: threading.Event, done: list[int]
) -> int:
    """zlib-compress ``data`` ``chunks`` times, stopping early once ``cancel`` is set;
    returns the total compressed size (bytes) and counts the chunks done in ``done``."""
    started.set()
    total = 0
    for _ in range(chunks):
        if cancel.is_set():
            break
        total += len(zlib.compress(data, 9))
        done.append(1)
    return total


def test_result_comes_back_on_the_gui_thread(qtbot, tmp_path):
    rng = np.random.default_rng(3)
    rgb = rng.random((96, 128, 3), dtype=np.float32)
    seen: list[tuple[str, bool]] = []
    calls: list[tuple[str, object, bool]] = []

    def on_result(value: np.ndarray) -> None:
        calls.append(("result", value, _on_gui_thread()))

    def on_finished(task: BackgroundTask) -> None:
        calls.append(("finished", task, _on_gui_thread()))

    task = run_in_background(
        lambda: _round_trip(tmp_path / "rt.png", rgb, seen),
        name="texpaint-test-io",
        on_result=on_result,
        on_error=lambda exc: calls.append(("error", exc, _on_gui_thread())),
        on_finished=on_finished,
    )
    assert not task.delivered and task in active_tasks()
    qtbot.waitUntil(lambda: task.delivered, timeout=10000)
    assert seen == [("texpaint-test-io", False)]  # the work ran on the named background thread
    assert [(kind, on_gui) for kind, _, on_gui in calls] == [
        ("result", True),
        ("finished", True),
    ]
    back = calls[0][1]
    assert back.shape == rgb.shape and back.dtype == np.float32
    assert np.abs(back - rgb).max() <= 0.5 / 65535 + 1e-6  # 16-bit quantisation only
    assert calls[1][1] is task and np.array_equal(task.result(), back)
    assert not task.running and task not in active_tasks()


def test_exception_comes_back_on_the_gui_thread(qtbot, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(200)))  # a PNG signature, then junk
    errors: list[tuple[BaseException, bool]] = []
    results: list[object] = []
    task = run_in_background(
        lambda: read_image(broken),
        name="texpaint-test-read",
        on_result=results.append,
        on_error=lambda exc: errors.append((exc, _on_gui_thread())),
    )
    qtbot.waitUntil(lambda: task.delivered, timeout=10000)
    assert results == []
    assert len(errors) == 1 and errors[0][1] is True
    assert isinstance(errors[0][0], ImageIOError) and "broken.png" in str(errors[0][0])
    with pytest.raises(ImageIOError):
        task.result()


def test_error_without_handler_reaches_excepthook(qtbot, monkeypatch, tmp_path):
    hooked: list[type[BaseException]] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, exc, tb: hooked.append(kind))
    task = run_in_background(lambda: read_image(tmp_path / "missing.png"), name="texpaint-test")
    qtbot.waitUntil(lambda: task.delivered, timeout=10000)
    assert hooked == [ImageIOError]


def test_cancel_stops_cooperative_work_and_drops_its_result(qtbot):
    data = np.random.default_rng(0).bytes(1 << 20)
    cancel, started, done = threading.Event(), threading.Event(), []
    results: list[int] = []
    finished: list[BackgroundTask] = []
    task = run_in_background(
        lambda: _compress_chunks(data, 10_000, cancel, started, done),
        name="texpaint-test-compress",
        on_result=results.append,
        on_error=results.append,
        on_finished=finished.append,
        cancel_flag=cancel,
    )
    assert task.cancel_flag is cancel
    assert started.wait(10)
    qtbot.waitUntil(lambda: len(done) >= 1, timeout=10000)
    task.cancel()
    assert task.cancelled and task.wait(10)
    qtbot.waitUntil(lambda: task.delivered, timeout=10000)
    assert finished == [task] and results == []  # on_finished only
    assert 1 <= len(done) < 10_000  # stopped early, after real chunks were compressed
    assert task.result() == len(zlib.compress(data, 9)) * len(done)


def test_cancel_after_the_work_ended_still_drops_the_result(qtbot):
    results: list[int] = []
    finished: list[BackgroundTask] = []
    task = run_in_background(
        lambda: len(zlib.compress(b"texpaint" * 10_000)),
        name="texpaint-test-small",
        on_result=results.append,
        on_finished=finished.append,
    )
    assert task.wait(10)  # ended, but its outcome has not been delivered yet
    task.cancel()
    qtbot.waitUntil(lambda: task.delivered, timeout=10000)
    assert results == [] and finished == [task]


def test_shutdown_cancels_and_joins_every_thread(qtbot):
    data = np.random.default_rng(1).bytes(1 << 18)
    results: list[int] = []
    runs = []
    for i in range(3):
        cancel, started, done = threading.Event(), threading.Event(), []
        task = run_in_background(
            lambda c=cancel, s=started, d=done: _compress_chunks(data, 1_000_000, c, s, d),
            name=f"texpaint-test-{i}",
            on_result=results.append,
            cancel_flag=cancel,
        )
        runs.append((task, started))
    assert all(started.wait(10) for _, started in runs)
    names = {t.name for t in threading.enumerate()}
    assert {"texpaint-test-0", "texpaint-test-1", "texpaint-test-2"} <= names
    assert shutdown_background(timeout_s=10)
    assert all(not task.running and task.cancelled for task, _ in runs)
    names = {t.name for t in threading.enumerate()}
    assert not names & {"texpaint-test-0", "texpaint-test-1", "texpaint-test-2"}
    qtbot.waitUntil(lambda: all(task.delivered for task, _ in runs), timeout=10000)
    assert results == [] and not active_tasks()


_AT_EXIT = r"""
import sys, threading, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from texpaint.ui.background import run_in_background

app = QApplication([])
cancel = threading.Event()
chunks = []

def work():
    while not cancel.is_set() and len(chunks) < 20_000:
        time.sleep(0.001)
        chunks.append(1)
    return len(chunks)

task = run_in_background(work, name="texpaint-exit", cancel_flag=cancel)
QTimer.singleShot(100, app.quit)
app.exec()
# aboutToQuit has run: the task was cancelled and its thread joined, before any other cleanup
alive = [t.name for t in threading.enumerate() if t.name == "texpaint-exit"]
print("alive", alive, "cancelled", task.cancelled, "chunks<20000", len(chunks) < 20_000)
"""


def test_quitting_the_application_joins_background_threads(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TEXPAINT_DATA_DIR=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", _AT_EXIT],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "alive [] cancelled True chunks<20000 True" in out.stdout, out.stdout + out.stderr
