"""Make Seamless: turn a texture into one that tiles, by inpainting over its wrap seams.

The method (the usual practice in texture synthesis and texture-authoring tools, where the
wrap seams are moved into the image and re-synthesised from the surrounding texture, e.g.
the "offset, then heal the cross" workflow of image editors and the wrap-aware hole filling
of Substance/Materialize-style tools), done with texpaint's own inpainting network:

1. Optionally even out low-frequency lighting (:func:`even_out_lighting`): a luminance
   gradient across the photo (vignetting, a light from one side) makes every tile darker on
   one side, which shows as a periodic pattern even with invisible seams.
2. Roll the image by half its size (``np.roll`` by ``(H // 2, W // 2)``): the wrap seams,
   where the last row/column meets the first, become a cross through the middle, and the new
   wrap boundary joins pixels that were neighbours inside the image (continuous).
3. Build a cross-shaped band mask (:func:`seam_band_mask`) of width ``band_px`` over the two
   seam lines, with linear soft edges of a few pixels.
4. Inpaint the band with :func:`texpaint.engine.pipeline.run_job` (``Operation.INPAINT``,
   ``wrap=True``, circular padding), so the fill continues the texture on both sides of each
   seam.
5. Match the band's detail to the texture's (:func:`match_band_detail`): a generated fill is
   a little smoother than the real texture around it (on ``cc0-1k/val``, 0.82 of its
   gradient energy; the seam line itself 0.76), and a smoother cross shows when the texture
   is tiled. The fill's fine detail (above a 1.5 px Gaussian) is scaled so the band's
   gradient energy equals that of the untouched pixels.
6. Roll back by ``(-H // 2, -W // 2)``: the filled band now straddles the image edges.

Content outside the band is unchanged: bit-identical when ``even_lighting`` is off (the rolls
are exact permutations and the pipeline copies unmasked pixels).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from texpaint.engine.jobs import Job, JobCancelled, JobError, Operation

if TYPE_CHECKING:  # torch stays unimported until a job runs (the GUI imports this module)
    from texpaint.engine.device import Runtime

__all__ = [
    "SOFT_EDGE_PX",
    "default_band_px",
    "even_out_lighting",
    "make_seamless",
    "match_band_detail",
    "seam_band_mask",
]

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


def match_band_detail(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, float]:
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

    Returns:
        ``(result, gain)``: float32 ``(H, W, 3)`` (pixels where ``mask == 0`` bit-identical
        to ``image``; values clipped to ``[0, max(1, image.max())]``), and the gain applied
        (1.0 when the band or the rest is empty, or either has no detail).
    """
    rgb = np.asarray(image, dtype=np.float32)
    band = mask > 0
    if not band.any() or band.all():
        return rgb.copy(), 1.0
    base = np.stack(
        [_circular_gaussian(rgb[..., c].astype(np.float64), DETAIL_SIGMA_PX) for c in range(3)],
        axis=-1,
    )
    bx, by = _neighbour_differences(base)
    dx, dy = _neighbour_differences(rgb - base)
    channels = rgb.shape[2]

    def band_mean(terms: np.ndarray) -> float:
        return float(terms.sum(axis=2)[band].mean()) / channels

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


def make_seamless(
    image: np.ndarray,
    band_px: int,
    *,
    even_lighting: bool = False,
    abort: Callable[[], bool] = lambda: False,
    progress: Callable[[float, str], None] = _no_progress,
    runtime: Runtime | None = None,
    model_id: str | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Make ``image`` tile seamlessly by inpainting a band over its wrap seams, then matching
    the band's detail to the texture's (module doc).

    Args:
        image: float32 ``(H, W, 3)`` RGB, [0, 1] (float sources may exceed 1).
        band_px: width in pixels of the band inpainted over each seam (2 .. half the shorter
            side); about ``band_px / 2`` px at each image edge change.
        even_lighting: first divide out low-frequency lighting (:func:`even_out_lighting`);
            then every pixel may change.
        abort: polled between steps and network passes; True cancels.
        progress: called with ``(fraction in [0, 1], message)``.
        runtime: device + model cache; a new "auto" runtime when None.
        model_id: inpainting model id, or None for the default one.
        seed: RNG seed of the inpainting job.

    Returns:
        float32 ``(H, W, 3)``; where :func:`seam_band_mask` (rolled back) is 0 the pixels are
        bit-identical to ``image`` unless ``even_lighting`` is on.

    Raises:
        JobCancelled: ``abort()`` returned True.
        JobError: band width out of range, missing model, out of memory.
    """
    from texpaint.engine.pipeline import run_job  # pipeline dispatches here: import lazily

    rgb = np.asarray(image, dtype=np.float32)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise JobError(f"Make Seamless needs an (H, W, 3) RGB image, got shape {rgb.shape}")
    h, w = rgb.shape[:2]
    mask = seam_band_mask(h, w, band_px)
    if abort():
        raise JobCancelled()
    start = 0.0
    if even_lighting:
        progress(0.0, "Evening out lighting")
        rgb = even_out_lighting(rgb)
        start = 0.05
        if abort():
            raise JobCancelled()
    shift = (h // 2, w // 2)
    rolled = np.roll(rgb, shift, axis=(0, 1))

    def inner_progress(fraction: float, message: str) -> None:
        progress(start + (1.0 - start) * fraction, f"Make Seamless: {message}")

    job = Job(
        op=Operation.INPAINT, image=rolled, mask=mask, model_id=model_id, seed=seed, wrap=True
    )
    result = run_job(job, abort=abort, progress=inner_progress, runtime=runtime)
    matched, _gain = match_band_detail(result.image, mask)
    return np.ascontiguousarray(np.roll(matched, (-shift[0], -shift[1]), axis=(0, 1)))
