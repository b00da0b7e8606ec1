"""Blind noise estimation: how strong the noise of an image is, and how it follows the signal.

The denoiser (FFDNet, :mod:`texpaint.models.arch.ffdnet`) needs a noise-level map. This module
estimates it from the image alone:

- :func:`estimate_sigma`: one standard deviation of additive white noise, by the statistics of
  the eigenvalues of the patch covariance (Chen, Zhu & Heng, "An Efficient Statistical Method
  for Image Noise Level Estimation", ICCV 2015; the principal-component view of Liu, Tanaka &
  Okutomi, "Single-Image Noise Level Estimation for Blind Denoising", IEEE TIP 2013). Image
  structure lives in a few principal components of ``d x d`` patches; white noise adds
  ``sigma^2`` to every eigenvalue, so the eigenvalues left after the structured ones are a
  sample of ``sigma^2`` whose mean equals its median. The largest such tail gives ``sigma^2``.
- :func:`estimate_noise_level_function`: a noise-level function of intensity (NLF), the
  heteroscedastic model ``sigma^2(x) = a * x + b`` of camera noise (Foi, Trimeche, Katkovnik &
  Egiazarian, IEEE TIP 2008): patches are grouped by mean intensity, the same estimator runs per
  group and ``a, b >= 0`` are fitted by weighted least squares. The signal-dependent model is
  kept only when it fits the groups clearly better than a constant; otherwise the NLF is flat
  (plain Gaussian noise).
- :meth:`NoiseLevelFunction.noise_map`: the per-pixel map ``sqrt(a * I + b)`` with ``I`` the
  image's (lightly smoothed) grey level, so the map follows signal-dependent noise.

Units: images are float ``(H, W)`` or ``(H, W, C)`` in [0, 1]; every sigma returned or taken
here is a standard deviation in **8-bit units** (0-255 scale; ``sigma / 255`` in the image's
range), like :mod:`texpaint.training.degradations`. Pure numpy and OpenCV, no Qt, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

PATCH_PX = 7
"""Side of the square patches (pixels)."""

MAX_PATCHES = 20_000
"""Patches drawn at most per estimate (seeded random positions): bounds time and memory."""

MIN_GROUP_PATCHES = 1_500
"""Patches an intensity group needs before its own sigma counts in the NLF fit."""


def _as_float_image(image: NDArray) -> NDArray[np.float32]:
    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or img.shape[2] < 1:
        raise ValueError(f"expected an (H, W) or (H, W, C) image, got shape {np.shape(image)}")
    if img.shape[0] < PATCH_PX or img.shape[1] < PATCH_PX:
        raise ValueError(f"image of {img.shape[:2]} px is smaller than {PATCH_PX} px patches")
    if not np.isfinite(img).all():
        raise ValueError("image holds NaN or infinite values")
    if img.shape[2] > 1 and all(
        np.array_equal(img[..., 0], img[..., c]) for c in range(1, img.shape[2])
    ):
        # a grey image held as equal channels: its patch covariance has rank 1/C, and its
        # smallest eigenvalues (0) would read as "no noise"; the noise is in one channel
        img = img[..., :1]
    return img


def _patches(
    img: NDArray[np.float32], max_patches: int, seed: int
) -> tuple[NDArray[np.float32], NDArray[np.float64]]:
    """Vectors ``(n, d * d * C)`` of up to ``max_patches`` patches and their mean intensity."""
    h, w, c = img.shape
    d = PATCH_PX
    ny, nx = h - d + 1, w - d + 1
    total = ny * nx
    if total <= max_patches:
        idx = np.arange(total)
    else:
        idx = np.random.default_rng(seed).choice(total, size=max_patches, replace=False)
    ys, xs = np.divmod(idx, nx)
    win = np.lib.stride_tricks.sliding_window_view(img, (d, d), axis=(0, 1))  # (ny, nx, C, d, d)
    vecs = win[ys, xs].reshape(len(idx), c * d * d).astype(np.float32)
    return vecs, vecs.mean(axis=1, dtype=np.float64)


def _scatter(vecs: NDArray[np.float32]) -> tuple[int, NDArray[np.float64], NDArray[np.float64]]:
    """Count, mean ``(d,)`` and scatter matrix ``(d, d)`` (sum of outer products of the
    centred rows) of ``vecs`` ``(n, d)``; float64 results of a float32 product."""
    mean = vecs.mean(axis=0, dtype=np.float64)
    centred = vecs - mean.astype(np.float32)
    return len(vecs), mean, (centred.T @ centred).astype(np.float64)


def _sigma_from_covariance(cov: NDArray[np.float64]) -> float:
    """Chen et al. (2015): sqrt of the mean of the largest tail of the eigenvalues of the
    patch covariance ``cov`` whose mean equals its median; [0, 1] units."""
    eig = np.sort(np.clip(np.linalg.eigvalsh(cov), 0.0, None))[::-1]  # descending
    for i in range(len(eig)):
        tail = eig[i:]
        tau = float(tail.mean())
        if np.count_nonzero(tail > tau) >= np.count_nonzero(tail < tau):
            return float(np.sqrt(tau))
    return float(np.sqrt(eig[-1]))


def _sigma_from_patches(vecs: NDArray[np.float32]) -> float:
    """:func:`_sigma_from_covariance` of the patch vectors ``vecs`` ``(n, d)``."""
    n, _, scatter = _scatter(vecs)
    return _sigma_from_covariance(scatter / max(1, n - 1))


def estimate_sigma(image: NDArray, max_patches: int = MAX_PATCHES, seed: int = 0) -> float:
    """Standard deviation of additive white noise in ``image``, blind (Chen et al., ICCV 2015).

    Args:
        image: float ``(H, W)`` or ``(H, W, C)`` in [0, 1], at least 7 x 7 px.
        max_patches: at most this many 7 x 7 patches are used (random, seeded positions).
        seed: seed of those positions (same image and seed: same answer).

    Returns:
        sigma in 8-bit units (0-255 scale), >= 0. An 8-bit clean image gives about 0.3-1
        (quantisation and fine texture), Gaussian noise of sigma 15-50 is found within a few
        percent on textures (``tests/test_noise_estimation.py``).

    Raises:
        ValueError: wrong shape, smaller than a patch, or non-finite values.
    """
    vecs, means = _patches(_as_float_image(image), max_patches, seed)
    return _unclipped_sigma(vecs, means) * 255.0


def _unclipped_sigma(
    vecs: NDArray[np.float32], means: NDArray[np.float64], sigma: float | None = None
) -> float:
    """:func:`_sigma_from_patches` (or the given ``sigma`` of all of ``vecs``), re-estimated
    without the patches whose mean lies within 2 sigma of 0 or 1 (clipping there shrinks the
    noise) when at least a quarter remain."""
    if sigma is None:
        sigma = _sigma_from_patches(vecs)
    keep = (means > 2 * sigma) & (means < 1 - 2 * sigma)
    if not keep.all() and np.count_nonzero(keep) >= max(len(vecs) // 4, 4 * vecs.shape[1]):
        sigma = _sigma_from_patches(vecs[keep])
    return sigma


@dataclass(frozen=True)
class NoiseLevelFunction:
    """Noise level as a function of intensity: ``sigma(x)^2 = a * x + b``.

    Attributes:
        a: signal-dependent (Poisson / shot-noise) gain, variance per unit of intensity, in
            [0, 1] units (0 for plain Gaussian noise).
        b: signal-independent variance in [0, 1] units (``sqrt(b) * 255`` is the sigma in
            8-bit units at black).
        global_sigma: the single sigma of :func:`estimate_sigma` (8-bit units).
        groups: ``(mean intensity, sigma in 8-bit units, patches)`` of each intensity group
            that entered the fit (empty for a flat NLF fitted from too few patches).
    """

    a: float
    b: float
    global_sigma: float
    groups: tuple[tuple[float, float, int], ...] = ()

    @property
    def signal_dependent(self) -> bool:
        """True when the noise grows with intensity (``a > 0``)."""
        return self.a > 0.0

    def sigma_at(self, intensity: NDArray | float) -> NDArray[np.float32]:
        """sigma (8-bit units) at ``intensity`` in [0, 1] (any shape; clipped to [0, 1])."""
        x = np.clip(np.asarray(intensity, dtype=np.float32), 0.0, 1.0)
        return np.sqrt(np.float32(self.a) * x + np.float32(self.b)) * np.float32(255.0)

    def noise_map(self, image: NDArray, smooth_px: float = 2.0) -> NDArray[np.float32]:
        """Per-pixel noise level of ``image``: float32 ``(H, W)``, sigma in 8-bit units.

        Flat NLF: a constant map. Signal-dependent: ``sigma_at`` of the grey level (mean over
        channels) smoothed by a Gaussian of ``smooth_px`` pixels, so the map follows the
        signal, not the noise.

        Raises:
            ValueError: ``image`` is not ``(H, W)`` or ``(H, W, C)``.
        """
        img = np.asarray(image, dtype=np.float32)
        if img.ndim not in (2, 3):
            raise ValueError(f"expected an (H, W) or (H, W, C) image, got shape {img.shape}")
        h, w = img.shape[:2]
        if not self.signal_dependent:
            return np.full((h, w), self.sigma_at(0.0), np.float32)
        grey = img.mean(axis=2) if img.ndim == 3 else img
        grey = cv2.GaussianBlur(np.ascontiguousarray(grey, np.float32), (0, 0), smooth_px)
        return self.sigma_at(grey)

    def describe(self) -> str:
        """Short text for the UI and CLI, e.g. ``"sigma 14.8"`` or ``"sigma 6.1-21.3
        (grows with brightness)"`` (8-bit units)."""
        if not self.signal_dependent:
            return f"sigma {float(self.sigma_at(0.0)):.1f}"
        lo, hi = (float(s) for s in self.sigma_at(np.array([0.05, 0.95])))
        return f"sigma {lo:.1f}-{hi:.1f} (grows with brightness)"


