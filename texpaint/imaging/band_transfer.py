"""Multi-scale statistics transfer: an exemplar's band energies and colour covariance.

Stylize's last step (``texpaint.engine.stylize``). Two closed-form maps move the *global*
statistics of a stylised image to those of the style exemplar without moving any edge:

1. **Band energy matching.** After Heeger & Bergen, "Pyramid-Based Texture Analysis/Synthesis"
   (SIGGRAPH 1995), who match the histograms of every pyramid band: each CIELAB channel is
   split into a Laplacian pyramid (Burt & Adelson 1983) of :data:`BANDS` band-pass levels
   (finest first; level ``k`` holds detail of about ``2**k`` to ``2**(k+1)`` pixels) and a
   low-pass residual. Every level of every channel is multiplied by one gain, so that its
   standard deviation becomes the exemplar's at the same level. The gain is clipped to
   [:data:`MIN_GAIN`, :data:`MAX_GAIN`]: at most it halves the detail of a level, and it
   never amplifies a level more than 4x. Only standard deviations are matched, not whole
   histograms, so each level keeps its shape and positions.
2. **Linear colour transfer.** Pitié & Kokaram, "The Linear Monge-Kantorovitch Linear Colour
   Mapping for Example-Based Colour Transfer" (CVMP 2007): the affine map
   ``x -> T (x - mu_x) + mu_y``, ``T = Cx^-1/2 (Cx^1/2 Cy Cx^1/2)^1/2 Cx^-1/2``, that takes the
   image's RGB mean and covariance to the exemplar's with the least displacement. Unlike
   Reinhard's per-channel transfer, it also matches how the channels co-vary. The
   eigenvalues of ``T`` are capped at :data:`MAX_GAIN`.

Both steps can take a weight map, for example a soft mask. Statistics are then taken where
the weight is > 0, and the maps are applied to every pixel (the caller composites). With
``wrap=True`` the pyramid treats the image as a torus, so a tileable image stays tileable.

Values: float32 sRGB ``(H, W, 3)`` in [0, 1]. Inputs outside that range are clipped; the
caller scales HDR images into it and back.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from texpaint.imaging.colour_transfer import grid_step, lab_to_srgb, srgb_to_lab

BANDS = 5
"""Band-pass levels of the pyramid (detail up to about 64 pixels); a low-pass residual
follows them."""

MIN_GAIN = 0.5
"""Smallest gain of a pyramid level: the transfer at most halves a level's detail."""

MAX_GAIN = 4.0
"""Largest gain of a pyramid level, and largest eigenvalue of the colour map."""

MIN_LEVEL_PX = 8
"""A pyramid stops before a level would be smaller than this (pixels)."""

MOMENT_PIXELS = 1 << 18
"""Above this many pixels :func:`rgb_moments` samples a regular grid of about this many."""

CONVERT_ROWS = 1024
"""Rows converted at a time between sRGB and CIELAB (bounds the temporaries; OpenCV runs each
band on all cores)."""

_EPS_STD = 1e-3
"""Floor (CIELAB units) of a level's standard deviation when a gain is computed."""

_EPS_COV = 1e-5
"""Added to a covariance diagonal ([0, 1] RGB units squared) before its inverse square root."""

Triple = tuple[float, float, float]


def _finite_triple(values, name: str, non_negative: bool = False) -> Triple:
    t = tuple(float(v) for v in values)
    if len(t) != 3 or not all(math.isfinite(v) for v in t):
        raise ValueError(f"{name} must hold 3 finite numbers, got {values!r}")
    if non_negative and min(t) < 0:
        raise ValueError(f"{name} must not be negative, got {values!r}")
    return t  # type: ignore[return-value]


