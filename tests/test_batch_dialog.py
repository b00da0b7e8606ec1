"""Batch Export dialog driven with qtbot: real batches in its background thread."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt

from texpaint.imaging.io import ImageData, read_image, write_image, write_mask

pytestmark = pytest.mark.gui


def _textures(folder: Path, n: int, size: int = 96) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(21)
    out = []
    for i in range(n):
        p = folder / f"tex{i}.png"
        rgb = rng.random((size, size, 3), dtype=np.float32)
        write_image(p, ImageData(rgb=rgb, alpha=None, sample_format="uint8"))
        out.append(p)
    return out


@pytest.fixture
def dialog(qtbot, settings_dir):
    from texpaint.ui.batch_dialog import BatchExportDialog

    dlg = BatchExportDialog()
    qtbot.addWidget(dlg)
    dlg.show()
    yield dlg
    dlg.shutdown()


def _run(dialog, qtbot, timeout: int = 60000) -> None:
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert dialog.error_label.text() == ""
    assert dialog.is_running() or dialog.report is not None
    qtbot.waitUntil(lambda: dialog.report is not None and not dialog.is_running(), timeout=timeout)


def _table(dialog) -> list[tuple[str, str, str]]:
    t = dialog.table
    return [
        (t.item(r, 0).text(), t.item(r, 1).text(), t.item(r, 3).text()) for r in range(t.rowCount())
    ]


def test_resize_batch_with_a_corrupt_file(dialog, qtbot, tmp_path):
    files = _textures(tmp_path / "in", 5)
    bad = tmp_path / "in" / "corrupt.png"
    bad.write_bytes(files[0].read_bytes()[:150])
    out = tmp_path / "out"
    dialog.set_input_mode("files")
    dialog.add_files([*files, bad])
    dialog.add_op("resize")
    dialog.output_edit.setText(str(out))
    dialog.sizes_edit.setText("64, 32")
    dialog.format_checks["png"].setChecked(True)
    dialog.format_checks["jpg"].setChecked(True)
    dialog.quality_spin.setValue(80)

    _run(dialog, qtbot)

    rows = _table(dialog)
    assert len(rows) == 6
    assert [r[1] for r in rows].count("OK") == 5
    failed = [r for r in rows if r[1] == "Failed"]
    assert len(failed) == 1 and failed[0][0] == "corrupt.png" and "corrupt" in failed[0][2]
    assert dialog.report.summary() == "5 ok, 1 failed, 0 skipped"
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 20  # 5 files x 2 sizes x 2 formats
    assert read_image(out / "tex3_resize_32.jpg").rgb.shape == (32, 32, 3)
    assert dialog.overall_bar.value() == 1000
    assert "5 ok, 1 failed" in dialog.status_label.text()
    assert dialog.run_button.isEnabled() and not dialog.cancel_button.isEnabled()


def test_inpaint_batch_with_per_file_masks(dialog, qtbot, tmp_path, tiny_inpaint_model):
    folder = tmp_path / "in"
    files = _textures(folder, 5, size=64)
    rng = np.random.default_rng(4)
    raw = rng.integers(1, 65535, (64, 64, 3), dtype=np.uint16)
    cv2.imwrite(str(files[0]), raw[:, :, ::-1])  # a 16-bit source
    mask = np.zeros((64, 64), np.float32)
    mask[16:40, 20:44] = 1.0
    for f in files[:4]:
        write_mask(folder / f"{f.stem}_mask.png", mask)
    out = tmp_path / "out"
    dialog.set_input_mode("folder")
    dialog.folder_edit.setText(str(folder))
    dialog.glob_edit.setText("*.png")
    dialog.op_combo.setCurrentText("inpaint")
    dialog.op_arg_edit.setText("{stem}_mask.png")
    qtbot.mouseClick(dialog.add_op_button, Qt.MouseButton.LeftButton)
    assert [dialog.ops_list.item(i).text() for i in range(dialog.ops_list.count())] == [
        "inpaint:{stem}_mask.png"
    ]
    dialog.output_edit.setText(str(out))
    dialog.format_checks["png"].setChecked(True)

    _run(dialog, qtbot)

    rows = {r[0]: r for r in _table(dialog)}
    assert set(rows) == {f.name for f in files}, "mask files are not inputs"
    assert rows["tex4.png"][1] == "Failed" and "mask not found" in rows["tex4.png"][2]
    assert all(rows[f.name][1] == "OK" for f in files[:4])
    result = cv2.imread(str(out / "tex0_inpaint_orig.png"), cv2.IMREAD_UNCHANGED)[:, :, ::-1]
    assert result.dtype == np.uint16
    keep = mask == 0
    np.testing.assert_array_equal(result[keep], raw[keep])
    assert not np.array_equal(result[~keep], raw[~keep])


def test_settings_are_remembered_and_presets_round_trip(qtbot, settings_dir, tmp_path):
    from texpaint.ui.batch_dialog import BatchExportDialog

    dlg = BatchExportDialog()
    qtbot.addWidget(dlg)
    dlg.set_input_mode("folder")
    dlg.folder_edit.setText(str(tmp_path / "tex"))
    dlg.add_op("resize")
    dlg.sizes_edit.setText("512, mip")
    dlg.output_edit.setText(str(tmp_path / "out"))
    dlg.format_checks["png"].setChecked(False)
    dlg.format_checks["png16"].setChecked(True)
    dlg.format_checks["webp"].setChecked(True)
    dlg.quality_spin.setValue(77)
    dlg.overwrite_combo.setCurrentText("unique")
    assert dlg.save_preset(tmp_path / "p.toml"), dlg.error_label.text()
    assert "webp:77" in (tmp_path / "p.toml").read_text()
    dlg.close()

    again = BatchExportDialog()
    qtbot.addWidget(again)
    assert again.input_mode() == "folder"
    assert again.sizes_edit.text() == "512, mip"
    assert again.format_checks["png16"].isChecked() and again.quality_spin.value() == 77
    assert again.overwrite_combo.currentText() == "unique"

    again.sizes_edit.setText("")
    again.ops_list.clear()
    assert again.load_preset(tmp_path / "p.toml")
    assert again.sizes_edit.text() == "512, mip" and again.ops_list.item(0).text() == "resize"
    (tmp_path / "bad.toml").write_text("ops = ['blur']\n")
    assert not again.load_preset(tmp_path / "bad.toml")
    assert "unknown op" in again.error_label.text() or "output_dir" in again.error_label.text()
    again.close()


def test_bad_settings_and_missing_models_do_not_start(dialog, tmp_path, no_models):
    files = _textures(tmp_path / "in", 1)
    dialog.set_input_mode("files")
    dialog.add_files(files)
    dialog.output_edit.setText(str(tmp_path / "out"))
    dialog.format_checks["png"].setChecked(True)
    dialog.sizes_edit.setText("big")
    assert not dialog.start() and "'big'" in dialog.error_label.text()
    dialog.sizes_edit.setText("")
    dialog.add_op("seamless")
    assert not dialog.start() and "Make Seamless cannot run" in dialog.error_label.text()
    assert not dialog.is_running() and not (tmp_path / "out").exists()


def test_cancel_stops_the_batch_without_partial_files(dialog, qtbot, tmp_path):
    files = _textures(tmp_path / "in", 20, size=256)
    out = tmp_path / "out"
    dialog.set_input_mode("files")
    dialog.add_files(files)
    dialog.add_op("resize")
    dialog.sizes_edit.setText("mip")
    dialog.output_edit.setText(str(out))
    dialog.format_checks["png"].setChecked(False)
    for key in ("png16", "tif32f", "exr"):
        dialog.format_checks[key].setChecked(True)
    assert dialog.start(), dialog.error_label.text()
    qtbot.waitUntil(lambda: dialog.overall_bar.value() > 0, timeout=30000)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.report is not None and not dialog.is_running(), timeout=30000)
    statuses = [r.status for r in dialog.report.results]
    assert set(statuses) <= {"ok", "cancelled"} and "cancelled" in statuses
    assert "cancelled" in dialog.status_label.text()
    assert [r[1] for r in _table(dialog)].count("Cancelled") == statuses.count("cancelled")
    done = [r for r in dialog.report.results if r.status == "ok"]
    written = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert written == sorted(p.name for r in done for p in r.outputs)  # nothing half-written
    assert not [n for n in written if n.startswith(".")]


def test_file_menu_opens_the_dialog_on_the_current_document(window, open_image, sample, qtbot):
    from texpaint.ui.batch_dialog import BatchExportDialog

    doc = open_image(sample)
    doc.edit_mask("Rectangle", "fill_rect", 96, 160, 80, 176)
    before = doc.image.rgb.copy()
    window.batch_export_action.trigger()
    dialogs = window.findChildren(BatchExportDialog)
    assert len(dialogs) == 1
    dlg = dialogs[0]
    assert dlg.engine is window.engine  # the painter's one worker, not a second runtime
    assert dlg.isVisible() and dlg.document_radio.isEnabled()
    dlg.set_input_mode("document")
    dlg.ops_list.clear()
    dlg.add_op("inpaint")
    dlg.sizes_edit.setText("")
    out = sample.parent / "exported"
    dlg.output_edit.setText(str(out))
    for key, check in dlg.format_checks.items():
        check.setChecked(key == "png")
    _run(dlg, qtbot)
    assert dlg.report.summary() == "1 ok, 0 failed, 0 skipped", _table(dlg)
    result = read_image(out / "sample_inpaint_orig.png").rgb
    inside = doc.mask.data > 0
    np.testing.assert_allclose(result[~inside], before[~inside], atol=0.5 / 255)
    assert np.abs(result[inside] - before[inside]).mean() > 0.01
    np.testing.assert_array_equal(doc.image.rgb, before)  # the document itself is untouched
    dlg.close()


# --- Quality picker (plan.passes: self-ensemble passes of denoise and upscale) ------------------


def _noisy_brick(path: Path) -> np.ndarray:
    """Write a 64 x 80 noisy (sigma 25) crop of the bundled brick sample as a 16-bit PNG;
    returns its pixels as read back."""
    from texpaint import resources_dir

    clean = read_image(resources_dir() / "samples" / "polyhaven__brick_wall_005_diff_1k.jpg")
    noise = np.random.default_rng(3).normal(0, 25 / 255, (64, 80, 3))
    rgb = np.clip(clean.rgb[300:364, 400:480] + noise, 0, 1).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_image(path, ImageData(rgb=rgb, alpha=None, sample_format="uint16"))
    return read_image(path).rgb


def _denoised(rgb: np.ndarray, passes: int, runtime) -> np.ndarray:
    from texpaint.jobs import Job
    from texpaint.ops.runner import run_job

    mask = np.zeros(rgb.shape[:2], np.float32)
    job = Job(op="denoise", image=rgb, mask=mask, params={"passes": passes})
    return run_job(job, runtime=runtime).image


def test_quality_picker_builds_the_plan(dialog, tmp_path):
    from texpaint.ui.operations_panel import PASSES_LABELS

    combo = dialog.passes_combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Operation default",
        *PASSES_LABELS.values(),
    ]
    assert dialog.passes() is None
    dialog.set_input_mode("files")
    dialog.add_files([tmp_path / "a.png"])
    dialog.add_op("denoise")
    dialog.output_edit.setText(str(tmp_path / "out"))
    assert dialog.build_plan(find_inputs=False)[0].passes is None
    for n, label in PASSES_LABELS.items():
        combo.setCurrentText(label)
        assert dialog.passes() == n
        assert dialog.build_plan(find_inputs=False)[0].passes == n


def test_quality_from_presets_and_remembered_settings(qtbot, settings_dir, tmp_path):
    from texpaint.ui.batch_dialog import BatchExportDialog

    def new_dialog() -> BatchExportDialog:
        dlg = BatchExportDialog()
        qtbot.addWidget(dlg)
        return dlg

    dlg = new_dialog()
    dlg.set_input_mode("files")
    dlg.add_files([tmp_path / "a.png"])
    dlg.add_op("denoise")
    dlg.output_edit.setText(str(tmp_path / "out"))
    dlg.passes_combo.setCurrentText("Fast (1 pass)")
    assert dlg.save_preset(tmp_path / "fast.toml"), dlg.error_label.text()
    assert "passes = 1" in (tmp_path / "fast.toml").read_text()
    dlg.set_passes(None)
    assert dlg.save_preset(tmp_path / "default.toml"), dlg.error_label.text()
    assert "passes" not in (tmp_path / "default.toml").read_text()
    dlg.set_passes(4)
    dlg.close()  # remembers the settings

    again = new_dialog()
    assert again.passes() == 4 and again.passes_combo.currentText() == "4 passes"
    assert again.load_preset(tmp_path / "fast.toml") and again.passes() == 1
    assert again.load_preset(tmp_path / "default.toml") and again.passes() is None
    assert again.passes_combo.currentText() == "Operation default"
    again.close()
    last = new_dialog()
    assert last.passes() is None, "'Operation default' is remembered too"
    last.close()


def test_fast_denoise_batch_runs_one_pass(dialog, qtbot, tmp_path, runtime):
    """A Fast batch gives the one-pass denoise, not the default eight-pass one (the dialog's
    runtime may be a GPU: distances are compared, not exact values)."""
    src = tmp_path / "in" / "brick.png"
    rgb = _noisy_brick(src)
    dialog.set_input_mode("files")
    dialog.add_files([src])
    dialog.add_op("denoise")
    dialog.output_edit.setText(str(tmp_path / "out"))
    for key, check in dialog.format_checks.items():
        check.setChecked(key == "tif32f")
    dialog.passes_combo.setCurrentText("Fast (1 pass)")
    _run(dialog, qtbot)
    (r,) = dialog.report.results
    assert r.status == "ok", r.error
    out = read_image(r.outputs[0]).rgb
    one, eight = _denoised(rgb, 1, runtime), _denoised(rgb, 8, runtime)
    assert np.abs(out - one).mean() < 0.1 * np.abs(out - eight).mean()


def test_painter_batch_waits_for_the_running_job_and_uses_the_preferences(
    window, qtbot, tmp_path, monkeypatch
):
    """Batch Export from the painter runs on the inference worker's thread with its runtime
    (the tile size from Preferences reaches it) and only after the job already holding the
    device has finished: one job at a time."""
    import threading

    from PySide6.QtCore import QThread

    from texpaint.ui import batch_dialog
    from texpaint.ui.worker import Task

    seen: list[tuple[QThread, int | None]] = []
    real_run_batch = batch_dialog.run_batch

    def recording_run_batch(plan, **kwargs):
        seen.append((QThread.currentThread(), kwargs["runtime"].tile_px))
        return real_run_batch(plan, **kwargs)

    monkeypatch.setattr(batch_dialog, "run_batch", recording_run_batch)
    window.engine.set_tile_size(256)  # what Preferences -> tile size does
    release = threading.Event()
    busy = window.engine.submit_task(Task(lambda abort, report, runtime: release.wait(30)))

    try:
        files = _textures(tmp_path / "in", 2)
        window.batch_export_action.trigger()
        dlg = window.findChildren(batch_dialog.BatchExportDialog)[0]
        dlg.set_input_mode("files")
        dlg.add_files(files)
        dlg.ops_list.clear()
        dlg.add_op("resize")
        dlg.sizes_edit.setText("32")
        dlg.output_edit.setText(str(tmp_path / "out"))
        for key, check in dlg.format_checks.items():
            check.setChecked(key == "png")
        qtbot.mouseClick(dlg.run_button, Qt.MouseButton.LeftButton)
        assert dlg.error_label.text() == ""
        assert dlg.is_running() and "Waiting" in dlg.status_label.text()
        qtbot.wait(300)
        assert seen == []  # queued behind the busy task
        with qtbot.waitSignal(window.engine.taskFinished, timeout=10000) as first:
            release.set()
        assert first.args[0] == busy
    finally:
        release.set()
    qtbot.waitUntil(lambda: dlg.report is not None and not dlg.is_running(), timeout=60000)
    assert dlg.report.summary() == "2 ok, 0 failed, 0 skipped"
    assert seen == [(window.engine._thread, 256)]
    assert len(list((tmp_path / "out").glob("*.png"))) == 2
    dlg.close()
