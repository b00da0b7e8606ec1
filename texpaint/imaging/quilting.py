"""Exemplar fill of a hole by block quilting: real texture copied from the known region.

A network trained for minutes on a CPU reproduces colour and smooth structure but not the
fine, stochastic detail of a texture; copying that detail from elsewhere in the same image
does. texpaint's inpainting therefore builds a *texture hint* for the generator (see
``models/arch/ffc_inpaint.py``): the hole is covered by overlapping square blocks, each
copied from the known region where its surroundings match best, and the generator refines
that candidate (seams between blocks, colour continuity with the hole's edge).

Method: image quilting (Efros & Freeman, "Image Quilting for Texture Synthesis and
Transfer", SIGGRAPH 2001) used for hole filling in priority order (blocks with the most
known/filled context first, as in Criminisi, Pérez & Toyama, "Region Filling and Object
Removal by Exemplar-Based Image Inpainting", IEEE TIP 2004). Each block's template is the
block plus a context ring; the best source is the masked sum of squared differences over all
positions whose whole window is known texture (``cv2.matchTemplate`` with ``TM_SQDIFF`` and
a weight mask), chosen at random among near-best candidates so that large holes do not
repeat one source. Where a block overlaps earlier blocks or the hole's edge, it starts behind
the minimum-error boundary cut through the overlap (Efros & Freeman's dynamic programming),
softened over 3 px, so texture is not averaged (blurred) across block seams.

Two steps, so the search can run at a small working resolution and the copy at full
resolution (sharp detail, structure matched at the scale the eye sees):

* :func:`plan_quilt` searches block sources on a (downscaled) image → a list of
  :class:`Placement` (target block and source offset, in that image's pixels);
* :func:`render_quilt` replays the placements on an image of any scale, copying native
  pixels, optionally refining each offset by a local search of a few pixels.

Seamless (``wrap=True``): the image is a torus; templates and sources wrap around its edges.

Arrays: images float32 ``(H, W, C)`` (any value range; the caller's), hole masks
``(H, W)`` bool or {0, 1} (True/1 = hole). numpy + OpenCV only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "Placement",
    "plan_quilt",
    "render_quilt",
    "quilt_fill",
    "default_block_px",
    "hole_radius_px",
    "min_error_cut_mask",
    "energy_normalised_cost",
]

KNOWN_WEIGHT = 1.0
"""Template weight of original (known) pixels in the block matching."""

FILLED_WEIGHT = 0.5
"""Template weight of pixels filled by earlier blocks (less trusted than known texture)."""


@dataclass(frozen=True)
class Placement:
    """One quilted block: target ``[y, y + size) x [x, x + size)`` takes the pixels at
    ``(y + dy, x + dx)`` (all in pixels of the planning image; wrapped when seamless)."""

    y: int
    x: int
    size: int
    dy: int
    dx: int


def hole_radius_px(hole: np.ndarray) -> float:
    """Largest inscribed radius (pixels) of ``hole`` ``(H, W)`` (bool/{0,1}, True = hole):
    the maximum Euclidean distance transform (``cv2.DIST_L2``, 5x5 mask); 0 when empty."""
    return float(cv2.distanceTransform((hole > 0).astype(np.uint8), cv2.DIST_L2, 5).max())


def default_block_px(hole_radius_px: float) -> int:
    """Block side (pixels) for a hole whose largest inscribed radius is ``hole_radius_px``
    at the planning resolution: about two thirds of the radius, clamped to [8, 24]."""
    return int(np.clip(round(hole_radius_px * 0.66), 8, 24))


def _pad(a: np.ndarray, p: int, wrap: bool, fill: float = 0.0) -> np.ndarray:
    widths = [(p, p), (p, p)] + [(0, 0)] * (a.ndim - 2)
    if wrap:
        return np.pad(a, widths, mode="wrap")
    return np.pad(a, widths, mode="constant", constant_values=fill)


def _window_sums(a: np.ndarray, k: int) -> np.ndarray:
    """Sum of ``a`` (2-D) over every ``k x k`` window; result ``(H - k + 1, W - k + 1)``."""
    ii = cv2.integral(a.astype(np.float64))
    return ii[k:, k:] - ii[:-k, k:] - ii[k:, :-k] + ii[:-k, :-k]


def _min_cut_columns(err: np.ndarray) -> np.ndarray:
    """Minimum-cost top-to-bottom path through ``err`` ``(L, ov)`` moving at most one column
    per row (dynamic programming, Efros & Freeman 2001 §2.1); returns its column per row."""
    n_rows, n_cols = err.shape
    cost = err.astype(np.float64).copy()
    for i in range(1, n_rows):
        prev = cost[i - 1]
        left = np.concatenate([[np.inf], prev[:-1]])
        right = np.concatenate([prev[1:], [np.inf]])
        cost[i] += np.minimum(prev, np.minimum(left, right))
    path = np.empty(n_rows, np.int64)
    path[-1] = int(np.argmin(cost[-1]))
    for i in range(n_rows - 2, -1, -1):
        j = path[i + 1]
        lo, hi = max(0, j - 1), min(n_cols, j + 2)
        path[i] = lo + int(np.argmin(cost[i, lo:hi]))
    return path


def _cut_mask(err: np.ndarray, filled: np.ndarray, ov: int) -> np.ndarray:
    """Which pixels of a block take the new texture: for each side whose ``ov``-wide strip
    overlaps existing content (``filled``), pixels outside the minimum-error boundary cut
    through that strip keep the old content. ``err``, ``filled``: ``(h, w)``; returns bool
    ``(h, w)``."""
    h, w = err.shape
    take = np.ones((h, w), bool)
    ov = min(ov, h, w)
    if ov < 2:
        return take
    cols = np.arange(ov)
    rows = np.arange(ov)
    if filled[:, :ov].any():  # left strip
        take[:, :ov] &= cols[None, :] >= _min_cut_columns(err[:, :ov])[:, None]
    if filled[:, w - ov :].any():  # right strip (mirrored)
        path = _min_cut_columns(err[:, w - ov :][:, ::-1])
        take[:, w - ov :] &= (cols[::-1][None, :]) >= path[:, None]
    if filled[:ov, :].any():  # top strip (transposed)
        take[:ov, :] &= rows[:, None] >= _min_cut_columns(err[:ov, :].T)[None, :]
    if filled[h - ov :, :].any():  # bottom strip
        path = _min_cut_columns(err[h - ov :, :][::-1].T)
        take[h - ov :, :] &= rows[::-1][:, None] >= path[None, :]
    return take


def min_error_cut_mask(err: np.ndarray, filled: np.ndarray, overlap_px: int) -> np.ndarray:
    """Which pixels of a new block replace existing content (Efros & Freeman's minimum-error
    boundary cut, per side).

    Args:
        err: float ``(h, w)`` squared difference between the new block and what is there.
        filled: bool ``(h, w)``, True where content exists (known pixels, earlier blocks).
        overlap_px: width of the strip along each side searched for the cut.

    Returns:
        bool ``(h, w)``: True = take the new block. For each side whose strip holds filled
        pixels, those beyond the cheapest top-to-bottom (left-to-right) path keep the old
        content.
    """
    return _cut_mask(err, filled, overlap_px)


def energy_normalised_cost(win: np.ndarray, templ: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Masked SSD of ``templ`` at every position of ``win``, divided by the two windows'
    weighted energies about their own means: ``SSD / (E_templ + E_source)``.

    Plain SSD prefers flat sources: a source whose sparse features (specks, chips, bumps) do
    not line up with the template's costs ``E_templ + E_source``, a flat one only
    ``E_templ``, so searches drift to the texture's emptiest parts and a fill holds fewer
    features than the texture. Divided by ``E_templ + E_source`` (about 1 for any unaligned
    source, flat or not; below 1 only where features line up; the DC mismatch still counts),
    the choice no longer depends on how many features a source holds. A symmetric form of
    normalised cross-correlation (cf. Lewis, "Fast Normalized Cross-Correlation", 1995)
    that keeps SSD's colour term.

    Args:
        win: float32 ``(H, W, C)`` (or ``(H, W)``) search window.
        templ: float32 ``(t, t, C)`` (or ``(t, t)``) template, ``t <= min(H, W)``.
        weight: float32 ``(t, t)`` template weights (0 = ignored), as ``cv2.matchTemplate``'s
            ``mask`` (OpenCV squares it in ``TM_SQDIFF``; so is it here).

    Returns:
        float32 ``(H - t + 1, W - t + 1)`` cost, >= 0 (smaller = better).
    """
    ssd = cv2.matchTemplate(win, templ, cv2.TM_SQDIFF, mask=weight)
    w2 = (weight.astype(np.float32)) ** 2
    total = float(w2.sum())
    if total <= 0:
        return np.zeros_like(ssd)
    t3 = templ if templ.ndim == 3 else templ[..., None]
    mu = (t3 * w2[..., None]).sum(axis=(0, 1)) / total
    e_t = float((w2[..., None] * (t3 - mu) ** 2).sum())
    nr, nc = ssd.shape
    s1 = cv2.filter2D(win, cv2.CV_32F, w2, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)[:nr, :nc]
    s2 = cv2.filter2D(win * win, cv2.CV_32F, w2, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)
    s2 = s2[:nr, :nc]
    if s1.ndim == 2:
        s1, s2 = s1[..., None], s2[..., None]
    e_s = np.maximum((s2 - s1 * s1 / total).sum(axis=-1), 0.0)
    return (ssd / (e_t + e_s + 1e-6 * total)).astype(np.float32)