@dataclass(frozen=True)
class ExemplarStatistics:
    """The statistics :func:`statistics_transfer` moves an image to (kept in a style
    generator's model card).

    Attributes:
        band_std: standard deviation of each CIELAB channel (L, a, b; CIELAB units) of each
            pyramid level, finest first: :data:`BANDS` band-pass levels, then the low-pass
            residual (``BANDS + 1`` rows).
        rgb_mean: mean sRGB colour, [0, 1] units.
        rgb_cov: 3x3 covariance of the sRGB colours, [0, 1] units squared (symmetric, positive
            semi-definite).
    """

    band_std: tuple[Triple, ...]
    rgb_mean: Triple
    rgb_cov: tuple[Triple, Triple, Triple]

    def __post_init__(self) -> None:
        """Raises ValueError for wrong lengths, non-finite or negative values, or a covariance
        that is not symmetric positive semi-definite."""
        rows = tuple(_finite_triple(r, "band_std row", True) for r in self.band_std)
        if not 2 <= len(rows) <= 12:
            raise ValueError(f"band_std must have 2 to 12 rows, got {len(rows)}")
        cov = tuple(_finite_triple(r, "rgb_cov row") for r in self.rgb_cov)
        if len(cov) != 3:
            raise ValueError(f"rgb_cov must be 3x3, got {len(cov)} rows")
        c = np.array(cov)
        if not np.allclose(c, c.T, atol=1e-6) or np.linalg.eigvalsh(c).min() < -1e-6:
            raise ValueError("rgb_cov must be a symmetric positive semi-definite 3x3 matrix")
        object.__setattr__(self, "band_std", rows)
        object.__setattr__(self, "rgb_mean", _finite_triple(self.rgb_mean, "rgb_mean"))
        object.__setattr__(self, "rgb_cov", cov)

    def to_dict(self) -> dict:
        """JSON-friendly ``{"band_std": [[...]], "rgb_mean": [...], "rgb_cov": [[...]]}``."""
        return {
            "band_std": [list(r) for r in self.band_std],
            "rgb_mean": list(self.rgb_mean),
            "rgb_cov": [list(r) for r in self.rgb_cov],
        }

    @classmethod
    def from_dict(cls, d: dict) -> ExemplarStatistics:
        """Inverse of :meth:`to_dict`. Raises ValueError (bad values) or KeyError/TypeError
        (missing or unknown keys)."""
        return cls(**d)


def _to_lab(rgb: np.ndarray) -> np.ndarray:
    """float32 CIELAB copy of ``rgb`` (clipped to [0, 1]), converted in row bands so no
    whole-image temporaries are made."""
    out = np.empty(rgb.shape, np.float32)
    for r in range(0, rgb.shape[0], CONVERT_ROWS):
        out[r : r + CONVERT_ROWS] = srgb_to_lab(rgb[r : r + CONVERT_ROWS])
    return out


def _lab_to_rgb_inplace(lab: np.ndarray) -> np.ndarray:
    """Convert float32 CIELAB ``(H, W, 3)`` to sRGB clipped to [0, 1], in place (row bands)."""
    for r in range(0, lab.shape[0], CONVERT_ROWS):
        lab[r : r + CONVERT_ROWS] = lab_to_srgb(lab[r : r + CONVERT_ROWS])
    return lab


def _levels(h: int, w: int, bands: int) -> int:
    """How many band-pass levels fit an ``h`` x ``w`` image (>= 0, <= ``bands``)."""
    n = 0
    while n < bands and min(h, w) >> (n + 1) >= MIN_LEVEL_PX:
        n += 1
    return n


def _pyramid(plane: np.ndarray, levels: int) -> list[np.ndarray]:
    """Laplacian pyramid of a float32 ``(H, W)`` plane: ``levels`` band-pass images (finest
    first) and the low-pass residual (``cv2.pyrDown`` / ``cv2.pyrUp``, reflected borders)."""
    out, cur = [], plane
    for _ in range(levels):
        down = cv2.pyrDown(cur)
        out.append(cur - cv2.pyrUp(down, dstsize=(cur.shape[1], cur.shape[0])))
        cur = down
    out.append(cur)
    return out


