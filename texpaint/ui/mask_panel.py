"""Mask dock: tool choice, brush settings, whole-mask operations and overlay look."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QColorDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from texpaint.ui.tools import MAX_SIZE_PX, MIN_SIZE_PX, MaskTool


def _slider_with_spin(lo: int, hi: int, suffix: str) -> tuple[QWidget, QSlider, QSpinBox]:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(lo, hi)
    spin = QSpinBox()
    spin.setRange(lo, hi)
    spin.setSuffix(suffix)
    slider.valueChanged.connect(spin.setValue)
    spin.valueChanged.connect(slider.setValue)
    layout.addWidget(slider, 1)
    layout.addWidget(spin)
    return row, slider, spin


class MaskPanel(QWidget):
    """Controls for mask tools and mask operations.

    Signals:
        toolChosen(int): index into the tool list given to the constructor.
        maskOperation(str, int): ``("fill"|"clear"|"invert", 0)`` or
            ``("grow"|"shrink"|"feather", px)``.
        overlayChanged(QColor, float): overlay colour and opacity (0..1).
    """

    toolChosen = Signal(int)
    maskOperation = Signal(str, int)
    overlayChanged = Signal(QColor, float)

    def __init__(self, tools: list[MaskTool], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tools = tools
        self._tool: MaskTool = tools[0]
        self._syncing = False
        layout = QVBoxLayout(self)

        tool_box = QGroupBox("Tools")
        tool_row = QHBoxLayout(tool_box)
        self.tool_group = QButtonGroup(self)
        self.tool_group.setExclusive(True)
        for i, tool in enumerate(tools):
            b = QToolButton()
            b.setText(tool.name)
            b.setCheckable(True)
            b.setToolTip(f"{tool.name} ({tool.shortcut})")
            self.tool_group.addButton(b, i)
            tool_row.addWidget(b)
        self.tool_group.idClicked.connect(self.toolChosen)
        layout.addWidget(tool_box)

        brush_box = QGroupBox("Brush")
        form = QFormLayout(brush_box)
        row, self.size_slider, self.size_spin = _slider_with_spin(
            int(MIN_SIZE_PX), int(MAX_SIZE_PX), " px"
        )
        self.size_spin.setToolTip("Brush diameter in image pixels ( [ and ] )")
        form.addRow("Size", row)
        row, self.hardness_slider, _ = _slider_with_spin(0, 100, " %")
        form.addRow("Hardness", row)
        row, self.opacity_slider, _ = _slider_with_spin(1, 100, " %")
        form.addRow("Opacity", row)
        self.size_slider.valueChanged.connect(self._settings_edited)
        self.hardness_slider.valueChanged.connect(self._settings_edited)
        self.opacity_slider.valueChanged.connect(self._settings_edited)
        layout.addWidget(brush_box)

        ops_box = QGroupBox("Mask")
        grid = QGridLayout(ops_box)
        for col, (name, tip) in enumerate(
            (
                ("Fill", "Mask the whole image"),
                ("Clear", "Empty the mask"),
                ("Invert", "Swap masked and unmasked"),
            )
        ):
            b = QPushButton(name)
            b.setToolTip(tip)
            op = name.lower()
            b.clicked.connect(lambda _=False, op=op: self.maskOperation.emit(op, 0))
            grid.addWidget(b, 0, col)
        self.px_spin = QSpinBox()
        self.px_spin.setRange(1, 256)
        self.px_spin.setValue(4)
        self.px_spin.setSuffix(" px")
        for col, name in enumerate(("Grow", "Shrink", "Feather")):
            b = QPushButton(name)
            op = name.lower()
            b.clicked.connect(
                lambda _=False, op=op: self.maskOperation.emit(op, self.px_spin.value())
            )
            grid.addWidget(b, 1, col)
        grid.addWidget(self.px_spin, 2, 0, 1, 3)
        layout.addWidget(ops_box)

        overlay_box = QGroupBox("Overlay")
        form = QFormLayout(overlay_box)
        self._overlay_color = QColor(255, 40, 60)
        self.color_button = QPushButton()
        self.color_button.setToolTip("Mask overlay colour")
        self.color_button.clicked.connect(self._pick_color)
        form.addRow("Colour", self.color_button)
        row, self.overlay_slider, _ = _slider_with_spin(0, 100, " %")
        self.overlay_slider.setValue(50)
        self.overlay_slider.valueChanged.connect(self._emit_overlay)
        form.addRow("Opacity", row)
        layout.addWidget(overlay_box)
        layout.addStretch(1)
        self._paint_color_button()
        self.show_tool(self._tool)

    @property
    def overlay_color(self) -> QColor:
        """Current overlay colour."""
        return QColor(self._overlay_color)

    @property
    def overlay_opacity(self) -> float:
        """Current overlay opacity, 0..1."""
        return self.overlay_slider.value() / 100.0

    def set_overlay(self, color: QColor, opacity: float) -> None:
        """Show a stored overlay colour/opacity (emits overlayChanged)."""
        self._overlay_color = QColor(color)
        self._paint_color_button()
        self.overlay_slider.setValue(round(opacity * 100))
        self._emit_overlay()

    def show_tool(self, tool: MaskTool) -> None:
        """Display ``tool``'s settings; later edits go to it."""
        self._tool = tool
        self._syncing = True
        try:
            if tool in self._tools:
                self.tool_group.button(self._tools.index(tool)).setChecked(True)
            self.size_slider.setValue(round(tool.size))
            self.hardness_slider.setValue(round(tool.hardness * 100))
            self.opacity_slider.setValue(round(tool.opacity * 100))
            self.size_slider.setEnabled(tool.shows_brush_outline)
            self.hardness_slider.setEnabled(tool.shows_brush_outline)
        finally:
            self._syncing = False

    def _settings_edited(self) -> None:
        if self._syncing:
            return
        self._tool.size = self.size_slider.value()
        self._tool.hardness = self.hardness_slider.value() / 100.0
        self._tool.opacity = self.opacity_slider.value() / 100.0

    def _pick_color(self) -> None:
        color = QColorDialog.getColor(self._overlay_color, self, "Mask overlay colour")
        if color.isValid():
            self._overlay_color = color
            self._paint_color_button()
            self._emit_overlay()

    def _paint_color_button(self) -> None:
        self.color_button.setStyleSheet(f"background-color: {self._overlay_color.name()};")

    def _emit_overlay(self) -> None:
        self.overlayChanged.emit(self.overlay_color, self.overlay_opacity)
