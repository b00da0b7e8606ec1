"""File → Batch Export…: build a :class:`~texpaint.export.plan.BatchPlan` and run it.

The dialog only collects settings and shows progress. The batch is submitted as a
:class:`~texpaint.engine.runner.Task` to the painter's one
:class:`~texpaint.ui.worker.InferenceEngine` (the same worker as the AI panel), where
:func:`texpaint.export.runner.run_batch` reads, runs model ops on the worker's runtime (the
device and tile size from Preferences), resizes, encodes and writes; so the GUI never
blocks and a batch and a panel job never hold the device at the same time (they queue).
Progress and per-file results come back by queued signals to the dialog's slots. Cancel
makes the task's ``abort()`` true, which ``run_batch`` polls; the file in progress is rolled
back. A dialog opened without an engine (tests, scripts) makes its own and shuts it down
when it closes.

Settings are remembered in QSettings (``batch/…``) and can be saved/loaded as TOML presets.
The "Quality" picker sets the plan's ``passes`` (self-ensemble passes of the denoise and
upscale ops; "Operation default" leaves each op its own default). Model ops (inpaint,
denoise, stylize, seamless, upscale) are offered only when a model for them is installed:
the others stay in the op list, disabled, with a tooltip saying why.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QCoreApplication, QSettings, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from texpaint.document.document import TextureDocument
from texpaint.export.plan import (
    DEFAULT_NAMING,
    OVERWRITE_POLICIES,
    BatchPlan,
    PlanError,
    batch_arg,
    load_preset,
    model_kind,
    op_names,
    parse_op,
    parse_size,
    save_preset,
)
from texpaint.export.runner import BatchReport, BatchSource, FileResult, op_problems, run_batch
from texpaint.imaging.io import ImageData, file_dialog_filter
from texpaint.ui.operations_panel import PASSES_LABELS
from texpaint.ui.worker import InferenceEngine, Task, TaskWatch

# format checkbox label -> plan format key (JPEG/WebP quality come from the spin box)
FORMAT_BOXES = {
    "PNG (source depth)": "png",
    "PNG 8-bit": "png8",
    "PNG 16-bit": "png16",
    "JPEG": "jpg",
    "WebP": "webp",
    "WebP lossless": "webp:lossless",
    "TIFF 8-bit": "tif8",
    "TIFF 16-bit": "tif16",
    "TIFF 32-bit float": "tif32f",
    "OpenEXR": "exr",
    "TGA": "tga",
}
INPUT_MODES = ("document", "files", "folder")


def op_arg_hint(name: str) -> str:
    """What the argument of batch op ``name`` is (from its ``OperationSpec.batch_arg``)."""
    arg = batch_arg(name)
    if arg == "mask_pattern":
        return "mask pattern, e.g. {stem}_mask.png"
    if arg == "style":
        return "style id, e.g. starry_night"
    if arg == "model":
        return f"model id (empty: the default {model_kind(name)} model, Edit → Models…)"
    return "(no argument: sizes below)" if name == "resize" else "(no argument)"


PASSES_DEFAULT_LABEL = "Operation default"
"""Quality picker entry for ``passes = None`` (one pass for denoise and upscale)."""
STATUS_TEXT = {"ok": "OK", "failed": "Failed", "skipped": "Skipped", "cancelled": "Cancelled"}


class BatchExportDialog(QDialog):
    """The Batch Export dialog.

    Args:
        document: the open document (offered as the "Current document" input), or None.
        parent: Qt parent.
        engine: the inference engine to submit the batch to (the main window passes its
            own); None makes one for this dialog (device ``"auto"``), shut down on close.

    Attributes:
        report: the last finished :class:`BatchReport`, or None.
    """

    def __init__(
        self,
        document: TextureDocument | None = None,
        parent: QWidget | None = None,
        engine: InferenceEngine | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Batch Export")
        self.document = document
        self.report: BatchReport | None = None
        self._owns_engine = engine is None
        self.engine = engine if engine is not None else InferenceEngine(parent=self, warm_up=False)
        self._watch: TaskWatch | None = None
        self._rows: dict[int, int] = {}
        self._build()
        self._restore_settings()
        self._update_enabled()
        app = QCoreApplication.instance()
        if app is not None:  # never leave a batch thread running at exit
            app.aboutToQuit.connect(self.shutdown)

    # ------------------------------------------------------------------ construction
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        layout.addLayout(top)
        left = QVBoxLayout()
        right = QVBoxLayout()
        top.addLayout(left, 1)
        top.addLayout(right, 1)

        # inputs
        box = QGroupBox("Inputs")
        grid = QGridLayout(box)
        self.mode_group = QButtonGroup(self)
        self.document_radio = QRadioButton("Current document")
        self.files_radio = QRadioButton("Files")
        self.folder_radio = QRadioButton("Folder")
        for i, radio in enumerate((self.document_radio, self.files_radio, self.folder_radio)):
            self.mode_group.addButton(radio, i)
        self.document_radio.setEnabled(self.document is not None)
        grid.addWidget(self.document_radio, 0, 0, 1, 3)
        grid.addWidget(self.files_radio, 1, 0)
        self.file_list = QListWidget()
        self.file_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        grid.addWidget(self.file_list, 2, 0, 1, 3)
        add_files = QPushButton("Add Files…")
        add_files.clicked.connect(self._browse_files)
        remove_files = QPushButton("Remove")
        remove_files.clicked.connect(self._remove_files)
        grid.addWidget(add_files, 1, 1)
        grid.addWidget(remove_files, 1, 2)
        grid.addWidget(self.folder_radio, 3, 0)
        self.folder_edit = QLineEdit()
        grid.addWidget(self.folder_edit, 3, 1)
        browse_folder = QPushButton("Browse…")
        browse_folder.clicked.connect(self._browse_folder)
        grid.addWidget(browse_folder, 3, 2)
        self.glob_edit = QLineEdit("*")
        self.glob_edit.setToolTip("File pattern, e.g. *.png; * = every supported image")
        self.recursive_check = QCheckBox("Include sub-folders")
        grid.addWidget(QLabel("Pattern"), 4, 0)
        grid.addWidget(self.glob_edit, 4, 1)
        grid.addWidget(self.recursive_check, 4, 2)
        self.mode_group.idToggled.connect(lambda *_: self._update_enabled())
        left.addWidget(box)

        # operations
        box = QGroupBox("Operations (in order)")
        v = QVBoxLayout(box)
        self.ops_list = QListWidget()
        v.addWidget(self.ops_list)
        row = QHBoxLayout()
        self.op_combo = QComboBox()
        self.op_combo.addItems(op_names())
        self.op_arg_edit = QLineEdit()
        self.op_combo.currentTextChanged.connect(self._show_op_hint)
        self._offer_model_ops()
        self.add_op_button = QPushButton("Add")
        self.add_op_button.clicked.connect(self._add_op)
        row.addWidget(self.op_combo)
        row.addWidget(self.op_arg_edit, 1)
        row.addWidget(self.add_op_button)
        v.addLayout(row)
        row = QHBoxLayout()
        for text, slot in (
            ("Remove", self._remove_op),
            ("Up", lambda: self._move_op(-1)),
            ("Down", lambda: self._move_op(1)),
        ):
            b = QPushButton(text)
            b.clicked.connect(slot)
            row.addWidget(b)
        v.addLayout(row)
        row = QHBoxLayout()
        self.passes_combo = QComboBox()
        self.passes_combo.addItem(PASSES_DEFAULT_LABEL, None)
        for n, label in PASSES_LABELS.items():
            self.passes_combo.addItem(label, n)
        self.passes_combo.setToolTip(
            "Denoise and Upscale: run the model on rotated and mirrored copies of each image "
            "and average them: cleaner results, each pass adds the time of one run. "
            "Operation default: 1 pass for Denoise and Upscale."
        )
        row.addWidget(QLabel("Quality"))
        row.addWidget(self.passes_combo, 1)
        v.addLayout(row)
        left.addWidget(box)

        # output
        box = QGroupBox("Output")
        form = QFormLayout(box)
        row = QHBoxLayout()
        self.output_edit = QLineEdit()
        browse_out = QPushButton("Browse…")
        browse_out.clicked.connect(self._browse_output)
        row.addWidget(self.output_edit, 1)
        row.addWidget(browse_out)
        form.addRow("Folder", row)
        fmt_grid = QGridLayout()
        self.format_checks: dict[str, QCheckBox] = {}
        for i, (label, key) in enumerate(FORMAT_BOXES.items()):
            check = QCheckBox(label)
            self.format_checks[key] = check
            fmt_grid.addWidget(check, i // 3, i % 3)
        form.addRow("Formats", fmt_grid)
        self.quality_spin = QSpinBox()
        self.quality_spin.setRange(1, 100)
        self.quality_spin.setValue(90)
        form.addRow("JPEG/WebP quality", self.quality_spin)
        self.sizes_edit = QLineEdit()
        self.sizes_edit.setPlaceholderText("e.g. 2048, 1024, mip (needs a Resize op)")
        form.addRow("Sizes (long side, px)", self.sizes_edit)
        self.naming_edit = QLineEdit(DEFAULT_NAMING)
        self.naming_edit.setToolTip("Tokens: {stem} {op} {size} {format} {ext}")
        form.addRow("Naming", self.naming_edit)
        self.overwrite_combo = QComboBox()
        self.overwrite_combo.addItems(OVERWRITE_POLICIES)
        form.addRow("Existing files", self.overwrite_combo)
        row = QHBoxLayout()
        save = QPushButton("Save Preset…")
        save.clicked.connect(self._save_preset_dialog)
        load = QPushButton("Load Preset…")
        load.clicked.connect(self._load_preset_dialog)
        row.addWidget(save)
        row.addWidget(load)
        form.addRow(row)
        right.addWidget(box)

        # progress and results
        self.error_label = QLabel("")
        self.error_label.setStyleSheet("color: #c0392b")
        self.error_label.setWordWrap(True)
        right.addWidget(self.error_label)
        self.overall_bar = QProgressBar()
        self.file_bar = QProgressBar()
        for bar in (self.overall_bar, self.file_bar):
            bar.setRange(0, 1000)
            bar.setTextVisible(False)
        self.status_label = QLabel("")
        form = QFormLayout()
        form.addRow("All files", self.overall_bar)
        form.addRow("This file", self.file_bar)
        form.addRow(self.status_label)
        right.addLayout(form)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["File", "Status", "Time", "Error"])
        header = self.table.horizontalHeader()
        for column in (0, 3):  # file names and error messages share the width
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):  # status and time: as wide as their text
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        right.addWidget(self.table, 1)  # fills the column beside the inputs and operations

        buttons = QHBoxLayout()
        self.open_output_button = QPushButton("Open Output Folder")
        self.open_output_button.clicked.connect(self.open_output_folder)
        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.close)
        buttons.addWidget(self.open_output_button)
        buttons.addStretch(1)
        for b in (self.run_button, self.cancel_button, self.close_button):
            buttons.addWidget(b)
        layout.addLayout(buttons)
        self.resize(1000, 760)

    def _offer_model_ops(self) -> None:
        """Disable the op entries whose model is not installed (tooltip: why); the upscale
        entry's tooltip lists the installed upscaling models with their factors."""
        from texpaint.models.catalog import list_models

        items = self.op_combo.model()
        for row, name in enumerate(op_names()):
            item = items.item(row)
            operation = model_kind(name)
            if operation is None:
                continue
            models = list_models(operation)
            item.setEnabled(bool(models))
            if not models:
                item.setToolTip(f"no {operation} model installed (Edit → Models…)")
            elif name == "upscale":
                item.setToolTip(
                    "Upscale models: "
                    + ", ".join(f"{m.id} ({int(m.card.get('scale', 1))}x)" for m in models)
                )
        self._show_op_hint(self.op_combo.currentText())

    @Slot(str)
    def _show_op_hint(self, name: str) -> None:
        self.op_arg_edit.setPlaceholderText(op_arg_hint(name) if name in op_names() else "argument")

    def _update_enabled(self) -> None:
        running = self.is_running()
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        mode = self.input_mode()
        self.file_list.setEnabled(mode == "files")
        for w in (self.folder_edit, self.glob_edit, self.recursive_check):
            w.setEnabled(mode == "folder")

    # ------------------------------------------------------------------ simple accessors
    def input_mode(self) -> str:
        """``"document"``, ``"files"`` or ``"folder"``."""
        i = self.mode_group.checkedId()
        return INPUT_MODES[i] if i >= 0 else "files"

    def set_input_mode(self, mode: str) -> None:
        """Pick the input mode (falls back to files when there is no document)."""
        if mode == "document" and self.document is None:
            mode = "files"
        self.mode_group.button(INPUT_MODES.index(mode)).setChecked(True)
        self._update_enabled()

    def add_files(self, paths: list[Path]) -> None:
        """Append files to the file list (duplicates ignored)."""
        known = {self.file_list.item(i).text() for i in range(self.file_list.count())}
        for p in paths:
            if str(p) not in known:
                self.file_list.addItem(str(p))
                known.add(str(p))

    def add_op(self, text: str) -> None:
        """Append an op such as ``"inpaint:{stem}_mask.png"``.

        Raises:
            PlanError: the op is not valid.
        """
        self.ops_list.addItem(str(parse_op(text)))

    def passes(self) -> int | None:
        """The Quality picker's self-ensemble passes: one of ``ENSEMBLE_PASSES`` (1, 2, 4,
        8), or None for "Operation default"."""
        data = self.passes_combo.currentData()
        return None if data is None else int(data)

    def set_passes(self, passes: int | None) -> None:
        """Show ``passes`` in the Quality picker; None or a value it does not offer picks
        "Operation default"."""
        index = 0 if passes is None else self.passes_combo.findData(int(passes))
        self.passes_combo.setCurrentIndex(max(0, index))

    def is_running(self) -> bool:
        """True from ``start`` until the batch has finished, failed or been cancelled (also
        while it waits in the engine's queue behind a panel job)."""
        return self._watch is not None

    # ------------------------------------------------------------------ list editing
    def _browse_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add images", "", file_dialog_filter())
        self.add_files([Path(p) for p in paths])
        if paths:
            self.set_input_mode("files")

    def _remove_files(self) -> None:
        for item in self.file_list.selectedItems():
            self.file_list.takeItem(self.file_list.row(item))

    def _browse_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Input folder", self.folder_edit.text())
        if path:
            self.folder_edit.setText(path)
            self.set_input_mode("folder")

    def _browse_output(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Output folder", self.output_edit.text())
        if path:
            self.output_edit.setText(path)

    def _add_op(self) -> None:
        name = self.op_combo.currentText()
        arg = self.op_arg_edit.text().strip()
        try:
            self.add_op(f"{name}:{arg}" if arg else name)
        except PlanError as e:
            self.error_label.setText(str(e))
            return
        self.error_label.setText("")
        self.op_arg_edit.clear()

    def _remove_op(self) -> None:
        row = self.ops_list.currentRow()
        if row >= 0:
            self.ops_list.takeItem(row)

    def _move_op(self, step: int) -> None:
        row = self.ops_list.currentRow()
        new = row + step
        if row < 0 or not 0 <= new < self.ops_list.count():
            return
        item = self.ops_list.takeItem(row)
        self.ops_list.insertItem(new, item)
        self.ops_list.setCurrentRow(new)

    # ------------------------------------------------------------------ plan <-> widgets
    def _formats(self) -> list[str]:
        q = self.quality_spin.value()
        out = []
        for key, check in self.format_checks.items():
            if check.isChecked():
                out.append(f"{key}:{q}" if key in ("jpg", "webp") else key)
        return out

    def build_plan(self, find_inputs: bool = True) -> tuple[BatchPlan, list[BatchSource]]:
        """The plan and its inputs from the widgets.

        Args:
            find_inputs: search the inputs (False for saving a preset: sources stay empty).

        Raises:
            PlanError: any invalid setting (the message is for the user).
        """
        mode = self.input_mode()
        output = self.output_edit.text().strip()
        if not output:
            raise PlanError("choose an output folder")
        text = self.sizes_edit.text().replace(";", ",")
        sizes = [parse_size(s) for s in text.split(",") if s.strip()]
        ops = [self.ops_list.item(i).text() for i in range(self.ops_list.count())]
        files = [Path(self.file_list.item(i).text()) for i in range(self.file_list.count())]
        folder = self.folder_edit.text().strip()
        common = dict(
            output_dir=Path(output),
            ops=ops,
            formats=self._formats(),
            sizes=sizes,
            naming=self.naming_edit.text().strip(),
            overwrite=self.overwrite_combo.currentText(),
            glob=self.glob_edit.text().strip() or "*",
            recursive=self.recursive_check.isChecked(),
            passes=self.passes(),
        )
        if mode == "document":
            doc = self.document
            if doc is None:
                raise PlanError("there is no open document")
            path = doc.path or Path("untitled.png")
            plan = BatchPlan(files=[path], **common)
            image = ImageData(
                rgb=doc.image.rgb.copy(),
                alpha=None if doc.image.alpha is None else doc.image.alpha.copy(),
                sample_format=doc.image.sample_format,
                colorspace=doc.image.colorspace,
                source_path=doc.path,
            )
            mask = doc.mask.data.copy() if np.any(doc.mask.data > 0) else None
            return plan, [BatchSource(path, image=image, mask=mask)]
        if mode == "files":
            if not files:
                raise PlanError("add at least one file")
            plan = BatchPlan(files=files, **common)
        else:
            if not folder:
                raise PlanError("choose an input folder")
            plan = BatchPlan(folder=Path(folder), **common)
        if not find_inputs:
            return plan, []
        sources = [BatchSource(f, d) for f, d in plan.input_files()]
        if not sources:
            raise PlanError("no input images found")
        return plan, sources

    def apply_plan(self, plan: BatchPlan) -> None:
        """Show ``plan``'s settings in the widgets."""
        self.file_list.clear()
        self.add_files(plan.files)
        self.folder_edit.setText("" if plan.folder is None else str(plan.folder))
        self.glob_edit.setText(plan.glob)
        self.recursive_check.setChecked(plan.recursive)
        self.ops_list.clear()
        for op in plan.ops:
            self.ops_list.addItem(str(op))
        self.output_edit.setText(str(plan.output_dir))
        keys = set()
        for f in plan.formats:
            base = f.key.split(":")[0]
            if f.key == "webp:lossless":
                keys.add("webp:lossless")
            else:
                keys.add(base)
                if base in ("jpg", "webp"):
                    self.quality_spin.setValue(f.quality)
        for key, check in self.format_checks.items():
            check.setChecked(key in keys)
        self.sizes_edit.setText(", ".join(str(s) for s in plan.sizes))
        self.naming_edit.setText(plan.naming)
        self.overwrite_combo.setCurrentText(plan.overwrite)
        self.set_passes(plan.passes)
        if plan.folder is not None and not plan.files:
            self.set_input_mode("folder")
        elif plan.files:
            self.set_input_mode("files")

    def _save_preset_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save preset", "", "Presets (*.toml)")
        if path:
            self.save_preset(Path(path))

    def _load_preset_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load preset", "", "Presets (*.toml)")
        if path:
            self.load_preset(Path(path))

    def save_preset(self, path: Path) -> bool:
        """Save the current settings as a TOML preset; errors go to the error line."""
        try:
            plan, _ = self.build_plan(find_inputs=False)
            save_preset(plan, path)
        except PlanError as e:
            self.error_label.setText(str(e))
            return False
        self.error_label.setText("")
        return True

    def load_preset(self, path: Path) -> bool:
        """Load a TOML preset into the widgets; errors go to the error line."""
        try:
            plan = load_preset(path)
        except PlanError as e:
            self.error_label.setText(str(e))
            return False
        self.apply_plan(plan)
        self.error_label.setText("")
        return True

    # ------------------------------------------------------------------ settings
    def _save_settings(self) -> None:
        s = QSettings()
        s.setValue("batch/input_mode", self.input_mode())
        s.setValue(
            "batch/files", [self.file_list.item(i).text() for i in range(self.file_list.count())]
        )
        s.setValue("batch/folder", self.folder_edit.text())
        s.setValue("batch/glob", self.glob_edit.text())
        s.setValue("batch/recursive", self.recursive_check.isChecked())
        s.setValue(
            "batch/ops", [self.ops_list.item(i).text() for i in range(self.ops_list.count())]
        )
        s.setValue("batch/output", self.output_edit.text())
        s.setValue("batch/formats", [k for k, c in self.format_checks.items() if c.isChecked()])
        s.setValue("batch/quality", self.quality_spin.value())
        s.setValue("batch/sizes", self.sizes_edit.text())
        s.setValue("batch/naming", self.naming_edit.text())
        s.setValue("batch/overwrite", self.overwrite_combo.currentText())
        s.setValue("batch/passes", self.passes() or 0)  # 0 = operation default

    def _restore_settings(self) -> None:
        s = QSettings()

        def strings(key: str) -> list[str]:
            value = s.value(key, [])
            if isinstance(value, str):
                return [value] if value else []
            return [str(v) for v in value or []]

        self.add_files([Path(p) for p in strings("batch/files")])
        self.folder_edit.setText(str(s.value("batch/folder", "")))
        self.glob_edit.setText(str(s.value("batch/glob", "*")))
        self.recursive_check.setChecked(str(s.value("batch/recursive", "false")) == "true")
        for op in strings("batch/ops"):
            try:
                self.add_op(op)
            except PlanError:
                continue
        self.output_edit.setText(str(s.value("batch/output", "")))
        formats = strings("batch/formats") or ["png"]
        for key, check in self.format_checks.items():
            check.setChecked(key in formats)
        self.quality_spin.setValue(int(s.value("batch/quality", 90)))
        self.sizes_edit.setText(str(s.value("batch/sizes", "")))
        self.naming_edit.setText(str(s.value("batch/naming", DEFAULT_NAMING)))
        self.overwrite_combo.setCurrentText(str(s.value("batch/overwrite", "skip")))
        try:
            passes = int(s.value("batch/passes", 0))
        except (TypeError, ValueError):
            passes = 0
        self.set_passes(passes or None)
        mode = str(s.value("batch/input_mode", "document" if self.document else "files"))
        self.set_input_mode(mode if mode in INPUT_MODES else "files")

    # ------------------------------------------------------------------ running
    @Slot()
    def start(self) -> bool:
        """Validate the settings and start the batch in a background thread.

        Returns:
            True when the batch started; otherwise the error line says why.
        """
        if self.is_running():
            return False
        try:
            plan, sources = self.build_plan()
        except PlanError as e:
            self.error_label.setText(str(e))
            return False
        problems = op_problems(plan)
        if problems:
            self.error_label.setText("; ".join(problems))
            return False
        self.error_label.setText("")
        self._save_settings()
        self.report = None
        self.table.setRowCount(len(sources))
        self._rows = {}
        for i, src in enumerate(sources):
            self._set_row(i, src.path.name, "Waiting", "", "")
        self.overall_bar.setValue(0)
        self.file_bar.setValue(0)
        self.status_label.setText(f"Starting {len(sources)} files…")

        self._sources = sources
        if self.engine.is_busy():
            self.status_label.setText(f"Waiting for the running AI job; then {len(sources)} files…")

        def run(abort, report, runtime) -> BatchReport:
            return run_batch(
                plan,
                abort=abort,
                progress=report,
                runtime=runtime,
                sources=sources,
                file_done=report,
            )

        self._watch = watch = self.engine.watch(Task(run))
        watch.reported.connect(self._on_task_event)
        watch.finished.connect(self._on_finished)
        watch.failed.connect(self._on_failed)
        watch.cancelled.connect(self._on_queued_cancel)
        self._update_enabled()
        return True

    @Slot()
    def cancel(self) -> None:
        """Stop the running batch; the file in progress is rolled back."""
        if self._watch is not None:
            self._watch.cancel()
            self.status_label.setText("Cancelling…")

    @Slot(object)
    def _on_task_event(self, event: object) -> None:
        if isinstance(event, FileResult):
            self._on_file_done(event)
        else:
            self._on_progress(event)

    @Slot()
    def _on_queued_cancel(self) -> None:  # cancelled while it waited in the queue
        self.status_label.setText("Cancelled")
        self._finish()

    def _set_row(self, row: int, name: str, status: str, seconds: str, error: str) -> None:
        for col, text in enumerate((name, status, seconds, error)):
            item = QTableWidgetItem(text)
            if col == 3:
                item.setToolTip(text)
            self.table.setItem(row, col, item)

    @Slot(object)
    def _on_progress(self, p) -> None:
        self.overall_bar.setValue(round(p.overall * 1000))
        self.file_bar.setValue(round(p.file_fraction * 1000))
        eta = "" if p.eta_seconds is None else f" — about {_duration(p.eta_seconds)} left"
        self.status_label.setText(
            f"File {p.file_index + 1} of {p.file_count}: {p.file.name} — {p.message}{eta}"
        )
        item = self.table.item(p.file_index, 1)
        if item is not None and item.text() == "Waiting":
            item.setText("Running")

    @Slot(object)
    def _on_file_done(self, r: FileResult) -> None:
        row = next(
            (i for i, s in enumerate(self._sources) if s.path == r.file and i not in self._rows),
            None,
        )
        if row is None:
            return
        self._rows[row] = 1
        self._show_result(row, r)

    def _show_result(self, row: int, r: FileResult) -> None:
        detail = r.error or "; ".join(r.notes)
        self._set_row(row, r.file.name, STATUS_TEXT[r.status], f"{r.seconds:.2f} s", detail)

    @Slot(object)
    def _on_finished(self, report: BatchReport) -> None:
        self.report = report
        for row, r in enumerate(report.results):
            self._show_result(row, r)
        self.overall_bar.setValue(1000)
        self.status_label.setText(f"{report.summary()} in {_duration(report.seconds)}")
        self._finish()

    def _on_failed(self, message: str) -> None:
        self.error_label.setText(f"The batch stopped: {message}")
        self.status_label.setText("Stopped")
        self._finish()

    def _finish(self) -> None:
        self._watch = None
        self._update_enabled()

    @Slot()
    def shutdown(self) -> None:
        """Cancel a running batch (the file in progress is rolled back); a dialog that made
        its own engine also stops that engine's thread and waits for it."""
        if self._watch is not None:
            self._watch.cancel()
            self._finish()
        if self._owns_engine:
            self.engine.shutdown()

    @Slot()
    def open_output_folder(self) -> bool:
        """Show the output folder in the system file manager (True when it exists)."""
        folder = Path(self.output_edit.text().strip() or ".")
        if not folder.is_dir():
            self.error_label.setText(f"{folder} does not exist yet")
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder.resolve())))

    def done(self, result: int) -> None:  # noqa: D401 - Qt override (close, Esc, accept)
        self.shutdown()
        if self.run_button.isEnabled():
            self._save_settings()
        super().done(result)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        self._save_settings()
        super().closeEvent(event)


def _duration(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"


__all__ = ["BatchExportDialog"]