def _collapse(pyr: list[np.ndarray]) -> np.ndarray:
    """Inverse of :func:`_pyramid`."""
    cur = pyr[-1]
    for band in reversed(pyr[:-1]):
        cur = cv2.pyrUp(cur, dstsize=(band.shape[1], band.shape[0])) + band
    return cur


def _weighted_moments(level: np.ndarray, weight: np.ndarray | None) -> tuple[float, float]:
    """Mean and standard deviation of ``level``, weighted by ``weight`` resized to the level's
    size (area) when given (None, or all zero there: every pixel alike)."""
    if weight is not None:
        wl = weight
        if wl.shape != level.shape:
            wl = cv2.resize(weight, (level.shape[1], level.shape[0]), interpolation=cv2.INTER_AREA)
        total = float(wl.sum())
        if total > 0:
            mean = float((wl * level).sum()) / total
            return mean, math.sqrt(max(0.0, float((wl * (level - mean) ** 2).sum()) / total))
    return float(level.mean()), float(level.std())


def _padded(a: np.ndarray, pad: int, wrap: bool, fill: float | None = None) -> np.ndarray:
    """``a`` (2-D) padded by ``pad`` px on each side: circularly (``wrap``), or with ``fill``."""
    if pad <= 0:
        return a
    if fill is not None:
        return np.pad(a, pad, mode="constant", constant_values=fill)
    return np.pad(a, pad, mode="wrap" if wrap else "reflect")


def _channel_pyramids(
    rgb: np.ndarray, bands: int, weight: np.ndarray | None, wrap: bool
) -> tuple[np.ndarray, int, int, np.ndarray | None, Iterator[tuple[int, list[np.ndarray]]]]:
    """Set-up shared by :func:`band_std` and :func:`match_bands`: ``(lab, levels, pad,
    weight, pyramids)`` with ``lab`` the float32 CIELAB copy of ``rgb``, ``levels`` the
    band-pass levels that fit (at most ``bands``), ``pad`` the circular padding (pixels, 0
    unless ``wrap``), ``weight`` padded with zeros (None when absent or all zero) and
    ``pyramids`` yielding ``(channel, pyramid)`` of each padded channel in turn."""
    lab = _to_lab(rgb)
    h, w = lab.shape[:2]
    levels = _levels(h, w, bands)
    pad = min(2 << levels, h, w) if wrap else 0
    wgt = None
    if weight is not None and float(weight.sum()) > 0:
        wgt = _padded(np.asarray(weight, np.float32), pad, wrap, fill=0.0)

    def pyramids() -> Iterator[tuple[int, list[np.ndarray]]]:
        for ch in range(3):
            yield ch, _pyramid(_padded(np.ascontiguousarray(lab[..., ch]), pad, wrap), levels)

    return lab, levels, pad, wgt, pyramids()


def band_std(
    rgb: np.ndarray, weight: np.ndarray | None = None, bands: int = BANDS, wrap: bool = False
) -> np.ndarray:
    """Standard deviation of every pyramid level of ``rgb``'s CIELAB channels.

    Args:
        rgb: float32 ``(H, W, 3)`` sRGB in [0, 1] (clipped), H, W >= 1.
        weight: optional float32 ``(H, W)`` >= 0 (statistics where it is > 0; all zero or None:
            every pixel).
        bands: band-pass levels wanted; fewer are used when the image is small
            (:data:`MIN_LEVEL_PX`), the residual then holds the coarser detail.
        wrap: treat the image as a torus (tileable).

    Returns:
        float64 ``(levels + 1, 3)``: rows finest first, the last the low-pass residual.
    """
    _, levels, _, wgt, pyramids = _channel_pyramids(rgb, bands, weight, wrap)
    out = np.zeros((levels + 1, 3))
    for ch, pyr in pyramids:
        out[:, ch] = [_weighted_moments(level, wgt)[1] for level in pyr]
    return out


def _merge_coarse(target: np.ndarray, levels: int) -> np.ndarray:
    """``target`` (rows ``(n + 1, 3)``) reduced to ``levels + 1`` rows: the levels an image
    too small for the whole pyramid folds into its residual are summed in energy."""
    if levels + 1 >= target.shape[0]:
        return target[: levels + 1]
    coarse = np.sqrt((target[levels:] ** 2).sum(axis=0))
    return np.vstack([target[:levels], coarse[None]])


