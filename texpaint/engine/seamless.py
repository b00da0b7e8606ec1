"""Make Seamless: turn a texture into one that tiles, respecting what already tiles and the
texture's lattice.

The method (:func:`plan_seamless`, then :func:`make_seamless`):

1. **Already seamless?** :func:`texpaint.imaging.seams.wrap_check`: when the wrap seams look
   like the image's own interior lines at every scale, and (for a periodic texture) the
   pattern one period across the wrap repeats as it does inside (:func:`_phase_step` on the
   luminance, :func:`_edge_phase_step` on its edges, for each period the line profiles
   confirm: a crop of a clean grid has ordinary-looking lines but a cut period), and the
   courses, grout lines or plank gaps on either side of the wrap are spaced as the interior
   ones are (:func:`_wrap_line_spacing`, also along an axis where only the line profile has
   a period, :func:`_axis_line_period`), the image is returned unchanged (unless ``force``):
   the CLI then copies the file, the dialog says "already tiles".
2. **Lattice** (:func:`texpaint.synthesis.lattice.find_lattice` with its ``scored`` basis,
   axis periods refined on the line profiles; when it finds only a fine grain such as a
   weave's threads, again on the image blurred by half that grain, for the pattern's coarser
   lattice; a lattice along one axis only gains the other axis's line period, and an axis
   the lattice has no period along is fitted to its lines' spacing when they are regular):
   periodic textures (bricks, tiles, planks, checks) get their
   period vectors; with ``fit_to_period`` each axis that has a period is fitted to the
   *nearest* whole number of periods, so the size changes by at most half a period: cropped
   when that number is below the size (a sub-pixel crop resampled to whole pixels, placed where
   the two lines that will meet across the wrap already agree best), extended when it is above
   (the image resampled by under a pixel, and a gap of fewer than half a period added at the
   wrap, first filled with the texture one period back and then re-synthesised by the band).
   The tile then closes with every course whole.
3. **Lighting** evened (:func:`even_out_lighting`) when the two sides of a seam differ at
   coarse scales (wrap-check scores at strip widths of 16 px and more above tolerance), or
   when asked.
4. Roll by half the size (and half a fit-to-period gap), so the wrap seams become a cross
   through the middle, and re-synthesise
   a band over each seam by quilting (:func:`texpaint.imaging.seam_band.quilt_band`): with a
   lattice the copied blocks are offset by lattice vectors, so mortar courses, grout lines and
   plank gaps run on through the band, neither deleted nor doubled; without one, by the
   best-matching of random offsets. With a lattice the band is copied one line spacing at a
   time (one course of a wall, for the band over the left/right seam), each copy's lattice
   vector refined by a few pixels and chosen by a cost that weighs edges (joints, mortar) most,
   so the copy's joints meet the neighbours' although real courses drift from the lattice.
   Band width: from the texture's scale (8 x its
   :func:`~texpaint.synthesis.lattice.correlation_length`, or 0.4 x its longer period), 24 px
   to a sixth of the shorter side. Copies chosen by least squared difference lean towards
   smoother sources, so the bands' fine detail is then matched to the texture's
   (:func:`match_band_detail`, its gain measured on the bands without their cut strips).
   Roll back.

``method="network"`` keeps the earlier path for step 4 (texpaint's inpainting network over a
soft cross band of a fixed width, wrap mode, then :func:`match_band_detail`);
``method="core"`` fills the bands with the structure-aware completion core
(:mod:`texpaint.synthesis.completion`), not the default: on ``cc0-1k/val`` crops it took 4-5 s
CPU per 0.25 MP against quilting's 0.3-0.4 s and its bands read as strips of finer texture
(``benchmarks/RESULTS.md``).

Content outside the bands is unchanged (bit-identical when lighting is not evened and the image
is not fitted).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.signal import find_peaks

from texpaint.imaging.seam_band import band_overlap_px, quilt_band
from texpaint.imaging.seams import WrapCheck, wrap_check
from texpaint.jobs import Job, JobCancelled, JobError, JobResult, Operation
from texpaint.synthesis.lattice import Lattice, correlation_length, find_lattice, parabolic_peak

__all__ = [
    "SOFT_EDGE_PX",
    "SeamlessPlan",
    "default_band_px",
    "plan_seamless",
    "even_out_lighting",
    "fit_image_to_period",
    "resample_wrap",
    "axis_band_px",
    "seam_overlap_px",
    "make_seamless",
    "match_band_detail",
    "seam_band_mask",
]

InpaintFn = Callable[[Job, Callable[[], bool], Callable[[float, str], None]], JobResult]
"""``inpaint(job, abort, progress) -> JobResult``: how the ``"network"`` method runs its
inpainting job. Passed in by `ops.seamless` (:func:`texpaint.ops.runner.inpaint_runner`),
so this module does not import the pipeline that dispatches Make Seamless to it."""

SOFT_EDGE_PX = 4
"""Width (pixels) of the linear ramp at each side of the band (fewer for bands under 16 px)."""

LIGHTING_SIGMA_FRACTION = 1.0 / 8.0
"""Gaussian sigma of the lighting estimate, as a fraction of the image's shorter side."""

_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)  # Rec. 709 luminance weights


