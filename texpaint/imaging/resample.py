"""Resampling helpers for size-changing operations (Upscale): size checks and plane resizing.

An upscaling network returns only RGB; the image's alpha (and the document's mask) follow it
with a library resampler (OpenCV bilinear) so RGBA images stay RGBA and the mask keeps covering
the same part of the texture. Bilinear rather than bicubic or Lanczos: their negative lobes
ring, which would leave small non-zero mask values (and faint alpha) a few pixels away from a
hard edge, where the mask must stay exactly 0. No Qt.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from texpaint.imaging.io import MAX_PIXELS, ImageData

__all__ = ["resize_plane", "upscaled_size", "with_rgb"]


def upscaled_size(
    height: int, width: int, scale: int, max_pixels: int | None = None
) -> tuple[int, int]:
    """The size of a ``height`` x ``width`` image upscaled ``scale`` times, if allowed.

    Args:
        height, width: the source size in pixels (>= 1).
        scale: whole-number factor per axis (>= 1).
        max_pixels: the largest result (H x W pixels) allowed; None for texpaint's image
            pixel cap :data:`~texpaint.imaging.io.MAX_PIXELS`.

    Returns:
        ``(height * scale, width * scale)``.

    Raises:
        ValueError: ``scale`` below 1, or a result over ``max_pixels`` (the message, for the
            user, names both sizes and the cap).
    """
    if max_pixels is None:
        max_pixels = MAX_PIXELS
    scale = int(scale)
    if scale < 1:
        raise ValueError(f"upscale factor must be at least 1, got {scale}")
    out_h, out_w = int(height) * scale, int(width) * scale
    if out_h * out_w > max_pixels:
        side = int(max_pixels**0.5)
        raise ValueError(
            f"Upscaling {width} x {height} by {scale}x gives {out_w} x {out_h} pixels, over "
            f"texpaint's image limit of {max_pixels:,} pixels (e.g. {side} x {side}); "
            "downscale the image or use a model with a smaller factor"
        )
    return out_h, out_w


def resize_plane(plane: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resample a single-channel plane in [0, 1] (alpha, mask) to ``size``.

    Bilinear (``cv2.INTER_LINEAR``, pixel centres aligned): no overshoot, and a value is
    non-zero only within one source pixel of a non-zero source pixel.

    Args:
        plane: float32 ``(h, w)`` in [0, 1].
        size: ``(H, W)`` in pixels.

    Returns:
        A new C-contiguous, writable float32 ``(H, W)`` array in [0, 1].

    Raises:
        ValueError: ``plane`` is not 2-D or ``size`` is not positive.
    """
    plane = np.asarray(plane, dtype=np.float32)
    if plane.ndim != 2:
        raise ValueError(f"plane must be 2-D (H, W), got shape {plane.shape}")
    out_h, out_w = (int(v) for v in size)
    if out_h < 1 or out_w < 1:
        raise ValueError(f"size must be positive, got {size}")
    if (out_h, out_w) == plane.shape:
        return plane.copy()
    out = cv2.resize(plane, (out_w, out_h), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(np.clip(out, 0.0, 1.0), dtype=np.float32)


def with_rgb(data: ImageData, rgb: np.ndarray) -> ImageData:
    """``data`` with new pixels ``rgb``; alpha follows a change of size.

    Args:
        data: the image the pixels were computed from.
        rgb: float32 ``(H', W', 3)``, e.g. a model op's output (same size or upscaled).

    Returns:
        A new :class:`ImageData` with the same sample format, colour space and source path;
        its alpha is ``data.alpha`` when the size is unchanged, else that alpha resampled
        with :func:`resize_plane` (None stays None).
    """
    alpha = data.alpha
    if alpha is not None and alpha.shape != rgb.shape[:2]:
        alpha = resize_plane(alpha, rgb.shape[:2])
    return dataclasses.replace(data, rgb=rgb, alpha=alpha)
