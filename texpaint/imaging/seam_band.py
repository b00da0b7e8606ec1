"""Re-synthesise a band across a seam of a wrap-around image by quilting real texture into it.

Make Seamless moves the wrap seams into the image (a roll by half its size) and replaces a band
over each with texture copied from elsewhere in the same image (the patch-based route of image
quilting, Efros & Freeman, SIGGRAPH 2001, and graph-cut textures, Kwatra et al., SIGGRAPH
2003). The band is cut into overlapping segments along its length; each segment copies the
block of the image at an offset ``(dy, dx)``:

* with a **lattice** (periodic textures: bricks, tiles, planks), the offsets are lattice
  vectors, so a copied block carries mortar courses, grout lines and plank gaps exactly where
  the texture around the band has them: a course can be neither deleted nor doubled;
* without one, among random offsets (and ``+-2`` px around the best), the one whose block best
  matches the known pixels it overlaps (sum of squared differences);
* with a lattice, the best few vectors are also tried ``+-``:data:`LATTICE_JITTER_PX` px off
  (real courses and joints drift from the lattice), and each overlap pixel weighs
  ``1 + EDGE_WEIGHT * edge / mean edge`` in the cost (Sobel magnitude of the target's
  luminance), so joints meet joints.

Each segment is pasted behind minimum-error boundary cuts through its overlap with the band's
original edges and with the previous segment (:func:`~texpaint.imaging.quilting.
min_error_cut_mask`), softened over 3 px, after a constant colour offset that matches its mean
to those overlaps (low-frequency lighting). The last segment wraps round onto the first, so the
band closes on the torus.

Arrays: float32 ``(H, W, C)`` images (any value range), offsets in pixels ``(dy, dx)``.
numpy + OpenCV only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from texpaint.imaging.quilting import min_error_cut_mask

__all__ = ["quilt_band", "band_overlap_px"]

RANDOM_CANDIDATES = 192
"""Random offsets tried per segment when no lattice constrains them."""

EDGE_WEIGHT = 4.0
"""With a lattice, overlap pixels weigh ``1 + EDGE_WEIGHT * edge / mean edge`` in the offset
cost (Sobel magnitude of the target's luminance), so a copy whose joints and mortar edges
meet the neighbours' wins over one that only matches their colour."""

COST_SAMPLES = 3000
"""Most overlap pixels an offset's cost is computed over (wide lattice overlaps at 1 MP hold
tens of thousands)."""

LATTICE_JITTER_PX = 3
"""Lattice offsets are refined by up to this many pixels on each axis (real courses drift)."""

LATTICE_REFINE_TOP = 3
"""How many of the best lattice offsets are refined by :data:`LATTICE_JITTER_PX`."""

NEAR_BEST = 0.15
"""Offsets whose cost is within this fraction of the best are chosen among at random."""


def band_overlap_px(band_px: int) -> int:
    """Width (pixels) of the overlap strips where a band's cuts run: a quarter of the band,
    4-24 px."""
    return int(np.clip(band_px // 4, 4, 24))


def _gather(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    return image[np.mod(rows, h)[..., :, None], np.mod(cols, w)[..., None, :]]


def quilt_band(
    image: np.ndarray,
    centre: int,
    band_px: int,
    *,
    axis: int = 1,
    offsets: Sequence[tuple[int, int]] | None = None,
    free_axis: tuple[float, float] | None = None,
    fallback_offsets: Sequence[tuple[int, int]] | None = None,
    avoid: np.ndarray | None = None,
    segment_px: int | None = None,
    overlap_px: int | None = None,
    seed: int = 0,
    stop: Callable[[], bool] | None = None,
) -> np.ndarray:
    """Replace the band of ``band_px`` centred on a seam by quilted texture (module doc).

    Args:
        image: float32 ``(H, W, C)``, treated as a torus (wrap-around on both axes).
        centre: the seam's position: the column boundary ``x = centre`` (``axis=1``, a
            vertical band spanning every row) or the row boundary ``y = centre`` (``axis=0``).
        band_px: band width in pixels (>= 4); the cuts run within :func:`band_overlap_px` of
            each side, so up to ``band_px / 2 + overlap`` px from the seam change.
        axis: 1 = vertical band (seam between columns), 0 = horizontal band.
        offsets: candidate source offsets ``(dy, dx)`` (lattice vectors); None = random.
            Offsets whose source strip would overlap the band are skipped.
        free_axis: with ``offsets``, a unit direction ``(dy, dx)`` along which a random
            shift is added to each offset (a one-dimensional lattice: planks may slide along
            their gaps); None = offsets as given.
        fallback_offsets: with ``offsets``, further offsets ``(dy, dx)`` (longer lattice
            vectors) tried only for a segment that no offset of ``offsets`` can fill.
        avoid: bool ``(H, W)``, pixels not copied (another seam not yet healed); None. With
            ``offsets``, a segment that no offset can fill without them takes an offset that
            only keeps clear of the band itself before falling back to random offsets.
        segment_px: segment length along the band (default ``max(2 * band_px, 48)``).
        overlap_px: width of the strips at each side where the cuts run (default
            :func:`band_overlap_px`); wide enough to hold a mortar course, the cut can follow
            the course instead of crossing bricks.
        seed: seeds the random offsets and the choice among near-best ones.
        stop: polled before each segment; True returns early (partly filled band).

    Returns:
        float32 ``(H, W, C)``, a new array; pixels farther than ``band_px / 2 + overlap`` from
        the seam are bit-identical to ``image``.

    Raises:
        ValueError: bad shapes, ``band_px < 4`` or a band wider than a third of the image.
    """
    img = np.asarray(image, dtype=np.float32)
    if img.ndim != 3:
        raise ValueError(f"image must be (H, W, C), got {img.shape}")
    if axis == 0:
        av = None if avoid is None else avoid.T
        off = None if offsets is None else [(dx, dy) for dy, dx in offsets]
        fa = None if free_axis is None else (free_axis[1], free_axis[0])
        fb = None if fallback_offsets is None else [(dx, dy) for dy, dx in fallback_offsets]
        out = quilt_band(
            img.transpose(1, 0, 2),
            centre,
            band_px,
            axis=1,
            offsets=off,
            free_axis=fa,
            fallback_offsets=fb,
            avoid=av,
            segment_px=segment_px,
            overlap_px=overlap_px,
            seed=seed,
            stop=stop,
        )
        return np.ascontiguousarray(out.transpose(1, 0, 2))
    h, w, c = img.shape
    band_px = int(band_px)
    if band_px < 4:
        raise ValueError(f"band_px must be >= 4, got {band_px}")
    ov = int(overlap_px) if overlap_px else band_overlap_px(band_px)
    bw = band_px + 2 * ov  # strip: overlap | band | overlap
    if 3 * bw > w:
        raise ValueError(f"a {band_px} px band (+ {ov} px overlaps) is too wide for width {w}")
    x0 = int(centre) - band_px // 2 - ov
    cols = np.arange(x0, x0 + bw)
    seg = int(min(h, segment_px or max(2 * band_px, 48)))
    n_seg = max(1, math.ceil(h / max(1, seg - ov)))
    starts = [round(i * h / n_seg) for i in range(n_seg)]
    rng = np.random.default_rng(seed)
    out = img.copy()
    filled = np.zeros((h, bw), bool)
    filled[:, :ov] = True
    filled[:, bw - ov :] = True
    blocked = np.zeros((h, w), bool) if avoid is None else avoid.astype(bool).copy()
    blocked[:, np.mod(cols, w)] = True
    # window sums of the blocked map: a source block is allowed when it holds no blocked pixel
    integral = cv2.integral(blocked.astype(np.uint8))  # (h + 1, w + 1)
    band_only = np.zeros((h, w), np.uint8)
    band_only[:, np.mod(cols, w)] = 1
    integral_band = cv2.integral(band_only)

    def allowed(dy: np.ndarray, dx: np.ndarray, y: int, table: np.ndarray = integral) -> np.ndarray:
        ok = np.ones(dy.shape, bool)
        for i, (oy, ox) in enumerate(zip(dy, dx, strict=True)):
            sy, sx = (y + int(oy)) % h, (x0 + int(ox)) % w
            ok[i] = _box_count(table, sy, sx, seg, bw, h, w) == 0
        return ok

    for y in starts:
        if stop is not None and stop():
            break
        rows = np.arange(y, y + seg)
        target = _gather(out, rows, cols)  # (seg, bw, c)
        known = filled[np.mod(rows, h)]
        weight = known.astype(np.float32)
        if offsets is not None and EDGE_WEIGHT > 0 and known.any():
            # with a lattice, joints and mortar edges must line up: weigh the target's edges
            lum = target.mean(axis=2)
            gx, gy = cv2.Sobel(lum, cv2.CV_32F, 1, 0), cv2.Sobel(lum, cv2.CV_32F, 0, 1)
            edges = np.abs(gx) + np.abs(gy)
            mean_edge = float(edges[known].mean())
            if mean_edge > 0:
                weight = weight * (1.0 + EDGE_WEIGHT * edges / mean_edge)
        if offsets is not None:
            base = np.array(offsets, np.float64).reshape(-1, 2)
            if len(base) > RANDOM_CANDIDATES:  # a fine lattice: a random subset per segment
                base = base[rng.choice(len(base), RANDOM_CANDIDATES, replace=False)]
            if free_axis is not None and base.size:
                reps = max(1, RANDOM_CANDIDATES // max(1, len(base)))
                slide = rng.uniform(-0.5, 0.5, (len(base) * reps, 1)) * max(h, w)
                base = np.repeat(base, reps, axis=0) + slide * np.array(free_axis)[None, :]
            cand = np.round(base).astype(np.int64)
        else:
            cand = np.stack(
                [rng.integers(0, h, RANDOM_CANDIDATES), rng.integers(0, w, RANDOM_CANDIDATES)],
                axis=1,
            )
        if offsets is not None:
            # a lattice copy keeps the grid, a random one breaks it: when no lattice vector
            # clears the band and ``avoid``, one that clears the band; then the longer
            # ``fallback_offsets`` likewise
            more = np.zeros((0, 2), np.int64)
            if fallback_offsets is not None and len(fallback_offsets):
                more = np.round(np.array(fallback_offsets, np.float64).reshape(-1, 2))
            for pool in (cand, more.astype(np.int64)):
                if not pool.size:
                    continue
                ok = allowed(pool[:, 0], pool[:, 1], y)
                if not ok.any() and avoid is not None:
                    ok = allowed(pool[:, 0], pool[:, 1], y, integral_band)
                if ok.any():
                    cand = pool[ok]
                    break
            else:
                cand = np.zeros((0, 2), np.int64)
        elif cand.size:
            cand = cand[allowed(cand[:, 0], cand[:, 1], y)]
        if cand.size == 0 and offsets is not None:  # no lattice vector fits: any offset
            cand = np.stack(
                [rng.integers(0, h, RANDOM_CANDIDATES), rng.integers(0, w, RANDOM_CANDIDATES)],
                axis=1,
            )
            cand = cand[allowed(cand[:, 0], cand[:, 1], y)]
        if cand.size == 0:
            continue
        costs = _costs(out, rows, cols, cand, target, weight)
        # refine the best offsets by a few px: random ones (+-2 px around the best) find their
        # match; lattice vectors (+-LATTICE_JITTER_PX around the best few) absorb the drift of
        # real courses and joints, so the copy's joints meet the neighbours' in the overlaps
        r = 2 if offsets is None else LATTICE_JITTER_PX
        top = cand[np.argsort(costs)[: 1 if offsets is None else LATTICE_REFINE_TOP]]
        if r > 0:
            jitter = np.mgrid[-r : r + 1, -r : r + 1].reshape(2, -1).T
            near = np.unique((top[:, None, :] + jitter[None]).reshape(-1, 2), axis=0)
            near = near[allowed(near[:, 0], near[:, 1], y)]
            if near.size:
                cand = np.concatenate([cand, near])
                costs = np.concatenate([costs, _costs(out, rows, cols, near, target, weight)])
        low = float(costs.min())
        pick = np.flatnonzero(costs <= low * (1.0 + NEAR_BEST) + 1e-9)
        dy, dx = (int(v) for v in cand[int(rng.choice(pick))])
        source = _gather(out, rows + dy, cols + dx)
        if weight.sum() > 0:  # constant colour offset onto the overlaps' mean (lighting)
            delta = ((target - source) * weight[..., None]).sum(axis=(0, 1)) / weight.sum()
            source = source + delta.astype(np.float32)
        err = np.where(known, ((target - source) ** 2).sum(axis=-1), 0.0)
        take = min_error_cut_mask(err, known, ov).astype(np.float32)
        alpha = np.where(known, cv2.blur(take, (3, 3)), 1.0)[..., None]
        block = target * (1.0 - alpha) + source * alpha
        out[np.mod(rows, h)[:, None], np.mod(cols, w)[None, :]] = block
        filled[np.mod(rows, h)] = True
    return out


def _box_count(integral: np.ndarray, y: int, x: int, bh: int, bw: int, h: int, w: int) -> int:
    """Number of set pixels in the ``bh x bw`` box at ``(y, x)`` of a wrap-around map whose
    ``cv2.integral`` is ``integral``."""
    total = 0
    for ys, ye in _spans(y, bh, h):
        for xs, xe in _spans(x, bw, w):
            total += int(integral[ye, xe] - integral[ys, xe] - integral[ye, xs] + integral[ys, xs])
    return total


def _spans(start: int, length: int, n: int) -> list[tuple[int, int]]:
    """``[start, start + length)`` modulo ``n`` as at most two plain ranges (length <= n)."""
    start %= n
    end = start + min(length, n)
    if end <= n:
        return [(start, end)]
    return [(start, n), (0, end - n)]


def _costs(
    image: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    cand: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray,
) -> np.ndarray:
    """Weighted SSD between ``target`` and the block at each candidate offset, in chunks,
    over every other known pixel in each direction (a quarter of them), at most
    :data:`COST_SAMPLES` of those (evenly strided): ranking the candidates needs no more."""
    out = np.empty(len(cand), np.float64)
    mask = weight > 0
    sub = np.zeros_like(mask)
    sub[::2, ::2] = True
    mask &= sub
    ry, rx = np.nonzero(mask)
    if ry.size > COST_SAMPLES:
        keep = np.linspace(0, ry.size - 1, COST_SAMPLES).astype(np.int64)
        ry, rx = ry[keep], rx[keep]
    t = target[ry, rx]  # (k, c)
    wt = weight[ry, rx][:, None]
    for i0 in range(0, len(cand), 64):
        chunk = cand[i0 : i0 + 64]
        sy = np.mod(rows[ry][None, :] + chunk[:, :1], image.shape[0])
        sx = np.mod(cols[rx][None, :] + chunk[:, 1:], image.shape[1])
        src = image[sy, sx]  # (n, k, c)
        out[i0 : i0 + 64] = (((src - t[None]) ** 2) * wt[None]).sum(axis=(1, 2))
    return out
