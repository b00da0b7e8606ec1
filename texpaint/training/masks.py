"""Random hole masks for inpainting training and evaluation.

Kinds (as in LaMa's training masks, Suvorov et al. 2022): thick and thin brush strokes
(random walks drawn with round caps), axis-aligned boxes, and large irregular blobs
(thresholded smoothed noise). Every mask covers between ``min_cover`` and ``max_cover`` of
the area (default 5-50%).

All masks are float32 ``(H, W)`` with values in {0, 1}, 1 = hole.
"""

from __future__ import annotations

import cv2
import numpy as np

MASK_KINDS = ("thick_strokes", "thin_strokes", "boxes", "blobs")


def _strokes(rng: np.random.Generator, h: int, w: int, width_range: tuple[float, float]):
    m = np.zeros((h, w), np.uint8)
    s = min(h, w)
    for _ in range(rng.integers(1, 5)):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        width = max(1, int(rng.uniform(*width_range) * s))
        angle = rng.uniform(0, 2 * np.pi)
        for _ in range(rng.integers(2, 8)):
            angle += rng.normal(0, 0.8)
            length = rng.uniform(0.1, 0.4) * s
            nx, ny = x + length * np.cos(angle), y + length * np.sin(angle)
            cv2.line(m, (int(x), int(y)), (int(nx), int(ny)), 1, width, cv2.LINE_8)
            cv2.circle(m, (int(nx), int(ny)), width // 2, 1, -1)
            x, y = np.clip(nx, 0, w - 1), np.clip(ny, 0, h - 1)
    return m


def _boxes(rng: np.random.Generator, h: int, w: int):
    m = np.zeros((h, w), np.uint8)
    for _ in range(rng.integers(1, 4)):
        bh, bw = int(rng.uniform(0.1, 0.6) * h), int(rng.uniform(0.1, 0.6) * w)
        y, x = rng.integers(0, h - bh + 1), rng.integers(0, w - bw + 1)
        m[y : y + bh, x : x + bw] = 1
    return m


def _blobs(rng: np.random.Generator, h: int, w: int):
    noise = rng.standard_normal((h, w)).astype(np.float32)
    sigma = rng.uniform(0.04, 0.12) * min(h, w)
    smooth = cv2.GaussianBlur(noise, (0, 0), sigma)
    smooth = (smooth - smooth.mean()) / (smooth.std() + 1e-8)
    return (smooth > rng.uniform(0.3, 1.2)).astype(np.uint8)


def random_mask(
    rng: np.random.Generator,
    h: int,
    w: int,
    kind: str | None = None,
    min_cover: float = 0.05,
    max_cover: float = 0.5,
) -> np.ndarray:
    """One random hole mask, float32 ``(h, w)`` in {0, 1}, covering ``min_cover..max_cover``.

    Args:
        rng: numpy random generator (seed it for reproducible masks).
        h, w: size in pixels.
        kind: one of ``MASK_KINDS`` or None for a uniformly random kind.
        min_cover, max_cover: allowed hole fraction of the area.

    Raises:
        ValueError: unknown ``kind``.
    """
    if kind is None:
        kind = MASK_KINDS[rng.integers(len(MASK_KINDS))]
    if kind not in MASK_KINDS:
        raise ValueError(f"unknown mask kind {kind!r}; expected one of {MASK_KINDS}")
    for _ in range(50):
        if kind == "thick_strokes":
            m = _strokes(rng, h, w, (0.06, 0.16))
        elif kind == "thin_strokes":
            m = _strokes(rng, h, w, (0.015, 0.05))
        elif kind == "boxes":
            m = _boxes(rng, h, w)
        else:
            m = _blobs(rng, h, w)
        cover = m.mean()
        if min_cover <= cover <= max_cover:
            return m.astype(np.float32)
    # fall back to a centred box of the mid coverage so callers always get a valid mask
    m = np.zeros((h, w), np.float32)
    side = np.sqrt((min_cover + max_cover) / 2)
    bh, bw = int(h * side), int(w * side)
    m[(h - bh) // 2 : (h - bh) // 2 + bh, (w - bw) // 2 : (w - bw) // 2 + bw] = 1
    return m
