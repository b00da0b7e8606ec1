"""Batch export of material sets: many materials (one folder each), the same steps for all.

Each input folder (or one map of a set) is opened as a :class:`~texpaint.document.material.
MaterialSet`; the ops run in order on the whole set; every map is written with its own file
name, format and bit depth into ``OUT/<material folder name>/`` (or
``OUT/<material folder name>_<size>/`` for each size of a ``resize``). Ops:

========================= =================================================================
``inpaint[:PATTERN]``     one fill for every map (:func:`~texpaint.document.material.
                          inpaint_material`); the mask is the file ``PATTERN`` in the set's
                          folder (default ``mask.png``; it is never read as a map)
``seamless``              one shared fill of the wrap seams for every map
``denoise[:MODEL]``       the albedo only (the other maps are data; ``maps`` picks more),
                          through ``run_job``
``stylize:STYLE``         the albedo only (or the ``maps`` picked)
``resize``                one output per size (long side, px); must be last. Colour maps
                          are resampled in linear light, data maps as they are, normal maps
                          as vectors then renormalised (:func:`resize_material`)
========================= =================================================================

A set that fails (unreadable map, sizes differ, missing mask, failed job) is reported and the
batch goes on; each output folder's maps are written together or not at all
(:func:`~texpaint.document.material.save_material`). No Qt.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from texpaint.document.material import (
    MapRole,
    MaterialError,
    MaterialSet,
    conform_map,
    inpaint_material,
    open_material,
    save_material,
    seamless_material_set,
)
from texpaint.imaging.io import linear_to_srgb, read_mask, srgb_to_linear
from texpaint.imaging.normal_map import decode_normals, encode_normals, renormalise

__all__ = [
    "DEFAULT_SET_MASK",
    "SET_OPS",
    "SetResult",
    "parse_set_op",
    "resize_material",
    "run_material_batch",
]

SET_OPS = ("inpaint", "seamless", "denoise", "stylize", "resize")
"""Op names a material batch accepts."""

DEFAULT_SET_MASK = "mask.png"
"""The mask file ``inpaint`` looks for in a set's folder when no pattern is given."""


@dataclass
class SetResult:
    """What happened to one set.

    Attributes:
        source: the folder (or map) given.
        written: files written.
        error: one-line message when the set failed (nothing of it was written), else None.
    """

    source: Path
    written: list[Path] = field(default_factory=list)
    error: str | None = None


def parse_set_op(text: str) -> tuple[str, str | None]:
    """``"name"`` or ``"name:arg"`` -> ``(name, arg)``.

    Raises:
        MaterialError: unknown op, or ``stylize`` without a style.
    """
    name, _, arg = text.partition(":")
    name = name.strip().lower()
    if name not in SET_OPS:
        raise MaterialError(f"unknown material-batch op {text!r} (ops: {', '.join(SET_OPS)})")
    if name == "stylize" and not arg:
        raise MaterialError("stylize needs a style: stylize:STYLE")
    return name, (arg or None)


