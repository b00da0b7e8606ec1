"""Inpaint and Make Seamless over a whole material set: one fill decision, every map.

Removing a crack from the albedo alone leaves it in the normal and height maps. Here the
fill is decided once, on a *guide* (the albedo, optionally with the height and the normal
map's x/y as extra weighted channels), as a per-pixel source map
(:mod:`texpaint.synthesis.source_map`), and the same source positions are copied into every
map, so features stay aligned across maps:

1. Decide, by the texture (``method="auto"``, :func:`choose_method`): a structured
   albedo (its dominant patch offsets, He & Sun 2012, gather many patches: bricks, tiles,
   planks) is filled by the structure-aware synthesis core that fills single images
   (:func:`texpaint.synthesis.completion.complete`: PatchMatch with those offsets;
   multi-scale completion, Wexler et al. 2007; patch-copy composition), run on the guide
   over the hole's box plus context (:func:`plan_source_core`), which returns, besides its
   fill, the known pixel every hole pixel was copied from. A stochastic one (rock, gravel,
   noise) by block quilting (Efros & Freeman 2001), replayed at full resolution with hard
   cuts (:func:`plan_source_map`), its blocks matched with an energy-normalised SSD
   (:data:`QUILT_COST`: plain SSD prefers sources with few features, so fills of sparse
   specks and chips held fewer of them than the texture): the core's multi-scale fill
   averages sparse features away there, so the filled albedo and relief agree less than
   the untouched ones, while quilted blocks keep the texture's features and their alignment.
2. Apply the source map to every map (and its alpha) with the soft mask, on the hole's
   pixels (:func:`~texpaint.synthesis.source_map.blend_pixels`). Data maps (roughness,
   metallic, AO, specular; height after the core) are copied as they are: every filled pixel
   is bit-identical to its source pixel, no colour transfer; a quilted height map is levelled
   across the seams like the normal map (:data:`SEAM_LEVELLED_ROLES`). Normal maps are
   copied, levelled across the fill's
   seams (each piece of one offset gets one constant tilt, a least-squares fit to the steps
   across its seams, plus a smooth membrane from the hole's edge, then a few
   conjugate-gradient steps of the per-pixel Poisson problem where a seam's step varies
   along it, :func:`_seam_offsets`, :func:`_edge_membrane`, :func:`_relax_seams`: pieces
   copied from elsewhere carry their own regional tilt, which showed as facets of their own
   hue and a crease at the hole's edge), then renormalised
   wherever the mask is not 0 (soft edges blend normals). Colour maps copied by quilting are
   levelled the same way (shading), without the per-pixel step (:data:`SEAM_RELAX_KINDS`).
   The per-pixel step works within :data:`SEAM_RELAX_BAND_PX` of the seams, and every map's
   work touches the hole's pixels only. After the core, the albedo takes the core's
   own fill of its channels: the same copy plus the core's smooth corrections (the seam
   membrane at the hole's edge and the vote's local mean), which change shading, never move
   a feature; other colour maps (emission, and the albedo after quilting) get a
   low-frequency correction (push-pull fill's low frequencies). No learned stage runs: the
   shipped inpainting generator adds nothing measurable over the patch fill
   (``docs/architecture.md``), and a learned refinement could only ever touch colour maps.

Pixels where the mask is 0 are bit-identical in every map.

Make Seamless of a set rolls every map by half its size, fills the cross-shaped band over
the wrap seams (:func:`texpaint.engine.seamless.seam_band_mask`) the same way with wrap-around
sources, and rolls back.

Arrays: maps float32 ``(H, W, 3)`` in [0, 1] (integer sources); alpha float32 ``(H, W)`` or
None; mask float32 ``(H, W)`` in [0, 1], 1 = fill.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from texpaint.jobs import JobCancelled, JobError

if TYPE_CHECKING:
    from texpaint.synthesis.completion import CompletionSettings
    from texpaint.synthesis.offsets import OffsetStats

__all__ = [
    "DEFAULT_GUIDE_WEIGHTS",
    "QUILT_GUIDE_WEIGHTS",
    "choose_method",
    "MAP_KINDS",
    "MapPixels",
    "SetFill",
    "fill_material",
    "plan_source_map",
    "seamless_material",
]

MAP_KINDS: tuple[str, ...] = ("colour", "data", "normal")
"""How a map is treated: ``"colour"`` (sRGB albedo/emission: low-frequency correction),
``"data"`` (copied as is), ``"normal"`` (copied, then renormalised)."""

QUILT_REFINE_MAX_PX = 6
"""Largest local offset search (full-resolution pixels) when rendering the source map."""

CONTEXT_MARGIN_PX = 48
"""Smallest context margin (pixels) kept around the hole's box when planning."""

DEFAULT_GUIDE_WEIGHTS: dict[str, float] = {"height": 1.0, "normal": 1.0}
"""Extra guide channels of the core by default: the height map's grey level (weight 1) when
the set has a height map, else the normal map's x/y (weight 1), against the albedo's [0, 1]
colour (:func:`_core_weights`). With the albedo alone the fill's seams fall where the colours
agree but the relief does not (edge agreement with the albedo in the filled normal map 0.56
on nobiax-100 against 0.80 in its untouched part); with normal weight 0.5 / 1 / 2 it is
0.64 / 0.68 / 0.69 there and 0.44 / 0.47 / 0.45 on nobiax-139 (chosen on these ``pbr-sets``,
the only sets there are, with the consistency benchmark's first mask). One relief channel is
enough: with ``--method core`` on the benchmark's masks 0-1, height + normal / height alone /
normal alone gave albedo-height 0.640 / 0.642 / 0.638 and albedo-normal 0.570 / 0.572 / 0.573
(intact 0.640 / 0.581), and every guide channel costs the core about a sixth more time (on
the 2048² speed set: 3 / 4 / 6 channels 6.6 / 7.7 / 9.9 CPU s). These are the weights of the
core; quilting uses :data:`QUILT_GUIDE_WEIGHTS`."""


def _core_weights(maps: Sequence[MapPixels], weights: dict[str, float]) -> dict[str, float]:
    """The core's guide weights for this set: ``weights`` without the normal map's channels
    when the set has a height map the height weight applies to (one relief channel,
    :data:`DEFAULT_GUIDE_WEIGHTS`)."""
    if weights.get("height", 0.0) > 0 and any(m.role == "height" for m in maps):
        return {**weights, "normal": 0.0}
    return dict(weights)


QUILT_GUIDE_WEIGHTS: dict[str, float] = {"height": 1.0, "normal": 2.0}
"""Extra guide channels by default when block quilting decides the fill (``"auto"`` on a
stochastic albedo): the normal map's x/y weigh 2. Chosen on the five ``pbr-sets`` (the only
sets there are) with the consistency benchmark's first two masks per set, with plain SSD
matching and no seam levelling (not chosen again since): edge agreement
over all sets, normal weight 1 / 2, albedo-height 0.656 / 0.672 and albedo-normal 0.582 /
0.589 in the fill (0.640 / 0.581 in the untouched parts); weight 2 helps nobiax-100
(0.768 -> 0.782) and costs nobiax-139 (0.475 -> 0.460)."""

QUILT_COST = "normalised"
"""Match cost of the quilted fill's block search and offset refinement
(:func:`texpaint.imaging.quilting.energy_normalised_cost`). Plain SSD prefers flat sources:
on nobiax-139 (sparse specks in the normal map) the blocks' sources held 0.146 normal-map
edge pixels per pixel against 0.199 in the untouched texture, so the filled normal map had
fewer features than the albedo over it and their edge agreement fell (0.427 against 0.500
intact on the benchmark's mask 2); normalised, the sources hold 0.210 and agreement is 0.504."""

