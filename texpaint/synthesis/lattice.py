"""Lattice detection: the period vectors of a periodic texture (bricks, tiles, planks, weaves).

A periodic texture repeats (up to instance variation) under translation by every vector of a
2-D lattice ``{a * t1 + b * t2 : a, b integers}``. Its autocorrelation then has peaks at the
lattice vectors, whatever the content of one cell: the mortar courses of a brick wall, the
grout grid of floor tiles, the gaps between planks all line up again after a whole period.

Method (the autocorrelation route of the periodicity literature, e.g. Liu, Collins & Tsin,
"A Computational Model for Periodic Pattern Perception Based on Frieze and Wallpaper Groups",
IEEE TPAMI 2004, §3, and Hays, Leordeanu, Efros & Liu, "Discovering Texture Regularity as a
Higher-Order Correspondence Problem", ECCV 2006; the lattice of patch offsets is also the one
He & Sun's "Statistics of Patch Offsets for Image Completion", ECCV 2012, find dominant):

1. Work on luminance, area-downscaled so the longer side is at most :data:`WORK_PX`, high-passed
   (minus a Gaussian of 1/8 of the shorter side, so lighting gradients do not dominate) and
   normalised to zero mean, unit variance.
2. Autocorrelation by FFT with zero padding (no wrap-around assumption: the input need not
   tile), each lag divided by its overlap area, so ``rho(0) = 1`` and ``rho(v)`` is the mean
   correlation of pixel pairs ``v`` apart.
3. Peaks: local maxima of ``rho`` over a 5 x 5 neighbourhood, at least :data:`MIN_PERIOD_PX`
   working pixels from the origin and inside half the image, above :data:`PEAK_THRESHOLD`.
4. Basis: ``t1`` = the shortest strong peak, ``t2`` = the shortest strong peak not parallel to
   it; then Lagrange-Gauss reduction so ``|t1| <= |t2|`` and the angle between them is
   60-120 degrees (``scored=True``: the pair of short strong peaks whose lattice best
   explains the peaks, :func:`_scored_basis`). Each vector is refined to sub-pixel accuracy
   by locating the peak nearest ``k * t`` for the largest ``k`` that fits (parabolic peak
   interpolation) and dividing by ``k``.
5. Confidence: the mean ``rho`` at ``t1``, ``t2``, ``t1 + t2`` and ``t1 - t2`` (each a lattice
   vector, so each must be a peak of a truly periodic texture), in [0, 1].

Vectors are ``(dy, dx)`` in pixels of the input image (rows down, columns right), floats.

Public API (also used by the inpainting core for lattice-constrained patch offsets)::

    lat = find_lattice(image)            # image float32 (H, W, C) or (H, W), [0, 1]
    if lat is not None:
        lat.t1, lat.t2, lat.confidence   # (dy, dx) floats in px (t2 None: 1-D), [0, 1]
        lat.axis_period(1)               # shortest lattice vector along x: (0, px) -> px
        lat.vectors(max_len)             # lattice vectors (integer combos) up to a length

numpy + OpenCV only (no Qt, no torch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

__all__ = [
    "Lattice",
    "find_lattice",
    "autocorrelation",
    "correlation_length",
    "parabolic_peak",
    "WORK_PX",
    "MIN_PERIOD_PX",
    "PEAK_THRESHOLD",
    "MIN_CONFIDENCE",
]

WORK_PX = 512
"""Longer side (pixels) of the working image the autocorrelation is computed on."""

MIN_PERIOD_PX = 4
"""Shortest period (working pixels) that counts; shorter peaks are fine grain, not a lattice."""

PEAK_THRESHOLD = 0.15
"""Smallest normalised autocorrelation (``rho``, 1 at the origin) of a candidate peak."""

MIN_CONFIDENCE = 0.2
"""Below this confidence :func:`find_lattice` returns None (the texture is not periodic)."""

MIN_PROMINENCE = 0.02
"""Smallest height of a peak above every point on a ring around it (``_Peaks.prominence``)."""

_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)


@dataclass(frozen=True)
class Lattice:
    """A 2-D lattice of translations under which the texture repeats.

    Attributes:
        t1: shortest period vector ``(dy, dx)`` in pixels (floats; ``dx >= 0``).
        t2: second basis vector ``(dy, dx)`` in pixels, not parallel to ``t1``, with
            ``|t1| <= |t2|`` and a 60-120 degree angle between them (a reduced basis); None
            for a one-dimensional lattice (planks or stripes: a period across the gaps only).
        confidence: in [0, 1]: mean normalised autocorrelation at ``t1``, ``t2``, ``t1 + t2``
            and ``t1 - t2`` (``t1`` and ``2 t1`` when one-dimensional); 1 = cells identical
            up to a constant, stochastic textures ~0.
    """

    t1: tuple[float, float]
    t2: tuple[float, float] | None
    confidence: float

    @property
    def basis(self) -> list[tuple[float, float]]:
        """``[t1, t2]``, or ``[t1]`` for a one-dimensional lattice."""
        return [self.t1] if self.t2 is None else [self.t1, self.t2]

    def point(self, a: int, b: int) -> tuple[float, float]:
        """The lattice vector ``a * t1 + b * t2`` as ``(dy, dx)`` pixels (``b`` is ignored for
        a one-dimensional lattice)."""
        t2 = self.t2 if self.t2 is not None else (0.0, 0.0)
        return (a * self.t1[0] + b * t2[0], a * self.t1[1] + b * t2[1])

    def vectors(self, max_len: float, min_len: float = 0.0) -> list[tuple[float, float]]:
        """All non-zero lattice vectors ``(dy, dx)`` (pixels) with ``min_len <= length <=
        max_len``, sorted by length."""
        n = min(math.hypot(*t) for t in self.basis)
        k = int(math.ceil(max_len / max(n, 1e-6))) + 1
        kb = k if self.t2 is not None else 0
        out = []
        for a in range(-k, k + 1):
            for b in range(-kb, kb + 1):
                if a == 0 and b == 0:
                    continue
                v = self.point(a, b)
                length = math.hypot(*v)
                if min_len <= length <= max_len:
                    out.append(v)
        out.sort(key=lambda v: math.hypot(*v))
        return out

    def axis_period(
        self,
        axis: int,
        tol_px: float = 1.0,
        tol_rel: float = 0.03,
        max_terms: int = 8,
        max_px: float = math.inf,
        shear_px: float = 0.0,
    ) -> float | None:
        """Shortest lattice vector lying along an image axis, as a length in pixels.

        ``axis=1``: the shortest ``a * t1 + b * t2`` (``|a|, |b| <= max_terms``) whose ``dy`` is
        within ``max(tol_px, tol_rel * dx, shear_px)`` of 0 (measurement error of the period
        vectors), i.e. the horizontal period an image's width must be a multiple
        of to tile with joints lining up (for running-bond bricks: one brick length); ``axis=0``:
        the same for ``dx`` (vertical period: two courses for running bond).

        ``shear_px`` (default 0: off) also accepts a vector that far off the axis: real walls
        are often sheared (the joints of every other course step a few pixels sideways, so two
        courses up is ``(128, 8)``, not ``(128, 0)``), and without it the only vector along the
        axis is a long combination (many courses) or none; the caller then accepts a joint
        offset of up to ``shear_px`` at the wrap for a period of whole courses.

        Returns:
            The period in pixels (float, > 0, at most ``max_px``), or None when no such vector
            exists within ``max_terms`` (a lattice rotated off the image axes).
        """
        best = None
        mb = max_terms if self.t2 is not None else 0
        for a in range(-max_terms, max_terms + 1):
            for b in range(-mb, mb + 1):
                if a == 0 and b == 0:
                    continue
                dy, dx = self.point(a, b)
                off, along = (dy, dx) if axis == 1 else (dx, dy)
                tol = max(tol_px, tol_rel * abs(along), shear_px)
                if abs(off) <= tol and 0.5 < along <= max_px and (best is None or along < best):
                    best = along
        return best


def _luminance(image: np.ndarray) -> np.ndarray:
    a = np.asarray(image, dtype=np.float32)
    if a.ndim == 3:
        if a.shape[2] >= 3:
            return a[..., :3] @ _LUMA
        return a.mean(axis=2)
    if a.ndim != 2:
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {a.shape}")
    return a


def autocorrelation(field: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation of a 2-D field without wrap-around.

    Args:
        field: float ``(h, w)``; its mean is removed and it is scaled to unit variance.

    Returns:
        float32 ``(2h - 1, 2w - 1)``; the lag ``(dy, dx)`` is at index ``(h - 1 + dy,
        w - 1 + dx)``; ``rho[h - 1, w - 1] = 1``; each lag is the mean product over the
        ``(h - |dy|) * (w - |dx|)`` overlapping pixel pairs, divided by the variance.
        A constant field gives all zeros.
    """
    f = np.asarray(field, dtype=np.float64)
    h, w = f.shape
    f = f - f.mean()
    var = float((f * f).mean())
    if var <= 1e-12:
        return np.zeros((2 * h - 1, 2 * w - 1), np.float32)
    f /= math.sqrt(var)
    sh, sw = cv2.getOptimalDFTSize(2 * h - 1), cv2.getOptimalDFTSize(2 * w - 1)
    spec = np.fft.rfft2(f, s=(sh, sw))
    corr = np.fft.irfft2(spec * np.conj(spec), s=(sh, sw))
    corr = np.fft.fftshift(corr)  # lag 0 at (sh // 2, sw // 2)
    cy, cx = sh // 2, sw // 2
    corr = corr[cy - (h - 1) : cy + h, cx - (w - 1) : cx + w]
    ny = h - np.abs(np.arange(-(h - 1), h))
    nx = w - np.abs(np.arange(-(w - 1), w))
    return (corr / (ny[:, None] * nx[None, :])).astype(np.float32)


