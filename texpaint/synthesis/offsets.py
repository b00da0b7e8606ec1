"""Statistics of patch offsets: the translations under which a texture repeats itself.

Method: K. He & J. Sun, "Statistics of Patch Offsets for Image Completion", ECCV 2012. Every
known patch is matched to its most similar known patch at least ``tau`` pixels away (a
PatchMatch nearest-neighbour field of the known region onto itself,
:mod:`texpaint.synthesis.nnf`, with offsets shorter than ``tau`` forbidden); the 2-D histogram
of the resulting offsets is smoothed (Gaussian, sigma sqrt(2) px) and its highest local
maxima are the *dominant offsets*. For a brick wall they are the brick period along a course,
the half-brick shift between courses and their sums; for tiles and planks the grid periods;
for a stochastic texture (rock, grass) the histogram is flat and no offset dominates.

The inpainting core (:mod:`texpaint.synthesis.completion`) tries these offsets at every hole
pixel and makes other offsets pay a cost in proportion to :attr:`OffsetStats.concentration`,
so a hole in a periodic texture is filled from positions whole periods away (mortar, grout
and plank lines continue exactly) while a stochastic texture keeps a free search.

Offsets are ``(dy, dx)`` in pixels of the image given (rows down, columns right).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from texpaint.synthesis import nnf

__all__ = ["OffsetStats", "dominant_offsets", "WORK_PX", "PATCH_RADIUS"]

WORK_PX = 256
"""The statistics are taken on the image area-downscaled to at most this longer side (px)."""

PATCH_RADIUS = 3
"""Patch radius (px at the working size): 7 x 7 patches, as the completion's search."""

TAU_FRACTION = 1 / 15
"""Offsets shorter than this fraction of the longer side are not counted (He & Sun's tau)."""

N_OFFSETS = 40
"""How many dominant offsets are kept (He & Sun keep 60 labels)."""

PEAK_RADIUS_PX = 2
"""Offsets within this distance (working px) of a peak count towards it (concentration)."""

SWEEPS = 4
"""PatchMatch sweeps of the self-matching field."""


@dataclass(frozen=True)
class OffsetStats:
    """The dominant patch offsets of a texture.

    Attributes:
        offsets: float32 ``(K, 2)`` ``(dy, dx)`` in pixels of the analysed image, most
            frequent first (``K <= N_OFFSETS``; empty when nothing could be matched).
        counts: float32 ``(K,)``: the smoothed histogram's value at each peak.
        concentration: fraction in [0, 1] of all matched patches whose offset lies within
            ``PEAK_RADIUS_PX`` working pixels of one of the kept peaks: high for bricks,
            tiles and planks, low for rock or grass (``benchmarks/RESULTS.md`` lists it for
            the val textures).
    """

    offsets: np.ndarray
    counts: np.ndarray
    concentration: float

    def scaled(self, factor: float) -> np.ndarray:
        """The offsets times ``factor`` (e.g. 0.5 for a half-size pyramid level), rounded to
        int32 ``(K, 2)`` with duplicates and the zero offset removed (order kept)."""
        if self.offsets.size == 0:
            return np.zeros((0, 2), np.int32)
        out = np.round(self.offsets * factor).astype(np.int32)
        keep, seen = [], set()
        for v in map(tuple, out):
            if v != (0, 0) and v not in seen:
                seen.add(v)
                keep.append(v)
        return np.array(keep, np.int32).reshape(-1, 2)


def dominant_offsets(
    image: np.ndarray,
    known: np.ndarray,
    wrap: bool = False,
    seed: int = 0,
    lattice: bool = True,
) -> OffsetStats:
    """He & Sun's dominant patch offsets of the known part of ``image``, led by the
    texture's lattice vectors when it has a lattice.

    The patch-offset histogram of a texture with large cells (floor tiles a quarter of the
    image wide) peaks at the repeats *inside* a cell (veins, scratches) more than at the
    cell period; the autocorrelation lattice (:func:`texpaint.synthesis.lattice.find_lattice`,
    taken on the working image with the unknown pixels set to the known mean) finds the grout
    grid's period. With ``lattice`` and a lattice found, the offsets are its shortest
    :data:`LATTICE_VECTORS` vectors up to 3/4 of the longer side, followed by the histogram
    peaks that are not within :data:`PEAK_RADIUS_PX` working pixels of one of them, and the
    concentration is at least :data:`LATTICE_CONCENTRATION` times the lattice's confidence.

    Args:
        image: float32 ``(H, W, C)`` (colour, any range).
        known: bool ``(H, W)``, True where the pixels may be used.
        wrap: the image is a torus (a seamless texture): patches and offsets wrap round.
        seed: seeds the random initialisation and search (same seed, same result).
        lattice: put the autocorrelation lattice's vectors first (above).

    Returns:
        :class:`OffsetStats` in pixels of ``image``; no offsets when fewer than 64 known
        patches fit.
    """
    stats, small, kn = _histogram_offsets(image, known, wrap, seed)
    if not lattice or stats.offsets.size == 0 or min(kn.shape) < 16:
        return stats
    from texpaint.synthesis.lattice import find_lattice

    work = np.where(kn[..., None], small, small[kn].mean(axis=0)).astype(np.float32)
    lat = find_lattice(work)
    if lat is None:
        return stats
    h, w = known.shape
    sh, sw = kn.shape
    fy, fx = h / sh, w / sw
    vecs = np.array(lat.vectors(0.75 * max(sh, sw)), np.float32).reshape(-1, 2)
    vecs = vecs[:LATTICE_VECTORS] * np.array([fy, fx], np.float32)
    if vecs.size == 0:
        return stats
    tol = PEAK_RADIUS_PX * max(fy, fx)
    d = np.hypot(*(stats.offsets[:, None, :] - vecs[None, :, :]).transpose(2, 0, 1))
    rest = d.min(axis=1) > tol
    offs = np.concatenate([vecs, stats.offsets[rest]])[:N_OFFSETS]
    top = float(stats.counts.max()) if stats.counts.size else 1.0
    counts = np.concatenate([np.full(len(vecs), top, np.float32), stats.counts[rest]])
    conc = max(stats.concentration, LATTICE_CONCENTRATION * lat.confidence)
    return OffsetStats(offs.astype(np.float32), counts[:N_OFFSETS], conc)


