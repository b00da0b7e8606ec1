"""The inpainting generator's texture hint for its trainer (``training.inpaint_trainer``).

Inference no longer uses it: Inpaint fills with the patch-based core
(:mod:`texpaint.synthesis.completion`), and the generator refines that fill only when the job
asks (param ``refine``; an ablation shows it adds nothing measurable today).

A hole is covered with blocks of the image's own known texture by masked block matching
(image quilting, Efros & Freeman 2001, in priority order as Criminisi et al. 2004; see
:mod:`texpaint.imaging.quilting`), planned at a working scale where the hole's inscribed
radius is about :data:`TARGET_HOLE_RADIUS_PX` and replayed at full resolution. Its low
frequencies come from a smooth push-pull fill of the surroundings (cf. Poisson blending,
Pérez et al. 2003) so the colour meets the hole's edge. The generator
(:mod:`texpaint.models.arch.ffc_inpaint`) got the result as its ``hint`` input at inference
before issue 25; training (``training.inpaint_trainer``) still samples it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np
import torch

from texpaint.imaging.quilting import default_block_px, hole_radius_px, plan_quilt, render_quilt
from texpaint.models.arch.ffc_inpaint import push_pull_fill

__all__ = [
    "LOWFREQ_SIGMA_BLOCKS",
    "QUILT_REFINE_MAX_PX",
    "TARGET_HOLE_RADIUS_PX",
    "gaussian_lowpass",
    "texture_hint",
    "working_scale",
]

TARGET_HOLE_RADIUS_PX = 24
"""Largest inscribed hole radius (pixels) at the coarse working resolution."""

MIN_WORKING_PX = 64
"""The working image keeps at least this many pixels on its longer side."""


def working_scale(hole: np.ndarray) -> tuple[float, float]:
    """Working scale for a hole: ``(s, radius)``.

    Args:
        hole: ``(h, w)`` array, nonzero inside the hole.

    Returns:
        ``s`` in (0, 1]: the factor that brings the hole's largest inscribed radius to about
        :data:`TARGET_HOLE_RADIUS_PX` (1 for smaller holes), at least
        ``MIN_WORKING_PX / max(h, w)``; ``radius``: that inscribed radius in pixels.
    """
    radius = hole_radius_px(hole)
    s = min(1.0, TARGET_HOLE_RADIUS_PX / max(radius, 1.0))
    return max(s, MIN_WORKING_PX / max(hole.shape[:2])), radius


QUILT_REFINE_MAX_PX = 6
"""Largest local offset search (full-resolution pixels) when replaying the quilt plan."""

LOWFREQ_SIGMA_BLOCKS = 1.0
"""Gaussian sigma, in quilt blocks, below which the texture hint takes the smooth fill's
colour (measured on 8 val images: SWD 0.0147 → 0.0143, PSNR +0.07 dB over medium+large)."""


def texture_hint(
    img: torch.Tensor,
    hole: torch.Tensor,
    s: float,
    radius: float,
    wrap: bool,
    seed: int,
    abort: Callable[[], bool] | None = None,
) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The generator's texture hint: the hole quilted with blocks of the known texture,
    planned at working scale ``s`` and copied at full resolution, low frequencies from a
    push-pull fill.

    Args:
        img: float32 ``(1, 3, h, w)`` in [0, 1] (CPU).
        hole: float32 ``(1, 1, h, w)`` in {0, 1}.
        s, radius: from :func:`working_scale` of the hole.
        wrap: the image is a torus (seamless mode): blocks and matching wrap around.
        seed: seeds the random pick among near-best blocks (same seed, same hint).
        abort: polled by the block search; True stops it (the caller then raises its own
            cancellation).

    Returns:
        ``(hint (1, 3, h, w) in [0, 1], hint_mask (1, 1, h, w) in {0, 1})`` float32 CPU
        tensors (hint_mask: the quilted pixels), or None when the image has no fully known
        window to copy from.
    """
    crop = np.ascontiguousarray(img[0].numpy().transpose(1, 2, 0))
    hole_np = hole[0, 0].numpy()
    h, w = hole_np.shape
    hole_b = hole_np > 0
    if s < 1.0:
        ch, cw = max(8, round(h * s)), max(8, round(w * s))
        small = cv2.resize(crop, (cw, ch), interpolation=cv2.INTER_AREA)
        small_hole = cv2.resize(hole_np, (cw, ch), interpolation=cv2.INTER_AREA) > 0
    else:
        ch, cw, small, small_hole = h, w, crop, hole_b
    block = default_block_px(radius * min(s, 1.0))
    plan = plan_quilt(small, small_hole, block, wrap=wrap, seed=seed, stop=abort)
    if not plan:
        return None
    k = (h / ch, w / cw)
    refine = min(QUILT_REFINE_MAX_PX, math.ceil(max(k)) + 1) if s < 1.0 else 0
    fill, filled = render_quilt(crop, hole_b, plan, k, wrap=wrap, refine_px=refine, stop=abort)
    # copied blocks keep their own shading: take the low frequencies (Gaussian sigma of one
    # block at full resolution) from a smooth push-pull fill of the surroundings instead,
    # so the fill's colour meets the hole's edge (cf. Pérez et al. 2003's Poisson blending)
    smooth = push_pull_fill(img, hole)[0].numpy().transpose(1, 2, 0)
    low = gaussian_lowpass(smooth - fill, LOWFREQ_SIGMA_BLOCKS * block / min(s, 1.0))
    fill = np.where(filled[..., None], fill + low, fill)
    hint = torch.from_numpy(np.ascontiguousarray(fill.clip(0, 1).transpose(2, 0, 1)))[None]
    return hint, torch.from_numpy(filled.astype(np.float32))[None, None]


def gaussian_lowpass(img: np.ndarray, sigma: float) -> np.ndarray:
    """``cv2.GaussianBlur(img, (0, 0), sigma)`` for a large ``sigma`` (px): blurred at 1/k
    resolution (area downscale, blur with ``sigma / k``, bilinear upscale; k = sigma // 8),
    so the cost does not grow with sigma (sigma 170 px on 1024²: 13 s → 0.01 s of CPU; max
    abs difference ~0.004 on a [0, 1] texture). Exact below sigma 16."""
    k = int(sigma // 8)
    if k < 2:
        return cv2.GaussianBlur(img, (0, 0), sigma)
    h, w = img.shape[:2]
    size = (max(1, round(w / k)), max(1, round(h / k)))
    small = cv2.GaussianBlur(cv2.resize(img, size, interpolation=cv2.INTER_AREA), (0, 0), sigma / k)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