def parabolic_peak(v_m: float, v_0: float, v_p: float) -> float:
    """Sub-sample offset of a peak from three samples around it (at -1, 0, +1): the vertex of
    the parabola through them, in [-0.5, 0.5]; 0 when they do not curve down."""
    den = v_m - 2.0 * v_0 + v_p
    if den >= 0:
        return 0.0
    return float(np.clip(0.5 * (v_m - v_p) / den, -0.5, 0.5))


class _Peaks:
    """Autocorrelation ``rho`` of the working image with peak look-ups (working pixels)."""

    def __init__(self, rho: np.ndarray, h: int, w: int) -> None:
        self.rho, self.h, self.w = rho, h, w

    def value(self, v: tuple[float, float]) -> float:
        y, x = round(self.h - 1 + v[0]), round(self.w - 1 + v[1])
        if not (0 <= y < self.rho.shape[0] and 0 <= x < self.rho.shape[1]):
            return 0.0
        return float(self.rho[y, x])

    def refine(self, v: tuple[float, float], radius: int = 2) -> tuple[float, float] | None:
        """The sub-pixel peak nearest ``v``: the maximum within ``radius`` px, interpolated
        by a parabola per axis; None outside the usable range (half the image)."""
        cy, cx = round(self.h - 1 + v[0]), round(self.w - 1 + v[1])
        lim_y, lim_x = self.h // 2, self.w // 2
        if abs(cy - (self.h - 1)) > lim_y or abs(cx - (self.w - 1)) > lim_x:
            return None
        y0, y1 = max(1, cy - radius), min(self.rho.shape[0] - 1, cy + radius + 1)
        x0, x1 = max(1, cx - radius), min(self.rho.shape[1] - 1, cx + radius + 1)
        if y0 >= y1 or x0 >= x1:
            return None
        win = self.rho[y0:y1, x0:x1]
        iy, ix = np.unravel_index(int(np.argmax(win)), win.shape)
        py, px = y0 + int(iy), x0 + int(ix)
        if not (1 <= py < self.rho.shape[0] - 1 and 1 <= px < self.rho.shape[1] - 1):
            return None
        r = self.rho
        sy = parabolic_peak(r[py - 1, px], r[py, px], r[py + 1, px])
        sx = parabolic_peak(r[py, px - 1], r[py, px], r[py, px + 1])
        return (py + sy - (self.h - 1), px + sx - (self.w - 1))

    def prominence(self, v: tuple[float, float], radial: bool = False) -> float:
        """``rho(v)`` minus the largest ``rho`` on a ring around ``v`` (radius a quarter of
        ``|v|``, 2-12 px): positive for an isolated peak, about 0 for a point on a ridge (the
        autocorrelation of straight mortar courses or plank gaps is high all along them).
        ``radial``: only the two ring points along ``v`` (towards and away from the origin),
        so a ridge's point nearest the origin counts (one-dimensional lattices)."""
        length = math.hypot(*v)
        r = float(np.clip(0.25 * length, 2.0, 12.0))
        if radial:
            u = (v[0] / length, v[1] / length)
            ring = [self.value((v[0] + k * r * u[0], v[1] + k * r * u[1])) for k in (-1, 1)]
        else:
            angles = np.linspace(0.0, 2.0 * math.pi, 32, endpoint=False)
            ring = [self.value((v[0] + r * math.sin(t), v[1] + r * math.cos(t))) for t in angles]
        return self.value(v) - max(ring)

    def ridge_foot(self, v: np.ndarray) -> np.ndarray:
        """The point nearest the origin of the ridge through ``v`` (the connected pixels within
        ``|v| / 2`` of ``v`` where ``rho >= 0.9 rho(v)``): for a ridge (straight gaps) it is
        the period vector perpendicular to the gaps, whichever ridge point was the peak."""
        r = max(2, int(0.5 * math.hypot(*v)))
        cy, cx = round(self.h - 1 + v[0]), round(self.w - 1 + v[1])
        y0, y1 = max(0, cy - r), min(self.rho.shape[0], cy + r + 1)
        x0, x1 = max(0, cx - r), min(self.rho.shape[1], cx + r + 1)
        win = (self.rho[y0:y1, x0:x1] >= 0.9 * self.rho[cy, cx]).astype(np.uint8)
        _, labels = cv2.connectedComponents(win, connectivity=8)
        ys, xs = np.nonzero(labels == labels[cy - y0, cx - x0])
        dy, dx = ys + y0 - (self.h - 1), xs + x0 - (self.w - 1)
        i = int(np.argmin(dy * dy + dx * dx))
        return np.array([float(dy[i]), float(dx[i])])

    def fit_basis(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Least-squares basis through the sub-pixel peaks found near ``i * a + j * b`` for
        ``|i|, |j| <= 4`` inside half the image (ridge drift averages out); the input basis when
        fewer than three peaks are found."""
        rows, pts = [], []
        for i in range(-4, 5):
            for j in range(-4, 5):
                if (i, j) <= (0, 0):  # one of each +-v pair, and not the origin
                    continue
                guess = i * a + j * b
                got = self.refine((float(guess[0]), float(guess[1])), radius=1)
                if got is None or self.value(got) < PEAK_THRESHOLD:
                    continue
                rows.append((i, j))
                pts.append(got)
        if len(rows) < 3:
            return a.astype(np.float64), b.astype(np.float64)
        design = np.array(rows, np.float64)
        if np.linalg.matrix_rank(design) < 2:
            return a.astype(np.float64), b.astype(np.float64)
        basis, *_ = np.linalg.lstsq(design, np.array(pts, np.float64), rcond=None)
        return basis[0], basis[1]

    def long_refine(self, v: tuple[float, float]) -> tuple[float, float]:
        """``v`` refined through its multiples: the peak near ``k * v`` for the largest ``k``
        whose peak is still strong, divided by ``k`` (sub-pixel accurate periods)."""
        best = self.refine(v) or v
        length = math.hypot(*v)
        for k in range(2, 64):
            guess = (best[0] * k, best[1] * k)
            got = self.refine(guess, radius=1)
            if got is None or self.value(got) < PEAK_THRESHOLD:
                break
            if abs(math.hypot(*got) / k - length) > 0.1 * length:  # wandered off the peak
                break
            best = (got[0] / k, got[1] / k)
        return best


SCORE_SHARE = 0.8
"""``scored`` basis selection (:func:`_scored_basis`): the finest candidate lattice whose score
is at least this share of the best one's (a coarser lattice made of every other cell of the
true one scores as well as the true one; a finer, wrong one has half its points off the
peaks)."""

SCORE_CANDIDATES = 14
"""``scored`` basis selection: pairs are formed from this many shortest strong isolated
peaks."""


def _lattice_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance (working px) from each ``(dy, dx)`` row of ``points`` to the nearest point of
    the lattice spanned by ``a`` and ``b``."""
    basis = np.stack([a, b], axis=1).astype(np.float64)  # columns a, b
    if abs(np.linalg.det(basis)) < 1e-9:
        return np.full(len(points), np.inf)
    coef = np.linalg.solve(basis, points.T.astype(np.float64))  # (2, n)
    best = np.full(points.shape[0], np.inf)
    base = np.floor(coef)
    for di in (0, 1):
        for dj in (0, 1):
            near = basis @ (base + np.array([[di], [dj]]))
            best = np.minimum(best, np.hypot(*(points.T - near)))
    return best