def match_bands(
    rgb: np.ndarray,
    target_std: np.ndarray,
    weight: np.ndarray | None = None,
    wrap: bool = False,
) -> np.ndarray:
    """Scale every pyramid level of ``rgb``'s CIELAB channels so its standard deviation
    becomes ``target_std``'s (gains clipped to [:data:`MIN_GAIN`, :data:`MAX_GAIN`]); the
    residual is scaled about its own mean.

    Args:
        rgb: float32 ``(H, W, 3)`` sRGB in [0, 1].
        target_std: ``(n + 1, 3)`` as :func:`band_std` returns (the exemplar's).
        weight: optional float32 ``(H, W)`` >= 0: where the image's own statistics are taken.
        wrap: treat the image as a torus.

    Returns:
        float32 ``(H, W, 3)`` sRGB clipped to [0, 1].

    Raises:
        ValueError: ``target_std`` is not ``(n + 1, 3)`` with n >= 1.
    """
    target = np.asarray(target_std, np.float64)
    if target.ndim != 2 or target.shape[1] != 3 or target.shape[0] < 2:
        raise ValueError(f"target_std must be (n + 1, 3), got shape {target.shape}")
    # the result is built in ``lab``, channel by channel
    lab, levels, pad, wgt, pyramids = _channel_pyramids(rgb, target.shape[0] - 1, weight, wrap)
    h, w = lab.shape[:2]
    target = _merge_coarse(target, levels)
    for ch, pyr in pyramids:
        for k, level in enumerate(pyr):
            mean, std = _weighted_moments(level, wgt)
            gain = float(np.clip(target[k, ch] / max(std, _EPS_STD), MIN_GAIN, MAX_GAIN))
            if k < levels:
                level *= gain
            else:  # the residual keeps its mean
                pyr[k] = (level - mean) * gain + mean
        plane = _collapse(pyr)
        lab[..., ch] = plane[pad : pad + h, pad : pad + w] if pad else plane
    return _lab_to_rgb_inplace(lab)


