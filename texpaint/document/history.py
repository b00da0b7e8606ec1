"""Tile-based, memory-capped undo history for the image and mask layers of a document.

A step stores, for each changed tile (``tile_size`` x ``tile_size`` block on a fixed grid) of
each layer, the pixels before and after the change; unchanged tiles cost nothing. A brush
stroke, a mask operation or an AI result is one step (CONVENTIONS.md #7).

Two ways to record a change:

* *hook form*: inside ``begin_block(label)`` / ``end_block()``, call
  :meth:`UndoHistory.record_before` with each box just before it is written; the after pixels
  are read from the live layer when the block closes. :class:`~texpaint.document.mask.MaskLayer`
  calls this through its ``on_before_change`` hook.
* *explicit form*: :meth:`UndoHistory.push_region` with the before (and optionally after)
  pixels of a box that has already been written.

A step that changes the *size* of the layers (Upscale) cannot be stored as tiles of a fixed
grid: :meth:`UndoHistory.push_resize` stores the whole before and after arrays of every layer
it replaces (:class:`LayerSwap`), counted against the memory cap like tiles. Undo and redo
then put a private copy of the stored array in place as the live layer and hand the new
arrays to :attr:`UndoHistory.on_layers_replaced`, so the owner (the document) can point its
own references at them.

No Qt: listeners are plain callables.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

Box = tuple[int, int, int, int]
TileKey = tuple[str, int, int]  # (layer name, tile row, tile column)

DEFAULT_MEMORY_CAP_BYTES = 512 * 1024 * 1024
_serials = itertools.count(1)


@dataclass
class Tile:
    """Before/after pixels of one grid tile of one layer.

    ``box`` is the tile's half-open ``(y0, y1, x0, x1)`` in layer pixels (clipped at the layer
    edge); ``before``/``after`` have the layer's dtype and shape ``(y1-y0, x1-x0[, C])``.
    """

    layer: str
    box: Box
    before: np.ndarray
    after: np.ndarray

    @property
    def nbytes(self) -> int:
        """Bytes held by the two pixel arrays."""
        return self.before.nbytes + self.after.nbytes


@dataclass
class LayerSwap:
    """The whole content of one layer before and after a size-changing step.

    ``before`` and ``after`` have the layer's dtype and number of dimensions (and channels);
    their heights/widths differ. Neither is ever a live layer: undo/redo install copies.
    """

    layer: str
    before: np.ndarray
    after: np.ndarray

    @property
    def nbytes(self) -> int:
        """Bytes held by the two arrays."""
        return self.before.nbytes + self.after.nbytes


@dataclass
class Step:
    """One undoable edit: a label for the history panel and its changed tiles.

    A size-changing step (see :meth:`UndoHistory.push_resize`) has no tiles and holds
    ``swaps`` instead: whole before/after layers.
    """

    label: str
    tiles: list[Tile]
    serial: int = field(default_factory=lambda: next(_serials))
    swaps: list[LayerSwap] = field(default_factory=list)

    @property
    def nbytes(self) -> int:
        """Bytes held by this step's tiles and whole-layer swaps."""
        return sum(t.nbytes for t in self.tiles) + sum(s.nbytes for s in self.swaps)

    @property
    def layers(self) -> set[str]:
        """Names of the layers this step changes."""
        return {t.layer for t in self.tiles} | {s.layer for s in self.swaps}

    @property
    def resizes(self) -> bool:
        """True for a size-changing step (whole-layer swaps)."""
        return bool(self.swaps)

    def dirty_boxes(self, use_after: bool = True) -> dict[str, Box]:
        """Per layer, the box covering all of this step's tiles; for a swapped layer the
        whole layer as it is after redo (``use_after``) or undo."""
        out: dict[str, Box] = {}
        for sw in self.swaps:
            h, w = (sw.after if use_after else sw.before).shape[:2]
            out[sw.layer] = (0, h, 0, w)
        for t in self.tiles:
            b = out.get(t.layer)
            out[t.layer] = (
                t.box
                if b is None
                else (
                    min(b[0], t.box[0]),
                    max(b[1], t.box[1]),
                    min(b[2], t.box[2]),
                    max(b[3], t.box[3]),
                )
            )
        return out


LayersReplacedHook = Callable[[dict[str, np.ndarray]], None]
"""Called with ``{layer name: the new live array}`` after a size-changing step swapped them."""