ProgressFn = Callable[[float, str], None]
AbortFn = Callable[[], bool]


@dataclass(frozen=True)
class MapPixels:
    """One map of a set as the engine sees it.

    Attributes:
        rgb: float32 ``(H, W, 3)``.
        alpha: float32 ``(H, W)`` or None.
        kind: one of :data:`MAP_KINDS`.
        role: the map's role (``"height"`` marks the map the height guide channel is taken
            from; any other text is only carried along).
    """

    rgb: np.ndarray
    alpha: np.ndarray | None
    kind: str
    role: str = ""

    def __post_init__(self) -> None:
        if self.kind not in MAP_KINDS:
            raise ValueError(f"kind must be one of {MAP_KINDS}, got {self.kind!r}")


@dataclass(frozen=True)
class SetFill:
    """The result of a fill over a set.

    Attributes:
        maps: the filled maps, in input order.
        source: int32 ``(H, W, 2)`` absolute source ``(row, column)`` of every pixel (the
            identity where the mask is 0): the one decision shared by every map.
        mask: float32 ``(H, W)``, the mask that was composited with.
        seconds: wall time of the fill.
        unchanged: Make Seamless left the set as it was (every map already tiles).
        method: the :data:`FILL_METHODS` entry that decided the source map (``"quilt"``
            when the core was asked for but failed, see :func:`fill_material`).
        note: why the method differs from the one asked for (for the user), else ``""``.
    """

    maps: list[MapPixels]
    source: np.ndarray
    mask: np.ndarray
    seconds: float
    unchanged: bool = False
    method: str = "core"
    note: str = ""


def _no_progress(fraction: float, message: str) -> None:
    pass


def _guide(maps: Sequence[MapPixels], guide_index: int, weights: dict[str, float]) -> np.ndarray:
    """The guide the fill is decided on: the guide map's rgb, plus ``weights["height"]`` x
    the height map's mean (grey) channel and ``weights["normal"]`` x the first normal map's
    x and y (each when the set has such a map)."""
    parts = [maps[guide_index].rgb]
    w_h = float(weights.get("height", 0.0))
    w_n = float(weights.get("normal", 0.0))
    heights = [m for m in maps if m.role == "height"]
    normals = [m for m in maps if m.kind == "normal"]
    if w_h > 0 and heights:
        parts.append(heights[0].rgb.mean(axis=2, keepdims=True) * np.float32(w_h))
    if w_n > 0 and normals:
        parts.append(normals[0].rgb[..., :2] * np.float32(w_n))
    return np.ascontiguousarray(np.concatenate(parts, axis=2), dtype=np.float32)


