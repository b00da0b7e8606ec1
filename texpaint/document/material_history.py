"""Undo for material sets: one step changes every map of the set, and undoes as one.

An Inpaint or Make Seamless over a set (:func:`texpaint.document.material.inpaint_material`)
changes the same pixels of every map; undoing it must restore all of them at once, never the
albedo without the normal map. A :class:`MaterialStep` stores, for the box of pixels the edit
changed in any map, each map's pixels (and alpha) before and after; :class:`MaterialHistory`
is a linear undo stack of such steps with a memory cap (oldest steps dropped first), as the
single-image :class:`~texpaint.document.history.UndoHistory` does for tiles.

Mask strokes are steps of the same stack (:meth:`MaterialHistory.record_mask`), so Undo
takes back the last edit, whether it painted the mask or filled the set.

Arrays: float32 ``(h, w, 3)`` rgb crops and ``(h, w)`` alpha crops (None for maps without
alpha); mask crops float32 ``(h, w)``; boxes ``(y0, y1, x0, x1)`` half-open, in pixels.
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
        label: what the user did ("Inpaint set", "Make Seamless (set)", "Paint mask").
        box: ``(y0, y1, x0, x1)`` of the changed pixels.
        before, after: one ``(rgb crop, alpha crop or None)`` per map, in the set's order
            (empty for a mask step).
        mask_before, mask_after: the mask's crops for a mask step, else None.
        conventions: ``(before, after)`` normal-map conventions per map when the step
            changed one (Flip Normal Y), else None.
    """

    label: str
    box: tuple[int, int, int, int]
    before: tuple[Crop, ...]
    after: tuple[Crop, ...]
    mask_before: np.ndarray | None = None
    mask_after: np.ndarray | None = None
    conventions: tuple[tuple[str | None, ...], tuple[str | None, ...]] | None = None

    @property
    def is_mask(self) -> bool:
        """True for a mask step (no map changed)."""
        return self.mask_before is not None

    @property
    def nbytes(self) -> int:
        """Memory held by the step's crops, in bytes."""
        masks = sum(0 if m is None else m.nbytes for m in (self.mask_before, self.mask_after))
        return masks + sum(
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

    @classmethod
    def restored(
        cls, steps: list[MaterialStep], position: int, cap_bytes: int = DEFAULT_CAP_BYTES
    ) -> MaterialHistory:
        """A history holding ``steps`` (oldest first) with the first ``position`` applied, as
        read back from a project file (no cap is applied to them here).

        Raises:
            MaterialError: ``position`` is outside ``0 .. len(steps)``.
        """
        if not 0 <= position <= len(steps):
            raise MaterialError(f"undo position {position} outside 0..{len(steps)}")
        history = cls(cap_bytes)
        history._steps = list(steps)
        history._pos = int(position)
        return history

    def copy(self) -> MaterialHistory:
        """A history with the same steps and position; steps are immutable and shared, so a
        save on another thread can read the copy while this one goes on changing."""
        return MaterialHistory.restored(self._steps, self._pos, self.cap_bytes)

    @property
    def steps(self) -> tuple[MaterialStep, ...]:
        """All steps, oldest first (the first :attr:`position` are applied)."""
        return tuple(self._steps)

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
        dropped; a changed normal-map convention is recorded with the pixels). Returns the
        step, or None when no pixel changed (nothing is recorded).

        Raises:
            MaterialError: the sets do not hold the same maps.
        """
        box = changed_box(old, new)
        if box is None:
            return None
        conv = (
            tuple(m.normal_convention for m in old.maps),
            tuple(m.normal_convention for m in new.maps),
        )
        step = MaterialStep(
            label, box, _crops(old, box), _crops(new, box),
            conventions=conv if conv[0] != conv[1] else None,
        )  # fmt: skip
        return self._push(step)

    def record_mask(self, label: str, old: np.ndarray, new: np.ndarray) -> MaterialStep | None:
        """Record a mask edit (a brush stroke, Clear Mask) as one step.

        Args:
            label: what the user did.
            old, new: float32 ``(H, W)`` masks before and after.

        Returns:
            The step, or None when no mask pixel changed.

        Raises:
            MaterialError: the masks' shapes differ.
        """
        if old.shape != new.shape:
            raise MaterialError("the two masks do not have the same size")
        diff = old != new
        rows = np.flatnonzero(diff.any(axis=1))
        if rows.size == 0:
            return None
        cols = np.flatnonzero(diff.any(axis=0))
        y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        step = MaterialStep(
            label, (y0, y1, x0, x1), (), (),
            old[y0:y1, x0:x1].copy(), new[y0:y1, x0:x1].copy(),
        )  # fmt: skip
        return self._push(step)

    def _push(self, step: MaterialStep) -> MaterialStep:
        del self._steps[self._pos :]
        self._steps.append(step)
        self._pos = len(self._steps)
        while len(self._steps) > 1 and self.nbytes > self.cap_bytes:
            self._steps.pop(0)
            self._pos -= 1
        return step

    @property
    def next_undo(self) -> MaterialStep | None:
        """The step Undo would take back, or None."""
        return self._steps[self._pos - 1] if self.can_undo else None

    @property
    def next_redo(self) -> MaterialStep | None:
        """The step Redo would apply, or None."""
        return self._steps[self._pos] if self.can_redo else None

    def undo(self, mset: MaterialSet, mask: np.ndarray | None = None) -> str | None:
        """Restore every map of ``mset`` (or, for a mask step, ``mask``, in place) to before
        the last applied step; returns its label, or None when there is nothing to undo.

        Raises:
            MaterialError: the step is a mask step and no ``mask`` was given.
        """
        if not self.can_undo:
            return None
        step = self._steps[self._pos - 1]
        self._restore(step, mset, mask, after=False)
        self._pos -= 1
        return step.label

    def redo(self, mset: MaterialSet, mask: np.ndarray | None = None) -> str | None:
        """Apply the next undone step to every map of ``mset`` (or to ``mask``) again;
        returns its label, or None when there is nothing to redo.

        Raises:
            MaterialError: the step is a mask step and no ``mask`` was given.
        """
        if not self.can_redo:
            return None
        step = self._steps[self._pos]
        self._restore(step, mset, mask, after=True)
        self._pos += 1
        return step.label

    @staticmethod
    def _restore(
        step: MaterialStep, mset: MaterialSet, mask: np.ndarray | None, after: bool
    ) -> None:
        if step.is_mask:
            if mask is None:
                raise MaterialError("this undo step changes the mask, but no mask was given")
            y0, y1, x0, x1 = step.box
            mask[y0:y1, x0:x1] = step.mask_after if after else step.mask_before
        else:
            _apply(mset, step.box, step.after if after else step.before)
            if step.conventions is not None:
                for m, conv in zip(mset.maps, step.conventions[int(after)], strict=True):
                    m.normal_convention = conv
