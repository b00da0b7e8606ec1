"""Image → Make Seamless…: says whether the texture already tiles, offers fit to period (with the
new size), the band width, lighting and a 3 x 3 tiled preview of the result before it is applied.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from texpaint.engine.seamless import SeamlessPlan, make_seamless, plan_seamless

PREVIEW_PX = 320
"""Longer side (pixels) of the image the preview is synthesised at (one tile of the 3 x 3)."""


def tiled_preview(image: np.ndarray, side: int = 3) -> np.ndarray:
    """uint8 ``(side * H, side * W, 3)`` RGB: ``image`` (float32 ``(H, W, 3)``, [0, 1]) tiled
    ``side`` x ``side`` times, as the texture looks when it repeats."""
    tiles = np.tile(np.clip(image, 0.0, 1.0), (side, side, 1))
    return (tiles * 255.0 + 0.5).astype(np.uint8)


def _pixmap(rgb8: np.ndarray) -> QPixmap:
    h, w = rgb8.shape[:2]
    data = np.ascontiguousarray(rgb8)
    qimg = QImage(data.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(qimg.copy())


class SeamlessDialog(QDialog):
    """Parameters of a Make Seamless job for ``image`` (float32 ``(H, W, 3)``, [0, 1]).

    The dialog plans the job on open (:func:`texpaint.engine.seamless.plan_seamless`: wrap
    check, lattice, fitted size, band width) and shows the reduced result tiled 3 x 3 (again
    with "Preview 3 x 3" after a box changes). When the texture already tiles it says so and
    OK applies nothing unless "Re-synthesise anyway" is ticked.

    Attributes:
        plan: the current plan (updated when a box changes).
        status: label with "already tiles" or what will be done (lattice, new size, band).
        force: "Re-synthesise anyway" check box (only matters when the texture tiles).
        fit: "Fit to period" check box; its text gives the new size.
        auto_band: "Band width from the texture" check box; ``band``: spin box (pixels).
        even_lighting: "Even out lighting first" check box (partially checked = automatic).
        preview: label showing the 3 x 3 tiling of the result (:meth:`update_preview`).
    """

    def __init__(self, image: np.ndarray, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Make Seamless")
        self._image = np.asarray(image, dtype=np.float32)
        h, w = self._image.shape[:2]
        form = QFormLayout(self)
        self.status = QLabel()
        self.status.setWordWrap(True)
        form.addRow(self.status)
        self.force = QCheckBox("Re-synthesise anyway")
        self.force.setToolTip("Make Seamless even though the texture already tiles")
        form.addRow(self.force)
        self.fit = QCheckBox("Fit to period")
        self.fit.setChecked(True)
        self.fit.setToolTip(
            "Crop a periodic texture (bricks, tiles, planks) to whole periods so that courses "
            "and joints line up across the wrap"
        )
        form.addRow(self.fit)
        self.auto_band = QCheckBox("Band width from the texture")
        self.auto_band.setChecked(True)
        form.addRow(self.auto_band)
        self.band = QSpinBox()
        self.band.setRange(4, max(4, min(h, w) // 2))
        self.band.setSuffix(" px")
        self.band.setToolTip("Width of the band re-synthesised across each seam")
        form.addRow("Band width:", self.band)
        self.even_lighting = QCheckBox("Even out lighting first")
        self.even_lighting.setTristate(True)
        self.even_lighting.setCheckState(Qt.CheckState.PartiallyChecked)
        self.even_lighting.setToolTip(
            "Divide out slow brightness changes so tiles match (changes every pixel a little); "
            "partly checked = only when the two sides of a seam differ"
        )
        form.addRow(self.even_lighting)
        self.preview = QLabel("(preview)")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(3 * 120, 3 * 120)
        form.addRow(self.preview)
        self.preview_button = QPushButton("Preview 3 x 3")
        self.preview_button.setToolTip("Synthesise a reduced copy and show it tiled 3 x 3")
        self.preview_button.clicked.connect(self.update_preview)
        form.addRow(self.preview_button)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.plan: SeamlessPlan = self._make_plan()
        self.band.setValue(max(4, self.plan.band_px or 4))
        for box in (self.force, self.fit, self.auto_band):
            box.toggled.connect(self._replan)
        self.even_lighting.stateChanged.connect(self._replan)
        self.band.valueChanged.connect(self._replan)
        self._show_plan()
        if not self.plan.unchanged:  # the result tiled 3 x 3 before anything is applied
            self.update_preview()

    # ------------------------------------------------------------------ planning
    def _lighting(self) -> bool | None:
        state = self.even_lighting.checkState()
        if state == Qt.CheckState.PartiallyChecked:
            return None
        return state == Qt.CheckState.Checked

    def _make_plan(self) -> SeamlessPlan:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return plan_seamless(
                self._image,
                None if self.auto_band.isChecked() else self.band.value(),
                fit_to_period=self.fit.isChecked(),
                even_lighting=self._lighting(),
                force=self.force.isChecked(),
            )
        finally:
            QGuiApplication.restoreOverrideCursor()

    def _replan(self, *_args: object) -> None:
        self.plan = self._make_plan()
        if self.auto_band.isChecked() and self.plan.band_px:
            self.band.blockSignals(True)
            self.band.setValue(self.plan.band_px)
            self.band.blockSignals(False)
        self._show_plan()

    def _show_plan(self) -> None:
        h, w = self._image.shape[:2]
        plan = self.plan
        tiles = plan.check.tiles
        self.force.setVisible(tiles)
        if plan.unchanged:
            self.status.setText(
                "This texture already tiles: its wrap seams look like its own interior lines. "
                "OK leaves it as it is; tick “Re-synthesise anyway” to change it."
            )
        else:
            self.status.setText(
                f"Re-synthesises a band over each wrap seam so the texture tiles ({w} x {h} → "
                f"{plan.size[1]} x {plan.size[0]}): {plan.describe()}."
            )
        fitted = plan.crop is not None
        self.fit.setText(
            f"Fit to period (new size {plan.size[1]} x {plan.size[0]})"
            if fitted
            else "Fit to period (no lattice to fit)"
            if plan.lattice is None and not plan.unchanged
            else "Fit to period"
        )
        for widget in (self.fit, self.auto_band, self.band, self.even_lighting):
            widget.setEnabled(not plan.unchanged)
        self.band.setEnabled(not plan.unchanged and not self.auto_band.isChecked())
        self.preview_button.setEnabled(not plan.unchanged)
        self.preview.setPixmap(QPixmap())
        self.preview.setText("(already tiles)" if plan.unchanged else "(press Preview 3 x 3)")

    # ------------------------------------------------------------------ preview
    def preview_image(self) -> np.ndarray:
        """The result synthesised on a copy reduced to :data:`PREVIEW_PX` (longer side),
        float32 ``(h, w, 3)``; the input itself when nothing will change."""
        if self.plan.unchanged:
            return self._image
        h, w = self._image.shape[:2]
        scale = min(1.0, PREVIEW_PX / max(h, w))
        small: np.ndarray = self._image
        if scale < 1.0:
            size = (max(16, round(w * scale)), max(16, round(h * scale)))
            small = cv2.resize(self._image, size, interpolation=cv2.INTER_AREA)
        band = None if self.auto_band.isChecked() else max(4, round(self.band.value() * scale))
        plan = plan_seamless(
            small,
            band,
            fit_to_period=self.fit.isChecked(),
            even_lighting=self._lighting(),
            force=True,
        )
        return make_seamless(small, plan=plan)

    def update_preview(self) -> None:
        """Synthesise the reduced result and show it tiled 3 x 3 in :attr:`preview`."""
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            out = self.preview_image()
        finally:
            QGuiApplication.restoreOverrideCursor()
        pix = _pixmap(tiled_preview(out))
        self.preview.setPixmap(
            pix.scaled(
                3 * 160,
                3 * 160,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    # ------------------------------------------------------------------ result
    def params(self) -> dict[str, Any] | None:
        """The job parameters, or None when nothing is to be done (the texture already tiles
        and "Re-synthesise anyway" is off): ``{"band_px": int | None, "even_lighting":
        bool | None, "fit_to_period": bool, "force": bool}``."""
        if self.plan.unchanged:
            return None
        return {
            "band_px": None if self.auto_band.isChecked() else self.band.value(),
            "even_lighting": self._lighting(),
            "fit_to_period": self.fit.isChecked(),
            "force": self.force.isChecked(),
        }

    @classmethod
    def ask(cls, image: np.ndarray, parent: QWidget | None = None) -> dict[str, Any] | None:
        """Show the dialog modally; the parameters, or None when cancelled or when the
        texture already tiles and is to be left alone."""
        dialog = cls(image, parent)
        try:
            if dialog.exec() == QDialog.DialogCode.Accepted:
                return dialog.params()
            return None
        finally:
            dialog.deleteLater()
