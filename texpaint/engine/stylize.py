"""Stylize on the device: the generator path and Best quality (guided patch synthesis), run by
:mod:`texpaint.ops.stylize`. Learn Style (training a generator) is
:mod:`texpaint.training.learn_style`.

**Stylize** (``Operation.STYLIZE``) runs the feed-forward generator of a style
(``texpaint-style-<style_id>``, :class:`~texpaint.models.arch.style_net.StyleTransferNet`)
through the pipeline's restoration path (``pipeline.restore``: the mask's box plus context,
blended tiles, wrap padding, ``w = mask * strength`` compositing, an empty mask meaning the
whole image). Before that the mask is *feathered inwards* (:func:`feather_inside`, bent by
the content's detail: :func:`structure_ramp`), so the stylised area fades in over
``FEATHER_PX`` pixels inside a hard mask edge along the texture rather than the drawn
outline — no visible seam — while every pixel where the mask is 0 stays bit-identical.
With ``preserve_colour`` the result keeps the input's chroma and takes only the stylised
luminance (Gatys et al. 2016, "Preserving Color in Neural Artistic Style Transfer",
luminance-only transfer in YCbCr). Generators trained
*colour first* (their card's ``architecture_config`` holds the exemplar's CIELAB statistics)
run on the image already moved to the exemplar's palette (:func:`colour_first_input`).
Generators whose card holds the exemplar's pyramid band energies and colour covariance
(``exemplar_statistics``) have their output moved to those statistics before compositing
(:func:`statistics_last_output`; Heeger & Bergen 1995 band matching, Pitié & Kokaram 2007
linear colour transfer), taken over the area being stylised. The result is composited over
the untouched image as above.

**Best quality** (param ``quality="best"``, :func:`stylize_best`) needs no generator: the
area is re-rendered with patches copied from the style's exemplar, guided by the content
(:func:`texpaint.synthesis.guided.guided_synthesis`, image analogies / StyLit-style guided
patch synthesis), so a style is usable at once, without training. Paintings keep the
content's forms (strong guidance), materials replace the surface (weak guidance,
:data:`BEST_SETTINGS`). Strength and ``preserve_colour`` apply as above; the inward
feather is bent by the content's detail (:func:`structure_ramp`) so a lasso's polygon does
not show.
``quality="best"`` is the default (:data:`texpaint.ops.stylize.DEFAULT_QUALITY`);
``quality="fast"`` is the generator path above.

Job params: ``quality`` ``"fast"`` or ``"best"``, ``strength`` float in [0, 1] (default
``texpaint.jobs.DEFAULT_STRENGTH``), ``preserve_colour`` bool (default False), ``feather_px``
int >= 0 (default ``FEATHER_PX``), ``match_statistics`` bool (default True: apply the
exemplar statistics when the generator has them; False: the generator's output as it is).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import cv2
import numpy as np

from texpaint.imaging.band_transfer import ExemplarStatistics, statistics_transfer
from texpaint.imaging.colour_transfer import LabStats, lab_stats, reinhard_transfer
from texpaint.jobs import DEFAULT_STRENGTH, Job, JobCancelled, JobError

FEATHER_PX = 16
"""Default width (pixels) of the inward fade at mask edges."""

EXEMPLAR_PX = 512
"""Long side (pixels) the exemplar is scaled to for Best, the scale the generators were
trained at (``style_px`` of their model cards): the strokes/grain appear at that scale."""

_Y = np.array([0.299, 0.587, 0.114], np.float32)


def feather_inside(mask: np.ndarray, feather_px: int) -> np.ndarray:
    """``mask`` float32 ``(H, W)`` in [0, 1] multiplied by a ramp that rises from 0 at the
    mask's edge to 1 at ``feather_px`` pixels inside it (Euclidean distance), so a hard mask
    gets a soft inner edge. Pixels where ``mask == 0`` stay exactly 0; an all-zero mask is
    returned unchanged (it means "whole image"); ``feather_px <= 0`` returns ``mask``. Image
    borders do not count as edges."""
    inside = mask > 0
    if feather_px <= 0 or not inside.any() or inside.all():
        return mask
    pad = feather_px + 1
    padded = np.pad(inside, pad, mode="edge").astype(np.uint8)
    dist = cv2.distanceTransform(padded, cv2.DIST_L2, 5)[pad:-pad, pad:-pad]
    ramp = np.clip(dist / float(feather_px), 0.0, 1.0).astype(np.float32)
    return np.where(inside, mask * ramp, 0.0).astype(np.float32)


def preserve_colour(original: np.ndarray, styled: np.ndarray) -> np.ndarray:
    """Luminance transfer: ``styled``'s luma (BT.601 weights) with ``original``'s chroma, i.e.
    ``original + (Y(styled) - Y(original))`` per channel. Both float32 ``(H, W, 3)``; returns
    float32 ``(H, W, 3)`` (not clipped; float/HDR inputs keep their range)."""
    dy = (styled - original) @ _Y
    return (original + dy[..., None]).astype(np.float32)


def colour_first_input(
    image: np.ndarray, mask: np.ndarray, target: LabStats
) -> Callable[[np.ndarray], np.ndarray]:
    """How a colour-first style generator's input is made from ``image``: a function that moves
    any part of it (float32 ``(h, w, 3)``) to the exemplar's palette ``target`` (CIELAB mean
    and standard deviation) by Reinhard et al. 2001 colour transfer
    (:func:`~texpaint.imaging.colour_transfer.reinhard_transfer`). The *source* statistics are
    taken once, over the pixels being stylised (``mask > 0``; the whole image when the mask is
    empty), so every part gets the same mapping and only the part the network reads is
    converted.

    Args:
        image: float32 ``(H, W, 3)``; values above 1 (float/HDR) are scaled into [0, 1] by the
            image's maximum for the transfer and back afterwards.
        mask: float32 ``(H, W)`` in [0, 1].
        target: ``(mean, std)`` of the exemplar (:attr:`StyleTransferNet.colour_target`).

    Returns:
        ``prepare(part) -> float32 (h, w, 3)`` in the image's value range.
    """
    scale = float(max(1.0, image.max()))
    source = lab_stats(image / scale if scale != 1.0 else image, mask if mask.any() else None)
    return _in_unit_range(lambda part: reinhard_transfer(part, target, source), scale)


def _in_unit_range(fn: Callable, scale: float) -> Callable:
    """``fn(part, *args)`` applied to ``part / scale`` and scaled back (``scale`` > 1: a float
    /HDR image brought into the [0, 1] the colour maths works in), or ``fn`` itself."""
    if scale == 1.0:
        return fn
    return lambda part, *args: fn(part / scale, *args) * scale


def statistics_last_output(
    image: np.ndarray, target: ExemplarStatistics
) -> Callable[[np.ndarray, np.ndarray | None, bool], np.ndarray]:
    """How a style generator's output is finished: a function ``finish(fill, weight, wrap)``
    that moves ``fill`` (float32 ``(h, w, 3)``, the generator's output for the part being
    stylised) to the exemplar statistics ``target`` by
    :func:`~texpaint.imaging.band_transfer.statistics_transfer`, with ``fill``'s own
    statistics taken where ``weight`` (float32 ``(h, w)``, the soft mask; None: everywhere) is
    > 0 and the pyramid wrapping round when ``wrap``.

    Args:
        image: the job's image, float32 ``(H, W, 3)``; when it holds values above 1
            (float/HDR) ``fill`` is scaled into [0, 1] by its maximum and back.
        target: the generator's :attr:`StyleTransferNet.statistics_target`.
    """
    return _in_unit_range(
        lambda fill, weight, wrap: statistics_transfer(fill, target, weight, wrap),
        float(max(1.0, image.max())),
    )


def stylize(
    job: Job,
    net,
    runtime,
    abort: Callable[[], bool],
    progress: Callable[[float, str], None],
    restore: Callable,
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Stylize ``job`` with the loaded generator ``net`` (see the module doc).

    Args:
        restore: the pipeline's tiled restoration runner (``pipeline.restore``), passed in
            so this module does not import the pipeline.

    Returns:
        ``(image, region)``: float32 ``(H, W, 3)``, pixels where the mask is 0 bit-identical
        to the input; the changed box.

    Raises:
        JobCancelled: ``abort()`` returned True.
        JobError: strength outside [0, 1], a negative ``feather_px``, or out of memory.
    """
    feather = int(job.params.get("feather_px", FEATHER_PX))
    if feather < 0:
        raise JobError(f"feather_px must be >= 0, got {feather}")
    strength = float(job.params.get("strength", DEFAULT_STRENGTH))
    if strength == 0.0:
        h, w = job.image.shape[:2]
        return job.image.copy(), (0, h, 0, w)
    ramp = structure_ramp(job.image, job.mask, feather)  # the edge follows the texture
    soft = dataclasses.replace(job, mask=ramp, job_id=job.job_id)
    target = getattr(net, "colour_target", None)
    prepare = None if target is None else colour_first_input(job.image, job.mask, target)
    stats = getattr(net, "statistics_target", None)
    finish = None
    if stats is not None and job.params.get("match_statistics", True):
        finish = statistics_last_output(job.image, stats)
    image, region = restore(soft, net, runtime, abort, progress, prepare, finish)
    if job.params.get("preserve_colour"):
        y0, y1, x0, x1 = region
        src = job.image[y0:y1, x0:x1]
        out = image[y0:y1, x0:x1]
        recol = preserve_colour(src, out)
        changed = (soft.mask[y0:y1, x0:x1] > 0) if soft.mask.any() else np.ones(src.shape[:2], bool)
        image[y0:y1, x0:x1] = np.where(changed[..., None], recol, src)
    return image, region


