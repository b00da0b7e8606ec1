"""Denoise and Stylize in the Material window: the albedo only, unless the user picks more.

The albedo is colour; the other maps of a material are data (height, roughness, normal
directions...): a denoiser or a painting style would change the surface they describe, not
its look. So :class:`MaterialOpDialog` ticks the albedo only (as ``texpaint denoise/stylize
--set`` does without ``--maps``) and lets the user tick any other map on purpose;
:func:`run_on_maps` then runs the painter's own operation (the same
:func:`texpaint.ops.runner.run_job` as the main window, with the inference worker's
runtime) on each ticked map over the mask (or the whole map when the mask is empty), and
keeps every map valid for its role: a grey map stays grey (the channels' mean where it
changed) and a normal map is renormalised where it changed. Pixels where the mask is 0 stay
bit-identical (the pipeline's promise, kept for grey and normal maps too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QWidget,
)

from texpaint.document.material import MapRole, MaterialError, MaterialSet, conform_map
from texpaint.jobs import DEFAULT_STRENGTH, ENSEMBLE_PASSES, Operation, default_passes
from texpaint.models.styles import StyleLibraryError, list_styles
from texpaint.ops.stylize import DEFAULT_QUALITY

__all__ = ["MaterialOpDialog", "run_on_maps"]

OPS = ("denoise", "stylize")


class MaterialOpDialog(QDialog):
    """Choose the maps (the albedo ticked) and the settings of a Denoise or Stylize.

    Args:
        op: ``"denoise"`` or ``"stylize"``.
        mset: the set (only read).
        parent: Qt parent.

    Raises:
        ValueError: unknown ``op``.
    """

    def __init__(self, op: str, mset: MaterialSet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        if op not in OPS:
            raise ValueError(f"op must be one of {OPS}, got {op!r}")
        self.op = op
        self.mset = mset
        self.setWindowTitle("Denoise" if op == "denoise" else "Stylize")
        form = QFormLayout(self)
        self.style_box: QComboBox | None = None
        self.quality_box: QComboBox | None = None
        self.passes_box: QComboBox | None = None
        if op == "stylize":
            self.style_box = QComboBox()
            try:
                styles = list_styles()
            except (StyleLibraryError, FileNotFoundError) as exc:
                styles = []
                self.style_box.setToolTip(f"Style library unavailable: {exc}")
            for st in styles:
                self.style_box.addItem(st.name, st.id)
            form.addRow("Style", self.style_box)
            self.quality_box = QComboBox()
            self.quality_box.addItem("Fast: the style's network", "fast")
            self.quality_box.addItem("Best: copies the exemplar's strokes", "best")
            self.quality_box.setCurrentIndex(max(0, self.quality_box.findData(DEFAULT_QUALITY)))
            form.addRow("Quality", self.quality_box)
        else:
            self.passes_box = QComboBox()
            for n in ENSEMBLE_PASSES:
                self.passes_box.addItem(f"{n} pass{'es' if n > 1 else ''}", n)
            self.passes_box.setCurrentIndex(
                max(0, self.passes_box.findData(default_passes(Operation.DENOISE)))
            )
            self.passes_box.setToolTip("More passes (rotated/flipped copies) are a little better")
            form.addRow("Passes", self.passes_box)
        self.strength = QSpinBox()
        self.strength.setRange(0, 100)
        self.strength.setSuffix(" %")
        self.strength.setValue(round(DEFAULT_STRENGTH * 100))
        form.addRow("Strength", self.strength)
        self.maps = QListWidget()
        albedo = mset.albedo  # ticked; every other map only on purpose
        for m in mset.maps:
            kind = "colour" if m.is_colour else "data"
            item = QListWidgetItem(f"{m.name} ({m.role.value}, {kind})")
            item.setData(Qt.ItemDataRole.UserRole, m.name)
            item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
            item.setCheckState(Qt.CheckState.Checked if m is albedo else Qt.CheckState.Unchecked)
            self.maps.addItem(item)
        self.maps.itemChanged.connect(lambda *_: self._validate())
        form.addRow("Apply to", self.maps)
        note = QLabel(
            "Only the albedo is colour. The other maps are data (height, roughness, normal "
            "directions): changing them changes the surface, not its look."
        )
        note.setWordWrap(True)
        form.addRow(note)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self._validate()

    def set_checked(self, name: str, checked: bool) -> None:
        """Tick or untick the map named ``name``.

        Raises:
            KeyError: no such map.
        """
        for i in range(self.maps.count()):
            item = self.maps.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
                return
        raise KeyError(name)

    def chosen(self) -> list[str]:
        """Names of the ticked maps, in the set's order."""
        return [
            self.maps.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.maps.count())
            if self.maps.item(i).checkState() == Qt.CheckState.Checked
        ]

    def _validate(self) -> None:
        ok = bool(self.chosen())
        if self.style_box is not None:
            ok = ok and self.style_box.count() > 0
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def request(self) -> dict[str, Any]:
        """What to run: ``{"op", "label", "maps": [names], "params", "style_id"}`` for
        :func:`run_on_maps`."""
        names = self.chosen()
        what = "Denoise" if self.op == "denoise" else "Stylize"
        albedo = self.mset.albedo
        if names == [albedo.name] and albedo.role is MapRole.ALBEDO:
            label = f"{what} albedo"
        elif len(names) == 1:
            label = f"{what} {names[0]}"
        else:
            label = f"{what} {len(names)} maps"
        params: dict[str, Any] = {"strength": self.strength.value() / 100.0}
        style_id = None
        if self.op == "stylize":
            assert self.style_box is not None and self.quality_box is not None
            style_id = self.style_box.currentData()
            params["quality"] = self.quality_box.currentData()
        else:
            assert self.passes_box is not None
            params["passes"] = int(self.passes_box.currentData())
        return {
            "op": self.op,
            "label": label,
            "maps": names,
            "params": params,
            "style_id": style_id,
        }


