"""Main window: wires the canvas, docks, menus, actions and status bar together."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Slot
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QPaintEvent,
)
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QDialog,
    QDockWidget,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QTextEdit,
    QWidget,
)

from texpaint.document.document import IMAGE_LAYER, MASK_LAYER, TextureDocument
from texpaint.document.mask import Box
from texpaint.document.project import (
    PROJECT_SUFFIX,
    ProjectError,
    snapshot_project,
    write_project,
)
from texpaint.imaging.io import (
    LOSSY_FORMATS,
    SUPPORTED_READ_EXTENSIONS,
    ImageIOError,
    file_dialog_filter,
    write_image,
    write_losses,
)
from texpaint.ui.autosave import Autosaver
from texpaint.ui.busy import run_off_gui_thread
from texpaint.ui.canvas import ImageCanvas
from texpaint.ui.help_dialogs import AboutDialog, ShortcutsDialog
from texpaint.ui.history_panel import HistoryPanel
from texpaint.ui.image_loader import ImageLoader
from texpaint.ui.job_tracker import JobTracker
from texpaint.ui.mask_panel import MaskPanel
from texpaint.ui.operations_panel import OperationsPanel
from texpaint.ui.preferences import Preferences, PreferencesDialog, apply_theme
from texpaint.ui.recent_files import RecentFiles
from texpaint.ui.seamless_dialog import SeamlessDialog
from texpaint.ui.style_learner import StyleLearner
from texpaint.ui.tools import MaskTool, default_tools
from texpaint.ui.worker import InferenceEngine

DEFAULT_OVERLAY_OPACITY = 0.5
MIN_REMEMBERED_OVERLAY = 0.1
"""Overlay opacities below this are not restored at the next start (the default is): a mask
hidden at 0 % in one session would otherwise be invisible in the next."""


def _image_patterns() -> str:
    return " ".join(f"*{ext}" for ext in SUPPORTED_READ_EXTENSIONS)


class MainWindow(QMainWindow):
    """The texpaint main window.

    Args:
        engine: the inference engine to use; by default one is created (device ``"auto"``)
            and shut down when the window closes.

    Attributes:
        document: the open :class:`TextureDocument` or None.
        canvas, mask_panel, operations_panel, history_panel, engine, jobs, loader: the parts
            (``loader`` reads files off the GUI thread, see :meth:`open_path`).
        prefs: the :class:`Preferences` in effect (Edit → Preferences…).
        autosave: the :class:`Autosaver` (timed and after-AI autosaves, crash recovery).
    """

    def __init__(self, engine: InferenceEngine | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.document: TextureDocument | None = None
        self.tools: list[MaskTool] = default_tools()
        self.recent = RecentFiles()
        self.prefs = Preferences.load()
        # the worker imports torch (seconds) only after the first paint: started together, its
        # import would compete with the GUI thread for the interpreter and delay the window
        self.engine = (
            engine
            if engine is not None
            else InferenceEngine(device=self.prefs.device, parent=self, warm_up=False)
        )
        self._warm_up_asked = False
        self._saving = False  # an explicit save is being written (see _save_to)
        self._engine_device = self.prefs.device
        self.engine.set_tile_size(self.prefs.tile_size)
        self.jobs = JobTracker(self.engine, self)
        self.style_learner = StyleLearner(self.engine, self)
        self.loader = ImageLoader(self)
        self.loader.memory_cap_bytes = self.prefs.history_cap_bytes
        self.autosave = Autosaver(lambda: self.document, self)
        self._discard_agreed: tuple[TextureDocument, int] | None = None

        self.canvas = ImageCanvas(self)
        self.setCentralWidget(self.canvas)
        self.mask_panel = MaskPanel(self.tools)
        self.operations_panel = OperationsPanel()
        self.history_panel = HistoryPanel()
        self._add_dock("Mask", self.mask_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._add_dock("AI", self.operations_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_dock("History", self.history_panel, Qt.DockWidgetArea.RightDockWidgetArea)

        self.device_label = QLabel("Device: starting…")
        self.job_label = QLabel("")
        self.cursor_label = QLabel("")
        self.zoom_label = QLabel("")
        self.zoom_label.setToolTip("Zoom (Ctrl+0 fits, Ctrl+1 is 100 %)")
        self.size_label = QLabel("")
        self.size_label.setToolTip("Image size (width x height) and sample format")
        self.load_progress = QProgressBar()
        self.load_progress.setRange(0, 0)  # busy indicator: decoders report no progress
        self.load_progress.setMaximumWidth(120)
        self.load_progress.setToolTip("Opening an image…")
        self.load_progress.hide()
        self.statusBar().addWidget(self.cursor_label, 1)
        self.statusBar().addPermanentWidget(self.load_progress)
        self.statusBar().addPermanentWidget(self.zoom_label)
        self.statusBar().addPermanentWidget(self.size_label)
        self.statusBar().addPermanentWidget(self.job_label)
        self.statusBar().addPermanentWidget(self.device_label)

        self._build_actions()
        self._connect()
        self.set_tool(self.tools[0])
        settings = QSettings()
        color = QColor(str(settings.value("overlay/color", "#ff283c")))
        try:
            opacity = float(settings.value("overlay/opacity", DEFAULT_OVERLAY_OPACITY))
        except (TypeError, ValueError):
            opacity = DEFAULT_OVERLAY_OPACITY
        if not MIN_REMEMBERED_OVERLAY <= opacity <= 1.0:  # a hidden mask is not carried over
            opacity = DEFAULT_OVERLAY_OPACITY
        self.mask_panel.set_overlay(color, opacity)
        self.jobs.clear_mask_after_result = self.prefs.mask_after_result == "clear"
        self.resize(1400, 900)
        self._set_document(None)
        app = QApplication.instance()
        if app is not None:  # hold \ to compare wherever the focus is in this window
            app.installEventFilter(self)
        self.autosave.start(self.prefs.autosave_minutes)

    # ------------------------------------------------------------------ construction
    def _add_dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, menu, text: str, slot, shortcut=None, checkable=False) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            if isinstance(shortcut, list):
                action.setShortcuts(shortcut)
            else:
                action.setShortcut(shortcut)
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)  # shortcuts work while a dock has focus, too
        return action

    def _build_actions(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        self._action(m, "&Open…", self.open_dialog, QKeySequence.StandardKey.Open)
        self._action(m, "Open &Project…", self.open_project_dialog)
        self._action(m, "Open &Material…", self.open_material_dialog)
        self.recent_menu = m.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.save_action = self._action(m, "&Save", self.save, QKeySequence.StandardKey.Save)
        self.save_as_action = self._action(
            m, "Save &As…", self.save_as, QKeySequence.StandardKey.SaveAs
        )
        self.save_project_action = self._action(
            m, "Save Pro&ject", self.save_project, QKeySequence("Ctrl+Alt+S")
        )
        self.save_project_as_action = self._action(m, "Save Project As…", self.save_project_as)
        self.export_as_action = self._action(
            m, "Expor&t As…", self.export_as, QKeySequence("Ctrl+Shift+E")
        )
        self.export_as_action.setToolTip("Write a copy as JPEG, WebP, PNG, ... (keeps the file)")
        m.addSeparator()
        self.export_mask_action = self._action(m, "&Export Mask…", self.export_mask)
        self.load_mask_action = self._action(m, "&Load Mask…", self.load_mask)
        m.addSeparator()
        self.batch_export_action = self._action(m, "&Batch Export…", self.batch_export)
        self._action(m, "Batch Export Ma&terials…", self.batch_export_materials)
        m.addSeparator()
        self._action(m, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        m = bar.addMenu("&Edit")
        self.undo_action = self._action(m, "&Undo", self.undo, QKeySequence("Ctrl+Z"))
        self.redo_action = self._action(
            m, "&Redo", self.redo, [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]
        )
        m.addSeparator()
        self.models_action = self._action(m, "&Models…", self.show_models)
        self.preferences_action = self._action(
            m, "&Preferences…", self.show_preferences, QKeySequence("Ctrl+,")
        )

        m = bar.addMenu("&View")
        self.fit_action = self._action(m, "&Fit", self.canvas.fit, QKeySequence("Ctrl+0"))
        self.actual_size_action = self._action(
            m, "&100%", self.canvas.actual_size, QKeySequence("Ctrl+1")
        )
        self._action(
            m,
            "Zoom &In",
            lambda: self.canvas.set_zoom(self.canvas.zoom * 1.25),
            QKeySequence.StandardKey.ZoomIn,
        )
        self._action(
            m,
            "Zoom &Out",
            lambda: self.canvas.set_zoom(self.canvas.zoom / 1.25),
            QKeySequence.StandardKey.ZoomOut,
        )
        m.addSeparator()
        self.split_action = self._action(
            m,
            "&Split Compare",
            self.canvas.set_split_compare,
            QKeySequence("Ctrl+\\"),
            checkable=True,
        )
        self.split_action.setToolTip(
            "Before (left) and after (right) of the last AI result; "
            "hold \\ to see the whole before-image"
        )
        self.seamless_action = self._action(m, "S&eamless Mode", self._set_wrap, checkable=True)
        self.seamless_action.setToolTip("Brush and AI edits wrap around; shows the tiling")

        m = bar.addMenu("&Image")
        self.make_seamless_action = self._action(m, "Make &Seamless…", self.make_seamless)

        m = bar.addMenu("&Tools")
        for tool in self.tools:
            self._action(
                m, tool.name, lambda _=False, t=tool: self.set_tool(t), QKeySequence(tool.shortcut)
            )
        m.addSeparator()
        self._action(m, "&Bigger Brush", lambda: self._resize_brush(True), QKeySequence("]"))
        self._action(m, "&Smaller Brush", lambda: self._resize_brush(False), QKeySequence("["))
        self._action(
            m, "&Run AI Operation", self.operations_panel._emit_run, QKeySequence("Ctrl+Return")
        )

        m = bar.addMenu("&Help")
        self._action(
            m, "&Keyboard Shortcuts…", self.show_shortcuts, QKeySequence.StandardKey.HelpContents
        )
        self._action(m, "&About texpaint…", self.show_about)

    def _connect(self) -> None:
        self.canvas.cursorMoved.connect(self._show_cursor)
        self.canvas.zoomChanged.connect(self._show_zoom)
        self.canvas.maskEdited.connect(self._history_changed)
        self.mask_panel.toolChosen.connect(lambda i: self.set_tool(self.tools[i]))
        self.mask_panel.maskOperation.connect(self.mask_operation)
        self.mask_panel.overlayChanged.connect(self._overlay_changed)
        self.history_panel.jumpRequested.connect(self.jump_to)
        self.operations_panel.runRequested.connect(self.run_job)
        self.operations_panel.cancelRequested.connect(self.jobs.cancel)
        self.operations_panel.cancelRequested.connect(self.style_learner.cancel)
        self.operations_panel.learnStyleRequested.connect(self.learn_style)
        learner = self.style_learner
        learner.busyChanged.connect(self.operations_panel.set_busy)
        learner.progress.connect(self.operations_panel.set_progress)
        learner.preview.connect(self.operations_panel.show_style_preview)
        learner.learnt.connect(self._style_learnt)
        learner.added.connect(self._style_added)
        learner.failed.connect(self._job_failed)
        learner.cancelled.connect(lambda: self.operations_panel.set_progress(0.0, "Cancelled"))
        self.engine.deviceReady.connect(self._device_ready)
        self.jobs.busyChanged.connect(self.operations_panel.set_busy)
        self.jobs.progress.connect(self.operations_panel.set_progress)
        self.jobs.maskCleared.connect(lambda box: self.canvas.refresh(MASK_LAYER, box))
        self.jobs.resultApplied.connect(self._result_applied)
        self.jobs.resultApplied.connect(self.autosave.save_now)
        self.autosave.failed.connect(lambda msg: self.statusBar().showMessage(msg, 10000))
        self.jobs.finishedMessage.connect(self.job_label.setText)
        self.jobs.failed.connect(self._job_failed)
        self.jobs.cancelled.connect(
            lambda _id: self.operations_panel.set_progress(0.0, "Cancelled")
        )
        self.loader.started.connect(self._load_started)
        self.loader.loaded.connect(self._load_finished)
        self.loader.failed.connect(self._load_failed)
        self.loader.busyChanged.connect(self.load_progress.setVisible)

    # ------------------------------------------------------------------ document
    def _set_document(self, doc: TextureDocument | None) -> None:
        self.canvas.cancel_gesture()
        if self.document is not None:
            self.document.history.listeners.clear()
        self.document = doc
        self.jobs.document = doc
        if doc is not None:
            doc.history.set_memory_cap(self.prefs.history_cap_bytes)
            doc.history.listeners.append(self._on_history_event)
        self.canvas.set_document(doc)
        self._show_zoom(self.canvas.zoom)
        self.operations_panel.reset()  # no progress or timing of the former document's job
        self.job_label.setText("")
        for a in (
            self.save_action,
            self.save_as_action,
            self.save_project_action,
            self.save_project_as_action,
            self.export_as_action,
            self.export_mask_action,
            self.load_mask_action,
            self.split_action,
            self.seamless_action,
            self.make_seamless_action,
        ):
            a.setEnabled(doc is not None)
        self.seamless_action.setChecked(bool(doc and doc.wrap))
        self._history_changed()

    def _on_history_event(self, event: str, dirty: dict[str, Box]) -> None:
        for layer, box in dirty.items():
            self.canvas.refresh(layer, box)
        if event in ("undo", "redo") and IMAGE_LAYER in dirty and self.document is not None:
            self.document.last_result_before = None  # compare only right after a result
            self.canvas.update_compare()
        self._history_changed()

    def _history_changed(self) -> None:
        doc = self.document
        history = doc.history if doc is not None else None
        self.undo_action.setEnabled(bool(history and history.can_undo()))
        self.redo_action.setEnabled(bool(history and history.can_redo()))
        self.history_panel.show_history(history)
        if history is None or not history.in_block:  # not at every dab of a stroke
            self.operations_panel.set_document_state(
                doc is not None, doc is None or doc.mask.is_empty()
            )
        if doc is None:
            self.setWindowTitle("texpaint")
            self.size_label.setText("")
        else:
            h, w = doc.size
            star = "*" if doc.modified else ""
            size = f"{w} x {h} {doc.image.sample_format}"
            # a project is named by its .texpaint file, as it was opened or saved
            name = doc.project_path.name if doc.project_path is not None else doc.display_name
            self.setWindowTitle(f"{name}{star} — {size} — texpaint")
            self.size_label.setText(size)

    def _confirm_discard(self) -> bool:
        """Ask about unsaved changes; True when it is fine to drop the current document."""
        doc = self.document
        if doc is None or not doc.modified:
            return True
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            f"Save the changes to {doc.display_name} before closing it?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def _error(self, title: str, message: str) -> None:
        QMessageBox.critical(self, title, message)

    # ------------------------------------------------------------------ file actions
    @Slot()
    def open_dialog(self) -> None:
        """Ask for an image file and open it."""
        start = str(self.document.path.parent) if self.document and self.document.path else ""
        filters = f"Images and projects (*{PROJECT_SUFFIX} {_image_patterns()});;" + (
            f"texpaint project (*{PROJECT_SUFFIX});;{file_dialog_filter()}"
        )
        path, _ = QFileDialog.getOpenFileName(self, "Open image", start, filters)
        if path:
            self.open_path(Path(path))

    @Slot()
    def open_project_dialog(self) -> None:
        """Ask for a ``.texpaint`` project file and open it."""
        start = str(self.document.project_path.parent) if self._has_project() else ""
        path, _ = QFileDialog.getOpenFileName(
            self, "Open project", start, f"texpaint project (*{PROJECT_SUFFIX})"
        )
        if path:
            self.open_path(Path(path))

    def _has_project(self) -> bool:
        return self.document is not None and self.document.project_path is not None

    def open_path(self, path: Path) -> bool:
        """Start opening ``path`` after the unsaved-changes prompt; returns at once.

        The file is read on a background thread (:class:`ImageLoader`) while the status bar
        shows a busy indicator; the current document stays open and editable until the new
        one has loaded. A read error shows a dialog and keeps the current document. Opening
        another file before this one has loaded drops this one.

        Returns:
            True when the load started, False when the user chose to keep the current document.
            A folder or a ``.texmat`` material project opens in a Material window instead.
        """
        if Path(path).is_dir() or Path(path).suffix.lower() == ".texmat":
            from texpaint.ui.material_window import open_material_window

            return open_material_window(self, engine=self.engine, path=Path(path)) is not None
        if not self._confirm_discard():
            return False
        doc = self.document
        self._discard_agreed = (doc, doc.history.state_token(IMAGE_LAYER)) if doc else None
        self.loader.load(Path(path))
        return True

    @Slot(object)
    def _load_started(self, path: Path) -> None:
        self.statusBar().showMessage(f"Opening {path}…")

    @Slot(object, object)
    def _load_finished(self, path: Path, doc: TextureDocument) -> None:
        current = self.document
        if current is not None and current.modified:
            agreed = self._discard_agreed
            # edited again while the file loaded: the earlier answer no longer covers it
            if agreed != (current, current.history.state_token(IMAGE_LAYER)):
                if not self._confirm_discard():
                    self.statusBar().showMessage(f"Kept {current.display_name} open", 5000)
                    return
        self._discard_agreed = None
        if self.jobs.busy:
            self.jobs.cancel()
        self.recent.add(path)
        self._set_document(doc)
        self.statusBar().showMessage(f"Opened {path}", 5000)

    @Slot(object, str)
    def _load_failed(self, path: Path, message: str) -> None:
        self._discard_agreed = None
        self.statusBar().showMessage(f"Could not open {path.name}", 5000)
        what = "project" if path.suffix.lower() == PROJECT_SUFFIX else "image"
        self._error(f"Cannot open {what}", message)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        paths = self.recent.paths()
        for p in paths:
            action = self.recent_menu.addAction(p.name)
            action.setToolTip(str(p))
            action.triggered.connect(lambda _=False, p=p: self._open_recent(p))
        if not paths:
            self.recent_menu.addAction("(none)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear List", self.recent.clear)

    def _open_recent(self, path: Path) -> None:
        if not path.exists():
            self.recent.remove(path)
            self._error("Cannot open image", f"{path} no longer exists.")
            return
        self.open_path(path)

    @Slot()
    def save(self) -> bool:
        """Save to the document's file (Save As when it has none). True on success.

        Saving over a file whose format would lose something (JPEG/WebP re-compression, a
        lower bit depth, a dropped alpha) never happens silently, as in Krita and GIMP: a
        question offers Save As a lossless file (the default), overwriting anyway, or
        cancelling. File → Export As… writes any format without asking."""
        doc = self.document
        if doc is None:
            return False
        if doc.path is None:
            return self.save_as()
        try:
            losses = write_losses(doc.path, doc.image)
        except ImageIOError:
            losses = []  # _save_to reports the unsupported format
        if losses:
            answer = self._ask_lossy_save(doc.path, losses)
            if answer == "lossless":
                return self.save_as()
            if answer != "overwrite":
                return False
        return self._save_to(doc.path)

    def _ask_lossy_save(self, path: Path, losses: list[str]) -> str:
        """Ask what to do about saving over ``path`` that loses ``losses``; returns
        ``"lossless"``, ``"overwrite"`` or ``"cancel"``."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Save would lose quality")
        box.setText(f"Saving over {path.name} loses quality:")
        box.setInformativeText(
            "\n".join(f"• {loss}" for loss in losses)
            + f"\n\nSave a lossless copy as {self._lossless_name(path).name} instead? "
            "(File → Export As… writes JPEG and the other formats.)"
        )
        lossless = box.addButton("Save As Lossless…", QMessageBox.ButtonRole.AcceptRole)
        kind = LOSSY_FORMATS.get(path.suffix.lower(), path.suffix[1:].upper())
        overwrite = box.addButton(f"Overwrite {kind}", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(lossless)
        box.exec()
        clicked = box.clickedButton()
        if clicked is lossless:
            return "lossless"
        return "overwrite" if clicked is overwrite else "cancel"

    def _lossless_name(self, path: Path) -> Path:
        """``path`` with a suffix that stores the document's pixels without loss: ``.tif``
        for float images, ``.png`` for the rest (8/16-bit, alpha)."""
        doc = self.document
        float_image = doc is not None and doc.image.sample_format == "float32"
        return path.with_suffix(".tif" if float_image else ".png")

    @Slot()
    def save_as(self) -> bool:
        """Ask for a file name; format and bit depth follow its extension. True on success.

        The dialog starts on the document's file, or on a lossless name beside it (see
        :meth:`_lossless_name`) when saving over that file would lose quality."""
        doc = self.document
        if doc is None:
            return False
        start = ""
        if doc.path is not None:
            try:
                lossy = bool(write_losses(doc.path, doc.image))
            except ImageIOError:
                lossy = True
            start = str(self._lossless_name(doc.path) if lossy else doc.path)
        path, _ = QFileDialog.getSaveFileName(self, "Save image as", start, file_dialog_filter())
        return bool(path) and self._save_to(Path(path))

    @Slot()
    def export_as(self) -> bool:
        """File → Export As…: write a copy in any format (JPEG, WebP, ... as chosen, quality
        95) without asking; the document keeps its file and its unsaved state. True when
        written."""
        doc = self.document
        if doc is None:
            return False
        start = str(doc.path or "")
        path, _ = QFileDialog.getSaveFileName(self, "Export image", start, file_dialog_filter())
        return bool(path) and self._save_to(Path(path), export=True)

    def _save_to(self, path: Path, export: bool = False) -> bool:
        """Write the image to ``path`` on the save thread. ``export``: a copy only (the
        document's file and modified state stay as they are)."""
        doc = self.document
        assert doc is not None
        if self._saving:
            self.statusBar().showMessage("A save is still being written", 5000)
            return False
        image, token = doc.image_snapshot()
        self._saving = True
        verb = "Exporting" if export else "Saving"
        try:
            run_off_gui_thread(self, f"{verb} {path.name}…", lambda: write_image(path, image))
        except ImageIOError as exc:
            self._error(f"Cannot {'export' if export else 'save'} image", str(exc))
            return False
        finally:
            self._saving = False
        if export:
            self.statusBar().showMessage(f"Exported {path}", 5000)
            return True
        doc.mark_saved_as(path, token)
        self.recent.add(path)
        self.statusBar().showMessage(f"Saved {path}", 5000)
        self._history_changed()
        return True

    @Slot()
    def save_project(self) -> bool:
        """Save image, mask, settings and undo history to the document's ``.texpaint`` file
        (asks for a name the first time). True on success; a failure shows a dialog and
        leaves any existing project file as it was."""
        if self.document is None:
            return False
        if self.document.project_path is None:
            return self.save_project_as()
        return self._save_project_to(self.document.project_path)

    @Slot()
    def save_project_as(self) -> bool:
        """Ask for a ``.texpaint`` file name and save the project there. True on success."""
        doc = self.document
        if doc is None:
            return False
        if doc.project_path is not None:
            start = str(doc.project_path)
        elif doc.path is not None:
            start = str(doc.path.with_suffix(PROJECT_SUFFIX))
        else:
            start = f"untitled{PROJECT_SUFFIX}"
        path, _ = QFileDialog.getSaveFileName(
            self, "Save project as", start, f"texpaint project (*{PROJECT_SUFFIX})"
        )
        if not path:
            return False
        target = Path(path)
        if target.suffix.lower() != PROJECT_SUFFIX:
            target = target.with_name(target.name + PROJECT_SUFFIX)
        return self._save_project_to(target)

    def _save_project_to(self, path: Path) -> bool:
        doc = self.document
        assert doc is not None
        if self._saving:
            self.statusBar().showMessage("A save is still being written", 5000)
            return False
        self.canvas.cancel_gesture()
        self._saving = True
        try:
            snapshot = snapshot_project(doc, copy=True)
            run_off_gui_thread(
                self, f"Saving project {path.name}…", lambda: write_project(snapshot, path)
            )
        except ProjectError as exc:
            self._error("Cannot save project", str(exc))
            return False
        finally:
            self._saving = False
        doc.project_path = path
        self.recent.add(path)
        self.statusBar().showMessage(f"Saved project {path}", 5000)
        self._history_changed()  # the title names the project now
        return True

    @Slot()
    def export_mask(self) -> None:
        """Write the mask as an 8-bit greyscale PNG."""
        if self.document is None:
            return
        stem = self.document.path.with_suffix("") if self.document.path else Path("mask")
        path, _ = QFileDialog.getSaveFileName(
            self, "Export mask", f"{stem}_mask.png", "PNG (*.png)"
        )
        if not path:
            return
        try:
            self.document.export_mask(path)
        except ImageIOError as exc:
            self._error("Cannot export mask", str(exc))

    @Slot()
    def load_mask(self) -> None:
        """Replace the mask with an image file's alpha or luminance (undoable)."""
        if self.document is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Load mask", "", file_dialog_filter())
        if not path:
            return
        try:
            box = self.document.load_mask(path)
        except ImageIOError as exc:
            self._error("Cannot load mask", str(exc))
            return
        self.canvas.refresh(MASK_LAYER, box)

    @Slot()
    def open_material_dialog(self) -> None:
        """File → Open Material…: a material set (albedo, normal, height, ...) in its own
        window, edited as one (``ui.material_window``)."""
        from texpaint.ui.material_window import open_material_window

        open_material_window(self, engine=self.engine)

    @Slot()
    def batch_export_materials(self) -> None:
        """File → Batch Export Materials…: the same steps over many material sets."""
        from texpaint.ui.material_batch_dialog import MaterialBatchDialog

        dialog = MaterialBatchDialog(self, engine=self.engine)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    def batch_export(self) -> None:
        """Open the Batch Export dialog (non-modal; the batch runs on the inference worker,
        after any AI job already queued, with the device and tile size from Preferences)."""
        from texpaint.ui.batch_dialog import BatchExportDialog

        dialog = BatchExportDialog(self.document, self, engine=self.engine)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self._dropped_image(event) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        path = self._dropped_image(event)
        if path is not None:
            event.acceptProposedAction()
            self.open_path(path)

    @staticmethod
    def _dropped_image(event) -> Path | None:
        for url in event.mimeData().urls():
            if url.isLocalFile():
                p = Path(url.toLocalFile())
                if p.suffix.lower() in (*SUPPORTED_READ_EXTENSIONS, PROJECT_SUFFIX, ".texmat"):
                    return p
                if p.is_dir():  # a material set's folder
                    return p
        return None

    # ------------------------------------------------------------------ editing
    def set_tool(self, tool: MaskTool) -> None:
        """Make ``tool`` the active mask tool."""
        self.canvas.cancel_gesture()
        self.canvas.tool = tool
        self.mask_panel.show_tool(tool)
        self.canvas.scene().update()

    def _resize_brush(self, bigger: bool) -> None:
        tool = self.canvas.tool
        if tool is None:
            return
        tool.bigger() if bigger else tool.smaller()
        self.mask_panel.show_tool(tool)
        self.canvas.scene().update()
        self.statusBar().showMessage(f"{tool.name} size {tool.size:.0f} px", 2000)

    @Slot(str, int)
    def mask_operation(self, op: str, px: int) -> None:
        """Run a whole-mask operation (fill/clear/invert/grow/shrink/feather) as one step."""
        if self.document is None:
            return
        label = op.capitalize() + (f" {px} px" if op in ("grow", "shrink", "feather") else "")
        args = (px,) if op in ("grow", "shrink", "feather") else ()
        box = self.document.edit_mask(f"{label} mask", op, *args)
        self.canvas.refresh(MASK_LAYER, box)
        self._history_changed()

    def undo(self) -> None:
        """Undo the newest step."""
        if self.document is not None and self.document.history.can_undo():
            self.canvas.cancel_gesture()
            self.document.history.undo()

    def redo(self) -> None:
        """Redo the oldest undone step."""
        if self.document is not None and self.document.history.can_redo():
            self.document.history.redo()

    def jump_to(self, index: int) -> None:
        """Move the history to ``index`` (history panel click)."""
        if self.document is not None and not self.document.history.in_block:
            self.document.history.jump_to(index)

    def _set_wrap(self, on: bool) -> None:
        if self.document is not None:
            self.document.wrap = bool(on)
            self.canvas.set_tiled_preview(bool(on))

    def _overlay_changed(self, color: QColor, opacity: float) -> None:
        self.canvas.set_overlay(color, opacity)
        settings = QSettings()
        settings.setValue("overlay/color", color.name())
        settings.setValue("overlay/opacity", opacity)

    def _show_cursor(self, x: int, y: int) -> None:
        doc = self.document
        if doc is None or x < 0:
            self.cursor_label.setText("")
            return
        r, g, b = (float(v) for v in doc.image.rgb[y, x])
        m = float(doc.mask.data[y, x])
        self.cursor_label.setText(f"x {x}  y {y}   RGB {r:.3f} {g:.3f} {b:.3f}   mask {m:.2f}")

    @Slot(float)
    def _show_zoom(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f} %" if self.document is not None else "")

    # ------------------------------------------------------------------ AI jobs
    @Slot(str)
    def _device_ready(self, description: str) -> None:
        self.device_label.setText(f"Device: {description}")

    @Slot(object)
    def run_job(self, request: dict) -> None:
        """Submit the operations panel's request for the current document."""
        try:
            self.jobs.run(request)
        except ValueError as exc:
            self._error("Cannot run", str(exc))

    @Slot()
    def learn_style(self) -> None:
        """Stylize → Learn Style…: pick an exemplar image; it joins the style library at once
        (Best quality copies from it, no training) and, when the panel asks for it, its Fast
        generator trains on the worker (progress, preview snapshots and Cancel in the AI
        panel)."""
        path, _ = QFileDialog.getOpenFileName(
            self, "Learn style from image", "", file_dialog_filter()
        )
        if path:
            try:
                self.style_learner.start(
                    Path(path),
                    train=self.operations_panel.learn_train.isChecked(),
                    content_weight=self.operations_panel.learn_content_weight(),
                )
            except ValueError as exc:
                self._error("Cannot learn style", str(exc))

    @Slot(str)
    def _style_added(self, style_id: str) -> None:
        self.operations_panel.reload()
        self.operations_panel.select_style(style_id)
        self.operations_panel.set_progress(0.0, f"Added style {style_id} (Best quality)")

    @Slot(str, str)
    def _style_learnt(self, style_id: str, model_id: str) -> None:
        self.operations_panel.reload()
        self.operations_panel.select_style(style_id)
        self.operations_panel.show_style_preview(None)
        self.operations_panel.set_progress(1.0, f"Learnt style {style_id}")

    @Slot()
    def make_seamless(self) -> None:
        """Image → Make Seamless…: ask for the band width, then run the job on the worker
        (progress and Cancel in the AI panel; the result is one undo step)."""
        if self.document is None:
            return
        params = SeamlessDialog.ask(self.document.image.rgb, self)
        if params is not None:
            self.run_job({"op": "seamless", "params": params})

    def _result_applied(self, box: Box) -> None:
        self.canvas.refresh(IMAGE_LAYER, box)
        self.canvas.update_compare()
        self.operations_panel.set_progress(1.0, "Done")
        self._history_changed()

    def _job_failed(self, message: str) -> None:
        self.operations_panel.set_progress(0.0, "Failed")
        self._error("AI operation failed", message)

    # ------------------------------------------------------------------ models
    @Slot()
    def show_models(self) -> None:
        """Edit → Models…: list, import and remove models; the AI panel reloads after."""
        from texpaint.ui.models_dialog import ModelsDialog

        dialog = ModelsDialog(self)
        dialog.modelsChanged.connect(self.operations_panel.reload)
        dialog.exec()

    # ------------------------------------------------------------------ preferences
    @Slot()
    def show_preferences(self) -> bool:
        """Edit → Preferences…: edit, store (QSettings) and apply. True when accepted."""
        dialog = PreferencesDialog(self.prefs, self.device_label.text(), self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        prefs = dialog.preferences()
        prefs.save()
        self.apply_preferences(prefs)
        if prefs.device != self._engine_device:
            self.statusBar().showMessage(
                f"Inference device {prefs.device} takes effect after restart", 10000
            )
        return True

    def apply_preferences(self, prefs: Preferences) -> None:
        """Apply ``prefs`` now: undo memory cap (open and future documents), autosave
        interval, mask overlay colour and theme. The device is only read at start-up."""
        self.prefs = prefs
        self.engine.set_tile_size(prefs.tile_size)
        self.loader.memory_cap_bytes = prefs.history_cap_bytes
        if self.document is not None:
            self.document.history.set_memory_cap(prefs.history_cap_bytes)
            self._history_changed()
        self.autosave.set_interval_minutes(prefs.autosave_minutes)
        self.jobs.clear_mask_after_result = prefs.mask_after_result == "clear"
        self.mask_panel.set_overlay(QColor(prefs.mask_color), self.mask_panel.overlay_opacity)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, prefs.theme)

    # ------------------------------------------------------------------ help
    @Slot()
    def show_shortcuts(self) -> ShortcutsDialog:
        """Show (non-modal) the list of every shortcut; returns the dialog."""
        dialog = ShortcutsDialog(self.actions(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    @Slot()
    def show_about(self) -> AboutDialog:
        """Show (non-modal) version and licences; returns the dialog."""
        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    # ------------------------------------------------------------------ compare key
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Holding ``\\`` anywhere in this window (canvas, docks, buttons; not while typing
        in a text or number field) shows the image before the last AI result, so comparing
        needs no click on the canvas, which would paint."""
        t = event.type()
        if (
            t in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease)
            and event.key() == Qt.Key.Key_Backslash
            and not event.modifiers() & Qt.KeyboardModifier.ControlModifier
            and isinstance(watched, QWidget)
            and watched.window() is self
            and not isinstance(watched, (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox))
        ):
            if not event.isAutoRepeat():
                self.canvas.set_compare_held(t == QEvent.Type.KeyPress)
            return True
        return super().eventFilter(watched, event)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        """Let go of a held compare when the window loses focus (its key-up goes elsewhere)."""
        canvas = getattr(self, "canvas", None)  # None while __init__ builds the window
        if canvas is not None and event.type() == QEvent.Type.ActivationChange:
            if not self.isActiveWindow():
                canvas.set_compare_held(False)
        super().changeEvent(event)

    # ------------------------------------------------------------------ closing
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        """After the window's first paint, ask the worker to import torch and pick the
        device (its ``deviceReady`` fills the status bar)."""
        super().paintEvent(event)
        if not self._warm_up_asked:
            self._warm_up_asked = True
            QTimer.singleShot(0, self.engine.warm_up)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self._saving or not self._confirm_discard():
            event.ignore()
            return
        self.canvas.cancel_gesture()
        self.loader.shutdown()
        self.engine.shutdown()
        self.autosave.stop()  # clean exit: no recovery offered next time
        event.accept()
