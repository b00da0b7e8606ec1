"""Image quality metrics: PSNR and SSIM, optionally restricted to a mask.

Used to score inpainting and denoising results against a reference: with a mask, only the
pixels that were to be changed count, since pixels outside it are copied from the input.
numpy/scipy only (no torch), so it runs anywhere.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import gaussian_filter

__all__ = ["psnr", "ssim"]


def _pair(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"images must have the same shape, got {a.shape} and {b.shape}")
    if a.ndim not in (2, 3) or a.size == 0:
        raise ValueError(f"images must be non-empty (H, W) or (H, W, C), got {a.shape}")
    return a, b


def _mask_weights(mask: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray | None:
    """Boolean (H, W) selection of pixels where mask > 0.5, or None for all pixels."""
    if mask is None:
        return None
    m = np.asarray(mask)
    if m.shape != shape[:2]:
        raise ValueError(f"mask shape {m.shape} does not match image {shape[:2]}")
    sel = m > 0.5
    if not sel.any():
        raise ValueError("mask selects no pixels (no value > 0.5)")
    return sel


def psnr(
    a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None, data_range: float = 1.0
) -> float:
    """Peak signal-to-noise ratio ``10 * log10(data_range**2 / MSE)``, in dB.

    Args:
        a, b: images of equal shape, ``(H, W)`` or ``(H, W, C)``, any real dtype, values in
            ``[0, data_range]``.
        mask: optional ``(H, W)``; only pixels where ``mask > 0.5`` count (all channels).
        data_range: the span of possible values (1.0 for float [0, 1], 255 for 8-bit).

    Returns:
        PSNR in dB; ``inf`` when the (selected) pixels are identical.

    Raises:
        ValueError: shapes differ or are not 2-D/3-D, the mask's shape is not ``(H, W)``,
            the mask selects no pixel, or ``data_range <= 0``.
    """
    a, b = _pair(a, b)
    if data_range <= 0:
        raise ValueError(f"data_range must be positive, got {data_range}")
    sel = _mask_weights(mask, a.shape)
    diff2 = (a - b) ** 2
    mse = float(diff2.mean() if sel is None else diff2[sel].mean())
    if mse == 0.0:
        return math.inf
    return float(10.0 * math.log10(data_range**2 / mse))


def ssim(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Structural similarity index (Wang, Bovik, Sheikh & Simoncelli, IEEE TIP 2004).

    Local statistics use a Gaussian window with sigma = 1.5 px (truncated at 3.5 sigma,
    i.e. an 11 x 11 window), constants ``K1 = 0.01``, ``K2 = 0.03`` and data range 1.
    For colour images the SSIM map is computed per channel and averaged. Borders use
    reflected padding, so the map covers the whole image.

    Args:
        a, b: float images of equal shape, ``(H, W)`` or ``(H, W, C)``, values in [0, 1].
        mask: optional ``(H, W)``; the SSIM map is averaged only where ``mask > 0.5``.
            (The window statistics still see the neighbouring pixels outside the mask.)

    Returns:
        Mean SSIM, at most 1.0 (1.0 for identical images); can be negative for
        anti-correlated images.

    Raises:
        ValueError: shapes differ or are not 2-D/3-D, the mask's shape is not ``(H, W)``,
            or the mask selects no pixel.
    """
    a, b = _pair(a, b)
    sel = _mask_weights(mask, a.shape)
    if a.ndim == 2:
        a, b = a[:, :, None], b[:, :, None]
    c1 = (0.01 * 1.0) ** 2
    c2 = (0.03 * 1.0) ** 2
    sigma = (1.5, 1.5, 0.0)  # no blur across channels

    def blur(x: np.ndarray) -> np.ndarray:
        return gaussian_filter(x, sigma=sigma, truncate=3.5, mode="reflect")

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    smap = (num / den).mean(axis=2)
    value = float(smap.mean() if sel is None else smap[sel].mean())
    return min(value, 1.0)
