"""Edit → Models…: the installed models (built-in and imported), Import…, Remove and Set as
Default.

Each row shows a model's operation, whether it is its operation's default (the model a job
runs when none is named: the AI panel's preselection, the command line without ``--model``,
batch ops without ``:MODEL``), architecture, size, parameters, the devices and precisions it
runs with (:func:`texpaint.models.catalog.device_support`, read from the card) and its source;
an imported model's tooltip carries its licence note when its architecture comes from
spandrel_extra_arches. Everything here reads local files only.

Import checks the file with spandrel (:func:`texpaint.models.community.import_model`), which
runs torch, so it runs on a short-lived background thread
(:func:`~texpaint.ui.background.run_in_background`, thread ``texpaint-model-import``), never on
the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from texpaint.models.catalog import (
    DEFAULT_OPERATIONS,
    ModelInfo,
    ModelLoadError,
    default_model,
    device_support,
    list_models,
    remove_model,
    set_default_model,
)
from texpaint.ui.background import BackgroundTask, run_in_background

COLUMNS = (
    "Name",
    "Operation",
    "Default",
    "Architecture",
    "Size",
    "Parameters",
    "Devices",
    "Source",
)
"""Column titles of the models table, in order."""


def _human(n: float, units: tuple[str, ...], base: float) -> str:
    for unit in units[:-1]:
        if abs(n) < base:
            return f"{n:.0f} {unit}".strip() if unit == units[0] else f"{n:.1f} {unit}".strip()
        n /= base
    return f"{n:.1f} {units[-1]}".strip()


def _import(path: Path) -> ModelInfo:
    """Runs on the import thread: check and install ``path`` (imports torch and spandrel)."""
    from texpaint.models.community import import_model

    return import_model(path)


def _source(info: ModelInfo) -> str:
    if info.builtin:
        return "built-in"
    return "imported, check licence" if info.card.get("licence_note") else "imported"


class ModelsDialog(QDialog):
    """Lists models (see :data:`COLUMNS`); imports, removes, and sets an operation's default.

    Signals:
        modelsChanged(): a model was imported or removed, or a default changed (the AI panel
            reloads its lists and preselects the defaults).
    """

    modelsChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(900, 360)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.import_button = QPushButton("Import…")
        self.import_button.setToolTip(
            "Import a community model (.safetensors preferred; .pth read weights-only): "
            "inpainting (LaMa), denoising (SCUNet, NAFNet) or upscaling (ESRGAN)"
        )
        self.remove_button = QPushButton("Remove")
        self.default_button = QPushButton("Set as Default")
        self.default_button.setToolTip(
            "Run the selected model whenever its operation is run without naming a model: "
            "the AI panel's preselection, the command line and batch export"
        )
        self.status = QLabel("")
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.import_button)
        row.addWidget(self.remove_button)
        row.addWidget(self.default_button)
        row.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.import_button.clicked.connect(self._choose_file)
        self.remove_button.clicked.connect(self.remove_selected)
        self.default_button.clicked.connect(self.set_selected_as_default)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self._import: BackgroundTask[ModelInfo] | None = None
        self._models: list[ModelInfo] = []
        self._defaults: set[str] = set()
        self.reload()

    def reload(self) -> None:
        """Re-read the catalog and the defaults into the table (the selection is kept)."""
        selected = self.selected_id()
        self.table.clearSelection()
        self._models = list_models()
        self._defaults = {
            info.id for op in DEFAULT_OPERATIONS if (info := default_model(op, self._models))
        }
        self.table.setRowCount(len(self._models))
        for r, m in enumerate(self._models):
            devices = device_support(m)
            cells = (
                m.name,
                m.operation,
                "default" if m.id in self._defaults else "",
                str(m.card.get("architecture", "?")),
                _human(m.size_bytes, ("B", "KiB", "MiB", "GiB"), 1024),
                _human(m.params, ("", "k", "M", "G"), 1000),
                devices.label,
                _source(m),
            )
            tip = "\n".join(
                p for p in (m.id, str(m.path), devices.details, m.card.get("licence_note")) if p
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, m.id)
                item.setToolTip(tip)
                self.table.setItem(r, c, item)
            if m.id == selected:
                self.table.selectRow(r)
        self.table.resizeColumnsToContents()
        self._update_buttons()

    def selected_id(self) -> str | None:
        """Id of the selected model, or None."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self._models[rows[0].row()].id

    def _update_buttons(self) -> None:
        model_id = self.selected_id()
        chosen = next((m for m in self._models if m.id == model_id), None)
        self.remove_button.setEnabled(chosen is not None and not chosen.builtin)
        self.default_button.setEnabled(
            chosen is not None
            and chosen.operation in DEFAULT_OPERATIONS
            and chosen.id not in self._defaults
        )
        self.import_button.setEnabled(self._import is None)

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import model", "", "Model weights (*.safetensors *.pth *.pt *.ckpt)"
        )
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> None:
        """Import ``path`` on a worker thread; the table reloads when it is done."""
        if self._import is not None:
            return
        self.status.setText(f"Checking {path.name}…")
        self._import = run_in_background(
            lambda: _import(path),
            name="texpaint-model-import",
            on_result=self._on_imported,
            on_error=self._on_failed,
        )
        self._update_buttons()

    def _on_imported(self, info: ModelInfo) -> None:
        self._import = None
        self.status.setText(
            f"Imported {info.name} ({info.card.get('architecture')}, {info.operation})"
        )
        self.reload()
        self.modelsChanged.emit()

    def _on_failed(self, exc: BaseException) -> None:
        self._import = None
        message = str(exc) if isinstance(exc, ModelLoadError) else f"{type(exc).__name__}: {exc}"
        self.status.setText("Import failed")
        self._update_buttons()
        QMessageBox.critical(self, "Cannot import model", message)

    def remove_selected(self) -> bool:
        """Delete the selected imported model; True when one was removed."""
        model_id = self.selected_id()
        if model_id is None:
            return False

        def remove() -> str:
            return f"Removed {remove_model(model_id).name}"

        return self._change_catalog(remove, "Cannot remove model")

    def set_selected_as_default(self) -> bool:
        """Make the selected model its operation's default (stored for the painter, the
        command line and batch export); True when the default changed."""
        chosen = next((m for m in self._models if m.id == self.selected_id()), None)
        if chosen is None or chosen.id in self._defaults:
            return False

        def choose() -> str:
            set_default_model(chosen.operation, chosen.id)
            return f"{chosen.name} is now the default {chosen.operation} model"

        return self._change_catalog(choose, "Cannot set the default model")

    def _change_catalog(self, change: Callable[[], str], failure_title: str) -> bool:
        """Run ``change`` (returns a status line); on success reload and emit
        ``modelsChanged``, on :class:`ModelLoadError` show it. True on success."""
        try:
            message = change()
        except ModelLoadError as exc:
            QMessageBox.critical(self, failure_title, str(exc))
            return False
        self.status.setText(message)
        self.reload()
        self.modelsChanged.emit()
        return True

    def done(self, result: int) -> None:  # noqa: D401 - Qt override
        if self._import is not None:  # closing waits for the check; its outcome still shows
            self._import.wait()
        super().done(result)
