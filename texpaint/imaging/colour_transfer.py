"""Colour transfer by matching CIELAB mean and standard deviation.

Method: Reinhard, Ashikhmin, Gooch & Shirley, "Color Transfer between Images" (IEEE CG&A
2001): convert both images to a decorrelated opponent colour space and, per channel, shift and
scale the source so its mean and standard deviation become the target's. Reinhard et al. use
l-alpha-beta; this module uses CIELAB (D65), which is decorrelated in the same way and which
OpenCV converts to and from (``cv2.cvtColor`` on float32 sRGB in [0, 1]: L in [0, 100], a and
b about [-127, 127]).

Stylize uses it as the *colour* half of a style (``texpaint.engine.stylize``): the content is
first moved to the exemplar's palette with :func:`reinhard_transfer`, then the style generator
adds the texture (Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer",
treat colour and texture as separately controllable factors in the same way).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

LabStats = tuple[tuple[float, float, float], tuple[float, float, float]]
"""``(mean, std)`` of the L, a, b channels (CIELAB units)."""

MIN_STD = (0.5, 0.5, 0.5)
"""Floor (CIELAB units) of a source channel's standard deviation when the gain is computed,
so a flat source channel is not amplified without bound (quantisation noise, rounding)."""

STATS_PIXELS = 1 << 20
"""Above this many pixels :func:`lab_stats` estimates the moments from a regular grid of about
this many samples."""

BAND_ROWS = 256
"""Rows converted at a time by :func:`reinhard_transfer` (bounds its temporary memory)."""


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """float32 sRGB ``(..., 3)`` (clipped to [0, 1]) → float32 CIELAB, same shape."""
    x = np.clip(np.asarray(rgb, np.float32), 0.0, 1.0)
    flat = np.ascontiguousarray(x.reshape(-1, 1, 3))
    return cv2.cvtColor(flat, cv2.COLOR_RGB2Lab).reshape(x.shape)


def lab_to_srgb(lab: np.ndarray) -> np.ndarray:
    """float32 CIELAB ``(..., 3)`` → float32 sRGB clipped to [0, 1], same shape (the inverse
    of :func:`srgb_to_lab` inside the sRGB gamut)."""
    flat = np.ascontiguousarray(np.asarray(lab, np.float32).reshape(-1, 1, 3))
    return np.clip(cv2.cvtColor(flat, cv2.COLOR_Lab2RGB).reshape(lab.shape), 0.0, 1.0)


def grid_step(h: int, w: int, pixels: int = STATS_PIXELS) -> int:
    """Stride (>= 1) of a regular grid that samples about ``pixels`` of an ``h`` x ``w`` image:
    on large images such a grid estimates means and (co)variances as well as every pixel."""
    return max(1, math.ceil(math.sqrt(h * w / pixels)))


def lab_stats(rgb: np.ndarray, weight: np.ndarray | None = None) -> LabStats:
    """Mean and standard deviation of ``rgb``'s CIELAB channels.

    Args:
        rgb: float32 ``(H, W, 3)`` sRGB; values outside [0, 1] are clipped first.
        weight: optional float ``(H, W)`` >= 0: a weighted mean and standard deviation (e.g. a
            mask: only where it is > 0 counts). None or all zero: every pixel alike.

    Returns:
        ``((L, a, b) means, (L, a, b) standard deviations)`` as Python floats.

    Raises:
        ValueError: ``rgb`` is not ``(H, W, 3)`` or ``weight`` is not ``(H, W)``.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) image, got shape {rgb.shape}")
    if weight is not None and weight.shape != rgb.shape[:2]:
        raise ValueError(f"weight must be {rgb.shape[:2]}, got {weight.shape}")
    step = grid_step(rgb.shape[0], rgb.shape[1])
    lab = srgb_to_lab(rgb[::step, ::step]).reshape(-1, 3).astype(np.float64)
    w = None
    if weight is not None:
        w = np.clip(np.asarray(weight[::step, ::step], np.float64).reshape(-1), 0.0, None)
        if w.sum() <= 0:
            w = None
    mean = np.average(lab, axis=0, weights=w)
    std = np.sqrt(np.average((lab - mean) ** 2, axis=0, weights=w))
    return tuple(float(v) for v in mean), tuple(float(v) for v in std)  # type: ignore[return-value]


def reinhard_transfer(
    rgb: np.ndarray,
    target: LabStats,
    source: LabStats | None = None,
    max_gain: float | None = 4.0,
) -> np.ndarray:
    """Move ``rgb``'s colours to the ``target`` CIELAB statistics (Reinhard et al. 2001).

    Per channel: ``out = (lab - mean_src) * gain + mean_tgt`` with
    ``gain = std_tgt / max(std_src, MIN_STD)``, capped at ``max_gain``.

    Args:
        rgb: float32 ``(H, W, 3)`` sRGB in [0, 1] (values outside are clipped).
        target: ``(mean, std)`` from :func:`lab_stats` of the palette to reach (e.g. a style
            exemplar).
        source: statistics to map *from*; None: :func:`lab_stats` of ``rgb`` itself. Give the
            statistics of a larger area (a whole image, a masked region) when ``rgb`` is one
            tile of it, so every tile gets the same mapping.
        max_gain: upper bound of the per-channel gain (None: no bound, the original method).

    Returns:
        float32 ``(H, W, 3)`` sRGB clipped to [0, 1].
    """
    src_mean, src_std = source if source is not None else lab_stats(rgb)
    tgt_mean, tgt_std = (np.asarray(v, np.float32) for v in target)
    gain = tgt_std / np.maximum(np.asarray(src_std, np.float32), np.asarray(MIN_STD, np.float32))
    if max_gain is not None:
        gain = np.minimum(gain, np.float32(max_gain))
    offset = tgt_mean - np.asarray(src_mean, np.float32) * gain
    out = np.empty(rgb.shape, np.float32)
    for r in range(0, rgb.shape[0], BAND_ROWS):  # row bands: no whole-image temporaries
        lab = srgb_to_lab(rgb[r : r + BAND_ROWS]) * gain + offset
        lab[..., 0] = np.clip(lab[..., 0], 0.0, 100.0)
        out[r : r + BAND_ROWS] = lab_to_srgb(lab)
    return out
