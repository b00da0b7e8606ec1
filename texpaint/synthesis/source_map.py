"""Per-pixel source maps: one fill decision, copied into every map of a material.

A *source map* says, for every pixel of an image, which pixel its value is copied from:
int32 ``(H, W, 2)`` holding absolute ``(row, column)`` indices into the same image (the
identity outside the hole). A patch-based fill (image quilting, Efros & Freeman 2001; a
nearest-neighbour field, Barnes et al. 2009) is decided once on a guide (the albedo of a
material, optionally with its height or normal map as extra channels) and the same source
map is then applied to the albedo, normal, height, roughness, ... maps, so the features of
every map stay aligned: a crack removed from the albedo is removed from the height map too,
with exactly the same replacement texture (the patch-offset idea of He & Sun, "Statistics of
Patch Offsets for Image Completion", ECCV 2012, applied across maps).

Two pieces:

* :func:`render_source_map`: replays block-quilting placements (from
  :func:`texpaint.imaging.quilting.plan_quilt`, planned on a possibly smaller guide) at full
  resolution, each block's offset refined by a local search of a few pixels and each block
  joined to earlier ones by a *hard* minimum-error boundary cut (Efros & Freeman 2001 §2.1):
  every hole pixel takes exactly one known source pixel, nothing is averaged, so the result
  can be replayed on any map without mixing values.
* :func:`apply_source_map`: copies through a source map into any array (any dtype, any
  number of channels), composited with a soft mask; pixels where the mask is 0 stay
  bit-identical; :func:`blend_pixels` is its soft-mask step for a list of pixels.

Arrays: guides float32 ``(H, W, C)``; holes ``(H, W)`` bool (True = to fill); masks float32
``(H, W)`` in [0, 1]. numpy + OpenCV only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from texpaint.imaging.quilting import Placement, energy_normalised_cost, min_error_cut_mask

__all__ = [
    "apply_source_map",
    "blend_pixels",
    "identity_source_map",
    "render_source_map",
    "source_offsets",
]

FILLED_WEIGHT = 0.5
"""Template weight of pixels filled by earlier blocks in the offset refinement (known
texture weighs 1)."""


def identity_source_map(height: int, width: int) -> np.ndarray:
    """The source map that copies every pixel from itself.

    Returns:
        int32 ``(height, width, 2)``: ``[y, x] = (y, x)``.
    """
    ys, xs = np.indices((height, width), dtype=np.int32)
    return np.ascontiguousarray(np.stack([ys, xs], axis=-1))


def source_offsets(source: np.ndarray) -> np.ndarray:
    """Patch offsets of a source map: ``source - identity``, int32 ``(H, W, 2)`` in pixels
    (``(dy, dx)``; 0 where a pixel copies itself). On a tiling image, offsets are not reduced
    modulo the size."""
    h, w = source.shape[:2]
    return (source.astype(np.int32) - identity_source_map(h, w)).astype(np.int32)


def apply_source_map(image: np.ndarray, source: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Copy pixels through ``source`` where ``mask > 0``.

    ``out = image * (1 - m) + image[source] * m`` where ``0 < m < 1``; ``out = image[source]``
    exactly where ``m >= 1``; ``out = image`` (bit-identical) where ``m == 0``.

    Args:
        image: ``(H, W)`` or ``(H, W, C)`` array of any numeric dtype (uint8/uint16 are
            blended in float32 and rounded back to the nearest level).
        source: int ``(H, W, 2)`` absolute ``(row, column)`` indices, each in
            ``[0, H) x [0, W)``.
        mask: float ``(H, W)`` in [0, 1] (or bool), 1 = take the source pixel.

    Returns:
        A new array of ``image``'s shape and dtype.

    Raises:
        ValueError: shapes disagree or a source index is out of range.
    """
    img = np.asarray(image)
    h, w = img.shape[:2]
    if source.shape != (h, w, 2) or np.asarray(mask).shape != (h, w):
        raise ValueError(
            f"image {img.shape}, source map {source.shape} and mask {np.shape(mask)} do not match"
        )
    m = np.asarray(mask, dtype=np.float32)
    out = img.copy()
    sel = m > 0
    if not sel.any():
        return out
    sy, sx = source[..., 0][sel], source[..., 1][sel]
    if sy.min() < 0 or sy.max() >= h or sx.min() < 0 or sx.max() >= w:
        raise ValueError("source map indices out of range")
    out[sel] = blend_pixels(img[sel], img[sy, sx], m[sel])
    return out