BEST_SETTINGS: dict[str, dict] = {
    "painting": {
        "luminance_weight": 2.5,
        "block_px": 16,
        "overlap_px": 5,
        "block_occupancy": 0.5,
        "occupancy": 0.1,
        "random_candidates": 64,
        "continuation": 0.7,
        "orientations": 8,
        "orientation_weight": 1.0,
        "shade": 0.2,
        "shade_sigma": 4.0,
        "overlap_weight": 3.0,
    },
    "material": {},
}
"""Guided synthesis settings per kind of style (:attr:`StyleInfo.kind`; ``custom`` styles use
``painting``), as keyword arguments of :class:`texpaint.synthesis.guided.GuidedSettings`
(its defaults where empty; chosen on ``cc0-1k/val`` with ``benchmarks/stylize_quality.py
--patch-only``). Paintings copy from the exemplar and its seven turned / mirrored copies,
guided by the orientation of the content's structure against each copy's own (strokes
run the way the content's forms run, locally), prefer continuing a neighbour's piece
(longer strokes) and agree more with the pieces already placed (overlap weight 3: larger
areas of one colour instead of a patchwork), and take back a fifth of the content's light and
shade at 4 px (the content's forms, and a smaller brightness step between pieces)."""

BEST_STYLE_SETTINGS: dict[str, dict] = {
    "starry_night": {
        "block_px": 12,
        "overlap_px": 4,
        "luminance_weight": 2.3,
        "orientation_weight": 0.5,
        "half_iterations": 1,
    },
    "the_scream": {"block_px": 20, "overlap_px": 6, "luminance_weight": 3.0, "continuation": 0.5},
    "great_wave": {"block_px": 24, "overlap_px": 7, "luminance_weight": 3.0},
    "woman_with_a_hat": {"block_px": 20, "overlap_px": 6, "shade": 0.1},
    "wreck_of_the_minotaur": {"orientation_weight": 0.5, "shade": 0.0},
    "weathered_wood": {"block_px": 24, "overlap_px": 8, "continuation": 0.5},
}
"""Per built-in style changes to :data:`BEST_SETTINGS` (the stroke size of its exemplar):
Starry Night's small dense strokes need small blocks to keep the content's forms; The
Scream's bands and The Great Wave's line work read only in larger pieces, with a stronger
luminance guide to keep the forms (The Scream also continues pieces more: longer strokes);
Woman with a Hat's colour areas read in 20 px pieces (12-16 px: confetti); Starry Night's,
Woman with a Hat's and the Wreck's patch distance to the exemplar needs a weaker orientation
guide or less (the Wreck: no) shading; weathered wood's plank lines read longer in larger,
continued pieces. Starry Night searches once at half resolution (``half_iterations``: a
quarter less time at 1 MP, the same figures on train images). The coarse quilting pass
(``coarse_block_px``) is off for every style: on The Scream (40 px) and The Great Wave
(48 px) it gave somewhat longer bands and crests at about the same val figures, but took
their 1024² jobs from about 6 to about 10 s (idle machine), over the Best speed target;
on Starry Night it cost patch SWD on train images.
Chosen on ``cc0-1k/val`` (``benchmarks/RESULTS.md``)."""


