"""Multi-scale patch-based completion of a hole: the fill of Inpaint (and of Make Seamless's
band).

Method: Y. Wexler, E. Shechtman & M. Irani, "Space-Time Completion of Video", IEEE TPAMI 2007
(image completion as an EM-like optimisation over a Gaussian pyramid): at each level, from the
coarsest up,

1. search: a PatchMatch nearest-neighbour field (:mod:`texpaint.synthesis.nnf`) from every
   patch that touches the hole to fully known source patches, trying the texture's dominant
   patch offsets (K. He & J. Sun, "Statistics of Patch Offsets for Image Completion", ECCV
   2012; :mod:`texpaint.synthesis.offsets`) at every pixel and making other offsets pay a
   cost that grows with how periodic the texture is, so periodic structure (mortar, grout,
   plank gaps) is copied from whole periods away while stochastic textures keep a free
   search. For textures that are not periodic, above the coarsest level the patch
   distance compares the colour low-passed (:attr:`CompletionSettings.match_sigma_px`):
   the fill a level starts from is the blurred vote of the level below, and on unfiltered
   colour smooth sources match it better than detailed ones of the same shapes, which
   flattens large holes;
2. vote: each hole pixel becomes a blend of the similarity-weighted mean of the source
   pixels the overlapping patches propose (Wexler et al.'s vote) and the pixel copied from
   the lowest-cost patch covering it (no averaging). The mean alone fills large holes in
   stochastic textures (rock, plaster, rusty metal) with a flat, averaged texture that the
   next level's search then matches with flat sources; the copy keeps the texture's
   contrast. The copy's share is larger for stochastic textures (low offset
   concentration) than for periodic ones, where the mean keeps lines where the
   overlapping patches agree;

the field of a level, doubled, starts the next finer level. The coarsest level starts from
a greedy labelling of the hole with the dominant offsets in onion-peel order
(:func:`texpaint.synthesis.nnf.offset_fill`), not from a smooth fill, so the EM keeps the
lattice. At the finest level the hole is *composed without averaging*: every hole pixel takes
the offset of the lowest-cost patch that covers it, so whole source patches are copied and
the result keeps the source's sharpness (cf. the patch-copying composition of V. Kwatra,
A. Schödl, I. Essa, G. Turk & A. Bobick, "Graphcut Textures", SIGGRAPH 2003, where patches
are copied whole and joined at seams); then the colour steps at the hole's edge are removed
by a membrane (:func:`_membrane`) and, for periodic textures, the copy's local mean (sigma
:attr:`CompletionSettings.base_sigma_px`) is moved towards that of a last vote (in
proportion to the offset concentration), which keeps the copied detail whole while
structure lands where the overlapping patches agree.

Guidance channels (:func:`complete`'s ``guide``) are appended to the colour in the patch
distance (weighted, never synthesised): a caller can steer the search with any per-pixel map
known inside the hole.

numpy + OpenCV + numba (no Qt, no torch).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Literal, overload

import cv2
import numpy as np

from texpaint.synthesis import nnf
from texpaint.synthesis.offsets import OffsetStats, dominant_offsets

__all__ = [
    "SynthesisCancelled",
    "CompletionSettings",
    "complete",
    "identity_source",
    "smooth_fill",
]


class SynthesisCancelled(Exception):
    """``abort()`` returned True during :func:`complete`."""


@dataclass(frozen=True)
class CompletionSettings:
    """Tunable settings of :func:`complete` (defaults chosen on ``cc0-1k/val``, see
    ``benchmarks/RESULTS.md``).

    Attributes:
        patch_radius: patch radius in pixels at the fine levels (3: 7 x 7 patches).
        patch_radius_coarse: patch radius at the levels below ``fine_from_px``.
        coarse_radius_px: the coarsest level is the first where the hole's inscribed radius is
            at most this many pixels.
        min_side_px: no level is smaller than this on its shorter side.
        em_coarse, em_fine: EM iterations (search + vote) at the coarsest level and at each
            finer level; the finest level runs ``em_finest``, the levels between it and
            ``fine_from_px`` (images of 800 px and more) ``em_fine_large``; a hole small
            enough for one level runs ``em_single``.
        sweeps: PatchMatch sweeps per EM iteration.
        sweeps_fine, n_candidates_fine: the same for the *fine* levels, those whose longer
            side is at least ``fine_from_px`` (there the field comes from the level below and
            needs only local refinement; this bounds the time at 1-4K).
        fine_from_px: see ``sweeps_fine``.
        search_fine_px: random-search window (px) at the finest level and the fine levels
            (their field comes from the level below; coarser levels search the whole image).
        n_candidates: dominant offsets tried at every target pixel.
        structure_weight: the cost of a non-dominant offset is ``structure_weight *
            min(1, concentration / concentration_ref) * 2 * variance`` of the known colours
            (mean squared difference per pixel and channel, the patch distance's unit).
        concentration_ref: see ``structure_weight``.
        offset_init: start the coarsest level from the greedy offset labelling
            (:func:`texpaint.synthesis.nnf.offset_fill`) instead of the smooth fill.
        compose: finish with the patch-copy composition (False: with a last vote, which
            averages overlapping patches; an ablation).
        base_sigma_px: when > 0, the composed fill's local mean (Gaussian of this sigma, px)
            is replaced by that of a last vote: detail copied, base averaged.
        vote_percentile: the vote weights are ``exp(-cost / (2 sigma2))`` with ``sigma2`` this
            percentile of the targets' patch costs (lower: sharper, fewer patches averaged).
        seam_sweeps: passes of :func:`texpaint.synthesis.nnf.seam_relabel` over the composed
            hole (seams between copied regions moved to where the copies agree; 0: off).
        seam_correction: add the membrane of the colour differences at the hole's edge to
            the copied pixels (:func:`_membrane`).
        em_vote: the vote of the EM iterations: ``"mean"`` (Wexler et al.'s weighted mean),
            ``"best"`` (each hole pixel copied from the lowest-cost patch covering it, as the
            finest level's composition) or ``"blend"`` (``b`` times the copy plus ``1 - b``
            times the mean, ``b`` from ``vote_blend``).
        vote_blend: the copy's share ``b`` of the ``"blend"`` vote; with
            ``blend_by_concentration`` this is its share for a fully periodic texture and
            ``b = 1 - (1 - vote_blend) * min(1, concentration / concentration_ref)``
            (stochastic textures copy more).
        blend_by_concentration: see ``vote_blend``.
        base_by_concentration: the ``base_sigma_px`` correction is scaled by
            ``min(1, concentration / concentration_ref)`` (stochastic textures keep more of
            the copy's own local mean, which the last vote flattens).
        match_sigma_px: for textures whose offset concentration is under
            ``concentration_ref`` (not periodic), at every level but the coarsest, the patch
            distance compares the colour low-passed by a Gaussian of this sigma (px of the
            level), in the hole and in the sources alike, while the vote and the
            composition copy the unfiltered colour. The current fill of a finer level is
            the vote of the level below, so it is blurred; a plain distance then prefers
            smooth sources to detailed ones with the same shapes, and large holes come out
            flatter than the texture. On the low-passed colour they tie, so the fill keeps
            the texture's detail. Periodic textures keep the plain distance: the blur lets
            their lattice copies slip by a pixel or two (brick and tile walls lost 1-2 dB).
            0: off.
    """

    patch_radius: int = 3
    patch_radius_coarse: int = 5
    coarse_radius_px: float = 12.0
    min_side_px: int = 32
    em_coarse: int = 6
    em_fine: int = 3
    em_finest: int = 1
    em_fine_large: int = 2
    em_single: int = 1
    sweeps: int = 2
    sweeps_fine: int = 1
    fine_from_px: int = 400
    search_fine_px: int = 8
    n_candidates: int = 16
    n_candidates_fine: int = 4
    structure_weight: float = 0.25
    concentration_ref: float = 0.08
    offset_init: bool = True
    seam_correction: bool = True
    compose: bool = True
    base_sigma_px: float = 2.0
    vote_percentile: float = 75.0
    seam_sweeps: int = 0
    em_vote: str = "blend"
    vote_blend: float = 0.3
    base_by_concentration: bool = True
    blend_by_concentration: bool = True
    match_sigma_px: float = 2.0


MEMBRANE_SIGMA_PX = 2.0
"""Gaussian sigma (px) of the local means compared at the hole's edge (:func:`_membrane`)."""

CHUNK = 8192
"""Targets per compiled call: abort and progress are polled between chunks (< 0.1 s each)."""


def smooth_fill(image: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """A smooth colour fill of the hole from its surroundings by push-pull (masked area
    averages down a pyramid, filled back up; Gortler et al., "The Lumigraph", 1996).

    Args:
        image: float32 ``(H, W, C)``.
        hole: bool ``(H, W)``.

    Returns:
        float32 ``(H, W, C)``: ``image`` outside the hole, the fill inside.
    """
    known = (~hole).astype(np.float32)
    filled = _push_pull(image * known[..., None], known)
    filled[~hole] = image[~hole]
    return filled


def _resize(a: np.ndarray, size: tuple[int, int], interpolation: int) -> np.ndarray:
    """``cv2.resize`` of float32 ``(H, W)`` or ``(H, W, C)`` to ``size`` = ``(width, height)``
    pixels for any number of channels ``C``: OpenCV resizes at most 4 channels at a time at
    non-integer scales (an odd side halved), so wider arrays (a material set's 6-7 channel
    guide) go through in groups of 4. Returns ``(height, width, C)`` (``(height, width, 1)``
    for a 2-D input)."""
    w, h = size
    if a.ndim == 3 and a.shape[2] > 4:
        parts = [
            cv2.resize(a[..., i : i + 4], size, interpolation=interpolation).reshape(h, w, -1)
            for i in range(0, a.shape[2], 4)
        ]
        return np.concatenate(parts, axis=2)
    return cv2.resize(a, size, interpolation=interpolation).reshape(h, w, -1)


def _push_pull(weighted: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Push-pull of :func:`smooth_fill`: ``weighted`` float32 ``(H, W, C)`` is the image times
    ``known`` (float32 ``(H, W)`` in [0, 1]); returns the fill float32 ``(H, W, C)`` (a new
    array; ``weighted`` is not changed). Works in place where it can (one full-size array
    beside the inputs)."""
    levels: list[tuple[np.ndarray, np.ndarray]] = [(weighted, known)]
    while min(levels[-1][1].shape) > 1 and levels[-1][1].min() == 0:
        c, k = levels[-1]
        h, w = k.shape
        size = (max(1, (w + 1) // 2), max(1, (h + 1) // 2))
        c2 = _resize(c, size, cv2.INTER_AREA)
        k2 = cv2.resize(k, size, interpolation=cv2.INTER_AREA).reshape(size[1], size[0])
        levels.append((c2, k2))
    c, k = levels[-1]
    filled = c / np.maximum(k, 1e-6)[..., None]
    for c, k in reversed(levels[:-1]):
        h, w = k.shape
        up = _resize(filled, (w, h), cv2.INTER_LINEAR)
        del filled
        up *= (1.0 - np.minimum(k, 1.0))[..., None]
        up += c
        filled = up
    return filled.reshape(weighted.shape).astype(np.float32, copy=False)


@dataclass
class _Level:
    colour: np.ndarray  # float32 (h, w, C)
    guide: np.ndarray | None  # float32 (h, w, G), already weighted
    hole: np.ndarray  # bool (h, w)
    scale: float  # this level's pixels per finest pixel


def _pyramid(image, hole, guide, n_levels) -> list[_Level]:
    levels = [_Level(image, guide, hole, 1.0)]
    for _ in range(n_levels - 1):
        prev = levels[-1]
        h, w = prev.hole.shape
        size = ((w + 1) // 2, (h + 1) // 2)

        def down(a: np.ndarray, size=size) -> np.ndarray:
            return _resize(a, size, cv2.INTER_AREA)

        hole_c = down(prev.hole.astype(np.float32))[..., 0] > 0
        g = None if prev.guide is None else down(prev.guide)
        levels.append(_Level(down(prev.colour), g, hole_c, prev.scale * size[0] / w))
    return levels[::-1]  # coarsest first


def _n_levels(hole: np.ndarray, s: CompletionSettings) -> int:
    radius = float(cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 5).max())
    n = 1
    side = min(hole.shape)
    while radius > s.coarse_radius_px and side / 2 >= s.min_side_px:
        radius /= 2
        side /= 2
        n += 1
    return n


def _penalty(
    h: int, w: int, cand: np.ndarray, cost: float, wrap: bool
) -> tuple[np.ndarray, np.float32, np.float32]:
    """The offset cost of a level as :func:`nnf.offset_penalty`'s arguments ``(pcand, lam,
    tau2)``: ``cost`` everywhere except within 1 px of a dominant offset of ``cand`` (and
    its wrapped copies) and of the zero offset (near-zero offsets only arise at a hole's
    edge)."""
    cand = np.asarray(cand, np.int32).reshape(-1, 2)
    if wrap and cand.size:
        shifts = np.array([(a * h, b * w) for a in (-1, 0, 1) for b in (-1, 0, 1)], np.int32)
        cand = (cand[:, None, :] + shifts[None, :, :]).reshape(-1, 2)
        keep = (np.abs(cand[:, 0]) <= h) & (np.abs(cand[:, 1]) <= w)
        cand = cand[keep]
    return np.ascontiguousarray(cand, np.int32), np.float32(max(0.0, cost)), np.float32(0.0)


@overload
def complete(
    image: np.ndarray,
    hole: np.ndarray,
    *,
    wrap: bool = False,
    guide: np.ndarray | None = None,
    guide_weight: float = 1.0,
    seed: int = 0,
    settings: CompletionSettings | None = None,
    offsets: OffsetStats | None = None,
    abort: Callable[[], bool] | None = None,
    progress: Callable[[float, str], None] | None = None,
    threads: int | None = None,
    return_source: Literal[False] = False,
) -> np.ndarray: ...


@overload
def complete(
    image: np.ndarray,
    hole: np.ndarray,
    *,
    wrap: bool = False,
    guide: np.ndarray | None = None,
    guide_weight: float = 1.0,
    seed: int = 0,
    settings: CompletionSettings | None = None,
    offsets: OffsetStats | None = None,
    abort: Callable[[], bool] | None = None,
    progress: Callable[[float, str], None] | None = None,
    threads: int | None = None,
    return_source: Literal[True],
) -> tuple[np.ndarray, np.ndarray]: ...


def complete(
    image: np.ndarray,
    hole: np.ndarray,
    *,
    wrap: bool = False,
    guide: np.ndarray | None = None,
    guide_weight: float = 1.0,
    seed: int = 0,
    settings: CompletionSettings | None = None,
    offsets: OffsetStats | None = None,
    abort: Callable[[], bool] | None = None,
    progress: Callable[[float, str], None] | None = None,
    threads: int | None = None,
    return_source: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Fill ``hole`` in ``image`` with the image's own texture (module doc).

    Args:
        image: float32 ``(H, W, C)``, any value range (the caller's; colour in [0, 1] for the
            default settings' tuning). Hole pixels are never read.
        hole: bool ``(H, W)``, True = to be filled.
        wrap: the image is a torus (seamless mode): patches, sources and offsets wrap round.
        guide: optional float32 ``(H, W, G)`` guidance channels, known everywhere (also in the
            hole); added to the patch distance with weight ``guide_weight``.
        guide_weight: multiplies ``guide`` before it enters the distance.
        seed: seeds every random choice (same inputs and seed, same output).
        settings: :class:`CompletionSettings` (None: the defaults).
        offsets: the texture's :class:`OffsetStats` in pixels of ``image`` (None: computed
            from the known region here).
        abort: polled between chunks of work (< 0.1 s apart); True raises
            :class:`SynthesisCancelled`.
        progress: called with ``(fraction in [0, 1], message)`` as the work proceeds.
        threads: threads for the PatchMatch sweeps (each sweeps its own band of the hole's
            rows; None: :func:`default_threads`).
        return_source: also return the per-pixel source positions of the fill.

    Returns:
        float32 ``(H, W, C)``: ``image`` with the hole filled; pixels outside the hole are
        bit-identical to ``image``. With ``return_source``, the pair ``(image, source)``:
        ``source`` int32 ``(H, W, 2)`` holds for every pixel the absolute ``(row, col)`` of
        the known pixel its colour was copied from (in ``[0, H) x [0, W)``, already taken
        modulo the size when ``wrap``; never a hole pixel); the identity outside the hole.
        The returned colour is that copy plus smooth low-frequency corrections (the edge
        membrane and the vote's local mean), so applying ``source`` to another map of the
        same surface (normal, height) gives that map's fill without those corrections.

    Raises:
        ValueError: shapes do not match, or no fully known patch exists to copy from.
        SynthesisCancelled: ``abort()`` returned True.
    """
    s = settings or CompletionSettings()
    image = np.asarray(image, np.float32)
    hole = np.asarray(hole, bool)
    if image.ndim != 3 or image.shape[:2] != hole.shape:
        raise ValueError(f"image {image.shape} and hole {hole.shape} do not match")
    if guide is not None and guide.shape[:2] != hole.shape:
        raise ValueError(f"guide {guide.shape} does not match the hole {hole.shape}")
    if not hole.any():
        return (image.copy(), identity_source(hole.shape)) if return_source else image.copy()
    rng = np.random.default_rng(seed)

    def check() -> None:
        if abort is not None and abort():
            raise SynthesisCancelled()

    def report(f: float, msg: str) -> None:
        if progress is not None:
            progress(min(1.0, max(0.0, f)), msg)

    report(0.0, "analysing the texture's repeats")
    colour = np.where(hole[..., None], 0.0, image).astype(np.float32)
    if offsets is None:
        offsets = dominant_offsets(colour, ~hole, wrap, seed)
    del colour
    check()
    known_vals = image[~hole]
    var = float(known_vals.var(axis=0).mean()) if known_vals.size else 0.0
    lam = s.structure_weight * min(1.0, offsets.concentration / s.concentration_ref) * 2.0 * var

    n_threads = threads or default_threads()
    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        out, source = _complete_levels(
            image, hole, wrap, guide, guide_weight, s, offsets, rng, lam, n_threads, pool,
            check, report, return_source,
        )  # fmt: skip
    if not return_source:
        return out
    assert source is not None
    return out, source


def identity_source(shape: tuple[int, int]) -> np.ndarray:
    """The identity source map of an ``(H, W)`` image: int32 ``(H, W, 2)``, ``[y, x] = (y, x)``."""
    yy, xx = np.indices(shape, dtype=np.int32)
    return np.stack([yy, xx], axis=-1)


def _complete_levels(
    image,
    hole,
    wrap,
    guide,
    guide_weight,
    s,
    offsets,
    rng,
    lam,
    n_threads,
    pool,
    check,
    report,
    want_source,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The pyramid loop of :func:`complete` (arguments as there, already checked); returns
    the filled image and, when ``want_source``, its source map (:func:`complete`'s
    ``return_source``; None otherwise)."""
    h, w, nc = image.shape

    def radius(shape: tuple[int, ...]) -> int:
        return s.patch_radius if max(shape[:2]) >= s.fine_from_px else s.patch_radius_coarse

    colour = np.where(hole[..., None], 0.0, image).astype(np.float32)
    guide_w = None if guide is None else np.asarray(guide, np.float32) * guide_weight
    n_levels = _n_levels(hole, s)
    levels = _pyramid(smooth_fill(colour, hole), hole, guide_w, n_levels)
    del colour
    # a level must have some fully known patch; drop coarse levels that have none
    while (
        len(levels) > 1 and not _sources(levels[0].hole, radius(levels[0].hole.shape), wrap)[1].size
    ):
        levels.pop(0)
    # work estimate for progress: targets x passes per level
    plan = []
    for li, lv in enumerate(levels):
        finest = li == len(levels) - 1
        em = s.em_finest if finest else (s.em_coarse if li == 0 else s.em_fine)
        if not finest and li > 0 and max(lv.hole.shape) >= s.fine_from_px:
            em = s.em_fine_large
        if finest and li == 0:  # one level only (a small hole): no coarser field to start
            em = s.em_single
        n_t = int(nnf.dilate_mask(lv.hole, radius(lv.hole.shape), wrap).sum())
        sweeps = s.sweeps_fine if max(lv.hole.shape) >= s.fine_from_px and li else s.sweeps
        plan.append((em, n_t * em * (sweeps + 1), sweeps))
    total = float(sum(p[1] for p in plan)) or 1.0
    done = 0.0
    prev_field: np.ndarray | None = None
    prev_shape: tuple[int, int] = (0, 0)
    periodic = min(1.0, offsets.concentration / s.concentration_ref)
    blend = s.vote_blend
    if s.blend_by_concentration:  # stochastic textures: copy; periodic ones: blend
        blend = 1.0 - (1.0 - s.vote_blend) * periodic
    out = None
    source = None
    for li, lv in enumerate(levels):
        finest = li == len(levels) - 1
        lh, lw = lv.hole.shape
        r = radius(lv.hole.shape)
        src_ok, sy, sx = _sources(lv.hole, r, wrap)
        if sy.size == 0:
            raise ValueError("no fully known patch to copy from: the hole covers too much")
        is_target = nnf.dilate_mask(lv.hole, r, wrap)
        ty, tx = (a.astype(np.int32) for a in np.nonzero(is_target))
        f = lw / w
        em, _work, sweeps = plan[li]
        fine = max(lh, lw) >= s.fine_from_px and li > 0
        cand = offsets.scaled(f)[: s.n_candidates_fine if fine else s.n_candidates]
        penalty = _penalty(lh, lw, cand, lam, wrap)
        if lv.guide is None:  # the level's own array (not used after this level)
            feat = np.ascontiguousarray(lv.colour, np.float32)
        else:
            feat = np.ascontiguousarray(np.concatenate([lv.colour, lv.guide], axis=2), np.float32)
        lv.colour = lv.guide = None  # type: ignore[assignment]
        hole_l = lv.hole
        hidx = _hole_index(hole_l)
        field = np.zeros((lh, lw, 2), np.int32)
        if prev_field is not None:
            ph, pw = prev_shape
            cy = np.minimum(ty * ph // lh, ph - 1)
            cx = np.minimum(tx * pw // lw, pw - 1)
            field[ty, tx, 0] = np.round(prev_field[cy, cx, 0] * lh / ph).astype(np.int32)
            field[ty, tx, 1] = np.round(prev_field[cy, cx, 1] * lw / pw).astype(np.int32)
        if li == 0 and s.offset_init and offsets.offsets.size:
            all_cand = offsets.scaled(f)
            if all_cand.size:
                _offset_init(feat, nc, hole_l, field, all_cand, r, wrap)
        match_sigma = s.match_sigma_px if li > 0 and periodic < 1.0 else 0.0
        sfeat = _search_features(feat, nc, match_sigma, wrap)
        cost = np.full((lh, lw), np.inf, np.float32)
        nnf.init_field(
            sfeat, src_ok, *penalty, field, cost, ty, tx, sy, sx, r, wrap,
            int(rng.integers(1 << 30)),
        )  # fmt: skip
        if prev_field is not None:  # the upsampled field's vote starts this level
            _vote(feat, nc, hidx, field, cost, ty, tx, r, wrap, pool, n_threads, s.vote_percentile)
            sfeat = _search_features(feat, nc, match_sigma, wrap)
            _patch_cost(sfeat, penalty, field, cost, ty, tx, r, wrap, pool, n_threads)
        search = s.search_fine_px if ((finest or fine) and li > 0) else max(lh, lw)
        msg = f"Inpainting: searching patches, scale {li + 1}/{len(levels)}"
        for it in range(em):
            for sw in range(sweeps):
                reverse = (it * sweeps + sw) % 2 == 1

                run = partial(
                    _sweep_chunk,
                    (sfeat, src_ok, is_target, penalty, field, cost, ty, tx, cand, r, wrap),
                    reverse,
                    search,
                )

                for batch in _chunks(ty.size, n_threads, rng):
                    check()
                    if len(batch) == 1:
                        run(batch[0])
                    else:
                        list(pool.map(run, batch))
                    done += sum(b - a for a, b, _ in batch)
                    report(done / total, msg)
            check()
            if finest and it == em - 1 and s.compose:
                break
            _vote(
                feat, nc, hidx, field, cost, ty, tx, r, wrap, pool, n_threads, s.vote_percentile,
                s.em_vote, blend,
            )  # fmt: skip
            sfeat = _search_features(feat, nc, match_sigma, wrap)
            _patch_cost(sfeat, penalty, field, cost, ty, tx, r, wrap, pool, n_threads)
            done += ty.size
            report(done / total, msg)
        prev_field, prev_shape = field, (lh, lw)
        del sfeat
        if not finest:
            continue
        del src_ok, is_target
        if s.compose:
            voted = None
            if s.base_sigma_px > 0:  # compact (hole pixels only); feat is not needed after
                voted = _vote_values(
                    feat, nc, hidx, field, cost, ty, tx, r, wrap, pool, n_threads, s.vote_percentile
                )
            del feat
            out, source = _compose(
                image, hole, field, cost, ty, tx, r, wrap, s.seam_correction, want_source,
                s.seam_sweeps,
            )  # fmt: skip
            del field, cost
            prev_field = None
            if voted is not None:
                # the copied detail over the vote's local mean (no detail is averaged away)
                hy, hx = hidx[1], hidx[2]
                diff = np.zeros((h, w, nc), np.float32)
                diff[hy, hx] = voted - out[hy, hx]
                del voted
                low = _blur(diff, s.base_sigma_px, wrap).reshape(out.shape)
                del diff
                if s.base_by_concentration:
                    low *= periodic
                out[hy, hx] += low[hy, hx]
        else:
            out = image.copy()
            out[hole] = feat[..., :nc][hole]
            if want_source:
                _, source = _compose(image, hole, field, cost, ty, tx, r, wrap, False, True)
    assert out is not None
    report(1.0, "Inpainting: done")
    return out, source


def _offset_init(feat, nc, hole, field, cand, r, wrap) -> None:
    """Fill the hole's colour channels of ``feat`` by the greedy offset labelling in onion-peel
    order (boundary first) and start ``field`` at each filled pixel's offset."""
    dist = cv2.distanceTransform(hole.astype(np.uint8), cv2.DIST_L2, 3)
    yy, xx = np.nonzero(hole)
    order = np.argsort(dist[yy, xx], kind="stable")
    oy, ox = yy[order].astype(np.int32), xx[order].astype(np.int32)
    colour = np.ascontiguousarray(feat[..., :nc])
    filled = ~hole
    label = np.full(hole.shape, -1, np.int32)
    for _ in range(3):  # pixels without a filled source may get one once others are filled
        if nnf.offset_fill(colour, filled, label, oy, ox, cand, r, wrap) == 0:
            break
    feat[..., :nc] = colour
    ly, lx = np.nonzero(label >= 0)
    field[ly, lx] = cand[label[ly, lx]]


def _sweep_chunk(arrays: tuple, reverse: bool, search: int, ab: tuple[int, int, int]) -> None:
    """:func:`nnf.sweep` over targets ``ab[0]:ab[1]`` with seed ``ab[2]``."""
    feat, src_ok, is_target, penalty, field, cost, ty, tx, cand, r, wrap = arrays
    pc, lam, tau2 = penalty
    nnf.sweep(
        feat, src_ok, is_target, pc, lam, tau2, field, cost, ty, tx, cand, r, wrap, reverse, search,
        ab[2], ab[0], ab[1],
    )  # fmt: skip


def _chunks(n: int, bands: int, rng: np.random.Generator):
    """Rounds of work over ``n`` scan-ordered targets split into ``bands`` contiguous bands
    (one per thread): each round is a list of ``(start, end, seed)``, at most one chunk of
    :data:`CHUNK` targets per band."""
    bands = max(1, min(bands, n // CHUNK + 1))
    edges = np.linspace(0, n, bands + 1).astype(int)
    pos = list(edges[:-1])
    while True:
        batch = []
        for j in range(bands):
            a, b = pos[j], min(int(edges[j + 1]), pos[j] + CHUNK)
            if a < b:
                batch.append((int(a), int(b), int(rng.integers(1 << 30))))
                pos[j] = b
        if not batch:
            return
        yield batch


def default_threads() -> int:
    """Threads for the patch search: the CPUs this process may use, at most 4."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    return max(1, min(4, n))


def _sources(hole: np.ndarray, r: int, wrap: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(src_ok, sy, sx)``: bool ``(H, W)``, True at the centres of fully known patches
    (inside the image unless ``wrap``), and int32 coordinates of those centres: all of them
    up to :data:`MAX_SOURCES`, else that many spread evenly over the scan order (they only
    seed the field's random start)."""
    ok = ~nnf.dilate_mask(hole, r, wrap)
    if not wrap:
        ok[:r] = False
        ok[ok.shape[0] - r :] = False
        ok[:, :r] = False
        ok[:, ok.shape[1] - r :] = False
    flat = np.flatnonzero(ok)
    if flat.size > MAX_SOURCES:
        flat = flat[:: -(-flat.size // MAX_SOURCES)]
    sy, sx = np.divmod(flat, ok.shape[1])
    return ok, sy.astype(np.int32), sx.astype(np.int32)


MAX_SOURCES = 1 << 20
"""At most this many source centres are listed per level (:func:`_sources`)."""


def _blur(a: np.ndarray, sigma: float, wrap: bool) -> np.ndarray:
    """Gaussian blur (sigma in px) of a 2-D or 3-D float32 array; wraps round when ``wrap``
    (OpenCV has no wrapping border for filters: pad, blur, crop)."""
    if not wrap:
        return cv2.GaussianBlur(a, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    p = min(int(np.ceil(4 * sigma)) + 1, *a.shape[:2])
    widths = [(p, p), (p, p)] + [(0, 0)] * (a.ndim - 2)
    big = cv2.GaussianBlur(np.pad(a, widths, mode="wrap"), (0, 0), sigma)
    return big[p:-p, p:-p].reshape(a.shape)


def _bands(n: int, k: int) -> list[tuple[int, int]]:
    """``k`` contiguous ranges covering ``range(n)`` (fewer when ``n`` is small)."""
    k = max(1, min(k, n // CHUNK + 1))
    edges = np.linspace(0, n, k + 1).astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _patch_cost(feat, penalty, field, cost, ty, tx, r, wrap, pool, n_threads) -> None:
    """:func:`nnf.patch_cost` of every target, the target list split over the threads."""
    bands = _bands(ty.size, n_threads)
    pc, lam, tau2 = penalty
    args = (feat, pc, lam, tau2, field, cost, ty, tx, r, wrap)
    list(pool.map(lambda ab: nnf.patch_cost(*args, ab[0], ab[1]), bands))


def _search_features(feat: np.ndarray, nc: int, sigma: float, wrap: bool) -> np.ndarray:
    """The array the patch distance compares (:attr:`CompletionSettings.match_sigma_px`):
    ``feat`` float32 ``(h, w, C)`` itself when ``sigma`` is 0, else a copy whose first ``nc``
    (colour) channels are Gaussian-blurred with ``sigma`` px (wrapping round when ``wrap``);
    guidance channels are kept as they are."""
    if sigma <= 0:
        return feat
    out = feat.copy()
    h, w = feat.shape[:2]
    out[..., :nc] = _blur(np.ascontiguousarray(feat[..., :nc]), sigma, wrap).reshape(h, w, nc)
    return out


def _hole_index(hole: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(index, hy, hx)``: int32 ``(H, W)`` row of each hole pixel in compact per-hole arrays
    (-1 outside), and the hole pixels' coordinates (int64 ``(N,)``, scan order)."""
    hy, hx = np.nonzero(hole)
    index = np.full(hole.shape, -1, np.int32)
    index[hy, hx] = np.arange(hy.size, dtype=np.int32)
    return index, hy, hx


def _vote_values(
    feat, nc, hidx, field, cost, ty, tx, r, wrap, pool, n_threads, pct=75.0
) -> np.ndarray:
    """Wexler et al.'s weighted vote of the hole pixels (``hidx`` from :func:`_hole_index`):
    float32 ``(N, nc)`` in the order of ``hidx``'s coordinates; a pixel no patch covers keeps
    ``feat``'s value. One compact accumulator per thread, summed."""
    index, hy, hx = hidx
    finite = cost[ty, tx]
    finite = finite[np.isfinite(finite)]
    sigma2 = float(np.percentile(finite, pct)) + 1e-6 if finite.size else 1.0
    bands = _bands(ty.size, n_threads)
    accs = [np.zeros((hy.size, nc), np.float64) for _ in bands]
    wsums = [np.zeros(hy.size, np.float64) for _ in bands]

    def one(i: int) -> None:
        a, b = bands[i]
        nnf.vote(
            feat, nc, index, field, cost, ty, tx, r, wrap, sigma2, accs[i], wsums[i], a, b
        )  # fmt: skip

    list(pool.map(one, range(len(bands))))
    acc, wsum = accs[0], wsums[0]
    for a2, w2 in zip(accs[1:], wsums[1:], strict=True):
        acc += a2
        wsum += w2
    out = feat[hy, hx, :nc].copy()
    ok = wsum > 0
    out[ok] = (acc[ok] / wsum[ok][:, None]).astype(np.float32)
    return out


def _vote(
    feat,
    nc,
    hidx,
    field,
    cost,
    ty,
    tx,
    r,
    wrap,
    pool,
    n_threads,
    pct=75.0,
    mode="mean",
    blend=0.5,
) -> None:
    """Replace the hole's colour channels of ``feat`` by the vote of the field: ``mode``
    ``"mean"``, Wexler et al.'s weighted mean (:func:`_vote_values`); ``"best"``, each pixel
    copied from the lowest-cost patch covering it (the finest level's composition,
    :func:`texpaint.synthesis.nnf.compose`, so no detail is averaged away); ``"blend"``,
    ``blend`` times the copy plus ``1 - blend`` times the mean."""
    if mode not in ("mean", "best", "blend"):
        raise ValueError(f"unknown vote mode {mode!r}")
    mean = None
    if mode != "best":
        mean = _vote_values(feat, nc, hidx, field, cost, ty, tx, r, wrap, pool, n_threads, pct)
        if mode == "mean":
            feat[hidx[1], hidx[2], :nc] = mean
            return
    index, hy, hx = hidx
    h, w = feat.shape[:2]
    best = np.full((h, w), np.inf, np.float32)
    label = np.zeros((h, w, 2), np.int32)
    nnf.compose(index >= 0, field, cost, ty, tx, r, wrap, best, label)
    ok = np.isfinite(best[hy, hx])
    del best
    sy, sx = hy + label[hy, hx, 0], hx + label[hy, hx, 1]
    del label
    if wrap:
        sy, sx = sy % h, sx % w
    else:
        sy, sx = np.clip(sy, 0, h - 1), np.clip(sx, 0, w - 1)
    copy = feat[sy, sx, :nc]  # known pixels (sources are fully known patches)
    if mean is None:
        feat[hy[ok], hx[ok], :nc] = copy[ok]
    else:
        feat[hy, hx, :nc] = np.where(ok[:, None], blend * copy + (1.0 - blend) * mean, mean)


def _compose(
    image, hole, field, cost, ty, tx, r, wrap, seam_correction, want_source, seam_sweeps=0
):
    """Copy each hole pixel from the offset of the best patch covering it (no averaging);
    with ``seam_correction``, add the edge membrane (:func:`_membrane`). Returns the image
    and, when ``want_source``, the source map (:func:`identity_source` outside the hole;
    None otherwise)."""
    h, w = hole.shape
    best = np.full((h, w), np.inf, np.float32)
    label = np.zeros((h, w, 2), np.int32)
    nnf.compose(hole, field, cost, ty, tx, r, wrap, best, label)
    yy, xx = np.nonzero(hole)
    if seam_sweeps > 0:
        img = np.ascontiguousarray(image, np.float32)
        nnf.seam_relabel(img, hole, label, yy, xx, seam_sweeps, wrap)
    unset = ~np.isfinite(best[yy, xx])
    del best
    sy = yy + label[yy, xx, 0]
    sx = xx + label[yy, xx, 1]
    if wrap:
        sy %= h
        sx %= w
    else:
        sy = np.clip(sy, 0, h - 1)
        sx = np.clip(sx, 0, w - 1)
    out = image.copy()
    out[yy, xx] = image[sy, sx]
    if unset.any():  # no patch covered it (cannot happen with a dilated target set)
        out[yy[unset], xx[unset]] = 0.0
    if seam_correction:
        out[yy, xx] += _membrane(image, hole, label, wrap, yy, xx)
    source = None
    if want_source:
        source = identity_source((h, w))
        source[yy, xx, 0] = sy
        source[yy, xx, 1] = sx
    return out, source


def _membrane(image, hole, label, wrap, yy, xx) -> np.ndarray:
    """Seam correction at the hole's edge: the differences, on the ring of known pixels around
    the hole, between each pixel's local mean and that of the pixel the copied texture of its
    hole neighbour would put there, interpolated smoothly over the hole (push-pull,
    :func:`smooth_fill`; a membrane as in Farbman et al., "Coordinates for Instant Image
    Cloning", SIGGRAPH 2009). Adding it to the copied pixels removes colour and shading steps
    at the hole's edge. Returns float32 ``(N, C)`` at the hole pixels ``yy, xx``."""
    h, w = hole.shape
    nc = image.shape[2]
    ring = nnf.dilate_mask(hole, 1, wrap)
    ring &= ~hole
    qy, qx = np.nonzero(ring)
    del ring
    lab = np.zeros((qy.size, 2), np.int32)
    has = np.zeros(qy.size, bool)
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        ny, nx = qy + dy, qx + dx
        if wrap:
            ny, nx = ny % h, nx % w
            valid = np.ones(qy.size, bool)
        else:
            valid = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
            ny, nx = np.clip(ny, 0, h - 1), np.clip(nx, 0, w - 1)
        sel = valid & ~has & hole[ny, nx]
        lab[sel] = label[ny[sel], nx[sel]]
        has |= sel
    qy, qx, lab = qy[has], qx[has], lab[has]
    sy, sx = qy + lab[:, 0], qx + lab[:, 1]
    if wrap:
        sy, sx = sy % h, sx % w
    inside = (sy >= 0) & (sy < h) & (sx >= 0) & (sx < w)
    qy, qx, sy, sx = qy[inside], qx[inside], sy[inside], sx[inside]
    ok = ~hole[sy, sx]
    qy, qx, sy, sx = qy[ok], qx[ok], sy[ok], sx[ok]
    if qy.size == 0:
        return np.zeros((yy.size, nc), np.float32)
    # compare local means of the known pixels, not single noisy pixels
    known = ~hole
    img = np.ascontiguousarray(image, np.float32)
    q_mean = nnf.local_mean(img, known, qy, qx, MEMBRANE_SIGMA_PX, wrap)
    s_mean = nnf.local_mean(img, known, sy, sx, MEMBRANE_SIGMA_PX, wrap)
    del known
    return _ring_interpolate(q_mean - s_mean, qy, qx, (h, w), yy, xx)


def _ring_interpolate(values, qy, qx, shape, yy, xx) -> np.ndarray:
    """Push-pull interpolation (:func:`smooth_fill`) of ``values`` float32 ``(M, C)`` given
    at the ring pixels ``qy, qx`` over an image of ``shape``, read at ``yy, xx``: float32
    ``(N, C)``. The full-size level is never built: the ring values are area-averaged
    straight into the half-size level, and the result is sampled bilinearly from there at
    the hole pixels (where the full-size level has no data of its own), so the memory is
    that of a half-size image."""
    h, w = shape
    h2, w2 = (h + 1) // 2, (w + 1) // 2
    nc = values.shape[1]
    c2 = np.zeros((h2, w2, nc), np.float32)
    k2 = np.zeros((h2, w2), np.float32)
    np.add.at(c2, (qy // 2, qx // 2), values * 0.25)
    np.add.at(k2, (qy // 2, qx // 2), 0.25)
    filled = _push_pull(c2, k2)
    fy = np.clip((yy + 0.5) * (h2 / h) - 0.5, 0.0, h2 - 1.0)
    fx = np.clip((xx + 0.5) * (w2 / w) - 0.5, 0.0, w2 - 1.0)
    y0, x0 = np.floor(fy).astype(np.int64), np.floor(fx).astype(np.int64)
    y1, x1 = np.minimum(y0 + 1, h2 - 1), np.minimum(x0 + 1, w2 - 1)
    ay, ax = (fy - y0).astype(np.float32)[:, None], (fx - x0).astype(np.float32)[:, None]
    top = filled[y0, x0] * (1 - ax) + filled[y0, x1] * ax
    bottom = filled[y1, x0] * (1 - ax) + filled[y1, x1] * ax
    return (top * (1 - ay) + bottom * ay).astype(np.float32)
