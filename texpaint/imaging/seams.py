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

:func:`wrap_check` decides whether a texture already tiles: its wrap cut against the top of
the spread of its own interior cuts, at strip widths 1-32 px (:func:`cut_energies`), so slow
steps (lighting, a shifted pattern) count as well as pixel-level ones.

numpy only; no Qt, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "SeamMetric",
    "WrapCheck",
    "seam_metric",
    "interior_line_ratios",
    "cut_energies",
    "wrap_check",
    "TILE_TOLERANCE",
]


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


TILE_TOLERANCE = 1.5
""":func:`wrap_check` calls a texture tiling when, at every scale and in both directions, its
wrap cut's energy is at most this many times the 99th percentile of its interior cuts'.
Chosen on ``cc0-1k/train`` (74 textures that tile, at 1024 and 512 px: worst 1.2; 3 train
textures whose wrap is visibly broken score 6-70), not on val."""

WRAP_SCALES = (1, 2, 4, 8, 16, 32)
"""Strip widths (pixels) :func:`wrap_check` compares across each cut."""


@dataclass(frozen=True)
class WrapCheck:
    """Is the wrap seam indistinguishable from the image's own interior lines?

    Attributes:
        tiles: True when ``worst <= TILE_TOLERANCE`` (leave the image alone).
        worst: the largest ``score`` over scales and directions (unitless; ~1 or below for a
            tiling texture, several times above for a broken wrap).
        scores: ``{(axis, scale): wrap cut energy / 99th percentile of the interior cuts'}``;
            ``axis`` 1 = the left/right seam (vertical cut line), 0 = top/bottom.
    """

    tiles: bool
    worst: float
    scores: dict[tuple[int, int], float]


def cut_energies(image: np.ndarray, scale: int, axis: int) -> np.ndarray:
    """Energy of every cut line of ``image`` (wrap-around) at one scale.

    For ``axis=1`` the cut ``k`` lies between columns ``k - 1`` and ``k`` (cut 0 is the wrap
    seam, between the last column and the first); its energy is the mean over rows and
    channels of ``(mean(cols k .. k+s-1) - mean(cols k-s .. k-1)) ** 2``, the squared step
    between the ``s``-wide strips on each side (``s = scale``; columns wrap around). ``s = 1``
    is the squared neighbour difference of :func:`seam_metric`; wider strips see slow steps
    (lighting, a shifted pattern) that single-pixel differences miss. ``axis=0``: rows.

    Args:
        image: ``(H, W)`` or ``(H, W, C)``, any real dtype.
        scale: strip width ``s`` in pixels, ``1 <= s <= size / 2``.
        axis: 1 = vertical cut lines (columns), 0 = horizontal (rows).

    Returns:
        float64 ``(n,)`` with ``n`` = W (axis 1) or H (axis 0), squared image units.
    """
    return _cut_energies(_as_hwc(image), (int(scale),), axis)[0]


def _cut_energies(a: np.ndarray, scales: tuple[int, ...], axis: int) -> list[np.ndarray]:
    """:func:`cut_energies` of ``a`` ``(H, W, C)`` for several scales from one running sum
    along ``axis`` (no transposed copy)."""
    n = a.shape[axis]
    for s in scales:
        if not 1 <= s <= n // 2:
            raise ValueError(f"scale must be between 1 and {n // 2}, got {s}")
    p = max(scales)

    def take(x: np.ndarray, start: int, stop: int) -> np.ndarray:
        return x[start:stop] if axis == 0 else x[:, start:stop]

    # float32 running sums of the mean-free image: they wander like a random walk (about
    # sqrt(n) times the pixel spread), so float32 keeps ~1e-6 of full scale
    centred = (a - a.mean(axis=(0, 1))).astype(np.float32)
    padded = np.concatenate([take(centred, n - p, n), centred, take(centred, 0, p)], axis=axis)
    cs = np.cumsum(padded, axis=axis, dtype=np.float32)
    zero = np.zeros_like(take(cs, 0, 1))
    cs = np.concatenate([zero, cs], axis=axis)  # cs[j] = sum of padded lines < j
    mid = take(cs, p, p + n)  # cut k sits before padded line k + p
    other = (1, 2) if axis == 0 else (0, 2)
    out: list[np.ndarray] = []
    for s in scales:
        step = (take(cs, p + s, p + s + n) - 2.0 * mid + take(cs, p - s, p - s + n)) / s
        out.append(np.asarray(np.mean(step * step, axis=other, dtype=np.float64)))
    return out


def wrap_check(image: np.ndarray, tolerance: float = TILE_TOLERANCE) -> WrapCheck:
    """Decide whether ``image`` already tiles: its wrap seams look like interior lines.

    For each direction and each strip width ``s`` in :data:`WRAP_SCALES` (up to an eighth of
    the image side), the wrap cut's energy (:func:`cut_energies`, cut 0) is divided by the
    99th percentile of the energies of the interior cuts whose strips do not cross the wrap.
    A texture that tiles has a wrap cut like any other line (score ~1 or below: the worst of
    74 tiling train textures scored 1.2); a crop of one, or a photo with a lighting gradient,
    steps across the wrap at some scale (scores of 2 to over 100). The texture tiles when every
    score is at most ``tolerance``. This is the "seam inside the spread of the image's own
    interior lines" criterion, one-sided (a seam smoother than the interior is fine) and
    against the top of the spread rather than p10-p90, which one real wrap line leaves 20 % of
    the time.

    Args:
        image: ``(H, W)`` or ``(H, W, C)`` (float32 [0, 1] RGB in texpaint), ``H, W >= 2``.
        tolerance: largest allowed score (default :data:`TILE_TOLERANCE`).

    Returns:
        :class:`WrapCheck`.

    Raises:
        ValueError: wrong dimensions or an image smaller than 2 x 2.
    """
    a = _as_hwc(image)
    scores: dict[tuple[int, int], float] = {}
    for axis in (1, 0):
        n = a.shape[axis]
        scales = tuple(s for s in WRAP_SCALES if s <= max(1, n // 8))
        for s, e in zip(scales, _cut_energies(a, scales, axis), strict=True):
            interior = e[s : n - s + 1]
            ref = float(np.percentile(interior, 99)) if interior.size else 0.0
            scores[(axis, s)] = float(e[0]) / max(ref, _EPS) if e[0] > _EPS else 0.0
    worst = max(scores.values(), default=0.0)
    return WrapCheck(tiles=worst <= tolerance, worst=worst, scores=scores)
