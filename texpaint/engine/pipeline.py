"""The building blocks the operations run on the device (:mod:`texpaint.ops`): patch-based
inpainting with an optional generator pass (:func:`inpaint`) and tiled, blended restoration
networks (:func:`restore`). This module knows no operation names beyond what a job's ``op``
tells these two functions; :func:`texpaint.ops.runner.run_job` dispatches jobs to the
operations.

Inpainting (:func:`inpaint`, used by ``ops.inpaint``), for a hole of any shape in an image
of any size:

1. Crop the hole's bounding box plus a context margin (at least ``PATCH_CONTEXT_PX`` and the
   box's own size; wrapping around the edges in seamless mode).
2. **Patch-based fill** (:func:`texpaint.synthesis.completion.complete`): multi-scale
   PatchMatch completion that copies the texture's own patches, preferring its dominant
   patch offsets (taken from the whole image's known pixels) so periodic structure continues
   from whole periods away, composed from whole patches at full resolution (sharp). Progress
   is reported during the search; ``abort()`` is polled between chunks of it (< 0.1 s).
3. Only with the job param ``refine`` (an ablation: it adds nothing measurable today) the
   hint-taking generator refines that fill at full resolution (``FINE_MARGIN_PX`` around the
   hole, tiled when large; see ``models/arch/ffc_inpaint.py``). Imported inpainting models
   without a hint input run the older path: the network fills the hole at a working
   resolution, then refines its upsampled output at full resolution.
4. Composite with the soft mask: ``out = image * (1 - m) + fill * m`` where ``m > 0``; pixels
   with ``m == 0`` are copied bit-identical from the input.

``abort()`` is also polled before every network pass/tile; cancelling raises :class:`JobCancelled`
and nothing is returned, so the document stays untouched.

Denoise, Upscale and Stylize's generator (``ops.denoise``, ``ops.upscale``, ``ops.stylize``)
run a restoration network (the built-in denoiser or an imported spandrel model) by
:func:`restore`: the image (or, for Denoise with a
mask, the mask's box plus context) is cut into overlapping tiles of ``runtime.tile_size``,
each tile's output is blended with linear ramps over ``RESTORE_OVERLAP_PX`` (scaled by the
model's scale), and ``abort()`` is polled before every tile. Denoise composites with
``w = mask * strength`` (an empty mask means the whole image); Upscale returns the whole,
larger image (refused before the first tile when it would exceed the image pixel cap), padded
circularly in seamless (wrap) mode so the larger image still tiles.

Out of memory (GPU or CPU) during any model job: :func:`texpaint.ops.runner.run_job` asks
the runtime to step down (:meth:`Runtime.recover_from_oom`: half the tile edge down to
256 px, then from a GPU to the CPU), reports the step through ``progress`` and runs the job
again; only when nothing is left to try does it raise :class:`JobError`. The document is
untouched throughout.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import cv2
import numpy as np
import torch
from torch.nn import functional as F

from texpaint.engine.device import Runtime
from texpaint.engine.tiling import even_tile, pad_to_multiple, ramp_weight, tile_boxes
from texpaint.imaging.resample import upscaled_size
from texpaint.jobs import Job, JobCancelled, JobError, Operation, default_passes
from texpaint.models.arch.ffc_inpaint import set_padding_mode
from texpaint.models.texture_hint import working_scale

__all__ = ["inpaint", "mask_bbox", "noise_level_map", "restore"]

FINE_MARGIN_PX = 64
"""Context margin (pixels) around the hole for the full-resolution pass."""

PATCH_CONTEXT_PX = 128
"""Least context margin (pixels) around the hole's box for the patch search (at least the
box's own size is taken too), so a hole sees several periods of a brick or tile lattice."""

RESTORE_OVERLAP_PX = 32
"""Overlap (input pixels) between neighbouring tiles of a restoration model, blended."""

RESTORE_CONTEXT_PX = 64
"""Context (input pixels) around a Denoise mask's box given to the model."""

RESTORE_TILE_CONTEXT_PX = 64
"""Extra input pixels on each inner side of a restoration tile (rounded up to the network's
size multiple): the network sees them, their output is cropped off, so no blended pixel lies
near a tile's own border. Measured on the built-in denoiser (1024², 256 px tiles): 32 px
leave a max difference of 3.1/255 to a one-pass run, 48 px 1.1/255, 64 px 0.19/255."""

