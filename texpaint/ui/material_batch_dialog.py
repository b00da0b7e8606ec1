"""File → Batch Export Materials…: the same steps over many material sets, one folder each.

The dialog collects set folders, the steps (Inpaint with a mask file found in each set's
folder, Make Seamless, Denoise of the albedo) and output sizes, and runs
:func:`texpaint.export.material_batch.run_material_batch` on its own QThread
(:class:`MaterialBatchWorker`); each set's result is listed as it finishes, a failed set is
listed with its reason and the batch goes on; Cancel stops after the current set.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread, Signal
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

__all__ = ["MaterialBatchDialog", "MaterialBatchWorker", "parse_sizes"]


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


class MaterialBatchWorker(QThread):
    """Runs one material batch off the GUI thread.

    Signals:
        setDone(object): a :class:`~texpaint.export.material_batch.SetResult` per set.
        failed(str): the batch could not start (bad steps).
    """

    setDone = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        folders: list[Path],
        ops: list[str],
        out_dir: Path,
        sizes: list[int],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.folders, self.ops, self.out_dir, self.sizes = folders, ops, out_dir, sizes
        self._stop = False

    def cancel(self) -> None:
        """Stop after the set being processed."""
        self._stop = True

    def run(self) -> None:
        run = None
        if any(o.startswith(("denoise", "stylize")) for o in self.ops):
            from texpaint.engine.pipeline import Runtime, run_job

            runtime = Runtime("auto")

            def run(job):
                return run_job(job, runtime=runtime)

        try:
            run_material_batch(
                self.folders, self.ops, self.out_dir, sizes=self.sizes, run_job=run,
                abort=lambda: self._stop, on_set_done=self.setDone.emit,
            )  # fmt: skip
        except MaterialError as e:
            self.failed.emit(str(e))


class MaterialBatchDialog(QDialog):
    """Pick set folders, steps, sizes and an output folder; run; list the results."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch Export Materials")
        self.worker: MaterialBatchWorker | None = None
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
        self.denoise = QCheckBox("Denoise the albedo")
        form.addRow(self.denoise)
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
        self.worker = MaterialBatchWorker(folders, ops, Path(self.out_dir.text()), sizes, self)
        self.worker.setDone.connect(self._set_done)
        self.worker.failed.connect(self.results.addItem)
        self.worker.finished.connect(self._finished)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.worker.start()
        return True

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def _set_done(self, result: SetResult) -> None:
        if result.error:
            self.results.addItem(f"{result.source.name}: failed: {result.error}")
        else:
            self.results.addItem(f"{result.source.name}: wrote {len(result.written)} maps")

    def _finished(self) -> None:
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.results.addItem("Done.")

    def closeEvent(self, event) -> None:  # noqa: N802
        if self.worker is not None and self.worker.isRunning():
            self.worker.cancel()
            self.worker.wait()
        event.accept()