def best_settings(info) -> dict:
    """Keyword arguments of :class:`~texpaint.synthesis.guided.GuidedSettings` for Best with
    the style ``info`` (:class:`~texpaint.models.styles.StyleInfo`): :data:`BEST_SETTINGS`
    of its kind, then, for a built-in style, :data:`BEST_STYLE_SETTINGS` of its id."""
    kind = "material" if info.kind == "material" else "painting"
    own = BEST_STYLE_SETTINGS.get(info.id, {}) if info.builtin else {}
    return {**BEST_SETTINGS[kind], **own}


BEST_CONTEXT_PX = 16
"""Pixels of context around the mask's box that Best synthesises too (patches at the box's
edge see real neighbours)."""


def library_style(style_id: str):
    """The :class:`~texpaint.models.styles.StyleInfo` of library style ``style_id`` (its id,
    exactly).

    Raises:
        JobError: unknown style, or the style library cannot be read.
    """
    from texpaint.models.styles import StyleLibraryError, list_styles

    try:
        info = next((st for st in list_styles() if st.id == style_id), None)
    except StyleLibraryError as exc:
        raise JobError(str(exc)) from exc
    if info is None:
        raise JobError(f"unknown style {style_id!r}")
    return info


def load_style_exemplar(style_id: str, long_side: int = EXEMPLAR_PX):
    """The exemplar of library style ``style_id`` as float32 ``(H, W, 3)`` RGB in [0, 1],
    area-scaled so its long side is ``long_side`` px (enlarged at most 2x), and the style's
    :class:`~texpaint.models.styles.StyleInfo`.

    Raises:
        JobError: unknown style, or the exemplar cannot be read.
    """
    info = library_style(style_id)
    bgr = cv2.imread(str(info.exemplar), cv2.IMREAD_COLOR)
    if bgr is None:
        raise JobError(f"cannot read the exemplar of style {style_id!r}: {info.exemplar}")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
    h, w = rgb.shape[:2]
    s = min(long_side / max(h, w), 2.0)
    if abs(s - 1.0) > 1e-3:
        interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
        rgb = cv2.resize(rgb, (max(8, round(w * s)), max(8, round(h * s))), interpolation=interp)
    return np.ascontiguousarray(np.clip(rgb, 0.0, 1.0), dtype=np.float32), info


