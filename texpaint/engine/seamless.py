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
5. Roll back by ``(-H // 2, -W // 2)``: the filled band now straddles the image edges.

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
    """Make ``image`` tile seamlessly by inpainting a band over its wrap seams (module doc).

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
    return np.ascontiguousarray(np.roll(result.image, (-shift[0], -shift[1]), axis=(0, 1)))
