"""Undo for material sets: one step changes every map of the set, and undoes as one.

An Inpaint or Make Seamless over a set (:func:`texpaint.document.material.inpaint_material`)
changes the same pixels of every map; undoing it must restore all of them at once, never the
albedo without the normal map. A :class:`MaterialStep` stores, for the box of pixels the edit
changed in any map, each map's pixels (and alpha) before and after; :class:`MaterialHistory`
is a linear undo stack of such steps with a memory cap (oldest steps dropped first), as the
single-image :class:`~texpaint.document.history.UndoHistory` does for tiles.

Arrays: float32 ``(h, w, 3)`` rgb crops and ``(h, w)`` alpha crops (None for maps without
alpha); boxes ``(y0, y1, x0, x1)`` half-open, in pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from texpaint.document.material import MaterialError, MaterialSet

__all__ = ["DEFAULT_CAP_BYTES", "MaterialHistory", "MaterialStep", "changed_box"]

DEFAULT_CAP_BYTES = 1 << 30
"""Default memory cap of a :class:`MaterialHistory` (1 GiB)."""

Crop = tuple[np.ndarray, np.ndarray | None]


def changed_box(old: MaterialSet, new: MaterialSet) -> tuple[int, int, int, int] | None:
    """Half-open box ``(y0, y1, x0, x1)`` of the pixels that differ in any map (rgb or
    alpha) between two sets of the same maps, or None when nothing changed.

    Raises:
        MaterialError: the sets do not hold the same number of maps of the same size.
    """
    if len(old.maps) != len(new.maps) or old.size != new.size:
        raise MaterialError("the two material sets do not hold the same maps")
    w, h = old.size
    diff = np.zeros((h, w), bool)
    for a, b in zip(old.maps, new.maps, strict=True):
        diff |= np.any(a.image.rgb != b.image.rgb, axis=2)
        if (a.image.alpha is None) != (b.image.alpha is None):
            diff[:] = True
        elif a.image.alpha is not None and b.image.alpha is not None:
            diff |= a.image.alpha != b.image.alpha
    rows = np.flatnonzero(diff.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(diff.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def _crops(mset: MaterialSet, box: tuple[int, int, int, int]) -> tuple[Crop, ...]:
    y0, y1, x0, x1 = box
    return tuple(
        (
            m.image.rgb[y0:y1, x0:x1].copy(),
            None if m.image.alpha is None else m.image.alpha[y0:y1, x0:x1].copy(),
        )
        for m in mset.maps
    )


@dataclass(frozen=True)
class MaterialStep:
    """One edit of a set: every map's pixels in ``box`` before and after.

    Attributes:
        label: what the user did ("Inpaint set", "Make Seamless (set)").
        box: ``(y0, y1, x0, x1)`` of the changed pixels.
        before, after: one ``(rgb crop, alpha crop or None)`` per map, in the set's order.
    """

    label: str
    box: tuple[int, int, int, int]
    before: tuple[Crop, ...]
    after: tuple[Crop, ...]

    @property
    def nbytes(self) -> int:
        """Memory held by the step's crops, in bytes."""
        return sum(
            rgb.nbytes + (0 if alpha is None else alpha.nbytes)
            for rgb, alpha in self.before + self.after
        )


def _apply(mset: MaterialSet, box: tuple[int, int, int, int], crops: tuple[Crop, ...]) -> None:
    """Write ``crops`` into ``box`` of every map of ``mset`` (new arrays: never in place, so
    snapshots that share the old arrays keep their pixels)."""
    if len(crops) != len(mset.maps):
        raise MaterialError("the undo step does not match the set's maps")
    y0, y1, x0, x1 = box
    for m, (rgb, alpha) in zip(mset.maps, crops, strict=True):
        new_rgb = m.image.rgb.copy()
        new_rgb[y0:y1, x0:x1] = rgb
        new_alpha = m.image.alpha
        if alpha is not None and new_alpha is not None:
            new_alpha = new_alpha.copy()
            new_alpha[y0:y1, x0:x1] = alpha
        m.image = replace(m.image, rgb=new_rgb, alpha=new_alpha)


class MaterialHistory:
    """Linear undo/redo of set-wide edits (module doc).

    Args:
        cap_bytes: the steps together hold at most this many bytes; the oldest are dropped
            first (a single step larger than the cap is kept alone).
    """

    def __init__(self, cap_bytes: int = DEFAULT_CAP_BYTES) -> None:
        self.cap_bytes = int(cap_bytes)
        self._steps: list[MaterialStep] = []
        self._pos = 0  # steps[:pos] are applied

    @property
    def can_undo(self) -> bool:
        """True when there is a step to undo."""
        return self._pos > 0

    @property
    def can_redo(self) -> bool:
        """True when there is an undone step to redo."""
        return self._pos < len(self._steps)

    @property
    def labels(self) -> list[str]:
        """Labels of all steps, oldest first (the first :attr:`position` are applied)."""
        return [s.label for s in self._steps]

    @property
    def position(self) -> int:
        """How many steps are applied."""
        return self._pos

    @property
    def nbytes(self) -> int:
        """Memory held by all steps, in bytes."""
        return sum(s.nbytes for s in self._steps)

    def record(self, label: str, old: MaterialSet, new: MaterialSet) -> MaterialStep | None:
        """Record the edit that turned ``old`` into ``new`` as one step (redoable steps are
        dropped). Returns the step, or None when no pixel changed (nothing is recorded).

        Raises:
            MaterialError: the sets do not hold the same maps.
        """
        box = changed_box(old, new)
        if box is None:
            return None
        step = MaterialStep(label, box, _crops(old, box), _crops(new, box))
        del self._steps[self._pos :]
        self._steps.append(step)
        self._pos = len(self._steps)
        while len(self._steps) > 1 and self.nbytes > self.cap_bytes:
            self._steps.pop(0)
            self._pos -= 1
        return step

    def undo(self, mset: MaterialSet) -> str | None:
        """Restore every map of ``mset`` to before the last applied step; returns its label,
        or None when there is nothing to undo."""
        if not self.can_undo:
            return None
        self._pos -= 1
        step = self._steps[self._pos]
        _apply(mset, step.box, step.before)
        return step.label

    def redo(self, mset: MaterialSet) -> str | None:
        """Apply the next undone step to every map of ``mset`` again; returns its label, or
        None when there is nothing to redo."""
        if not self.can_redo:
            return None
        step = self._steps[self._pos]
        self._pos += 1
        _apply(mset, step.box, step.after)
        return step.label
