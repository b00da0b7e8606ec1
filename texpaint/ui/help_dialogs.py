"""Help menu dialogs: the keyboard shortcuts list and About (version and licences)."""

from __future__ import annotations

import platform

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

import texpaint
from texpaint import resources_dir

CANVAS_GESTURES: tuple[tuple[str, str], ...] = (
    ("Pan", "Space + drag, or middle-button drag"),
    ("Zoom around the cursor", "Mouse wheel"),
    ("Show the image before the last AI result (anywhere in the window)", "\\ (hold)"),
    ("Cancel the rectangle / lasso being drawn", "Esc"),
)
"""Canvas input that is not a menu action: ``(what it does, keys)``."""

MASK_NOTE = (
    "The mask is a working layer: it is not saved with the image, and closing or opening "
    "another file only asks about unsaved image changes. Keep a mask with File → Export Mask "
    "and bring it back with File → Load Mask."
)


def shortcut_rows(actions: list[QAction]) -> list[tuple[str, str]]:
    """``(what it does, keys)`` for every action that has a shortcut, then the canvas gestures.

    Keys are in the platform's native text (e.g. ``"Ctrl+Shift+Z"``); several shortcuts of one
    action are joined with ``", "``. Reading the actions keeps the list true when they change.
    """
    rows = []
    for action in actions:
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
        keys = [k for k in keys if k]
        if keys:
            rows.append((action.text().replace("&", "").rstrip("…."), ", ".join(keys)))
    return rows + list(CANVAS_GESTURES)


class ShortcutsDialog(QDialog):
    """Table of every keyboard shortcut and canvas gesture (Help → Keyboard Shortcuts)."""

    def __init__(self, actions: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts — texpaint")
        rows = shortcut_rows(actions)
        self.table = QTableWidget(len(rows), 2)
        self.table.setHorizontalHeaderLabels(["Action", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(
            1, QHeaderView.ResizeMode.ResizeToContents
        )
        for i, (what, keys) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(what))
            self.table.setItem(i, 1, QTableWidgetItem(keys))
        note = QLabel(MASK_NOTE)
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(520, 560)

    def rows(self) -> list[tuple[str, str]]:
        """The table's ``(action, keys)`` rows as shown."""
        t = self.table
        return [(t.item(i, 0).text(), t.item(i, 1).text()) for i in range(t.rowCount())]


def about_markdown() -> str:
    """About text (Markdown): version, runtime, the licences of the bundled samples and styles
    (each ``resources/*/LICENSE.md`` in full) and, per model card, its model's licence."""
    from texpaint.models.catalog import list_models  # no torch import: cards are JSON

    parts = [
        f"# texpaint {texpaint.__version__}",
        "A texture painter with texture-aware GAN inpainting, stylization and denoising.",
        f"Python {platform.python_version()}, Qt {qVersion()}, PySide6 {PySide6.__version__}.",
    ]
    try:
        root = resources_dir()
    except FileNotFoundError as exc:
        parts.append(f"*{exc}*")
        return "\n\n".join(parts)
    for licence in sorted(root.glob("*/LICENSE.md")):
        text = licence.read_text(encoding="utf-8", errors="replace").strip()
        # demote the file's headings one level below the About title
        text = "\n".join("#" + line if line.startswith("#") else line for line in text.splitlines())
        parts.append(f"{text}\n\n*(from `resources/{licence.parent.name}/LICENSE.md`)*")
    problems: list[str] = []
    models = list_models(problems=problems)
    lines = ["## Models"]
    for info in models:
        card = info.card
        licence = card.get("license") or card.get("licence") or "not stated in its model card"
        data = card.get("training_data") or card.get("dataset")
        where = "bundled" if info.builtin else str(info.path.parent)
        line = f"- **{info.name}** (`{info.id}`, {info.operation}, {where}): licence {licence}"
        if data:
            line += f"; trained on {data}"
        if card.get("licence_note"):  # architectures from spandrel_extra_arches
            line += f". {card['licence_note']}"
        lines.append(line)
    if not models:
        lines.append("No models are installed.")
    lines += [f"- unreadable model card: {p}" for p in problems]
    parts.append("\n".join(lines))
    return "\n\n".join(parts)


class AboutDialog(QDialog):
    """Help → About: :func:`about_markdown` in a scrollable text view."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About texpaint")
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        self.text.setMarkdown(about_markdown())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(760, 600)
