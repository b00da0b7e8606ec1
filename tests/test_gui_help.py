"""Help menu: the shortcuts list matches what the keys really do; About shows the licences."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

import texpaint
from texpaint.ui.help_dialogs import AboutDialog, ShortcutsDialog

pytestmark = pytest.mark.gui


def _menu_action(window, menu_title: str, text: str):
    for menu_action in window.menuBar().actions():
        if menu_action.text().replace("&", "") == menu_title:
            for a in menu_action.menu().actions():
                if a.text().replace("&", "").startswith(text):
                    return a
    raise AssertionError(f"no {menu_title} → {text}")


def test_f1_lists_every_shortcut_and_tool_keys_work(window, sample, open_image, qtbot):
    open_image(sample)
    window.activateWindow()
    qtbot.waitActive(window)
    window.canvas.setFocus()
    QTest.keyClick(window.canvas, Qt.Key.Key_F1)
    dialogs = window.findChildren(ShortcutsDialog)
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    rows = dict(dialogs[0].rows())
    expected = {
        "Fit": "Ctrl+0",
        "100%": "Ctrl+1",
        "Undo": "Ctrl+Z",
        "Redo": "Ctrl+Shift+Z, Ctrl+Y",
        "Bigger Brush": "]",
        "Smaller Brush": "[",
        "Brush": "B",
        "Eraser": "E",
        "Rectangle": "R",
        "Lasso": "L",
        "Open": "Ctrl+O",
        "Keyboard Shortcuts": "F1",
    }
    for what, keys in expected.items():
        assert rows.get(what) == keys, what
    assert any(k.startswith("Space") for k in rows.values())
    assert any(k.startswith("\\") for k in rows.values())
    dialogs[0].close()

    # the listed tool keys really pick the tools
    for name in ("Eraser", "Rectangle", "Lasso", "Brush"):
        QTest.keyClick(window.canvas, getattr(Qt.Key, f"Key_{rows[name]}"))
        assert window.canvas.tool.name == name


def test_about_shows_version_and_resource_licences(window):
    _menu_action(window, "Help", "About").trigger()
    dialogs = window.findChildren(AboutDialog)
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    text = dialogs[0].text.toPlainText()
    assert f"texpaint {texpaint.__version__}" in text
    assert "Bundled sample textures" in text and "CC0" in text  # resources/samples/LICENSE.md
    assert "Style exemplars" in text and "The Starry Night" in text  # resources/styles
    # the test model (see conftest) has no licence in its card: said so, not invented
    assert "Test FFC (untrained)" in text and "not stated in its model card" in text