BLEND_ROWS = 256
"""Rows composited at a time at the end of :func:`_restore` (bounds the temporaries)."""

ProgressFn = Callable[[float, str], None]
AbortFn = Callable[[], bool]


def _no_progress(fraction: float, message: str) -> None:
    pass


def _restore_forward(net: torch.nn.Module, img: torch.Tensor, runtime: Runtime) -> torch.Tensor:
    """One restoration pass: ``img`` float32 ``(1, 3, h, w)`` in [0, 1] → ``(1, 3, h*s, w*s)``
    on the CPU, padded to the network's size rules (reflect) and cropped back."""
    scale = int(getattr(net, "scale", 1))
    x, (h, w) = pad_to_multiple(img, net.size_multiple, net.min_size, False)
    x = x.to(runtime.device).contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        if runtime.device.type == "cuda" and getattr(net, "supports_half", False):
            with torch.autocast("cuda", dtype=torch.float16):
                y = net(x)
        else:
            y = net(x)
    return y[..., : h * scale, : w * scale].float().cpu()


_DIHEDRAL = (
    (0, False),
    (0, True),
    (2, False),
    (2, True),
    (1, False),
    (1, True),
    (3, False),
    (3, True),
)
"""The eight rotations (quarter turns ``k``) and mirrorings of a square, in the order the
self-ensemble uses them: the first 2 are the input and its mirror image, the first 4 add the
two 180° turns (:data:`~texpaint.jobs.ENSEMBLE_PASSES`)."""


def _restore_ensemble(
    net: torch.nn.Module,
    img: torch.Tensor,
    runtime: Runtime,
    passes: int,
    abort: AbortFn,
    on_pass: Callable[[int], None] | None = None,
) -> torch.Tensor:
    """Geometric self-ensemble of a restoration network (Timofte et al., CVPR 2016; EDSR, Lim et
    al. 2017): run :func:`_restore_forward` on the first ``passes`` of :data:`_DIHEDRAL`
    applied to ``img``, undo each transform on its output and average.

    Args:
        net, runtime: as :func:`_restore_forward`.
        img: float32 ``(1, 3, h, w)`` in [0, 1] (any h, w: a quarter turn swaps them).
        passes: 1, 2, 4 or 8 (1 = a single plain pass).
        abort: polled before each pass.
        on_pass: called with the number of passes done after each one.

    Returns:
        float32 ``(1, 3, h * s, w * s)`` on the CPU, ``s`` the network's scale.

    Raises:
        JobCancelled: ``abort()`` returned True before a pass.
    """
    acc = None
    for i, (k, flip) in enumerate(_DIHEDRAL[:passes]):
        _check_abort(abort)
        x = torch.rot90(img, k, (2, 3)) if k else img
        if flip:
            x = torch.flip(x, (3,))
        y = _restore_forward(net, x, runtime)
        if flip:
            y = torch.flip(y, (3,))
        if k:
            y = torch.rot90(y, -k, (2, 3))
        acc = y if acc is None else acc + y  # inference tensors: no in-place updates
        if on_pass is not None:
            on_pass(i + 1)
    assert acc is not None
    return acc / passes if passes > 1 else acc


