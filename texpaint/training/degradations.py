"""Synthetic degradations for training (and benchmarking) the blind denoiser.

All functions take and return float32 ``(H, W, 3)`` RGB images in [0, 1] (sRGB-encoded values,
as stored in 8-bit files) and draw their randomness from a ``numpy.random.Generator``. Noise
levels ``sigma`` are standard deviations in **8-bit units** (0-255 scale), i.e. ``sigma / 255``
in the [0, 1] range of the images. Outputs are clipped to [0, 1], as a saved file would be.

- :func:`add_gaussian_noise`: additive white Gaussian noise, i.i.d. per pixel and channel
  (the AWGN model of DnCNN, Zhang et al., IEEE TIP 2017, and of BM3D's benchmarks, Dabov et
  al., IEEE TIP 2007).
- :func:`add_poisson_gaussian_noise`: signal-dependent sensor noise with variance
  ``a * x + b`` (Foi, Trimeche, Katkovnik & Egiazarian, "Practical Poissonian-Gaussian Noise
  Modeling and Fitting for Single-Image Raw-Data", IEEE TIP 2008), in its heteroscedastic
  Gaussian approximation ``y = x + sqrt(a * x + b) * n``, ``n ~ N(0, 1)``.
- :func:`jpeg_compress`: JPEG round trip through OpenCV (libjpeg, 4:2:0 chroma subsampling) at
  a given quality; the result is quantised to 8 bits.
- :func:`mosaic_demosaic_noise`: a camera's raw path: Bayer (RGGB) sampling, Poisson-Gaussian
  noise on the raw samples, bilinear demosaicking (OpenCV), so the noise is spatially correlated
  and coloured as in real photos.
- :class:`DegradationSampler`: draws one of clean / Gaussian / Poisson-Gaussian / JPEG / noise
  followed by JPEG / mild blur then noise / raw noise through demosaicking per image, with the
  parameter ranges of :class:`DegradationConfig`.
- :func:`noise_map_for`: the per-pixel noise level (8-bit units) a degradation put into an
  image, the noise-level map a non-blind denoiser (FFDNet) is trained with.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np


def quantise_8bit(img: np.ndarray) -> np.ndarray:
    """Round float32 ``(H, W, C)`` in [0, 1] to the nearest of 256 levels (stays float32)."""
    return (np.round(np.clip(img, 0.0, 1.0) * 255.0) / 255.0).astype(np.float32)


def add_gaussian_noise(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """``clip(img + N(0, (sigma / 255)^2))``, noise i.i.d. per pixel and channel.

    Args:
        img: float32 ``(H, W, C)`` in [0, 1].
        sigma: noise standard deviation in 8-bit units (0-255 scale); 0 returns a copy.
        rng: random generator.

    Raises:
        ValueError: ``sigma`` is negative.
    """
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {sigma}")
    noise = rng.standard_normal(img.shape, dtype=np.float32) * np.float32(sigma / 255.0)
    return np.clip(img + noise, 0.0, 1.0).astype(np.float32)


def add_poisson_gaussian_noise(
    img: np.ndarray, a: float, b: float, rng: np.random.Generator
) -> np.ndarray:
    """Signal-dependent noise: ``clip(x + sqrt(a * x + b) * n)``, ``n ~ N(0, 1)`` per sample.

    Args:
        img: float32 ``(H, W, C)`` in [0, 1] (``x``).
        a: Poisson (shot-noise) gain, variance per unit of signal, in [0, 1] units: the noise
            variance at ``x`` is ``a * x + b``. A sensor with full-well ``P`` photons at
            ``x = 1`` has ``a = 1 / P``.
        b: signal-independent (read-noise) variance in [0, 1] units (std ``sqrt(b) * 255`` in
            8-bit units).
        rng: random generator.

    Raises:
        ValueError: ``a`` or ``b`` is negative.
    """
    if a < 0 or b < 0:
        raise ValueError(f"a and b must be >= 0, got a={a}, b={b}")
    std = np.sqrt(np.float32(a) * np.clip(img, 0.0, 1.0) + np.float32(b))
    noise = rng.standard_normal(img.shape, dtype=np.float32) * std
    return np.clip(img + noise, 0.0, 1.0).astype(np.float32)


def jpeg_compress(img: np.ndarray, quality: int) -> np.ndarray:
    """JPEG-encode and decode ``img`` with OpenCV at ``quality`` (1-100, 4:2:0 chroma).

    Args:
        img: float32 ``(H, W, 3)`` RGB in [0, 1]; quantised to 8 bits before encoding.
        quality: JPEG quality factor, 1 (worst) to 100.

    Returns:
        float32 ``(H, W, 3)`` RGB in [0, 1] with 8-bit levels.

    Raises:
        ValueError: ``quality`` outside 1-100, or OpenCV failed to encode.
    """
    if not 1 <= int(quality) <= 100:
        raise ValueError(f"JPEG quality must be 1-100, got {quality}")
    bgr = np.round(np.clip(img[..., ::-1], 0.0, 1.0) * 255.0).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("OpenCV could not encode the image as JPEG")
    dec = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return (dec[..., ::-1].astype(np.float32) / 255.0).copy()


def mosaic_demosaic_noise(
    img: np.ndarray, a: float, b: float, rng: np.random.Generator
) -> np.ndarray:
    """Raw-domain camera noise: sample ``img`` on an RGGB Bayer pattern, add Poisson-Gaussian
    noise of variance ``a * x + b`` to the raw samples, demosaic bilinearly (OpenCV
    ``COLOR_BayerRG2RGB`` on 16-bit raw values) and clip.

    Args:
        img: float32 ``(H, W, 3)`` RGB in [0, 1]; ``H`` and ``W`` even.
        a, b: as :func:`add_poisson_gaussian_noise` ([0, 1] units).
        rng: random generator.

    Returns:
        float32 ``(H, W, 3)`` in [0, 1] (demosaicking artefacts at edges even when a = b = 0).

    Raises:
        ValueError: odd size or negative ``a`` / ``b``.
    """
    h, w = img.shape[:2]
    if h % 2 or w % 2:
        raise ValueError(f"the Bayer pattern needs an even size, got {h} x {w}")
    if a < 0 or b < 0:
        raise ValueError(f"a and b must be >= 0, got a={a}, b={b}")
    raw = np.empty((h, w), np.float32)
    raw[0::2, 0::2] = img[0::2, 0::2, 0]  # R
    raw[0::2, 1::2] = img[0::2, 1::2, 1]  # G
    raw[1::2, 0::2] = img[1::2, 0::2, 1]  # G
    raw[1::2, 1::2] = img[1::2, 1::2, 2]  # B
    std = np.sqrt(np.float32(a) * np.clip(raw, 0.0, 1.0) + np.float32(b))
    raw = np.clip(raw + rng.standard_normal(raw.shape, dtype=np.float32) * std, 0.0, 1.0)
    # reflect by 2 px keeps the Bayer phase; OpenCV would copy its 1 px border from inside
    raw16 = np.round(np.pad(raw, 2, mode="reflect") * 65535.0).astype(np.uint16)
    # OpenCV names Bayer patterns by the second row's first two samples: RGGB is "BayerBG"
    rgb = cv2.cvtColor(raw16, cv2.COLOR_BayerBG2RGB)[2:-2, 2:-2]
    return (rgb.astype(np.float32) / 65535.0).clip(0.0, 1.0)


DEGRADATION_KINDS = (
    "clean",
    "gaussian",
    "poisson_gaussian",
    "jpeg",
    "noise_jpeg",
    "blur_noise",
    "demosaic",
)


@dataclass(frozen=True)
class DegradationConfig:
    """Mixture of degradations drawn by :class:`DegradationSampler`.

    Attributes:
        weights: relative probability of each of :data:`DEGRADATION_KINDS` (clean, Gaussian,
            Poisson-Gaussian, JPEG, Gaussian or Poisson-Gaussian noise followed by JPEG, mild
            Gaussian blur followed by Gaussian or Poisson-Gaussian noise, raw Poisson-Gaussian
            noise through Bayer demosaicking). ``clean`` samples teach the network to leave
            noise-free input alone. Five weights (the kinds before ``blur_noise``) are
            accepted too; the missing ones are 0.
        sigma_max: Gaussian sigma is drawn uniformly in ``[0, sigma_max]`` (8-bit units).
        pg_a_range: Poisson gain ``a`` drawn log-uniformly in this range ([0, 1] units; at
            ``x = 1``, ``a = 4e-4`` gives a std of 5.1 and ``a = 2e-2`` of 36 in 8-bit units).
        pg_read_sigma_max: read-noise std ``sqrt(b)`` uniform in ``[0, this]`` (8-bit units).
        jpeg_quality: JPEG quality drawn uniformly (integers, inclusive).
        quantise_prob: probability that a noisy (non-JPEG) result is rounded to 8 bits, as
            when it was saved to an 8-bit file.
        blur_sigma: ``blur_noise`` blurs with a Gaussian of std uniform in this range (px).
    """

    weights: tuple[float, ...] = (0.25, 0.33, 0.17, 0.1, 0.15, 0.0, 0.0)
    sigma_max: float = 50.0
    pg_a_range: tuple[float, float] = (4e-4, 2e-2)
    pg_read_sigma_max: float = 10.0
    jpeg_quality: tuple[int, int] = (10, 95)
    quantise_prob: float = 0.5
    blur_sigma: tuple[float, float] = (0.3, 1.0)

    def __post_init__(self) -> None:
        w = tuple(float(x) for x in self.weights)
        if len(w) == 5:
            w = (*w, 0.0, 0.0)
        object.__setattr__(self, "weights", w)

    def to_dict(self) -> dict:
        """JSON-ready dict (for the model card)."""
        d = asdict(self)
        d["weights"] = dict(zip(DEGRADATION_KINDS, self.weights, strict=True))
        return d


class DegradationSampler:
    """Draws a random degradation per image (see :class:`DegradationConfig`).

    Args:
        config: the mixture.
        seed: RNG seed (or pass ``rng``).
        rng: an existing generator (takes precedence over ``seed``).

    Raises:
        ValueError: ``config.weights`` does not have one non-negative weight per kind.
    """

    def __init__(
        self,
        config: DegradationConfig | None = None,
        seed: int = 0,
        rng: np.random.Generator | None = None,
    ) -> None:
        self.config = config or DegradationConfig()
        w = np.asarray(self.config.weights, np.float64)
        if w.shape != (len(DEGRADATION_KINDS),) or (w < 0).any() or w.sum() <= 0:
            raise ValueError(f"need {len(DEGRADATION_KINDS)} non-negative weights, got {w}")
        self.probs = w / w.sum()
        self.rng = rng if rng is not None else np.random.default_rng(seed)

    def _noise(self, img: np.ndarray, kind: str) -> tuple[np.ndarray, dict]:
        cfg, rng = self.config, self.rng
        if kind == "gaussian":
            sigma = float(rng.uniform(0.0, cfg.sigma_max))
            return add_gaussian_noise(img, sigma, rng), {"sigma": sigma}
        lo, hi = np.log(cfg.pg_a_range[0]), np.log(cfg.pg_a_range[1])
        a = float(np.exp(rng.uniform(lo, hi)))
        b = float((rng.uniform(0.0, cfg.pg_read_sigma_max) / 255.0) ** 2)
        return add_poisson_gaussian_noise(img, a, b, rng), {"a": a, "b": b}

    def degrade(self, img: np.ndarray, kind: str | None = None) -> tuple[np.ndarray, dict]:
        """Degrade float32 ``(H, W, 3)`` ``img`` in [0, 1].

        Args:
            img: clean image.
            kind: one of :data:`DEGRADATION_KINDS`, or None to draw one.

        Returns:
            ``(degraded float32 (H, W, 3) in [0, 1], params)`` where ``params`` has ``kind``
            and the drawn parameters (``sigma`` in 8-bit units, ``a``/``b`` in [0, 1] units,
            ``quality``).

        Raises:
            ValueError: unknown ``kind``.
        """
        cfg, rng = self.config, self.rng
        if kind is None:
            kind = DEGRADATION_KINDS[int(rng.choice(len(DEGRADATION_KINDS), p=self.probs))]
        if kind not in DEGRADATION_KINDS:
            raise ValueError(f"unknown degradation {kind!r}; one of {DEGRADATION_KINDS}")
        params: dict = {"kind": kind}
        out = img.astype(np.float32, copy=True)
        if kind == "clean":
            return out, params
        if kind in ("gaussian", "poisson_gaussian"):
            out, p = self._noise(out, kind)
            params.update(p)
            if rng.random() < cfg.quantise_prob:
                out = quantise_8bit(out)
            return out, params
        if kind == "blur_noise":
            blur = float(rng.uniform(*cfg.blur_sigma))
            out = cv2.GaussianBlur(out, (0, 0), blur, borderType=cv2.BORDER_REFLECT)
            out, p = self._noise(out, "gaussian" if rng.random() < 0.5 else "poisson_gaussian")
            params.update(p, blur=blur)
            if rng.random() < cfg.quantise_prob:
                out = quantise_8bit(out)
            return out, params
        if kind == "demosaic":
            lo, hi = np.log(cfg.pg_a_range[0]), np.log(cfg.pg_a_range[1])
            a = float(np.exp(rng.uniform(lo, hi)))
            b = float((rng.uniform(0.0, cfg.pg_read_sigma_max) / 255.0) ** 2)
            params.update(a=a, b=b)
            return quantise_8bit(mosaic_demosaic_noise(out, a, b, rng)), params
        if kind == "noise_jpeg":
            # noise first, then compression, as a camera or an editor would save it
            out, p = self._noise(out, "gaussian" if rng.random() < 0.5 else "poisson_gaussian")
            params.update(p)
        quality = int(rng.integers(cfg.jpeg_quality[0], cfg.jpeg_quality[1] + 1))
        params["quality"] = quality
        return jpeg_compress(out, quality), params

    def batch(self, clean: np.ndarray) -> np.ndarray:
        """Degrade every image of a float32 ``(N, 3, H, W)`` batch; returns the same layout."""
        return np.stack([self.degrade(c.transpose(1, 2, 0))[0].transpose(2, 0, 1) for c in clean])

    def batch_with_maps(self, clean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Degrade a float32 ``(N, 3, H, W)`` batch and return ``(degraded (N, 3, H, W),
        noise maps (N, 1, H, W))``, the maps from :func:`noise_map_for` in 8-bit units."""
        noisy, maps = [], []
        for c in clean:
            img = c.transpose(1, 2, 0)
            out, params = self.degrade(img)
            noisy.append(out.transpose(2, 0, 1))
            maps.append(noise_map_for(img, params)[None])
        return np.stack(noisy), np.stack(maps)