def run_on_maps(
    mset: MaterialSet,
    mask: np.ndarray,
    request: dict[str, Any],
    abort: Callable[[], bool],
    progress: Callable[[float, str], None],
    runtime: Any,
) -> MaterialSet:
    """Run Denoise or Stylize (``request``, :meth:`MaterialOpDialog.request`) on the chosen
    maps of ``mset`` (module doc).

    Args:
        mset: the set (left unchanged).
        mask: float32 ``(H, W)`` in [0, 1]; all 0 = the whole map.
        request: ``{"op", "maps", "params", "style_id"}``.
        abort: polled by the pipeline; True cancels.
        progress: ``(fraction in [0, 1], message)``.
        runtime: the :class:`~texpaint.engine.device.Runtime` to run on (the worker's).

    Returns:
        A new set: the chosen maps changed, the others (and every alpha) as they were.

    Raises:
        MaterialError: no map chosen, or a chosen name is not a map of the set.
        texpaint.jobs.JobError: the operation cannot run (no such style, no model...).
        texpaint.jobs.JobCancelled: ``abort()`` returned True.
    """
    from texpaint.jobs import Job
    from texpaint.ops.runner import run_job

    names = list(request.get("maps") or [])
    if not names:
        raise MaterialError("choose at least one map")
    known = {m.name for m in mset.maps}
    missing = [n for n in names if n not in known]
    if missing:
        raise MaterialError(f"the material has no map named {missing[0]!r}")
    op = Operation(request["op"])
    m2 = np.asarray(mask, np.float32)
    region = m2 > 0 if (m2 > 0).any() else np.ones(m2.shape, bool)
    pixels = []
    done = 0
    for m in mset.maps:
        if m.name not in names:
            pixels.append((m.image.rgb, m.image.alpha))
            continue
        k = done

        def report(f: float, msg: str, k: int = k, name: str = m.name) -> None:
            progress((k + f) / len(names), f"{name}: {msg}")

        job = Job(
            op=op,
            image=m.image.rgb,
            mask=m2,
            params=dict(request.get("params") or {}),
            style_id=request.get("style_id"),
        )
        rgb = run_job(job, abort=abort, progress=report, runtime=runtime).image
        # a grey file stays grey, a normal map unit length, where the map changed
        pixels.append((conform_map(m, rgb, region), m.image.alpha))
        done += 1
    progress(1.0, "done")
    return mset.with_pixels(pixels)