def blend_pixels(before: np.ndarray, taken: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Composite ``taken`` over ``before`` for a list of pixels (the soft-mask step of
    :func:`apply_source_map`): ``before * (1 - m) + taken * m`` where ``m < 1``, exactly
    ``taken`` where ``m >= 1``.

    Args:
        before: ``(N,)`` or ``(N, C)`` pixels of any numeric dtype (uint8/uint16 are blended
            in float32 and rounded back to the nearest level; floats blended in float32).
        taken: the same shape, the pixels copied in (cast to ``before``'s dtype).
        mask: float ``(N,)`` in (0, 1], the weight of ``taken``.

    Returns:
        A new ``(N,)`` / ``(N, C)`` array of ``before``'s dtype.
    """
    out = np.array(taken, dtype=before.dtype, copy=True)
    mv = np.asarray(mask, dtype=np.float32)
    partial = mv < 1.0
    if partial.any():
        mp = mv[partial].reshape((-1,) + (1,) * (before.ndim - 1))
        mixed = (
            before[partial].astype(np.float32) * (1 - mp)
            + np.asarray(taken[partial], np.float32) * mp
        )
        if np.issubdtype(before.dtype, np.integer):
            info = np.iinfo(before.dtype)
            mixed = np.clip(np.rint(mixed), info.min, info.max)
        out[partial] = mixed.astype(before.dtype)
    return out


def _take(a: np.ndarray, rows: np.ndarray, cols: np.ndarray, wrap: bool) -> np.ndarray:
    """``a[rows][:, cols]`` with wrapped indices (``wrap``) or 0 outside the image."""
    h, w = a.shape[:2]
    if wrap:
        return a[np.ix_(rows % h, cols % w)]
    ok = ((rows >= 0) & (rows < h))[:, None] & ((cols >= 0) & (cols < w))[None, :]
    v = a[np.ix_(np.clip(rows, 0, h - 1), np.clip(cols, 0, w - 1))]
    return np.where(ok if v.ndim == 2 else ok[..., None], v, 0).astype(a.dtype)


def _refine_offset(
    cur: np.ndarray,
    weight: np.ndarray,
    known: np.ndarray,
    y: int,
    x: int,
    size: int,
    dy: int,
    dx: int,
    r: int,
    wrap: bool,
    cost_kind: str = "ssd",
) -> tuple[int, int]:
    """Best offset within ``±r`` px of ``(dy, dx)`` for the block at ``(y, x)``: weighted SSD
    of the block plus a ring of ``size // 4`` against the shifted guide
    (``cv2.matchTemplate``), among shifts whose source block is entirely known."""
    ring = max(1, size // 4)
    t = size + 2 * ring
    yy = np.arange(y - ring, y - ring + t)
    xx = np.arange(x - ring, x - ring + t)
    sy = np.arange(y - ring + dy - r, y - ring + dy + r + t)
    sx = np.arange(x - ring + dx - r, x - ring + dx + r + t)
    tw = _take(weight, yy, xx, wrap)
    if tw.sum() <= 0:
        return dy, dx
    win, templ = _take(cur, sy, sx, wrap), _take(cur, yy, xx, wrap)
    if cost_kind == "normalised":
        cost = energy_normalised_cost(win, templ, tw)
    else:
        cost = cv2.matchTemplate(win, templ, cv2.TM_SQDIFF, mask=tw)
    src_known = _take(known.astype(np.float32), sy, sx, wrap)
    ii = cv2.integral(1.0 - src_known.astype(np.float64))
    unknown = ii[size:, size:] - ii[:-size, size:] - ii[size:, :-size] + ii[:-size, :-size]
    ok = unknown[ring : ring + 2 * r + 1, ring : ring + 2 * r + 1] < 0.5
    cost = np.where(ok, cost, np.inf)
    if not np.isfinite(cost).any():
        return dy, dx
    i, j = np.unravel_index(int(np.argmin(cost)), cost.shape)
    return dy + int(i) - r, dx + int(j) - r


def render_source_map(
    guide: np.ndarray,
    hole: np.ndarray,
    placements: Sequence[Placement],
    scale: tuple[float, float] = (1.0, 1.0),
    *,
    wrap: bool = False,
    refine_px: int = 0,
    cost: str = "ssd",
    stop: Callable[[], bool] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Replay quilting ``placements`` on ``guide`` as a per-pixel source map (hard cuts).

    Each placement's block and offset are scaled by ``scale``; the offset is refined by
    ``±refine_px`` (weighted SSD of block plus ring against what is already there); the
    block writes the hole pixels whose source is known texture, behind a minimum-error
    boundary cut where earlier blocks overlap it. Source pixels are always known (never
    hole) pixels, so chains of copies cannot occur.

    Args:
        guide: float32 ``(H, W, C)`` the fill is decided on (e.g. the albedo, optionally
            with weighted height/normal channels); hole pixels are not read.
        hole: ``(H, W)`` bool/{0, 1}, True = to fill.
        placements: from :func:`~texpaint.imaging.quilting.plan_quilt`, in planning pixels.
        scale: ``(sy, sx)`` = this guide's size / the planning image's size.
        wrap: the image tiles (sources wrap around the edges).
        refine_px: local offset search radius in pixels (0 = none).
        cost: the refinement's match cost, ``"ssd"`` or ``"normalised"``
            (:func:`~texpaint.imaging.quilting.energy_normalised_cost`: no preference for
            flat sources), as :func:`~texpaint.imaging.quilting.plan_quilt`'s ``cost``.
        stop: polled before every block; True ends early (partial map).

    Returns:
        ``(source, filled)``: int32 ``(H, W, 2)`` absolute source indices (identity where
        nothing was copied) and bool ``(H, W)``, True where a hole pixel got a source.

    Raises:
        ValueError: shapes disagree.
    """
    if guide.ndim != 3 or guide.shape[:2] != hole.shape:
        raise ValueError(f"guide {guide.shape} and hole {hole.shape} do not match")
    hole = hole.astype(bool)
    h, w = hole.shape
    known = ~hole
    ky, kx = scale
    cur = np.where(known[..., None], guide, 0.0).astype(np.float32)
    weight = known.astype(np.float32)
    filled = np.zeros((h, w), bool)
    source = identity_source_map(h, w)
    for pl in placements:
        if stop is not None and stop():
            break
        y0, x0 = round(pl.y * ky), round(pl.x * kx)
        size = max(1, round((pl.y + pl.size) * ky) - y0, round((pl.x + pl.size) * kx) - x0)
        dy, dx = round(pl.dy * ky), round(pl.dx * kx)
        if refine_px > 0:
            dy, dx = _refine_offset(cur, weight, known, y0, x0, size, dy, dx, refine_px, wrap, cost)
        ys = np.arange(y0, min(y0 + size, h))
        xs = np.arange(x0, min(x0 + size, w))
        sy, sx = ys + dy, xs + dx
        if wrap:
            sy, sx = sy % h, sx % w
        in_y, in_x = (sy >= 0) & (sy < h), (sx >= 0) & (sx < w)
        syc, sxc = np.clip(sy, 0, h - 1), np.clip(sx, 0, w - 1)
        src_ok = known[np.ix_(syc, sxc)] & in_y[:, None] & in_x[None, :]
        new = hole[np.ix_(ys, xs)] & src_ok
        earlier = filled[np.ix_(ys, xs)]
        occupied = earlier | known[np.ix_(ys, xs)]
        src = guide[np.ix_(syc, sxc)]
        err = np.where(occupied, ((cur[np.ix_(ys, xs)] - src) ** 2).sum(axis=-1), 0.0)
        take = new & (~earlier | min_error_cut_mask(err, occupied, max(1, size // 4)))
        if not take.any():
            continue
        ty, tx = np.nonzero(take)
        gy, gx = ys[ty], xs[tx]
        source[gy, gx, 0] = syc[ty]
        source[gy, gx, 1] = sxc[tx]
        cur[gy, gx] = guide[syc[ty], sxc[tx]]
        weight[gy, gx] = np.where(filled[gy, gx], weight[gy, gx], FILLED_WEIGHT)
        filled[gy, gx] = True
    return source, filled
