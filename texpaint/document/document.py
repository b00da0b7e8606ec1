"""The texture document: image, inpainting mask and their shared undo history (no Qt)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from texpaint.document.history import UndoHistory
from texpaint.document.mask import Box, MaskLayer
from texpaint.imaging.io import ImageData, read_image, read_mask, write_image, write_mask
from texpaint.imaging.resample import resize_plane, upscaled_size
from texpaint.jobs import Job, JobResult, Operation

IMAGE_LAYER = "image"
MASK_LAYER = "mask"
ALPHA_LAYER = "alpha"
"""History layer of the image's alpha, registered only for images that have one. Nothing
edits it in place; only size-changing steps (Upscale) replace it."""


def operation_label(result: JobResult) -> str:
    """The undo step's name for ``result``: its operation's label (``result.label``, from the
    operation registry, ``texpaint.ops``), or the operation's name capitalised when the
    result carries none."""
    return result.label or str(result.op).replace("_", " ").capitalize()


class TextureDocument:
    """An open texture: float32 image, inpainting mask and one undo history over both.

    Args:
        image: the pixels; ``image.rgb`` (and the mask) are edited in place from now on.
        path: the file the document saves to, or None for an untitled document.
        history: the undo history to use (a fresh 512 MB-capped one by default).

    Attributes:
        image: :class:`~texpaint.imaging.io.ImageData`, ``rgb`` float32 ``(H, W, 3)``.
        mask: :class:`MaskLayer` float32 ``(H, W)`` in [0, 1], 1 = "to be changed".
        history: :class:`UndoHistory` with layers ``"image"`` and ``"mask"`` (and
            ``"alpha"`` when the image has alpha). An Upscale result replaces all of them
            by larger arrays (one size-changing step); undo/redo swap them back, so never
            keep a reference to ``image.rgb``, ``image.alpha`` or ``mask.data`` across edits.
        path: save target or None.
        project_path: the ``.texpaint`` project file it was last opened from or saved to, or
            None (see :func:`texpaint.document.project.save_project`).
        wrap: seamless mode: jobs tile with circular padding and brush dabs wrap around the
            image edges (:attr:`MaskLayer.wrap`).
        last_result_before: ``(region, rgb)`` of the newest AI result: its region box and the
            float32 pixels it replaced there (for before/after compare), or None.
    """

    def __init__(
        self,
        image: ImageData,
        path: str | os.PathLike[str] | None = None,
        history: UndoHistory | None = None,
    ) -> None:
        rgb = _owned(image.rgb)
        alpha = None if image.alpha is None else _owned(image.alpha)
        if rgb is not image.rgb or alpha is not image.alpha:
            image = dataclasses.replace(image, rgb=rgb, alpha=alpha)
        self.image: ImageData = image
        self.path: Path | None = Path(path) if path is not None else None
        self.mask = MaskLayer(image.height, image.width)  # wrap off
        self.history = history if history is not None else UndoHistory()
        self.history.register_layer(IMAGE_LAYER, self.image.rgb)
        self.history.register_layer(MASK_LAYER, self.mask.data)
        if alpha is not None:
            self.history.register_layer(ALPHA_LAYER, alpha)
        self.history.on_layers_replaced = self._layers_replaced
        self.mask.on_before_change = self._record_mask_change
        self.last_result_before: tuple[Box, np.ndarray] | None = None
        self._saved_token = self.history.state_token(IMAGE_LAYER)
        self.project_path: Path | None = None

    # ------------------------------------------------------------------ files
    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> TextureDocument:
        """Read an image file into a new document.

        Raises:
            ImageIOError: the file cannot be read (message is for the user).
        """
        return cls(read_image(path), path=path)

    def mark_image_saved(self, saved: bool = True) -> None:
        """Declare the current image equal (``saved=True``) or not to the document's image
        file; :attr:`modified` follows from then on."""
        self._saved_token = self.history.state_token(IMAGE_LAYER) if saved else -1

    @property
    def wrap(self) -> bool:
        """Seamless mode (see the class attributes); kept on the mask layer."""
        return self.mask.wrap

    @wrap.setter
    def wrap(self, on: bool) -> None:
        self.mask.wrap = bool(on)

    @property
    def size(self) -> tuple[int, int]:
        """``(H, W)`` in pixels."""
        return self.image.height, self.image.width

    @property
    def display_name(self) -> str:
        """File name for titles, or ``"Untitled"``."""
        return self.path.name if self.path is not None else "Untitled"

    @property
    def modified(self) -> bool:
        """True when the image differs from the last saved (or opened) file.

        Mask edits alone do not modify the document: the mask is a working layer (export it
        with :meth:`export_mask`).
        """
        return self.history.state_token(IMAGE_LAYER) != self._saved_token

    def save(
        self, path: str | os.PathLike[str] | None = None, sample_format: str | None = None
    ) -> Path:
        """Write the image (atomically); the format follows the file extension.

        Args:
            path: target, or None for :attr:`path`.
            sample_format: ``"uint8"``/``"uint16"``/``"float32"``, or None to keep the source
                file's sample format where the target format can store it.

        Returns:
            The path written.

        Raises:
            ValueError: no path given and the document has none.
            ImageIOError: the write failed; the previous file is untouched.
        """
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("the document has no file name yet; choose one with Save As")
        token = self.history.state_token(IMAGE_LAYER)
        write_image(target, self.image, sample_format=sample_format)
        self.mark_saved_as(target, token)
        return target

    def image_snapshot(self) -> tuple[ImageData, int]:
        """A copy of the image to write on another thread, and its state token.

        Returns:
            ``(image, token)``: an :class:`ImageData` whose ``rgb``/``alpha`` are copies (the
            document may change while it is written), and the token to pass to
            :meth:`mark_saved_as` once the write succeeded.
        """
        image = self.image
        copy = dataclasses.replace(
            image,
            rgb=image.rgb.copy(),
            alpha=None if image.alpha is None else image.alpha.copy(),
        )
        return copy, self.history.state_token(IMAGE_LAYER)

    def mark_saved_as(self, path: str | os.PathLike[str], token: int) -> None:
        """Record that the image state ``token`` (from :meth:`image_snapshot`) was written to
        ``path``: it becomes :attr:`path`, and :attr:`modified` is False while the image is
        still in that state."""
        self.path = Path(path)
        self._saved_token = token

    def export_mask(self, path: str | os.PathLike[str]) -> None:
        """Write the mask as an 8-bit greyscale PNG.

        Raises:
            ImageIOError: not a ``.png`` path, or the write failed.
        """
        write_mask(path, self.mask.data)

    def load_mask(self, path: str | os.PathLike[str]) -> Box:
        """Replace the mask with a mask file (alpha or luminance), as one undo step.

        Returns:
            The dirty box (the whole image).

        Raises:
            ImageIOError: unreadable file or a size other than the image's; mask untouched.
        """
        values = read_mask(path, shape=self.size)
        with self.history.block("Load mask"):
            return self.mask.set_data(values)

    def _layers_replaced(self, arrays: dict[str, np.ndarray]) -> None:
        """History hook: a size-changing step (or its undo/redo) installed new layer arrays."""
        image = self.image
        if IMAGE_LAYER in arrays or ALPHA_LAYER in arrays:
            self.image = dataclasses.replace(
                image,
                rgb=arrays.get(IMAGE_LAYER, image.rgb),
                alpha=arrays.get(ALPHA_LAYER, image.alpha),
            )
        if MASK_LAYER in arrays:
            self.mask.data = arrays[MASK_LAYER]
        self.last_result_before = None  # a before-image of another size cannot be compared

    # ------------------------------------------------------------------ mask edits
    def _record_mask_change(self, box: Box) -> None:
        if self.history.in_block:
            self.history.record_before(MASK_LAYER, box)
        else:  # raised before any pixel is written, so the mask stays untouched
            raise RuntimeError(
                "edit the document mask through TextureDocument methods so it can be undone"
            )

    def begin_stroke(self, label: str, erase: bool = False) -> None:
        """Open a brush stroke: every :meth:`stroke_segment` until :meth:`end_stroke` is one
        undo step, and dabs max-combine (see :meth:`MaskLayer.stroke_segment`)."""
        self.history.begin_block(label)
        self.mask.begin_stroke(erase)

    def stroke_segment(
        self,
        p0: Sequence[float],
        p1: Sequence[float],
        radius: float,
        hardness: float,
        opacity: float,
        pressure0: float = 1.0,
        pressure1: float = 1.0,
        erase: bool = False,
    ) -> Box | None:
        """Paint a segment of the open stroke (or a one-segment stroke). Returns the dirty box.

        Raises:
            ValueError: see :meth:`MaskLayer.stroke_segment`.
        """
        if not self.mask.in_stroke:
            with self.history.block("Eraser" if erase else "Brush"):
                return self.mask.stroke_segment(
                    p0, p1, radius, hardness, opacity, pressure0, pressure1, erase
                )
        return self.mask.stroke_segment(
            p0, p1, radius, hardness, opacity, pressure0, pressure1, erase
        )

    def end_stroke(self) -> None:
        """Close the stroke opened by :meth:`begin_stroke` (no-op when none is open)."""
        if self.mask.in_stroke:
            self.mask.end_stroke()
            self.history.end_block()

    def edit_mask(self, label: str, operation: str, *args: Any, **kwargs: Any) -> Box | None:
        """Run one :class:`MaskLayer` operation as one undo step.

        Args:
            label: history label, e.g. ``"Grow mask 4 px"``.
            operation: a MaskLayer method name: ``fill``, ``clear``, ``invert``, ``grow``,
                ``shrink``, ``feather``, ``fill_rect``, ``fill_polygon``, ``stamp_dab``.
            *args, **kwargs: passed to that method.

        Returns:
            The dirty box, or None when nothing changed.

        Raises:
            ValueError: unknown operation or bad arguments (mask untouched).
        """
        allowed = {
            "fill",
            "clear",
            "invert",
            "grow",
            "shrink",
            "feather",
            "fill_rect",
            "fill_polygon",
            "stamp_dab",
        }
        if operation not in allowed:
            raise ValueError(f"unknown mask operation {operation!r}")
        with self.history.block(label):
            return getattr(self.mask, operation)(*args, **kwargs)

    # ------------------------------------------------------------------ jobs
    def make_job(
        self,
        op: Operation | str,
        params: Mapping[str, Any] | None = None,
        model_id: str | None = None,
        style_id: str | None = None,
        seed: int = 0,
    ) -> Job:
        """Freeze a :class:`Job` holding copies of the image and mask.

        The job carries the mask as it is: an empty mask means "the whole image" to the
        operations that allow it (``MaskUse.WHOLE_IF_EMPTY`` in :mod:`texpaint.ops.base`);
        the runner refuses an empty one where the operation needs a mask (Inpaint), and the
        panel says so before a job is made. An operation's own refusals before a job is
        queued (an Upscale over the pixel cap) are :meth:`OperationSpec.check
        <texpaint.ops.base.OperationSpec.check>`, which :class:`~texpaint.ui.job_tracker.JobTracker`
        calls first.

        Raises:
            ValueError: an empty operation name.
        """
        mask = self.mask.data
        return Job(
            op=op,
            image=self.image.rgb,
            mask=mask,
            params=params if params is not None else {},
            model_id=model_id,
            style_id=style_id,
            seed=int(seed),
            wrap=self.wrap,
        )

    def apply_result(self, result: JobResult, clear_mask: bool = False) -> Box:
        """Write a job's result into the image as ONE undo step holding only ``result.region``.

        With ``clear_mask`` the mask is emptied in that same step (undo brings back both the
        former pixels and the mask), so the overlay no longer hides the result and the old
        mask does not limit the next operation. Upscale ignores it.

        A result of another size comes from an operation that changes it
        (``OperationSpec.changes_size``). A larger one (Upscale: float32
        ``(H * s, W * s, 3)``, whole number ``s >= 2``) replaces
        the image instead, as one size-changing step "Upscale {s}x" storing the whole layers
        before and after: the mask and the alpha (if any) are resampled to the new size with
        :func:`~texpaint.imaging.resample.resize_plane`, so the mask covers the same part of
        the texture; undo gives back the exact former pixels, mask and alpha. A smaller one
        (Make Seamless fitted to whole lattice periods) replaces it as one step
        "{label} (fit to period)", the mask emptied.

        Returns:
            The dirty box (``result.region`` clipped to the image; Upscale: the new image).

        Raises:
            ValueError: a larger result is not a whole multiple of the document's size or is
                over the pixel cap, or a result is larger on one axis and smaller on the
                other (nothing changes).
        """
        rgb = self.image.rgb
        if (
            result.changes_size
            and result.image.ndim == 3
            and result.image.shape[:2] != rgb.shape[:2]
        ):
            h, w = rgb.shape[:2]
            if result.image.shape[0] > h or result.image.shape[1] > w:
                return self._apply_upscale(result)
            return self._apply_fitted(result)
        if result.image.shape != rgb.shape:
            raise ValueError(
                f"result image {result.image.shape} does not match the document {rgb.shape}"
            )
        h, w = self.size
        y0, y1, x0, x1 = result.region
        box = (max(0, y0), min(h, y1), max(0, x0), min(w, x1))
        if box[0] >= box[1] or box[2] >= box[3]:
            return box
        sl = (slice(box[0], box[1]), slice(box[2], box[3]))
        before = rgb[sl].copy()
        label = operation_label(result)
        with self.history.block(label):
            rgb[sl] = result.image[sl]
            self.history.push_region(label, IMAGE_LAYER, box, before)
            if clear_mask:
                self.mask.clear()
        self.last_result_before = (box, before)
        return box

    def _apply_upscale(self, result: JobResult) -> Box:
        h, w = self.size
        out = result.image
        scale = out.shape[0] // h if out.ndim == 3 else 0
        if (
            out.ndim != 3
            or out.shape[2] != 3
            or scale < 2
            or out.shape[:2] != (h * scale, w * scale)
        ):
            raise ValueError(
                f"upscaled result {out.shape} is not a whole multiple (2x or more) of the "
                f"document {(h, w, 3)}"
            )
        size = upscaled_size(h, w, scale)
        layers = {
            IMAGE_LAYER: np.array(out, dtype=np.float32, order="C", copy=True),
            MASK_LAYER: resize_plane(self.mask.data, size),
        }
        if self.image.alpha is not None:
            layers[ALPHA_LAYER] = resize_plane(self.image.alpha, size)
        self.history.push_resize(f"{operation_label(result)} {scale}x", layers)
        return (0, size[0], 0, size[1])

    def _apply_fitted(self, result: JobResult) -> Box:
        """A smaller result (Make Seamless fitted to whole lattice periods, a few pixels to one
        period smaller per axis): replaces the image as one size-changing step; the mask is
        emptied (the operation ignored it) and the alpha resampled to the new size."""
        out = result.image
        h, w = self.size
        if (
            out.ndim != 3
            or out.shape[2] != 3
            or not (0 < out.shape[0] <= h and 0 < out.shape[1] <= w)
        ):
            raise ValueError(f"fitted result {out.shape} does not fit the document {(h, w, 3)}")
        size = (out.shape[0], out.shape[1])
        layers = {
            IMAGE_LAYER: np.array(out, dtype=np.float32, order="C", copy=True),
            MASK_LAYER: np.zeros(size, np.float32),
        }
        if self.image.alpha is not None:
            layers[ALPHA_LAYER] = resize_plane(self.image.alpha, size)
        self.history.push_resize(f"{operation_label(result)} (fit to period)", layers)
        return (0, size[0], 0, size[1])


def _owned(a: np.ndarray) -> np.ndarray:
    """``a`` as a C-contiguous, writable float32 array (a copy only when it is not one)."""
    out = np.ascontiguousarray(a, dtype=np.float32)
    return out if out.flags.writeable else out.copy()
