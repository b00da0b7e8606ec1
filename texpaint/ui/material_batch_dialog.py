"""File → Batch Export Materials…: the same steps over many material sets, one folder each.

The dialog collects set folders, the steps (Inpaint with a mask file found in each set's
folder, Make Seamless, Denoise of the albedo) and output sizes, and submits
:func:`texpaint.export.material_batch.run_material_batch` as a
:class:`~texpaint.engine.runner.Task` to the painter's one inference worker (its runtime:
Preferences' device and tile size; queued behind a running AI job), like Batch Export; each
set's result is listed as it finishes, a failed set is listed with its reason and the batch
goes on; Cancel stops after the current set.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from texpaint.document.material import MaterialError
from texpaint.export.material_batch import DEFAULT_SET_MASK, SetResult, run_material_batch
from texpaint.ui.worker import InferenceEngine, Task, TaskWatch

__all__ = ["MaterialBatchDialog", "parse_sizes"]


def parse_sizes(text: str) -> list[int]:
    """``"2048, 1024"`` -> ``[2048, 1024]``; empty text -> ``[]``.

    Raises:
        MaterialError: a size that is not a positive integer.
    """
    sizes = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or int(part) < 1:
            raise MaterialError(f"sizes must be positive whole numbers of pixels, got {part!r}")
        sizes.append(int(part))
    return sizes


def _batch_task(
    folders: list[Path], ops: list[str], out_dir: Path, sizes: list[int], maps: str
) -> Task:
    """The material batch as a worker task: model steps run on the worker's runtime and
    poll its cancel flag; each :class:`SetResult` is reported as its set finishes, and a
    batch that cannot start (bad steps) reports its :class:`MaterialError` message."""

    def run(abort, report, runtime) -> None:
        from texpaint.ops.runner import run_job

        def run_model(job):
            return run_job(job, abort=abort, runtime=runtime)

        try:
            run_material_batch(
                folders, ops, out_dir, sizes=sizes, run_job=run_model, abort=abort,
                on_set_done=report, maps=maps or None,
            )  # fmt: skip
        except MaterialError as e:
            report(str(e))

    return Task(run)


class MaterialBatchDialog(QDialog):
    """Pick set folders, steps, sizes and an output folder; run; list the results.

    Args:
        parent: Qt parent.
        engine: the inference engine to submit to (the main window passes its own); None
            makes one for this dialog (device ``"auto"``), shut down on close.
    """

    def __init__(self, parent: QWidget | None = None, engine: InferenceEngine | None = None):
        super().__init__(parent)
        self.setWindowTitle("Batch Export Materials")
        self._owns_engine = engine is None
        self.engine = engine if engine is not None else InferenceEngine(parent=self, warm_up=False)
        self._watch: TaskWatch | None = None
        layout = QVBoxLayout(self)
        self.folders = QListWidget()
        self.folders.setToolTip("One folder per material (albedo, normal, height, ... maps)")
        layout.addWidget(self.folders)
        row = QHBoxLayout()
        add = QPushButton("Add Material Folder…")
        add.clicked.connect(self.add_folder_dialog)
        remove = QPushButton("Remove")
        remove.clicked.connect(lambda: self.folders.takeItem(self.folders.currentRow()))
        row.addWidget(add)
        row.addWidget(remove)
        layout.addLayout(row)
        form = QFormLayout()
        self.inpaint = QCheckBox("Inpaint every map with the mask file")
        self.mask_name = QLineEdit(DEFAULT_SET_MASK)
        form.addRow(self.inpaint, self.mask_name)
        self.seamless = QCheckBox("Make Seamless (every map, one shared fill)")
        form.addRow(self.seamless)
        self.denoise = QCheckBox("Denoise the maps")
        self.maps = QLineEdit()
        self.maps.setPlaceholderText("albedo")
        self.maps.setToolTip(
            "The maps Denoise changes: roles or file names, comma-separated, e.g. "
            "albedo,roughness (empty: the albedo only; the other maps are data)"
        )
        form.addRow(self.denoise, self.maps)
        self.sizes = QLineEdit()
        self.sizes.setPlaceholderText("e.g. 2048, 1024 (empty: keep the size)")
        form.addRow("Sizes (long side, px)", self.sizes)
        self.out_dir = QLineEdit()
        pick = QPushButton("…")
        pick.clicked.connect(self._pick_out)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out_dir)
        out_row.addWidget(pick)
        form.addRow("Output folder", out_row)
        layout.addLayout(form)
        self.results = QListWidget()
        layout.addWidget(self.results)
        buttons = QHBoxLayout()
        self.run_button = QPushButton("Run")
        self.run_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        for b in (self.run_button, self.cancel_button, close):
            buttons.addWidget(b)
        layout.addLayout(buttons)
        self.resize(560, 520)

    def add_folder(self, folder: Path) -> None:
        """Add one set folder to the list."""
        self.folders.addItem(str(folder))

    def add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add Material Folder")
        if folder:
            self.add_folder(Path(folder))

    def _pick_out(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Output Folder")
        if folder:
            self.out_dir.setText(folder)

    def ops(self) -> list[str]:
        """The steps as :func:`run_material_batch` takes them."""
        ops = []
        if self.inpaint.isChecked():
            ops.append(f"inpaint:{self.mask_name.text().strip() or DEFAULT_SET_MASK}")
        if self.seamless.isChecked():
            ops.append("seamless")
        if self.denoise.isChecked():
            ops.append("denoise")
        return ops

    def start(self) -> bool:
        """Check the inputs and start the batch; False (with the reason listed) when it
        cannot start."""
        self.results.clear()
        folders = [Path(self.folders.item(i).text()) for i in range(self.folders.count())]
        try:
            sizes = parse_sizes(self.sizes.text())
        except MaterialError as e:
            self.results.addItem(str(e))
            return False
        ops = self.ops() + (["resize"] if sizes else [])
        if not folders or not ops or not self.out_dir.text().strip():
            self.results.addItem(
                "Add material folders, pick at least one step and an output folder."
            )
            return False
        task = _batch_task(folders, ops, Path(self.out_dir.text()), sizes, self.maps.text())
        self._watch = watch = self.engine.watch(task)
        watch.reported.connect(self._on_task_event)
        watch.finished.connect(self._finished)
        watch.failed.connect(self._on_task_failed)
        watch.cancelled.connect(self._finished)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        return True

    def is_running(self) -> bool:
        """True from ``start`` until the batch has finished, failed or been cancelled."""
        return self._watch is not None

    def cancel(self) -> None:
        """Stop after the set being processed."""
        if self._watch is not None:
            self._watch.cancel()

    @Slot(object)
    def _on_task_event(self, result: object) -> None:
        if isinstance(result, SetResult):
            self._set_done(result)
        else:  # the batch could not start
            self.results.addItem(str(result))

    @Slot(str)
    def _on_task_failed(self, message: str) -> None:
        self.results.addItem(f"The batch stopped: {message}")
        self._finished()

    def _set_done(self, result: SetResult) -> None:
        if result.error:
            self.results.addItem(f"{result.source.name}: failed: {result.error}")
        else:
            self.results.addItem(f"{result.source.name}: wrote {len(result.written)} maps")

    def _finished(self, _value: object = None) -> None:
        self._watch = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.results.addItem("Done.")

    def closeEvent(self, event) -> None:  # noqa: N802
        self.cancel()
        if self._owns_engine:
            self.engine.shutdown()
        event.accept()
