"""Stylize tab through the real worker (style picker, one undo step) and Learn Style cancel."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from texpaint import resources_dir
from texpaint.jobs import Operation
from texpaint.models.styles import list_styles, user_styles_dir

pytestmark = pytest.mark.gui


def test_pick_style_and_stylize_masked_area_is_one_undo_step(
    window, sample, open_image, qtbot, errors
):
    doc = open_image(sample)
    panel = window.operations_panel
    panel.tabs.setCurrentIndex(panel._ops.index(Operation.STYLIZE))
    assert panel.tabs.isTabEnabled(panel.tabs.currentIndex())
    assert panel.select_style("starry_night")
    item = panel.style_list.currentItem()
    assert not item.icon().isNull(), "thumbnails are shown in the picker"
    panel.stylize_strength.setValue(100)
    doc.edit_mask("Rectangle", "fill_rect", 64, 192, 64, 192)
    original = doc.image.rgb.copy()
    inside = doc.mask.data > 0
    steps = len(doc.history.steps)
    with qtbot.waitSignal(window.engine.jobFinished, timeout=60000):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=5000)
    assert not errors
    after = doc.image.rgb.copy()
    assert np.array_equal(after[~inside], original[~inside])
    assert np.abs(after[96:160, 96:160] - original[96:160, 96:160]).mean() > 0.01
    assert len(doc.history.steps) == steps + 1
    assert doc.history.steps[-1].label == "Stylize"
    window.undo()
    assert np.array_equal(doc.image.rgb, original)


def test_learn_style_training_shows_progress_and_can_be_cancelled(window, qtbot, errors):
    """Training the Fast network of a new style reports progress and can be cancelled; the
    style itself was added at once and stays (Best uses it), with no network installed."""
    from texpaint.models.catalog import list_models

    learner, panel = window.style_learner, window.operations_panel
    before = [s.id for s in list_styles()]
    exemplar = resources_dir() / "styles" / "great_wave" / "thumb.png"
    with qtbot.waitSignal(learner.progress, timeout=60000):
        sid = learner.start(
            exemplar, name="Cancelled wave", train=True, steps=500, size=64, batch=1, style_px=128
        )
    assert sid == "cancelled_wave"
    assert learner.busy and panel.cancel_button.isEnabled()
    assert panel.message.text().startswith("Learning style")
    with qtbot.waitSignal(learner.cancelled, timeout=30000):
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert not learner.busy and not panel.cancel_button.isEnabled()
    assert panel.message.text() == "Cancelled"
    assert {s.id for s in list_styles()} == set(before) | {"cancelled_wave"}
    assert (user_styles_dir() / "cancelled_wave" / "exemplar.jpg").is_file()
    assert "texpaint-style-cancelled_wave" not in {m.id for m in list_models()}
    assert not errors


def test_learn_style_without_training_is_usable_by_best_at_once(
    window, sample, open_image, qtbot, monkeypatch, errors
):
    """Learn Style with the training box off (the default): the picked image joins the
    library and is selected in one step, no task runs; Stylize at Best repaints a masked
    area with it, while Fast says the style has no network."""
    from PySide6.QtWidgets import QFileDialog

    doc = open_image(sample)
    panel, learner = window.operations_panel, window.style_learner
    panel.tabs.setCurrentIndex(panel._ops.index(Operation.STYLIZE))
    assert not panel.learn_train.isChecked()
    exemplar = resources_dir() / "styles" / "the_scream" / "exemplar.jpg"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(exemplar), ""))
    with qtbot.waitSignal(learner.added, timeout=5000) as added:
        qtbot.mouseClick(panel.learn_button, Qt.MouseButton.LeftButton)
    sid = added.args[0]
    assert not learner.busy
    assert panel.style_list.currentItem().data(Qt.ItemDataRole.UserRole) == sid
    assert "Best quality only" in panel.style_list.currentItem().toolTip()
    panel.stylize_quality.setCurrentIndex(panel.stylize_quality.findData("best"))
    doc.edit_mask("Rectangle", "fill_rect", 64, 160, 64, 160)
    original = doc.image.rgb.copy()
    inside = doc.mask.data > 0
    with qtbot.waitSignal(window.engine.jobFinished, timeout=120000):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=5000)
    assert not errors
    after = doc.image.rgb
    assert np.array_equal(after[~inside], original[~inside])
    assert np.abs(after[96:128, 96:128] - original[96:128, 96:128]).mean() > 0.02
    window.undo()
    panel.stylize_quality.setCurrentIndex(panel.stylize_quality.findData("fast"))
    with qtbot.waitSignal(window.engine.jobFailed, timeout=60000) as failed:
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert "has no Fast network" in failed.args[1]


def test_learn_as_picker_sets_the_content_weight_of_the_learnt_style(
    window, qtbot, monkeypatch, errors
):
    from PySide6.QtWidgets import QFileDialog

    from texpaint.training.learn_style import LEARN_LOOKS

    panel, learner = window.operations_panel, window.style_learner
    exemplar = resources_dir() / "styles" / "moss" / "thumb.png"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(exemplar), ""))
    calls: list[dict] = []
    monkeypatch.setattr(learner, "start", lambda path, **params: calls.append(params))
    panel.learn_train.setChecked(True)
    assert [panel.learn_look.itemData(i) for i in range(panel.learn_look.count())] == list(
        LEARN_LOOKS
    )
    panel.learn_look.setCurrentIndex(panel.learn_look.findData("material"))
    qtbot.mouseClick(panel.learn_button, Qt.MouseButton.LeftButton)
    panel.learn_look.setCurrentIndex(panel.learn_look.findData("painting"))
    qtbot.mouseClick(panel.learn_button, Qt.MouseButton.LeftButton)
    assert calls == [
        {"train": True, "content_weight": 0.1},
        {"train": True, "content_weight": 1.0},
    ]
    assert not errors


def test_match_detail_checkbox_switches_the_exemplar_statistics(
    window, sample, open_image, qtbot, errors
):
    """The Stylize tab's "Match the style's detail" box (on by default) reaches the job: the
    two results differ inside the mask and the default one has the exemplar's colour mean."""
    from texpaint.imaging.band_transfer import rgb_moments
    from texpaint.models.catalog import get_model, load_network

    doc = open_image(sample)
    panel = window.operations_panel
    panel.tabs.setCurrentIndex(panel._ops.index(Operation.STYLIZE))
    assert panel.select_style("starry_night")
    panel.stylize_strength.setValue(100)
    panel.stylize_quality.setCurrentIndex(panel.stylize_quality.findData("fast"))
    assert panel.match_statistics.isChecked()
    assert panel.request()["params"]["match_statistics"] is True
    original = doc.image.rgb.copy()
    results = {}
    for checked in (True, False):
        panel.match_statistics.setChecked(checked)
        with qtbot.waitSignal(window.engine.jobFinished, timeout=60000):
            qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not window.jobs.busy, timeout=5000)
        results[checked] = doc.image.rgb.copy()
        window.undo()
        assert np.array_equal(doc.image.rgb, original)
    assert not errors
    target = np.array(
        load_network(get_model("texpaint-style-starry_night", "stylize")).statistics_target.rgb_mean
    )
    on, off = (np.abs(rgb_moments(results[k])[0] - target).max() for k in (True, False))
    assert on < 0.03 and off > on
    assert np.abs(results[True] - results[False]).mean() > 0.01