def _resize_plane(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    w, h = a.shape[1], a.shape[0]
    shrink = size[0] < w or size[1] < h
    interp = cv2.INTER_AREA if shrink else cv2.INTER_CUBIC
    out = cv2.resize(np.ascontiguousarray(a), size, interpolation=interp)
    return out.reshape(size[1], size[0], *a.shape[2:]).astype(np.float32)


def resize_material(mset: MaterialSet, long_side: int) -> MaterialSet:
    """A copy of ``mset`` with every map resampled so its longer side is ``long_side`` px.

    Colour maps are resampled in linear light (sRGB decoded, resampled, encoded); data maps
    as they are; normal maps as decoded vectors, then renormalised to unit length (a
    resampled normal is shorter than 1). Area averaging when shrinking, bicubic when
    enlarging; values clipped to [0, 1] for integer sources. Alpha is resampled as data.

    Raises:
        MaterialError: ``long_side`` < 1.
    """
    if long_side < 1:
        raise MaterialError(f"size must be at least 1 px, got {long_side}")
    w, h = mset.size
    k = long_side / max(w, h)
    size = (max(1, round(w * k)), max(1, round(h * k)))
    maps = []
    for m in mset.maps:
        rgb = m.image.rgb
        top = 1.0 if m.image.sample_format != "float32" else None
        if m.role is MapRole.NORMAL:
            n = _resize_plane(decode_normals(rgb), size)
            out = renormalise(encode_normals(n))
        elif m.is_colour and m.image.colorspace == "srgb":
            out = linear_to_srgb(_resize_plane(srgb_to_linear(rgb), size))
        else:
            out = _resize_plane(rgb, size)
        if top is not None:
            out = np.clip(out, 0.0, top)
        alpha = None
        if m.image.alpha is not None:
            alpha = np.clip(_resize_plane(m.image.alpha, size), 0.0, 1.0)
        maps.append(replace(m, image=replace(m.image, rgb=out, alpha=alpha)))
    return MaterialSet(maps, mset.name, mset.folder, list(mset.skipped))


def _maps_job(
    mset: MaterialSet,
    op: str,
    arg: str | None,
    run_job: Callable,
    maps: str | Sequence[str] | None = None,
) -> MaterialSet:
    """Denoise/Stylize the maps ``maps`` picks (:meth:`MaterialSet.pick_maps`; None: the
    albedo alone) through ``run_job``, each kept valid for its role
    (:func:`~texpaint.document.material.conform_map`); the other maps unchanged."""
    from texpaint.jobs import Job, Operation

    names = set(
        mset.pick_maps(list(maps) if maps is not None and not isinstance(maps, str) else maps)
    )
    w, h = mset.size
    whole = np.zeros((h, w), np.float32)
    pixels = []
    for m in mset.maps:
        if m.name not in names:
            pixels.append((m.image.rgb, m.image.alpha))
            continue
        if op == "denoise":
            job = Job(op=Operation.DENOISE, image=m.image.rgb, mask=whole, model_id=arg)
        else:
            job = Job(op=Operation.STYLIZE, image=m.image.rgb, mask=whole, style_id=arg)
        rgb = conform_map(m, run_job(job).image, np.ones((h, w), bool))
        pixels.append((rgb, m.image.alpha))
    return mset.with_pixels(pixels)


def run_material_batch(
    sources: Sequence[Path],
    ops: Sequence[str],
    out_dir: Path,
    *,
    sizes: Sequence[int] = (),
    seed: int = 0,
    run_job: Callable | None = None,
    maps: str | Sequence[str] | None = None,
    abort: Callable[[], bool] = lambda: False,
    on_set_done: Callable[[SetResult], None] | None = None,
) -> list[SetResult]:
    """Process every set in ``sources`` with ``ops`` and write it under ``out_dir``.

    Args:
        sources: set folders (or one map of each set).
        ops: op texts (module doc), run in order; ``resize`` only last (with ``sizes``).
        out_dir: output root; each set goes to ``out_dir / <folder name>[_<size>]``.
        sizes: long sides in px for ``resize`` (required when it is given).
        seed: seeds the fills.
        run_job: ``run_job(job) -> JobResult`` for denoise/stylize (the engine's
            ``run_job`` bound to a runtime); required when those ops are used.
        maps: the maps denoise/stylize change in every set (roles or file names,
            :meth:`~texpaint.document.material.MaterialSet.pick_maps`); None: the albedo.
            A set without such a map fails (reported) and the batch goes on.
        abort: polled between sets; True stops the batch (sets already written stay).
        on_set_done: called with each :class:`SetResult` as it finishes.

    Returns:
        One :class:`SetResult` per set processed.

    Raises:
        MaterialError: a bad op list (checked before any set is read).
    """
    parsed = [parse_set_op(o) for o in ops]
    names = [n for n, _ in parsed]
    if "resize" in names:
        if names.index("resize") != len(names) - 1 or names.count("resize") > 1:
            raise MaterialError("resize must be the last op (once)")
        if not sizes:
            raise MaterialError("resize needs at least one size")
        parsed = parsed[:-1]
    elif sizes:
        raise MaterialError("sizes are given but there is no resize op")
    if any(n in ("denoise", "stylize") for n, _ in parsed) and run_job is None:
        raise MaterialError("denoise and stylize need the inference engine (run_job)")
    results = []
    for src in sources:
        if abort():
            break
        res = SetResult(Path(src))
        try:
            mset = open_material(src)
            folder = mset.folder or Path(src).parent
            for name, arg in parsed:
                if name == "inpaint":
                    mask_path = folder / (arg or DEFAULT_SET_MASK)
                    mset.skipped = [p for p in mset.skipped if p != mask_path]
                    w, h = mset.size
                    mask = read_mask(mask_path, shape=(h, w))
                    mset, _fill = inpaint_material(mset, mask, seed=seed)
                elif name == "seamless":
                    mset, _fill = seamless_material_set(mset, seed=seed)
                else:
                    mset = _maps_job(mset, name, arg, run_job, maps)  # type: ignore[arg-type]
            label = folder.name
            if sizes:
                for size in sizes:
                    res.written += save_material(
                        resize_material(mset, int(size)), out_dir / f"{label}_{int(size)}"
                    )
            else:
                res.written += save_material(mset, out_dir / label)
        except Exception as e:  # one set's failure is reported, the batch goes on
            res.error = str(e) or type(e).__name__
        results.append(res)
        if on_set_done is not None:
            on_set_done(res)
    return results
