"""Image → Make Seamless…: asks for the seam band width and whether to even out lighting."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from texpaint.engine.seamless import default_band_px


class SeamlessDialog(QDialog):
    """Parameters of a Make Seamless job for an image of ``size`` ``(H, W)`` pixels.

    Attributes:
        band: band width spin box (pixels, 2 .. half the shorter side; default
            :func:`texpaint.engine.seamless.default_band_px`).
        even_lighting: "Even out lighting first" check box.
    """

    def __init__(self, size: tuple[int, int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Make Seamless")
        h, w = size
        form = QFormLayout(self)
        note = QLabel(
            "Inpaints a band over the edges where the texture wraps around, so that it tiles. "
            "Pixels outside the band stay as they are."
        )
        note.setWordWrap(True)
        form.addRow(note)
        self.band = QSpinBox()
        self.band.setRange(2, max(2, min(h, w) // 2))
        self.band.setValue(default_band_px(h, w))
        self.band.setSuffix(" px")
        self.band.setToolTip("Width of the band inpainted across each seam")
        form.addRow("Band width:", self.band)
        self.even_lighting = QCheckBox("Even out lighting first")
        self.even_lighting.setToolTip(
            "Divide out slow brightness changes (a light from one side, vignetting) so tiles "
            "match; this changes every pixel a little"
        )
        form.addRow(self.even_lighting)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def params(self) -> dict[str, Any]:
        """The job parameters: ``{"band_px": int, "even_lighting": bool}``."""
        return {"band_px": self.band.value(), "even_lighting": self.even_lighting.isChecked()}

    @classmethod
    def ask(cls, size: tuple[int, int], parent: QWidget | None = None) -> dict[str, Any] | None:
        """Show the dialog modally; the parameters, or None when cancelled."""
        dialog = cls(size, parent)
        try:
            if dialog.exec() == QDialog.DialogCode.Accepted:
                return dialog.params()
            return None
        finally:
            dialog.deleteLater()
