"""Preferences (stored in QSettings and applied) and autosave / crash recovery."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialog, QMessageBox

from texpaint.document.project import load_project
from texpaint.jobs import JobResult, Operation
from texpaint.ui import autosave as autosave_mod
from texpaint.ui.preferences import Preferences, PreferencesDialog

pytestmark = pytest.mark.gui


def _ai_edit(doc, value: float) -> None:
    image = doc.image.rgb.copy()
    image[:64, :64] = value
    doc.apply_result(JobResult(0, Operation.INPAINT, image, (0, 64, 0, 64), 0.1, "cpu", "test"))


# ---------------------------------------------------------------------- preferences
def test_preferences_persist_in_qsettings(settings_dir):
    assert Preferences.load() == Preferences()  # defaults: autosave every 3 min, auto device
    prefs = Preferences(
        device="cpu",
        tile_size=512,
        history_cap_mb=64,
        autosave_minutes=7,
        mask_color="#00ff00",
        theme="dark",
    )
    prefs.save()
    assert Preferences.load() == prefs
    QSettings().setValue("engine/device", "tpu")  # hand-edited junk falls back to defaults
    QSettings().setValue("history/memory_cap_mb", "lots")
    back = Preferences.load()
    assert back.device == "auto" and back.history_cap_mb == 512 and back.tile_size == 512


def test_preferences_dialog_applies_history_cap_mask_colour_and_autosave(
    window, sample, open_image, monkeypatch
):
    doc = open_image(sample)  # 256 x 256: one AI edit of 64 x 64 px stores 2 x 48 KiB tiles
    for i in range(4):
        _ai_edit(doc, i / 10)
    assert len(doc.history.steps) == 4

    def fake_exec(dialog: PreferencesDialog) -> int:
        dialog.history_spin.setValue(16)
        dialog.autosave_spin.setValue(5)
        dialog.set_mask_color(QColor("#2060ff"))
        dialog.theme_combo.setCurrentText("dark")
        dialog.device_combo.setCurrentText("cpu")
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(PreferencesDialog, "exec", fake_exec)
    window.preferences_action.trigger()

    stored = Preferences.load()
    assert (stored.history_cap_mb, stored.autosave_minutes, stored.mask_color, stored.device) == (
        16,
        5,
        "#2060ff",
        "cpu",
    )
    assert doc.history.memory_cap_bytes == 16 * 1024 * 1024
    assert window.autosave.interval_ms == 5 * 60_000
    assert window.mask_panel.overlay_color.name() == "#2060ff"
    assert window.canvas._overlay_color.name() == "#2060ff"  # the overlay drawn on the canvas
    assert "after restart" in window.statusBar().currentMessage()
    # the cap really trims: 16 MiB holds 170 steps of 96 KiB, not 200
    for i in range(200):
        _ai_edit(doc, (i % 7) / 10)
    assert doc.history.nbytes <= 16 * 1024 * 1024
    assert len(doc.history.steps) < 200


def test_history_cap_from_settings_applies_to_opened_documents(
    qtbot, settings_dir, tiny_inpaint_model, errors, sample
):
    from texpaint.ui.main_window import MainWindow

    Preferences(history_cap_mb=32, autosave_minutes=0).save()
    win = MainWindow()
    qtbot.addWidget(win)
    try:
        assert win.autosave.interval_ms == 0
        win.open_path(sample)
        qtbot.waitUntil(lambda: win.document is not None, timeout=10000)
        assert win.document.history.memory_cap_bytes == 32 * 1024 * 1024
    finally:
        win.engine.shutdown()


# ---------------------------------------------------------------------- autosave
def test_autosave_after_ai_result_and_lock_removed_on_clean_exit(
    qtbot, settings_dir, tiny_inpaint_model, errors, sample, isolated_data_dir
):
    from texpaint.ui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    folder = isolated_data_dir / "autosave"
    lock = folder / f"session-{os.getpid()}.lock"
    save = folder / f"session-{os.getpid()}.texpaint"
    assert json.loads(lock.read_text())["pid"] == os.getpid()
    assert win.autosave.interval_ms == 3 * 60_000  # default
    win.open_path(sample)
    qtbot.waitUntil(lambda: win.document is not None, timeout=10000)
    doc = win.document
    image = doc.image.rgb.copy()
    image[:32, :32] = 0.5
    result = JobResult(0, Operation.INPAINT, image, (0, 32, 0, 32), 0.1, "cpu", "test")
    doc.apply_result(result)
    with qtbot.waitSignal(win.autosave.saved, timeout=20000):
        win.jobs.resultApplied.emit((0, 32, 0, 32))  # what the tracker emits after applying
    assert save.is_file()
    back = load_project(save)
    assert np.array_equal(back.image.rgb, doc.image.rgb)
    mtime = save.stat().st_mtime_ns
    assert win.autosave.save_now() is False  # unchanged: not written again
    assert save.stat().st_mtime_ns == mtime
    win.engine.shutdown()
    win.close()
    assert not lock.exists() and not save.exists()


def test_autosave_writes_a_snapshot_on_a_background_thread(
    qtbot, window, sample, open_image, isolated_data_dir, monkeypatch
):
    """The compression and write run off the GUI thread, and they write the document as it
    was when the autosave started, even if it changes while the file is being written."""

    doc = open_image(sample)
    _ai_edit(doc, 0.9)
    before = doc.image.rgb.copy()
    release = threading.Event()
    threads: list[str] = []
    real_write = autosave_mod.write_project

    def slow_write(snapshot, path):
        threads.append(threading.current_thread().name)
        assert release.wait(20)
        return real_write(snapshot, path)

    monkeypatch.setattr(autosave_mod, "write_project", slow_write)
    saver = window.autosave
    assert saver.save_now() is True and saver.busy
    assert saver.save_now() is False  # a second request while writing is queued, not run
    doc.image.rgb[:16, :16] = 0.25  # the document changes while the autosave is written
    with qtbot.waitSignal(saver.saved, timeout=20000) as blocker:
        release.set()
    assert threads == ["texpaint-autosave"]
    back = load_project(blocker.args[0])
    assert np.array_equal(back.image.rgb, before)
    # the queued request is written next; it sees the same history state, so nothing new
    qtbot.waitUntil(lambda: not saver.busy, timeout=20000)


def _crashed_session(folder: Path, doc) -> Path:
    """Leave the files a killed texpaint (pid that no longer runs) leaves behind."""
    from texpaint.document.project import save_project

    folder.mkdir(parents=True, exist_ok=True)
    dead = 2**22 + 12345  # above the usual pid_max: never a live process
    (folder / f"session-{dead}.lock").write_text(json.dumps({"pid": dead, "started": 0}))
    return save_project(doc, folder / f"session-{dead}.texpaint")


@pytest.mark.parametrize("choice", ["Recover", "Discard"])
def test_crash_recovery_offers_recover_or_discard(
    window, sample, open_image, isolated_data_dir, monkeypatch, choice
):
    doc = open_image(sample)
    _ai_edit(doc, 0.9)
    doc.edit_mask("Fill mask", "fill")
    folder = isolated_data_dir / "autosave"
    crashed = _crashed_session(folder, doc)
    asked: list[str] = []

    def fake_exec(box: QMessageBox) -> int:
        asked.append(box.text())
        for b in box.buttons():
            if b.text() == choice:
                box.setProperty("_clicked", True)
                monkeypatch.setattr(QMessageBox, "clickedButton", lambda self, b=b: b)
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    recovered = window.autosave.offer_recovery(window)
    assert asked and "did not shut down cleanly" in asked[0]
    assert not crashed.exists() and not crashed.with_suffix(".lock").exists()
    if choice == "Recover":
        assert recovered is not None and recovered.modified and recovered.project_path is None
        assert np.array_equal(recovered.image.rgb, doc.image.rgb)
        assert np.array_equal(recovered.mask.data, doc.mask.data)
        recovered.history.undo()
        recovered.history.undo()
        assert not np.array_equal(recovered.image.rgb, doc.image.rgb)  # undo history came back
    else:
        assert recovered is None
    asked.clear()
    assert window.autosave.offer_recovery(window) is None and not asked  # asked only once


def test_live_sessions_are_not_offered_for_recovery(window, isolated_data_dir, monkeypatch):
    folder = isolated_data_dir / "autosave"
    other = folder / f"session-{os.getppid()}.lock"  # our parent process is alive
    other.write_text(json.dumps({"pid": os.getppid(), "started": 0}))
    (folder / f"session-{os.getppid()}.texpaint").write_bytes(b"x")
    assert autosave_mod.Autosaver(lambda: None, folder=folder).crashed_sessions() == []


def test_tile_size_preference_reaches_the_inference_worker(window):
    from dataclasses import replace

    assert window.prefs.tile_size == 0  # default: automatic, from free memory
    window.apply_preferences(replace(window.prefs, tile_size=512))
    assert window.engine.runner.tile_px == 512