def structure_ramp(image: np.ndarray, mask: np.ndarray, feather_px: int) -> np.ndarray:
    """The weight Best composites with: the inward feather of :func:`feather_inside`
    (``r`` in [0, 1]) bent by the content's own detail so that the transition follows the
    texture (brighter-than-local parts take the style first, like height-based material
    blending) instead of the mask's drawn outline (a lasso's polygon): ``e = r + 2 r (1 - r)
    (2 h - 1)`` with ``h`` in [0, 1] the luminance's local contrast (difference to a 4 px
    Gaussian mean over 4 local standard deviations, plus 0.5), then smoothstep. ``e`` is 0
    where ``r`` is 0 and 1 where ``r`` is 1, so pixels where the mask is 0 stay exactly 0
    and the interior keeps the mask's value. ``image`` float32 ``(H, W, 3)``, ``mask``
    float32 ``(H, W)`` in [0, 1]; returns float32 ``(H, W)``; an all-zero mask is returned
    unchanged."""
    soft = feather_inside(mask, feather_px)
    if soft is mask:
        return mask
    ramp = np.divide(soft, mask, out=np.zeros_like(soft), where=mask > 0)
    y = np.ascontiguousarray(image[..., :3] @ _Y, dtype=np.float32)
    detail = y - cv2.GaussianBlur(y, (0, 0), 4.0)
    spread = np.sqrt(cv2.GaussianBlur(detail * detail, (0, 0), 4.0)) + 1e-4
    h = np.clip(0.5 + detail / (4.0 * spread), 0.0, 1.0)
    e = np.clip(ramp + 2.0 * ramp * (1.0 - ramp) * (2.0 * h - 1.0), 0.0, 1.0)
    return np.where(mask > 0, mask * e * e * (3.0 - 2.0 * e), 0.0).astype(np.float32)


