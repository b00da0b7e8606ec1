"""The Material window: edit a whole material set (albedo, normal, height, ...) at once.

File → Open Material… (in the painter's main window, or in this window's Material menu)
shows :class:`~texpaint.ui.material_open_dialog.MaterialOpenDialog`: a folder or one map of
a set (its siblings gathered by their names, :mod:`texpaint.document.material`) with each
map's role to check, or a ``.texmat`` material project. The set opens in this window:

- the canvas shows one map of the set (map switcher in the toolbar, keys 1–6) with the mask
  over it; left button paints the mask, right button erases, the brush size is in the
  toolbar; each stroke is one undo step;
- the lit preview beside it shades the set as a flat tile under a movable light (drag in it
  to move the light; :func:`texpaint.imaging.shading.lit_preview`), so edits can be judged as
  an engine shows them;
- Inpaint Set and Make Seamless Set run once over the set, the fill decided on the albedo by
  the synthesis core and copied into every map
  (:func:`~texpaint.document.material.inpaint_material`);
- Denoise… and Stylize… run the painter's models on the albedo only (the other maps are
  data) unless the user ticks other maps;
- every edit runs on the painter's inference worker (:class:`~texpaint.engine.runner.Task`:
  its device, tile size and queue, from Preferences), with progress in the status bar and
  Esc to cancel; each is one undo step for every map
  (:class:`~texpaint.document.material_history.MaterialHistory`);
- Map Roles… corrects each map's role, Flip Normal Y converts the normal map between OpenGL
  and DirectX; Save writes every map back to its own file (or the project the set came
  from), Save Set As… into another folder, each map in its own format and bit depth; Save
  Project As… writes a ``.texmat`` project (maps, roles and mask).

Closing the window, or the painter's main window, asks before unsaved edits are lost. The
window autosaves its set and mask as the painter does its document (every N minutes from
Preferences and after each applied edit of the maps; :mod:`texpaint.ui.material_autosave`),
and a set a crash left unsaved is offered back at the next start.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QImage, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QWidget,
)

from texpaint.document.material import (
    MapRole,
    MaterialError,
    MaterialSet,
    inpaint_material,
    save_material,
    seamless_material_set,
)
from texpaint.document.material_history import MaterialHistory
from texpaint.document.material_project import (
    PROJECT_EXTENSION,
    read_material_project,
    save_material_project,
)
from texpaint.imaging.shading import light_direction, lit_preview
from texpaint.ui.busy import run_off_gui_thread
from texpaint.ui.recent_files import RecentFiles
from texpaint.ui.worker import InferenceEngine, Task

__all__ = [
    "LitPreview",
    "MaterialCanvas",
    "MaterialWindow",
    "offer_material_recovery",
    "open_material_path",
    "open_material_window",
]

PREVIEW_PX = 384
"""The lit preview shades the set downscaled to at most this many pixels per side."""

MAX_SWITCH_KEYS = 6
"""Maps 1..6 get the number keys as shortcuts."""

SetWork = Callable[[MaterialSet, Callable[[], bool], Callable[[float, str], None], Any], Any]
"""``work(snapshot, abort, progress, runtime) -> (new set, SetFill or None)``: a set edit as
it runs on the inference worker."""


def _qimage(rgb: np.ndarray, mask: np.ndarray | None = None) -> QImage:
    """uint8 RGB QImage of float32 ``(H, W, 3)`` [0, 1], the mask tinted red over it."""
    a = np.clip(rgb, 0.0, 1.0)
    if mask is not None:
        m = (0.45 * np.clip(mask, 0.0, 1.0))[..., None]
        a = a * (1 - m) + np.array([1.0, 0.15, 0.1], np.float32) * m
    u8 = np.ascontiguousarray(np.rint(a * 255).astype(np.uint8))
    h, w = u8.shape[:2]
    return QImage(u8.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class MaterialCanvas(QWidget):
    """Shows one map with the mask over it; paints the mask with the mouse.

    Left button paints, right button erases (round dabs of :attr:`brush_px` image pixels; the
    brush outline follows the cursor); the wheel zooms around the cursor (1/8x to 32x the
    fit-to-window scale), the middle button drags the view; :meth:`fit` shows the whole map.
    Only the dab's box of the display image is recomposed per dab, so painting stays quick
    on 4K maps.

    Signals:
        maskChanged(): after each dab.
        strokeStarted(): a mouse button went down (before the first dab).
        strokeFinished(): the button was released (one stroke, one undo step).
    """

    maskChanged = Signal()
    strokeStarted = Signal()
    strokeFinished = Signal()

    ZOOM_RANGE = (0.125, 32.0)
    """Zoom limits, relative to the fit-to-window scale."""

    def __init__(self, mask: np.ndarray, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mask = mask
        self.rgb = np.zeros((*mask.shape, 3), np.float32)
        self.brush_px = 24
        self.zoom = 1.0
        self.pan = QPointF(0.0, 0.0)
        self._rgb8 = np.zeros((*mask.shape, 3), np.uint8)
        self._buf = np.zeros((*mask.shape, 3), np.uint8)
        self._image = QImage()
        self._cursor: QPointF | None = None
        self._drag: QPointF | None = None
        self.setMinimumSize(256, 256)
        self.setMouseTracking(True)

    def show_map(self, rgb: np.ndarray) -> None:
        """Display float32 ``(H, W, 3)`` ``rgb`` (same size as the mask)."""
        self.rgb = rgb
        self._rgb8 = np.ascontiguousarray(np.rint(np.clip(rgb, 0.0, 1.0) * 255).astype(np.uint8))
        self.refresh()

    def refresh(self, box: tuple[int, int, int, int] | None = None) -> None:
        """Recompose map and mask (in ``box`` = ``(y0, y1, x0, x1)`` only, or everywhere)
        and repaint."""
        h, w = self.mask.shape
        if self._buf.shape[:2] != (h, w):
            self._buf = np.zeros((h, w, 3), np.uint8)
        y0, y1, x0, x1 = box if box is not None else (0, h, 0, w)
        m = (0.45 * np.clip(self.mask[y0:y1, x0:x1], 0.0, 1.0))[..., None]
        base = self._rgb8[y0:y1, x0:x1].astype(np.float32)
        tint = np.array([255.0, 38.0, 25.0], np.float32)
        self._buf[y0:y1, x0:x1] = np.rint(base * (1 - m) + tint * m).astype(np.uint8)
        if box is None or self._image.isNull():
            self._image = QImage(self._buf.data, w, h, 3 * w, QImage.Format.Format_RGB888)
        self.update()

    def _target(self) -> QRectF:
        h, w = self.mask.shape
        s = min(self.width() / w, self.height() / h) * self.zoom
        return QRectF(
            (self.width() - w * s) / 2 + self.pan.x(),
            (self.height() - h * s) / 2 + self.pan.y(),
            w * s,
            h * s,
        )

    def image_pos(self, pos: QPointF) -> tuple[float, float]:
        """``(x, y)`` image pixels under widget position ``pos``."""
        t = self._target()
        h, w = self.mask.shape
        return (pos.x() - t.x()) * w / t.width(), (pos.y() - t.y()) * h / t.height()

    def fit(self) -> None:
        """Show the whole map, centred."""
        self.zoom = 1.0
        self.pan = QPointF(0.0, 0.0)
        self.update()

    def zoom_at(self, factor: float, pos: QPointF) -> None:
        """Zoom by ``factor`` keeping the image point under widget position ``pos`` fixed."""
        x, y = self.image_pos(pos)
        lo, hi = self.ZOOM_RANGE
        self.zoom = min(hi, max(lo, self.zoom * factor))
        t = self._target()
        h, w = self.mask.shape
        # where (x, y) lands now, moved back under the cursor
        nx = t.x() + x * t.width() / w
        ny = t.y() + y * t.height() / h
        self.pan = QPointF(self.pan.x() + pos.x() - nx, self.pan.y() + pos.y() - ny)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), Qt.GlobalColor.darkGray)
        t = self._target()
        p.drawImage(t, self._image)
        if self._cursor is not None:
            r = self.brush_px / 2 * t.width() / self.mask.shape[1]
            p.setPen(Qt.GlobalColor.white)
            p.drawEllipse(self._cursor, r, r)
        p.end()

    def dab(self, x: float, y: float, erase: bool = False) -> None:
        """Paint (or erase) a round dab of :attr:`brush_px` diameter at image ``(x, y)``."""
        h, w = self.mask.shape
        r = self.brush_px / 2
        y0, y1 = max(0, int(y - r)), min(h, int(y + r) + 1)
        x0, x1 = max(0, int(x - r)), min(w, int(x + r) + 1)
        if y0 >= y1 or x0 >= x1:
            return
        yy, xx = np.mgrid[y0:y1, x0:x1]
        inside = (yy + 0.5 - y) ** 2 + (xx + 0.5 - x) ** 2 <= r * r
        self.mask[y0:y1, x0:x1][inside] = 0.0 if erase else 1.0
        self.refresh((y0, y1, x0, x1))
        self.maskChanged.emit()

    def wheelEvent(self, event) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_at(1.25**steps, event.position())

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.MiddleButton:
            self._drag = event.position()
            return
        if event.buttons() & (Qt.MouseButton.LeftButton | Qt.MouseButton.RightButton):
            self.strokeStarted.emit()
        self.mouseMoveEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        self._cursor = event.position()
        buttons = event.buttons()
        if self._drag is not None and buttons & Qt.MouseButton.MiddleButton:
            d = event.position() - self._drag
            self._drag = event.position()
            self.pan = QPointF(self.pan.x() + d.x(), self.pan.y() + d.y())
            self.update()
            return
        if buttons & (Qt.MouseButton.LeftButton | Qt.MouseButton.RightButton):
            x, y = self.image_pos(event.position())
            self.dab(x, y, erase=bool(buttons & Qt.MouseButton.RightButton))
        else:
            self.update()  # the brush outline follows the cursor

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.MiddleButton:
            self._drag = None
            return
        if not event.buttons() & (Qt.MouseButton.LeftButton | Qt.MouseButton.RightButton):
            self.strokeFinished.emit()

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._cursor = None
        self.update()


class LitPreview(QLabel):
    """The set shaded as a flat tile; dragging moves the light.

    Signals:
        lightChanged(float, float): azimuth and elevation in degrees.
    """

    lightChanged = Signal(float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.azimuth, self.elevation = 135.0, 40.0
        self.setMinimumSize(200, 200)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setToolTip("Lit preview: drag to move the light")
        self._full = QPixmap()

    def set_shading(self, image: QImage) -> None:
        """Show ``image`` scaled to fit (and again whenever the widget is resized)."""
        self._full = QPixmap.fromImage(image)
        self._fit()

    def _fit(self) -> None:
        if self._full.isNull():
            return
        self.setPixmap(
            self._full.scaled(
                self.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if not event.buttons() & Qt.MouseButton.LeftButton:
            return
        cx, cy = self.width() / 2, self.height() / 2
        dx, dy = event.position().x() - cx, cy - event.position().y()
        radius = max(1.0, min(cx, cy))
        dist = min(1.0, math.hypot(dx, dy) / radius)
        self.azimuth = math.degrees(math.atan2(dy, dx))
        self.elevation = max(5.0, 90.0 * (1.0 - dist))
        self.lightChanged.emit(self.azimuth, self.elevation)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self.mouseMoveEvent(event)


class RolesDialog(QDialog):
    """One role picker per map."""

    def __init__(self, mset: MaterialSet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Map Roles")
        form = QFormLayout(self)
        self.pickers: dict[str, QComboBox] = {}
        for m in mset.maps:
            box = QComboBox()
            for role in MapRole:
                box.addItem(role.value, role)
            box.setCurrentIndex(list(MapRole).index(m.role))
            form.addRow(m.name, box)
            self.pickers[m.name] = box
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class MaterialWindow(QMainWindow):
    """Edit a material set (module doc).

    Args:
        mset: the set (the window owns it from now on).
        mask: float32 ``(H, W)`` in [0, 1], or None (empty).
        parent: the painter's main window (its close asks this window first), or None.
        engine: the inference engine edits run on (the main window passes its own, so the
            device, tile size and queue are the painter's); None = the window makes its own
            and shuts it down when it closes.
        project_path: the ``.texmat`` project the set came from (Save writes it), or None.
        autosave_folder: where the autosave goes (default ``<data dir>/autosave``,
            :mod:`texpaint.ui.material_autosave`).
        history: the set's undo history (a reopened project's), or None (empty).

    Attributes:
        revision: counts the changes to the set, its roles and the mask (autosave compares
            it).
        autosaver: the window's :class:`~texpaint.ui.material_autosave.MaterialAutosaver`.
        busy: an edit is running on the worker (edits, undo and roles are disabled).
        last_error: why the last edit failed (shown to the user), or None.
    """

    def __init__(
        self,
        mset: MaterialSet,
        mask: np.ndarray | None = None,
        parent: QWidget | None = None,
        engine: InferenceEngine | None = None,
        project_path: Path | None = None,
        autosave_folder: Path | None = None,
        history: MaterialHistory | None = None,
    ) -> None:
        super().__init__(parent)
        if parent is not None:
            self.setWindowFlag(Qt.WindowType.Window, True)
            parent.installEventFilter(self)
        self.mset = mset
        w, h = mset.size
        self.mask = np.zeros((h, w), np.float32) if mask is None else mask.astype(np.float32)
        self.history = history if history is not None else MaterialHistory()
        self.current = 0
        self.modified = False
        self.revision = 0
        self.project_path = project_path
        self._owns_engine = engine is None
        self.engine = engine if engine is not None else InferenceEngine(parent=self, warm_up=False)
        self.engine.taskEvent.connect(self._on_task_event)
        self.engine.taskFinished.connect(self._on_task_finished)
        self.engine.jobFailed.connect(self._on_task_failed)
        self.engine.jobCancelled.connect(self._on_task_cancelled)
        self._task_id: int | None = None
        self.last_error: str | None = None
        self._task_label = ""
        self._task_done: Callable[[Any], None] | None = None
        self._stroke_before: np.ndarray | None = None
        self.canvas = MaterialCanvas(self.mask)
        self.canvas.strokeStarted.connect(self._stroke_started)
        self.canvas.strokeFinished.connect(self._stroke_finished)
        self.preview = LitPreview()
        self.preview.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        split = QSplitter()
        split.addWidget(self.canvas)
        split.addWidget(self.preview)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.setCentralWidget(split)
        self.preview.lightChanged.connect(lambda *_: self.update_preview())
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.statusBar().addPermanentWidget(self.progress)
        self._build_actions()
        self.show_map(0)
        self.update_preview()
        self.resize(1100, 650)
        self._update_title()
        from texpaint.ui.material_autosave import MaterialAutosaver
        from texpaint.ui.preferences import Preferences

        self.autosaver = MaterialAutosaver(self, autosave_folder)
        self.autosaver.failed.connect(self._autosave_failed)
        self.autosaver.start(Preferences.load().autosave_minutes)

    @property
    def busy(self) -> bool:
        """True while an edit runs on the inference worker."""
        return self._task_id is not None

    # ------------------------------------------------------------------ set-up
    def _action(self, text: str, slot, shortcut: str | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&Material")
        m.addAction(self._action("&Open Material…", self.open_another, "Ctrl+O"))
        self.save_action = self._action("&Save", self.save, "Ctrl+S")
        self.save_action.setToolTip(
            "Write every map back to its own file (or the project the set came from)"
        )
        m.addAction(self.save_action)
        m.addAction(self._action("Save Set &As…", self.save_set_as, "Ctrl+Shift+S"))
        m.addAction(self._action("Save &Project As…", self.save_project_as, "Ctrl+Alt+S"))
        m.addSeparator()
        self.roles_action = self._action("Map &Roles…", self.edit_roles)
        m.addAction(self.roles_action)
        self.flip_action = self._action("&Flip Normal Y (OpenGL ↔ DirectX)", self.flip_normal)
        m.addAction(self.flip_action)
        m.addSeparator()
        m.addAction(self._action("&Close", self.close, "Ctrl+W"))
        e = bar.addMenu("&Edit")
        self.undo_action = self._action("&Undo", self.undo, "Ctrl+Z")
        self.redo_action = self._action("&Redo", self.redo, "Ctrl+Shift+Z")
        e.addAction(self.undo_action)
        e.addAction(self.redo_action)
        self.clear_mask_action = self._action("Clear &Mask", self.clear_mask, "Ctrl+Shift+A")
        e.addAction(self.clear_mask_action)
        v = bar.addMenu("&View")
        self.fit_action = self._action("&Fit to Window", self.canvas.fit, "Ctrl+0")
        self.fit_action.setToolTip("Show the whole map (wheel zooms, middle button pans)")
        v.addAction(self.fit_action)
        tools = self.addToolBar("Material")
        self.map_group = QActionGroup(self)
        self.map_actions: list[QAction] = []
        for i, mp in enumerate(self.mset.maps):
            key = str(i + 1) if i < MAX_SWITCH_KEYS else None
            act = self._action(f"{i + 1} {mp.role.value}", lambda _=False, i=i: self.show_map(i))
            if key:
                act.setShortcut(QKeySequence(key))
            act.setToolTip(f"{mp.name} ({mp.role.value}; key {key})" if key else mp.name)
            act.setCheckable(True)
            self.map_group.addAction(act)
            tools.addAction(act)
            self.map_actions.append(act)
        tools.addSeparator()
        tools.addWidget(QLabel(" Brush "))
        self.brush = QSpinBox()
        self.brush.setRange(2, 512)
        self.brush.setValue(self.canvas.brush_px)
        self.brush.setSuffix(" px")
        self.brush.valueChanged.connect(lambda v: setattr(self.canvas, "brush_px", int(v)))
        tools.addWidget(self.brush)
        tools.addSeparator()
        self.inpaint_action = self._action("Inpaint Set", self.inpaint, "Ctrl+Return")
        self.inpaint_action.setToolTip("Fill the mask in every map with the same texture")
        self.seamless_action = self._action("Make Seamless Set", self.make_seamless)
        self.denoise_action = self._action("Denoise…", self.denoise_dialog)
        self.denoise_action.setToolTip(
            "Denoise the albedo (the other maps are data; tick them to include them)"
        )
        self.stylize_action = self._action("Stylize…", self.stylize_dialog)
        self.stylize_action.setToolTip(
            "Stylize the albedo with a style of the library (the other maps are data)"
        )
        self.cancel_action = self._action("Cancel", self.cancel, "Esc")
        self.cancel_action.setToolTip("Stop the running edit (the set stays as it was)")
        for act in (
            self.inpaint_action,
            self.seamless_action,
            self.denoise_action,
            self.stylize_action,
            self.cancel_action,
        ):
            tools.addAction(act)
        self._update_actions()

    # ------------------------------------------------------------------ views
    def show_map(self, index: int) -> None:
        """Show map ``index`` of the set on the canvas."""
        self.current = max(0, min(index, len(self.mset.maps) - 1))
        self.map_actions[self.current].setChecked(True)
        self.canvas.show_map(self.mset.maps[self.current].image.rgb)

    def update_preview(self) -> None:
        """Re-shade the lit preview from the current maps and light."""
        w, h = self.mset.size
        step = max(1, math.ceil(max(w, h) / PREVIEW_PX))
        albedo = self.mset.albedo.image.rgb[::step, ::step]
        normal = self.mset.get(MapRole.NORMAL)
        rough = self.mset.get(MapRole.ROUGHNESS)
        gloss = self.mset.get(MapRole.GLOSS)
        spec = self.mset.get(MapRole.SPECULAR)
        r = None
        if rough is not None:
            r = rough.image.rgb[::step, ::step, 0]
        elif gloss is not None:
            r = 1.0 - gloss.image.rgb[::step, ::step, 0]
        out = lit_preview(
            albedo,
            None if normal is None else normal.image.rgb[::step, ::step],
            roughness=r,
            specular=None if spec is None else spec.image.rgb[::step, ::step, 0],
            light=light_direction(self.preview.azimuth, self.preview.elevation),
            convention=(normal.normal_convention or "opengl") if normal is not None else "opengl",
        )
        self.preview.set_shading(_qimage(out))

    def _autosave_failed(self, message: str) -> None:
        self.statusBar().showMessage(message, 10000)

    def _changed(self) -> None:
        """The set, its roles or the mask changed (autosave follows :attr:`revision`)."""
        self.revision += 1

    def _refresh(self) -> None:
        self.show_map(self.current)
        self.update_preview()
        self._update_actions()
        self._update_title()

    def _update_actions(self) -> None:
        idle = not self.busy
        step = self.history.next_undo
        self.undo_action.setEnabled(idle and step is not None)
        self.undo_action.setText(f"&Undo {step.label}" if step is not None else "&Undo")
        step = self.history.next_redo
        self.redo_action.setEnabled(idle and step is not None)
        self.redo_action.setText(f"&Redo {step.label}" if step is not None else "&Redo")
        self.flip_action.setEnabled(idle and self.mset.get(MapRole.NORMAL) is not None)
        for act in (
            self.inpaint_action,
            self.seamless_action,
            self.denoise_action,
            self.stylize_action,
            self.roles_action,
            self.save_action,
        ):
            act.setEnabled(idle)
        self.cancel_action.setEnabled(not idle)

    def _update_title(self) -> None:
        w, h = self.mset.size
        star = "*" if self.modified else ""
        self.setWindowTitle(
            f"{star}{self.mset.name} — {len(self.mset.maps)} maps, {w} x {h} — texpaint material"
        )

    # ------------------------------------------------------------------ mask
    def _stroke_started(self) -> None:
        self._stroke_before = self.mask.copy()

    def _stroke_finished(self) -> None:
        before, self._stroke_before = self._stroke_before, None
        if before is not None and self.history.record_mask("Mask stroke", before, self.mask):
            self._changed()
            self._update_actions()

    def clear_mask(self) -> None:
        """Clear the mask (one undo step)."""
        before = self.mask.copy()
        self.mask[:] = 0.0
        self.history.record_mask("Clear mask", before, self.mask)
        self._changed()
        self.canvas.refresh()
        self._update_actions()

    # ------------------------------------------------------------------ running edits
    def _submit(self, label: str, work: SetWork, done: Callable[[Any], None] | None = None) -> bool:
        """Run ``work`` on a snapshot of the set on the inference worker; when it finishes,
        its ``(new set, fill)`` is applied as one undo step (or handed to ``done``). Returns
        False when another edit is still running."""
        if self.busy:
            self.statusBar().showMessage("Wait for the running edit, or press Esc", 4000)
            return False
        snapshot = self.mset.with_pixels([(m.image.rgb, m.image.alpha) for m in self.mset.maps])

        def run(abort, report, runtime):
            from texpaint.jobs import JobCancelled, JobError

            try:
                return (
                    "ok",
                    work(snapshot, abort, lambda f, msg: report((float(f), str(msg))), runtime),
                )
            except JobCancelled:
                return ("cancelled", None)
            except (JobError, MaterialError, ValueError, MemoryError) as exc:
                return ("error", str(exc) or "out of memory")

        task = Task(run)
        self.last_error = None
        self._task_id = task.task_id
        self._task_label = label
        self._task_done = done
        self.progress.setValue(0)
        self.progress.show()
        self.statusBar().showMessage(f"{label}: {len(snapshot.maps)} maps…")
        self._update_actions()
        self.engine.submit_task(task)
        return True

    def cancel(self) -> None:
        """Stop the running edit; the set stays as it was."""
        if self._task_id is not None:
            self.engine.cancel(self._task_id)

    def _finish_task(self) -> None:
        self._task_id = None
        self._task_done = None
        self.progress.hide()
        self._update_actions()

    def _on_task_event(self, task_id: int, obj: object) -> None:
        if task_id != self._task_id or not isinstance(obj, tuple):
            return
        fraction, message = obj
        self.progress.setValue(round(100 * fraction))
        self.statusBar().showMessage(f"{self._task_label}: {message}")

    def _on_task_finished(self, task_id: int, value: object) -> None:
        if task_id != self._task_id:
            return
        label, done = self._task_label, self._task_done
        self._finish_task()
        status, result = value if isinstance(value, tuple) else ("error", "no result")
        if status == "cancelled":
            self.statusBar().showMessage(f"{label}: cancelled, nothing changed", 5000)
        elif status == "error":
            self.last_error = str(result)
            self.statusBar().showMessage(f"{label} failed", 5000)
            QMessageBox.warning(self, "texpaint", f"{label} failed: {result}")
        elif done is not None:
            done(result)
        else:
            self._apply(label, result)

    def _on_task_failed(self, task_id: int, message: str) -> None:
        if task_id != self._task_id:
            return
        label = self._task_label
        self._finish_task()
        self.last_error = message
        QMessageBox.warning(self, "texpaint", f"{label} failed: {message}")

    def _on_task_cancelled(self, task_id: int) -> None:
        if task_id != self._task_id:
            return
        label = self._task_label
        self._finish_task()
        self.statusBar().showMessage(f"{label}: cancelled, nothing changed", 5000)

    def _apply(self, label: str, result: Any) -> bool:
        """Make ``result`` = ``(new set, fill or None)`` the set, as one undo step."""
        new, fill = result
        if fill is not None and fill.unchanged:
            self.statusBar().showMessage(f"{label}: nothing to change", 5000)
            return False
        if self.history.record(label, self.mset, new) is None:
            self.statusBar().showMessage(f"{label}: no pixel changed", 5000)
            return False
        self.mset = new
        self.modified = True
        self._changed()
        self._refresh()
        self.autosaver.save_now()  # after every applied edit of the maps, as the painter
        seconds = getattr(fill, "seconds", None)
        took = f" in {seconds:.1f} s" if seconds else ""
        note = getattr(fill, "note", "")
        self.statusBar().showMessage(
            f"{label}: done{took}" + (f" ({note})" if note else ""), 15000 if note else 5000
        )
        return True

    # ------------------------------------------------------------------ edits
    def inpaint(self) -> bool:
        """Inpaint every map where the mask is painted (one undo step, on the worker).
        Returns True when the edit started."""
        if not (self.mask > 0).any():
            QMessageBox.information(self, "texpaint", "Paint the area to fill first.")
            return False
        mask = self.mask.copy()
        return self._submit(
            "Inpaint set",
            lambda s, abort, progress, _rt: inpaint_material(
                s, mask, abort=abort, progress=progress
            ),
        )

    def make_seamless(self, force: bool = False) -> bool:
        """Make every map tile with one shared fill of the wrap seams (one undo step). When
        every map already tiles, asks before re-synthesising. Returns True when the edit
        started."""
        label = "Make Seamless (set)"

        def done(result: Any) -> None:
            _new, fill = result
            if not fill.unchanged:
                self._apply(label, result)
                return
            answer = QMessageBox.question(
                self,
                "texpaint",
                "Every map of this material already tiles (its wrap seams look like its own "
                "interior lines). Re-synthesise the seams anyway?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.make_seamless(force=True)
            else:
                self.statusBar().showMessage(f"{label}: the set already tiles", 5000)

        return self._submit(
            label,
            lambda s, abort, progress, _rt: seamless_material_set(
                s, force=force, abort=abort, progress=progress
            ),
            done,
        )

    def run_map_operation(self, request: dict[str, Any]) -> bool:
        """Run Denoise or Stylize on the maps ``request["maps"]`` (names), each through the
        painter's pipeline with the worker's runtime, as one undo step
        (:func:`texpaint.ui.material_ops.run_on_maps`).

        Args:
            request: from :meth:`MaterialOpDialog.request
                <texpaint.ui.material_ops.MaterialOpDialog.request>`.

        Returns:
            True when the edit started.
        """
        from texpaint.ui.material_ops import run_on_maps

        mask = self.mask.copy()
        label = request["label"]
        return self._submit(
            label,
            lambda s, abort, progress, runtime: (
                run_on_maps(s, mask, request, abort, progress, runtime),
                None,
            ),
        )

    def denoise_dialog(self) -> bool:
        """Denoise…: pick the maps (albedo by default) and strength, then run."""
        return self._op_dialog("denoise")

    def stylize_dialog(self) -> bool:
        """Stylize…: pick a style, quality, strength and the maps (albedo by default)."""
        return self._op_dialog("stylize")

    def _op_dialog(self, op: str) -> bool:
        from texpaint.ui.material_ops import MaterialOpDialog

        dialog = MaterialOpDialog(op, self.mset, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        return self.run_map_operation(dialog.request())

    def undo(self) -> None:
        """Take back the last edit (a fill of every map, or a mask stroke)."""
        if self.busy:
            return
        step = self.history.next_undo
        if self.history.undo(self.mset, self.mask) is not None:
            self._after_history(step is not None and step.is_mask)

    def redo(self) -> None:
        """Apply the last undone edit again."""
        if self.busy:
            return
        step = self.history.next_redo
        if self.history.redo(self.mset, self.mask) is not None:
            self._after_history(step is not None and step.is_mask)

    def _after_history(self, mask_only: bool) -> None:
        self._changed()
        if mask_only:
            self.canvas.refresh()
            self._update_actions()
        else:
            self.modified = True
            self._refresh()

    def flip_normal(self) -> None:
        """Convert the normal map between OpenGL (+Y) and DirectX (−Y)."""
        normal = self.mset.get(MapRole.NORMAL)
        if normal is None or self.busy:
            return
        old = self.mset.with_pixels([(m.image.rgb, m.image.alpha) for m in self.mset.maps])
        self.mset.flip_normal_convention(normal.name)
        self.history.record("Flip normal Y", old, self.mset)
        self.modified = True
        self._changed()
        self._refresh()

    def edit_roles(self) -> bool:
        """Map Roles…: correct each map's role."""
        dialog = RolesDialog(self.mset, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        for name, box in dialog.pickers.items():
            role = MapRole(box.currentData())
            if self.mset.maps[self.mset.index_of(name)].role is not role:
                self.mset.set_role(name, role)
                self.modified = True
                self._changed()
        for i, (act, mp) in enumerate(zip(self.map_actions, self.mset.maps, strict=False)):
            act.setText(f"{i + 1} {mp.role.value}")
        self._refresh()
        return True

    # ------------------------------------------------------------------ files
    def open_another(self) -> MaterialWindow | None:
        """Open Material…: another set in a new window (same parent; the painter's engine,
        or its own when this window runs its own, which ends with this window)."""
        engine = None if self._owns_engine else self.engine
        return open_material_window(self.parentWidget(), engine=engine)

    def save(self) -> bool:
        """Save: the project the set came from, else every map back into its own file in
        the set's folder; with neither, Save Set As…."""
        if self.project_path is not None:
            return self.save_project_to(self.project_path)
        if self.mset.folder is not None:
            return self.save_set_to(self.mset.folder) is not None
        return self.save_set_as()

    def save_set_to(self, folder: Path) -> list[Path] | None:
        """Write every map into ``folder`` (its own name, format and bit depth); None when
        it failed (the reason is shown, no file is touched)."""
        snapshot = self.mset.with_pixels([(m.image.rgb, m.image.alpha) for m in self.mset.maps])
        try:
            written = run_off_gui_thread(
                self, f"Saving {len(snapshot.maps)} maps…", lambda: save_material(snapshot, folder)
            )
        except MaterialError as e:
            QMessageBox.warning(self, "texpaint", str(e))
            return None
        self.modified = False
        self._update_title()
        self.statusBar().showMessage(f"Saved {len(written)} maps into {folder}", 5000)
        return written

    def save_set_as(self) -> bool:
        """Save Set As…: pick a folder; every map is written into it."""
        start = str(self.mset.folder) if self.mset.folder is not None else ""
        folder = QFileDialog.getExistingDirectory(self, "Save Material Set Into Folder", start)
        return bool(folder) and self.save_set_to(Path(folder)) is not None

    def save_project_to(self, path: Path) -> bool:
        """Write the set, its roles, the mask and the undo history to a ``.texmat`` project."""
        snapshot = self.mset.with_pixels([(m.image.rgb, m.image.alpha) for m in self.mset.maps])
        mask = self.mask.copy()
        history = self.history.copy()  # steps are immutable: the copy is safe to read there
        try:
            run_off_gui_thread(
                self,
                "Saving project…",
                lambda: save_material_project(path, snapshot, mask, history),
            )
        except MaterialError as e:
            QMessageBox.warning(self, "texpaint", str(e))
            return False
        self.project_path = path
        self.modified = False
        self._update_title()
        RecentFiles().add(path)  # the painter's Open Recent reopens it in a Material window
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def save_project_as(self) -> bool:
        """Save Project As…: pick a ``.texmat`` file."""
        path, _ = QFileDialog.getSaveFileName(
            self, "Save Material Project", f"{self.mset.name}{PROJECT_EXTENSION}",
            f"texpaint material projects (*{PROJECT_EXTENSION})",
        )  # fmt: skip
        if not path:
            return False
        p = Path(path)
        return self.save_project_to(p if p.suffix else p.with_suffix(PROJECT_EXTENSION))

    # ------------------------------------------------------------------ closing
    def confirm_close(self) -> bool:
        """True when the window may close: nothing unsaved, or the user saved or discarded
        it (a running edit is cancelled)."""
        if self.modified:
            answer = QMessageBox.question(
                self,
                "texpaint",
                f"{self.mset.name} has unsaved changes. Save them before closing?",
                QMessageBox.StandardButton.Save
                | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Save:
                if not self.save():
                    return False
            elif answer != QMessageBox.StandardButton.Discard:
                return False
        self.cancel()
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """The main window is closing: ask this window first; a refusal stops the close."""
        if watched is self.parentWidget() and event.type() == QEvent.Type.Close:
            if self.isVisible() and not self.close():
                event.ignore()
                return True
        return super().eventFilter(watched, event)

    def closeEvent(self, event) -> None:  # noqa: N802
        if not self.confirm_close():
            event.ignore()
            return
        parent = self.parentWidget()
        if parent is not None:
            parent.removeEventFilter(self)
        self.autosaver.stop()  # saved or discarded by the user: the autosave goes
        if self._owns_engine:
            self.engine.shutdown()
        event.accept()


def open_material_path(
    path: Path, parent: QWidget | None = None, engine: InferenceEngine | None = None
) -> MaterialWindow:
    """Open a material set (a folder, one of its maps, or a ``.texmat`` project) in a new
    :class:`MaterialWindow`, with the roles its file names give.

    Raises:
        MaterialError: the set or project cannot be opened (message for the user).
    """
    from texpaint.document.material import open_material

    project, history = None, None
    if path.suffix.lower() == PROJECT_EXTENSION:
        saved = read_material_project(path)
        mset, mask, history, project = saved.mset, saved.mask, saved.history, path
    else:
        mset, mask = open_material(path), None
    window = MaterialWindow(
        mset, mask, parent, engine=engine, project_path=project, history=history
    )
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return window


def open_material_window(
    parent: QWidget | None = None,
    engine: InferenceEngine | None = None,
    path: Path | None = None,
) -> MaterialWindow | None:
    """File → Open Material…: the Open Material dialog (a folder or one map, each map's role
    checked, or a ``.texmat`` project), then the set in a new :class:`MaterialWindow`.

    Args:
        parent: the painter's main window (or None).
        engine: the inference engine the window's edits run on (None: its own).
        path: a folder or map to show in the dialog at once.

    Returns:
        The window shown, or None when the user cancelled or the project could not be read
        (the reason is shown).
    """
    from texpaint.ui.material_open_dialog import MaterialOpenDialog

    dialog = MaterialOpenDialog(parent, path)
    accepted = QDialog.DialogCode.Accepted
    if dialog.result() != accepted and dialog.exec() != accepted:
        return None
    project = dialog.project_path
    if project is not None:
        try:
            window = open_material_path(project, parent, engine)
        except MaterialError as e:
            QMessageBox.warning(parent, "texpaint", str(e))
            return None
    else:
        assert dialog.material is not None
        window = MaterialWindow(dialog.material, None, parent, engine=engine)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    # the painter's Open Recent lists it (a folder reopens through this dialog)
    remembered = project if project is not None else window.mset.folder
    if remembered is not None:
        RecentFiles().add(remembered)
    window.show()
    return window


def offer_material_recovery(
    parent: QWidget | None = None,
    engine: InferenceEngine | None = None,
    folder: Path | None = None,
) -> list[MaterialWindow]:
    """Ask whether to recover the material sets a crashed session left; reopen them.

    Returns:
        The Material windows opened (shown, marked modified, without a project path; each
        takes over its autosave file, :meth:`MaterialAutosaver.adopt
        <texpaint.ui.material_autosave.MaterialAutosaver.adopt>`), empty
        when there was nothing to recover or the user chose Discard (the autosaves are then
        deleted). An autosave that cannot be read is kept, and named in a warning.
    """
    from texpaint.ui.autosave import ask_recover
    from texpaint.ui.material_autosave import crashed_material_autosaves

    files = crashed_material_autosaves(folder)
    if not files:
        return []
    newest = time.strftime("%Y-%m-%d %H:%M", time.localtime(files[0].stat().st_mtime))
    recover = ask_recover(
        parent,
        "Recover unsaved materials",
        f"texpaint did not shut down cleanly. {len(files)} material set"
        f"{'s' if len(files) > 1 else ''} with unsaved work (newest autosave {newest}) "
        "were found.\n\nRecover them?",
    )
    if not recover:
        for f in files:
            f.unlink(missing_ok=True)
        return []
    windows = []
    for f in files:
        try:
            saved = read_material_project(f)
        except MaterialError as e:
            QMessageBox.warning(parent, "Cannot recover", f"{e}\nThe autosave is kept at {f}.")
            continue
        win = MaterialWindow(
            saved.mset, saved.mask, parent, engine=engine, autosave_folder=folder,
            history=saved.history,
        )  # fmt: skip
        win.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        win.modified = True
        win.autosaver.adopt(f)
        win._update_title()
        win.show()
        windows.append(win)
    return windows
