"""File → Open Material…: pick a folder or one map, check each map's role, open the set.

The dialog gathers the maps of a material by their names
(:func:`texpaint.document.material.gather_material`: ambientCG, Poly Haven and plain names)
from a folder (**Folder…**) or from one of its maps (**Map or Project…**, which also opens a
``.texmat`` material project directly), and lists every image file of the folder:

- maps whose name gives a role are ticked, with that role (and, for normal maps, the
  convention the name gives: OpenGL +Y or DirectX -Y);
- the folder's other images (no role in the name, another material's maps) are listed
  unticked, so the user can take them in and give them a role;
- each ticked map's size is read from its header; when the sizes differ the dialog names the
  map that does not match the first and refuses to open (every map of a material must line
  up pixel for pixel).

**Open** reads the ticked maps (off the GUI thread, :func:`texpaint.ui.busy.
run_off_gui_thread`) with the roles shown; a read error is shown in the dialog, which stays
open.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from texpaint.document.material import (
    MapRole,
    MaterialError,
    MaterialSet,
    gather_material,
    map_size,
    read_material,
    role_from_name,
)
from texpaint.document.material_project import PROJECT_EXTENSION
from texpaint.imaging.io import SUPPORTED_READ_EXTENSIONS
from texpaint.imaging.normal_map import NORMAL_CONVENTIONS
from texpaint.ui.busy import run_off_gui_thread

__all__ = ["MaterialOpenDialog"]

COL_USE, COL_FILE, COL_SIZE, COL_ROLE, COL_NORMAL = range(5)

_CONVENTION_TEXT = {"opengl": "OpenGL (+Y)", "directx": "DirectX (−Y)"}


class MaterialOpenDialog(QDialog):
    """Choose a material set's maps and their roles (module doc).

    After ``exec()`` returns Accepted, :attr:`material` holds the opened set, or
    :attr:`project_path` the ``.texmat`` project to open (the other is None).

    Args:
        parent: Qt parent.
        path: a folder or map to show at once (optional).
    """

    def __init__(self, parent: QWidget | None = None, path: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open Material")
        self.resize(720, 420)
        self.material: MaterialSet | None = None
        self.project_path: Path | None = None
        self.folder: Path | None = None
        self._name: str | None = None
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("A folder of maps, or any one map of the material")
        self.path_edit.returnPressed.connect(lambda: self.set_path(Path(self.path_edit.text())))
        folder_button = QPushButton("&Folder…")
        folder_button.clicked.connect(self.pick_folder)
        map_button = QPushButton("&Map or Project…")
        map_button.clicked.connect(self.pick_map)
        row.addWidget(self.path_edit, 1)
        row.addWidget(folder_button)
        row.addWidget(map_button)
        layout.addLayout(row)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Use", "File", "Size", "Role", "Normal Y"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COL_FILE, QHeaderView.ResizeMode.Stretch)
        for col in (COL_USE, COL_SIZE, COL_ROLE, COL_NORMAL):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemChanged.connect(lambda *_: self._validate())
        layout.addWidget(self.table, 1)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._files: list[Path] = []
        self._sizes: list[tuple[int, int] | None] = []
        self._validate()
        if path is not None:
            self.set_path(path)

    # ------------------------------------------------------------------ choosing
    def pick_folder(self) -> None:
        """Ask for a folder of maps."""
        folder = QFileDialog.getExistingDirectory(self, "Open Material Folder", self._start())
        if folder:
            self.set_path(Path(folder))

    def pick_map(self) -> None:
        """Ask for one map of the set (its siblings are gathered) or a ``.texmat`` project."""
        patterns = " ".join(f"*{e}" for e in SUPPORTED_READ_EXTENSIONS)
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Open Material (pick any map of the set, or a material project)",
            self._start(),
            f"Material maps and projects ({patterns} *{PROJECT_EXTENSION});;All files (*)",
        )
        if path:
            self.set_path(Path(path))

    def _start(self) -> str:
        return str(self.folder) if self.folder is not None else ""

    def set_path(self, path: Path) -> bool:
        """Show the maps gathered from ``path`` (a folder or one map); a ``.texmat`` project
        is accepted at once. Returns False (the reason shown) when nothing can be gathered."""
        self.path_edit.setText(str(path))
        if path.suffix.lower() == PROJECT_EXTENSION and path.is_file():
            self.project_path = path
            self.material = None
            super().accept()
            return True
        self.table.setRowCount(0)
        self._files, self._sizes = [], []
        try:
            found, skipped = gather_material(path)
        except MaterialError as e:
            self.folder = None
            self._show(str(e), error=True)
            self.buttons.button(QDialogButtonBox.StandardButton.Open).setEnabled(False)
            return False
        self.folder = path if path.is_dir() else path.parent
        named = role_from_name(found[0][0]) if found else None
        self._name = (named[2] if named is not None and named[2] else None) or self.folder.name
        rows = [(f, r, c, True) for f, r, c in found]
        for f in skipped:
            guess = role_from_name(f)
            rows.append(
                (f, guess[0] if guess else MapRole.ALBEDO, guess[1] if guess else None, False)
            )
        self.table.blockSignals(True)
        for f, role, conv, use in rows:
            self._add_row(f, role, conv, use)
        self.table.blockSignals(False)
        self._validate()
        return True

    def _add_row(self, f: Path, role: MapRole, conv: str | None, use: bool) -> None:
        i = self.table.rowCount()
        self.table.insertRow(i)
        check = QTableWidgetItem()
        check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
        check.setCheckState(Qt.CheckState.Checked if use else Qt.CheckState.Unchecked)
        self.table.setItem(i, COL_USE, check)
        name = QTableWidgetItem(f.name)
        name.setFlags(Qt.ItemFlag.ItemIsEnabled)
        name.setToolTip(str(f))
        self.table.setItem(i, COL_FILE, name)
        size = map_size(f)
        self._files.append(f)
        self._sizes.append(size)
        size_item = QTableWidgetItem("?" if size is None else f"{size[0]} x {size[1]}")
        size_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.table.setItem(i, COL_SIZE, size_item)
        roles = QComboBox()
        for r in MapRole:
            roles.addItem(r.value, r)
        roles.setCurrentIndex(list(MapRole).index(role))
        roles.setToolTip("What the map holds (albedo is colour; every other role is data)")
        self.table.setCellWidget(i, COL_ROLE, roles)
        normal = QComboBox()
        for c in NORMAL_CONVENTIONS:
            normal.addItem(_CONVENTION_TEXT.get(c, c), c)
        normal.setCurrentIndex(max(0, normal.findData(conv or "opengl")))
        normal.setToolTip("The normal map's green channel: OpenGL +Y up, DirectX −Y")
        self.table.setCellWidget(i, COL_NORMAL, normal)
        roles.currentIndexChanged.connect(lambda *_: self._validate())

    # ------------------------------------------------------------------ state
    def choices(self) -> list[tuple[Path, MapRole, str | None]]:
        """The ticked maps as ``(file, role, convention)`` (convention only for normals)."""
        out = []
        for i, f in enumerate(self._files):
            if self.table.item(i, COL_USE).checkState() != Qt.CheckState.Checked:
                continue
            role = MapRole(self.role_box(i).currentData())
            conv = self.convention_box(i).currentData() if role is MapRole.NORMAL else None
            out.append((f, role, conv))
        return out

    def row_of(self, name: str) -> int:
        """The table row of the file named ``name``.

        Raises:
            KeyError: no such file is listed.
        """
        for i, f in enumerate(self._files):
            if f.name == name:
                return i
        raise KeyError(name)

    def role_box(self, row: int) -> QComboBox:
        """The role picker of ``row``."""
        box = self.table.cellWidget(row, COL_ROLE)
        assert isinstance(box, QComboBox)
        return box

    def convention_box(self, row: int) -> QComboBox:
        """The normal-map convention picker of ``row``."""
        box = self.table.cellWidget(row, COL_NORMAL)
        assert isinstance(box, QComboBox)
        return box

    def set_used(self, name: str, used: bool, role: MapRole | None = None) -> None:
        """Tick (or untick) the file ``name``, optionally giving it ``role``."""
        i = self.row_of(name)
        if role is not None:
            self.role_box(i).setCurrentIndex(list(MapRole).index(role))
        self.table.item(i, COL_USE).setCheckState(
            Qt.CheckState.Checked if used else Qt.CheckState.Unchecked
        )

    def _show(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #d04040;" if error else "")

    def size_problem(self) -> str | None:
        """The message naming the first ticked map whose size differs from the first ticked
        map's (from the files' headers), or None."""
        first: tuple[Path, tuple[int, int]] | None = None
        for i, f in enumerate(self._files):
            size = self._sizes[i]
            if self.table.item(i, COL_USE).checkState() != Qt.CheckState.Checked or size is None:
                continue
            if first is None:
                first = (f, size)
            elif size != first[1]:
                return (
                    f"{f.name} is {size[0]} x {size[1]} but {first[0].name} is "
                    f"{first[1][0]} x {first[1][1]}: every map of a material must have the "
                    "same size. Untick it or pick another folder."
                )
        return None

    def _validate(self) -> None:
        ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Open)
        if not self._files:
            ok_button.setEnabled(False)
            if not self.message.text():
                self._show("Pick a folder of maps, or any one map of the material.")
            return
        for i in range(self.table.rowCount()):
            normal = MapRole(self.role_box(i).currentData()) is MapRole.NORMAL
            self.convention_box(i).setEnabled(normal)
        chosen = self.choices()
        problem = self.size_problem()
        if not chosen:
            self._show("Tick at least one map.", error=True)
        elif problem:
            self._show(problem, error=True)
        else:
            roles = ", ".join(r.value for _f, r, _c in chosen)
            self._show(f"{self._name}: {len(chosen)} maps ({roles}).")
        ok_button.setEnabled(bool(chosen) and problem is None)

    # ------------------------------------------------------------------ open
    def accept(self) -> None:
        """Read the ticked maps; on success close with Accepted (:attr:`material` set), else
        show why and stay open."""
        chosen = self.choices()
        if not chosen or self.size_problem() is not None:
            return
        name, folder = self._name, self.folder
        skipped = [f for f in self._files if f not in {c[0] for c in chosen}]
        try:
            self.material = run_off_gui_thread(
                self,
                f"Reading {len(chosen)} maps…",
                lambda: read_material(chosen, name=name, folder=folder, skipped=skipped),
            )
        except MaterialError as e:
            self._show(str(e), error=True)
            return
        self.project_path = None
        super().accept()
