"""The inpainting mask of a texture document and the operations that edit it.

Coordinates: a pixel ``(y, x)`` covers the square ``[x, x + 1) x [y, y + 1)`` in image pixel
units, so its centre is at ``(x + 0.5, y + 0.5)``. Boxes are half-open ``(y0, y1, x0, x1)``
integer pixel ranges, already clipped to the image.

Every operation touches only the pixels it can change (documents may be 8192 x 8192), and
reports the box it may change to :attr:`MaskLayer.on_before_change` *before* writing, so an
undo history can keep the old pixels of just that box.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

Box = tuple[int, int, int, int]
"""Half-open pixel box ``(y0, y1, x0, x1)``."""

_STROKE_TILE = 128
_POLY_SUPERSAMPLE = 4  # lasso antialiasing: 4 x 4 samples per pixel


def union_box(a: Box | None, b: Box | None) -> Box | None:
    """Smallest box containing both ``a`` and ``b`` (either may be None)."""
    if a is None:
        return b
    if b is None:
        return a
    return (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))


def _disk(radius_px: int) -> np.ndarray:
    """uint8 disk structuring element of the given radius (diameter ``2 * radius + 1``)."""
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius_px + 1, 2 * radius_px + 1))


def _check_unit(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0 or math.isnan(value):
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return value


@dataclass
class _Stroke:
    """Per-stroke state: mask values at stroke start and the stroke's coverage, in sparse tiles.

    Coverage within a stroke is max-combined, so overlapping dabs never exceed the stroke
    opacity; the stroke is then composited over the mask as it was when the stroke began.
    """

    erase: bool
    before: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    coverage: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)


class MaskLayer:
    """Editable inpainting mask: float32 ``(H, W)`` in [0, 1], 1 = "to be changed".

    Args:
        height, width: mask size in pixels (both >= 1).
        data: optional initial float32 ``(H, W)`` array in [0, 1]; used in place (not copied)
            so an undo history and the layer share one buffer.

    Attributes:
        data: the mask pixels. Edit through the methods so dirty boxes are reported.
        on_before_change: called with the box an operation is about to change, before any
            pixel is written (the document points this at its undo history).
        wrap: seamless (tileable) mode: brush dabs that cross an image edge continue at the
            opposite edge, as on a texture repeated in both directions. Shapes (rectangle,
            lasso) and whole-mask operations are not affected.

    Raises:
        ValueError: a non-positive size, or ``data`` of the wrong shape/dtype.
    """

    def __init__(self, height: int, width: int, data: np.ndarray | None = None) -> None:
        if height < 1 or width < 1:
            raise ValueError(f"mask size must be positive, got {height}x{width}")
        if data is None:
            data = np.zeros((height, width), np.float32)
        elif data.shape != (height, width) or data.dtype != np.float32:
            raise ValueError(
                f"mask data must be float32 ({height}, {width}), got {data.dtype} {data.shape}"
            )
        self.data: np.ndarray = data
        self.on_before_change: Callable[[Box], None] | None = None
        self.wrap: bool = False
        self._stroke: _Stroke | None = None

    # ------------------------------------------------------------------ basics
    @property
    def shape(self) -> tuple[int, int]:
        """``(H, W)`` in pixels."""
        return self.data.shape  # type: ignore[return-value]

    def clip_box(self, y0: float, y1: float, x0: float, x1: float) -> Box | None:
        """Clip a (possibly fractional) box to the mask, rounding outward; None if empty."""
        h, w = self.shape
        b = (
            max(0, math.floor(y0)),
            min(h, math.ceil(y1)),
            max(0, math.floor(x0)),
            min(w, math.ceil(x1)),
        )
        return b if b[0] < b[1] and b[2] < b[3] else None

    def _will_change(self, box: Box) -> None:
        if self.on_before_change is not None:
            self.on_before_change(box)

    def is_empty(self) -> bool:
        """True when no pixel is above zero."""
        return not bool(self.data.any())

    def bbox(self) -> Box | None:
        """Tight half-open box of the non-zero pixels, or None when the mask is empty."""
        rows = np.flatnonzero(self.data.any(axis=1))
        if rows.size == 0:
            return None
        cols = np.flatnonzero(self.data[rows[0] : rows[-1] + 1].any(axis=0))
        return (int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)

    def coverage(self) -> float:
        """Mean mask value over the whole image, in [0, 1]."""
        return float(self.data.mean(dtype=np.float64))

    # ------------------------------------------------------------------ brush
    @staticmethod
    def dab_values(box: Box, cx: float, cy: float, radius_px: float, hardness: float) -> np.ndarray:
        """Soft round dab sampled at the pixel centres of ``box``.

        Returns float32 ``(y1 - y0, x1 - x0)`` in [0, 1]: 1 inside ``hardness * radius``,
        falling with a smoothstep to 0 at ``radius``; the falloff is at least 1 px wide so
        hard brushes are antialiased.
        """
        y0, y1, x0, x1 = box
        ys = np.arange(y0, y1, dtype=np.float32) + np.float32(0.5 - cy)
        xs = np.arange(x0, x1, dtype=np.float32) + np.float32(0.5 - cx)
        d = np.sqrt(ys[:, None] ** 2 + xs[None, :] ** 2)
        falloff = max((1.0 - hardness) * radius_px, 1.0)
        t = np.clip((radius_px - d) / np.float32(falloff), 0.0, 1.0)
        return (t * t * (3.0 - 2.0 * t)).astype(np.float32, copy=False)

    def begin_stroke(self, erase: bool = False) -> None:
        """Start a stroke: dabs until :meth:`end_stroke` max-combine instead of building up."""
        self._stroke = _Stroke(erase=bool(erase))

    def end_stroke(self) -> None:
        """Finish the current stroke (no-op when none is open)."""
        self._stroke = None

    @property
    def in_stroke(self) -> bool:
        """True between :meth:`begin_stroke` and :meth:`end_stroke`."""
        return self._stroke is not None

    def _apply_coverage(self, box: Box, cov: np.ndarray) -> None:
        """Max-combine ``cov`` (float32, shape of ``box``) into the open stroke and composite."""
        stroke = self._stroke
        assert stroke is not None
        self._will_change(box)
        y0, y1, x0, x1 = box
        t = _STROKE_TILE
        h, w = self.shape
        for ty in range(y0 // t, (y1 - 1) // t + 1):
            for tx in range(x0 // t, (x1 - 1) // t + 1):
                gy0, gx0 = ty * t, tx * t
                gy1, gx1 = min(gy0 + t, h), min(gx0 + t, w)
                key = (ty, tx)
                if key not in stroke.before:
                    stroke.before[key] = self.data[gy0:gy1, gx0:gx1].copy()
                    stroke.coverage[key] = np.zeros((gy1 - gy0, gx1 - gx0), np.float32)
                # intersection of this tile with the box, in tile and in box coordinates
                iy0, iy1, ix0, ix1 = max(y0, gy0), min(y1, gy1), max(x0, gx0), min(x1, gx1)
                tsl = (slice(iy0 - gy0, iy1 - gy0), slice(ix0 - gx0, ix1 - gx0))
                bsl = (slice(iy0 - y0, iy1 - y0), slice(ix0 - x0, ix1 - x0))
                tile_cov = stroke.coverage[key]
                np.maximum(tile_cov[tsl], cov[bsl], out=tile_cov[tsl])
                before = stroke.before[key][tsl]
                c = tile_cov[tsl]
                if stroke.erase:
                    out = before * (1.0 - c)
                else:
                    out = before + c * (1.0 - before)
                self.data[iy0:iy1, ix0:ix1] = out

    def _dab_box(self, cx: float, cy: float, radius_px: float) -> Box | None:
        return self.clip_box(cy - radius_px, cy + radius_px, cx - radius_px, cx + radius_px)

    def _dab_groups(
        self, dabs: list[tuple[float, float, float]]
    ) -> list[list[tuple[float, float, float]]]:
        """Split ``(cx, cy, radius)`` dabs into groups that each touch one compact area.

        Without :attr:`wrap` that is one group of the dabs as given. With it, every dab is also
        placed at each whole-image shift ``(cx + m * W, cy + n * H)`` that reaches the image,
        and dabs are grouped by their shift, so a stroke crossing the right edge yields one
        group near the right edge and one near the left, never a box spanning the width.
        """
        if not self.wrap:
            return [dabs]
        h, w = self.shape
        groups: dict[tuple[int, int], list[tuple[float, float, float]]] = {}
        for cx, cy, r in dabs:
            # shift k * size reaches the image when  -r < c + k * size < size + r
            ks_y = range(math.floor((-r - cy) / h) + 1, math.ceil((h + r - cy) / h))
            ks_x = range(math.floor((-r - cx) / w) + 1, math.ceil((w + r - cx) / w))
            for ky in ks_y:
                for kx in ks_x:
                    groups.setdefault((ky, kx), []).append((cx + kx * w, cy + ky * h, r))
        return list(groups.values())

    def stamp_dab(
        self,
        cx: float,
        cy: float,
        radius_px: float,
        hardness: float = 0.8,
        opacity: float = 1.0,
        erase: bool = False,
    ) -> Box | None:
        """Stamp one soft round dab centred at ``(cx, cy)`` (image pixel units).

        Inside an open stroke the dab max-combines with the stroke's earlier dabs; otherwise it
        is a stroke of its own. In :attr:`wrap` mode the part past an edge lands at the
        opposite edge.

        Args:
            cx, cy: centre in pixels (fractional allowed, may lie outside the image).
            radius_px: radius in pixels (> 0).
            hardness: 0 = falloff from the centre, 1 = hard edge (1 px antialiasing).
            opacity: maximum value the dab adds (paint) or removes (erase), in [0, 1].
            erase: lower the mask instead of raising it.

        Returns:
            The dirty box, or None when the dab misses the image.

        Raises:
            ValueError: radius <= 0 or hardness/opacity outside [0, 1].
        """
        return self.stroke_segment(
            (cx, cy), (cx, cy), radius_px, hardness, opacity, 1.0, 1.0, erase
        )

    def stroke_segment(
        self,
        p0: Sequence[float],
        p1: Sequence[float],
        radius: float,
        hardness: float = 0.8,
        opacity: float = 1.0,
        pressure0: float = 1.0,
        pressure1: float = 1.0,
        erase: bool = False,
    ) -> Box | None:
        """Paint (or erase) dabs along the segment ``p0 -> p1``, spaced about ``radius / 4``.

        Pressure in [0, 1] scales the dab radius, interpolated along the segment (a dab is never
        smaller than 0.5 px). Within one stroke (see :meth:`begin_stroke`) dabs max-combine, so
        the stroke never exceeds ``opacity`` however densely it overlaps itself; without an
        open stroke the segment is a stroke on its own. In :attr:`wrap` mode dabs crossing an
        edge also paint at the opposite edge (end points may lie anywhere, even several image
        sizes away).

        Args:
            p0, p1: ``(x, y)`` end points in image pixels.
            radius: full-pressure radius in pixels (> 0).
            hardness, opacity: in [0, 1], see :meth:`stamp_dab`.
            pressure0, pressure1: pen pressure at the end points, in [0, 1].
            erase: lower the mask instead of raising it.

        Returns:
            The dirty box, or None when the segment misses the image. In wrap mode it is the
            union of the areas painted, which for a stroke crossing an edge spans the image
            from edge to edge (pixels between were not changed).

        Raises:
            ValueError: radius <= 0 or a unit parameter outside [0, 1].
        """
        if not radius > 0:
            raise ValueError(f"brush radius must be > 0 px, got {radius}")
        hardness = _check_unit("hardness", hardness)
        opacity = _check_unit("opacity", opacity)
        pressure0 = _check_unit("pressure", pressure0)
        pressure1 = _check_unit("pressure", pressure1)
        x0, y0 = float(p0[0]), float(p0[1])
        x1, y1 = float(p1[0]), float(p1[1])
        length = math.hypot(x1 - x0, y1 - y0)
        spacing = max(radius * 0.25, 0.5)
        n = max(1, math.ceil(length / spacing))
        dabs = []
        for i in range(n + 1):
            f = i / n
            r = max(radius * (pressure0 + (pressure1 - pressure0) * f), 0.5)
            dabs.append((x0 + (x1 - x0) * f, y0 + (y1 - y0) * f, r))
        if opacity == 0.0:
            return None
        pieces: list[tuple[Box, np.ndarray]] = []
        for group in self._dab_groups(dabs):
            box: Box | None = None
            for cx, cy, r in group:
                box = union_box(box, self._dab_box(cx, cy, r))
            if box is None:
                continue
            by0, by1, bx0, bx1 = box
            cov = np.zeros((by1 - by0, bx1 - bx0), np.float32)
            for cx, cy, r in group:
                db = self._dab_box(cx, cy, r)
                if db is None:
                    continue
                sub = (slice(db[0] - by0, db[1] - by0), slice(db[2] - bx0, db[3] - bx0))
                np.maximum(cov[sub], self.dab_values(db, cx, cy, r, hardness), out=cov[sub])
            if opacity != 1.0:
                cov *= np.float32(opacity)
            pieces.append((box, cov))
        if not pieces:
            return None
        own_stroke = self._stroke is None
        if own_stroke:
            self.begin_stroke(erase)
        elif self._stroke.erase != erase:  # type: ignore[union-attr]
            raise ValueError("cannot switch between paint and erase inside one stroke")
        dirty: Box | None = None
        try:
            for box, cov in pieces:
                self._apply_coverage(box, cov)
                dirty = union_box(dirty, box)
        finally:
            if own_stroke:
                self.end_stroke()
        return dirty

    # ------------------------------------------------------------------ shapes
    def _combine(self, box: Box, values: np.ndarray, opacity: float, erase: bool) -> None:
        """Composite ``values`` (float32 in [0, 1], shape of ``box``) times opacity into box."""
        self._will_change(box)
        y0, y1, x0, x1 = box
        region = self.data[y0:y1, x0:x1]
        amount = values * np.float32(opacity)
        if erase:
            region *= 1.0 - amount
        else:
            np.maximum(region, amount, out=region)

    def fill_rect(
        self,
        y0: float,
        y1: float,
        x0: float,
        x1: float,
        opacity: float = 1.0,
        erase: bool = False,
    ) -> Box | None:
        """Fill (or erase) the rectangle ``[y0, y1) x [x0, x1)`` (clipped, rounded outward).

        Painting raises pixels to at least ``opacity``; erasing multiplies by ``1 - opacity``.
        Returns the dirty box, or None when the rectangle misses the image.

        Raises:
            ValueError: opacity outside [0, 1].
        """
        opacity = _check_unit("opacity", opacity)
        box = self.clip_box(min(y0, y1), max(y0, y1), min(x0, x1), max(x0, x1))
        if box is None:
            return None
        shape = (box[1] - box[0], box[3] - box[2])
        self._combine(box, np.ones(shape, np.float32), opacity, erase)
        return box

    def fill_polygon(
        self, points: Sequence[Sequence[float]], opacity: float = 1.0, erase: bool = False
    ) -> Box | None:
        """Fill (or erase) a closed polygon, e.g. a lasso, with antialiased edges.

        Args:
            points: ``(x, y)`` vertices in image pixels (at least 3).
            opacity: in [0, 1]; erase: lower instead of raise (see :meth:`fill_rect`).

        Returns:
            The dirty box, or None when the polygon misses the image or has < 3 points.
        """
        opacity = _check_unit("opacity", opacity)
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if len(pts) < 3:
            return None
        box = self.clip_box(
            pts[:, 1].min() - 1, pts[:, 1].max() + 1, pts[:, 0].min() - 1, pts[:, 0].max() + 1
        )
        if box is None:
            return None
        y0, y1, x0, x1 = box
        values = np.empty((y1 - y0, x1 - x0), np.float32)
        ss, shift, band = _POLY_SUPERSAMPLE, 4, 256
        for by0 in range(y0, y1, band):
            by1 = min(by0 + band, y1)
            # supersampled grid: sub-pixel j has its centre at image coordinate (j + 0.5) / ss
            local = (pts - [x0, by0]) * ss - 0.5
            fixed = np.round(local * (1 << shift)).astype(np.int32)
            buf = np.zeros(((by1 - by0) * ss, (x1 - x0) * ss), np.uint8)
            cv2.fillPoly(buf, [fixed], 1, lineType=cv2.LINE_8, shift=shift)
            cov = buf.reshape(by1 - by0, ss, x1 - x0, ss).sum(axis=(1, 3), dtype=np.float32)
            values[by0 - y0 : by1 - y0] = cov * np.float32(1.0 / (ss * ss))
        self._combine(box, values, opacity, erase)
        return box

    # ------------------------------------------------------------------ whole-mask ops
    def _full_box(self) -> Box:
        h, w = self.shape
        return (0, h, 0, w)

    def fill(self) -> Box:
        """Set every pixel to 1. Returns the dirty box (the whole mask)."""
        box = self._full_box()
        self._will_change(box)
        self.data.fill(1.0)
        return box

    def clear(self) -> Box | None:
        """Set every pixel to 0. Returns the dirty box (old non-zero bbox) or None if empty."""
        box = self.bbox()
        if box is None:
            return None
        self._will_change(box)
        y0, y1, x0, x1 = box
        self.data[y0:y1, x0:x1] = 0.0
        return box

    def invert(self) -> Box:
        """Replace every value ``m`` by ``1 - m``. Returns the dirty box (the whole mask)."""
        box = self._full_box()
        self._will_change(box)
        np.subtract(1.0, self.data, out=self.data)
        return box

    def set_data(self, values: np.ndarray) -> Box:
        """Replace the whole mask with ``values`` (``(H, W)``, clipped to [0, 1]).

        Raises:
            ValueError: the shape differs from the mask's.
        """
        if values.shape != self.shape:
            raise ValueError(f"mask shape {values.shape} does not match {self.shape}")
        box = self._full_box()
        self._will_change(box)
        np.clip(values, 0.0, 1.0, out=self.data, casting="unsafe")
        return box

    def _expanded_bbox(self, margin: int) -> Box | None:
        b = self.bbox()
        if b is None:
            return None
        return self.clip_box(b[0] - margin, b[1] + margin, b[2] - margin, b[3] + margin)

    def grow(self, px: int) -> Box | None:
        """Dilate the mask by a disk of radius ``px`` pixels (grey-level, soft edges kept).

        Returns the dirty box, or None when the mask is empty or ``px`` is 0.

        Raises:
            ValueError: ``px`` < 0.
        """
        px = int(px)
        if px < 0:
            raise ValueError(f"grow distance must be >= 0 px, got {px}")
        box = self._expanded_bbox(px + 1) if px else None
        if box is None:
            return None
        self._will_change(box)
        y0, y1, x0, x1 = box
        crop = self.data[y0:y1, x0:x1]
        crop[...] = cv2.dilate(crop, _disk(px), borderType=cv2.BORDER_CONSTANT, borderValue=0)
        return box

    def shrink(self, px: int) -> Box | None:
        """Erode the mask by a disk of radius ``px`` pixels; image edges do not erode it.

        Returns the dirty box, or None when the mask is empty or ``px`` is 0.

        Raises:
            ValueError: ``px`` < 0.
        """
        px = int(px)
        if px < 0:
            raise ValueError(f"shrink distance must be >= 0 px, got {px}")
        box = self._expanded_bbox(1) if px else None
        if box is None:
            return None
        self._will_change(box)
        y0, y1, x0, x1 = box
        crop = self.data[y0:y1, x0:x1]
        # default border for erode is +inf: pixels past the image edge never erode the mask
        crop[...] = cv2.erode(crop, _disk(px))
        return box

    def feather(self, px: float) -> Box | None:
        """Soften the mask edge with a Gaussian blur of standard deviation ``px / 2`` pixels.

        ``px`` is the feather radius: the edge ramp is about ``2 * px`` wide. Image edges
        reflect, so a mask touching the border stays solid there.

        Returns the dirty box, or None when the mask is empty or ``px`` is 0.

        Raises:
            ValueError: ``px`` < 0.
        """
        px = float(px)
        if px < 0:
            raise ValueError(f"feather radius must be >= 0 px, got {px}")
        sigma = px / 2.0
        if sigma == 0.0:
            return None
        reach = math.ceil(3.0 * sigma)
        box = self._expanded_bbox(reach + 1)
        if box is None:
            return None
        self._will_change(box)
        y0, y1, x0, x1 = box
        crop = self.data[y0:y1, x0:x1]
        k = 2 * reach + 1
        blurred = cv2.GaussianBlur(crop, (k, k), sigma, borderType=cv2.BORDER_REFLECT)
        np.clip(blurred, 0.0, 1.0, out=crop)
        return box
