"""Tiling maths: tile grids with overlap, blending weights, and padding to size requirements.

Tiles overlap by ``overlap`` pixels and are blended with weights that ramp linearly across the
overlap (a partition of unity over the image), so the seams between tiles carry no visible
step. In wrap (seamless) mode images are padded circularly instead of by reflection.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.nn import functional as F


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets (pixels) of tiles of size ``tile`` covering ``[0, length)`` with at least
    ``overlap`` pixels shared by neighbours. The last tile ends exactly at ``length``.

    Raises:
        ValueError: ``overlap >= tile``.
    """
    if tile >= length:
        return [0]
    if overlap >= tile:
        raise ValueError(f"overlap {overlap} must be smaller than tile {tile}")
    step = tile - overlap
    n = -(-(length - tile) // step) + 1
    if n == 1:
        return [0]
    return [round(i * (length - tile) / (n - 1)) for i in range(n)]


def even_tile(length: int, tile: int, overlap: int) -> int:
    """The smallest tile edge that covers ``length`` with as many tiles as ``tile`` needs.

    ``tile_starts(2048, 1024, 32)`` needs 3 tiles of 1024 (2 cannot overlap), i.e. 1.5x the
    pixels; 3 tiles of 704 cover the same length with the same overlap. Never larger than
    ``tile`` and never smaller than ``2 * overlap + 1``.
    """
    n = len(tile_starts(length, tile, overlap))
    if n == 1:
        return min(tile, length)
    return min(tile, max(2 * overlap + 1, -(-(length + (n - 1) * overlap) // n)))


def tile_boxes(
    h: int, w: int, tile: int, overlap: int, align: int = 1
) -> Iterator[tuple[int, int, int, int]]:
    """Boxes ``(y0, y1, x0, x1)`` (half-open, pixels) of the tile grid over an h x w image.

    ``align``: every box starts at a multiple of it. The grid is planned with ``align - 1``
    more overlap and its starts moved down to the multiple, so neighbours still share at
    least ``overlap`` pixels; the last box of a row or column still ends at the image edge
    (it may be up to ``align - 1`` pixels larger than ``tile``). A network that downsamples
    by ``align`` overall (pixel-unshuffle, strided convolutions) is shift-equivariant only
    for shifts by multiples of it, so its tiles must sit on that grid for tiled and one-pass
    outputs to agree.
    """
    pad = min(align - 1, max(0, tile - overlap - 1))

    def starts(length: int) -> list[int]:
        return [s // align * align for s in tile_starts(length, tile, overlap + pad)]

    ys, xs = starts(h), starts(w)
    for i, y in enumerate(ys):
        y1 = h if i == len(ys) - 1 else min(y + tile, h)
        for j, x in enumerate(xs):
            x1 = w if j == len(xs) - 1 else min(x + tile, w)
            yield y, y1, x, x1


def ramp_weight(h: int, w: int, box: tuple[int, int, int, int], overlap: int) -> torch.Tensor:
    """Blending weight ``(1, 1, th, tw)`` of one tile: linear ramps over ``overlap`` pixels on
    every side that borders another tile, 1 elsewhere. Never exactly 0."""
    y0, y1, x0, x1 = box

    def ramp(n: int, lo_edge: bool, hi_edge: bool) -> torch.Tensor:
        r = torch.ones(n)
        k = min(overlap, n // 2)
        if k > 0:
            up = (torch.arange(k, dtype=torch.float32) + 0.5) / k
            if not lo_edge:
                r[:k] = up
            if not hi_edge:
                r[n - k :] = torch.minimum(r[n - k :], up.flip(0))
        return r

    ry = ramp(y1 - y0, y0 == 0, y1 == h)
    rx = ramp(x1 - x0, x0 == 0, x1 == w)
    return (ry[:, None] * rx[None, :])[None, None]


def pad_to_multiple(
    x: torch.Tensor, multiple: int, min_size: int, wrap: bool = False
) -> tuple[torch.Tensor, tuple[int, int]]:
    """Pad ``x`` ``(N, C, H, W)`` at the bottom/right so H and W are multiples of ``multiple``
    and at least ``min_size``. Reflect padding (circular when ``wrap``; replicate when the
    image is too small to reflect). Returns the padded tensor and the original ``(H, W)``."""
    h, w = x.shape[-2:]
    th = max(min_size, -(-h // multiple) * multiple)
    tw = max(min_size, -(-w // multiple) * multiple)
    if (th, tw) == (h, w):
        return x, (h, w)
    pad = (0, tw - w, 0, th - h)
    if wrap:
        mode = "circular"
    else:
        mode = "reflect" if (tw - w) < w and (th - h) < h else "replicate"
    return F.pad(x, pad, mode=mode), (h, w)
