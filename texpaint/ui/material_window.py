"""The Material window: edit a whole material set (albedo, normal, height, ...) at once.

File → Open Material… picks one map of a set (its siblings are gathered by their names,
:mod:`texpaint.document.material`) or a ``.texmat`` material project, and opens this window:

- the canvas shows one map of the set (map switcher in the toolbar, keys 1–6) with the mask
  over it; left button paints the mask, right button erases, the brush size is in the
  toolbar;
- the lit preview beside it shades the set as a flat tile under a movable light (drag in it
  to move the light; :func:`texpaint.imaging.shading.lit_preview`), so edits can be judged as
  an engine shows them;
- Denoise Albedo runs the default denoiser on the albedo only (the other maps are data);
- Inpaint Set and Make Seamless Set run once over the set, the fill decided on the albedo and
  copied into every map (:func:`~texpaint.document.material.inpaint_material`), off the GUI
  thread (:func:`texpaint.ui.busy.run_off_gui_thread`); each is one undo step for every map
  (:class:`~texpaint.document.material_history.MaterialHistory`);
- Map Roles… corrects each map's role, Flip Normal Y converts the normal map between OpenGL
  and DirectX; Save Set As… writes every map in its own format and bit depth; Save Project
  As… writes a ``.texmat`` project.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
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
    open_material,
    save_material,
    seamless_material_set,
)
from texpaint.document.material_history import MaterialHistory
from texpaint.document.material_project import (
    PROJECT_EXTENSION,
    load_material_project,
    save_material_project,
)
from texpaint.imaging.io import SUPPORTED_READ_EXTENSIONS
from texpaint.imaging.shading import light_direction, lit_preview
from texpaint.ui.busy import run_off_gui_thread

__all__ = ["MaterialCanvas", "MaterialWindow", "LitPreview", "open_material_window"]

PREVIEW_PX = 384
"""The lit preview shades the set downscaled to at most this many pixels per side."""

MAX_SWITCH_KEYS = 6
"""Maps 1..6 get the number keys as shortcuts."""


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
    """Shows one map scaled to fit, with the mask; paints the mask with the mouse.

    Signals:
        maskChanged(): after each dab.
    """

    maskChanged = Signal()

    def __init__(self, mask: np.ndarray, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mask = mask
        self.rgb = np.zeros((*mask.shape, 3), np.float32)
        self.brush_px = 24
        self._image = QImage()
        self.setMinimumSize(256, 256)
        self.setMouseTracking(False)

    def show_map(self, rgb: np.ndarray) -> None:
        """Display float32 ``(H, W, 3)`` ``rgb`` (same size as the mask)."""
        self.rgb = rgb
        self.refresh()

    def refresh(self) -> None:
        """Redraw map and mask."""
        self._image = _qimage(self.rgb, self.mask)
        self.update()

    def _target(self) -> QRectF:
        h, w = self.mask.shape
        s = min(self.width() / w, self.height() / h)
        return QRectF((self.width() - w * s) / 2, (self.height() - h * s) / 2, w * s, h * s)

    def image_pos(self, pos: QPointF) -> tuple[float, float]:
        """``(x, y)`` image pixels under widget position ``pos``."""
        t = self._target()
        h, w = self.mask.shape
        return (pos.x() - t.x()) * w / t.width(), (pos.y() - t.y()) * h / t.height()

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), Qt.GlobalColor.darkGray)
        p.drawImage(self._target(), self._image)
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
        self.refresh()
        self.maskChanged.emit()

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self.mouseMoveEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        buttons = event.buttons()
        if buttons & (Qt.MouseButton.LeftButton | Qt.MouseButton.RightButton):
            x, y = self.image_pos(event.position())
            self.dab(x, y, erase=bool(buttons & Qt.MouseButton.RightButton))


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
    """

    def __init__(
        self, mset: MaterialSet, mask: np.ndarray | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.mset = mset
        w, h = mset.size
        self.mask = np.zeros((h, w), np.float32) if mask is None else mask.astype(np.float32)
        self.history = MaterialHistory()
        self.current = 0
        self.modified = False
        self.canvas = MaterialCanvas(self.mask)
        self.preview = LitPreview()
        self.preview.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        split = QSplitter()
        split.addWidget(self.canvas)
        split.addWidget(self.preview)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.setCentralWidget(split)
        self.preview.lightChanged.connect(lambda *_: self.update_preview())
        self._build_actions()
        self.show_map(0)
        self.update_preview()
        self.resize(1100, 650)
        self._update_title()

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
        m.addAction(self._action("Save Set &As…", self.save_set_as, "Ctrl+Shift+S"))
        m.addAction(self._action("Save &Project As…", self.save_project_as, "Ctrl+Alt+S"))
        m.addSeparator()
        m.addAction(self._action("Map &Roles…", self.edit_roles))
        self.flip_action = self._action("&Flip Normal Y (OpenGL ↔ DirectX)", self.flip_normal)
        m.addAction(self.flip_action)
        m.addSeparator()
        m.addAction(self._action("&Close", self.close, "Ctrl+W"))
        e = bar.addMenu("&Edit")
        self.undo_action = self._action("&Undo", self.undo, "Ctrl+Z")
        self.redo_action = self._action("&Redo", self.redo, "Ctrl+Shift+Z")
        e.addAction(self.undo_action)
        e.addAction(self.redo_action)
        e.addAction(self._action("Clear &Mask", self.clear_mask, "Ctrl+Shift+A"))
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
        self.denoise_action = self._action("Denoise Albedo", self.denoise_albedo)
        self.denoise_action.setToolTip(
            "Run the default denoiser on the albedo only (the other maps are data)"
        )
        tools.addAction(self.inpaint_action)
        tools.addAction(self.seamless_action)
        tools.addAction(self.denoise_action)
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

    def _refresh(self) -> None:
        self.show_map(self.current)
        self.update_preview()
        self._update_actions()
        self._update_title()

    def _update_actions(self) -> None:
        self.undo_action.setEnabled(self.history.can_undo)
        self.redo_action.setEnabled(self.history.can_redo)
        self.flip_action.setEnabled(self.mset.get(MapRole.NORMAL) is not None)

    def _update_title(self) -> None:
        w, h = self.mset.size
        star = "*" if self.modified else ""
        self.setWindowTitle(
            f"{star}{self.mset.name} — {len(self.mset.maps)} maps, {w} x {h} — texpaint material"
        )

    # ------------------------------------------------------------------ edits
    def _run_set_edit(self, label: str, work) -> bool | None:
        """Run ``work(snapshot)`` (returning ``(new set, fill)``) off the GUI thread and
        apply its result as one undo step. Returns True when applied, False when it failed
        (the reason is shown), None when the work left the set unchanged."""
        snapshot = self.mset.with_pixels([(m.image.rgb, m.image.alpha) for m in self.mset.maps])
        try:
            new, fill = run_off_gui_thread(
                self, f"{label}: {len(snapshot.maps)} maps…", lambda: work(snapshot)
            )
        except Exception as e:  # JobError, MaterialError: shown, the set is untouched
            QMessageBox.warning(self, "texpaint", f"{label} failed: {e}")
            return False
        if fill is not None and fill.unchanged:
            return None
        self.history.record(label, self.mset, new)
        self.mset = new
        self.modified = True
        self._refresh()
        return True

    def inpaint(self) -> bool:
        """Inpaint every map where the mask is painted (one undo step)."""
        if not (self.mask > 0).any():
            QMessageBox.information(self, "texpaint", "Paint the area to fill first.")
            return False
        mask = self.mask.copy()
        return bool(self._run_set_edit("Inpaint set", lambda s: inpaint_material(s, mask)))

    def make_seamless(self) -> bool:
        """Make every map tile with one shared fill of the wrap seams (one undo step). When
        every map already tiles, asks before re-synthesising."""
        label = "Make Seamless (set)"
        done = self._run_set_edit(label, lambda s: seamless_material_set(s))
        if done is not None:
            return done
        answer = QMessageBox.question(
            self,
            "texpaint",
            "Every map of this material already tiles (its wrap seams look like its own "
            "interior lines). Re-synthesise the seams anyway?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        return bool(self._run_set_edit(label, lambda s: seamless_material_set(s, force=True)))

    def denoise_albedo(self) -> bool:
        """Denoise the albedo with the default denoise model (the masked part, or all of it
        when the mask is empty); the data maps are left as they are. One undo step."""
        mask = self.mask.copy()

        def work(s: MaterialSet):
            from texpaint.engine.device import Runtime
            from texpaint.jobs import Job, Operation
            from texpaint.ops.runner import run_job

            albedo = s.albedo
            job = Job(op=Operation.DENOISE, image=albedo.image.rgb, mask=mask)
            result = run_job(job, runtime=Runtime("auto"))
            pixels = [(result.image if m is albedo else m.image.rgb, m.image.alpha) for m in s.maps]
            return s.with_pixels(pixels), None

        return bool(self._run_set_edit("Denoise albedo", work))

    def undo(self) -> None:
        if self.history.undo(self.mset) is not None:
            self.modified = True
            self._refresh()

    def redo(self) -> None:
        if self.history.redo(self.mset) is not None:
            self.modified = True
            self._refresh()

    def clear_mask(self) -> None:
        self.mask[:] = 0.0
        self.canvas.refresh()

    def flip_normal(self) -> None:
        normal = self.mset.get(MapRole.NORMAL)
        if normal is None:
            return
        self.mset.flip_normal_convention(normal.name)
        self.modified = True
        self._refresh()

    def edit_roles(self) -> bool:
        dialog = RolesDialog(self.mset, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        for name, box in dialog.pickers.items():
            role = box.currentData()
            if self.mset.maps[self.mset.index_of(name)].role is not role:
                self.mset.set_role(name, role)
        for act, mp in zip(self.map_actions, self.mset.maps, strict=False):
            act.setText(f"{self.map_actions.index(act) + 1} {mp.role.value}")
        self._refresh()
        return True

    # ------------------------------------------------------------------ files
    def save_set_to(self, folder: Path) -> list[Path] | None:
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
        return written

    def save_set_as(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save Material Set Into Folder")
        if folder:
            self.save_set_to(Path(folder))

    def save_project_to(self, path: Path) -> bool:
        snapshot = self.mset.with_pixels([(m.image.rgb, m.image.alpha) for m in self.mset.maps])
        mask = self.mask.copy()
        try:
            run_off_gui_thread(
                self, "Saving project…", lambda: save_material_project(path, snapshot, mask)
            )
        except MaterialError as e:
            QMessageBox.warning(self, "texpaint", str(e))
            return False
        self.modified = False
        self._update_title()
        return True

    def save_project_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save Material Project", f"{self.mset.name}{PROJECT_EXTENSION}",
            f"texpaint material projects (*{PROJECT_EXTENSION})",
        )  # fmt: skip
        if path:
            p = Path(path)
            self.save_project_to(p if p.suffix else p.with_suffix(PROJECT_EXTENSION))

    def closeEvent(self, event) -> None:  # noqa: N802
        if self.modified:
            answer = QMessageBox.question(
                self,
                "texpaint",
                f"{self.mset.name} has unsaved changes. Close anyway?",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                event.ignore()
                return
        event.accept()


def open_material_path(path: Path, parent: QWidget | None = None) -> MaterialWindow:
    """Open a material set (a folder, one of its maps, or a ``.texmat`` project) in a new
    :class:`MaterialWindow`.

    Raises:
        MaterialError: the set or project cannot be opened (message for the user).
    """
    if path.suffix.lower() == PROJECT_EXTENSION:
        mset, mask = load_material_project(path)
    else:
        mset, mask = open_material(path), None
    window = MaterialWindow(mset, mask, parent)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    return window


def open_material_window(parent: QWidget | None = None) -> MaterialWindow | None:
    """File → Open Material…: ask for one map of a set (its siblings are gathered) or a
    material project, and show it in a :class:`MaterialWindow`."""
    patterns = " ".join(f"*{e}" for e in SUPPORTED_READ_EXTENSIONS)
    path, _ = QFileDialog.getOpenFileName(
        parent,
        "Open Material (pick any map of the set)",
        "",
        f"Material maps and projects ({patterns} *{PROJECT_EXTENSION});;All files (*)",
    )
    if not path:
        return None
    try:
        window = open_material_path(Path(path), parent)
    except MaterialError as e:
        QMessageBox.warning(parent, "texpaint", str(e))
        return None
    window.show()
    return window