def _scored_basis(
    peaks: _Peaks,
    cand: np.ndarray,
    isolated: np.ndarray,
    fallback: tuple[np.ndarray | None, np.ndarray | None],
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The basis of the lattice that best explains the autocorrelation's isolated peaks.

    Every non-parallel pair of the :data:`SCORE_CANDIDATES` shortest strong isolated peaks
    ``cand`` (at least half the strongest: a point on a ridge of straight mortar lines is a
    weak local peak that any lattice through it would score high; working px, ``(n, 2)``)
    is reduced (:func:`_reduce`) and scored by the mean ``rho`` (the
    maximum within 1 px) at its lattice points ``i a + j b``, ``|i|, |j| <= 3``, inside the
    usable half of the autocorrelation (at least 4 points, and ``a + b`` or ``a - b`` within
    2 px of one of the ``isolated`` peaks: points along the ridge of a straight panel joint
    are high but not peaks, and a lattice through two of them is not the texture's): a
    wrong, finer lattice has points
    between the peaks (low ``rho``), the true lattice and its coarser sub-lattices have every
    point on a peak. Returns the finest (smallest cell area, within 10 %: the best scored of
    those) lattice scoring at least :data:`SCORE_SHARE` of the best, or ``fallback`` when no
    pair qualifies (two lattices of one density: a running bond and the grid of its half
    bricks, whose points lie on the mortar courses' ridge)."""
    if cand.shape[0] < 2:
        return fallback
    order = np.argsort(np.hypot(cand[:, 0], cand[:, 1]))[:SCORE_CANDIDATES]
    pts = cand[order]
    local = cv2.dilate(peaks.rho, np.ones((3, 3), np.uint8))
    lim_y, lim_x = peaks.h // 2, peaks.w // 2
    scored: list[tuple[float, float, np.ndarray, np.ndarray]] = []
    seen: set[tuple[int, int, int, int]] = set()
    ij = np.array([(i, j) for i in range(-3, 4) for j in range(-3, 4) if (i, j) > (0, 0)], float)
    both = np.concatenate([isolated, -isolated]).astype(np.float64)  # peaks come in +-v pairs
    for m in range(len(pts)):
        for n in range(m + 1, len(pts)):
            a, b = pts[m], pts[n]
            cross = abs(a[0] * b[1] - a[1] * b[0])
            if cross < math.sin(math.radians(20)) * np.linalg.norm(a) * np.linalg.norm(b):
                continue
            a, b = _reduce(a.astype(np.float64), b.astype(np.float64))
            key = tuple(int(round(x)) for x in (*_canonical(a), *_canonical(b)))
            if key in seen or min(np.hypot(*a), np.hypot(*b)) < MIN_PERIOD_PX:
                continue
            seen.add(key)  # type: ignore[arg-type]
            vs = ij @ np.stack([a, b])
            ok = (np.abs(vs[:, 0]) <= lim_y) & (np.abs(vs[:, 1]) <= lim_x)
            if ok.sum() < 4:
                continue
            diag = np.stack([a + b, a - b])  # a and b are peaks; one diagonal must be too
            gap = np.hypot(*(diag[:, None, :] - both[None, :, :]).transpose(2, 0, 1))
            if not (gap.min(axis=1) <= 2.0).any():
                continue
            yy = np.rint(peaks.h - 1 + vs[ok, 0]).astype(int)
            xx = np.rint(peaks.w - 1 + vs[ok, 1]).astype(int)
            scored.append((float(local[yy, xx].mean()), float(cross), a, b))
    if not scored:
        return fallback
    best = max(s[0] for s in scored)
    fine = [s for s in scored if s[0] >= SCORE_SHARE * best]
    area = min(s[1] for s in fine)  # lattices of about that cell area: the best scored
    _, _, a, b = max((s for s in fine if s[1] <= 1.1 * area), key=lambda s: s[0])
    return a, b


def _reduce(t1: np.ndarray, t2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lagrange-Gauss reduction of a 2-D basis (shortest vectors, angle 60-120 degrees)."""
    for _ in range(32):
        if t1 @ t1 > t2 @ t2:
            t1, t2 = t2, t1
        mu = round(float(t1 @ t2) / float(t1 @ t1))
        if mu == 0:
            break
        t2 = t2 - mu * t1
    if t1 @ t1 > t2 @ t2:
        t1, t2 = t2, t1
    return t1, t2


def _canonical(v: np.ndarray) -> tuple[float, float]:
    """Sign so that ``dx > 0`` (or ``dy > 0`` for a vertical vector)."""
    dy, dx = float(v[0]), float(v[1])
    if dx < -1e-9 or (abs(dx) <= 1e-9 and dy < 0):
        dy, dx = -dy, -dx
    return (dy, dx)


def find_lattice(
    image: np.ndarray, *, min_confidence: float = MIN_CONFIDENCE, scored: bool = False
) -> Lattice | None:
    """Find the period vectors of a periodic texture (module docstring for the method).

    Args:
        image: float32 ``(H, W, C)`` RGB (or ``(H, W)``), values in [0, 1] (any scale works:
            the field is normalised), ``H, W >= 16``. Need not tile.
        min_confidence: return None below this confidence (default :data:`MIN_CONFIDENCE`).
        scored: choose the basis by :func:`_scored_basis` (every pair of short isolated
            peaks scored by the mean autocorrelation at its lattice points; the finest lattice
            within :data:`SCORE_SHARE` of the best) instead of the shortest strong peak and the
            shortest one not parallel to it; and drop the second vector for a one-dimensional
            texture only when a ridge point *off* that lattice beats it (the strongest ridge
            point of a tile grid is a lattice point). Off by default (the inpainting core's
            offsets use the shortest-peak basis); Make Seamless uses it: a fine grain (bumps
            of a few pixels) no longer becomes ``t1`` of a brick floor, and a square grid of
            straight grout lines keeps both vectors.

    Returns:
        A :class:`Lattice` (vectors in pixels of ``image``), or None when no two independent
        periods with at least two repeats inside the image are found (stochastic textures:
        rock, grass, plaster) or the confidence is below ``min_confidence``.

    Raises:
        ValueError: wrong number of dimensions or an image smaller than 16 x 16.
    """
    lum = _luminance(image)
    H, W = lum.shape
    if H < 16 or W < 16:
        raise ValueError(f"image must be at least 16 x 16 for lattice detection, got {W} x {H}")
    scale = min(1.0, WORK_PX / max(H, W))
    if scale < 1.0:
        size = (max(16, round(W * scale)), max(16, round(H * scale)))
        work = cv2.resize(lum, size, interpolation=cv2.INTER_AREA)
    else:
        work = lum.copy()
    h, w = work.shape
    sy, sx = h / H, w / W  # working px per image px, per axis
    sigma = min(h, w) / 8.0
    work = work.astype(np.float32) - cv2.GaussianBlur(work.astype(np.float32), (0, 0), sigma)
    rho = autocorrelation(work)
    peaks = _Peaks(rho, h, w)

    dil = cv2.dilate(rho, np.ones((5, 5), np.uint8))
    is_peak = (rho >= dil) & (rho >= PEAK_THRESHOLD)
    ys, xs = np.nonzero(is_peak)
    dy, dx = ys - (h - 1), xs - (w - 1)
    keep = (
        (np.hypot(dy, dx) >= MIN_PERIOD_PX)
        & (np.abs(dy) <= h // 2)
        & (np.abs(dx) <= w // 2)
        & ((dx > 0) | ((dx == 0) & (dy > 0)))  # one of each +-v pair
    )
    cand = np.stack([dy[keep], dx[keep]], axis=1).astype(np.float64)
    if cand.shape[0] == 0:
        return None
    values = np.array([peaks.value((float(v[0]), float(v[1]))) for v in cand])
    ring = np.array([peaks.prominence((float(v[0]), float(v[1]))) for v in cand])
    iso = ring >= MIN_PROMINENCE  # isolated 2-D peaks
    t1 = t2 = None
    if iso.any():
        c2, v2 = cand[iso], values[iso]
        strong = c2[v2 >= max(PEAK_THRESHOLD, 0.5 * float(v2.max()))]
        t1 = strong[int(np.argmin(np.hypot(strong[:, 0], strong[:, 1])))]
        v1 = peaks.value((float(t1[0]), float(t1[1])))

        def independent(v: np.ndarray) -> bool:
            assert t1 is not None
            cross = abs(t1[0] * v[1] - t1[1] * v[0])
            return cross / (np.linalg.norm(t1) * np.linalg.norm(v)) > math.sin(math.radians(20))

        order = np.argsort(np.hypot(c2[:, 0], c2[:, 1]))
        t2 = next((c2[i] for i in order if independent(c2[i]) and v2[i] >= 0.5 * v1), None)
        if scored:
            t1, t2 = _scored_basis(peaks, strong, c2, (t1, t2))
    radial = np.array([peaks.prominence((float(v[0]), float(v[1])), radial=True) for v in cand])
    ridge = radial >= MIN_PROMINENCE
    if t1 is not None and t2 is not None and ridge.any():
        # straight gaps (a ridge) much stronger than the 2-D peaks: those come from chance
        # alignments of plank ends, not from a lattice
        off = ridge
        if scored:  # ridge points that are lattice points are the lattice's own evidence
            off = ridge & (_lattice_distance(cand, t1, t2) > 3.0)
        top = float(values[off].max()) if off.any() else 0.0
        if peaks.value((float(t1[0]), float(t1[1]))) < 0.6 * top:
            t2 = None
    if t2 is None:  # one-dimensional: planks, stripes, courses whose joints do not align
        if not ridge.any():
            return None
        c1, v1s = cand[ridge], values[ridge]
        strong = c1[v1s >= max(PEAK_THRESHOLD, 0.5 * float(v1s.max()))]
        t1 = strong[int(np.argmin(np.hypot(strong[:, 0], strong[:, 1])))]
        t1 = peaks.ridge_foot(t1)
        u = t1 / np.linalg.norm(t1)  # only the length is refined (the ridge is flat along)
        ra = u * float(np.array(peaks.long_refine((float(t1[0]), float(t1[1])))) @ u)
        confidence = float(
            np.clip(np.mean([peaks.value((c[0], c[1])) for c in (ra, 2 * ra)]), 0.0, 1.0)
        )
        if confidence < min_confidence:
            return None
        ia = np.array([ra[0] / sy, ra[1] / sx])
        return Lattice(t1=_canonical(ia), t2=None, confidence=confidence)
    assert t1 is not None
    a, b = _reduce(t1, t2)
    if min(np.hypot(*a), np.hypot(*b)) < MIN_PERIOD_PX:
        return None
    ra, rb = peaks.fit_basis(a, b)
    checks = [ra, rb, ra + rb, ra - rb]
    confidence = float(np.clip(np.mean([peaks.value((c[0], c[1])) for c in checks]), 0.0, 1.0))
    if confidence < min_confidence:
        return None
    # to image pixels (per-axis scale)
    ia = np.array([ra[0] / sy, ra[1] / sx])
    ib = np.array([rb[0] / sy, rb[1] / sx])
    ia, ib = _reduce(ia, ib)
    return Lattice(t1=_canonical(ia), t2=_canonical(ib), confidence=confidence)


def correlation_length(image: np.ndarray) -> float:
    """The texture's scale: the lag (pixels) at which its autocorrelation falls to 0.5.

    The high-passed, normalised luminance of :func:`find_lattice` (same working size), its
    :func:`autocorrelation` averaged over rings of constant lag; the first ring whose mean is
    below 0.5, linearly interpolated, converted to pixels of ``image``. About 1 px for pixel
    noise, a few px for fine grain, tens of px for pebbles or bricks.

    Args:
        image: float32 ``(H, W, C)`` or ``(H, W)``, ``H, W >= 16``.

    Returns:
        Lag in pixels (float, >= 0.5; at most a quarter of the shorter side).

    Raises:
        ValueError: as :func:`find_lattice`.
    """
    lum = _luminance(image)
    H, W = lum.shape
    if H < 16 or W < 16:
        raise ValueError(f"image must be at least 16 x 16, got {W} x {H}")
    scale = min(1.0, WORK_PX / max(H, W))
    work = lum
    if scale < 1.0:
        size = (max(16, round(W * scale)), max(16, round(H * scale)))
        work = cv2.resize(lum, size, interpolation=cv2.INTER_AREA)
    h, w = work.shape
    work = work.astype(np.float32) - cv2.GaussianBlur(
        work.astype(np.float32), (0, 0), min(h, w) / 8
    )
    rho = autocorrelation(work)
    r_max = min(h, w) // 4
    yy, xx = np.mgrid[-r_max : r_max + 1, -r_max : r_max + 1]
    ring = np.rint(np.hypot(yy, xx)).astype(int)
    win = rho[h - 1 - r_max : h + r_max, w - 1 - r_max : w + r_max]
    sums = np.bincount(ring.ravel(), win.ravel(), minlength=r_max + 2)
    counts = np.bincount(ring.ravel(), minlength=r_max + 2)
    profile = sums[: r_max + 1] / np.maximum(counts[: r_max + 1], 1)
    below = np.flatnonzero(profile < 0.5)
    if below.size == 0:
        lag = float(r_max)
    else:
        k = int(below[0])
        a, b = profile[k - 1], profile[k]
        lag = (k - 1) + (a - 0.5) / max(a - b, 1e-9)
    return max(0.5, lag / scale)
