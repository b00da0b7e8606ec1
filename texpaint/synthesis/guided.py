"""Guided patch synthesis from an exemplar: example-based stylization.

The output is made only of patches copied from a *different* image, the exemplar, chosen so
that guidance channels computed from the content (its luminance, its edges, a coarse colour
version of it) agree with the same channels computed from the exemplar. This is the image
analogies idea (A. Hertzmann, C. E. Jacobs, N. Oliver, B. Curless & D. H. Salesin, "Image
Analogies", SIGGRAPH 2001) in the optimisation form of guided texture synthesis (J. Fišer et
al., "StyLit: Illumination-Guided Example-Based Stylization of 3D Renderings", SIGGRAPH 2016;
Y. Wexler, E. Shechtman & M. Irani, "Space-Time Completion of Video", PAMI 2007 for the
search / vote iterations; O. Frigo, N. Sabater, J. Delon & P. Hellier, "Split and Match",
CVPR 2016 for example-based transfer of paintings onto photographs):

* coarse to fine over an image pyramid of content and exemplar;
* at every level a few iterations of (a) a nearest-neighbour field from every output patch
  to an exemplar patch by PatchMatch (Barnes et al. 2009: propagation and random search,
  the same scheme as :mod:`texpaint.synthesis.nnf`, but between two images and with absolute
  source positions), minimising the squared difference of ``[output colour, w x guides]``
  plus an *occupancy* penalty that grows with how many output pixels already use a source
  position (A. Kaspar, B. Neubert, D. Lischinski, M. Pauly & J. Kopf, "Self Tuning Texture
  Optimization", Eurographics 2015), so the whole exemplar is used rather than one patch
  repeated everywhere; (b) voting: every output pixel becomes the mean of the exemplar
  pixels that the patches covering it copy;
* at the finest level the output pixel is copied from the exemplar at its own field entry
  (no averaging, so the exemplar's strokes and grain stay sharp).
* optionally (``orientation_weight``) two more guidance channels hold the local direction
  of the structure (:func:`orientation`, a structure tensor) of the content and of each
  turned / mirrored copy of the exemplar (``orientations``), so strokes are copied from where
  they run the way the content's forms run at that place (strokes along the image's
  direction field: P. Litwinowicz, "Processing Images and Video for an Impressionist
  Effect", SIGGRAPH 1997; for texture transfer H. Lee, S. Seo, S. Ryoo & K. Yoon,
  "Directional Texture Transfer", NPAR 2010; here a guidance channel against exactly turned
  copies rather than resampled, rotated patches); and (``shade``) a share of the content's
  blurred luminance is given back to the finished result.

Everything here is numpy / numba; the kernels are compiled once per install (``cache=True``).
Arrays: content and exemplar float32 ``(H, W, 3)`` in [0, 1] (RGB); fields int32
``(H, W, 2)`` holding absolute exemplar positions ``(sy, sx)`` of the patch centre.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numba
import numpy as np

from texpaint.imaging.colour_transfer import lab_stats, reinhard_transfer

__all__ = ["GuidedSettings", "guided_synthesis", "guides", "orientation", "SynthesisCancelled"]

_NJIT: dict[str, Any] = {"cache": True, "nogil": True, "fastmath": True, "boundscheck": False}
_Y = np.array([0.299, 0.587, 0.114], np.float32)


class SynthesisCancelled(Exception):
    """``abort()`` returned True between two steps of :func:`guided_synthesis`."""


@dataclass(frozen=True)
class GuidedSettings:
    """Parameters of :func:`guided_synthesis`.

    Attributes:
        radius: patch radius in pixels (patches are ``(2 r + 1)²``).
        guide_weight: weight of the guidance channels against the output colour in the patch
            distance (both in [0, 1] units); high keeps the content's forms (paintings), low
            lets the exemplar replace the surface (materials).
        edge_weight: weight of the edge channel inside the guides.
        coarse_sigma: Gaussian sigma (pixels at full resolution) of the coarse colour guide.
        occupancy: weight of the occupancy penalty (Kaspar et al. 2015); 0 disables it.
        iterations: search/vote iterations per level (the coarsest level gets twice as many).
        fine_iterations: iterations at the finest level (0: the field is only upsampled).
        half_iterations: iterations at the half-resolution level (the last one searched
            when ``fine_iterations`` is 0, and the most costly); -1: ``iterations``. Fewer
            there saves time when the quilting that follows re-chooses the pieces anyway.
        min_side: the coarsest level's shorter side (content and exemplar), pixels.
        coherence: factor (<= 1) on the distance of a neighbour's shifted source during
            propagation; below 1 prefers copying larger coherent pieces.
        final: how the finest output is made from the field: ``"quilt"`` (the default:
            guided quilting of exact exemplar blocks, :func:`_quilt`), ``"copy"`` (each
            pixel from its own source), ``"compose"`` (from the lowest-cost patch covering
            it) or ``"vote"`` (mean of the overlapping patches; softer). On val the pixel
            copy gave 0.8-0.9x Reinhard's patch distance (mosaic noise), the vote > 1x
            (blur), quilting 0.3-0.45x (``benchmarks/stylize_quality.py --patch-only``).
        colour_guide: ``"reinhard"`` (Reinhard colour transfer of the content) or ``"pdf"``
            (:func:`pdf_transfer`, the whole colour distribution; slower, no better on val).
        luminance_weight: weight of the luminance channel inside the guides.
        block_px: quilting block side, pixels (exemplar pixels are copied 1:1).
        block_occupancy: weight of the usage penalty when choosing blocks (mean number of
            times the source block's pixels were already copied, normalised so 1 = even use).
        overlap_px: width of the overlap between neighbouring blocks, searched for the cut.
        overlap_weight: weight of the agreement with already placed blocks.
        colour_weight: weight of the colour (EM estimate vs exemplar) when choosing blocks.
        random_candidates: random exemplar blocks tried per block besides the proposals.
        continuation: factor (<= 1) on the cost of continuing the left or upper block's
            source (the exemplar's next block): below 1 copies longer coherent pieces of
            the exemplar (whole strokes) instead of a patchwork of unrelated blocks.
        orientations: how many copies of the exemplar, each turned or mirrored (the
            dihedral group of the square: 1 = the exemplar only, 2 = plus its mirror image,
            4 = plus the two quarter turns... 8 = all), the search may copy from; the
            guides pick the copy whose strokes run the content's way (strokes oriented by
            the content, as the rotated exemplars of StyLit-like painterly rendering).
            Turns by quarter turns and mirroring are exact (no resampling).
        luminance_sigma: Gaussian sigma (pixels) the luminance guides of content and
            exemplar are blurred with (0: none): the guide then asks for the content's forms,
            light and shade, and leaves the finer scale (the content's own grain) to the
            exemplar's strokes.
        orientation_weight: weight of the two orientation channels (:func:`orientation`:
            the local stroke direction as a doubled-angle vector scaled by its coherence)
            inside the guides, for content and for every turned / mirrored exemplar copy; a
            patch is then taken from where the exemplar's strokes run the way the content's
            structure runs (0: no orientation guide).
        orientation_sigma: integration scale (Gaussian sigma, pixels) of the structure tensor
            behind the orientation channels: the scale at which the content's direction
            field is followed.
        shade: share (0-1) of the difference between the content's luminance (histogram-
            matched to the exemplar's) and the result's, both blurred by ``shade_sigma``, that
            is added back to the finished result (every channel alike): the content's light
            and shade at the scale of the blur, while the strokes / grain finer than it stay
            the exemplar's; it also evens out the step in brightness between neighbouring
            pieces. 0: every pixel is an exemplar pixel.
        shade_sigma: Gaussian sigma (pixels) of that correction.
        coarse_block_px: when larger than ``block_px``, the quilting first runs with blocks
            of this side (overlap scaled alike), and the final pass of ``block_px`` blocks is
            offered, besides its own candidates, the large pieces that pass copied, at cost
            times ``coarse_keep``: wherever small blocks fit the content no better, the
            neighbouring small blocks all take the one large piece and it stays whole
            (longer strokes, whole swirls where the content allows), while the small blocks
            still follow the content's forms elsewhere (a coarse-to-fine quilting schedule).
            0: one pass.
        coarse_keep: factor (<= 1) on the cost of the coarse pass's piece in the final pass.
        coarse_detail: when True the factor rises from ``coarse_keep`` where the content is
            smooth to 1 where it has the most detail (:func:`keep_factor`): large pieces
            where the content is smooth, small ones along its forms.
        seed: random seed (the result is deterministic for a given seed).
    """

    radius: int = 2
    guide_weight: float = 2.0
    edge_weight: float = 0.5
    coarse_sigma: float = 2.0
    occupancy: float = 0.02
    iterations: int = 2
    fine_iterations: int = 0
    half_iterations: int = -1
    min_side: int = 48
    coherence: float = 1.0
    final: str = "quilt"
    colour_guide: str = "reinhard"
    luminance_weight: float = 1.0
    block_px: int = 16
    block_occupancy: float = 0.2
    overlap_px: int = 5
    overlap_weight: float = 1.0
    colour_weight: float = 1.0
    random_candidates: int = 8
    continuation: float = 1.0
    orientations: int = 1
    luminance_sigma: float = 0.0
    orientation_weight: float = 0.0
    orientation_sigma: float = 6.0
    shade: float = 0.0
    shade_sigma: float = 3.0
    coarse_block_px: int = 0
    coarse_keep: float = 0.8
    coarse_detail: bool = True
    seed: int = 0


# ---------------------------------------------------------------------------------------------
# kernels


@numba.njit(**_NJIT)
def _gdist(tf, y, x, sf, sy, sx, r, limit):
    """Mean squared difference over the target patch at (y, x) of ``tf`` (pixels outside the
    target are skipped) and the source patch at (sy, sx) of ``sf`` (always inside); returns
    inf once the partial sum exceeds ``limit`` for the full patch."""
    h, w, c = tf.shape
    total = 0.0
    count = 0
    bound = limit * (2 * r + 1) * (2 * r + 1) * c
    for i in range(-r, r + 1):
        yy = y + i
        if yy < 0 or yy >= h:
            continue
        for j in range(-r, r + 1):
            xx = x + j
            if xx < 0 or xx >= w:
                continue
            for k in range(c):
                d = tf[yy, xx, k] - sf[sy + i, sx + j, k]
                total += d * d
            count += 1
        if total > bound:
            return np.inf
    if count == 0:
        return np.inf
    return total / (count * c)


@numba.njit(**_NJIT)
def _costs(tf, sf, nnf, cost, r):
    """``cost[y, x]`` = patch distance of every target for its current source."""
    h, w, _ = tf.shape
    for y in range(h):
        for x in range(w):
            cost[y, x] = _gdist(tf, y, x, sf, nnf[y, x, 0], nnf[y, x, 1], r, np.inf)


@numba.njit(**_NJIT)
def _try(tf, sf, valid, om, nnf, cost, occ, lam, norm, y, x, sy, sx, r, scale):
    """Evaluate source (sy, sx) for target (y, x) with the occupancy penalty, its distance
    multiplied by ``scale`` (< 1: a coherence bonus); keep it when better. Sources where
    ``valid`` is 0 (patches that straddle two copies of an augmented exemplar) are skipped.
    ``occ`` counts uses per pixel of the original exemplar, ``om`` maps a source position
    to its index there (copies of one exemplar pixel share a count)."""
    hs, ws, _ = sf.shape
    if sy < r or sy >= hs - r or sx < r or sx >= ws - r:
        return
    if not valid[sy, sx]:
        return
    cy = nnf[y, x, 0]
    cx = nnf[y, x, 1]
    if sy == cy and sx == cx:
        return
    cur = cost[y, x] + lam * (occ[om[cy, cx]] - 1.0) * norm
    pen = lam * occ[om[sy, sx]] * norm
    if pen >= cur:
        return
    d = _gdist(tf, y, x, sf, sy, sx, r, (cur - pen) / scale) * scale
    if d + pen < cur:
        occ[om[cy, cx]] -= 1.0
        occ[om[sy, sx]] += 1.0
        nnf[y, x, 0] = sy
        nnf[y, x, 1] = sx
        cost[y, x] = d


@numba.njit(**_NJIT)
def _sweep(tf, sf, valid, om, nnf, cost, occ, lam, norm, r, reverse, search_px, seed, y0, y1, coh):
    """One PatchMatch sweep over target rows ``[y0, y1)`` (bottom-up, right to left when
    ``reverse``): propagation from the two already visited neighbours (their distance scaled
    by ``coh`` <= 1, Hertzmann et al.'s coherence preference), then random search around the
    current source in windows of ``search_px``, ``search_px / 2``, ... 1 px."""
    np.random.seed(seed)
    h, w, _ = tf.shape
    step = -1 if reverse else 1
    for m in range(y0, y1):
        y = h - 1 - m if reverse else m
        for n in range(w):
            x = w - 1 - n if reverse else n
            px = x - step
            if 0 <= px < w:
                sy = nnf[y, px, 0]
                sx = nnf[y, px, 1] + step
                _try(tf, sf, valid, om, nnf, cost, occ, lam, norm, y, x, sy, sx, r, coh)
            py = y - step
            if 0 <= py < h:
                sy = nnf[py, x, 0] + step
                sx = nnf[py, x, 1]
                _try(tf, sf, valid, om, nnf, cost, occ, lam, norm, y, x, sy, sx, r, coh)
            rad = search_px
            while rad >= 1:
                sy = nnf[y, x, 0] + np.random.randint(-rad, rad + 1)
                sx = nnf[y, x, 1] + np.random.randint(-rad, rad + 1)
                _try(tf, sf, valid, om, nnf, cost, occ, lam, norm, y, x, sy, sx, r, 1.0)
                rad //= 2


@numba.njit(**_NJIT)
def _vote(ex, nnf, r, out):
    """Every output pixel = mean of the exemplar pixels (first 3 channels of ``ex``) that
    the patches covering it copy (Wexler et al. 2007, uniform weights)."""
    h, w, _ = out.shape
    for y in range(h):
        for x in range(w):
            a0 = 0.0
            a1 = 0.0
            a2 = 0.0
            n = 0
            for i in range(-r, r + 1):
                yy = y - i
                if yy < 0 or yy >= h:
                    continue
                for j in range(-r, r + 1):
                    xx = x - j
                    if xx < 0 or xx >= w:
                        continue
                    sy = nnf[yy, xx, 0] + i
                    sx = nnf[yy, xx, 1] + j
                    a0 += ex[sy, sx, 0]
                    a1 += ex[sy, sx, 1]
                    a2 += ex[sy, sx, 2]
                    n += 1
            out[y, x, 0] = a0 / n
            out[y, x, 1] = a1 / n
            out[y, x, 2] = a2 / n


@numba.njit(**_NJIT)
def _block_pick(
    tf, sf, bvalid, om, out, filled, usage, by, bx, bh, bw, cand, scale, w_ov, lam, norm
):
    """Index of the best candidate block source ``cand[k] = (sy, sx)`` (top-left corner in
    the exemplar) for the target block at (by, bx) of size (bh, bw): mean squared difference
    of ``tf`` and ``sf`` over the block, plus ``w_ov`` x that of the colours already placed
    (``out`` where ``filled``) and the exemplar's, plus ``lam`` x the mean usage of the source
    block (``usage`` counts, times ``norm``), all times ``scale[k]``; corners where
    ``bvalid`` is 0 are skipped. The sums are taken on every second row and
    column (4x fewer operations; blocks are >= 8 px)."""
    c = tf.shape[2]
    best = np.inf
    bk = 0
    for k in range(cand.shape[0]):
        sy0 = cand[k, 0]
        sx0 = cand[k, 1]
        if not bvalid[sy0, sx0]:
            continue
        g = 0.0
        o = 0.0
        u = 0.0
        no = 0
        n = 0
        for i in range(0, bh, 2):
            for j in range(0, bw, 2):
                for ch in range(c):
                    d = tf[by + i, bx + j, ch] - sf[sy0 + i, sx0 + j, ch]
                    g += d * d
                if filled[by + i, bx + j]:
                    for ch in range(3):
                        d = out[by + i, bx + j, ch] - sf[sy0 + i, sx0 + j, ch]
                        o += d * d
                    no += 1
                u += usage[om[sy0 + i, sx0 + j]]
                n += 1
            if scale[k] * g / (((bh + 1) // 2) * ((bw + 1) // 2) * c) > best:
                break
        cost = g / (n * c) + lam * norm * u / n
        if no > 0:
            cost += w_ov * o / (no * 3)
        cost *= scale[k]
        if cost < best:
            best = cost
            bk = k
    return bk


@numba.njit(**_NJIT)
def _seam_path(err, transpose):
    """Cheapest 8-connected path through ``err`` ``(n, ov)`` from the first row to the last
    (or, when ``transpose``, through ``err.T``), one column per row: Efros & Freeman's
    minimum-error boundary cut by dynamic programming. Returns int64 ``(n,)`` columns."""
    if transpose:
        n, m = err.shape[1], err.shape[0]
    else:
        n, m = err.shape
    cost = np.empty((n, m))
    for i in range(n):
        for j in range(m):
            e = err[j, i] if transpose else err[i, j]
            if i == 0:
                cost[i, j] = e
            else:
                b = cost[i - 1, j]
                if j > 0 and cost[i - 1, j - 1] < b:
                    b = cost[i - 1, j - 1]
                if j < m - 1 and cost[i - 1, j + 1] < b:
                    b = cost[i - 1, j + 1]
                cost[i, j] = e + b
    path = np.empty(n, np.int64)
    best = 0
    for j in range(1, m):
        if cost[n - 1, j] < cost[n - 1, best]:
            best = j
    path[n - 1] = best
    for i in range(n - 2, -1, -1):
        j = path[i + 1]
        b = j
        if j > 0 and cost[i, j - 1] < cost[i, b]:
            b = j - 1
        if j < m - 1 and cost[i, j + 1] < cost[i, b]:
            b = j + 1
        path[i] = b
    return path


@numba.njit(**_NJIT)
def _paste_block(out, filled, block, by, bx, ov, srcmap, sy, sx):
    """Paste ``block`` ``(b, b, 3)`` (the exemplar block whose top-left corner is at
    (sy, sx)) at (by, bx) of ``out`` behind the minimum-error cuts through its left and top
    ``ov``-wide strips where they overlap placed pixels (``filled``); pixels before a cut
    keep what is there. Hard cut: every pixel is either the old one or the block's.
    ``srcmap`` int32 ``(H, W, 2)`` gets the exemplar position of every pasted pixel."""
    b = block.shape[0]
    take = np.ones((b, b), np.bool_)
    if ov >= 2:
        err = np.zeros((b, b))
        for i in range(b):
            for j in range(b):
                if filled[by + i, bx + j]:
                    for k in range(3):
                        d = out[by + i, bx + j, k] - block[i, j, k]
                        err[i, j] += d * d
        left = False
        top = False
        for i in range(b):
            for j in range(ov):
                if filled[by + i, bx + j]:
                    left = True
                if filled[by + j, bx + i]:
                    top = True
        if left:
            path = _seam_path(err[:, :ov], False)
            for i in range(b):
                for j in range(path[i]):
                    take[i, j] = False
        if top:
            path = _seam_path(err[:ov, :], True)
            for j in range(b):
                for i in range(path[j]):
                    take[i, j] = False
    for i in range(b):
        for j in range(b):
            if take[i, j] or not filled[by + i, bx + j]:
                for k in range(3):
                    out[by + i, bx + j, k] = block[i, j, k]
                filled[by + i, bx + j] = True
                srcmap[by + i, bx + j, 0] = sy + i
                srcmap[by + i, bx + j, 1] = sx + j


@numba.njit(**_NJIT)
def _quilt_row(
    tf,
    sf,
    bvalid,
    om,
    nnf,
    out,
    filled,
    usage,
    src,
    bi,
    by,
    prev_y,
    xs0,
    probe,
    rand,
    b,
    ov,
    w_ov,
    lam,
    norm,
    cont,
    srcmap,
    prior,
    keep,
    keepmap,
):
    """One row ``bi`` (top ``by``) of quilting blocks at columns ``xs0``: candidates are the
    field's sources at the ``probe`` x ``probe`` pixels shifted to the block corner, the
    continuation of the left block and of the block above (at row ``prev_y``, -1: none),
    when ``keep > 0`` the piece a coarser pass copied at the block's centre and at its
    corners (``prior`` int32 ``(H, W, 2)``: the exemplar position each output pixel was
    copied from, shifted to this block; cost times ``keep``), and ``rand[j]``; the best
    (:func:`_block_pick`) is pasted (:func:`_paste_block`, sources into ``srcmap``), its
    corner stored in ``src[bi, j]`` and its pixels counted in ``usage``."""
    he, we = sf.shape[0], sf.shape[1]
    npb = probe.shape[0]
    nr = rand.shape[1]
    npr = 5 if keep > 0 else 0
    cand = np.empty((npb * npb + 2 + npr + nr, 2), np.int32)
    scale = np.ones(npb * npb + 2 + npr + nr, np.float32)
    for bj in range(xs0.shape[0]):
        bx = xs0[bj]
        n = 0
        scale[:] = 1.0
        for a in range(npb):
            for c in range(npb):
                i = probe[a]
                j = probe[c]
                cand[n, 0] = nnf[by + i, bx + j, 0] - i
                cand[n, 1] = nnf[by + i, bx + j, 1] - j
                n += 1
        if bj > 0:
            cand[n, 0] = src[bi, bj - 1, 0]
            cand[n, 1] = src[bi, bj - 1, 1] + bx - xs0[bj - 1]
            scale[n] = cont
            n += 1
        if prev_y >= 0:
            cand[n, 0] = src[bi - 1, bj, 0] + by - prev_y
            cand[n, 1] = src[bi - 1, bj, 1]
            scale[n] = cont
            n += 1
        for a in range(npr):
            i = b // 2 if a == 0 else (a // 3) * (b - 1)
            j = b // 2 if a == 0 else (a % 2) * (b - 1)
            cand[n, 0] = prior[by + i, bx + j, 0] - i
            cand[n, 1] = prior[by + i, bx + j, 1] - j
            scale[n] = keepmap[by + b // 2, bx + b // 2]
            n += 1
        for k in range(nr):
            cand[n, 0] = rand[bj, k, 0]
            cand[n, 1] = rand[bj, k, 1]
            n += 1
        for k in range(n):
            cand[k, 0] = min(max(cand[k, 0], 0), he - b)
            cand[k, 1] = min(max(cand[k, 1], 0), we - b)
        k = _block_pick(
            tf,
            sf,
            bvalid,
            om,
            out,
            filled,
            usage,
            by,
            bx,
            b,
            b,
            cand[:n],
            scale[:n],
            w_ov,
            lam,
            norm,
        )
        sy = cand[k, 0]
        sx = cand[k, 1]
        src[bi, bj, 0] = sy
        src[bi, bj, 1] = sx
        block = np.ascontiguousarray(sf[sy : sy + b, sx : sx + b, :3])
        _paste_block(out, filled, block, by, bx, ov, srcmap, sy, sx)
        for i in range(b):
            for j in range(b):
                usage[om[sy + i, sx + j]] += 1.0


@numba.njit(**_NJIT)
def _occupancy(nnf, om, n):
    """float32 ``(n,)``: how many field entries use each original exemplar pixel."""
    occ = np.zeros(n, np.float32)
    h, w, _ = nnf.shape
    for y in range(h):
        for x in range(w):
            occ[om[nnf[y, x, 0], nnf[y, x, 1]]] += 1.0
    return occ


# ---------------------------------------------------------------------------------------------
# guides and pyramid


def _lum(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb @ _Y, dtype=np.float32)


def _match_histogram(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``values`` mapped so that their distribution is ``reference``'s (rank matching)."""
    v = values.ravel()
    order = np.argsort(v, kind="stable")
    ref = np.sort(reference.ravel())
    q = np.interp(np.linspace(0, 1, v.size), np.linspace(0, 1, ref.size), ref)
    out = np.empty_like(v)
    out[order] = q
    return out.reshape(values.shape).astype(np.float32)


def pdf_transfer(
    content: np.ndarray, exemplar: np.ndarray, iterations: int = 12, seed: int = 0
) -> np.ndarray:
    """Colour transfer of the whole colour distribution: iterative 1-D distribution matching
    along random rotations of RGB space (F. Pitié, A. Kokaram & R. Dahyot, "N-Dimensional
    Probability Density Function Transfer and its Application to Colour Transfer", ICCV
    2005). The mapping is learnt on at most 65536 pixels of each image (256 quantiles per
    axis) and applied to every content pixel by linear interpolation. ``content``,
    ``exemplar``: float32 ``(H, W, 3)`` in [0, 1]; returns float32 ``(H, W, 3)`` (about
    [0, 1], not clipped) whose colours are distributed like the exemplar's."""
    rng = np.random.default_rng(seed)
    x_all = content.reshape(-1, 3).astype(np.float64)
    y = exemplar.reshape(-1, 3).astype(np.float64)
    x = x_all[rng.choice(len(x_all), min(len(x_all), 65536), replace=False)]
    y = y[rng.choice(len(y), min(len(y), 65536), replace=False)]
    q = np.linspace(0.0, 1.0, 256)
    for _ in range(iterations):
        rot, _r = np.linalg.qr(rng.standard_normal((3, 3)))
        xr, yr, ar = x @ rot, y @ rot, x_all @ rot
        for k in range(3):
            qx = np.quantile(xr[:, k], q)
            qy = np.quantile(yr[:, k], q)
            qx = qx + np.arange(256) * 1e-9  # strictly increasing for interp
            xr[:, k] = np.interp(xr[:, k], qx, qy)
            ar[:, k] = np.interp(ar[:, k], qx, qy)
        x, x_all = xr @ rot.T, ar @ rot.T
    return x_all.reshape(content.shape).astype(np.float32)


def _gradients(lum: np.ndarray, sigma: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``(gx, gy)``: Sobel gradients (float32 ``(H, W)``) of the luminance smoothed by a
    Gaussian of ``sigma`` (pixels; 1 px for :func:`_edges` and :func:`orientation`, the
    final block's scale for :func:`keep_factor`)."""
    s = cv2.GaussianBlur(lum, (0, 0), sigma)
    return cv2.Sobel(s, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(s, cv2.CV_32F, 0, 1, ksize=3)


def _edges(lum: np.ndarray) -> np.ndarray:
    """Gradient magnitude of the slightly smoothed luminance, divided by its 95th percentile
    and clipped to [0, 1]."""
    gx, gy = _gradients(lum)
    mag = np.sqrt(gx * gx + gy * gy)
    return np.clip(mag / (np.percentile(mag, 95) + 1e-6), 0.0, 1.0).astype(np.float32)


def guides(
    content: np.ndarray, exemplar: np.ndarray, settings: GuidedSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Guidance channels of the content and of the exemplar, in the same units.

    Channels: luminance (the content's histogram-matched to the exemplar's, so both span the
    same tones; blurred by ``luminance_sigma`` when > 0), edge strength (:func:`_edges`,
    weighted by ``settings.edge_weight``) and a coarse colour version (Gaussian blur of
    ``coarse_sigma`` px; for the content, after Reinhard colour transfer to the exemplar's
    palette). Returns ``(content_guides,
    exemplar_guides)`` float32 ``(H, W, 5)`` and ``(He, We, 5)``, values about [0, 1].
    """
    le = _lum(exemplar)
    if settings.colour_guide == "pdf":
        transferred = pdf_transfer(content, exemplar)
        lc = _match_histogram(_lum(transferred), le)
    else:
        lc = _match_histogram(_lum(content), le)
        transferred = reinhard_transfer(content, lab_stats(exemplar))
    s = settings.coarse_sigma
    cc = cv2.GaussianBlur(np.clip(transferred, 0, 1).astype(np.float32), (0, 0), s)
    ce = cv2.GaussianBlur(exemplar, (0, 0), s)
    lw = settings.luminance_weight
    ls = settings.luminance_sigma
    bc = cv2.GaussianBlur(lc, (0, 0), ls) if ls > 0 else lc
    be = cv2.GaussianBlur(le, (0, 0), ls) if ls > 0 else le
    gc = np.dstack([lw * bc, settings.edge_weight * _edges(lc), cc])
    ge = np.dstack([lw * be, settings.edge_weight * _edges(le), ce])
    return gc.astype(np.float32), ge.astype(np.float32)


def orientation(lum: np.ndarray, sigma: float) -> np.ndarray:
    """The local direction of the structure of ``lum`` (float32 ``(H, W)``) as a doubled-
    angle vector scaled by its coherence: with the structure tensor ``J = G_sigma * (grad
    grad^T)`` (gradients of the luminance smoothed by 1 px; J. Bigün & G. Granlund, "Optimal
    Orientation Detection of Linear Symmetry", ICCV 1987), the channels ``((Jxx - Jyy),
    2 Jxy) / (Jxx + Jyy + eps)``, ``eps`` = 0.1 x the image's mean ``Jxx + Jyy`` (faint
    structure counts less). The vector's length is the coherence (1: parallel strokes or
    lines, 0: no direction); opposite directions (0 and 180 degrees) are the same vector and
    perpendicular ones opposite vectors. Returns float32 ``(H, W, 2)`` in [-1, 1]."""
    gx, gy = _gradients(lum)
    jxx = cv2.GaussianBlur(gx * gx, (0, 0), sigma)
    jyy = cv2.GaussianBlur(gy * gy, (0, 0), sigma)
    jxy = cv2.GaussianBlur(gx * gy, (0, 0), sigma)
    tr = jxx + jyy
    den = tr + 0.1 * float(tr.mean()) + 1e-12
    return np.dstack([(jxx - jyy) / den, 2.0 * jxy / den]).astype(np.float32)


_DIHEDRAL: tuple[Callable[[np.ndarray], np.ndarray], ...] = (
    lambda a: a,
    lambda a: a[:, ::-1],
    lambda a: np.rot90(a, 1),
    lambda a: np.rot90(a, -1),
    lambda a: a[::-1, :],
    lambda a: np.rot90(a, 2),
    lambda a: np.rot90(a[:, ::-1], 1),
    lambda a: np.rot90(a[:, ::-1], -1),
)
"""The eight exact turns/mirrors of an image ``(H, W, ...)``, in the order copies are added."""


def augment_exemplar(
    exemplar: np.ndarray,
    guide: np.ndarray,
    n: int,
    per_copy: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``n`` (1-8) turned / mirrored copies of ``exemplar`` ``(He, We, 3)`` and of its guides
    ``(He, We, C)`` (the same transform each; the guides used here are invariant to it up to
    sampling), laid side by side on one canvas, with the copy index of every canvas pixel.
    ``per_copy(copy_rgb) -> (h, w, D)``, when given, computes ``D`` more guide channels on
    each turned copy itself (channels that turn with the image, such as
    :func:`orientation`); they follow the ``C`` transformed ones.

    Returns:
        ``(canvas, canvas_guides, label, origin)``: float32 ``(Hc, Wc, 3)``, float32
        ``(Hc, Wc, C [+ D])``, int32 ``(Hc, Wc)`` (the copy, -1 where the canvas is padding
        because a quarter turn swaps the sides) and float32 ``(Hc, Wc, 2)``: the ``(y, x)`` of
        the exemplar pixel each canvas pixel is a copy of. With ``n == 1`` the inputs
        themselves (plus ``per_copy``'s channels), an all-zero label and the identity.
    """
    n = int(min(max(n, 1), len(_DIHEDRAL)))
    he, we = exemplar.shape[:2]
    ys, xs = np.mgrid[0:he, 0:we].astype(np.float32)
    if n == 1:
        if per_copy is not None:
            guide = np.ascontiguousarray(np.dstack([guide, per_copy(exemplar)]), np.float32)
        return exemplar, guide, np.zeros((he, we), np.int32), np.dstack([ys, xs])
    both = np.dstack([exemplar, guide, ys, xs])
    copies = [np.ascontiguousarray(_DIHEDRAL[k](both)) for k in range(n)]
    if per_copy is not None:
        copies = [
            np.ascontiguousarray(
                np.dstack([c[..., :-2], per_copy(np.ascontiguousarray(c[..., :3])), c[..., -2:]]),
                np.float32,
            )
            for c in copies
        ]
    hc = max(c.shape[0] for c in copies)
    wc = sum(c.shape[1] for c in copies)
    canvas = np.zeros((hc, wc, copies[0].shape[2]), np.float32)
    label = np.full((hc, wc), -1, np.int32)
    x = 0
    for k, c in enumerate(copies):
        h, w = c.shape[:2]
        canvas[:h, x : x + w] = c
        label[:h, x : x + w] = k
        x += w
    return (
        np.ascontiguousarray(canvas[..., :3]),
        np.ascontiguousarray(canvas[..., 3:-2]),
        label,
        np.ascontiguousarray(canvas[..., -2:]),
    )


def _valid_windows(label: np.ndarray, bh: int, bw: int, anchor: tuple[int, int]) -> np.ndarray:
    """uint8 ``(H, W)``: 1 where the ``bh`` x ``bw`` window at a pixel (``anchor`` = the
    pixel's (x, y) place inside the window) lies inside one copy of ``label``."""
    lab = label.astype(np.float32)
    kernel = np.ones((bh, bw), np.uint8)
    lo = cv2.erode(lab, kernel, anchor=anchor, borderType=cv2.BORDER_REPLICATE)
    hi = cv2.dilate(lab, kernel, anchor=anchor, borderType=cv2.BORDER_REPLICATE)
    return np.ascontiguousarray((lo == hi) & (lo >= 0), dtype=np.uint8)


def _original_index(origin: np.ndarray, f: int) -> np.ndarray:
    """int32 ``(H, W)``: for every canvas pixel of a level ``f`` times smaller than full
    resolution (``origin`` resized to it, full-resolution coordinates), the flat index of its
    exemplar pixel at that level, so every copy of one exemplar pixel shares an index."""
    oy = np.floor(origin[..., 0] / f).astype(np.int32)
    ox = np.floor(origin[..., 1] / f).astype(np.int32)
    return np.ascontiguousarray(oy * (int(ox.max()) + 1) + ox, dtype=np.int32)


def _random_valid(
    valid: np.ndarray,
    shape: tuple[int, ...],
    rng: np.random.Generator,
    where: np.ndarray | None = None,
):
    """int32 arrays ``(sy, sx)`` of ``shape``: positions drawn uniformly where ``valid``
    (``where``: ``np.flatnonzero(valid)`` when the caller has it already)."""
    idx = np.flatnonzero(valid) if where is None else where
    pick = idx[rng.integers(0, idx.size, shape)]
    return (pick // valid.shape[1]).astype(np.int32), (pick % valid.shape[1]).astype(np.int32)


def _down(img: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Area-downscale ``img`` ``(H, W, C)`` to ``shape`` (OpenCV takes at most 4 channels
    at a time)."""
    size = (shape[1], shape[0])
    parts = [
        cv2.resize(img[..., k : k + 4], size, interpolation=cv2.INTER_AREA).reshape(shape + (-1,))
        for k in range(0, img.shape[2], 4)
    ]
    return np.ascontiguousarray(np.concatenate(parts, axis=2), dtype=np.float32)


def _levels(hc: int, wc: int, he: int, we: int, min_side: int) -> int:
    n = 1
    while min(hc, wc, he, we) / 2**n >= min_side:
        n += 1
    return n


def _upsample_field(nnf: np.ndarray, shape: tuple[int, int], ex_shape, r: int) -> np.ndarray:
    """A field at twice the resolution: each target pixel takes its parent's source * 2 plus
    its own position within the parent, clipped so the patch stays inside the exemplar."""
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w]
    py = np.minimum(ys // 2, nnf.shape[0] - 1)
    px = np.minimum(xs // 2, nnf.shape[1] - 1)
    sy = nnf[py, px, 0] * 2 + (ys % 2)
    sx = nnf[py, px, 1] * 2 + (xs % 2)
    sy = np.clip(sy, r, ex_shape[0] - r - 1)
    sx = np.clip(sx, r, ex_shape[1] - r - 1)
    return np.ascontiguousarray(np.dstack([sy, sx]).astype(np.int32))


def guided_synthesis(
    content: np.ndarray,
    exemplar: np.ndarray,
    settings: GuidedSettings | None = None,
    abort: Callable[[], bool] | None = None,
    progress: Callable[[float], None] | None = None,
) -> np.ndarray:
    """Re-render ``content`` with patches copied from ``exemplar`` (see the module doc).

    Args:
        content: float32 ``(H, W, 3)`` RGB in [0, 1], ``H, W >= 2 r + 1``.
        exemplar: float32 ``(He, We, 3)`` RGB in [0, 1], ``He, We >= 2 r + 3``; its scale sets
            the scale of the strokes / grain in the output (pixels are copied 1:1).
        settings: :class:`GuidedSettings` (default: the defaults).
        abort: polled between sweeps; when it returns True :class:`SynthesisCancelled` is
            raised.
        progress: called with the fraction done in [0, 1].

    Returns:
        float32 ``(H, W, 3)`` in [0, 1]: every pixel a pixel of ``exemplar``.

    Raises:
        ValueError: wrong shapes or an exemplar smaller than a patch.
        SynthesisCancelled: ``abort()`` returned True.
    """
    st = settings or GuidedSettings()
    r = st.radius
    if content.ndim != 3 or content.shape[2] != 3 or exemplar.ndim != 3 or exemplar.shape[2] != 3:
        raise ValueError("content and exemplar must be (H, W, 3) RGB images")
    if min(exemplar.shape[:2]) < 2 * r + 3 or min(content.shape[:2]) < 2 * r + 1:
        raise ValueError(f"images too small for {2 * r + 1} px patches")
    content = np.ascontiguousarray(np.clip(content, 0, 1), dtype=np.float32)
    exemplar = np.ascontiguousarray(np.clip(exemplar, 0, 1), dtype=np.float32)
    gc_full, ge_full = guides(content, exemplar, st)
    target_lum = _match_histogram(_lum(content), _lum(exemplar)) if st.shade > 0 else None
    c0_full = np.clip(reinhard_transfer(content, lab_stats(exemplar)), 0, 1)
    per_copy = None
    if st.orientation_weight > 0:
        ow, osig = st.orientation_weight, st.orientation_sigma
        gc_full = np.ascontiguousarray(
            np.dstack([gc_full, ow * orientation(_lum(content), osig)]), np.float32
        )

        def per_copy(rgb: np.ndarray) -> np.ndarray:
            return ow * orientation(_lum(rgb), osig)

    exemplar, ge_full, label, origin = augment_exemplar(
        exemplar, ge_full, st.orientations, per_copy
    )
    hc, wc = content.shape[:2]
    he, we = exemplar.shape[:2]
    n_levels = _levels(hc, wc, he, we, st.min_side)
    rng = np.random.default_rng(st.seed)
    # work per level ~ pixels * iterations, for progress
    iters = [
        (st.iterations * 2 if lv == n_levels - 1 else st.iterations) if lv else st.fine_iterations
        for lv in range(n_levels)
    ]
    if st.half_iterations >= 0 and n_levels > 2:
        iters[1] = st.half_iterations
    work = [hc * wc / 4**lv * max(1, it) for lv, it in enumerate(iters)]
    total, done = sum(work), 0.0
    nnf = None
    out = None
    for lv in range(n_levels - 1, -1, -1):
        f = 2**lv
        cshape = (max(2 * r + 1, round(hc / f)), max(2 * r + 1, round(wc / f)))
        eshape = (max(2 * r + 3, round(he / f)), max(2 * r + 3, round(we / f)))
        ex = _down(exemplar, eshape) if f > 1 else exemplar
        gc = _down(gc_full, cshape) if f > 1 else gc_full
        ge = _down(ge_full, eshape) if f > 1 else ge_full
        sf = np.ascontiguousarray(np.dstack([ex, st.guide_weight * ge]), dtype=np.float32)
        lab = cv2.resize(label, (eshape[1], eshape[0]), interpolation=cv2.INTER_NEAREST)
        valid = _valid_windows(lab, 2 * r + 1, 2 * r + 1, (r, r))
        valid[:r], valid[-r:], valid[:, :r], valid[:, -r:] = 0, 0, 0, 0
        if nnf is None:
            sy, sx = _random_valid(valid, cshape, rng)
            nnf = np.ascontiguousarray(np.dstack([sy, sx]))
            out = np.ascontiguousarray(_down(c0_full, cshape), dtype=np.float32)
        else:
            nnf = _upsample_field(nnf, cshape, eshape, r)
            bad = valid[nnf[..., 0], nnf[..., 1]] == 0
            if bad.any():
                sy, sx = _random_valid(valid, (int(bad.sum()),), rng)
                nnf[bad] = np.stack([sy, sx], axis=-1)
            out = np.empty(cshape + (3,), np.float32)
            _vote(ex, nnf, r, out)
        om = _original_index(
            cv2.resize(origin, (eshape[1], eshape[0]), interpolation=cv2.INTER_NEAREST), f
        )
        occ = _occupancy(nnf, om, int(om.max()) + 1)
        norm = np.float32((int(om.max()) + 1) / (cshape[0] * cshape[1]))
        search = max(eshape) // 2 if lv == n_levels - 1 else max(4, min(eshape) // 8)
        cost = np.empty(cshape, np.float32)
        for _it in range(iters[lv]):
            tf = np.ascontiguousarray(np.dstack([out, st.guide_weight * gc]), dtype=np.float32)
            _costs(tf, sf, nnf, cost, r)
            for s in range(2):
                # rows in chunks so that cancel is polled often
                chunk = max(1, 65536 // cshape[1])
                for y0 in range(0, cshape[0], chunk):
                    if abort is not None and abort():
                        raise SynthesisCancelled()
                    y1 = min(cshape[0], y0 + chunk)
                    seed = int(rng.integers(0, 2**31 - 1))
                    rev = s % 2 == 1
                    _sweep(
                        tf,
                        sf,
                        valid,
                        om,
                        nnf,
                        cost,
                        occ,
                        st.occupancy,
                        norm,
                        r,
                        rev,
                        search,
                        seed,
                        y0,
                        y1,
                        st.coherence,
                    )
            _vote(ex, nnf, r, out)
            done += work[lv] / max(1, iters[lv])
            if progress is not None:
                progress(min(1.0, done / total))
        if lv == 0 and st.final == "compose":  # costs of the final field, for composition
            tf = np.ascontiguousarray(np.dstack([out, st.guide_weight * gc]), dtype=np.float32)
            _costs(tf, sf, nnf, cost, r)
    assert nnf is not None and out is not None
    if st.final == "vote":
        return out
    if st.final == "quilt":
        gw = st.guide_weight
        tf = np.ascontiguousarray(np.dstack([st.colour_weight * out, gw * gc_full]), np.float32)
        sf = np.ascontiguousarray(
            np.dstack([st.colour_weight * exemplar, gw * ge_full]), np.float32
        )
        prior = keep = None
        if st.coarse_block_px > st.block_px:
            cb = st.coarse_block_px
            ov = max(1, round(st.overlap_px * cb / st.block_px))
            _q, prior = _quilt(tf, sf, label, origin, nnf, st, rng, abort, cb, ov)
            keep = keep_factor(_lum(content), st)
        q, _src = _quilt(
            tf, sf, label, origin, nnf, st, rng, abort, st.block_px, st.overlap_px, prior, keep
        )
        q = q / st.colour_weight if st.colour_weight > 0 else q
        return _shade(q, target_lum, st)
    if st.final == "compose":
        return _compose(exemplar, nnf, cost, r)
    return np.ascontiguousarray(exemplar[nnf[..., 0], nnf[..., 1]], dtype=np.float32)


def _quilt(
    tf: np.ndarray,
    sf: np.ndarray,
    label: np.ndarray,
    origin: np.ndarray,
    nnf: np.ndarray,
    st: GuidedSettings,
    rng: np.random.Generator,
    abort: Callable[[], bool] | None,
    block_px: int,
    overlap_px: int,
    prior: np.ndarray | None = None,
    keep: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Guided image quilting (Efros & Freeman 2001, "texture transfer") over the finest
    level: blocks of ``block_px`` on a grid of step ``block_px - overlap_px`` in scan
    order, each an exact copy of an exemplar block chosen among candidates proposed by the
    nearest-neighbour field ``nnf`` (the sources of a few of the block's pixels, shifted to
    the block's corner), the continuations of the left and upper blocks, the pieces of a
    coarser pass (``prior``, int32 ``(H, W, 2)`` exemplar positions, their cost times
    ``keep``, float32 ``(H, W)`` factors <= 1, at the block's centre; None: not proposed)
    so that its large pieces stay whole wherever the smaller blocks fit no better) and a
    few random ones, by :func:`_block_pick` (``tf``/``sf`` agreement, overlap agreement,
    usage); pasted behind the minimum-error boundary cuts through its
    left and top overlaps (:func:`_paste_block`, the numba form of
    :func:`texpaint.imaging.quilting.min_error_cut_mask` for scan-order blocks; a hard cut,
    so every pixel is an exemplar pixel). ``tf`` ``(H, W, C)`` and ``sf``
    ``(He, We, C)``: colour first. Returns the colours float32 ``(H, W, 3)`` and the
    exemplar position each pixel was copied from, int32 ``(H, W, 2)``."""
    h, w = tf.shape[:2]
    he, we = sf.shape[:2]
    b = max(4, min(block_px, h, w, he, we))
    ov = max(0, min(overlap_px, b // 2))
    step = b - ov
    ys0 = list(range(0, max(1, h - b + 1), step))
    xs0 = list(range(0, max(1, w - b + 1), step))
    if ys0[-1] + b < h:
        ys0.append(h - b)
    if xs0[-1] + b < w:
        xs0.append(w - b)
    out = np.zeros((h, w, 3), np.float32)
    filled = np.zeros((h, w), np.bool_)
    srcmap = np.zeros((h, w, 2), np.int32)
    use_prior = prior is not None and keep is not None
    if not use_prior:
        prior, keep = np.zeros((1, 1, 2), np.int32), np.zeros((1, 1), np.float32)
    om = _original_index(origin, 1)
    usage = np.zeros(int(om.max()) + 1, np.float32)
    norm = np.float32(usage.size / (h * w))
    src = np.zeros((len(ys0), len(xs0), 2), np.int64)
    bvalid = _valid_windows(label, b, b, (0, 0))
    bvalid[he - b + 1 :], bvalid[:, we - b + 1 :] = 0, 0
    where = np.flatnonzero(bvalid)
    probe = np.linspace(0, b - 1, 4).astype(np.int64)
    xs_arr = np.array(xs0, np.int64)
    for bi, by in enumerate(ys0):
        if abort is not None and abort():
            raise SynthesisCancelled()
        rand = np.stack(
            _random_valid(bvalid, (len(xs0), max(1, st.random_candidates)), rng, where), axis=-1
        )
        prev_y = ys0[bi - 1] if bi else -1
        _quilt_row(
            tf, sf, bvalid, om, nnf, out, filled, usage, src, bi, by, prev_y, xs_arr, probe, rand,
            b, ov, st.overlap_weight, st.block_occupancy, norm, np.float32(st.continuation),
            srcmap, prior, np.float32(1.0 if use_prior else 0.0), keep,
        )  # fmt: skip
    return out, srcmap


def keep_factor(lum: np.ndarray, st: GuidedSettings) -> np.ndarray:
    """The factor on the cost of a coarse piece in the final quilting pass (see
    :class:`GuidedSettings`): ``coarse_keep`` where the content ``lum`` (float32 ``(H, W)``
    in [0, 1]) is smoothest, rising to 1 (no preference) where its forms change most, by
    ``coarse_keep + (1 - coarse_keep) * d``: ``d`` is the gradient magnitude of the
    luminance blurred at the final block's scale (sigma ``block_px / 4``; finer grain is
    the exemplar's to replace), averaged over the coarse block (sigma ``coarse_block_px /
    2``) and stretched so its 5th percentile is 0 and its 95th 1 (clipped). With
    ``coarse_detail`` False: ``coarse_keep`` everywhere. Returns float32 ``(H, W)``."""
    k = float(st.coarse_keep)
    if not st.coarse_detail:
        return np.full(lum.shape, k, np.float32)
    g = np.hypot(*_gradients(lum, max(1.0, st.block_px / 4.0)))
    e = cv2.GaussianBlur(g, (0, 0), st.coarse_block_px / 2.0)
    lo, hi = np.percentile(e, [5, 95])
    d = np.clip((e - lo) / (hi - lo + 1e-6), 0.0, 1.0)
    return np.ascontiguousarray(k + (1.0 - k) * d, dtype=np.float32)


def _shade(out: np.ndarray, target_lum: np.ndarray | None, st: GuidedSettings) -> np.ndarray:
    """``out`` ``(H, W, 3)`` plus ``st.shade`` x the difference of the blurred (sigma
    ``st.shade_sigma``) luminances of ``target_lum`` ``(H, W)`` and ``out``, clipped to
    [0, 1] (see :class:`GuidedSettings`); ``out`` itself when ``shade`` is 0."""
    if target_lum is None or st.shade <= 0:
        return out
    s = st.shade_sigma
    d = cv2.GaussianBlur(target_lum, (0, 0), s) - cv2.GaussianBlur(_lum(out), (0, 0), s)
    return np.clip(out + st.shade * d[..., None], 0.0, 1.0).astype(np.float32)


def _compose(exemplar: np.ndarray, nnf: np.ndarray, cost: np.ndarray, r: int) -> np.ndarray:
    """Each output pixel copied from the lowest-cost patch covering it, through
    :func:`texpaint.synthesis.nnf.compose` (the field turned into offsets): whole exemplar
    patches are copied, no averaging."""
    from texpaint.synthesis.nnf import compose

    h, w = nnf.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.int32)
    offsets = np.ascontiguousarray(nnf - np.dstack([ys, xs]), dtype=np.int32)
    best = np.full((h, w), np.inf, np.float32)
    label = np.zeros((h, w, 2), np.int32)
    hole = np.ones((h, w), bool)
    compose(hole, offsets, cost, ys.ravel(), xs.ravel(), r, False, best, label)
    sy = np.clip(ys + label[..., 0], 0, exemplar.shape[0] - 1)
    sx = np.clip(xs + label[..., 1], 0, exemplar.shape[1] - 1)
    return np.ascontiguousarray(exemplar[sy, sx], dtype=np.float32)
