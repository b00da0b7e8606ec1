"""History dock: the undo stack as a list; click a row to jump there."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from texpaint.document.history import UndoHistory


class HistoryPanel(QWidget):
    """Lists ``"Open"`` followed by every step; rows past the current index are greyed.

    Signals:
        jumpRequested(int): the history index the user clicked (0 = as opened).
    """

    jumpRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.itemClicked.connect(lambda item: self.jumpRequested.emit(self.list.row(item)))
        layout.addWidget(self.list)

    def show_history(self, history: UndoHistory | None) -> None:
        """Rebuild the list from ``history`` (None = no document)."""
        self.list.clear()
        if history is None:
            return
        grey = QBrush(QColor(130, 130, 130))
        for i, label in enumerate(["Open"] + [s.label for s in history.steps]):
            item = QListWidgetItem(label)
            if i > history.index:
                item.setForeground(grey)
            self.list.addItem(item)
        self.list.setCurrentRow(history.index)