def default_band_px(height: int, width: int) -> int:
    """Default band width (pixels): 1/8 of the shorter side, at least 16 px (and at most half
    the shorter side)."""
    short = min(height, width)
    return max(2, min(short // 2, max(16, round(short / 8))))


def _check_band(band_px: int, height: int, width: int) -> int:
    band_px = int(band_px)
    if band_px < 2 or band_px > min(height, width) // 2:
        raise JobError(
            f"Seam band width must be between 2 and {min(height, width) // 2} px "
            f"(half the shorter side) for a {width} x {height} image, got {band_px}"
        )
    return band_px


def seam_band_mask(height: int, width: int, band_px: int) -> np.ndarray:
    """Cross-shaped band mask over the wrap seams of an image rolled by half its size.

    The seams of the rolled image lie on the pixel boundaries ``y = height // 2`` and
    ``x = width // 2``. A pixel whose centre is ``d`` px from a seam line gets
    ``clip((band_px / 2 + 0.5 - d) / soft, 0, 1)`` with ``soft = min(SOFT_EDGE_PX,
    max(1, band_px // 4))``: ``band_px`` rows (columns) are non-zero for an even ``band_px``,
    the outer ``soft`` of them on each side ramp linearly to 0. The cross is the maximum of
    the horizontal and the vertical band.

    Args:
        height, width: image size in pixels.
        band_px: full band width in pixels (2 .. half the shorter side).

    Returns:
        float32 ``(height, width)`` in [0, 1], 1 = inpaint.

    Raises:
        JobError: band width out of range.
    """
    band_px = _check_band(band_px, height, width)
    soft = min(SOFT_EDGE_PX, max(1, band_px // 4))

    def ramp(n: int) -> np.ndarray:
        d = np.abs(np.arange(n, dtype=np.float32) + 0.5 - n // 2)
        return np.clip((band_px / 2.0 + 0.5 - d) / soft, 0.0, 1.0)

    return np.maximum(ramp(height)[:, None], ramp(width)[None, :]).astype(np.float32)


def _circular_gaussian(field: np.ndarray, sigma_px: float) -> np.ndarray:
    """Gaussian blur of a float ``(H, W)`` field with wrap-around edges (in the Fourier domain,
    where a circular convolution is a product)."""
    h, w = field.shape
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    transfer = np.exp(-2.0 * (np.pi * sigma_px) ** 2 * (fx**2 + fy**2))
    return np.fft.irfft2(np.fft.rfft2(field) * transfer, s=(h, w))


def even_out_lighting(image: np.ndarray, sigma_px: float | None = None) -> np.ndarray:
    """Divide out low-frequency lighting, keeping the mean brightness.

    ``gain = mean(L) / blur(L)``, where ``L`` is the Rec. 709 luminance of ``image`` and
    ``blur`` a wrap-around Gaussian of ``sigma_px`` (so the gain field itself tiles and adds no
    seam); ``out = image * gain``, scaled so its mean luminance equals the input's, clipped to
    ``[0, max(1, image.max())]``. Texture detail (much smaller than ``sigma_px``) is kept; a
    brightness gradient across the image is flattened.

    Args:
        image: float32 ``(H, W, 3)`` RGB, [0, 1] (float sources may exceed 1).
        sigma_px: blur sigma in pixels; None = ``LIGHTING_SIGMA_FRACTION`` of the shorter side.

    Returns:
        float32 ``(H, W, 3)``, a new array.
    """
    rgb = np.asarray(image, dtype=np.float32)
    h, w = rgb.shape[:2]
    sigma = float(sigma_px) if sigma_px is not None else LIGHTING_SIGMA_FRACTION * min(h, w)
    lum = rgb.astype(np.float64) @ _LUMA.astype(np.float64)
    mean = float(lum.mean())
    if mean <= 1e-6:
        return rgb.copy()
    low = _circular_gaussian(lum, sigma)
    gain = mean / np.maximum(low, 0.05 * mean)
    out = rgb * gain[..., None].astype(np.float32)
    out_mean = float((out.astype(np.float64) @ _LUMA.astype(np.float64)).mean())
    if out_mean > 0:
        out *= np.float32(mean / out_mean)
    return np.clip(out, 0.0, max(1.0, float(rgb.max()))).astype(np.float32)


DETAIL_SIGMA_PX = 1.5
"""Gaussian sigma (pixels) that splits the fill into base and fine detail for
:func:`match_band_detail`."""

DETAIL_GAIN_RANGE = (0.5, 2.0)
"""Smallest and largest detail gain :func:`match_band_detail` applies."""


def _neighbour_differences(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float64 differences to the right and to the lower neighbour (wrap around), each
    ``(H, W, C)``: the per-pixel terms of :mod:`texpaint.imaging.seams`."""
    a = image.astype(np.float64)
    return np.roll(a, -1, axis=1) - a, np.roll(a, -1, axis=0) - a


def match_band_detail(
    image: np.ndarray, mask: np.ndarray, measure: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Give an inpainted band the same amount of fine detail as the texture around it.

    The image is split into ``base`` (a wrap-around Gaussian blur of :data:`DETAIL_SIGMA_PX`)
    and ``detail = image - base``. Inside the band the detail is scaled by a gain ``g``,
    chosen so that the band's mean gradient energy (squared differences to the right and
    lower neighbours, averaged over channels, as in :mod:`texpaint.imaging.seams`) equals
    that of the pixels where ``mask == 0``: with ``b`` and ``d`` the neighbour differences of
    base and detail, the band's energy is ``E(g) = |b|^2 + 2 g <b, d> + g^2 |d|^2`` (means over
    the band), and ``g`` is the root of ``E(g) = E_out``, clipped to
    :data:`DETAIL_GAIN_RANGE`. The result is ``base + detail * (1 + (g - 1) * mask)`` where
    ``mask > 0`` (full gain inside the band, fading out on its soft edges), so the local mean
    colour is kept. This is energy matching of one frequency band, in the spirit of the
    subband matching of Heeger & Bergen, "Pyramid-Based Texture Analysis/Synthesis",
    SIGGRAPH 1995.

    Args:
        image: float32 ``(H, W, 3)``, the inpainted image, wrap-continuous (rolled so its band
            lies inside the image).
        mask: float32 ``(H, W)`` in [0, 1], the band that was inpainted (1 = generated).
        measure: bool ``(H, W)``, the pixels whose energy ``g`` is matched (a subset of
            ``mask > 0``); None = ``mask > 0``. Quilted bands pass their core: the strips
            where the cuts run carry the cuts' own small steps, which would lower the gain
            and leave the band's middle (the wrap seam) smoother than the texture.

    Returns:
        ``(result, gain)``: float32 ``(H, W, 3)`` (pixels where ``mask == 0`` bit-identical
        to ``image``; values clipped to ``[0, max(1, image.max())]``), and the gain applied
        (1.0 when the band or the rest is empty, or either has no detail).
    """
    rgb = np.asarray(image, dtype=np.float32)
    band = mask > 0
    if not band.any() or band.all():
        return rgb.copy(), 1.0
    core = band if measure is None else (measure & band)
    if not core.any():
        core = band
    base = np.stack(
        [_circular_gaussian(rgb[..., c].astype(np.float64), DETAIL_SIGMA_PX) for c in range(3)],
        axis=-1,
    )
    bx, by = _neighbour_differences(base)
    dx, dy = _neighbour_differences(rgb - base)
    channels = rgb.shape[2]

    def band_mean(terms: np.ndarray) -> float:
        return float(terms.sum(axis=2)[core].mean()) / channels

    e_dd = band_mean(dx * dx + dy * dy)
    e_bd = band_mean(bx * dx + by * dy)
    e_bb = band_mean(bx * bx + by * by)
    ix, iy = _neighbour_differences(rgb)
    e_out = float((ix * ix + iy * iy).sum(axis=2)[~band].mean()) / channels
    disc = e_bd * e_bd - e_dd * (e_bb - e_out)
    if e_dd <= 1e-12 or e_out <= 1e-12:
        return rgb.copy(), 1.0
    root = (-e_bd + np.sqrt(disc)) / e_dd if disc >= 0 else DETAIL_GAIN_RANGE[0]
    gain = float(np.clip(root, *DETAIL_GAIN_RANGE))
    weight = (1.0 + (gain - 1.0) * mask.astype(np.float32))[..., None]
    base32 = base.astype(np.float32)
    boosted = np.clip(base32 + (rgb - base32) * weight, 0.0, max(1.0, float(rgb.max())))
    return np.where(band[..., None], boosted, rgb).astype(np.float32), gain


def _no_progress(fraction: float, message: str) -> None:
    pass


@dataclass(frozen=True)
class SeamlessPlan:
    """What Make Seamless will do to an image (:func:`plan_seamless`).

    Attributes:
        check: the wrap check of the input (``check.tiles``: it already tiles).
        force: re-synthesise even when it tiles.
        lattice: the texture's lattice, or None (not periodic).
        crop: ``(y0, x0, height, width)`` in input pixels (floats) of the region that fit to
            period keeps (the whole input along an axis that is extended), resampled to
            ``size - gap`` pixels; None (no fit).
        size: output ``(H, W)`` in pixels.
        band_px: band width in pixels over each seam.
        even_lighting: lighting is evened before the bands are synthesised.
        gap: ``(rows, columns)`` added at the wrap by fit to period when the nearest whole
            number of periods is above the input's size (the band over that seam synthesises
            them); ``(0, 0)`` when cropped or not fitted.
        period_px: ``(vertical, horizontal)`` period in synthesis pixels along each fitted
            axis (0.0: none), the distance :func:`fit_image_to_period` copies a gap's first
            fill from.
        work_size: ``(H, W)`` the bands are synthesised at, when it differs from ``size``: an
            axis extended to whole periods (``gap``) whose result is resampled back to the
            input's size (``grow`` off: the size is kept, the texture scaled by under
            ``1 / (2 x periods)``); None = ``size``.
    """

    check: WrapCheck
    force: bool
    lattice: Lattice | None
    crop: tuple[float, float, float, float] | None
    size: tuple[int, int]
    band_px: int
    even_lighting: bool
    gap: tuple[int, int] = (0, 0)
    period_px: tuple[float, float] = (0.0, 0.0)
    work_size: tuple[int, int] | None = None

    @property
    def synth_size(self) -> tuple[int, int]:
        """``(H, W)`` the bands are synthesised at (``work_size`` or ``size``)."""
        return self.work_size or self.size

    @property
    def unchanged(self) -> bool:
        """True when the image already tiles and is left as it is (no ``force``)."""
        return self.check.tiles and not self.force

    def describe(self) -> str:
        """One line for the user, e.g. ``"already tiles"`` or ``"lattice 127 x 93 px, fit to
        1016 x 930, band 50 px"``."""
        if self.unchanged:
            return "already tiles: left unchanged"
        parts = []
        if self.lattice is not None:
            # the periods fit to period used (``period_px``, :func:`_period`), else the
            # lattice's own
            px, py = (
                self.period_px[a]
                or _period(self.lattice, a, self.synth_size)
                or self.lattice.axis_period(a, tol_rel=0.05)
                for a in (1, 0)
            )
            periods = " x ".join(f"{p:.1f}" if p else "-" for p in (px, py))
            parts.append(f"lattice {periods} px")
        else:
            parts.append("no lattice")
        if self.crop is not None:
            parts.append(f"fit to period: {self.size[1]} x {self.size[0]}")
            if self.work_size is not None and self.work_size != self.size:
                scales = [
                    100.0 * (a / b - 1.0) for a, b in zip(self.size, self.work_size, strict=True)
                ]
                worst = max(scales, key=abs)
                parts.append(f"texture scaled {worst:+.1f} % to keep the size")
        parts.append(f"band {self.band_px} px")
        if self.even_lighting:
            parts.append("lighting evened")
        return ", ".join(parts)


SHEAR_FRACTION = 0.1
"""A period along one image axis may be a lattice vector up to this share of the other axis's
period off the axis (:func:`_period`): a sheared wall's joints step sideways a few pixels
every two courses, so its only exact vertical period is many courses long (831 px for
``brick_wall_005`` at 1 k, where two courses are 128 px with an 8 px step); fitted to whole
pairs of courses, every course stays whole and the band re-synthesises the joints' step at
the wrap."""


def _period(lattice: Lattice, axis: int, size: tuple[int, int]) -> float | None:
    """The lattice's period along image ``axis`` (pixels) with at least two repeats in an
    image of ``size`` ``(H, W)``, or None: the shortest lattice vector within 5 % of its
    length off the axis or, when the other axis has such a period, within
    :data:`SHEAR_FRACTION` of that period (a sheared lattice: the period of whole pairs of
    courses; fitted to it, every course stays whole and the joints may step at the wrap,
    which the band re-synthesises)."""
    other = lattice.axis_period(1 - axis, tol_rel=0.05, max_px=size[1 - axis] / 2.0)
    shear = SHEAR_FRACTION * other if other is not None else 0.0
    p = lattice.axis_period(axis, tol_rel=0.05, max_px=size[axis] / 2.0, shear_px=shear)
    return p if p is not None and p >= 8.0 else None


def _fit_axis(
    image: np.ndarray, axis: int, period: float, allow_gap: bool = True
) -> tuple[float, float, int, int]:
    """Fit one axis to whole periods with the smallest change of size: ``(start, length,
    out_px, gap_px)``.

    The nearest whole number of periods to the axis's ``n`` px: when it is below ``n`` the
    axis is cropped to it (``length`` = that many periods, ``gap_px = 0``), placed where the
    line at ``start`` best matches the line one whole span later (the two lines that meet
    across the wrap then continue each other); when above, the whole axis is kept
    (``start = 0``, ``length = n``) and ``gap_px`` pixels are added at the wrap for the band to
    synthesise. ``out_px`` = round(whole periods x ``period``); the kept region is resampled to
    ``out_px - gap_px`` (a scale change under half a pixel over the image). Either way the size
    changes by at most half a period (``allow_gap=False``: always cropped, by up to one
    period)."""
    n = image.shape[axis]
    below = math.floor(n / period + 1e-6)
    if below >= 2 and (not allow_gap or (n - below * period) <= 0.5 * period):
        length = below * period
        slack = int(math.floor(n - length))
        if slack <= 0:
            return 0.0, float(n), n, 0
        lum = image.mean(axis=2)
        lines = lum if axis == 0 else lum.T  # lines[i] = the i-th line across the axis
        span = int(round(length))
        costs = [
            float(np.mean((lines[o] - lines[o + span]) ** 2)) if o + span < n else np.inf
            for o in range(slack + 1)
        ]
        return float(int(np.argmin(costs))), length, max(16, round(length)), 0
    whole = below + 1
    out = round(whole * period)
    kept = round(n * out / (whole * period))
    return 0.0, float(n), out, max(0, out - kept)


PHASE_TOLERANCE = 1.75
"""A periodic texture tiles only when the pattern one period across the wrap differs from
itself no more than this many times as much as one period apart inside (:func:`_phase_step`).
Chosen on ``cc0-1k/train``: its tiling textures with a lattice score at most 1.52 (one broken
one 3.6); off-centre crops score 1.1-7.4, so this only adds the cleanest periodic crops to
what :func:`~texpaint.imaging.seams.wrap_check` already catches."""


def _phase_step(rgb: np.ndarray, axis: int, period: float | None) -> float:
    """How much a lattice's pattern jumps at the wrap along ``axis`` (1 = left/right seam).

    Mean squared luminance difference between each line and the line one period further
    (linearly interpolated, wrapping round) over the pairs that straddle the wrap, divided by
    the same over the pairs inside the image: ~1 when the image holds whole periods (it tiles),
    well above 1 when a crop cut the pattern mid-period, whatever its lines look like. 0 when
    the axis has no period."""
    if period is None:
        return 0.0
    lum = rgb.mean(axis=2)
    got = _period_differences(lum if axis == 1 else lum.T, period)
    if got is None:
        return 0.0
    per_line, q = got
    n = per_line.size
    inner = float(per_line[: n - q].mean())
    return float(per_line[n - q :].mean()) / max(inner, 1e-12)


def _period_differences(lines: np.ndarray, period: float) -> tuple[np.ndarray, int] | None:
    """``(per_line, q)``: for each line (column of ``lines``, ``(m, n)``; the period runs
    along axis 1) the mean squared difference to the line one ``period`` (px) on, linearly
    interpolated (periods are seldom whole pixels) and wrapping round, ``(n,)``; and the
    period rounded to whole lines. None when the period does not fit (``floor(period)``
    outside ``(0, n - 1)``)."""
    n = lines.shape[1]
    q = int(math.floor(period))
    frac = float(period - q)
    if not 0 < q < n - 1:
        return None
    ahead = (1.0 - frac) * np.roll(lines, -q, axis=1) + frac * np.roll(lines, -q - 1, axis=1)
    return ((lines - ahead) ** 2).mean(axis=0), int(round(period))


EDGE_PHASE_TOLERANCE = 2.5
"""A periodic texture tiles only when, in its edge image, the lines one period across the wrap
differ from each other no more than this many times as much as in the worst period-wide stretch
inside (:func:`_edge_phase_step`). Chosen on ``cc0-1k/train``: its periodic textures that tile
score at most 2.32 (``box_profile_metal_sheet``, rivet rows two periods apart) at about 512 px;
the off-centre crops of tiles with a grout grid that the other two tests took for tiles
(``brown_floor_tiles``, ``brick_floor_02``) score 2.8-5.4."""


def _edge_phase_step(rgb: np.ndarray, axis: int, period: float | None) -> float:
    """How much a lattice's joints jump at the wrap along ``axis`` (1 = left/right seam),
    measured on edges and against the image's own worst stretch.

    The edge image is the absolute central difference of the luminance along ``axis``
    (wrap-around), smoothed by a ``[1, 2, 1] / 4`` filter twice along both axes (grout,
    mortar and plank gaps are its ridges; a tile's mottling, which dominates a luminance
    difference, is flat in it). Per line across the axis: the mean squared difference between
    the line and the line one period on (linearly interpolated, wrapping). The lines whose
    partner lies across the wrap (the last period of the axis) are averaged and divided by the
    largest average over any period-wide run of interior lines: ~1 or below when the image holds
    whole periods (a real tile's courses drift, which shows inside as much as at the wrap), well
    above 1 when a crop cut the grid mid-period (its joints meet the middle of a tile at the
    wrap). 0 when the axis has no period or holds fewer than two periods."""
    if period is None:
        return 0.0
    lum = rgb.mean(axis=2).astype(np.float64)
    edge = np.abs(np.roll(lum, -1, axis=axis) - np.roll(lum, 1, axis=axis))
    for _ in range(2):
        for ax in (0, 1):
            edge = 0.5 * edge + 0.25 * (np.roll(edge, 1, axis=ax) + np.roll(edge, -1, axis=ax))
    got = _period_differences(edge if axis == 1 else edge.T, period)
    if got is None:
        return 0.0
    per_line, q = got
    n = per_line.size
    if n < 2 * q + 1:
        return 0.0
    run = np.concatenate([[0.0], np.cumsum(per_line[: n - q])])
    inner = (run[q : n - q + 1] - run[: n - 2 * q + 1]) / q  # every period-wide run inside
    return float(per_line[n - q :].mean()) / max(float(inner.max()), 1e-12)


WRAP_SPACING_TOLERANCE = 0.05
"""A periodic texture tiles only when the spacing between the two lines (mortar courses,
grout, plank gaps) on either side of the wrap lies within the range of its interior
spacings, widened by this share of their median, or by :data:`WRAP_SPACING_SPREAD` times
their range when the lines are irregular, and at least :data:`WRAP_SPACING_MIN_PX`
(:func:`_wrap_line_spacing`). Chosen on ``cc0-1k/train``: crops of regular grids whose wrap
holds a tile 10 % too wide (``anti_skid_tiles``) or a course of 1.5 heights
(``exterior_concrete_tile_facade``) exceed it; every tiling train texture stays within."""

WRAP_SPACING_SPREAD = 3.0
"""Irregular lines (hand-laid bricks) widen the allowed range by this many times their own
range: an artist's tile of such a wall may close with a brick 40 % longer than the rest
(``brick_wall_04`` in ``cc0-1k/train``), and still tiles."""

WRAP_SPACING_MIN_PX = 2.0
"""Smallest widening (pixels) of the interior spacings' range in :func:`_wrap_line_spacing`."""


def _line_positions(profile: np.ndarray, period: float) -> np.ndarray:
    """Positions (px, sorted floats in ``[0, n)``) of the lines of a wrap-around line profile
    (:func:`_line_profile`) with ``period`` (px): the peaks of the profile signed so the thin
    tail is up (mortar is narrow, dark between light bricks or light between dark tiles: the
    sign of its skewness), at least 0.6 periods apart, each at least half as prominent as a
    typical line (the ``n / period``-th most prominent peak), refined to sub-pixel by a
    parabola. Empty when the profile is flat."""
    f = profile - float(profile.mean())
    sd = float(f.std())
    n = f.size
    if sd <= 1e-9 or n < 3:
        return np.zeros(0)
    sig = f if float(np.mean(f**3)) >= 0 else -f
    ext = np.concatenate([sig, sig, sig])  # wrap round: peaks near the ends are whole
    peaks, props = find_peaks(ext, distance=max(1.0, 0.6 * period), prominence=0.0)
    mid = (peaks >= n) & (peaks < 2 * n)
    peaks, prom = peaks[mid], props["prominences"][mid]
    if peaks.size == 0:
        return np.zeros(0)
    k = min(peaks.size, max(1, int(n / period)))
    keep = prom >= 0.5 * float(np.sort(prom)[::-1][k - 1])
    pos = [p - n + parabolic_peak(ext[p - 1], ext[p], ext[p + 1]) for p in peaks[keep]]
    return np.sort(np.mod(np.array(pos, np.float64), n))


def _line_spacing(profile: np.ndarray, period: float) -> float:
    """The spacing (px) of a line profile's lines: the shortest ``period / k`` (``k`` up to
    6, at least 6 px) that is itself a period of the profile (:func:`_profile_period`), so
    that the lines of a running bond, whose lattice period is two courses, are found one per
    course; ``period`` when none is."""
    for k in range(6, 1, -1):
        if period / k >= 6.0:
            q = _profile_period(profile, period / k)
            if q is not None:
                return q
    return period


def _wrap_line_spacing(rgb: np.ndarray, axis: int, period: float | None) -> float:
    """How far the lines parallel to the ``axis`` wrap seam (1 = left/right: the vertical
    lines, found on the column profile) are spaced across the wrap, against the interior.

    The lines are :func:`_line_positions` of the image's line profile across the seam; the
    spacing between the last line before the wrap and the first after it is compared with the
    range of the other (interior) spacings. Returns how far it lies outside that range,
    divided by the allowed widening (:data:`WRAP_SPACING_TOLERANCE` of the median interior
    spacing, :data:`WRAP_SPACING_SPREAD` times their range, at least
    :data:`WRAP_SPACING_MIN_PX`): 0 when the wrap spacing is an ordinary one (the image holds
    whole periods, or its lines are irregular anyway), above 1 when a crop put a course, grout
    line or plank gap too close to or too far from its neighbour across the wrap (a tile 137
    px wide among tiles of 125, a course of one and a half heights). 0 when the axis has no
    period or fewer than three lines."""
    if period is None:
        return 0.0
    n = rgb.shape[axis]
    profile = rgb.mean(axis=2).mean(axis=1 - axis).astype(np.float64)
    profile -= gaussian_filter1d(profile, period, mode="wrap")  # lighting; the lines wrap
    lines = _line_positions(profile, _line_spacing(profile, period))
    if lines.size < 3:
        return 0.0
    gaps = np.diff(np.concatenate([lines, [lines[0] + n]]))
    wrap, inner = float(gaps[-1]), gaps[:-1]
    lo, hi = float(inner.min()), float(inner.max())
    tol = max(
        WRAP_SPACING_MIN_PX,
        WRAP_SPACING_TOLERANCE * float(np.median(inner)),
        WRAP_SPACING_SPREAD * (hi - lo),
    )
    return max(lo - wrap, wrap - hi, 0.0) / tol


FINE_PERIOD_PX = 8.0
"""A lattice whose shortest period is below this (pixels) is a fine grain (the threads of a
weave): :func:`plan_seamless` looks for the pattern's coarser lattice instead."""


def _coarse_lattice(rgb: np.ndarray) -> Lattice | None:
    """The lattice that matters for tiling: :func:`find_lattice` (``scored`` basis), and when
    that finds only a fine grain (shortest period under :data:`FINE_PERIOD_PX`, e.g. the
    threads of a gingham), the lattice of the image blurred by half the grain's longer period
    (at least 2.5 px), which shows the coarser pattern (the checks; a period of at least
    :data:`FINE_PERIOD_PX` the fine lattice had across a one-dimensional coarse one is kept as
    its second vector); the fine one when the blurred image has none. Its axis periods are
    then refined on the image's line profiles (:func:`_refine_axis_periods`)."""
    lattice = find_lattice(rgb, scored=True)
    if lattice is None:
        return None
    lengths = [math.hypot(*t) for t in lattice.basis]
    if min(lengths) < FINE_PERIOD_PX:
        blurred = cv2.GaussianBlur(rgb, (0, 0), max(2.5, 0.5 * max(lengths)))
        coarse = find_lattice(blurred, scored=True)
        if coarse is not None and min(math.hypot(*t) for t in coarse.basis) >= FINE_PERIOD_PX:
            if coarse.t2 is None:  # keep a coarse period the fine lattice had across it
                u = np.array(coarse.t1) / math.hypot(*coarse.t1)
                for t in lattice.basis:
                    n = math.hypot(*t)
                    if n >= FINE_PERIOD_PX and abs(u[0] * t[1] - u[1] * t[0]) > 0.34 * n:
                        coarse = Lattice(coarse.t1, t, coarse.confidence)
                        break
            lattice = coarse
    return _with_line_periods(rgb, _refine_axis_periods(rgb, lattice))


LINE_PERIOD_PEAK = 0.5
""":func:`_axis_line_period` takes a line profile's period only when its normalised
autocorrelation peak is at least this high, and the peak at twice the period at least half
of it (lines that repeat, not a profile that merely wobbles)."""


def _axis_line_period(rgb: np.ndarray, axis: int) -> float | None:
    """The spacing (px) of regular lines across image ``axis`` found on the line profile
    alone (the mean luminance of each row, for ``axis=0``), or None.

    The profile minus a Gaussian of a sixteenth of its length (lighting) has an
    autocorrelation (each lag normalised by its overlap); after its first dip below zero, the
    shortest local maximum within 80 % of the highest up to a third of the length is the
    candidate when it is at least :data:`LINE_PERIOD_PEAK` high, at least
    :data:`FINE_PERIOD_PX`, and the autocorrelation near twice it is at least half as high;
    then refined by :func:`_profile_period`. Mortar courses of a wall whose bricks follow no
    bond, grout lines of a pattern whose 2-D autocorrelation peaks are too weak, plank gaps:
    lines the 2-D lattice can miss while every line profile shows them."""
    n = rgb.shape[axis]
    if n < 3 * FINE_PERIOD_PX:
        return None
    ac = _autocorrelation_1d(_line_profile(rgb, axis, n / 16.0))
    if ac is None:
        return None
    neg = np.flatnonzero(ac[: n // 3] < 0)
    if neg.size == 0:
        return None
    lo, hi = max(int(neg[0]) + 1, int(FINE_PERIOD_PX)), n // 3
    ks = [k for k in range(lo, hi) if ac[k] >= ac[k - 1] and ac[k] >= ac[k + 1] and ac[k] > 0]
    if not ks:
        return None
    top = max(float(ac[k]) for k in ks)
    k = next(k for k in ks if ac[k] >= 0.8 * top)
    if ac[k] < LINE_PERIOD_PEAK:
        return None
    r = max(2, round(0.08 * k))
    if 2 * k + r < n // 2 and float(ac[2 * k - r : 2 * k + r + 1].max()) < 0.5 * ac[k]:
        return None
    guess = k + parabolic_peak(ac[k - 1], ac[k], ac[k + 1])
    return _profile_period(_line_profile(rgb, axis, guess), guess)


def _along_axis(t: tuple[float, float]) -> int | None:
    """The image axis a vector ``(dy, dx)`` lies along (within 5 % of its length), or None."""
    n = math.hypot(*t)
    if abs(t[1]) <= 0.05 * n:
        return 0
    if abs(t[0]) <= 0.05 * n:
        return 1
    return None


def _with_line_periods(rgb: np.ndarray, lattice: Lattice | None) -> Lattice | None:
    """``lattice`` completed by the line period (:func:`_axis_line_period`) of the other
    image axis when it is one-dimensional along one axis (a wall of courses whose bricks
    follow no bond, whose 2-D autocorrelation shows only a fine grain along the courses: the
    courses' period joins it). Any other lattice, or None, is returned as it is: on
    ``cc0-1k/train`` crops, a lattice made from line periods alone (a basket weave) or one
    whose slanted vector is swapped for a line period (bricks with a loose bond) put the
    band's copies where the joints do not continue."""
    if lattice is None or lattice.t2 is not None:
        return lattice
    a = _along_axis(lattice.t1)
    if a is None or _period(lattice, a, rgb.shape[:2]) is None:
        return lattice
    p = _axis_line_period(rgb, 1 - a)
    if p is None:
        return lattice
    t2 = (p, 0.0) if a == 1 else (0.0, p)
    t1, t2 = sorted((lattice.t1, t2), key=lambda t: math.hypot(*t))
    return Lattice(t1, t2, lattice.confidence)


def _autocorrelation_1d(profile: np.ndarray) -> np.ndarray | None:
    """float64 ``(n,)``: the normalised autocorrelation of a 1-D profile ``(n,)`` at lags
    ``0 .. n - 1`` (mean removed, no wrap: each lag divided by its overlap and by the
    variance, so lag 0 is 1); None for a flat profile."""
    f = profile.astype(np.float64) - float(profile.mean())
    n = f.size
    var = float((f * f).mean())
    if var <= 1e-12:
        return None
    spec = np.fft.rfft(f, 2 * n)
    return np.fft.irfft(spec * np.conj(spec), 2 * n)[:n] / (n - np.arange(n)) / var


PROFILE_PEAK = 0.3
""":func:`_refine_axis_periods` trusts a line profile's period only when its normalised
autocorrelation peak is at least this high (straight, regular lines)."""


def _profile_period(profile: np.ndarray, guess: float) -> float | None:
    """The period (px) of a 1-D line profile near ``guess``: its autocorrelation (mean
    removed, each lag normalised by its overlap) has a local maximum within 8 % of ``guess``
    (parabolic sub-pixel peak) of at least :data:`PROFILE_PEAK`; refined through the peak
    near each multiple ``k x`` that fits in half the profile while it stays at least half as
    high, divided by ``k``. None when there is no such peak."""
    n = profile.size
    ac = _autocorrelation_1d(profile) if guess * 2 <= n else None
    if ac is None:
        return None

    def peak(centre: float, radius: float) -> tuple[float, float] | None:
        lo, hi = max(1, int(math.floor(centre - radius))), int(math.ceil(centre + radius))
        if hi >= n // 2 + 1 or lo >= hi:
            return None
        k = lo + int(np.argmax(ac[lo : hi + 1]))
        if not (lo < k < hi) or k + 1 >= n:
            return None
        return k + parabolic_peak(ac[k - 1], ac[k], ac[k + 1]), float(ac[k])

    first = peak(guess, 0.08 * guess)
    if first is None or first[1] < PROFILE_PEAK:
        return None
    best = first[0]
    for k in range(2, 16):
        got = peak(k * best, max(2.0, 0.05 * k * best))
        if got is None or got[1] < 0.5 * first[1]:
            break
        best = got[0] / k
    return best


def _line_profile(rgb: np.ndarray, axis: int, period: float) -> np.ndarray:
    """float64 ``(n,)``: the mean luminance of each line across ``axis`` (each row, for
    ``axis=0``), minus a Gaussian of one ``period`` (px) so a lighting gradient does not count."""
    profile = rgb.mean(axis=2).mean(axis=1 - axis).astype(np.float64)
    return profile - cv2.GaussianBlur(profile[:, None], (0, 0), period)[:, 0]


def _refine_axis_periods(rgb: np.ndarray, lattice: Lattice) -> Lattice:
    """``lattice`` with its vectors scaled along each image axis so that its period along that
    axis (:func:`_period`) matches the period of the image's line profile (the mean
    luminance of each row, for the vertical period, minus a Gaussian of one period so a
    lighting gradient does not count; :func:`_profile_period`). The 2-D autocorrelation's
    peaks sit where joints *and* courses agree, which real walls with uneven joints pull a
    few per cent off the courses' own spacing (``brick_wall_09``: two courses 44.0 px in the
    lattice, 42.7 px between its mortar lines); fitted to the wrong one, the band must absorb
    a quarter course and deletes or doubles one. Unchanged along an axis whose profile has no
    clear period or disagrees by more than 8 %."""
    h, w = rgb.shape[:2]
    scale = [1.0, 1.0]
    for axis in (0, 1):
        p = _period(lattice, axis, (h, w))
        if p is None:
            continue
        q = _profile_period(_line_profile(rgb, axis, p), p)
        if q is not None:
            scale[axis] = q / p
    if scale == [1.0, 1.0]:
        return lattice

    def scaled(t: tuple[float, float] | None) -> tuple[float, float] | None:
        return None if t is None else (t[0] * scale[0], t[1] * scale[1])

    t1 = scaled(lattice.t1)
    assert t1 is not None
    return Lattice(t1=t1, t2=scaled(lattice.t2), confidence=lattice.confidence)


def _fit(
    rgb: np.ndarray, lattice: Lattice | None, allow_gap: bool
) -> tuple[
    tuple[float, float, float, float] | None, tuple[int, int], tuple[int, int], tuple[float, float]
]:
    """Fit to period over both axes (:func:`_fit_axis`): ``(crop, size, gap, period_px)`` as
    in :class:`SeamlessPlan`; no fit (``None``, the input size) without a lattice. An axis
    along which the lattice has no period (:func:`_period`: its vectors slant too far, or
    the period is over half the image) is fitted to the spacing of its lines when they are
    regular (:func:`_axis_line_period`): the tile then holds whole courses or panels, and
    the band re-synthesises where the joints within them step at the wrap."""
    h, w = rgb.shape[:2]
    if lattice is None:
        return None, (h, w), (0, 0), (0.0, 0.0)
    fits: list[tuple[float, float, int, int, float]] = []
    for axis, n in ((0, h), (1, w)):
        p = _period(lattice, axis, (h, w)) or _axis_line_period(rgb, axis)
        if p:
            start, length, out, gap = _fit_axis(rgb, axis, p, allow_gap)
            fits.append((start, length, out, gap, p * (out - gap) / length))
        else:
            fits.append((0.0, float(n), n, 0, 0.0))
    (y0, hh, oh, gy, py), (x0, ww, ow, gx, px) = fits
    if (oh, ow) == (h, w) and (hh, ww) == (float(h), float(w)):
        return None, (h, w), (0, 0), (0.0, 0.0)
    return (y0, x0, hh, ww), (oh, ow), (gy, gx), (py, px)


def plan_seamless(
    image: np.ndarray,
    band_px: int | None = None,
    *,
    fit_to_period: bool = True,
    even_lighting: bool | None = None,
    force: bool = False,
    grow: bool = False,
) -> SeamlessPlan:
    """Decide what Make Seamless does to ``image`` (module doc, steps 1-3), without changing it.

    Args:
        image: float32 ``(H, W, 3)`` RGB, [0, 1], ``H, W >= 16``.
        band_px: band width (pixels); None = from the texture's scale.
        fit_to_period: crop a periodic texture to whole periods (the size changes).
        even_lighting: True/False forces; None = when the seam sides differ at coarse scales.
        force: synthesise even when the image already tiles.
        grow: with ``fit_to_period``, an axis whose nearest whole number of periods is above
            its size grows to it; off (the default: a document keeps its size or shrinks),
            the result is resampled back to the input's size along that axis.

    Returns:
        :class:`SeamlessPlan`.

    Raises:
        JobError: not an RGB image, smaller than 16 x 16, or a band width out of range.
    """
    rgb = np.asarray(image, dtype=np.float32)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise JobError(f"Make Seamless needs an (H, W, 3) RGB image, got shape {rgb.shape}")
    h, w = rgb.shape[:2]
    if min(h, w) < 16:
        raise JobError(f"Make Seamless needs an image of at least 16 x 16, got {w} x {h}")
    check = wrap_check(rgb)
    lattice = _coarse_lattice(rgb) if check.tiles or not force else None
    if check.tiles:
        # only periods that the line profiles confirm (a lattice found in the faint peaks of
        # a few tie holes on concrete panels has periods no line repeats at)
        axis_periods = {
            a: _period(lattice, a, (h, w)) if lattice is not None else None for a in (0, 1)
        }
        confirmed = {
            a: p if p and _profile_period(_line_profile(rgb, a, p), p) else None
            for a, p in axis_periods.items()
        }
        steps = {a: _phase_step(rgb, a, confirmed[a]) for a in (0, 1)}
        edges = {a: _edge_phase_step(rgb, a, confirmed[a]) for a in (0, 1)}
        # the lines' spacing also where the lattice has no period along an axis but its
        # lines repeat (courses of bricks that follow no bond, panels of a ribbed facade)
        spacing = {
            a: _wrap_line_spacing(rgb, a, confirmed[a] or _axis_line_period(rgb, a)) for a in (0, 1)
        }
        jump = max(steps.values()) > PHASE_TOLERANCE or max(spacing.values()) > 1.0
        if jump or max(edges.values()) > EDGE_PHASE_TOLERANCE:
            # the lines look fine but the pattern jumps at the wrap
            worst = max(check.worst, *steps.values(), *edges.values(), *spacing.values())
            # keys (axis, -1): phase step, (axis, -2): edge phase step, (axis, -3): wrap
            # line spacing (the strip widths of wrap_check's own keys are positive)
            scores = dict(check.scores)
            scores.update({(a, -1): v for a, v in steps.items()})
            scores.update({(a, -2): v for a, v in edges.items()})
            scores.update({(a, -3): v for a, v in spacing.items()})
            check = WrapCheck(tiles=False, worst=worst, scores=scores)
    if check.tiles and not force:
        return SeamlessPlan(check, force, lattice, None, (h, w), int(band_px or 0), False)
    if lattice is None:
        lattice = _coarse_lattice(rgb)
    crop, size, gap, period_px = _fit(rgb, lattice if fit_to_period else None, True)
    short = min(size)
    if band_px is None:
        periods = [] if lattice is None else [_period(lattice, a, size) for a in (0, 1)]
        known = [p for p in periods if p]
        scale = 0.4 * max(known) if known else 8.0 * correlation_length(rgb)
        band_px = int(np.clip(2 * round(scale / 2), 24, max(24, short // 6)))
    band_px = _check_band(band_px, *size)
    if 3 * (band_px + 2 * band_overlap_px(band_px)) > short:
        band_px = max(4, short // 3 - 2 * band_overlap_px(short // 6))
    if even_lighting is None:
        even_lighting = any(v > 1.5 for (_, scale_px), v in check.scores.items() if scale_px >= 16)
    plan = SeamlessPlan(
        check, force, lattice, crop, size, band_px, bool(even_lighting), gap, period_px
    )
    if max(gap) and any(
        3 * (axis_band_px(plan, a) + 2 * seam_overlap_px(plan, a)) > size[a] for a in (0, 1)
    ):  # the gap does not fit in a band this image can hold: crop to whole periods instead
        crop, size, gap, period_px = _fit(rgb, lattice, False)
        plan = replace(plan, crop=crop, size=size, gap=gap, period_px=period_px)
    while plan.band_px > 4 and not _bands_fit(plan):  # small images: narrower bands
        plan = replace(plan, band_px=plan.band_px - 2)
    if not _bands_fit(plan):
        if plan.crop is not None:  # fitted to whole periods, too few pixels are left: no fit
            return plan_seamless(
                rgb, None, fit_to_period=False, even_lighting=even_lighting, force=force
            )
        raise JobError(
            f"Make Seamless needs an image of at least {3 * (4 + 2 * band_overlap_px(4))} px "
            f"on its shorter side to synthesise its seam bands, got {w} x {h}"
        )
    if max(plan.gap) and not grow:  # keep the input's size along an extended axis
        final = tuple(n if g else m for n, m, g in zip((h, w), plan.size, plan.gap, strict=True))
        plan = replace(plan, size=(int(final[0]), int(final[1])), work_size=plan.size)
    return plan


def _bands_fit(plan: SeamlessPlan) -> bool:
    """Each seam's band and its two cut strips fit three times across the image the bands are
    synthesised at (what :func:`~texpaint.imaging.seam_band.quilt_band` needs)."""
    return all(
        3 * (axis_band_px(plan, a) + 2 * seam_overlap_px(plan, a)) <= plan.size[a] for a in (0, 1)
    )


def fit_image_to_period(image: np.ndarray, plan: SeamlessPlan) -> np.ndarray:
    """``image`` (float ``(H, W, C)``, any channel count, e.g. an alpha plane as 3 channels)
    fitted as Make Seamless fits it: float32 ``plan.size + (C,)`` (:func:`_fit_work`, then
    :func:`resample_wrap` to ``plan.size`` when the plan keeps the size of an extended axis)."""
    work = _fit_work(image, plan)
    if work.shape[:2] != plan.size:
        work = resample_wrap(work, plan.size)
    return work


def resample_wrap(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resample a tiling image to ``size`` ``(H, W)`` by band-limited (Fourier) interpolation:
    the spectrum's frequencies that the new size can hold are kept, the rest dropped (or zero
    for an enlargement), so the result tiles as the input does and every line is filtered
    alike (a bilinear or area resampling at a non-integer scale blurs lines by how the new
    grid falls on the old, which the per-line seam statistics see), then clipped to the
    input's value range. float32 ``size + (C,)``."""
    img = np.asarray(image, dtype=np.float32)
    h, w = img.shape[:2]
    oh, ow = size
    if (oh, ow) == (h, w):
        return img.copy()
    spec = np.fft.fft2(img.astype(np.float64), axes=(0, 1))
    fy = np.round(np.fft.fftfreq(oh) * oh).astype(np.int64)
    fx = np.round(np.fft.fftfreq(ow) * ow).astype(np.int64)
    keep = (np.abs(fy)[:, None] <= (h - 1) // 2) & (np.abs(fx)[None, :] <= (w - 1) // 2)
    sub = spec[np.ix_(fy % h, fx % w)]
    if img.ndim == 3:
        sub = sub * keep[..., None]
    else:
        sub = sub * keep
    out = np.fft.ifft2(sub, axes=(0, 1)).real * (oh * ow) / (h * w)
    # the dropped frequencies ring faintly at sharp edges: keep the input's value range
    return np.clip(out, float(img.min()), float(img.max())).astype(np.float32)


def _fit_work(image: np.ndarray, plan: SeamlessPlan) -> np.ndarray:
    """The plan's whole-period image at the synthesis size: float32 ``plan.synth_size +
    (C,)``.

    The plan's crop region is resampled (bilinear; plain slicing when it is whole pixels) to
    ``plan.size - plan.gap``; a gap (rows, then columns, at the end of the axis: the wrap) is
    first filled with the image one period back (``plan.period_px``, rounded), a lattice
    translation, so its content already continues the pattern; Make Seamless's band then
    re-synthesises it and its two seams."""
    img = np.asarray(image, dtype=np.float32)
    if plan.crop is None:
        return img.copy()
    y0, x0, hh, ww = plan.crop
    oh, ow = plan.synth_size
    gy, gx = plan.gap
    kh, kw = oh - gy, ow - gx  # pixels of image content
    body: np.ndarray
    if (hh, ww) == (float(kh), float(kw)) and y0.is_integer() and x0.is_integer():
        body = np.ascontiguousarray(img[int(y0) : int(y0) + kh, int(x0) : int(x0) + kw])
    else:
        sy, sx = kh / hh, kw / ww
        m = np.array([[sx, 0.0, -x0 * sx + 0.5 * (sx - 1)], [0.0, sy, -y0 * sy + 0.5 * (sy - 1)]])
        body = cv2.warpAffine(
            img, m, (kw, kh), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        ).reshape(kh, kw, *img.shape[2:])
    if not gy and not gx:
        return body
    out = np.zeros((oh, ow) + img.shape[2:], np.float32)
    out[:kh, :kw] = body
    for axis, g, k in ((0, gy, kh), (1, gx, kw)):
        if g <= 0:
            continue
        step = max(1, min(k, round(plan.period_px[axis])))
        for i in range(k, k + g):  # one line at a time: a gap wider than a period repeats
            if axis == 0:
                out[i, :kw] = out[i - step, :kw]
            else:
                out[:, i] = out[:, i - step]
    return out


GAP_MARGIN_PX = 6
"""Pixels of band kept on each side of a fit-to-period gap (the seams where the gap's first
fill meets the image)."""


def axis_band_px(plan: SeamlessPlan, axis: int) -> int:
    """Band width (pixels) over the ``axis`` seam (1 = left/right): ``plan.band_px``, widened
    to cover a fit-to-period gap on that axis plus :data:`GAP_MARGIN_PX` each side (even)."""
    g = plan.gap[axis]
    if g <= 0:
        return plan.band_px
    return max(plan.band_px, 2 * math.ceil((g + 2 * GAP_MARGIN_PX) / 2))


SHEAR_SHARE = 0.2
"""A basis vector's component along an axis counts as a line spacing (:func:`_line_steps`)
only when it is at least this share of the vector's length; less is the shear of a wall
whose courses step a few pixels sideways."""


def _line_steps(lattice: Lattice, axis: int) -> list[float]:
    """The lattice's line spacings along image ``axis`` (pixels): the components along it of
    its basis vectors that are over 2 px and at least :data:`SHEAR_SHARE` of the vector's
    length (a course pair ``(80, 6)`` of a sheared wall has no 6 px spacing along the
    courses: its segments would be one sixth as long as the overlap they are cut through)."""
    return [
        abs(t[axis]) for t in lattice.basis if abs(t[axis]) > max(2.0, SHEAR_SHARE * math.hypot(*t))
    ]


def seam_overlap_px(plan: SeamlessPlan, axis: int) -> int:
    """Width (pixels) of the strips beside the band over the ``axis`` seam (1 = left/right)
    where the cuts run: :func:`~texpaint.imaging.seam_band.band_overlap_px`, widened for a
    lattice to 0.6 of its line spacing across the band (the shortest non-zero component of a
    basis vector along ``axis``) so each strip holds a mortar course, grout line or plank gap
    for the cut to follow; at most what leaves the strip a third of the image."""
    band = axis_band_px(plan, axis)
    ov = band_overlap_px(band)
    if plan.lattice is None:
        return ov
    steps = _line_steps(plan.lattice, axis)
    if not steps:
        return ov
    most = max(ov, (plan.synth_size[axis] // 3 - band) // 2)
    return int(min(most, max(ov, math.ceil(0.6 * min(steps)))))


def _segment_px(plan: SeamlessPlan, along: int, overlap: int) -> int | None:
    """Segment length (pixels) along a band that runs along image axis ``along`` (0: the
    left/right seam's band, 1: the top/bottom one's): with a lattice, one line spacing along
    the band (a course, for the band over the left/right seam of a brick wall) plus the
    overlap, so each course is copied on its own and its joints can meet the neighbours'
    (real courses drift from the lattice), at most :func:`quilt_band`'s default (longer
    segments find fewer sources); None (that default) without a lattice."""
    if plan.lattice is None:
        return None
    steps = _line_steps(plan.lattice, along)
    if not steps:
        return None
    default = max(2 * axis_band_px(plan, 1 - along), 48)  # quilt_band's own default
    return min(default, max(24, math.ceil(min(steps)) + overlap))


def _band_offsets(
    lattice: Lattice | None, size: tuple[int, int]
) -> tuple[list[tuple[int, int]] | None, tuple[float, float] | None]:
    """Candidate source offsets for :func:`quilt_band`: the lattice vectors up to half the
    image, that half included (rounded to whole pixels; an image of four whole periods has
    no other vector that moves a band of a third of it clear of itself, and without one the
    band is quilted from random offsets that break the grid), and for a one-dimensional
    lattice the direction along its gaps that offsets may slide; ``(None, None)`` without a
    lattice (random offsets)."""
    if lattice is None:
        return None, None
    vs = lattice.vectors(max_len=0.5 * max(size))
    offsets = sorted({(round(v[0]), round(v[1])) for v in vs})
    if lattice.t2 is None:
        t = np.array(lattice.t1) / math.hypot(*lattice.t1)
        return offsets, (float(-t[1]), float(t[0]))
    return offsets, None


def make_seamless(
    image: np.ndarray,
    band_px: int | None = None,
    *,
    even_lighting: bool | None = None,
    fit_to_period: bool = True,
    force: bool = False,
    grow: bool = False,
    method: str = "quilt",
    plan: SeamlessPlan | None = None,
    abort: Callable[[], bool] = lambda: False,
    progress: Callable[[float, str], None] = _no_progress,
    inpaint: InpaintFn | None = None,
    model_id: str | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Make ``image`` tile seamlessly (module doc): unchanged when it already tiles, fitted to
    its lattice's period, bands quilted along the lattice.

    Args:
        image: float32 ``(H, W, 3)`` RGB, [0, 1] (float sources may exceed 1), ``H, W >= 16``.
        band_px: band width in pixels over each seam; None = from the texture's scale.
        even_lighting: True/False forces; None = when the sides of a seam differ.
        fit_to_period: fit a periodic texture to the nearest whole number of periods per axis
            (cropped by under half a period, or extended and, unless ``grow``, resampled back
            to the input's size).
        force: re-synthesise even when the image already tiles.
        grow: with ``fit_to_period``, let an extended axis grow (see :func:`plan_seamless`).
        method: ``"quilt"`` (lattice-aware quilting, the default), ``"core"`` (the bands
            filled by the structure-aware completion core, :func:`_core_bands`; slower, and on
            ``cc0-1k/val`` its bands show as strips, see ``benchmarks/RESULTS.md``) or
            ``"network"`` (the inpainting network over a fixed soft band, the earlier method).
        plan: a :func:`plan_seamless` result for this image (then the other planning
            arguments are ignored); None plans here.
        abort: polled between steps; True cancels.
        progress: called with ``(fraction in [0, 1], message)``.
        inpaint, model_id: ``method="network"`` only: runs an inpainting job
            (:data:`InpaintFn`; the pipeline passes
            :func:`texpaint.ops.runner.inpaint_runner`, which owns the device) with
            this inpainting model id (None: the default model).
        seed: random seed of the offsets (and of the network job).

    Returns:
        float32 ``(H', W', 3)`` with ``(H', W') = plan.size`` (the input size unless fitted);
        a copy of ``image`` when it already tiles and ``force`` is off.

    Raises:
        JobCancelled: ``abort()`` returned True.
        JobError: bad image or band width; (network) missing model, out of memory.
    """
    rgb = np.asarray(image, dtype=np.float32)
    if plan is None:
        plan = plan_seamless(
            rgb,
            band_px,
            fit_to_period=fit_to_period,
            even_lighting=even_lighting,
            force=force,
            grow=grow,
        )
    if plan.unchanged:
        progress(1.0, "Already tiles: left unchanged")
        return rgb.copy()
    if abort():
        raise JobCancelled()
    work = _fit_work(rgb, plan) if plan.crop is not None else rgb
    if plan.even_lighting:
        progress(0.05, "Evening out lighting")
        work = even_out_lighting(work)
    if abort():
        raise JobCancelled()
    if method == "network":
        if inpaint is None:
            raise JobError("Make Seamless 'network' needs an inpainting runner (inpaint=...)")
        band = max(axis_band_px(plan, 0), axis_band_px(plan, 1))
        shift = (work.shape[0] // 2 + plan.gap[0] // 2, work.shape[1] // 2 + plan.gap[1] // 2)
        net = _network_bands(work, band, shift, abort, progress, inpaint, model_id, seed)
        return _to_plan_size(net, plan)
    if method not in ("quilt", "core"):
        raise JobError(f"unknown Make Seamless method {method!r} (quilt, core or network)")
    h, w = work.shape[:2]
    # the seam (or a fit-to-period gap's middle) to the centre of the rolled image
    shift = (h // 2 + plan.gap[0] // 2, w // 2 + plan.gap[1] // 2)
    rolled = np.roll(work, shift, axis=(0, 1))
    band_y, band_x = axis_band_px(plan, 0), axis_band_px(plan, 1)
    if method == "core":
        out = _core_bands(rolled, (band_y, band_x), seed, abort, progress)
        progress(1.0, "Make Seamless: done")
        return _to_plan_size(np.roll(out, (-shift[0], -shift[1]), axis=(0, 1)), plan)
    ov_x, ov_y = (seam_overlap_px(plan, a) for a in (1, 0))
    offsets, free_axis = _band_offsets(plan.lattice, (h, w))
    # longer lattice vectors (the tile holds whole periods, so they wrap onto the lattice)
    # for segments that no vector up to half the image can fill clear of the bands: an image
    # of four periods has no other vector that moves a band of a third of it clear of itself
    longer = None
    if plan.lattice is not None and plan.crop is not None:
        longer = sorted(
            {(round(v[0]), round(v[1])) for v in plan.lattice.vectors(max_len=float(max(h, w)))}
            - set(offsets or [])
        )
    rows = np.arange(h // 2 - band_y // 2 - ov_y, h // 2 + band_y // 2 + ov_y) % h
    avoid = np.zeros((h, w), bool)
    avoid[rows] = True
    progress(0.2, "Make Seamless: left/right seam")
    out = quilt_band(
        rolled,
        w // 2,
        band_x,
        axis=1,
        offsets=offsets,
        free_axis=free_axis,
        fallback_offsets=longer,
        avoid=avoid,
        segment_px=_segment_px(plan, 0, ov_x),
        overlap_px=ov_x,
        seed=seed,
        stop=abort,
    )
    if abort():
        raise JobCancelled()
    progress(0.6, "Make Seamless: top/bottom seam")
    out = quilt_band(
        out,
        h // 2,
        band_y,
        axis=0,
        offsets=offsets,
        free_axis=free_axis,
        fallback_offsets=longer,
        segment_px=_segment_px(plan, 1, ov_y),
        overlap_px=ov_y,
        seed=seed + 1,
        stop=abort,
    )
    if abort():
        raise JobCancelled()
    # copied blocks were chosen by the least squared difference, which favours smoother
    # sources: give the bands the texture's own fine detail (gradient energy)
    reach = max(band_x // 2 + ov_x, band_y // 2 + ov_y)
    cross = seam_band_mask(h, w, min(2 * reach, min(h, w) // 2))
    core = np.zeros((h, w), bool)  # the bands without their cut strips
    core[h // 2 - band_y // 2 : h // 2 + band_y // 2] = True
    core[:, w // 2 - band_x // 2 : w // 2 + band_x // 2] = True
    out, _gain = match_band_detail(out, cross, core)
    progress(1.0, "Make Seamless: done")
    return _to_plan_size(np.roll(out, (-shift[0], -shift[1]), axis=(0, 1)), plan)


def _to_plan_size(image: np.ndarray, plan: SeamlessPlan) -> np.ndarray:
    """The synthesised tile at the plan's output size (:func:`resample_wrap` when the plan
    keeps the size of an extended axis), contiguous float32."""
    if image.shape[:2] != plan.size:
        image = resample_wrap(image, plan.size)
    return np.ascontiguousarray(image, dtype=np.float32)


def _core_bands(
    rolled: np.ndarray,
    bands: tuple[int, int],
    seed: int,
    abort: Callable[[], bool],
    progress: Callable[[float, str], None],
) -> np.ndarray:
    """``method="core"``: each band of the rolled image (seams through its middle) filled by
    the structure-aware completion core (:func:`texpaint.synthesis.completion.complete`,
    wrap mode) on a strip of the band plus ``max(48, 2 x band)`` px of context each side (the
    strip wraps along its length; its two long edges never reach the hole). Left/right seam
    first, then top/bottom. ``bands`` = ``(top/bottom, left/right)`` widths in px."""
    from texpaint.synthesis.completion import SynthesisCancelled, complete

    out = rolled.copy()
    for k, axis in enumerate((1, 0)):
        band = bands[axis]
        img = out if axis == 1 else out.transpose(1, 0, 2)  # a view: writes land in out
        n = img.shape[1]
        margin = min(max(48, 2 * band), (n - band) // 2)
        x0 = n // 2 - band // 2 - margin
        strip = np.ascontiguousarray(img[:, x0 : x0 + band + 2 * margin])
        hole = np.zeros(strip.shape[:2], bool)
        hole[:, margin : margin + band] = True

        def report(f: float, m: str, k: int = k) -> None:
            progress(0.1 + 0.45 * (k + f), f"Make Seamless: {m}")

        try:
            filled = complete(strip, hole, wrap=True, seed=seed + k, abort=abort, progress=report)
        except SynthesisCancelled:
            raise JobCancelled() from None
        img[:, x0 : x0 + band + 2 * margin] = filled
    return out


def _network_bands(
    rgb: np.ndarray,
    band_px: int,
    shift: tuple[int, int],
    abort: Callable[[], bool],
    progress: Callable[[float, str], None],
    inpaint: InpaintFn,
    model_id: str | None,
    seed: int,
) -> np.ndarray:
    """The earlier step 4: roll by ``shift`` (seams to the centre), inpaint a soft cross band
    with the network in wrap mode, match its detail, roll back."""
    h, w = rgb.shape[:2]
    mask = seam_band_mask(h, w, band_px)
    rolled = np.roll(rgb, shift, axis=(0, 1))

    def inner_progress(fraction: float, message: str) -> None:
        progress(0.05 + 0.95 * fraction, f"Make Seamless: {message}")

    job = Job(
        op=Operation.INPAINT, image=rolled, mask=mask, model_id=model_id, seed=seed, wrap=True
    )
    result = inpaint(job, abort, inner_progress)
    matched, _gain = match_band_detail(result.image, mask)
    return np.ascontiguousarray(np.roll(matched, (-shift[0], -shift[1]), axis=(0, 1)))