def _block_grid(hole: np.ndarray, size: int, step: int) -> list[tuple[int, int]]:
    """Top-left corners of blocks of ``size`` on a grid of ``step`` covering every hole
    pixel, clipped to the image, keeping only blocks that contain hole pixels."""
    h, w = hole.shape
    rows = np.flatnonzero(hole.any(axis=1))
    cols = np.flatnonzero(hole.any(axis=0))
    if rows.size == 0:
        return []

    def starts(lo: int, hi: int, n: int) -> list[int]:
        span = hi - lo + 1
        count = max(1, math.ceil(max(span - size, 0) / step) + 1)
        out = [min(max(0, lo + i * step), max(0, n - size)) for i in range(count)]
        return sorted(set(out))

    blocks = []
    for y in starts(int(rows[0]), int(rows[-1]), h):
        for x in starts(int(cols[0]), int(cols[-1]), w):
            if hole[y : y + size, x : x + size].any():
                blocks.append((y, x))
    return blocks


def plan_quilt(
    image: np.ndarray,
    hole: np.ndarray,
    block_px: int,
    *,
    wrap: bool = False,
    seed: int = 0,
    search_px: int | None = None,
    tolerance: float = 0.1,
    max_candidates: int = 8,
    cost: str = "ssd",
    stop: Callable[[], bool] | None = None,
) -> list[Placement]:
    """Choose a source for every block covering the hole (image quilting, see module doc).

    Args:
        image: float32 ``(H, W, C)``; hole pixels are ignored (never read as texture).
        hole: ``(H, W)`` bool/{0,1}, True = to fill.
        block_px: block side in pixels (>= 4); blocks overlap by a quarter of it and are
            matched with a context ring of a quarter of it around them.
        wrap: the image tiles (sources and templates wrap around the edges).
        seed: seeds the random choice among near-best sources (deterministic per seed).
        search_px: sources are searched within this many pixels of the block (default
            ``max(64, 6 * block_px)``; locality also suits textures that drift slowly);
            when no source qualifies there, the whole image is searched.
        tolerance: candidates whose cost is within ``(1 + tolerance)`` of the best (plus a
            small absolute slack) are equally likely.
        max_candidates: at most this many of the best positions are considered.
        cost: ``"ssd"`` (default): masked sum of squared differences; ``"normalised"``:
            :func:`energy_normalised_cost`, which does not prefer flat sources (fills of
            textures with sparse features keep their density of features).
        stop: polled before every block; True ends the search early (the placements so far
            are returned; the caller checks its own cancel flag).

    Returns:
        Placements in fill order; empty when the hole is empty or no window of the image is
        entirely known (the caller then falls back to a smooth fill).

    Raises:
        ValueError: shapes disagree or ``block_px < 4``.
    """
    if image.ndim != 3 or image.shape[:2] != hole.shape:
        raise ValueError(f"image {image.shape} and hole {hole.shape} do not match")
    if block_px < 4:
        raise ValueError(f"block_px must be >= 4, got {block_px}")
    if cost not in ("ssd", "normalised"):
        raise ValueError(f"cost must be 'ssd' or 'normalised', got {cost!r}")
    hole = hole.astype(bool)
    h, w = hole.shape
    size = min(block_px, h, w)
    ov = max(1, size // 4)
    ring = max(1, size // 4)
    t = size + 2 * ring  # template side
    if t >= min(h, w) and not wrap:
        return []
    search = search_px if search_px is not None else max(64, 6 * size)
    p = t  # padding of the search frame
    known = ~hole
    src_ok = _pad(known.astype(np.float32), p, wrap)  # source pixels (pad: none unless wrap)
    valid = _window_sums(1.0 - src_ok, t) < 0.5  # template windows entirely of known texture
    if wrap:  # positions are unique modulo the image size: keep one copy of each
        only = np.zeros_like(valid)
        only[p - ring : p - ring + h, p - ring : p - ring + w] = True
        valid &= only
    if not valid.any():
        return []
    rng = np.random.default_rng(seed)
    cur = np.where(known[..., None], image, 0.0).astype(np.float32)
    weight = np.where(known, KNOWN_WEIGHT, 0.0).astype(np.float32)
    frame = _pad(cur, p, wrap)
    wf = _pad(weight, p, wrap)
    blocks = _block_grid(hole, size, size - ov)

    def context(y: int, x: int) -> float:
        """Known/filled weight in the template of the block at ``(y, x)`` (its priority)."""
        return float(wf[y + p - ring : y + p - ring + t, x + p - ring : x + p - ring + t].sum())

    score = np.array([context(y, x) for y, x in blocks])
    todo = np.ones(len(blocks), bool)
    corners = np.array(blocks, dtype=np.int64).reshape(-1, 2)
    placements: list[Placement] = []
    for _ in range(len(blocks)):
        if stop is not None and stop():
            break
        i = int(np.argmax(np.where(todo, score, -np.inf)))
        todo[i] = False
        y, x = blocks[i]
        ty, tx = y + p - ring, x + p - ring
        templ = frame[ty : ty + t, tx : tx + t]
        tw = wf[ty : ty + t, tx : tx + t]
        found = None
        for radius in (search, None):
            if radius is None:
                r0, r1, c0, c1 = 0, valid.shape[0], 0, valid.shape[1]
            else:
                r0, r1 = max(0, ty - radius), min(valid.shape[0], ty + radius + 1)
                c0, c1 = max(0, tx - radius), min(valid.shape[1], tx + radius + 1)
            ok = valid[r0:r1, c0:c1]
            if not ok.any():
                continue
            win = frame[r0 : r1 + t - 1, c0 : c1 + t - 1]
            err: np.ndarray
            if tw.sum() <= 0:
                err = np.zeros(ok.shape, np.float32)
            elif cost == "normalised":
                err = energy_normalised_cost(win, templ, tw)
            else:
                err = cv2.matchTemplate(win, templ, cv2.TM_SQDIFF, mask=tw)
            found = (np.where(ok, err, np.inf), r0, c0)
            break
        if found is None:
            continue
        costs, r0, c0 = found
        flat = costs.ravel()
        k = min(max_candidates, int(np.isfinite(flat).sum()))
        best = np.argpartition(flat, k - 1)[:k]
        low = flat[best].min()
        floor = 1e-6 if cost == "normalised" else 1e-4 * max(float(tw.sum()), 1.0)
        slack = low * tolerance + floor
        near = best[flat[best] <= low + slack]
        sy, sx = np.unravel_index(int(rng.choice(near)), costs.shape)
        dy, dx = int(sy + r0 - ty), int(sx + c0 - tx)
        _paste(cur, weight, hole, image, y, x, size, dy, dx, ov, wrap)
        _sync_frame(frame, wf, cur, weight, y, x, size, p, wrap)
        placements.append(Placement(y, x, size, dy, dx))
        # blocks whose template overlaps this block gained context: rescore them
        near_blocks = np.flatnonzero(
            todo & (np.abs(corners[:, 0] - y) < t + ring) & (np.abs(corners[:, 1] - x) < t + ring)
        )
        for j in near_blocks:
            score[j] = context(*blocks[j])
    return placements


def _sync_frame(
    frame: np.ndarray,
    wf: np.ndarray,
    cur: np.ndarray,
    weight: np.ndarray,
    y: int,
    x: int,
    size: int,
    p: int,
    wrap: bool,
) -> None:
    """Copy the block ``[y, y+size) x [x, x+size)`` of ``cur``/``weight`` into the padded
    search frames (offset ``p``), and into the padding's wrapped copies when seamless."""
    h, w = weight.shape
    y1, x1 = min(y + size, h), min(x + size, w)
    shifts_y = (-h, 0, h) if wrap else (0,)
    shifts_x = (-w, 0, w) if wrap else (0,)
    hf, wfw = wf.shape
    for oy in shifts_y:
        for ox in shifts_x:
            fy0, fy1 = y + p + oy, y1 + p + oy
            fx0, fx1 = x + p + ox, x1 + p + ox
            cy0, cy1 = max(fy0, 0), min(fy1, hf)
            cx0, cx1 = max(fx0, 0), min(fx1, wfw)
            if cy0 >= cy1 or cx0 >= cx1:
                continue
            sy0, sx0 = cy0 - fy0 + y, cx0 - fx0 + x
            frame[cy0:cy1, cx0:cx1] = cur[sy0 : sy0 + cy1 - cy0, sx0 : sx0 + cx1 - cx0]
            wf[cy0:cy1, cx0:cx1] = weight[sy0 : sy0 + cy1 - cy0, sx0 : sx0 + cx1 - cx0]


def _paste(
    cur: np.ndarray,
    weight: np.ndarray,
    hole: np.ndarray,
    source: np.ndarray,
    y: int,
    x: int,
    size: int,
    dy: int,
    dx: int,
    ov: int,
    wrap: bool,
) -> None:
    """Copy the block at ``(y, x)`` from ``source`` shifted by ``(dy, dx)`` into the hole
    pixels of ``cur``; where earlier blocks (or known pixels) overlap it, the block starts
    behind a minimum-error boundary cut (:func:`_cut_mask`), softened over 3 px. Updates
    ``weight``."""
    h, w = hole.shape
    ys = np.arange(y, min(y + size, h))
    xs = np.arange(x, min(x + size, w))
    sy, sx = ys + dy, xs + dx
    if wrap:
        sy, sx = sy % h, sx % w
    iy = (sy >= 0) & (sy < h)
    ix = (sx >= 0) & (sx < w)
    syc, sxc = np.clip(sy, 0, h - 1), np.clip(sx, 0, w - 1)
    src = source[np.ix_(syc, sxc)]
    src_known = ~hole[np.ix_(syc, sxc)] & iy[:, None] & ix[None, :]
    tgt_hole = hole[np.ix_(ys, xs)]
    filled = weight[np.ix_(ys, xs)] > 0
    blk = cur[np.ix_(ys, xs)]
    err = np.where(filled, ((blk - src) ** 2).sum(axis=-1), 0.0)
    alpha = cv2.blur(_cut_mask(err, filled, ov).astype(np.float32), (3, 3))
    new = tgt_hole & src_known  # pixels this block may write
    a = np.where(filled, alpha, 1.0) * new
    cur[np.ix_(ys, xs)] = blk * (1 - a[..., None]) + src * a[..., None]
    weight[np.ix_(ys, xs)] = np.where(new & ~filled, FILLED_WEIGHT, weight[np.ix_(ys, xs)])


def render_quilt(
    image: np.ndarray,
    hole: np.ndarray,
    placements: list[Placement],
    scale: tuple[float, float] = (1.0, 1.0),
    *,
    wrap: bool = False,
    refine_px: int = 0,
    stop: Callable[[], bool] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Replay ``placements`` (planned on an image ``scale`` times smaller) on ``image``.

    Args:
        image: float32 ``(H, W, C)`` at full (or any) resolution; hole pixels are not read.
        hole: ``(H, W)`` bool/{0,1}, True = to fill.
        placements: from :func:`plan_quilt`, in planning pixels.
        scale: ``(sy, sx)`` = this image's size / the planning image's size per axis.
        wrap: the image tiles.
        refine_px: search ± this many pixels around each scaled offset for the source that
            best matches what is already there (masked SSD over the block plus a ring), which
            corrects rounding and aligns fine structure at full resolution; 0 = no search.
        stop: polled before every block; True ends early (partial fill).

    Returns:
        ``(fill, filled)``: ``fill`` float32 ``(H, W, C)`` = ``image`` outside the hole and
        the quilted texture inside; ``filled`` bool ``(H, W)``, True where a hole pixel got
        texture (hole pixels no block reached stay False and hold 0).

    Raises:
        ValueError: shapes disagree.
    """
    if image.ndim != 3 or image.shape[:2] != hole.shape:
        raise ValueError(f"image {image.shape} and hole {hole.shape} do not match")
    hole = hole.astype(bool)
    h, w = hole.shape
    ky, kx = scale
    known = ~hole
    cur = np.where(known[..., None], image, 0.0).astype(np.float32)
    weight = np.where(known, KNOWN_WEIGHT, 0.0).astype(np.float32)
    for pl in placements:
        if stop is not None and stop():
            break
        y0, x0 = round(pl.y * ky), round(pl.x * kx)
        size_y = max(1, round((pl.y + pl.size) * ky) - y0)
        size_x = max(1, round((pl.x + pl.size) * kx) - x0)
        size = max(size_y, size_x)
        dy, dx = round(pl.dy * ky), round(pl.dx * kx)
        ov = max(1, size // 4)
        if refine_px > 0:
            dy, dx = _refine(cur, weight, known, y0, x0, size, dy, dx, refine_px, wrap)
        _paste(cur, weight, hole, cur, y0, x0, size, dy, dx, ov, wrap)
    filled = hole & (weight > 0)
    return cur, filled


def _refine(
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
) -> tuple[int, int]:
    """Best offset within ``±r`` of ``(dy, dx)`` for the block at ``(y, x)``: masked SSD of
    the block plus a ring against the shifted image, among shifts whose source block is
    entirely known. Returns the original offset when no shift qualifies."""
    h, w = known.shape
    ring = max(1, size // 4)
    t = size + 2 * ring
    yy = np.arange(y - ring, y - ring + t)
    xx = np.arange(x - ring, x - ring + t)
    sy = np.arange(y - ring + dy - r, y - ring + dy + r + t)
    sx = np.arange(x - ring + dx - r, x - ring + dx + r + t)

    def take(a: np.ndarray, rows: np.ndarray, cols: np.ndarray, outside: float) -> np.ndarray:
        if wrap:
            return a[np.ix_(rows % h, cols % w)]
        ok = ((rows >= 0) & (rows < h))[:, None] & ((cols >= 0) & (cols < w))[None, :]
        v = a[np.ix_(np.clip(rows, 0, h - 1), np.clip(cols, 0, w - 1))]
        okb = ok if v.ndim == 2 else ok[..., None]
        return np.where(okb, v, outside).astype(np.float32)

    templ = take(cur, yy, xx, 0.0)
    tw = take(weight, yy, xx, 0.0)
    if tw.sum() <= 0:
        return dy, dx
    search = take(cur, sy, sx, 0.0)
    src_known = take(known.astype(np.float32), sy, sx, 0.0)
    cost = cv2.matchTemplate(search, templ, cv2.TM_SQDIFF, mask=tw)  # (2r+1, 2r+1)
    # the source BLOCK (without the ring) must be known texture
    blk_ok = _window_sums(1.0 - src_known, size)
    blk_ok = blk_ok[ring : ring + 2 * r + 1, ring : ring + 2 * r + 1] < 0.5
    cost = np.where(blk_ok, cost, np.inf)
    if not np.isfinite(cost).any():
        return dy, dx
    i, j = np.unravel_index(int(np.argmin(cost)), cost.shape)
    return dy + int(i) - r, dx + int(j) - r


def quilt_fill(
    image: np.ndarray,
    hole: np.ndarray,
    block_px: int,
    *,
    wrap: bool = False,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`plan_quilt` and :func:`render_quilt` on the same image (no rescaling).

    Returns ``(fill, filled)`` as :func:`render_quilt`. Raises ValueError as
    :func:`plan_quilt`."""
    placements = plan_quilt(image, hole, block_px, wrap=wrap, seed=seed)
    return render_quilt(image, hole, placements, wrap=wrap)
