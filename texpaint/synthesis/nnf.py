"""Nearest-neighbour fields between the patches of one image: PatchMatch.

For every *target* patch centre ``p`` (a pixel whose patch overlaps the hole) the field holds
an offset ``o = (dy, dx)`` in pixels such that the patch centred at ``p + o`` is a fully known
*source* patch that looks like the target patch. The field is found by PatchMatch (C. Barnes,
E. Shechtman, A. Finkelstein & D. B. Goldman, "PatchMatch: A Randomized Correspondence
Algorithm for Structural Image Editing", SIGGRAPH 2009): random initialisation, then sweeps in
scan order (reversed every other sweep) that try the offsets of the already visited
neighbours (propagation), a list of candidate offsets shared by every pixel (the texture's
dominant patch offsets, :mod:`texpaint.synthesis.offsets`) and random offsets around the
current best in a halving window (random search).

The patch distance is the mean squared difference over the ``(2r + 1)²`` pixels of the patch
and all channels of ``feat`` (colour plus any guidance channels the caller appends, already
weighted), plus a cost per offset (:func:`offset_penalty`) that lets a caller prefer some
translations (whole lattice periods) over others, or forbid short ones: ``inf`` when
``dy² + dx² < tau2``; else 0 within 1 px of the zero offset or of one of the *preferred*
offsets ``pcand`` (int32 ``(M, 2)``); else ``lam``. It is computed on the fly (no per-offset
map: that would take 4 (2H - 1)(2W - 1) bytes, 268 MB at 4K).

Arrays: ``feat`` float32 ``(H, W, C)`` (any range; C-contiguous); ``src_ok`` bool ``(H, W)``
(True where the patch centred there is entirely known, and inside the image unless ``wrap``);
``ty, tx`` int32 ``(N,)`` target centres in scan order; ``nnf`` int32 ``(H, W, 2)`` offsets;
``cost`` float32 ``(H, W)``. ``wrap=True``: the image is a torus (seamless textures), every
coordinate is taken modulo the size.

The loops are compiled with numba (``cache=True``: the first call of a session compiles them,
about 10 s once per install, later sessions load the cache). Every kernel works on a range
``[start, end)`` of the target list so that a caller can poll for cancel and report progress
between chunks.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = [
    "offset_penalty",
    "patch_cost",
    "init_field",
    "sweep",
    "vote",
    "compose",
    "dilate_mask",
    "local_mean",
    "seam_relabel",
]

_njit = numba.njit(cache=True, nogil=True, fastmath=True, boundscheck=False)


@_njit
def _dist(feat, y, x, sy, sx, r, wrap, limit):
    """Mean squared difference of the patches centred at (y, x) and (sy, sx); stops early
    (returning a value > limit) once the partial sum exceeds ``limit`` for the full count."""
    h, w, c = feat.shape
    total = 0.0
    count = 0
    # the number of target pixels is fixed per target; bound the partial sum by limit * n
    n_full = (2 * r + 1) * (2 * r + 1)
    bound = limit * n_full * c
    if r <= y < h - r and r <= x < w - r and r <= sy < h - r and r <= sx < w - r:
        # both patches inside the image (most pairs): no wrapping or bounds per pixel, and
        # float32 sums per row (vectorised; about 10 % faster than the general loop below)
        acc = np.float32(0.0)
        for i in range(-r, r + 1):
            a = feat[y + i]
            b = feat[sy + i]
            row = np.float32(0.0)
            for j in range(-r, r + 1):
                for k in range(c):
                    d = a[x + j, k] - b[sx + j, k]
                    row += d * d
            acc += row
            if acc > bound:
                return np.inf
        return acc / (n_full * c)
    for i in range(-r, r + 1):
        yy = y + i
        sy2 = sy + i
        if wrap:
            yy %= h
            sy2 %= h
        elif yy < 0 or yy >= h:
            continue
        for j in range(-r, r + 1):
            xx = x + j
            sx2 = sx + j
            if wrap:
                xx %= w
                sx2 %= w
            elif xx < 0 or xx >= w:
                continue
            for k in range(c):
                d = feat[yy, xx, k] - feat[sy2, sx2, k]
                total += d * d
            count += 1
        if total > bound:
            return np.inf
    if count == 0:
        return np.inf
    return total / (count * c)


@_njit
def offset_penalty(ody, odx, pcand, lam, tau2):
    """The cost of offset ``(ody, odx)`` (module doc): ``inf`` when shorter than
    ``sqrt(tau2)``, 0 within 1 px of the zero offset or of a row of ``pcand``, else ``lam``."""
    if ody * ody + odx * odx < tau2:
        return np.inf
    if lam <= 0.0:
        return 0.0
    if -1 <= ody <= 1 and -1 <= odx <= 1:
        return 0.0
    for k in range(pcand.shape[0]):
        if -1 <= ody - pcand[k, 0] <= 1 and -1 <= odx - pcand[k, 1] <= 1:
            return 0.0
    return lam


@_njit
def _source(y, x, dy, dx, h, w, wrap):
    sy = y + dy
    sx = x + dx
    if wrap:
        sy %= h
        sx %= w
        return sy, sx, True
    return sy, sx, (0 <= sy < h and 0 <= sx < w)


@_njit
def _neighbour(y, x, a, h, w, wrap):
    """The 4-neighbour ``a`` of (y, x) (0: below, 1: above, 2: right, 3: left) as
    :func:`_source` gives it: ``(ny, nx, inside)``."""
    return _source(y, x, int(a == 0) - int(a == 1), int(a == 2) - int(a == 3), h, w, wrap)


@_njit
def _try(feat, src_ok, pcand, lam, tau2, nnf, cost, y, x, dy, dx, r, wrap):
    """Evaluate offset (dy, dx) for target (y, x); keep it when better. Returns True if kept."""
    h, w, _ = feat.shape
    sy, sx, inside = _source(y, x, dy, dx, h, w, wrap)
    if not inside or not src_ok[sy, sx]:
        return False
    ody = sy - y
    odx = sx - x
    pen = offset_penalty(ody, odx, pcand, lam, tau2)
    best = cost[y, x]
    if pen >= best:
        return False
    d = _dist(feat, y, x, sy, sx, r, wrap, best - pen) + pen
    if d < best:
        cost[y, x] = d
        nnf[y, x, 0] = ody
        nnf[y, x, 1] = odx
        return True
    return False


@_njit
def patch_cost(feat, pcand, lam, tau2, nnf, cost, ty, tx, r, wrap, start, end):
    """Recompute ``cost`` of targets ``[start, end)`` for their current offsets (after the
    image changed). Offsets whose source is outside the image get ``inf``."""
    h, w, _ = feat.shape
    for n in range(start, end):
        y = ty[n]
        x = tx[n]
        sy, sx, inside = _source(y, x, nnf[y, x, 0], nnf[y, x, 1], h, w, wrap)
        if not inside:
            cost[y, x] = np.inf
            continue
        ody = sy - y
        odx = sx - x
        pen = offset_penalty(ody, odx, pcand, lam, tau2)
        cost[y, x] = _dist(feat, y, x, sy, sx, r, wrap, np.inf) + pen


@_njit
def init_field(feat, src_ok, pcand, lam, tau2, nnf, cost, ty, tx, sy_list, sx_list, r, wrap, seed):
    """Give every target whose offset is invalid (source not ``src_ok``) a random valid
    source from ``sy_list, sx_list`` (int32 ``(M,)``, ``M > 0``); then recompute all costs."""
    np.random.seed(seed)
    h, w, _ = feat.shape
    m = sy_list.shape[0]
    for n in range(ty.shape[0]):
        y = ty[n]
        x = tx[n]
        sy, sx, inside = _source(y, x, nnf[y, x, 0], nnf[y, x, 1], h, w, wrap)
        if not inside or not src_ok[sy, sx]:
            k = np.random.randint(0, m)
            nnf[y, x, 0] = sy_list[k] - y
            nnf[y, x, 1] = sx_list[k] - x
    patch_cost(feat, pcand, lam, tau2, nnf, cost, ty, tx, r, wrap, 0, ty.shape[0])


@_njit
def sweep(
    feat,
    src_ok,
    is_target,
    pcand,
    lam,
    tau2,
    nnf,
    cost,
    ty,
    tx,
    cand,
    r,
    wrap,
    reverse,
    search_px,
    seed,
    start,
    end,
):
    """One PatchMatch sweep over targets ``[start, end)`` of the scan-ordered list (visited
    from the end when ``reverse``): propagation from the left/upper (right/lower when
    ``reverse``) neighbour, each candidate offset of ``cand`` (int32 ``(K, 2)``), then random
    search around the best offset in windows of ``search_px``, ``search_px / 2``, ... 1 px.
    Returns the number of targets whose offset improved."""
    np.random.seed(seed)
    h, w, _ = feat.shape
    step = -1 if reverse else 1
    improved = 0
    for m in range(start, end):
        n = ty.shape[0] - 1 - m if reverse else m
        y = ty[n]
        x = tx[n]
        before = cost[y, x]
        # propagation: the neighbour's offset, shifted onto this pixel
        for a in range(2):
            if a == 0:
                py, px = y, x - step
            else:
                py, px = y - step, x
            if wrap:
                py %= h
                px %= w
            elif py < 0 or py >= h or px < 0 or px >= w:
                continue
            if is_target[py, px]:
                dy = nnf[py, px, 0]
                dx = nnf[py, px, 1]
                _try(feat, src_ok, pcand, lam, tau2, nnf, cost, y, x, dy, dx, r, wrap)
        # dominant offsets of the texture
        for k in range(cand.shape[0]):
            _try(feat, src_ok, pcand, lam, tau2, nnf, cost, y, x, cand[k, 0], cand[k, 1], r, wrap)
        # random search
        rad = search_px
        while rad >= 1:
            dy = nnf[y, x, 0] + np.random.randint(-rad, rad + 1)
            dx = nnf[y, x, 1] + np.random.randint(-rad, rad + 1)
            _try(feat, src_ok, pcand, lam, tau2, nnf, cost, y, x, dy, dx, r, wrap)
            rad //= 2
        if cost[y, x] < before:
            improved += 1
    return improved


@_njit
def vote(feat, nchan, index, nnf, cost, ty, tx, r, wrap, sigma2, acc, wsum, start, end):
    """Wexler et al.'s voting step, accumulated: every target patch ``[start, end)`` adds its
    source patch's first ``nchan`` channels, weighted ``exp(-cost / (2 sigma2))``, to the hole
    pixels it covers. ``index`` int32 ``(H, W)``: each hole pixel's row in the compact
    accumulators ``acc`` float64 ``(N, nchan)`` and ``wsum`` float64 ``(N,)`` (N hole pixels;
    -1 outside the hole), so the accumulators cost memory per hole pixel only."""
    h, w, _ = feat.shape
    for n in range(start, end):
        y = ty[n]
        x = tx[n]
        c = cost[y, x]
        if not np.isfinite(c):
            continue
        wt = np.exp(-c / (2.0 * sigma2)) + 1e-12
        sy0 = y + nnf[y, x, 0]
        sx0 = x + nnf[y, x, 1]
        for i in range(-r, r + 1):
            yy = y + i
            if wrap:
                yy %= h
            elif yy < 0 or yy >= h:
                continue
            sy = sy0 + i
            if wrap:
                sy %= h
            for j in range(-r, r + 1):
                xx = x + j
                if wrap:
                    xx %= w
                elif xx < 0 or xx >= w:
                    continue
                q = index[yy, xx]
                if q < 0:
                    continue
                sx = sx0 + j
                if wrap:
                    sx %= w
                for k in range(nchan):
                    acc[q, k] += wt * feat[sy, sx, k]
                wsum[q] += wt


@_njit
def compose(hole, nnf, cost, ty, tx, r, wrap, best, label):
    """Composition without averaging: each hole pixel takes the offset of the lowest-cost
    target patch that covers it (``best`` float32 ``(H, W)`` initialised to ``inf``,
    ``label`` int32 ``(H, W, 2)``), so whole source patches are copied and the best ones win
    where patches overlap."""
    h, w = hole.shape
    for n in range(ty.shape[0]):
        y = ty[n]
        x = tx[n]
        c = cost[y, x]
        if not np.isfinite(c):
            continue
        for i in range(-r, r + 1):
            yy = y + i
            if wrap:
                yy %= h
            elif yy < 0 or yy >= h:
                continue
            for j in range(-r, r + 1):
                xx = x + j
                if wrap:
                    xx %= w
                elif xx < 0 or xx >= w:
                    continue
                if hole[yy, xx] and c < best[yy, xx]:
                    best[yy, xx] = c
                    label[yy, xx, 0] = y + nnf[y, x, 0] + i - yy
                    label[yy, xx, 1] = x + nnf[y, x, 1] + j - xx


@_njit
def local_mean(image, known, ys, xs, sigma, wrap):
    """Gaussian-weighted mean (sigma px, window radius ``ceil(3 sigma)``) of the ``known``
    pixels of ``image`` (float32 ``(H, W, C)``) around each point ``(ys[i], xs[i])``: float32
    ``(N, C)`` (the point's own value when no known pixel is in the window)."""
    h, w, c = image.shape
    rad = int(np.ceil(3.0 * sigma))
    out = np.zeros((ys.shape[0], c), np.float32)
    acc = np.zeros(c, np.float64)
    for n in range(ys.shape[0]):
        y0 = ys[n]
        x0 = xs[n]
        acc[:] = 0.0
        wsum = 0.0
        for i in range(-rad, rad + 1):
            yy = y0 + i
            if wrap:
                yy %= h
            elif yy < 0 or yy >= h:
                continue
            for j in range(-rad, rad + 1):
                xx = x0 + j
                if wrap:
                    xx %= w
                elif xx < 0 or xx >= w:
                    continue
                if not known[yy, xx]:
                    continue
                wt = np.exp(-(i * i + j * j) / (2.0 * sigma * sigma))
                for k in range(c):
                    acc[k] += wt * image[yy, xx, k]
                wsum += wt
        for k in range(c):
            out[n, k] = acc[k] / wsum if wsum > 0 else image[y0 % h, x0 % w, k]
    return out


@_njit
def _pixel_sd(image, y, x, dy1, dx1, dy2, dx2, hole, wrap):
    """Squared colour difference at pixel (y, x) between the copies by offsets 1 and 2; 0
    when either has no known source there (nothing to compare)."""
    h, w, c = image.shape
    ay, ax, ok1 = _source(y, x, dy1, dx1, h, w, wrap)
    by, bx, ok2 = _source(y, x, dy2, dx2, h, w, wrap)
    if not ok1 or not ok2 or hole[ay, ax] or hole[by, bx]:
        return 0.0
    total = 0.0
    for k in range(c):
        d = image[ay, ax, k] - image[by, bx, k]
        total += d * d
    return total


@_njit
def seam_relabel(image, hole, label, yy, xx, sweeps, wrap):
    """Move the seams between copied regions to where the copies agree (the seam cost of
    V. Kwatra, A. Schödl, I. Essa, G. Turk & A. Bobick, "Graphcut Textures", SIGGRAPH 2003:
    ``|A(p) - B(p)|² + |A(q) - B(q)|²`` for neighbours p, q copied by offsets A and B),
    minimised by iterated conditional modes instead of a min-cut: ``sweeps`` passes over the
    hole pixels ``yy, xx`` (int64 ``(N,)``), each pixel taking whichever of its own offset
    and its 4-neighbours' offsets (known neighbours: the zero offset) gives the lowest total
    seam cost to its 4 neighbours, among offsets whose source is a known pixel. ``image``
    float32 ``(H, W, C)``, ``hole`` bool ``(H, W)``, ``label`` int32 ``(H, W, 2)`` (offsets of
    the hole pixels; updated in place). Returns the number of pixels changed."""
    h, w, _ = image.shape
    changed = 0
    cy = np.zeros(5, np.int64)
    cx = np.zeros(5, np.int64)
    for it in range(sweeps):
        for m in range(yy.shape[0]):
            n = m if it % 2 == 0 else yy.shape[0] - 1 - m
            y = yy[n]
            x = xx[n]
            nc = 0
            cy[0] = label[y, x, 0]
            cx[0] = label[y, x, 1]
            nc = 1
            for a in range(4):
                ny, nx, inside = _neighbour(y, x, a, h, w, wrap)
                if not inside:
                    continue
                ly = label[ny, nx, 0] if hole[ny, nx] else 0
                lx = label[ny, nx, 1] if hole[ny, nx] else 0
                dup = False
                for b in range(nc):
                    if cy[b] == ly and cx[b] == lx:
                        dup = True
                if not dup:
                    cy[nc] = ly
                    cx[nc] = lx
                    nc += 1
            best = np.inf
            bi = 0
            for b in range(nc):
                sy, sx, inside = _source(y, x, cy[b], cx[b], h, w, wrap)
                if not inside or hole[sy, sx]:
                    continue
                e = 0.0
                for a in range(4):
                    ny, nx, inside = _neighbour(y, x, a, h, w, wrap)
                    if not inside:
                        continue
                    ly = label[ny, nx, 0] if hole[ny, nx] else 0
                    lx = label[ny, nx, 1] if hole[ny, nx] else 0
                    if ly == cy[b] and lx == cx[b]:
                        continue
                    e += _pixel_sd(image, y, x, cy[b], cx[b], ly, lx, hole, wrap)
                    e += _pixel_sd(image, ny, nx, cy[b], cx[b], ly, lx, hole, wrap)
                if e < best:
                    best = e
                    bi = b
            if bi != 0 and np.isfinite(best):
                label[y, x, 0] = cy[bi]
                label[y, x, 1] = cx[bi]
                changed += 1
    return changed


def dilate_mask(mask: np.ndarray, r: int, wrap: bool) -> np.ndarray:
    """``mask`` (bool ``(H, W)``) dilated by a ``(2r + 1)²`` square (wrapping round when
    ``wrap``): the centres of all patches that touch it."""
    import cv2

    if r <= 0:
        return mask.copy()
    k = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    m = mask.astype(np.uint8)
    if wrap:
        h, w = m.shape
        p = np.pad(m, r, mode="wrap")
        return cv2.dilate(p, k)[r : r + h, r : r + w] > 0
    return cv2.dilate(m, k, borderType=cv2.BORDER_CONSTANT, borderValue=0) > 0


@_njit
def offset_fill(colour, filled, label, oy, ox, cand, r, wrap):
    """Fill the pixels where ``filled`` is False in the order ``oy, ox`` (int32 ``(N,)``,
    boundary first: onion peel) by copying ``colour`` from ``q + o`` for the candidate offset
    ``o`` of ``cand`` (int32 ``(K, 2)``) whose shifted copy best matches the already filled
    pixels of the ``(2r + 1)²`` window around ``q`` (mean squared difference; the offset of
    an already filled 4-neighbour gets a 10 % bonus, for coherent regions). This is the
    greedy form of He & Sun's offset labelling (ECCV 2012). ``colour`` float32 ``(H, W, C)``
    and ``filled`` bool ``(H, W)`` are updated in place, ``label`` int32 ``(H, W)`` gets the
    chosen candidate index (-1 where none had a filled source). Returns the pixels filled."""
    h, w, c = colour.shape
    n_filled = 0
    for n in range(oy.shape[0]):
        y = oy[n]
        x = ox[n]
        if filled[y, x]:
            continue
        best = np.inf
        bk = -1
        for k in range(cand.shape[0]):
            sy, sx, inside = _source(y, x, cand[k, 0], cand[k, 1], h, w, wrap)
            if not inside or not filled[sy, sx]:
                continue
            total = 0.0
            cnt = 0
            for i in range(-r, r + 1):
                py = y + i
                qy = sy + i
                if wrap:
                    py %= h
                    qy %= h
                elif py < 0 or py >= h or qy < 0 or qy >= h:
                    continue
                for j in range(-r, r + 1):
                    px = x + j
                    qx = sx + j
                    if wrap:
                        px %= w
                        qx %= w
                    elif px < 0 or px >= w or qx < 0 or qx >= w:
                        continue
                    if filled[py, px] and filled[qy, qx]:
                        for ch in range(c):
                            d = colour[py, px, ch] - colour[qy, qx, ch]
                            total += d * d
                        cnt += 1
            if cnt == 0:
                continue
            cost = total / (cnt * c)
            # coherence: the offset a filled 4-neighbour took
            for a in range(4):
                ny, nx, inside = _neighbour(y, x, a, h, w, wrap)
                if not inside:
                    continue
                if label[ny, nx] == k:
                    cost *= 0.9
                    break
            if cost < best:
                best = cost
                bk = k
        if bk >= 0:
            sy, sx, _ = _source(y, x, cand[bk, 0], cand[bk, 1], h, w, wrap)
            for ch in range(c):
                colour[y, x, ch] = colour[sy, sx, ch]
            filled[y, x] = True
            label[y, x] = bk
            n_filled += 1
    return n_filled