def _check_swap_array(name: str, layer: np.ndarray, arr: np.ndarray, what: str) -> None:
    """ValueError unless ``arr`` has ``layer``'s dtype, dimensions and channels."""
    if arr.dtype != layer.dtype or arr.ndim != layer.ndim or arr.shape[2:] != layer.shape[2:]:
        raise ValueError(
            f"{what} for layer {name!r} is {arr.dtype} {arr.shape}, the layer is "
            f"{layer.dtype} {layer.shape}"
        )
    if min(arr.shape[:2]) < 1:
        raise ValueError(f"{what} for layer {name!r} is empty: {arr.shape}")


HistoryListener = Callable[[str, dict[str, Box]], None]
"""Called as ``listener(event, dirty)`` where event is ``"push"``, ``"undo"``, ``"redo"`` or
``"trim"`` and dirty maps layer name -> box whose pixels changed (empty for push/trim)."""


class UndoHistory:
    """Undo stack over named numpy layers, storing only the tiles a step changed.

    Args:
        memory_cap_bytes: when the steps together hold more than this, the oldest steps are
            dropped (the newest step is always kept, even if it alone is larger).
        tile_size: tile edge in pixels (64 or 256 are sensible).

    Attributes:
        steps: the steps, oldest first; ``steps[:index]`` are applied, the rest can be redone.
        listeners: callables notified after every change (see :data:`HistoryListener`).
        on_layers_replaced: called as ``on_layers_replaced({name: new live array})`` whenever
            a size-changing step replaces layer arrays (push, undo, redo), before listeners
            hear of it; None until the owner sets it (size-changing steps need it).
    """

    def __init__(
        self, memory_cap_bytes: int = DEFAULT_MEMORY_CAP_BYTES, tile_size: int = 64
    ) -> None:
        if tile_size < 1:
            raise ValueError(f"tile_size must be >= 1, got {tile_size}")
        self.memory_cap_bytes = int(memory_cap_bytes)
        self.tile_size = int(tile_size)
        self.steps: list[Step] = []
        self.listeners: list[HistoryListener] = []
        self._index = 0
        self._layers: dict[str, np.ndarray] = {}
        self._block_label: str | None = None
        self._block_depth = 0
        self._block_before: dict[TileKey, np.ndarray] = {}
        self._block_after: dict[TileKey, np.ndarray] = {}
        self._base_serial: dict[str, int] = {}
        self.on_layers_replaced: LayersReplacedHook | None = None

    # ------------------------------------------------------------------ layers
    def register_layer(self, name: str, array: np.ndarray) -> None:
        """Track ``array`` (``(H, W)`` or ``(H, W, C)``, edited in place) under ``name``."""
        if array.ndim not in (2, 3):
            raise ValueError(f"layer {name!r} must be 2-D or 3-D, got shape {array.shape}")
        self._layers[name] = array
        self._base_serial.setdefault(name, 0)

    def layer(self, name: str) -> np.ndarray:
        """The live array registered as ``name``.

        Raises:
            KeyError: no such layer.
        """
        try:
            return self._layers[name]
        except KeyError:
            raise KeyError(f"unknown history layer {name!r}") from None

    # ------------------------------------------------------------------ state
    @property
    def index(self) -> int:
        """Number of applied steps: 0 = the oldest kept state, ``len(steps)`` = newest."""
        return self._index

    @property
    def nbytes(self) -> int:
        """Bytes held by all steps."""
        return sum(s.nbytes for s in self.steps)

    def can_undo(self) -> bool:
        """True when a step can be undone."""
        return self._index > 0 and self._block_depth == 0

    def can_redo(self) -> bool:
        """True when an undone step can be redone."""
        return self._index < len(self.steps) and self._block_depth == 0

    @property
    def in_block(self) -> bool:
        """True between :meth:`begin_block` and the matching :meth:`end_block`."""
        return self._block_depth > 0

    def state_token(self, layer: str) -> int:
        """An id of ``layer``'s current content in this history.

        Equal tokens mean equal content (e.g. to tell whether the image differs from the saved
        file): the serial of the newest applied step touching the layer, or of the newest
        dropped one.
        """
        for step in reversed(self.steps[: self._index]):
            if layer in step.layers:
                return step.serial
        return self._base_serial.get(layer, 0)

    def _notify(self, event: str, dirty: dict[str, Box]) -> None:
        for listener in list(self.listeners):
            listener(event, dirty)

    # ------------------------------------------------------------------ recording
    def begin_block(self, label: str) -> None:
        """Open a block: everything recorded until :meth:`end_block` becomes one step.

        Blocks nest; the outermost label names the step.
        """
        if self._block_depth == 0:
            self._block_label = label
            self._block_before = {}
            self._block_after = {}
        self._block_depth += 1

    def end_block(self) -> Step | None:
        """Close the block; push its step unless nothing changed. Returns the step or None.

        Raises:
            RuntimeError: no block is open.
        """
        if self._block_depth == 0:
            raise RuntimeError("end_block() without begin_block()")
        self._block_depth -= 1
        if self._block_depth:
            return None
        tiles: list[Tile] = []
        for key, before in self._block_before.items():
            name, ty, tx = key
            box = self._tile_box(name, ty, tx)
            after = self._block_after.get(key)
            if after is None:
                y0, y1, x0, x1 = box
                after = self._layers[name][y0:y1, x0:x1].copy()
            if not np.array_equal(before, after):
                tiles.append(Tile(name, box, before, after))
        label = self._block_label or ""
        self._block_before, self._block_after, self._block_label = {}, {}, None
        if not tiles:
            return None
        step = Step(label, tiles)
        self._push_step(step)
        return step

    @contextmanager
    def block(self, label: str) -> Iterator[None]:
        """Context manager form of :meth:`begin_block` / :meth:`end_block`."""
        self.begin_block(label)
        try:
            yield
        finally:
            self.end_block()

    def _tile_box(self, name: str, ty: int, tx: int) -> Box:
        a = self._layers[name]
        t = self.tile_size
        return (ty * t, min(ty * t + t, a.shape[0]), tx * t, min(tx * t + t, a.shape[1]))

    def _tiles_of(self, name: str, box: Box) -> Iterator[tuple[int, int]]:
        y0, y1, x0, x1 = box
        t = self.tile_size
        for ty in range(y0 // t, (y1 - 1) // t + 1):
            for tx in range(x0 // t, (x1 - 1) // t + 1):
                yield ty, tx

    def _check_box(self, name: str, box: Box) -> Box:
        a = self.layer(name)
        y0, y1, x0, x1 = (int(v) for v in box)
        if not (0 <= y0 <= y1 <= a.shape[0] and 0 <= x0 <= x1 <= a.shape[1]):
            raise ValueError(f"box {box} outside layer {name!r} of shape {a.shape[:2]}")
        return y0, y1, x0, x1

    def record_before(self, layer: str, box: Box) -> None:
        """Note that ``box`` of ``layer`` is about to change (hook form; call before writing).

        Only tiles not yet recorded in the open block are copied.

        Raises:
            RuntimeError: no block is open.
            KeyError, ValueError: unknown layer or box outside it.
        """
        if self._block_depth == 0:
            raise RuntimeError("record_before() needs an open block (begin_block)")
        box = self._check_box(layer, box)
        if box[0] == box[1] or box[2] == box[3]:
            return
        a = self._layers[layer]
        for ty, tx in self._tiles_of(layer, box):
            key = (layer, ty, tx)
            if key not in self._block_before:
                y0, y1, x0, x1 = self._tile_box(layer, ty, tx)
                self._block_before[key] = a[y0:y1, x0:x1].copy()

    def push_region(
        self,
        label: str,
        layer: str,
        box: Box,
        before: np.ndarray,
        after: np.ndarray | None = None,
    ) -> Step | None:
        """Record that ``box`` of ``layer`` changed from ``before`` (explicit form).

        The change must already be written into the layer. ``after`` (the new pixels of
        ``box``) defaults to the layer's current pixels. Inside a block the change joins the
        block's step (a tile keeps its oldest before); otherwise it is a step of its own.

        Args:
            label: step name for the history panel (ignored inside a block).
            layer: registered layer name.
            box: half-open ``(y0, y1, x0, x1)`` inside the layer.
            before, after: arrays of shape ``layer[y0:y1, x0:x1].shape``.

        Returns:
            The pushed step, or None inside a block or when nothing changed.

        Raises:
            KeyError: unknown layer. ValueError: box outside the layer or wrong array shape.
        """
        box = self._check_box(layer, box)
        a = self._layers[layer]
        y0, y1, x0, x1 = box
        expected = a[y0:y1, x0:x1].shape
        for name, arr in (("before", before), ("after", after)):
            if arr is not None and arr.shape != expected:
                raise ValueError(f"{name} has shape {arr.shape}, box needs {expected}")
        self.begin_block(label)
        try:
            if y0 == y1 or x0 == x1:
                return None
            for ty, tx in self._tiles_of(layer, box):
                key = (layer, ty, tx)
                gy0, gy1, gx0, gx1 = self._tile_box(layer, ty, tx)
                iy0, iy1, ix0, ix1 = max(y0, gy0), min(y1, gy1), max(x0, gx0), min(x1, gx1)
                tsl = (slice(iy0 - gy0, iy1 - gy0), slice(ix0 - gx0, ix1 - gx0))
                bsl = (slice(iy0 - y0, iy1 - y0), slice(ix0 - x0, ix1 - x0))
                if key not in self._block_before:
                    tile = a[gy0:gy1, gx0:gx1].copy()
                    tile[tsl] = before[bsl]
                    self._block_before[key] = tile
                if after is not None:
                    tile_after = self._block_after.get(key)
                    if tile_after is None:
                        tile_after = a[gy0:gy1, gx0:gx1].copy()
                        self._block_after[key] = tile_after
                    tile_after[tsl] = after[bsl]
        finally:
            step = self.end_block()
        return step

    def push_resize(self, label: str, new_layers: Mapping[str, np.ndarray]) -> Step:
        """Replace whole layers by arrays of another size, as one step (e.g. Upscale).

        The current live arrays become the step's ``before`` (the history keeps them; the
        caller must not write to them any more); the history keeps a private copy of each new
        array as ``after``, and the new arrays themselves become the live layers, handed to
        :attr:`on_layers_replaced`. Counted against the memory cap like any step.

        Args:
            label: step name for the history panel.
            new_layers: layer name -> new array with the layer's dtype, number of dimensions
                and channels (``(H', W')`` or ``(H', W', C)``), C-contiguous and writable.

        Returns:
            The pushed step (``step.resizes`` is True).

        Raises:
            RuntimeError: a block is open, or :attr:`on_layers_replaced` is not set.
            KeyError: an unknown layer.
            ValueError: no layers, or an array whose dtype/dimensions/channels do not fit.
        """
        if self._block_depth:
            raise RuntimeError("cannot replace layers while a block is open")
        if self.on_layers_replaced is None:
            raise RuntimeError("set on_layers_replaced before pushing a size-changing step")
        if not new_layers:
            raise ValueError("push_resize needs at least one layer")
        swaps = []
        for name, new in new_layers.items():
            old = self.layer(name)
            _check_swap_array(name, old, new, "new array")
            if not (new.flags.c_contiguous and new.flags.writeable):
                raise ValueError(f"new array for layer {name!r} must be C-contiguous and writable")
            swaps.append(LayerSwap(name, old, new.copy()))
        step = Step(label, [], swaps=swaps)
        self._install(step, use_after=True, live=dict(new_layers))
        self._push_step(step)
        return step

    def _install(
        self, step: Step, use_after: bool, live: dict[str, np.ndarray] | None = None
    ) -> None:
        """Make the step's whole-layer arrays (copies unless ``live`` gives them) the live
        layers and tell :attr:`on_layers_replaced`."""
        if not step.swaps:
            return
        if self.on_layers_replaced is None:
            raise RuntimeError("set on_layers_replaced before applying a size-changing step")
        if live is None:
            live = {s.layer: (s.after if use_after else s.before).copy() for s in step.swaps}
        self._layers.update(live)
        self.on_layers_replaced(live)

    def _push_step(self, step: Step) -> None:
        del self.steps[self._index :]
        self.steps.append(step)
        self._index = len(self.steps)
        self._trim()
        self._notify("push", {})

    def _trim(self) -> None:
        total = self.nbytes
        dropped = False
        while len(self.steps) > 1 and total > self.memory_cap_bytes:
            old = self.steps.pop(0)
            total -= old.nbytes
            for name in old.layers:
                self._base_serial[name] = old.serial
            self._index = max(0, self._index - 1)
            dropped = True
        if dropped:
            self._notify("trim", {})

    def set_memory_cap(self, memory_cap_bytes: int) -> None:
        """Change the cap and drop the oldest steps if needed."""
        self.memory_cap_bytes = int(memory_cap_bytes)
        self._trim()

    def restore_steps(self, steps: list[Step], index: int) -> None:
        """Replace the whole history with ``steps`` (e.g. read back from a project file).

        The live layers must already hold the state after ``steps[:index]``; nothing is
        applied here. Layer sizes are followed through the size-changing steps: walking back
        from ``index``, each step's tiles must lie inside the layer as it is at that point
        and its swaps' ``after`` must have that size (forward from ``index``, the swaps'
        ``before``). Tile arrays must match the layer's dtype and the box's shape; swap arrays
        the layer's dtype, dimensions and channels.

        Raises:
            RuntimeError: a block is open.
            ValueError: ``index`` outside ``0..len(steps)``, an unknown layer, a step with
                both tiles and swaps, a size-changing step without :attr:`on_layers_replaced`,
                or a tile or swap that does not fit its layer (the history is left unchanged).
        """
        if self._block_depth:
            raise RuntimeError("cannot replace the history while a block is open")
        if not 0 <= index <= len(steps):
            raise ValueError(f"history index {index} outside 0..{len(steps)}")
        for direction in (-1, 1):  # back from the current state, then forward from it
            sizes = {name: a.shape[:2] for name, a in self._layers.items()}
            run = reversed(steps[:index]) if direction < 0 else steps[index:]
            for step in run:
                self._check_step(step, sizes, applied=direction < 0)
        for step in self.steps[: self._index]:
            for name in step.layers:
                self._base_serial[name] = step.serial
        self.steps = list(steps)
        self._index = int(index)
        self._trim()
        self._notify("trim", {})

    def _check_step(self, step: Step, sizes: dict[str, tuple[int, ...]], applied: bool) -> None:
        """Validate ``step`` against the layer ``sizes`` next to it (after it when
        ``applied``, before it otherwise) and move ``sizes`` across it."""
        if step.tiles and step.swaps:
            raise ValueError(f"step {step.label!r} mixes tiles and whole-layer swaps")
        if step.swaps and self.on_layers_replaced is None:
            raise ValueError("size-changing steps need on_layers_replaced")
        for tile in step.tiles:
            layer = self._layers.get(tile.layer)
            if layer is None:
                raise ValueError(f"unknown history layer {tile.layer!r}")
            (lh, lw), (y0, y1, x0, x1) = sizes[tile.layer], tile.box
            if not (0 <= y0 <= y1 <= lh and 0 <= x0 <= x1 <= lw):
                raise ValueError(f"box {tile.box} outside layer {tile.layer!r} of size {(lh, lw)}")
            expected = (y1 - y0, x1 - x0, *layer.shape[2:])
            for name, arr in (("before", tile.before), ("after", tile.after)):
                if arr.shape != expected or arr.dtype != layer.dtype:
                    raise ValueError(
                        f"tile {name} is {arr.dtype} {arr.shape}, layer {tile.layer!r} "
                        f"needs {layer.dtype} {expected}"
                    )
        for sw in step.swaps:
            layer = self._layers.get(sw.layer)
            if layer is None:
                raise ValueError(f"unknown history layer {sw.layer!r}")
            _check_swap_array(sw.layer, layer, sw.before, "swap before")
            _check_swap_array(sw.layer, layer, sw.after, "swap after")
            near, far = (sw.after, sw.before) if applied else (sw.before, sw.after)
            if near.shape[:2] != sizes[sw.layer]:
                raise ValueError(
                    f"step {step.label!r} swaps layer {sw.layer!r} of size {near.shape[:2]}, "
                    f"but the layer is {sizes[sw.layer]} there"
                )
            sizes[sw.layer] = far.shape[:2]

    def clear(self) -> None:
        """Forget every step (the current pixels stay)."""
        for step in self.steps[: self._index]:
            for name in step.layers:
                self._base_serial[name] = step.serial
        self.steps.clear()
        self._index = 0
        self._notify("trim", {})

    # ------------------------------------------------------------------ moving
    def _apply(self, step: Step, use_after: bool) -> dict[str, Box]:
        self._install(step, use_after)
        for tile in step.tiles:
            y0, y1, x0, x1 = tile.box
            self._layers[tile.layer][y0:y1, x0:x1] = tile.after if use_after else tile.before
        return step.dirty_boxes(use_after)

    def undo(self) -> Step | None:
        """Restore the pixels before the newest applied step. Returns it, or None if none.

        Raises:
            RuntimeError: a block is open.
        """
        if self._block_depth:
            raise RuntimeError("cannot undo while a block is open")
        if self._index == 0:
            return None
        self._index -= 1
        step = self.steps[self._index]
        self._notify("undo", self._apply(step, use_after=False))
        return step

    def redo(self) -> Step | None:
        """Re-apply the oldest undone step. Returns it, or None if none.

        Raises:
            RuntimeError: a block is open.
        """
        if self._block_depth:
            raise RuntimeError("cannot redo while a block is open")
        if self._index >= len(self.steps):
            return None
        step = self.steps[self._index]
        self._index += 1
        self._notify("redo", self._apply(step, use_after=True))
        return step

    def jump_to(self, index: int) -> None:
        """Undo or redo until ``index`` steps are applied.

        Raises:
            IndexError: index outside ``0..len(steps)``.
        """
        if not 0 <= index <= len(self.steps):
            raise IndexError(f"history index {index} outside 0..{len(self.steps)}")
        while self._index > index:
            self.undo()
        while self._index < index:
            self.redo()