LATTICE_VECTORS = 12
"""At most this many lattice vectors (the shortest) lead the offsets: room is left for the
histogram's peaks (a one-dimensional lattice found in a two-dimensional weave). 12 rather
than 8 on ``cc0-1k/val`` (higher PSNR and low-pass PSNR) and for seamless fills across the
wrap seam; 8 kept more of the veining inside large tiles (``benchmarks/RESULTS.md``)."""


LATTICE_CONCENTRATION = 0.16
"""A lattice of confidence ``c`` counts as a patch-offset concentration of at least this
times ``c`` (the structure cost of :mod:`texpaint.synthesis.completion` scales with it)."""


def _histogram_offsets(
    image: np.ndarray, known: np.ndarray, wrap: bool, seed: int
) -> tuple[OffsetStats, np.ndarray, np.ndarray]:
    """He & Sun's statistics (:func:`dominant_offsets` without the lattice), with the working
    image and its known mask."""
    h, w = known.shape
    f = min(1.0, WORK_PX / max(h, w))
    if f < 1.0:
        size = (max(8, round(w * f)), max(8, round(h * f)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        kn = cv2.resize(known.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.999
    else:
        small, kn = image, known
    small = np.ascontiguousarray(small, np.float32)
    if small.ndim == 2:
        small = small[..., None]
    sh, sw = kn.shape
    fy, fx = h / sh, w / sw
    r = PATCH_RADIUS
    src_ok = ~nnf.dilate_mask(~kn, r, wrap)
    if not wrap:
        src_ok[:r] = src_ok[-r:] = False
        src_ok[:, :r] = src_ok[:, -r:] = False
    sy, sx = np.nonzero(src_ok)
    empty = OffsetStats(np.zeros((0, 2), np.float32), np.zeros(0, np.float32), 0.0)
    if sy.size < 64:
        return empty, small, kn
    # targets: every other known patch (the statistics need no more)
    sel = ((sy % 2) == 0) & ((sx % 2) == 0)
    ty, tx = sy[sel].astype(np.int32), sx[sel].astype(np.int32)
    tau = max(3.0, TAU_FRACTION * max(sh, sw))
    # offsets shorter than tau are forbidden (nnf.offset_penalty), no others preferred
    penalty = (np.zeros((0, 2), np.int32), np.float32(0.0), np.float32(tau**2))
    field = np.zeros((sh, sw, 2), np.int32)
    cost = np.full((sh, sw), np.inf, np.float32)
    is_target = np.zeros((sh, sw), bool)
    is_target[ty, tx] = True
    rng = np.random.default_rng(seed)
    nnf.init_field(
        small, src_ok, *penalty, field, cost, ty, tx, sy.astype(np.int32), sx.astype(np.int32),
        r, wrap, int(rng.integers(1 << 30)),
    )  # fmt: skip
    no_cand = np.zeros((0, 2), np.int32)
    for it in range(SWEEPS):
        nnf.sweep(
            small, src_ok, is_target, *penalty, field, cost, ty, tx, no_cand, r, wrap,
            it % 2 == 1, max(sh, sw), int(rng.integers(1 << 30)), 0, ty.size,
        )  # fmt: skip
    ok = np.isfinite(cost[ty, tx])
    dy = field[ty, tx, 0][ok]
    dx = field[ty, tx, 1][ok]
    if dy.size < 64:
        return empty, small, kn
    if wrap:  # one representative per torus translation
        dy = (dy + sh // 2) % sh - sh // 2
        dx = (dx + sw // 2) % sw - sw // 2
    # symmetric histogram: p matches q by o, so q matches p by -o
    hist = np.zeros((2 * sh - 1, 2 * sw - 1), np.float32)
    np.add.at(hist, (dy + sh - 1, dx + sw - 1), 1.0)
    hist += hist[::-1, ::-1]
    smooth = cv2.GaussianBlur(hist, (0, 0), np.sqrt(2.0))
    peaks = (smooth == cv2.dilate(smooth, np.ones((5, 5), np.uint8))) & (smooth > 0)
    py, px = np.nonzero(peaks)
    vals = smooth[py, px]
    order = np.argsort(-vals, kind="stable")[:N_OFFSETS]
    py, px, vals = py[order], px[order], vals[order]
    offs = np.stack([(py - (sh - 1)) * fy, (px - (sw - 1)) * fx], axis=1).astype(np.float32)
    # concentration: matched offsets near the kept peaks
    near = np.zeros(dy.shape, bool)
    for y0, x0 in zip(py - (sh - 1), px - (sw - 1), strict=True):
        near |= (dy - y0) ** 2 + (dx - x0) ** 2 <= PEAK_RADIUS_PX**2
    return OffsetStats(offs, vals.astype(np.float32), float(near.mean())), small, kn