def stylize_best(
    job: Job,
    abort: Callable[[], bool],
    progress: Callable[[float, str], None],
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Stylize ``job`` at Best quality: guided patch synthesis from the style's exemplar
    (:func:`texpaint.synthesis.guided.guided_synthesis`) over the mask's box plus
    :data:`BEST_CONTEXT_PX`, composited with weight :func:`structure_ramp` ``* strength``
    (the edge follows the texture, not the drawn outline).

    Args:
        job: a Stylize job with ``style_id``; image float32 ``(H, W, 3)`` (values above 1 are
            scaled into [0, 1] by the image's maximum and back), mask float32 ``(H, W)``
            (all zero: the whole image).

    Returns:
        ``(image, region)`` as :func:`stylize`: pixels where the mask is 0 bit-identical.

    Raises:
        JobCancelled: ``abort()`` returned True.
        JobError: no style, an unknown style, strength outside [0, 1], a negative
            ``feather_px``.
    """
    from texpaint.synthesis.guided import GuidedSettings, SynthesisCancelled, guided_synthesis

    if not job.style_id:
        raise JobError("Pick a style first.")
    try:
        strength = float(job.params.get("strength", DEFAULT_STRENGTH))
        feather = int(job.params.get("feather_px", FEATHER_PX))
    except (TypeError, ValueError) as exc:
        raise JobError(f"bad Stylize parameter: {exc}") from exc
    if not 0.0 <= strength <= 1.0:
        raise JobError(f"strength must be in [0, 1], got {strength}")
    if feather < 0:
        raise JobError(f"feather_px must be >= 0, got {feather}")
    image = job.image
    h, w = image.shape[:2]
    if strength == 0.0:
        return image.copy(), (0, h, 0, w)
    exemplar, info = load_style_exemplar(job.style_id)
    settings = GuidedSettings(**best_settings(info))
    if job.mask.any():
        ys, xs = np.nonzero(job.mask > 0)
        m = BEST_CONTEXT_PX
        y0, y1 = max(0, ys.min() - m), min(h, ys.max() + 1 + m)
        x0, x1 = max(0, xs.min() - m), min(w, xs.max() + 1 + m)
        weight = structure_ramp(image, job.mask, feather)[y0:y1, x0:x1] * strength
    else:
        y0, y1, x0, x1 = 0, h, 0, w
        weight = np.full((h, w), strength, np.float32)
    crop = image[y0:y1, x0:x1]
    scale = float(max(1.0, crop.max()))
    progress(0.0, f"Stylizing (Best) with {info.name}")
    try:
        styled = guided_synthesis(
            crop / scale if scale != 1.0 else crop,
            exemplar,
            settings,
            abort=abort,
            progress=lambda f: progress(0.98 * f, f"Stylizing (Best) with {info.name}"),
        )
    except SynthesisCancelled as exc:
        raise JobCancelled() from exc
    except ValueError as exc:
        raise JobError(f"Best stylize: {exc}") from exc
    if scale != 1.0:
        styled = styled * scale
    if job.params.get("preserve_colour"):
        styled = preserve_colour(crop, styled)
    out = image.copy()
    wt = weight[..., None]
    blended = (crop + wt * (styled - crop)).astype(np.float32)
    out[y0:y1, x0:x1] = np.where(wt > 0, blended, crop)
    return out, (int(y0), int(y1), int(x0), int(x1))
