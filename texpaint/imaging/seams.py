"""How visible the wrap-around seam of a texture is when it is tiled.

A texture tiles seamlessly when the pixels that meet across its wrap boundary (last column
next to the first, last row next to the first) differ no more than neighbouring pixels
inside the image do. :func:`seam_metric` measures exactly that as a ratio:

* ``seam_x``: mean over rows and channels of ``(image[:, 0] - image[:, -1]) ** 2``, the
  squared horizontal neighbour difference across the left/right wrap boundary (one value per
  row, ``H`` rows);
* ``interior_x``: mean over rows, channels and the ``W - 1`` interior column pairs of
  ``(image[:, j + 1] - image[:, j]) ** 2``;
* ``seam_y`` / ``interior_y``: the same for vertical neighbours, across the top/bottom wrap
  boundary (``W`` values) and the ``H - 1`` interior row pairs;
* ``ratio = (seam_x + seam_y) / (interior_x + interior_y)``; ``ratio_x = seam_x / interior_x``
  and ``ratio_y = seam_y / interior_y`` per direction.

Energies are in squared image units (for [0, 1] images: squared fractions of full scale, per
pixel pair and channel); the ratios are unitless. 1.0 means the wrap seam is as smooth as the
interior, on average; a visible seam (a crop of a tiling texture, a lighting gradient) scores
well above 1 (often 5-50); a wrap seam smoother than the texture (blurred, mirrored) scores
below 1. Summing the two directions before dividing keeps the ratio stable for strongly
directional textures (stripes), whose interior energy in one direction is close to 0.

A single boundary line is a sample of H (or W) pixel pairs, so even a perfectly tiling
texture scores 1 only on average over its possible wrap positions:
:func:`interior_line_ratios` gives the same statistic for every interior line, i.e. the spread
a seamless texture shows.

numpy only; no Qt, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SeamMetric", "seam_metric", "interior_line_ratios"]


@dataclass(frozen=True)
class SeamMetric:
    """Wrap-seam gradient energy relative to the interior (see the module docstring).

    Attributes:
        ratio: ``(seam_x + seam_y) / (interior_x + interior_y)``, unitless; 1.0 = as smooth as
            the interior.
        ratio_x: ``seam_x / interior_x`` (left/right seam), unitless.
        ratio_y: ``seam_y / interior_y`` (top/bottom seam), unitless.
        seam_x, seam_y: mean squared neighbour difference across the wrap boundary (squared
            image units).
        interior_x, interior_y: mean squared neighbour difference of the interior pairs of the
            same direction (squared image units).
    """

    ratio: float
    ratio_x: float
    ratio_y: float
    seam_x: float
    seam_y: float
    interior_x: float
    interior_y: float


_EPS = 1e-12


def _as_hwc(image: np.ndarray) -> np.ndarray:
    a = np.asarray(image, dtype=np.float64)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3 or a.shape[0] < 2 or a.shape[1] < 2:
        raise ValueError(f"image must be (H, W) or (H, W, C) with H, W >= 2, got {a.shape}")
    return a


def seam_metric(image: np.ndarray) -> SeamMetric:
    """Measure how well ``image`` tiles (wrap-seam energy relative to the interior).

    Args:
        image: ``(H, W)`` or ``(H, W, C)`` array, any real dtype (float32 [0, 1] RGB in
            texpaint), ``H, W >= 2``.

    Returns:
        :class:`SeamMetric`; ``ratio`` ~1 for a tiling texture, >> 1 for a visible seam.

    Raises:
        ValueError: wrong number of dimensions or an image smaller than 2 x 2.
    """
    a = _as_hwc(image)
    seam_x = float(np.mean((a[:, 0] - a[:, -1]) ** 2))
    seam_y = float(np.mean((a[0] - a[-1]) ** 2))
    interior_x = float(np.mean(np.diff(a, axis=1) ** 2))
    interior_y = float(np.mean(np.diff(a, axis=0) ** 2))
    return SeamMetric(
        ratio=(seam_x + seam_y) / max(interior_x + interior_y, _EPS),
        ratio_x=seam_x / max(interior_x, _EPS),
        ratio_y=seam_y / max(interior_y, _EPS),
        seam_x=seam_x,
        seam_y=seam_y,
        interior_x=interior_x,
        interior_y=interior_y,
    )


def interior_line_ratios(image: np.ndarray) -> np.ndarray:
    """The seam ratio an interior cut would get, for every interior cut position.

    Cut ``k`` (``k = 1 .. min(H, W) - 1``) pairs column ``k - 1`` with column ``k`` and row
    ``k - 1`` with row ``k``: its value is ``(e_x[k] + e_y[k]) / (interior_x + interior_y)``,
    where ``e_x[k]`` is the mean squared difference of that column pair (over rows and
    channels), ``e_y[k]`` the same for the row pair. It is what :func:`seam_metric` would
    report if the image were rolled so that cut ``k`` became its wrap boundary (up to the one
    pair that moves), so the spread of these values is the spread of the metric on a texture
    that tiles perfectly.

    Args:
        image: ``(H, W)`` or ``(H, W, C)``, ``H, W >= 2``.

    Returns:
        float64 ``(min(H, W) - 1,)`` unitless ratios; their mean is about 1.
    """
    a = _as_hwc(image)
    dx = np.mean(np.diff(a, axis=1) ** 2, axis=(0, 2))  # (W - 1,)
    dy = np.mean(np.diff(a, axis=0) ** 2, axis=(1, 2))  # (H - 1,)
    n = min(dx.size, dy.size)
    denom = max(float(dx.mean() + dy.mean()), _EPS)
    return (dx[:n] + dy[:n]) / denom