def estimate_noise_level_function(
    image: NDArray,
    groups: int = 8,
    max_patches: int = MAX_PATCHES,
    seed: int = 0,
    min_gain: float = 1.5,
) -> NoiseLevelFunction:
    """Blind noise-level function ``sigma^2(x) = a * x + b`` of ``image`` (see the module doc).

    Patches are split into ``groups`` equally populated groups by their mean intensity; each
    group with at least :data:`MIN_GROUP_PATCHES` patches gets its own sigma (Chen et al.
    2015). Groups whose mean lies within 2 sigma of 0 or 1 are left out (clipping there
    shrinks the noise). ``a, b >= 0`` are fitted to the groups' variances by least squares
    weighted by patch count. The fit is kept only when it is clearly signal-dependent: the
    fitted variance at the brightest group is at least ``min_gain`` times that at the darkest
    and the fit's weighted squared error is under half of a constant's. Otherwise the NLF is
    flat at the global sigma (:func:`estimate_sigma`).

    Args:
        image: float ``(H, W)`` or ``(H, W, C)`` in [0, 1], at least 7 x 7 px.
        groups: intensity groups.
        max_patches: patches used in all (random, seeded positions).
        seed: seed of the positions.
        min_gain: see above.

    Returns:
        The :class:`NoiseLevelFunction`.

    Raises:
        ValueError: wrong shape, smaller than a patch, or non-finite values.
    """
    vecs, means = _patches(_as_float_image(image), max_patches, seed)
    if len(vecs) < 2 * MIN_GROUP_PATCHES:
        global_sigma = _unclipped_sigma(vecs, means)
        return NoiseLevelFunction(a=0.0, b=global_sigma**2, global_sigma=global_sigma * 255.0)
    # one scatter matrix per intensity group; the whole set's is pooled from them (within-
    # plus between-group scatter), so every patch enters one matrix product only
    parts = [p for p in np.array_split(np.argsort(means), groups) if len(p)]
    stats = [_scatter(vecs[part]) for part in parts]
    mean_all = np.sum([n * m for n, m, _ in stats], axis=0) / len(vecs)
    pooled = np.zeros((vecs.shape[1], vecs.shape[1]))
    for n, m, scatter in stats:
        pooled += scatter + n * np.outer(m - mean_all, m - mean_all)
    global_sigma = _sigma_from_covariance(pooled / (len(vecs) - 1))
    global_sigma = _unclipped_sigma(vecs, means, global_sigma)
    flat = NoiseLevelFunction(a=0.0, b=global_sigma**2, global_sigma=global_sigma * 255.0)
    found = []
    for part, (n, _, scatter) in zip(parts, stats, strict=True):
        if n < MIN_GROUP_PATCHES:
            continue
        mu = float(means[part].mean())
        s = _sigma_from_covariance(scatter / (n - 1))
        if 2 * s < mu < 1 - 2 * s:
            found.append((mu, s, n))
    if len(found) < 3:
        return flat
    x = np.array([f[0] for f in found])
    var = np.array([f[1] ** 2 for f in found])
    wts = np.array([f[2] for f in found], np.float64)
    a, b = _fit_nonnegative_line(x, var, wts)
    const = float(np.average(var, weights=wts))
    sse_line = float(np.sum(wts * (a * x + b - var) ** 2))
    sse_const = float(np.sum(wts * (const - var) ** 2))
    lo, hi = a * x.min() + b, a * x.max() + b
    groups_out = tuple((mu, s * 255.0, n) for mu, s, n in found)
    if a > 0 and hi >= min_gain * max(lo, 1e-12) and sse_line < 0.5 * sse_const:
        return NoiseLevelFunction(a=a, b=b, global_sigma=global_sigma * 255.0, groups=groups_out)
    return NoiseLevelFunction(
        a=0.0, b=global_sigma**2, global_sigma=global_sigma * 255.0, groups=groups_out
    )


def _fit_nonnegative_line(
    x: NDArray[np.float64], y: NDArray[np.float64], w: NDArray[np.float64]
) -> tuple[float, float]:
    """Weighted least-squares ``y ~ a * x + b`` with ``a, b >= 0``."""
    sw = np.sqrt(w)
    a, b = np.linalg.lstsq(np.stack([x * sw, sw], axis=1), y * sw, rcond=None)[0]
    if a >= 0 and b >= 0:
        return float(a), float(b)
    # a boundary is active: the best of b only (a = 0) and a only (b = 0)
    b0 = max(0.0, float(np.average(y, weights=w)))
    a0 = max(0.0, float(np.sum(w * x * y) / max(np.sum(w * x * x), 1e-20)))
    e_b = float(np.sum(w * (b0 - y) ** 2))
    e_a = float(np.sum(w * (a0 * x - y) ** 2))
    return (0.0, b0) if e_b <= e_a else (a0, 0.0)