def plan_source_map(
    guide: np.ndarray,
    hole: np.ndarray,
    *,
    wrap: bool = False,
    seed: int = 0,
    abort: AbortFn = lambda: False,
) -> tuple[np.ndarray, int]:
    """Decide where every hole pixel copies from (steps 1-2 of the module doc).

    Args:
        guide: float32 ``(H, W, C)``.
        hole: bool ``(H, W)``, True = fill.
        wrap: the image tiles (sources wrap around).
        seed: seeds the random choice among near-best blocks.
        abort: polled per block.

    Returns:
        ``(source, block_px)``: int32 ``(H, W, 2)`` source map (every hole pixel maps to a
        known pixel) and the block side at full resolution (pixels).

    Raises:
        JobCancelled: ``abort()`` returned True.
        JobError: no window of the guide is entirely known (nothing to copy from).
    """
    from texpaint.imaging.quilting import default_block_px, plan_quilt
    from texpaint.models.texture_hint import working_scale
    from texpaint.synthesis.source_map import identity_source_map, render_source_map

    h, w = hole.shape
    rows = np.flatnonzero(hole.any(axis=1))
    cols = np.flatnonzero(hole.any(axis=0))
    if rows.size == 0:
        return identity_source_map(h, w), 0
    # plan on the hole's box plus context (the whole image when wrapping)
    if wrap:
        y0, y1, x0, x1 = 0, h, 0, w
    else:
        span = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1
        margin = max(CONTEXT_MARGIN_PX, int(span) // 2)
        y0, y1 = max(0, rows[0] - margin), min(h, rows[-1] + 1 + margin)
        x0, x1 = max(0, cols[0] - margin), min(w, cols[-1] + 1 + margin)
    g = guide[y0:y1, x0:x1]
    hb = hole[y0:y1, x0:x1]
    ch_, cw_ = hb.shape
    s, radius = working_scale(hb)
    if s < 1.0:
        sh, sw = max(8, round(ch_ * s)), max(8, round(cw_ * s))
        # cv2.resize takes at most 4 channels: resize the guide in groups
        small = np.concatenate(
            [
                cv2.resize(g[..., c : c + 4], (sw, sh), interpolation=cv2.INTER_AREA).reshape(
                    sh, sw, -1
                )
                for c in range(0, g.shape[2], 4)
            ],
            axis=2,
        )
        small_hole = cv2.resize(hb.astype(np.float32), (sw, sh), interpolation=cv2.INTER_AREA) > 0
    else:
        sh, sw, small, small_hole = ch_, cw_, g, hb
    block = default_block_px(radius * min(s, 1.0))
    placements = plan_quilt(
        small, small_hole, block, wrap=wrap, seed=seed, cost=QUILT_COST, stop=abort
    )
    if abort():
        raise JobCancelled()
    if not placements:
        raise JobError("The hole leaves no fully known texture to copy from: use a smaller mask.")
    k = (ch_ / sh, cw_ / sw)
    refine = min(QUILT_REFINE_MAX_PX, math.ceil(max(k)) + 1) if s < 1.0 else 0
    src, filled = render_source_map(
        g, hb, placements, k, wrap=wrap, refine_px=refine, cost=QUILT_COST, stop=abort
    )
    if abort():
        raise JobCancelled()
    src = _complete(src, hb, filled, wrap)
    source = identity_source_map(h, w)
    source[y0:y1, x0:x1, 0] = src[..., 0] + y0
    source[y0:y1, x0:x1, 1] = src[..., 1] + x0
    return source, max(1, round(block * max(k)))


def _complete(source: np.ndarray, hole: np.ndarray, filled: np.ndarray, wrap: bool) -> np.ndarray:
    """Give hole pixels no block reached a source: the offset of the nearest pixel that has
    one, when that lands on known texture, else the nearest known pixel itself."""
    from scipy import ndimage

    left = hole & ~filled
    if not left.any():
        return source
    h, w = hole.shape
    has = ~left  # known pixels (identity) and filled ones
    _, (iy, ix) = ndimage.distance_transform_edt(~has, return_indices=True)
    _, (ky, kx) = ndimage.distance_transform_edt(hole, return_indices=True)
    ys, xs = np.nonzero(left)
    ny, nx = iy[ys, xs], ix[ys, xs]
    cy = source[ny, nx, 0] - ny + ys
    cx = source[ny, nx, 1] - nx + xs
    if wrap:
        cy, cx = cy % h, cx % w
    inside = (cy >= 0) & (cy < h) & (cx >= 0) & (cx < w)
    cyc, cxc = np.clip(cy, 0, h - 1), np.clip(cx, 0, w - 1)
    ok = inside & ~hole[cyc, cxc]
    out = source.copy()
    out[ys, xs, 0] = np.where(ok, cyc, ky[ys, xs])
    out[ys, xs, 1] = np.where(ok, cxc, kx[ys, xs])
    return out


FILL_METHODS: tuple[str, ...] = ("auto", "core", "quilt")
"""How the shared source map is decided: ``"auto"`` (default) picks one of the next two from
the texture (:func:`choose_method`); ``"core"`` the structure-aware synthesis core
(:func:`texpaint.synthesis.completion.complete`, the single-image Inpaint's fill) run on the
guide; ``"quilt"`` block quilting replayed with hard cuts (:func:`plan_source_map`)."""

CORE_COLOUR_SIGMA_PX = 16
"""Gaussian sigma (px) of the low-frequency correction of colour maps other than the guide
map (emission) when the core decides the fill."""

CORE_CONTEXT_PX = 128
"""Least context margin (pixels) around the hole's box for the core's patch search (at least
the box's own size is taken too), as the single-image Inpaint does
(``engine.pipeline.PATCH_CONTEXT_PX``), so a hole sees several periods of a lattice."""


def _context_box(hole: np.ndarray, wrap: bool) -> tuple[int, int, int, int]:
    """``(y0, y1, x0, x1)``: the hole's box plus a context margin of at least
    :data:`CORE_CONTEXT_PX` and the box's own size, clamped to the image (the whole image when
    the image wraps, where the hole may straddle an edge)."""
    h, w = hole.shape
    if wrap:
        return 0, h, 0, w
    rows = np.flatnonzero(hole.any(axis=1))
    cols = np.flatnonzero(hole.any(axis=0))
    span = int(max(rows[-1] - rows[0], cols[-1] - cols[0])) + 1
    margin = max(CORE_CONTEXT_PX, span)
    return (
        max(0, int(rows[0]) - margin),
        min(h, int(rows[-1]) + 1 + margin),
        max(0, int(cols[0]) - margin),
        min(w, int(cols[-1]) + 1 + margin),
    )


def choose_method(
    guide: np.ndarray, hole: np.ndarray, *, wrap: bool = False, seed: int = 0
) -> tuple[str, OffsetStats]:
    """``"core"`` or ``"quilt"`` for ``method="auto"``.

    The core when the albedo's dominant patch offsets gather at least the core's own
    reference fraction of its matched patches
    (:attr:`texpaint.synthesis.offsets.OffsetStats.concentration` >=
    ``CompletionSettings.concentration_ref``, 0.08: below it the core's structure term
    weakens; bricks, tiles, planks, any lattice), else block quilting (rock, gravel, noise:
    stochastic textures). The core's multi-scale fill averages a stochastic texture's sparse
    features away (the filled albedo of nobiax-100 holds half the edge pixels of its
    untouched part, and where it is flat albedo and relief agree less: albedo-normal edge
    agreement 0.69 in the fill against 0.80 intact), while quilting copies whole blocks and
    keeps the texture's density of features (0.75-0.78). The five ``pbr-sets``, the only
    material sets there are, all lie at 0.04-0.07, the brick test lattice far above.

    Args:
        guide: float32 ``(H, W, C)``; its first three channels (the albedo) are analysed.
        hole: bool ``(H, W)``, True = fill (not read as texture).
        wrap, seed: as :func:`fill_material`.

    Returns:
        ``(method, stats)``: the method and the albedo's dominant patch offsets
        (:func:`texpaint.synthesis.offsets.dominant_offsets`, He & Sun 2012), which the
        core reuses.
    """
    from texpaint.synthesis.completion import CompletionSettings
    from texpaint.synthesis.offsets import dominant_offsets

    colour = np.ascontiguousarray(guide[..., :3], dtype=np.float32)
    stats = dominant_offsets(colour, ~hole, wrap, seed)
    structured = stats.concentration >= CompletionSettings.concentration_ref
    return ("core" if structured else "quilt"), stats


def plan_source_core(
    guide: np.ndarray,
    hole: np.ndarray,
    *,
    wrap: bool = False,
    seed: int = 0,
    offsets: OffsetStats | None = None,
    settings: CompletionSettings | None = None,
    abort: AbortFn = lambda: False,
    progress: ProgressFn = _no_progress,
) -> tuple[np.ndarray, np.ndarray]:
    """Decide where every hole pixel copies from with the structure-aware synthesis core.

    The core (:func:`texpaint.synthesis.completion.complete`: PatchMatch with the texture's
    dominant patch offsets, He & Sun 2012, multi-scale completion, Wexler et al. 2007, and a
    patch-copy composition) runs on ``guide`` (the albedo plus weighted height/normal
    channels, :func:`fill_material`) over the hole's box plus context
    (:func:`_context_box`); the texture's dominant offsets are taken from the whole guide's
    known pixels. Its per-pixel source positions are the shared decision.

    Args:
        guide: float32 ``(H, W, C)``; hole pixels are not read.
        hole: bool ``(H, W)``, True = fill.
        wrap: the maps tile (patches, sources and offsets wrap round).
        seed: seeds every random choice.
        offsets: the guide's dominant offsets when already known (:func:`choose_method`);
            None: computed here (when the context box is not the whole guide).
        settings: the core's settings (None: its defaults, those of single-image Inpaint).
        abort: polled < 0.1 s apart.
        progress: ``(fraction, message)``.

    Returns:
        ``(source, filled_guide)``: int32 ``(H, W, 2)`` absolute source ``(row, column)`` of
        every pixel (identity outside the hole; a hole pixel's source is never a hole pixel)
        and float32 ``(H, W, C)``, the core's own fill of the guide (the copy plus its smooth
        corrections: the seam membrane at the hole's edge and the vote's local mean).

    Raises:
        JobCancelled: ``abort()`` returned True.
        JobError: no fully known patch to copy from.
    """
    from texpaint.synthesis.completion import SynthesisCancelled, complete
    from texpaint.synthesis.offsets import dominant_offsets
    from texpaint.synthesis.source_map import identity_source_map

    h, w = hole.shape
    y0, y1, x0, x1 = _context_box(hole, wrap)
    g = np.ascontiguousarray(guide[y0:y1, x0:x1], dtype=np.float32)
    hb = hole[y0:y1, x0:x1]
    try:
        if offsets is None and (y1 - y0, x1 - x0) != (h, w):
            colour = np.ascontiguousarray(guide[..., :3], dtype=np.float32)
            offsets = dominant_offsets(colour, ~hole, wrap, seed)
        if abort():
            raise JobCancelled()
        filled, src = complete(
            g, hb, wrap=wrap, seed=seed, offsets=offsets, settings=settings, abort=abort,
            progress=progress, return_source=True,
        )  # fmt: skip
    except SynthesisCancelled:
        raise JobCancelled() from None
    except ValueError as exc:
        raise JobError(f"Inpainting needs some untouched texture to copy from: {exc}") from exc
    source = identity_source_map(h, w)
    source[y0:y1, x0:x1, 0] = src[..., 0] + y0
    source[y0:y1, x0:x1, 1] = src[..., 1] + x0
    out = np.array(guide, dtype=np.float32, copy=True)
    out[y0:y1, x0:x1] = filled
    return source, out


def _low_frequency_match(
    rgb: np.ndarray, copied: np.ndarray, hole: np.ndarray, block_px: int
) -> np.ndarray:
    """``copied`` inside the hole plus the low frequencies (Gaussian sigma of one block) of
    ``push_pull_fill(rgb) - copied``, on the hole's box plus context only."""
    import torch

    from texpaint.models.arch.ffc_inpaint import push_pull_fill
    from texpaint.models.texture_hint import gaussian_lowpass

    rows = np.flatnonzero(hole.any(axis=1))
    cols = np.flatnonzero(hole.any(axis=0))
    sigma = float(max(2, block_px))
    pad = int(3 * sigma)
    h, w = hole.shape
    y0, y1 = max(0, rows[0] - pad), min(h, rows[-1] + 1 + pad)
    x0, x1 = max(0, cols[0] - pad), min(w, cols[-1] + 1 + pad)
    crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    hb = hole[y0:y1, x0:x1]
    with torch.inference_mode():
        smooth = (
            push_pull_fill(
                torch.from_numpy(crop.transpose(2, 0, 1).copy())[None],
                torch.from_numpy(hb.astype(np.float32))[None, None],
            )[0]
            .numpy()
            .transpose(1, 2, 0)
        )
    c = copied[y0:y1, x0:x1]
    low = gaussian_lowpass(np.ascontiguousarray(smooth - c), sigma)
    out = copied.copy()
    top = max(1.0, float(rgb.max()))
    out[y0:y1, x0:x1] = np.where(hb[..., None], np.clip(c + low, 0.0, top), c)
    return out


SEAM_LEVELLED_KINDS: tuple[str, ...] = ("colour", "normal")
"""Map kinds whose pieces are levelled across the fill's seams (:func:`_seam_offsets`) when
``harmonise_colour``: colour maps (shading) and normal maps (regional tilt)."""

SEAM_LEVELLED_ROLES: tuple[str, ...] = ("height",)
"""Data maps levelled too, by role, when block quilting decided the fill: the height map,
whose quilted pieces otherwise keep their sources' base levels, so every seam of the fill is
a cliff in the displacement (on rock, nobiax-76, steps of a tenth of the range and more
outline every piece: looked at on the consistency benchmark's masks 0 and 1) while the
levelled normal map says the surface is smooth there. Levelled, a piece keeps its relief up
to a smooth offset (a piece taken from a peak may sit lower, in a valley); values are
clipped to the map's range. After the structure-aware core (lattice-consistent copies, small
steps) the height stays an exact copy: on a brick wall whose hole ends on a mortar line,
levelling lowered the bricks next to it by up to 0.13, as the steps at the hole's edge are
measured with local means of the untouched side only. Roughness, metallic, AO and specular
stay exact copies of their source pixels."""

SEAM_MEAN_SIGMA_PX = 2.0
"""Gaussian sigma (pixels) of the local means that measure a map's step across a seam
(:func:`_seam_offsets`): single pixels are too noisy."""


def _seam_labels(source: np.ndarray, hole: np.ndarray) -> tuple[np.ndarray, int]:
    """Pieces of the fill: 4-connected hole pixels that copy with one offset get one label.

    Found as the 4-connected components of a grid at twice the resolution whose even cells
    are the hole's pixels and whose odd cells link two neighbours that copy with the same
    offset (OpenCV's connected-component labelling).

    Returns ``(labels, count)``: int32 ``(H, W)``, 0 outside the hole, ``1 .. count`` inside.
    """
    h, w = hole.shape
    sy, sx = source[..., 0], source[..., 1]
    grid = np.zeros((2 * h - 1, 2 * w - 1), np.uint8)
    grid[::2, ::2] = hole
    # q = p + (0, 1) continues p's copy when its source is p's source + (0, 1)
    grid[::2, 1::2] = (
        hole[:, :-1] & hole[:, 1:] & (sy[:, 1:] == sy[:, :-1]) & (sx[:, 1:] == sx[:, :-1] + 1)
    )
    grid[1::2, ::2] = hole[:-1] & hole[1:] & (sy[1:] == sy[:-1] + 1) & (sx[1:] == sx[:-1])
    count, lab = cv2.connectedComponents(grid, connectivity=4, ltype=cv2.CV_32S)
    labels = np.ascontiguousarray(lab[::2, ::2], dtype=np.int32)
    return labels, int(count) - 1


def _known_mean(image: np.ndarray, hole: np.ndarray, wrap: bool) -> tuple[np.ndarray, np.ndarray]:
    """Local mean of the untouched pixels (normalised Gaussian convolution, sigma
    :data:`SEAM_MEAN_SIGMA_PX`): ``(mean, coverage)``, float32 ``(H, W, C)`` and ``(H, W)``
    (the share of untouched pixels in the window; the mean is meaningful where it is not
    small)."""
    h, w = hole.shape
    known = (~hole).astype(np.float32)
    sig = SEAM_MEAN_SIGMA_PX
    pad = int(math.ceil(4 * sig)) if wrap else 0  # OpenCV's blur has no wrap border
    data = np.concatenate([image * known[..., None], known[..., None]], axis=2)
    if pad:
        data = np.pad(data, ((pad, pad), (pad, pad), (0, 0)), mode="wrap")
    blurred = np.concatenate(
        [
            cv2.GaussianBlur(
                np.ascontiguousarray(data[..., c : c + 4]), (0, 0), sig,
                borderType=cv2.BORDER_REFLECT,
            ).reshape(data.shape[0], data.shape[1], -1)
            for c in range(0, data.shape[2], 4)
        ],
        axis=2,
    )[pad : pad + h, pad : pad + w]  # fmt: skip
    den = np.ascontiguousarray(blurred[..., -1])
    return blurred[..., :-1] / np.maximum(den, 1e-6)[..., None], den


def _seam_pairs(
    source: np.ndarray, hole: np.ndarray, labels: np.ndarray, wrap: bool, every: bool = False
) -> list[tuple[np.ndarray, ...]]:
    """4-neighbour pairs ``(p, q)`` across a seam (different pieces, at least one in the hole):
    per direction ``(la, lb, pf, qf, sp, sq, q_by_p, p_by_q)``: the labels of ``p`` and
    ``q``, ``p`` and ``q`` themselves, their sources and where each one's source continues to
    the other (all as flat indices). ``every``: all pairs with a hole pixel, seams or not."""
    h, w = hole.shape
    out: list[tuple[np.ndarray, ...]] = []
    for dy, dx in ((0, 1), (1, 0)):
        la_all, lb_all = labels[: h - dy, : w - dx], labels[dy:, dx:]
        sel = (la_all > 0) | (lb_all > 0)
        if not every:
            sel &= la_all != lb_all
        py, px = np.nonzero(sel)
        qy, qx = py + dy, px + dx
        la, lb = la_all[sel], lb_all[sel]

        def flat(y: np.ndarray, x: np.ndarray) -> np.ndarray:
            if wrap:
                y, x = y % h, x % w
            else:
                y, x = np.clip(y, 0, h - 1), np.clip(x, 0, w - 1)
            return y * w + x

        oy_p, ox_p = source[py, px, 0] - py, source[py, px, 1] - px
        oy_q, ox_q = source[qy, qx, 0] - qy, source[qy, qx, 1] - qx
        out.append(
            (
                la,
                lb,
                py * w + px,
                qy * w + qx,
                flat(source[py, px, 0], source[py, px, 1]),
                flat(source[qy, qx, 0], source[qy, qx, 1]),
                flat(qy + oy_p, qx + ox_p),
                flat(py + oy_q, px + ox_q),
            )
        )
    return out


def _seam_offsets(
    mean: np.ndarray, den: np.ndarray, pairs: list[tuple[np.ndarray, ...]], count: int
) -> np.ndarray:
    """One constant per piece of the fill that removes the map's steps across its seams.

    A map copied piece by piece (hard cuts) steps wherever two pieces, or a piece and the
    untouched pixels, meet: most visibly in normal maps, whose low frequencies (the
    surface's regional tilt) differ from source to source, so every piece shows as a facet
    of its own hue. Across a seam between pixels ``p`` and ``q`` the step is the difference
    of local means (:func:`_known_mean`) between ``q``'s own source and where ``p``'s source
    continues to (``q`` + ``p``'s offset), averaged with the same seen from ``q``; the
    constants ``c`` (0 for untouched pixels) minimise ``sum over seam pairs
    (c_q - c_p + step)^2`` (a least-squares gradient-domain fit, as in Pérez et al.,
    "Poisson Image Editing", 2003, with one unknown per piece), so features never move and
    each piece keeps its own texture up to one offset.

    Args:
        mean, den: :func:`_known_mean` of the map before the fill.
        pairs: :func:`_seam_pairs`.
        count: the number of pieces (:func:`_seam_labels`).

    Returns:
        float32 ``(count + 1, C)``: the constant of each label (row 0, untouched: 0).
    """
    from scipy.sparse import coo_matrix, identity
    from scipy.sparse.linalg import spsolve

    nc = mean.shape[2]
    m, d = mean.reshape(-1, nc), den.ravel()
    rows_a, rows_b, steps = [], [], []
    for la, lb, _pf, _qf, sp, sq, q_by_p, p_by_q in pairs:
        step = 0.5 * (m[sq] - m[q_by_p] + m[p_by_q] - m[sp])
        ok = (d[q_by_p] > 0.2) & (d[p_by_q] > 0.2)
        rows_a.append(la[ok])
        rows_b.append(lb[ok])
        steps.append(step[ok])
    la, lb = np.concatenate(rows_a), np.concatenate(rows_b)
    step = np.concatenate(steps).astype(np.float64)
    # normal equations of sum (c_b - c_a + step)^2 over pairs, c_0 = 0 (untouched)
    n = count + 1
    ones = np.ones(la.size)
    lap = coo_matrix(
        (np.concatenate([ones, ones, -ones, -ones]),
         (np.concatenate([la, lb, la, lb]), np.concatenate([la, lb, lb, la]))),
        shape=(n, n),
    ).tocsr()  # fmt: skip
    rhs = np.zeros((n, nc))
    np.add.at(rhs, la, step)
    np.add.at(rhs, lb, -step)
    # pieces with no measured seam keep their copy (c = 0): a small pull towards 0
    lap = (lap + identity(n, format="csr") * 1e-3).tolil()
    lap[0, :] = 0
    lap[0, 0] = 1.0
    rhs[0] = 0.0
    c = spsolve(lap.tocsc(), rhs)
    return np.asarray(c, np.float32).reshape(n, nc)


def _edge_membrane(
    mean: np.ndarray,
    den: np.ndarray,
    pairs: list[tuple[np.ndarray, ...]],
    levels: np.ndarray,
    labels: np.ndarray,
) -> np.ndarray:
    """What the piece constants leave of the steps at the hole's edge, spread smoothly over
    the hole: float32 ``(H, W, C)`` (0 outside the hole).

    At each hole pixel next to an untouched one the remaining step (untouched local mean
    minus where the piece's source continues to, minus the piece's constant) is averaged,
    then interpolated over the hole by push-pull (Gortler et al. 1996; a membrane as in
    Farbman et al., "Coordinates for Instant Image Cloning", 2009), as the synthesis core
    does at its hole's edge, so the fill meets the untouched pixels without a step where
    the constants (one per piece) cannot follow a step that varies along the edge."""
    import torch

    from texpaint.models.arch.ffc_inpaint import push_pull_fill

    h, w = labels.shape
    nc = mean.shape[2]
    m, d = mean.reshape(-1, nc), den.ravel()
    at_parts, r_parts = [], []
    for la, lb, pf, qf, sp, sq, q_by_p, p_by_q in pairs:
        for lab_fill, lab_known, at, own, cont in (
            (la, lb, pf, sq, q_by_p),  # p in the hole, q untouched
            (lb, la, qf, sp, p_by_q),  # q in the hole, p untouched
        ):
            sel = (lab_known == 0) & (lab_fill > 0) & (d[cont] > 0.2)
            at_parts.append(at[sel])
            r_parts.append(m[own[sel]] - m[cont[sel]] - levels[lab_fill[sel]])
    hole = labels > 0
    at_all = np.concatenate(at_parts)
    if at_all.size == 0:
        return np.zeros((h, w, nc), np.float32)
    r_all = np.concatenate(r_parts)
    # the mean remaining step at each edge pixel (sums in the pairs' order, over the edge
    # pixels only rather than the whole image)
    where, slot = np.unique(at_all, return_inverse=True)
    weight = np.bincount(slot, minlength=where.size).astype(np.float64)
    total = np.stack(
        [np.bincount(slot, weights=r_all[:, c], minlength=where.size) for c in range(nc)],
        axis=1,
    )
    rows = np.flatnonzero(hole.any(axis=1))
    cols = np.flatnonzero(hole.any(axis=0))
    y0, y1 = max(0, rows[0] - 1), min(h, rows[-1] + 2)
    x0, x1 = max(0, cols[0] - 1), min(w, cols[-1] + 2)
    ch, cw = y1 - y0, x1 - x0
    wy, wx = where // w - y0, where % w - x0
    vals_c = np.zeros((ch, cw, nc), np.float32)
    vals_c[wy, wx] = (total / weight[:, None]).astype(np.float32)
    have_c = np.zeros((ch, cw), np.float32)
    have_c[wy, wx] = 1.0
    # at half resolution (the membrane is smooth and blurred below; a quarter of the work)
    sh, sw = max(1, (ch + 1) // 2), max(1, (cw + 1) // 2)
    cover = cv2.resize(have_c, (sw, sh), interpolation=cv2.INTER_AREA).reshape(sh, sw)
    summed = cv2.resize(vals_c * have_c[..., None], (sw, sh), interpolation=cv2.INTER_AREA)
    small = summed.reshape(sh, sw, nc) / np.maximum(cover, 1e-6)[..., None]
    with torch.inference_mode():
        half = (
            push_pull_fill(
                torch.from_numpy(np.ascontiguousarray(small.transpose(2, 0, 1)))[None],
                torch.from_numpy((cover <= 0).astype(np.float32))[None, None],
            )[0]
            .numpy()
            .transpose(1, 2, 0)
        )
    spread = cv2.resize(half, (cw, ch), interpolation=cv2.INTER_LINEAR).reshape(ch, cw, nc)
    # the edge's values are local means, but still vary from pixel to pixel along the edge
    spread = cv2.GaussianBlur(spread, (0, 0), 2 * SEAM_MEAN_SIGMA_PX).reshape(spread.shape)
    out = np.zeros((h, w, nc), np.float32)
    out[y0:y1, x0:x1] = np.where(hole[y0:y1, x0:x1, None], spread, 0.0)
    return out


SEAM_RELAX_ITERATIONS = 40
"""Conjugate-gradient iterations of :func:`_relax_seams` (each spreads a correction about
one pixel further from the seams; the piece constants already carry the far field)."""

SEAM_RELAX_KINDS: tuple[str, ...] = ("normal", "data")
"""Kinds of map whose levelling is relaxed per pixel (:func:`_relax_seams`): normal maps and
levelled data maps (the quilted height), whose seams' steps vary along them. Colour maps
keep the piece constants, membrane and low-frequency shading only: relaxed, a quilted albedo
lost its own detail next to the seams (edge pixels within 3 px of a seam 0.11-0.13 of the
pixels against 0.20 in the untouched texture, nobiax-82 and nobiax-139, the consistency
benchmark's mask 0; 0.17-0.18 unrelaxed), and its edge agreement with the normal map fell
(0.405 / 0.476 relaxed, 0.429 / 0.491 not; intact 0.426 / 0.502)."""

SEAM_RELAX_BAND_PX = 32
"""Only hole pixels within this distance (pixels) of a seam or of the hole's edge are relaxed
(:func:`_relax_seams`); farther ones keep the piece constants plus membrane. Relaxing the
whole hole of the consistency benchmark's 2048² speed set moved the correction of pixels
more than 32 px from a seam by 0.0005 on average (99th percentile 0.004, in normal-map
slope: under half an 8-bit level) and cost a third more."""


def _relax_region(labels: np.ndarray, band_px: int = SEAM_RELAX_BAND_PX) -> np.ndarray:
    """bool ``(H, W)``: the hole pixels (``labels > 0``) within ``band_px`` of a seam, i.e. of
    a 4-neighbour with another label (another piece, or an untouched pixel)."""
    hole = labels > 0
    seam = np.zeros_like(hole)
    d = labels[:, :-1] != labels[:, 1:]
    seam[:, :-1] |= d
    seam[:, 1:] |= d
    d = labels[:-1] != labels[1:]
    seam[:-1] |= d
    seam[1:] |= d
    seam &= hole
    dist = cv2.distanceTransform((~seam).astype(np.uint8), cv2.DIST_L2, 5)
    return hole & (dist <= band_px)


def _poisson_system(
    hole: np.ndarray, free: np.ndarray | None = None
) -> tuple[object, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The least-squares problem of :func:`_relax_seams` for one fill, shared by its maps.

    Args:
        hole: bool ``(H, W)``, the fill's pixels.
        free: bool ``(H, W)``, the hole pixels that are unknowns (None: all of them); the
            other hole pixels are held at their start value, untouched pixels at 0.

    Returns:
        ``(laplacian, index, free_pos, fixed_row, fixed_pos)``: the sparse CSR graph
        Laplacian over the free pixels, the unknown's row of every flat pixel (-1 where
        none), each unknown's position among the hole's pixels (``np.flatnonzero(hole)``
        order), and for every pair of an unknown and a held hole pixel the unknown's row and
        the held pixel's hole position.
    """
    from scipy.sparse import coo_matrix, diags

    h, w = hole.shape
    if free is None:
        free = hole
    hole_pos = np.full(h * w, -1, np.int64)
    flat_hole = np.flatnonzero(hole)
    hole_pos[flat_hole] = np.arange(flat_hole.size)
    flat_free = np.flatnonzero(free)
    n = flat_free.size
    index = np.full(h * w, -1, np.int64)
    index[flat_free] = np.arange(n)
    diag = np.zeros(n, np.float64)
    ii_parts, jj_parts, fr_parts, fp_parts = [], [], [], []
    for dy, dx in ((0, 1), (1, 0)):  # every neighbour pair with a free pixel
        near = free[: h - dy, : w - dx] | free[dy:, dx:]
        py, px = np.nonzero(near)
        pf = py * w + px
        qf = (py + dy) * w + px + dx
        i, j = index[pf], index[qf]
        hi, hj = i >= 0, j >= 0
        diag += np.bincount(i[hi], minlength=n) + np.bincount(j[hj], minlength=n)
        both = hi & hj
        ii_parts.append(i[both])
        jj_parts.append(j[both])
        held_q = hi & ~hj & (hole_pos[qf] >= 0)
        held_p = hj & ~hi & (hole_pos[pf] >= 0)
        fr_parts += [i[held_q], j[held_p]]
        fp_parts += [hole_pos[qf[held_q]], hole_pos[pf[held_p]]]
    ii, jj = np.concatenate(ii_parts), np.concatenate(jj_parts)
    ones = np.ones(2 * ii.size)
    adjacency = coo_matrix(
        (ones, (np.concatenate([ii, jj]), np.concatenate([jj, ii]))), shape=(n, n)
    )
    lap = (diags(diag) - adjacency).tocsr().astype(np.float32)
    return lap, index, hole_pos[flat_free], np.concatenate(fr_parts), np.concatenate(fp_parts)


def _relax_seams(
    start: np.ndarray,
    mean: np.ndarray,
    den: np.ndarray,
    pairs: list[tuple[np.ndarray, ...]],
    system: tuple[object, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    iterations: int = SEAM_RELAX_ITERATIONS,
) -> np.ndarray:
    """Let the correction vary inside each piece where a seam's step varies along it.

    The piece constants and the edge membrane remove a seam's mean step; a step that changes
    along a seam remains. This solves, from ``start``, the per-pixel version of the same
    least-squares problem (a Poisson problem, Pérez et al. 2003: the correction ``c`` with
    ``c = 0`` on untouched pixels minimises ``sum over neighbour pairs (c_q - c_p +
    step)^2``, ``step`` 0 inside a piece and the measured step across a seam) by
    Jacobi-preconditioned conjugate gradients, ``iterations`` steps, for the unknowns of
    ``system`` (the hole pixels near seams, :func:`_relax_region`; the others keep
    ``start``).

    Args:
        start: float32 ``(N, C)``, the piece constants plus membrane at the hole's pixels
            (in the order of ``np.flatnonzero(hole)``).
        mean, den: :func:`_known_mean` of the map.
        pairs: :func:`_seam_pairs` (the seams; inside a piece the step is 0).
        system: :func:`_poisson_system` of the fill (its held pixels take ``start``).
        iterations: conjugate-gradient steps.

    Returns:
        float32 ``(N, C)``, the correction at the hole's pixels.
    """
    lap, index, free_pos, fixed_row, fixed_pos = system
    nc = mean.shape[2]
    n = free_pos.size
    start = np.asarray(start, np.float32)
    if n == 0:
        return start.copy()
    m, d = mean.reshape(-1, nc), den.ravel()
    b = np.zeros((n, nc), np.float32)
    for _la, _lb, pf, qf, sp, sq, q_by_p, p_by_q in pairs:
        ok = (d[q_by_p] > 0.2) & (d[p_by_q] > 0.2)
        step = 0.5 * (m[sq[ok]] - m[q_by_p[ok]] + m[p_by_q[ok]] - m[sp[ok]])
        i, j = index[pf[ok]], index[qf[ok]]
        hi, hj = i >= 0, j >= 0
        for c in range(nc):
            b[:, c] += np.bincount(i[hi], weights=step[hi, c], minlength=n)
            b[:, c] -= np.bincount(j[hj], weights=step[hj, c], minlength=n)
    if fixed_row.size:  # held hole neighbours enter as known values
        for c in range(nc):
            b[:, c] += np.bincount(fixed_row, weights=start[fixed_pos, c], minlength=n)
    from scipy.sparse import diags
    from scipy.sparse.linalg import cg

    inv = diags((1.0 / np.maximum(np.asarray(lap.diagonal()), 1.0)).astype(np.float32))  # type: ignore[attr-defined]
    x0 = start[free_pos]  # float32: half the traffic
    out = start.copy()
    for c in range(nc):  # one right-hand side at a time: scipy's (N, C) products are slower
        x, _ = cg(lap, b[:, c], x0=np.ascontiguousarray(x0[:, c]), M=inv, maxiter=iterations)
        out[free_pos, c] = x
    return out


NORMAL_MIN_Z = 0.2
"""Smallest normal z used when a normal is read as a slope (:func:`_slopes`): slopes of
grazing normals are capped at 1 / 0.2 = 5."""


def _slopes(rgb: np.ndarray) -> np.ndarray:
    """Encoded normals float32 ``(H, W, 3)`` -> the surface's slopes ``(x / z, y / z)``,
    float32 ``(H, W, 2)``: the space in which normal maps are levelled, where adding a
    constant tilts a piece as adding a plane to its height would."""
    from texpaint.imaging.normal_map import decode_normals

    n = decode_normals(rgb)
    z = np.maximum(n[..., 2:3], NORMAL_MIN_Z)
    return np.ascontiguousarray(n[..., :2] / z, dtype=np.float32)


def _tilted(values: np.ndarray, tilt: np.ndarray) -> np.ndarray:
    """Encoded normals ``values`` float32 ``(N, 3)`` (the hole's pixels) with ``tilt``
    (slopes, ``(N, 2)``) added; each tilted normal keeps its own length (renormalised later
    when asked). Returns float32 ``(N, 3)`` in [0, 1]."""
    from texpaint.imaging.normal_map import decode_normals, encode_normals

    n = decode_normals(values)
    length = np.linalg.norm(n, axis=-1, keepdims=True)
    z = np.maximum(n[..., 2:3], NORMAL_MIN_Z)
    v = np.concatenate([n[..., :2] / z + tilt, np.ones_like(z)], axis=-1)
    v *= length / np.linalg.norm(v, axis=-1, keepdims=True)
    return np.clip(encode_normals(v), 0.0, 1.0).astype(np.float32)


def _blend_lengths(
    before: np.ndarray, copied: np.ndarray, blended: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """Normals ``blended`` (float32 ``(N, 3)``, the hole's pixels) with its soft-edge pixels
    (``0 < mask < 1``, ``mask`` ``(N,)``) rescaled to the length interpolated between
    ``before``'s and ``copied``'s vectors there."""
    from texpaint.imaging.normal_map import decode_normals, encode_normals

    soft = (mask > 0) & (mask < 1)
    if not soft.any():
        return blended
    m = mask[soft][:, None]
    la = np.linalg.norm(decode_normals(before[soft]), axis=-1, keepdims=True)
    lb = np.linalg.norm(decode_normals(copied[soft]), axis=-1, keepdims=True)
    n = decode_normals(blended[soft])
    ln = np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-6)
    out = blended.copy()
    out[soft] = encode_normals(n / ln * ((1 - m) * la + m * lb))
    return out


def _put(image: np.ndarray, flat: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A copy of ``image`` (``(H, W)`` or ``(H, W, C)``) with its pixels at flat indices
    ``flat`` set to ``values`` (``(N,)`` or ``(N, C)``); every other pixel bit-identical."""
    out = image.copy()
    out.reshape(image.shape[0] * image.shape[1], -1)[flat] = values.reshape(flat.size, -1)
    return out


def _pixels(image: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """``image``'s pixels at flat indices ``flat``: ``(N,)`` for ``(H, W)``, ``(N, C)`` for
    ``(H, W, C)``."""
    h, w = image.shape[:2]
    return image.reshape(h * w, -1)[flat].reshape((flat.size,) + image.shape[2:])


def fill_material(
    maps: Sequence[MapPixels],
    mask: np.ndarray,
    *,
    guide_index: int = 0,
    guide_weights: dict[str, float] | None = None,
    wrap: bool = False,
    seed: int = 0,
    harmonise_colour: bool = True,
    normal_length: str = "unit",
    method: str = "auto",
    core_settings: CompletionSettings | None = None,
    abort: AbortFn = lambda: False,
    progress: ProgressFn = _no_progress,
) -> SetFill:
    """Inpaint every map of a material where ``mask > 0`` with one shared source map
    (module doc).

    Args:
        maps: the set's maps, all of one size.
        mask: float32 ``(H, W)`` in [0, 1], 1 = fill; soft edges allowed.
        guide_index: the map the fill is decided on (the albedo).
        guide_weights: extra guide channels, ``{"height": w, "normal": w}`` (0 or missing
            = off; None = :data:`DEFAULT_GUIDE_WEIGHTS` for the core (the height map's
            channel, or the normal map's when there is no height map),
            :data:`QUILT_GUIDE_WEIGHTS` for quilting): the grey level of the map whose
            role is ``"height"`` and the first normal map's x/y, scaled by
            ``w`` against the albedo's [0, 1] colour.
        wrap: the maps tile (sources and the fill wrap around the edges).
        seed: seeds every random choice (same inputs and seed, same result).
        harmonise_colour: colour maps get smooth corrections (module doc, step 2); False:
            every map is an exact copy through the source map.
        method: one of :data:`FILL_METHODS` (default ``"auto"``: :func:`choose_method`).
        core_settings: settings of the synthesis core (``method="core"``; None: the
            defaults).
        normal_length: ``"unit"`` (default): every normal where the mask is not 0 is
            renormalised to unit length; ``"keep"``: copied normals keep their own length
            (bit-identical to their source pixel) and blended ones (soft mask edge) get the
            length interpolated between the two they blend, for normal maps whose vectors
            are not unit length (several Nobiax maps reach 1.6), where unit normals in the
            hole would show as a lighter patch in the raw map. Their seams are not levelled
            (a tilted long normal may not fit the file's range at its length).
        abort: polled < 0.1 s apart (quilt: between blocks) and between maps; True cancels.
        progress: called with ``(fraction in [0, 1], message)``.

    Returns:
        :class:`SetFill`; where ``mask == 0`` every map (and alpha) is bit-identical. When
        the core raises an OpenCV error, the source map is decided by quilting instead and
        ``SetFill.method`` / ``SetFill.note`` say so.

    Raises:
        JobError: no maps, sizes differ, empty mask, or nothing known to copy from.
        JobCancelled: ``abort()`` returned True; nothing is returned.
    """
    import time

    from texpaint.imaging.normal_map import renormalise

    if normal_length not in ("unit", "keep"):
        raise JobError(f"normal_length must be 'unit' or 'keep', got {normal_length!r}")
    if method not in FILL_METHODS:
        raise JobError(f"method must be one of {FILL_METHODS}, got {method!r}")
    from texpaint.synthesis.source_map import blend_pixels

    t0 = time.perf_counter()
    if not maps:
        raise JobError("A material set needs at least one map.")
    h, w = maps[0].rgb.shape[:2]
    for i, mp in enumerate(maps):
        if mp.rgb.shape != (h, w, 3):
            raise JobError(f"Map {i} is {mp.rgb.shape[1]} x {mp.rgb.shape[0]}, not {w} x {h}.")
    m = np.clip(np.asarray(mask, dtype=np.float32), 0.0, 1.0)
    if m.shape != (h, w):
        raise JobError(f"The mask is {m.shape[1]} x {m.shape[0]}, the maps {w} x {h}.")
    hole = m > 0
    if not hole.any():
        raise JobError("The mask is empty: paint over the area to fill first.")
    progress(0.0, "Material: choosing source texture on the albedo")
    core_guide: np.ndarray | None = None
    note = ""
    stats = None
    if method == "auto":
        method, stats = choose_method(maps[guide_index].rgb, hole, wrap=wrap, seed=seed)
        if abort():
            raise JobCancelled()
    if guide_weights is not None:
        weights = guide_weights
    else:
        weights = (
            QUILT_GUIDE_WEIGHTS if method == "quilt" else _core_weights(maps, DEFAULT_GUIDE_WEIGHTS)
        )
    guide = _guide(maps, guide_index, weights)
    if method == "core":
        try:
            source, core_guide = plan_source_core(
                guide, hole, wrap=wrap, seed=seed, offsets=stats, settings=core_settings,
                abort=abort,
                progress=lambda f, msg: progress(0.9 * f, msg),
            )  # fmt: skip
            block_px = CORE_COLOUR_SIGMA_PX
        except cv2.error as exc:
            # the core's OpenCV calls refuse some inputs (e.g. > 4 channels at odd sizes);
            # the set still gets one shared, exact-copy fill, and the user is told
            method = "quilt"
            why = str(exc).strip().splitlines()[-1] if str(exc).strip() else "OpenCV error"
            why = why.split("error:", 1)[-1].strip()[:100]
            note = f"the synthesis core could not fill this set ({why}); filled by block quilting"
    if method == "quilt":
        source, block_px = plan_source_map(guide, hole, wrap=wrap, seed=seed, abort=abort)
    # every map is copied through the one source map: the hole's flat indices and their
    # sources' once; the per-map work below touches the hole's pixels only
    flat_hole = np.flatnonzero(hole)
    src_y = source[..., 0].ravel()[flat_hole].astype(np.int64)
    src_x = source[..., 1].ravel()[flat_hole].astype(np.int64)
    if src_y.min() < 0 or src_y.max() >= h or src_x.min() < 0 or src_x.max() >= w:
        raise JobError("The fill's source map points outside the image.")
    flat_src = src_y * w + src_x
    m_hole = m.ravel()[flat_hole]
    out: list[MapPixels] = []
    pieces: tuple[np.ndarray, int] | None = None
    pairs: list[tuple[np.ndarray, ...]] = []
    system: tuple[object, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
    for i, mp in enumerate(maps):
        if abort():
            raise JobCancelled()
        progress(0.9 + 0.1 * i / len(maps), f"Material: copying into map {i + 1}/{len(maps)}")
        copied = _pixels(mp.rgb, flat_src)  # (N, 3): each hole pixel's source pixel
        core_albedo = mp.kind == "colour" and core_guide is not None and i == guide_index
        keep = mp.kind == "normal" and normal_length == "keep"  # exact copies promised
        levelled = mp.kind in SEAM_LEVELLED_KINDS or (
            mp.role in SEAM_LEVELLED_ROLES and method == "quilt"
        )
        if harmonise_colour and levelled and not core_albedo and not keep:
            if pieces is None:
                pieces = _seam_labels(source, hole)
                pairs = _seam_pairs(source, hole, pieces[0], wrap)
                system = _poisson_system(hole, _relax_region(pieces[0]))
            if mp.kind == "normal":
                values = _slopes(mp.rgb)
            elif np.array_equal(mp.rgb[..., 0], mp.rgb[..., 1]) and np.array_equal(
                mp.rgb[..., 0], mp.rgb[..., 2]
            ):
                values = np.ascontiguousarray(mp.rgb[..., :1])  # grey: level one channel
            else:
                values = mp.rgb
            mean, den = _known_mean(values, hole, wrap)
            levels = _seam_offsets(mean, den, pairs, pieces[1])
            membrane = _edge_membrane(mean, den, pairs, levels, pieces[0])
            level = levels[pieces[0].ravel()[flat_hole]] + _pixels(membrane, flat_hole)
            if SEAM_RELAX_ITERATIONS > 0 and system is not None and mp.kind in SEAM_RELAX_KINDS:
                level = _relax_seams(level, mean, den, pairs, system)
            if mp.kind == "normal":
                copied = _tilted(copied, level)
            elif mp.kind == "data":
                top = max(1.0, float(mp.rgb.max()))
                copied = np.clip(copied + level, min(0.0, float(mp.rgb.min())), top)
            else:
                copied = copied + level
        if mp.kind == "colour" and harmonise_colour:
            if core_albedo:
                assert core_guide is not None
                copied = _pixels(core_guide, flat_hole)[:, :3]
            else:
                full = _low_frequency_match(mp.rgb, _put(mp.rgb, flat_hole, copied), hole, block_px)
                copied = _pixels(full, flat_hole)
        before = _pixels(mp.rgb, flat_hole)
        filled = blend_pixels(before, copied, m_hole)
        if mp.kind == "normal" and normal_length == "keep":
            filled = _blend_lengths(before, copied, filled, m_hole)
        elif mp.kind == "normal":
            filled = renormalise(filled[:, None, :])[:, 0, :]
        rgb = _put(mp.rgb, flat_hole, filled)
        alpha = None
        if mp.alpha is not None:
            a_hole = blend_pixels(_pixels(mp.alpha, flat_hole), _pixels(mp.alpha, flat_src), m_hole)
            alpha = _put(mp.alpha, flat_hole, a_hole)
        out.append(MapPixels(np.ascontiguousarray(rgb), alpha, mp.kind, mp.role))
    progress(1.0, "Done")
    return SetFill(out, source, m, time.perf_counter() - t0, method=method, note=note)


def seamless_material(
    maps: Sequence[MapPixels],
    band_px: int | None = None,
    *,
    guide_index: int = 0,
    guide_weights: dict[str, float] | None = None,
    seed: int = 0,
    normal_length: str = "unit",
    method: str = "auto",
    force: bool = False,
    abort: AbortFn = lambda: False,
    progress: ProgressFn = _no_progress,
) -> SetFill:
    """Make every map of a set tile, with one shared fill of the wrap seams (module doc).

    Args:
        maps: the set's maps, all of one size.
        band_px: band width over each seam in pixels (2 .. half the shorter side); None =
            from the albedo's scale (:func:`texpaint.engine.seamless.plan_seamless`).
        guide_index, guide_weights, seed, normal_length, method, abort, progress: as
            :func:`fill_material`.
        force: synthesise even when every map already tiles.

    Returns:
        :class:`SetFill` in the maps' own (unrolled) frame: ``source`` and ``mask`` are
        rolled back too, so ``source`` indexes the input maps; pixels outside the band are
        bit-identical. When every map already tiles (its wrap seams look like its own
        interior lines, :func:`texpaint.imaging.seams.wrap_check`) and not ``force``, the maps
        come back as they are with ``unchanged=True``. Unlike single-image Make Seamless, the
        size never changes (no fit to the lattice period) and lighting is not evened (that
        would change data maps).

    Raises:
        JobError: band width out of range, sizes differ.
        JobCancelled: ``abort()`` returned True.
    """
    from texpaint.engine.seamless import plan_seamless, seam_band_mask
    from texpaint.imaging.seams import wrap_check

    if not maps:
        raise JobError("A material set needs at least one map.")
    h, w = maps[0].rgb.shape[:2]
    plan = plan_seamless(
        maps[guide_index].rgb, band_px, fit_to_period=False, even_lighting=False, force=force
    )
    if plan.unchanged and all(wrap_check(mp.rgb).tiles for mp in maps):
        from texpaint.synthesis.source_map import identity_source_map

        same = [MapPixels(mp.rgb, mp.alpha, mp.kind, mp.role) for mp in maps]
        return SetFill(same, identity_source_map(h, w), np.zeros((h, w), np.float32), 0.0, True)
    if plan.unchanged:  # the albedo tiles but another map does not: plan the band anyway
        plan = plan_seamless(
            maps[guide_index].rgb, band_px, fit_to_period=False, even_lighting=False, force=True
        )
    mask = seam_band_mask(h, w, plan.band_px)
    shift = (h // 2, w // 2)

    def roll(a: np.ndarray | None) -> np.ndarray | None:
        return None if a is None else np.roll(a, shift, axis=(0, 1))

    rolled = [MapPixels(roll(mp.rgb), roll(mp.alpha), mp.kind, mp.role) for mp in maps]  # type: ignore[arg-type]
    res = fill_material(
        rolled,
        mask,
        guide_index=guide_index,
        guide_weights=guide_weights,
        wrap=True,
        seed=seed,
        normal_length=normal_length,
        method=method,
        abort=abort,
        progress=progress,
    )

    def unroll(a: np.ndarray | None) -> np.ndarray | None:
        if a is None:
            return None
        return np.ascontiguousarray(np.roll(a, (-shift[0], -shift[1]), axis=(0, 1)))

    back = [MapPixels(unroll(mp.rgb), unroll(mp.alpha), mp.kind, mp.role) for mp in res.maps]  # type: ignore[arg-type]
    # source indices of the rolled frame -> the input frame
    src = unroll(res.source)
    assert src is not None
    src = np.stack([(src[..., 0] - shift[0]) % h, (src[..., 1] - shift[1]) % w], axis=-1)
    m = unroll(res.mask)
    assert m is not None
    return SetFill(back, src.astype(np.int32), m, res.seconds, method=res.method, note=res.note)
