"""Upscale in the GUI: the operations panel's Upscale tab runs an imported random-weight
Real-ESRGAN compact model on the open document through the worker, as one undoable step;
the Batch Export dialog offers the op only with a model installed."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from texpaint.document.project import load_project
from texpaint.imaging import resample
from texpaint.imaging.io import ImageData, write_image
from texpaint.jobs import Job, Operation
from texpaint.models.community import import_model

pytestmark = pytest.mark.gui

H, W = 40, 48


def _rgba16(path) -> None:
    rng = np.random.default_rng(11)
    rgb = rng.integers(0, 65536, (H, W, 3)).astype(np.float32) / 65535
    alpha = np.linspace(0.2, 1.0, H * W, dtype=np.float32).reshape(H, W)
    write_image(path, ImageData(rgb=rgb, alpha=alpha, sample_format="uint16"))


def _check_view(window, size: tuple[int, int], history_row: int) -> None:
    h, w = size
    assert window.canvas._image_item.buffer.shape[:2] == (h, w)
    assert window.canvas._mask_item.buffer.shape == (h, w)
    assert window.history_panel.list.currentRow() == history_row
    assert window.size_label.text() == f"{w} x {h} uint16"
    assert f"{w} x {h} uint16" in window.windowTitle()


@pytest.mark.parametrize("key,scale", [("compact2", 2), ("compact4", 4)])
def test_upscale_from_the_panel_is_one_exact_undo_step(
    window, open_image, qtbot, tmp_path, community_weights, errors, key, scale
):
    from texpaint.engine.device import Runtime
    from texpaint.ops.runner import run_job
    from texpaint.ui.operations_panel import NO_UPSCALE_MODEL_TOOLTIP

    panel = window.operations_panel
    tab = panel._ops.index(Operation.UPSCALE)
    assert not panel.tabs.isTabEnabled(tab)  # no upscaling model ships
    assert panel.tabs.tabToolTip(tab) == NO_UPSCALE_MODEL_TOOLTIP
    info = import_model(community_weights[key], name=f"Compact {scale}x")
    panel.reload()
    assert panel.tabs.isTabEnabled(tab) and panel.tabs.tabToolTip(tab) == ""
    assert panel.upscale_model_combo.currentText() == f"Compact {scale}x ({scale}x)"

    src = tmp_path / "rgba16.png"
    _rgba16(src)
    doc = open_image(src)
    assert doc.image.alpha is not None and doc.image.sample_format == "uint16"
    doc.edit_mask("Rect", "fill_rect", 10, 20, 8, 30)
    image0, alpha0, mask0 = doc.image.rgb.copy(), doc.image.alpha.copy(), doc.mask.data.copy()

    panel.tabs.setCurrentIndex(tab)
    assert panel.request()["model_id"] == info.id
    with qtbot.waitSignal(window.jobs.resultApplied, timeout=60000):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert not errors and window.document is doc
    big = (H * scale, W * scale)
    assert doc.size == big and doc.image.alpha.shape == big and doc.mask.data.shape == big
    direct = run_job(
        Job(op="upscale", image=image0, mask=np.zeros((H, W), np.float32), model_id=info.id),
        runtime=Runtime("cpu", tile_px=window.prefs.tile_size),
    ).image
    np.testing.assert_allclose(doc.image.rgb, direct, atol=1e-5)
    assert np.abs(doc.image.rgb - np.repeat(np.repeat(image0, scale, 0), scale, 1)).max() > 1e-3
    assert doc.mask.data[15 * scale, 20 * scale] == 1.0 and doc.mask.data[2 * scale].max() == 0
    assert [s.label for s in doc.history.steps] == ["Rect", f"Upscale {scale}x"]
    assert window.history_panel.list.item(2).text() == f"Upscale {scale}x"
    _check_view(window, big, 2)
    upscaled = doc.image.rgb.copy()
    with qtbot.waitSignal(window.autosave.saved, timeout=30000) as saved:
        pass  # the after-AI autosave (a project file holding the size-changing step)
    recovered = load_project(saved.args[0])
    assert recovered.size == big and np.array_equal(recovered.image.rgb, upscaled)
    recovered.history.undo()
    assert recovered.size == (H, W) and np.array_equal(recovered.image.rgb, image0)

    window.undo_action.trigger()
    assert doc.size == (H, W) and doc.image.sample_format == "uint16"
    assert np.array_equal(doc.image.rgb, image0), "undo gives back the exact 16-bit pixels"
    assert np.array_equal(doc.image.alpha, alpha0) and np.array_equal(doc.mask.data, mask0)
    assert not doc.modified
    _check_view(window, (H, W), 1)

    window.redo_action.trigger()
    assert doc.size == big and np.array_equal(doc.image.rgb, upscaled)
    _check_view(window, big, 2)
    assert not errors


def test_upscale_over_the_pixel_cap_is_refused_before_running(
    window, open_image, tmp_path, community_weights, errors, monkeypatch
):
    import_model(community_weights["compact4"])
    window.operations_panel.reload()
    src = tmp_path / "rgba16.png"
    _rgba16(src)
    doc = open_image(src)
    image0 = doc.image.rgb.copy()
    monkeypatch.setattr(resample, "MAX_PIXELS", H * W * 8)
    panel = window.operations_panel
    panel.tabs.setCurrentIndex(panel._ops.index(Operation.UPSCALE))
    panel.run_button.click()
    assert len(errors) == 1 and errors[0][0] == "Cannot run"
    assert "by 4x gives 192 x 160 pixels, over texpaint's image limit" in errors[0][1]
    assert not window.jobs.busy and panel.run_button.isEnabled()
    assert doc.history.steps == [] and np.array_equal(doc.image.rgb, image0)


def test_batch_dialog_offers_upscale_only_with_a_model(qtbot, settings_dir, community_weights):
    from texpaint.export.plan import op_names
    from texpaint.ui.batch_dialog import BatchExportDialog

    def upscale_item(dialog):
        return dialog.op_combo.model().item(op_names().index("upscale"))

    before = BatchExportDialog()
    qtbot.addWidget(before)
    assert not upscale_item(before).isEnabled()
    assert "no upscale model installed" in upscale_item(before).toolTip()
    info = import_model(community_weights["compact2"])
    after = BatchExportDialog()
    qtbot.addWidget(after)
    assert upscale_item(after).isEnabled()
    assert upscale_item(after).toolTip() == f"Upscale models: {info.id} (2x)"
    after.op_combo.setCurrentText("upscale")
    assert "upscale model" in after.op_arg_edit.placeholderText()