def rgb_moments(rgb: np.ndarray, weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(3,)`` and covariance ``(3, 3)`` (float64, [0, 1] units) of ``rgb``'s colours,
    float32 ``(H, W, 3)`` clipped to [0, 1], weighted by ``weight`` ``(H, W)`` when given
    (None or all zero: every pixel alike). Above :data:`MOMENT_PIXELS` pixels they are
    estimated from a regular grid of about that many."""
    step = grid_step(rgb.shape[0], rgb.shape[1], MOMENT_PIXELS)
    x = np.clip(np.asarray(rgb[::step, ::step], np.float32), 0.0, 1.0)
    x = x.reshape(-1, 3).astype(np.float64)
    wv = None if weight is None else np.asarray(weight[::step, ::step], np.float64).reshape(-1)
    if wv is None or wv.sum() <= 0:
        return x.mean(axis=0), np.cov(x.T, bias=True)
    mean = (wv[:, None] * x).sum(axis=0) / wv.sum()
    d = x - mean
    return mean, (wv[:, None] * d).T @ d / wv.sum()


def _sym_power(c: np.ndarray, p: float) -> np.ndarray:
    vals, vecs = np.linalg.eigh(c)
    return (vecs * np.clip(vals, 1e-12, None) ** p) @ vecs.T


def linear_colour_map(
    src_mean: np.ndarray, src_cov: np.ndarray, dst_mean: np.ndarray, dst_cov: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The Monge-Kantorovitch linear colour map (Pitié & Kokaram 2007) from a colour
    distribution ``(src_mean (3,), src_cov (3, 3))`` to ``(dst_mean, dst_cov)``: returns
    ``(T (3, 3), offset (3,))`` with ``y = x @ T.T + offset``. ``T``'s eigenvalues are capped at
    :data:`MAX_GAIN` (a nearly flat source is not amplified without bound)."""
    cx = np.asarray(src_cov, np.float64) + _EPS_COV * np.eye(3)
    cy = np.asarray(dst_cov, np.float64)
    half = _sym_power(cx, 0.5)
    inv_half = _sym_power(cx, -0.5)
    t = inv_half @ _sym_power(half @ cy @ half, 0.5) @ inv_half
    t = (t + t.T) / 2
    vals, vecs = np.linalg.eigh(t)
    t = (vecs * np.clip(vals, 0.0, MAX_GAIN)) @ vecs.T
    return t, np.asarray(dst_mean, np.float64) - np.asarray(src_mean, np.float64) @ t.T


def linear_colour_transfer(
    rgb: np.ndarray, mean: np.ndarray, cov: np.ndarray, weight: np.ndarray | None = None
) -> np.ndarray:
    """Map ``rgb`` (float32 ``(H, W, 3)`` in [0, 1]) so its colour mean and covariance (taken
    where ``weight > 0``) become ``mean`` ``(3,)`` and ``cov`` ``(3, 3)``
    (:func:`linear_colour_map`); returns float32 ``(H, W, 3)`` clipped to [0, 1]."""
    return _apply_colour_map(rgb, np.empty(rgb.shape, np.float32), mean, cov, weight)


def _apply_colour_map(
    rgb: np.ndarray, out: np.ndarray, mean: np.ndarray, cov: np.ndarray, weight: np.ndarray | None
) -> np.ndarray:
    """:func:`linear_colour_transfer` of ``rgb`` written into ``out`` (may be ``rgb``
    itself), in row bands."""
    src_mean, src_cov = rgb_moments(rgb, weight)
    t, offset = linear_colour_map(src_mean, src_cov, mean, cov)
    tt, off = t.T.astype(np.float32), offset.astype(np.float32)
    for r in range(0, rgb.shape[0], CONVERT_ROWS):
        x = np.clip(np.asarray(rgb[r : r + CONVERT_ROWS], np.float32), 0.0, 1.0)
        np.clip(x @ tt + off, 0.0, 1.0, out=out[r : r + CONVERT_ROWS])
    return out


def exemplar_statistics(rgb: np.ndarray) -> ExemplarStatistics:
    """The statistics of a style exemplar (float32 ``(H, W, 3)`` sRGB in [0, 1], at the scale
    the style is meant; texpaint: long side ``StyleTrainConfig.style_px``) that
    :func:`statistics_transfer` moves images to."""
    bands = band_std(rgb)
    mean, cov = rgb_moments(rgb)
    cov = (cov + cov.T) / 2
    return ExemplarStatistics(
        band_std=tuple(_triple(row) for row in bands),
        rgb_mean=_triple(mean),
        rgb_cov=(_triple(cov[0]), _triple(cov[1]), _triple(cov[2])),
    )


def _triple(values: np.ndarray) -> tuple[float, float, float]:
    """The first three entries of a 1-D array as Python floats."""
    return (float(values[0]), float(values[1]), float(values[2]))


def statistics_transfer(
    rgb: np.ndarray,
    target: ExemplarStatistics,
    weight: np.ndarray | None = None,
    wrap: bool = False,
) -> np.ndarray:
    """Band energy matching, then the linear colour transfer (see the module doc).

    Args:
        rgb: float32 ``(H, W, 3)`` sRGB in [0, 1] (clipped).
        target: the exemplar's :class:`ExemplarStatistics`.
        weight: optional float32 ``(H, W)`` >= 0: where ``rgb``'s own statistics are taken
            (e.g. the soft mask of the area being stylised).
        wrap: treat the image as a torus (tileable).

    Returns:
        float32 ``(H, W, 3)`` in [0, 1].
    """
    banded = match_bands(rgb, np.array(target.band_std), weight, wrap)
    return _apply_colour_map(
        banded, banded, np.array(target.rgb_mean), np.array(target.rgb_cov), weight
    )
