"""Preferences (Edit → Preferences…): stored with QSettings, applied by the main window.

Keys (QSettings, per user under the application's organisation/name):

=========================  =======================================================
``engine/device``          ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"mps"``; the inference
                           engine is created with it at start-up (takes effect after restart)
``engine/tile_size``       inference tile edge in pixels (256..4096), or 0: chosen per job from
                           the free memory (``engine.device.auto_tile_px``); sent with each job
``history/memory_cap_mb``  undo history memory cap in MiB (applied to open and new documents)
``autosave/minutes``       minutes between timed autosaves (0 = none; AI results still autosave)
``overlay/color``          mask overlay colour ``#rrggbb`` (shared with the Mask panel)
``ui/theme``               ``"light"`` or ``"dark"`` (Fusion style with a matching palette)
``mask/after_result``      ``"clear"`` (default: an Inpaint, Stylize or Denoise result empties
                           the mask in its own undo step) or ``"keep"``
=========================  =======================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QColorDialog,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QStyleFactory,
    QVBoxLayout,
    QWidget,
)

DEVICES = ("auto", "cpu", "cuda", "mps")
THEMES = ("light", "dark")
AFTER_RESULT = {"clear": "Clear the mask", "keep": "Keep the mask"}
"""Choices for what happens to the mask after an AI result, with their labels."""


def _tile_px(value: int) -> int:
    """A tile-size setting: 0 stays 0 (automatic), anything else is at least 256 px."""
    return 0 if value <= 0 else max(256, value)


@dataclass
class Preferences:
    """User preferences; see the module doc for the QSettings keys and units.

    Attributes:
        device: inference device name, one of :data:`DEVICES`.
        tile_size: inference tile edge in pixels (256..4096), or 0 for automatic (from free
            memory).
        history_cap_mb: undo memory cap in MiB (16..65536).
        autosave_minutes: minutes between autosaves, 0 = no timed autosave (1..120 else).
        mask_color: overlay colour ``"#rrggbb"``.
        theme: one of :data:`THEMES`.
        mask_after_result: a key of :data:`AFTER_RESULT`.
    """

    device: str = "auto"
    tile_size: int = 0
    history_cap_mb: int = 512
    autosave_minutes: int = 3
    mask_color: str = "#ff283c"
    theme: str = "light"
    mask_after_result: str = "clear"

    @property
    def history_cap_bytes(self) -> int:
        """:attr:`history_cap_mb` in bytes."""
        return self.history_cap_mb * 1024 * 1024

    @classmethod
    def load(cls, settings: QSettings | None = None) -> Preferences:
        """Read from QSettings; missing or invalid values fall back to the defaults."""
        s = settings if settings is not None else QSettings()
        d = cls()

        def num(key: str, default: int, lo: int, hi: int) -> int:
            try:
                v = int(s.value(key, default))
            except (TypeError, ValueError):
                return default
            return v if lo <= v <= hi else default

        device = str(s.value("engine/device", d.device))
        theme = str(s.value("ui/theme", d.theme))
        color = QColor(str(s.value("overlay/color", d.mask_color)))
        after = str(s.value("mask/after_result", d.mask_after_result))
        return cls(
            device=device if device in DEVICES else d.device,
            tile_size=_tile_px(num("engine/tile_size", d.tile_size, 0, 4096)),
            history_cap_mb=num("history/memory_cap_mb", d.history_cap_mb, 16, 65536),
            autosave_minutes=num("autosave/minutes", d.autosave_minutes, 0, 120),
            mask_color=color.name() if color.isValid() else d.mask_color,
            theme=theme if theme in THEMES else d.theme,
            mask_after_result=after if after in AFTER_RESULT else d.mask_after_result,
        )

    def save(self, settings: QSettings | None = None) -> None:
        """Write to QSettings."""
        s = settings if settings is not None else QSettings()
        s.setValue("engine/device", self.device)
        s.setValue("engine/tile_size", int(self.tile_size))
        s.setValue("history/memory_cap_mb", int(self.history_cap_mb))
        s.setValue("autosave/minutes", int(self.autosave_minutes))
        s.setValue("overlay/color", self.mask_color)
        s.setValue("ui/theme", self.theme)
        s.setValue("mask/after_result", self.mask_after_result)
        s.sync()


def apply_theme(app: QApplication, theme: str) -> None:
    """Use the Fusion style with a light (Fusion's own) or dark palette."""
    app.setStyle(QStyleFactory.create("Fusion"))
    if theme != "dark":
        app.setPalette(app.style().standardPalette())
        return
    p = QPalette()
    dark, base, text = QColor(45, 45, 48), QColor(30, 30, 32), QColor(220, 220, 220)
    roles = {
        QPalette.ColorRole.Window: dark,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: dark,
        QPalette.ColorRole.ToolTipBase: dark,
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: dark,
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor(255, 80, 80),
        QPalette.ColorRole.Highlight: QColor(42, 130, 218),
        QPalette.ColorRole.HighlightedText: QColor(0, 0, 0),
        QPalette.ColorRole.Link: QColor(90, 160, 230),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    grey = QColor(128, 128, 128)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, grey)
    app.setPalette(p)


class PreferencesDialog(QDialog):
    """Modal editor of :class:`Preferences`; :meth:`preferences` gives the edited values.

    Args:
        prefs: the values to start from.
        live_device: the device the running engine uses, shown beside the choice (a device
            change takes effect after a restart).
    """

    def __init__(
        self, prefs: Preferences, live_device: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        form = QFormLayout()

        self.device_combo = QComboBox()
        self.device_combo.addItems(DEVICES)
        self.device_combo.setCurrentText(prefs.device)
        form.addRow("Inference &device:", self.device_combo)
        note = "Takes effect after restart."
        if live_device:
            note += f" Now running on: {live_device}"
        self.device_note = QLabel(note)
        self.device_note.setWordWrap(True)
        form.addRow("", self.device_note)

        self.tile_spin = QSpinBox()
        self.tile_spin.setRange(0, 4096)
        self.tile_spin.setSingleStep(256)
        self.tile_spin.setSuffix(" px")
        self.tile_spin.setSpecialValueText("Auto (from free memory)")
        self.tile_spin.setValue(prefs.tile_size)
        self.tile_spin.setToolTip(
            "Edge of the tiles large images are processed in (new jobs). Auto picks it from "
            "the free memory; after running out of memory a job retries with smaller tiles"
        )
        form.addRow("Inference &tile size:", self.tile_spin)

        self.history_spin = QSpinBox()
        self.history_spin.setRange(16, 65536)
        self.history_spin.setSingleStep(64)
        self.history_spin.setSuffix(" MB")
        self.history_spin.setValue(prefs.history_cap_mb)
        self.history_spin.setToolTip("Oldest undo steps are dropped beyond this much memory")
        form.addRow("Undo &memory cap:", self.history_spin)

        self.autosave_spin = QSpinBox()
        self.autosave_spin.setRange(0, 120)
        self.autosave_spin.setSuffix(" min")
        self.autosave_spin.setSpecialValueText("off")
        self.autosave_spin.setValue(prefs.autosave_minutes)
        self.autosave_spin.setToolTip("Also autosaved after each finished AI operation")
        form.addRow("&Autosave every:", self.autosave_spin)

        self._mask_color = QColor(prefs.mask_color)
        self.color_button = QPushButton()
        self.color_button.clicked.connect(self._pick_color)
        self._paint_color()
        form.addRow("Mask &colour:", self.color_button)

        self.after_result_combo = QComboBox()
        for key, label in AFTER_RESULT.items():
            self.after_result_combo.addItem(label, key)
        self.after_result_combo.setCurrentIndex(
            max(0, self.after_result_combo.findData(prefs.mask_after_result))
        )
        self.after_result_combo.setToolTip(
            "After Inpaint, Stylize or Denoise: clearing shows the result without the overlay "
            "and keeps the old mask from limiting the next operation (Undo brings it back)"
        )
        form.addRow("After an AI &result:", self.after_result_combo)

        self.theme_combo = QComboBox()
        self.theme_combo.addItems(THEMES)
        self.theme_combo.setCurrentText(prefs.theme)
        form.addRow("T&heme:", self.theme_combo)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def _paint_color(self) -> None:
        name = self._mask_color.name()
        self.color_button.setText(name)
        self.color_button.setStyleSheet(f"background-color: {name};")

    def _pick_color(self) -> None:
        color = QColorDialog.getColor(self._mask_color, self, "Mask colour")
        if color.isValid():
            self.set_mask_color(color)

    def set_mask_color(self, color: QColor) -> None:
        """Choose the mask colour (what the colour button's dialog does)."""
        self._mask_color = QColor(color)
        self._paint_color()

    def preferences(self) -> Preferences:
        """The values shown in the dialog."""
        return Preferences(
            device=self.device_combo.currentText(),
            tile_size=_tile_px(self.tile_spin.value()),
            history_cap_mb=self.history_spin.value(),
            autosave_minutes=self.autosave_spin.value(),
            mask_color=self._mask_color.name(),
            theme=self.theme_combo.currentText(),
            mask_after_result=str(self.after_result_combo.currentData()),
        )
