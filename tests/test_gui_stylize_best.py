"""Stylize tab: the Best quality runs guided patch synthesis through the real worker."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from texpaint.jobs import Operation
from texpaint.ops.stylize import DEFAULT_QUALITY

pytestmark = pytest.mark.gui


def test_stylize_tab_best_quality_masked_area_is_one_undo_step(
    window, sample, open_image, qtbot, errors
):
    doc = open_image(sample)
    panel = window.operations_panel
    panel.tabs.setCurrentIndex(panel._ops.index(Operation.STYLIZE))
    assert panel.select_style("starry_night")
    assert panel.stylize_quality.currentData() == DEFAULT_QUALITY
    panel.stylize_quality.setCurrentIndex(panel.stylize_quality.findData("best"))
    assert panel.request()["params"]["quality"] == "best"
    doc.edit_mask("Rectangle", "fill_rect", 64, 160, 64, 160)
    original = doc.image.rgb.copy()
    inside = doc.mask.data > 0
    steps = len(doc.history.steps)
    with qtbot.waitSignal(window.engine.jobFinished, timeout=120000):
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=5000)
    assert not errors
    after = doc.image.rgb.copy()
    assert np.array_equal(after[~inside], original[~inside])
    assert np.abs(after[96:128, 96:128] - original[96:128, 96:128]).mean() > 0.02
    assert len(doc.history.steps) == steps + 1
    window.undo()
    assert np.array_equal(doc.image.rgb, original)


def test_best_is_the_default_quality_in_the_tab_and_the_cli_with_the_same_strength(window):
    """The Stylize tab and ``texpaint stylize`` start from the same quality (Best) and the
    same strength."""
    from texpaint.cli import build_parser

    panel = window.operations_panel
    panel.tabs.setCurrentIndex(panel._ops.index(Operation.STYLIZE))
    args = build_parser().parse_args(["stylize", "in.png", "--style", "x", "-o", "o.png"])
    assert DEFAULT_QUALITY == "best"
    assert panel.stylize_quality.currentData() == args.quality == "best"
    assert panel.request()["params"]["quality"] == "best"
    assert panel.stylize_strength.value() / 100.0 == args.strength
    assert not panel.match_statistics.isEnabled()  # acts on the Fast network's output only
    panel.stylize_quality.setCurrentIndex(panel.stylize_quality.findData("fast"))
    assert panel.match_statistics.isEnabled()