def noise_map_for(clean: np.ndarray, params: dict, smooth_px: float = 2.0) -> np.ndarray:
    """The noise level a degradation added, per pixel: float32 ``(H, W)``, 8-bit units.

    ``sigma`` for Gaussian noise; ``sqrt(a * x + b) * 255`` for Poisson-Gaussian noise (also
    in ``noise_jpeg``, ``blur_noise`` and ``demosaic``), with ``x`` the clean grey level
    smoothed by a Gaussian of ``smooth_px`` px (as
    :meth:`texpaint.imaging.noise_estimation.NoiseLevelFunction.noise_map` does); 0 for clean
    and JPEG-only images.

    Args:
        clean: float32 ``(H, W, 3)`` in [0, 1], the image before degradation.
        params: the ``params`` returned by :meth:`DegradationSampler.degrade`.
    """
    h, w = clean.shape[:2]
    if "sigma" in params:
        return np.full((h, w), params["sigma"], np.float32)
    if "a" in params:
        grey = cv2.GaussianBlur(np.ascontiguousarray(clean.mean(axis=2)), (0, 0), smooth_px)
        var = params["a"] * np.clip(grey, 0.0, 1.0) + params["b"]
        return (np.sqrt(var) * 255.0).astype(np.float32)
    return np.zeros((h, w), np.float32)