def restore(
    job: Job,
    net: torch.nn.Module,
    runtime: Runtime,
    abort: AbortFn,
    progress: ProgressFn,
    prepare: Callable[[np.ndarray], np.ndarray] | None = None,
    finish: Callable[[np.ndarray, np.ndarray | None, bool], np.ndarray] | None = None,
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Run a restoration network (``forward(image)``, attribute ``scale``) over ``job``.

    Tiles of ``runtime.tile_size`` input pixels overlapping by ``RESTORE_OVERLAP_PX`` (each run
    with ``RESTORE_TILE_CONTEXT_PX`` more pixels of context that are cropped off again) are
    blended with :func:`~texpaint.engine.tiling.ramp_weight` at output resolution. In wrap
    mode the input is padded circularly first, so tile edges and image edges wrap. Float
    images above 1 are scaled into [0, 1] for the network and back. Param ``passes`` (default
    :func:`~texpaint.jobs.default_passes`) runs each tile as a geometric self-ensemble
    (:func:`_restore_ensemble`). ``prepare``, when given, maps the part of ``job.image`` the
    network reads (float32 ``(h, w, 3)``: the mask's box plus context, or the whole image) to
    the network's input of the same shape (Stylize: the colour transfer); the result is still
    composited over ``job.image``. ``finish``, when given, maps the network's whole output for
    that part before compositing: ``finish(fill, weight, wrap)`` with ``fill`` float32
    ``(h, w, 3)``, ``weight`` the mask over the part (None when the mask is empty, i.e. the
    whole image) and ``wrap`` True when the part is the whole image of a tileable document
    (Stylize: the exemplar statistics transfer).

    Returns:
        ``(image, region)``: Denoise: float32 ``(H, W, 3)`` composited as
        ``in * (1 - w) + out * w`` with ``w = mask * strength`` (``w = strength`` everywhere
        when the mask is empty), pixels with ``w == 0`` bit-identical to the input; region the
        mask's box (or the whole image). Upscale: float32 ``(H * s, W * s, 3)``, region the
        whole output.

    Raises:
        JobCancelled: ``abort()`` returned True before a tile or a pass.
        JobError: a model of
            the wrong scale for the operation, an Upscale result over the image pixel cap
            (refused before any tile runs), or out of memory.
    """
    upscale = job.op == Operation.UPSCALE
    scale = int(getattr(net, "scale", 1))
    if upscale and scale < 2:
        raise JobError("this model does not upscale (scale 1): use it for Denoise")
    if not upscale and scale != 1:
        raise JobError(f"this model upscales {scale}x: use it for Upscale, not Denoise")
    strength = float(job.params.get("strength", 1.0))  # checked by the op's Params
    passes = int(job.params.get("passes", default_passes(job.op)))
    H, W = job.image.shape[:2]
    if upscale:
        try:
            upscaled_size(H, W, scale)
        except ValueError as exc:
            raise JobError(str(exc)) from exc
    box = None if upscale else mask_bbox(job.mask > 0)
    if box is None:
        y0, y1, x0, x1 = 0, H, 0, W
    else:
        y0, y1, x0, x1 = _grow_box(box, RESTORE_CONTEXT_PX, (H, W))
    whole = (y0, y1, x0, x1) == (0, H, 0, W)
    crop = job.image[y0:y1, x0:x1]
    src = crop if prepare is None else prepare(crop)
    value_scale = float(max(1.0, src.max()))
    if getattr(net, "noise_map_input", False):  # FFDNet: the noise map rides as channel 3
        nmap = noise_level_map(job, src / value_scale, progress)
        src = np.concatenate((src, (nmap * value_scale)[..., None]), axis=2)
    pad = RESTORE_OVERLAP_PX if (job.wrap and whole) else 0
    img = None  # the whole input as one tensor only when it must be padded circularly
    if pad:
        pad = min(pad, H, W)
        img = torch.from_numpy(np.ascontiguousarray(src.transpose(2, 0, 1)))[None] / value_scale
        img = F.pad(img, (pad, pad, pad, pad), mode="circular")
        h, w = img.shape[-2:]
    else:
        h, w = crop.shape[:2]

    def tile_input(cy0: int, cy1: int, cx0: int, cx1: int) -> torch.Tensor:
        if img is not None:
            return img[..., cy0:cy1, cx0:cx1]
        part = src[cy0:cy1, cx0:cx1].transpose(2, 0, 1)
        return torch.from_numpy(np.ascontiguousarray(part))[None] / value_scale

    overlap = RESTORE_OVERLAP_PX
    limit = runtime.tile_size  # read once: in automatic mode it queries the free memory
    # as few pixels as the tile count allows (3 x 1024 on 2048 px would run 1.5x the pixels)
    tile = max(even_tile(h, limit, overlap), even_tile(w, limit, overlap))
    multiple = max(1, int(getattr(net, "size_multiple", 1)))  # tiles then need no padding
    tile = min(limit, -(-tile // multiple) * multiple)
    boxes = list(tile_boxes(h, w, tile, overlap, multiple))  # on the network's grid
    context = -(-RESTORE_TILE_CONTEXT_PX // multiple) * multiple
    acc = torch.zeros(1, 3, h * scale, w * scale)
    wsum = torch.full((1, 1, h * scale, w * scale), 1e-8)
    verb = {Operation.UPSCALE: "Upscaling", Operation.STYLIZE: "Stylizing"}.get(job.op, "Denoising")
    for i, (ty0, ty1, tx0, tx1) in enumerate(boxes):
        _check_abort(abort)
        tbox = (ty0, ty1, tx0, tx1)
        cy0, cy1, cx0, cx1 = _grow_box(tbox, context, (h, w)) if len(boxes) > 1 else tbox
        suffix = f", {passes} passes" if passes > 1 else ""

        def report(done: int, i: int = i, suffix: str = suffix) -> None:
            fraction = (i + done / passes) / len(boxes)
            progress(min(0.99, fraction), f"{verb} tile {i + 1}/{len(boxes)}{suffix}")

        pred = _restore_ensemble(
            net, tile_input(cy0, cy1, cx0, cx1), runtime, passes, abort, report
        )
        pred = pred[
            ...,
            (ty0 - cy0) * scale : (ty1 - cy0) * scale,
            (tx0 - cx0) * scale : (tx1 - cx0) * scale,
        ]
        sbox = (ty0 * scale, ty1 * scale, tx0 * scale, tx1 * scale)
        wgt = ramp_weight(h * scale, w * scale, sbox, overlap * scale)
        acc[..., sbox[0] : sbox[1], sbox[2] : sbox[3]] += pred * wgt
        wsum[..., sbox[0] : sbox[1], sbox[2] : sbox[3]] += wgt
    _check_abort(abort)
    # whole-image buffers are freed or reused as soon as possible: at 8192² each costs 0.8 GB
    img = None
    out = acc.div_(wsum)
    del wsum
    if pad:
        p = pad * scale
        out = out[..., p:-p, p:-p]
    fill = out[0].numpy().transpose(1, 2, 0)
    if value_scale != 1.0:
        fill = fill * value_scale
    if finish is not None and not upscale:
        weight = None if box is None else job.mask[y0:y1, x0:x1]
        fill = finish(fill, weight, bool(job.wrap and whole))
    if upscale:
        image = np.ascontiguousarray(fill, dtype=np.float32)
        return image, (0, image.shape[0], 0, image.shape[1])
    image = job.image.copy()
    dst = image[y0:y1, x0:x1]
    for r in range(0, y1 - y0, BLEND_ROWS):  # in row bands: no whole-image temporaries
        rows = slice(r, r + BLEND_ROWS)
        c = crop[rows]
        if box is not None:
            w = (job.mask[y0:y1, x0:x1][rows] * strength)[..., None]
        else:
            w = np.full((*c.shape[:2], 1), strength, np.float32)
        dst[rows] = np.where(w > 0, c * (1 - w) + fill[rows] * w, c)
    return image, (box if box is not None else (0, H, 0, W))


def noise_level_map(job: Job, image: np.ndarray, progress: ProgressFn = _no_progress) -> np.ndarray:
    """The noise-level map a noise-map network (FFDNet) gets for ``image``.

    Job param ``sigma``: ``"auto"`` or absent (default): blind, the noise-level function of
    ``image`` (:func:`texpaint.imaging.noise_estimation.estimate_noise_level_function`, so the
    map follows signal-dependent noise); a number: that constant sigma in 8-bit units (0-255
    scale; 0 leaves clean input alone). The estimate is reported through ``progress``.

    Args:
        job: the Denoise job (its params).
        image: float32 ``(h, w, 3)`` in [0, 1], the part the network reads.

    Returns:
        float32 ``(h, w)``: the noise standard deviation per pixel in [0, 1] units.

    Raises:
        JobError: ``sigma`` is neither ``"auto"`` nor a number in [0, 255].
    """
    from texpaint.imaging.noise_estimation import estimate_noise_level_function

    sigma = job.params.get("sigma", "auto")
    h, w = image.shape[:2]
    if sigma is None or sigma == "auto":
        if min(h, w) < 7:
            return np.zeros((h, w), np.float32)
        nlf = estimate_noise_level_function(image)
        progress(0.0, f"Denoising: noise {nlf.describe()} (estimated)")
        return nlf.noise_map(image) / np.float32(255.0)
    if isinstance(sigma, bool) or not isinstance(sigma, numbers.Real) or not 0 <= sigma <= 255:
        raise JobError(f"sigma must be 'auto' or a number from 0 to 255, got {sigma!r}")
    return np.full((h, w), float(sigma) / 255.0, np.float32)


def mask_bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """Half-open box ``(y0, y1, x0, x1)`` of ``mask > 0`` (pixels), or None when empty."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def _wrap_span(occupied: np.ndarray) -> tuple[int, int]:
    """Shortest circular span ``[lo, hi)`` (``hi`` may exceed ``n``) covering every True of
    1-D ``occupied`` (length ``n``, at least one True): the complement of its longest
    circular run of False."""
    n = occupied.size
    if occupied.all():
        return 0, n
    free = np.concatenate([~occupied, ~occupied])
    best_len, best_end, run = 0, 0, 0
    for i, f in enumerate(free):
        run = run + 1 if f else 0
        if run > best_len:
            best_len, best_end = min(run, n), i + 1
    lo = best_end % n
    return lo, lo + n - best_len


def _wrap_bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    """Box ``(y0, y1, x0, x1)`` of ``mask`` on a torus: the shortest circular span per axis,
    so a hole across the right edge and the left edge is one box (``x1`` may exceed the
    width; take indices modulo the size)."""
    y0, y1 = _wrap_span(mask.any(axis=1))
    x0, x1 = _wrap_span(mask.any(axis=0))
    return y0, y1, x0, x1


def _axis_indices(lo: int, hi: int, margin: int, n: int, wrap: bool) -> np.ndarray:
    if wrap:
        if hi - lo + 2 * margin >= n:
            return np.arange(n)
        return np.arange(lo - margin, hi + margin) % n
    return np.arange(max(0, lo - margin), min(n, hi + margin))


def _check_abort(abort: AbortFn) -> None:
    if abort():
        raise JobCancelled()


def _forward(
    net: torch.nn.Module,
    img: torch.Tensor,
    hole: torch.Tensor,
    wrap: bool,
    runtime: Runtime,
    hint: torch.Tensor | None = None,
    hint_mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Run ``net`` on ``img`` (1,3,h,w) / ``hole`` (1,1,h,w) (and the optional ``hint``
    (1,3,h,w), valid where ``hint_mask`` (1,1,h,w) is 1, by default inside the hole),
    padding to the network's size rules."""
    set_padding_mode(net, "circular" if wrap else "reflect")
    if hint is not None and hint_mask is None:
        hint_mask = (hole > 0).to(hole.dtype)
    parts = [img, hole] if hint is None else [img, hole, hint, hint_mask]
    x, (h, w) = pad_to_multiple(torch.cat(parts, 1), net.size_multiple, net.min_size, wrap)
    x = x.to(runtime.device).contiguous(memory_format=torch.channels_last)
    args = (x[:, :3], x[:, 3:4])
    if hint is not None:
        args += (x[:, 4:7], (x[:, 7:8] > 0).to(x.dtype))
    with torch.inference_mode():
        if runtime.device.type == "cuda":
            with torch.autocast("cuda", dtype=torch.float16):
                y = net(*args)
        else:
            y = net(*args)
    return y[..., :h, :w].float().cpu()


def _tiled_forward(
    net: torch.nn.Module,
    img: torch.Tensor,
    hole: torch.Tensor,
    wrap: bool,
    runtime: Runtime,
    tile: int,
    overlap: int,
    abort: AbortFn,
    report: Callable[[int, int], None],
    hint: torch.Tensor | None = None,
    hint_mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """:func:`_forward` over overlapping tiles blended with linear ramps; tiles without hole
    pixels are skipped (their prediction is never used)."""

    def part(t: torch.Tensor | None, b: tuple[int, int, int, int]) -> torch.Tensor | None:
        return None if t is None else t[..., b[0] : b[1], b[2] : b[3]]

    h, w = img.shape[-2:]
    align = max(1, int(getattr(net, "size_multiple", 1)))
    boxes = [
        b
        for b in tile_boxes(h, w, tile, overlap, align)
        if hole[..., b[0] : b[1], b[2] : b[3]].any()
    ]
    if len(boxes) == 1 and boxes[0] == (0, h, 0, w):
        _check_abort(abort)
        pred = _forward(net, img, hole, wrap, runtime, hint, hint_mask)
        report(1, 1)
        return pred
    acc = torch.zeros_like(img)
    wsum = torch.full((1, 1, h, w), 1e-8)
    for i, (y0, y1, x0, x1) in enumerate(boxes):
        _check_abort(abort)
        box = (y0, y1, x0, x1)
        pred = _forward(
            net,
            part(img, box),
            part(hole, box),
            False,
            runtime,
            part(hint, box),
            part(hint_mask, box),
        )
        wgt = ramp_weight(h, w, box, overlap)
        acc[..., y0:y1, x0:x1] += pred * wgt
        wsum[..., y0:y1, x0:x1] += wgt
        report(i + 1, len(boxes))
    return acc / wsum


def _grow_box(
    box: tuple[int, int, int, int], margin: int, shape: tuple[int, int]
) -> tuple[int, int, int, int]:
    y0, y1, x0, x1 = box
    return (
        max(0, y0 - margin),
        min(shape[0], y1 + margin),
        max(0, x0 - margin),
        min(shape[1], x1 + margin),
    )


def _patch_fill(
    job: Job,
    crop: np.ndarray,
    hole: np.ndarray,
    wrap: bool,
    abort: AbortFn,
    progress: ProgressFn,
) -> np.ndarray:
    """The patch-based fill of ``hole`` in ``crop`` (:func:`texpaint.synthesis.completion.
    complete`): float32 ``(h, w, 3)``, ``crop`` outside the hole. The texture's dominant patch
    offsets are taken from the whole image's known pixels (more periods than the crop holds)
    unless the crop is the whole image.

    Raises:
        JobCancelled: ``abort()`` returned True (polled < 0.1 s apart).
        JobError: no fully known patch to copy from.
    """
    from texpaint.synthesis.completion import SynthesisCancelled, complete
    from texpaint.synthesis.offsets import dominant_offsets

    offsets = None
    if crop.shape[:2] != job.image.shape[:2]:
        scale = float(max(1.0, job.image.max()))
        offsets = dominant_offsets(job.image / scale, job.mask <= 0, job.wrap, job.seed)
        _check_abort(abort)
    try:
        return complete(
            crop, hole, wrap=wrap, seed=job.seed, offsets=offsets, abort=abort, progress=progress
        )
    except SynthesisCancelled:
        raise JobCancelled() from None
    except ValueError as exc:
        raise JobError(f"Inpainting needs some untouched texture to copy from: {exc}") from exc


def inpaint(
    job: Job, net: torch.nn.Module, runtime: Runtime, abort: AbortFn, progress: ProgressFn
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    mask = job.mask
    region = mask_bbox(mask > 0)
    if region is None:  # the runner's mask check (ops.base.check_mask) comes first
        raise JobError("The mask is empty: paint over the area to fill first.")
    H, W = mask.shape
    y0, y1, x0, x1 = _wrap_bbox(mask > 0) if job.wrap else region
    takes_hint = bool(getattr(getattr(net, "config", None), "hint", False))
    # the patch search copies from the context: give it room (several texture periods)
    margin = max(PATCH_CONTEXT_PX, max(y1 - y0, x1 - x0)) if takes_hint else 0
    margin = max(margin, 48, max(y1 - y0, x1 - x0) // 2)
    rows = _axis_indices(y0, y1, margin, H, job.wrap)
    cols = _axis_indices(x0, x1, margin, W, job.wrap)
    if job.wrap and (len(rows) == H or len(cols) == W):
        # a hole spanning a whole axis of a tiling image: work on the torus itself
        rows, cols = np.arange(H), np.arange(W)
    crop = job.image[np.ix_(rows, cols)]
    m = mask[np.ix_(rows, cols)]
    hole_np = (m > 0).astype(np.float32)
    wrap_crop = job.wrap and len(rows) == H and len(cols) == W

    # HDR/float images: scale into [0, 1] for the network, back afterwards
    scale = float(max(1.0, crop.max()))
    img = torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1)))[None] / scale
    hole = torch.from_numpy(hole_np)[None, None]

    s, _radius = working_scale(hole_np)
    tile, overlap = runtime.tile_size, 128
    coarse_up = None
    hint_mask = None
    passes = 2 if s < 0.8 else 1
    done = 0

    base, span = 0.0, 1.0  # the network passes' share of the progress bar

    def report(i: int, n: int) -> None:
        fraction = base + span * (done + i / n) / passes
        progress(min(0.99, fraction), f"Inpainting pass {done + 1}/{passes}")

    texture = None
    if takes_hint:
        # texpaint's own generator family: the fill is patch-based (texpaint.synthesis);
        # the generator refines it only when asked (job param "refine", the ablation)
        refine = bool(job.params.get("refine", False))
        share = 0.8 if refine else 1.0
        patch = _patch_fill(
            job,
            crop / scale,
            hole_np > 0,
            wrap_crop,
            abort,
            lambda f, msg: progress(min(0.99, f * share), msg),
        )
        if not refine:
            fill = patch * scale
            m3 = m[..., None]
            blended = np.where(m3 > 0, crop * (1 - m3) + fill * m3, crop).astype(np.float32)
            out = job.image.copy()
            out[np.ix_(rows, cols)] = blended
            return out, region
        texture = (
            torch.from_numpy(np.ascontiguousarray(patch.clip(0, 1).transpose(2, 0, 1)))[None],
            hole,
        )
        base, span = share, 1.0 - share
    if texture is not None:
        coarse_up, hint_mask = texture
        passes = 1
    elif passes == 2:
        ch, cw = max(8, round(crop.shape[0] * s)), max(8, round(crop.shape[1] * s))
        small = F.interpolate(img, size=(ch, cw), mode="area")
        small_hole = (F.interpolate(hole, size=(ch, cw), mode="area") > 0).float()
        coarse = _tiled_forward(
            net, small, small_hole, wrap_crop, runtime, tile, overlap, abort, report
        )
        coarse = small * (1 - small_hole) + coarse * small_hole
        coarse_up = F.interpolate(
            coarse, size=crop.shape[:2], mode="bicubic", align_corners=False
        ).clamp(0, 1)
        hint_mask = hole
        done = 1
    # the full-resolution pass needs only local context: the hint carries structure
    fy0, fy1, fx0, fx1 = _grow_box(mask_bbox(hole_np), FINE_MARGIN_PX, hole_np.shape)
    if (passes == 1 and texture is None) or wrap_crop:
        fy0, fy1, fx0, fx1 = 0, hole_np.shape[0], 0, hole_np.shape[1]
    fine_box = (slice(None), slice(None), slice(fy0, fy1), slice(fx0, fx1))
    fine = img.clone()
    use_hint = coarse_up is not None and takes_hint
    fine[fine_box] = _tiled_forward(
        net,
        img[fine_box],
        hole[fine_box],
        wrap_crop,
        runtime,
        tile,
        overlap,
        abort,
        report,
        coarse_up[fine_box] if use_hint else None,
        hint_mask[fine_box] if use_hint else None,
    )
    _check_abort(abort)

    fill = fine[0].numpy().transpose(1, 2, 0)
    if coarse_up is not None and not takes_hint:
        # a network without hint input: merge coarse low frequencies with fine detail
        sigma = 0.5 / s
        low_c = cv2.GaussianBlur(coarse_up[0].numpy().transpose(1, 2, 0), (0, 0), sigma)
        low_f = cv2.GaussianBlur(fill, (0, 0), sigma)
        fill = np.clip(low_c + (fill - low_f), 0.0, 1.0)
    fill = fill * scale

    m3 = m[..., None]
    blended = np.where(m3 > 0, crop * (1 - m3) + fill * m3, crop).astype(np.float32)
    out = job.image.copy()
    out[np.ix_(rows, cols)] = blended
    return out, region
