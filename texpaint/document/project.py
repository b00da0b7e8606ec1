"""Project files (``.texpaint``): image, mask, settings and undo history in one zip (no Qt).

Layout of the zip (format version 1, or 2 when the written history holds a size-changing
step)::

    manifest.json   format name and version, app version, image size / sample format /
                    colorspace / alpha, settings (seamless ``wrap``), the document's image file,
                    and the undo history's steps (label, tiles: layer + box; size-changing
                    steps: swaps: layer + before/after ``[height, width]``) and position
    image.npz       ``rgb`` float32 (H, W, 3) [+ ``alpha`` float32 (H, W)], the document's
                    pixels in full precision (``np.savez_compressed``)
    mask.npz        ``mask`` float32 (H, W) in [0, 1] (soft edges kept exactly)
    history.npz     ``t<k>_before`` / ``t<k>_after`` for tile k of the manifest's step list,
                    ``s<k>_before`` / ``s<k>_after`` (whole layers) for swap k

A size-changing step (Upscale, see ``UndoHistory.push_resize``) stores whole layers (image,
mask and alpha, before and after), so it weighs much more than a tile step; it counts
against ``max_history_bytes`` like any step and is dropped by the same oldest-first rule.
Files holding one are written as format version 2, which texpaint versions that cannot undo
a size change refuse with a clear message; files without one stay version 1.

The ``.npz`` members are stored (not re-compressed) in the outer zip; their own members are
deflated by NumPy. Everything is read with ``allow_pickle=False``.

Only the newest part of the undo history is written (``max_history_bytes``, default 256 MB,
and ``max_history_steps``): the oldest steps go first, then, if the applied steps alone are
still too big, the undone (redoable) ones. Writes are atomic: a temp file beside the target
is moved over it with :func:`os.replace`, so an existing project survives a failed save.

:func:`load_project` trusts nothing in the file: every member's uncompressed size is checked
against what the manifest's sizes allow (zip bombs), every array's dtype and shape against
the manifest, and every failure is a :class:`ProjectError` with a one-line user message.
"""

from __future__ import annotations

import errno
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import texpaint
from texpaint.document.document import ALPHA_LAYER, IMAGE_LAYER, MASK_LAYER, TextureDocument
from texpaint.document.history import (
    DEFAULT_MEMORY_CAP_BYTES,
    LayerSwap,
    Step,
    Tile,
    UndoHistory,
)
from texpaint.imaging.io import COLORSPACES, MAX_PIXELS, SAMPLE_FORMATS, ImageData

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "PROJECT_SUFFIX",
    "ProjectError",
    "ProjectSnapshot",
    "history_window",
    "load_project",
    "save_project",
    "snapshot_project",
    "write_project",
]

FORMAT_NAME = "texpaint-project"
FORMAT_VERSION = 2
"""Newest format version written (only when needed: see the module doc) and read."""
READ_VERSIONS = (1, 2)
PROJECT_SUFFIX = ".texpaint"
DEFAULT_MAX_HISTORY_BYTES = 256 * 1024 * 1024
"""Undo history written to a project by default (bytes of tile and whole-layer arrays, before +
after)."""
MAX_HISTORY_BYTES_READ = 2 * 1024 * 1024 * 1024
"""Largest history (sum of tile array bytes the manifest declares) a project may hold."""
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_TILES_READ = 1_000_000
_NPY_SLACK = 64 * 1024  # .npy header and zip bookkeeping per array, generous


class ProjectError(Exception):
    """A project file could not be read or written; the message is one line for the user."""


# ------------------------------------------------------------------------------------ saving
def history_window(
    sizes: Sequence[int], position: int, max_bytes: int, max_steps: int | None
) -> range:
    """Indices of the undo steps a project writes: a contiguous run containing the undo
    position, within ``max_bytes`` and ``max_steps`` (None: no step limit). The oldest
    applied steps go first, then, if the applied ones alone are too big, the newest undone
    (redoable) ones. Serves ``.texpaint`` and ``.texmat`` projects alike.

    Args:
        sizes: each step's size in bytes, oldest first.
        position: how many steps (from the oldest) are applied, ``0 .. len(sizes)``.
        max_bytes: at most this many bytes of steps are kept.
        max_steps: at most this many steps, or None.

    Returns:
        ``range(start, end)`` of kept step indices (empty when nothing fits).
    """
    start, end = 0, len(sizes)
    total = sum(sizes)
    while start < end and (
        total > max_bytes or (max_steps is not None and end - start > max_steps)
    ):
        if start < position:  # oldest applied step first
            total -= sizes[start]
            start += 1
        else:  # then the newest undone one
            end -= 1
            total -= sizes[end]
    return range(start, end)


def _npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    # numpy's stub types **kwds like its bool keyword allow_pickle; every value here is an array
    np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


def _write_zip(target: Path, members: Mapping[str, bytes]) -> None:
    """Write ``members`` (name -> bytes) as a new zip file at ``target`` (not atomic itself).

    Raises:
        OSError: the write failed (disk full, permissions...).
    """
    with zipfile.ZipFile(target, "w") as zf:
        for name, payload in members.items():
            method = zipfile.ZIP_DEFLATED if name.endswith(".json") else zipfile.ZIP_STORED
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), payload, method)
        zf.fp.flush()  # type: ignore[union-attr]
        os.fsync(zf.fp.fileno())  # type: ignore[union-attr]


def _os_message(e: OSError) -> str:
    if e.errno == errno.ENOSPC:
        return "not enough disk space"
    return e.strerror or str(e)


@dataclass(frozen=True)
class ProjectSnapshot:
    """Everything a project file holds, detached from the live document.

    Built on the GUI thread by :func:`snapshot_project` (cheap: array copies, no
    compression); written anywhere by :func:`write_project` (slow: compression and disk),
    which touches no document, so it may run on a background thread.

    Attributes:
        manifest: the JSON manifest (see the module doc).
        image_arrays: ``rgb`` float32 ``(H, W, 3)`` [+ ``alpha`` float32 ``(H, W)``].
        mask: float32 ``(H, W)`` in [0, 1].
        tiles: undo tiles ``t<k>_before`` / ``t<k>_after`` (the history's own arrays, which
            are never written to once recorded).
    """

    manifest: dict[str, Any]
    image_arrays: dict[str, np.ndarray]
    mask: np.ndarray
    tiles: dict[str, np.ndarray]


def snapshot_project(
    doc: TextureDocument,
    *,
    max_history_bytes: int = DEFAULT_MAX_HISTORY_BYTES,
    max_history_steps: int | None = None,
    copy: bool = True,
) -> ProjectSnapshot:
    """Capture ``doc`` for :func:`write_project`.

    Args:
        doc: the document; its open brush stroke, if any, is not captured.
        max_history_bytes, max_history_steps: see :func:`save_project`.
        copy: copy the image and mask pixels (True), so the document may change while the
            snapshot is written on another thread; False shares them (the caller writes
            before the document changes). Costs one memcpy of the image (about 0.1 s for a
            4096² float image).

    Returns:
        The snapshot.

    Raises:
        ProjectError: a brush stroke (undo block) is open.
    """
    history = doc.history
    if history.in_block:
        raise ProjectError("finish the brush stroke before saving the project")
    keep = history_window(
        [s.nbytes for s in history.steps], history.index, int(max_history_bytes), max_history_steps
    )
    steps_meta: list[dict[str, Any]] = []
    tiles: dict[str, np.ndarray] = {}
    k = j = 0
    for i in keep:
        step = history.steps[i]
        meta: dict[str, Any] = {"label": step.label, "tiles": []}
        for tile in step.tiles:
            tiles[f"t{k}_before"] = tile.before
            tiles[f"t{k}_after"] = tile.after
            meta["tiles"].append({"layer": tile.layer, "box": [int(v) for v in tile.box]})
            k += 1
        if step.swaps:
            meta["swaps"] = []
        for sw in step.swaps:
            tiles[f"s{j}_before"] = sw.before
            tiles[f"s{j}_after"] = sw.after
            meta["swaps"].append(
                {
                    "layer": sw.layer,
                    "before": [int(v) for v in sw.before.shape[:2]],
                    "after": [int(v) for v in sw.after.shape[:2]],
                }
            )
            j += 1
        steps_meta.append(meta)

    image = doc.image
    take = np.array if copy else np.asarray
    image_arrays = {"rgb": take(image.rgb)}
    if image.alpha is not None:
        alpha = np.asarray(image.alpha, dtype=np.float32)
        image_arrays["alpha"] = alpha.copy() if copy and alpha is image.alpha else alpha
    manifest = {
        "format": FORMAT_NAME,
        "format_version": 2 if j else 1,
        "app_version": texpaint.__version__,
        "image": {
            "height": image.height,
            "width": image.width,
            "sample_format": image.sample_format,
            "colorspace": image.colorspace,
            "has_alpha": image.alpha is not None,
            "source_path": str(image.source_path) if image.source_path else None,
        },
        "document": {
            "path": str(doc.path) if doc.path is not None else None,
            "image_modified": doc.modified,
        },
        "settings": {"wrap": bool(doc.wrap)},
        "history": {
            "tile_size": history.tile_size,
            "index": history.index - keep.start,
            "steps": steps_meta,
        },
    }
    return ProjectSnapshot(manifest, image_arrays, take(doc.mask.data), tiles)


def write_project(snapshot: ProjectSnapshot, path: str | os.PathLike[str]) -> Path:
    """Compress ``snapshot`` and write it as a ``.texpaint`` file at ``path``, atomically.

    Thread-safe with respect to the document (it reads only the snapshot).

    Returns:
        The path written.

    Raises:
        ProjectError: the folder is missing or not writable, the disk is full, or the write
            failed otherwise; an existing file at ``path`` is untouched.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ProjectError(f"{target}: folder {folder} does not exist")
    if target.is_dir():
        raise ProjectError(f"{target}: is a folder")
    members = {
        "manifest.json": json.dumps(snapshot.manifest, indent=1).encode("utf-8"),
        "image.npz": _npz_bytes(snapshot.image_arrays),
        "mask.npz": _npz_bytes({"mask": snapshot.mask}),
        "history.npz": _npz_bytes(snapshot.tiles),
    }
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise ProjectError(f"{target}: cannot write in {folder} ({_os_message(e)})") from e
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _write_zip(tmp, members)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise ProjectError(f"{target}: cannot save project ({_os_message(e)})") from e
        raise
    return target


def save_project(
    doc: TextureDocument,
    path: str | os.PathLike[str],
    *,
    max_history_bytes: int = DEFAULT_MAX_HISTORY_BYTES,
    max_history_steps: int | None = None,
) -> Path:
    """Write ``doc`` as a ``.texpaint`` project file, atomically, on the calling thread.

    :func:`snapshot_project` (without copying) followed by :func:`write_project`.

    Args:
        doc: the document (its open brush stroke, if any, is not written: call
            :meth:`TextureDocument.end_stroke` first for it to count).
        path: target file; its folder must exist. An existing file is replaced only once
            the new one is completely written.
        max_history_bytes: at most this many bytes of undo tiles are written (see module doc).
        max_history_steps: at most this many undo steps, or None for no step limit.

    Returns:
        The path written; it becomes ``doc.project_path``.

    Raises:
        ProjectError: a brush stroke is open, the folder is missing or not writable, the
            disk is full, or the write failed otherwise; an existing file at ``path`` is
            untouched (and ``doc.project_path`` unchanged).
    """
    snapshot = snapshot_project(
        doc, max_history_bytes=max_history_bytes, max_history_steps=max_history_steps, copy=False
    )
    written = write_project(snapshot, path)
    doc.project_path = written
    return written


# ----------------------------------------------------------------------------------- loading
def _fail(path: Path, why: str) -> ProjectError:
    return ProjectError(f"{path}: not a valid texpaint project ({why})")


def _member(zf: zipfile.ZipFile, path: Path, name: str, max_bytes: int) -> bytes:
    """The bytes of member ``name``, refusing any declared or actual size over ``max_bytes``."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise _fail(path, f"missing {name}") from None
    if info.file_size > max_bytes:
        raise _fail(path, f"{name} is {info.file_size} bytes uncompressed, over {max_bytes}")
    with zf.open(info) as f:  # ZipExtFile stops at file_size and checks the CRC
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _fail(path, f"{name} is larger than declared")
    return data


def _read_npz(
    path: Path, name: str, payload: bytes, expected: Mapping[str, tuple[tuple[int, ...], np.dtype]]
) -> dict[str, np.ndarray]:
    """Read exactly the arrays ``expected`` (name -> (shape, dtype)) from npz bytes."""
    try:
        inner = zipfile.ZipFile(io.BytesIO(payload))
    except zipfile.BadZipFile as e:
        raise _fail(path, f"{name} is not an npz archive") from e
    out: dict[str, np.ndarray] = {}
    with inner:
        present = set(inner.namelist())
        for key, (shape, dtype) in expected.items():
            member = f"{key}.npy"
            if member not in present:
                raise _fail(path, f"{name} has no array {key!r}")
            nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            raw = _member(inner, path, member, nbytes + _NPY_SLACK)
            f = io.BytesIO(raw)
            try:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    hshape, fortran, hdtype = np.lib.format.read_array_header_1_0(f)
                else:
                    hshape, fortran, hdtype = np.lib.format.read_array_header_2_0(f)
            except ValueError as e:
                raise _fail(path, f"{name}/{key} has a bad array header") from e
            if tuple(hshape) != tuple(shape) or hdtype != dtype:
                raise _fail(
                    path,
                    f"{name}/{key} is {hdtype} {tuple(hshape)}, expected {dtype} {tuple(shape)}",
                )
            f.seek(0)
            arr = np.lib.format.read_array(f, allow_pickle=False)
            out[key] = np.ascontiguousarray(arr)
    return out


def _get(d: Any, key: str, kind: type | tuple[type, ...], path: Path, where: str) -> Any:
    if not isinstance(d, dict) or key not in d:
        raise _fail(path, f"manifest has no {where}{key}")
    value = d[key]
    if isinstance(value, bool) and kind is int:
        raise _fail(path, f"manifest {where}{key} must be an integer")
    if not isinstance(value, kind):
        raise _fail(path, f"manifest {where}{key} has the wrong type")
    return value


_StepPlan = tuple[str, list[tuple[str, tuple[int, int, int, int], str]], list[tuple[str, str]]]


def _int_list(value: Any, n: int) -> bool:
    return (
        isinstance(value, list)
        and len(value) == n
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    )


def _history_plan(
    p: Path,
    steps_meta: list[Any],
    size: tuple[int, int],
    channels: Mapping[str, tuple[int, ...]],
    max_pixels: int,
) -> tuple[list[_StepPlan], dict[str, tuple[tuple[int, ...], np.dtype]]]:
    """Parse the manifest's history steps (nothing is read from ``history.npz`` yet).

    Every layer named must be in ``channels`` (layer -> trailing channel dims); swap sizes
    must be positive and at most ``max_pixels``; tile boxes must lie inside the largest size
    their layer has anywhere in the history (the exact size at each step is checked by
    ``UndoHistory.restore_steps`` once the arrays are read). The declared array bytes are
    capped by ``MAX_HISTORY_BYTES_READ`` and ``MAX_TILES_READ``.

    Returns:
        ``(plan, expected)``: per step ``(label, [(layer, box, key)], [(layer, key)])`` with
        ``key`` the array name prefix in ``history.npz``; ``expected`` maps array names to
        ``(shape, float32)`` for :func:`_read_npz`.
    """
    f32 = np.dtype("<f4")
    raw: list[tuple[str, list[Any], list[Any]]] = []
    bound = dict.fromkeys(channels, size)  # largest (h, w) each layer has in the history
    for s in steps_meta:
        label = _get(s, "label", str, p, "history step ")
        tiles = _get(s, "tiles", list, p, "history step ")
        swaps = s.get("swaps", [])
        if not isinstance(swaps, list):
            raise _fail(p, "manifest history step swaps has the wrong type")
        for sw in swaps:
            layer = _get(sw, "layer", str, p, "history swap ")
            if layer not in channels:
                raise _fail(p, f"history names unknown layer {layer!r}")
            for key in ("before", "after"):
                hw = _get(sw, key, list, p, "history swap ")
                if not _int_list(hw, 2) or min(hw) < 1 or hw[0] * hw[1] > max_pixels:
                    raise _fail(p, f"history swap size {hw} is not a valid image size")
                bound[layer] = (max(bound[layer][0], hw[0]), max(bound[layer][1], hw[1]))
        raw.append((label, tiles, swaps))

    plan: list[_StepPlan] = []
    expected: dict[str, tuple[tuple[int, ...], np.dtype]] = {}
    total = n_tiles = n_swaps = 0
    for label, tiles, swaps in raw:
        tile_entries = []
        for t in tiles:
            layer = _get(t, "layer", str, p, "history tile ")
            box = _get(t, "box", list, p, "history tile ")
            if layer not in channels:
                raise _fail(p, f"history names unknown layer {layer!r}")
            if not _int_list(box, 4):
                raise _fail(p, "history tile box must be four integers")
            y0, y1, x0, x1 = box
            lh, lw = bound[layer]
            if not (0 <= y0 < y1 <= lh and 0 <= x0 < x1 <= lw):
                raise _fail(p, f"history tile box {box} outside the {layer} layer")
            key = f"t{n_tiles}"
            n_tiles += 1
            shape = (y1 - y0, x1 - x0, *channels[layer])
            tile_entries.append((layer, (y0, y1, x0, x1), key))
            expected[f"{key}_before"] = expected[f"{key}_after"] = (shape, f32)
            total += 2 * int(np.prod(shape)) * 4
            if n_tiles > MAX_TILES_READ or total > MAX_HISTORY_BYTES_READ:
                raise _fail(p, "undo history is too large")
        swap_entries = []
        for sw in swaps:
            key = f"s{n_swaps}"
            n_swaps += 1
            for when in ("before", "after"):
                shape = (*sw[when], *channels[sw["layer"]])
                expected[f"{key}_{when}"] = (shape, f32)
                total += int(np.prod(shape)) * 4
            if total > MAX_HISTORY_BYTES_READ:
                raise _fail(p, "undo history is too large")
            swap_entries.append((sw["layer"], key))
        plan.append((label, tile_entries, swap_entries))
    return plan, expected


def load_project(
    path: str | os.PathLike[str],
    *,
    memory_cap_bytes: int | None = None,
    max_pixels: int = MAX_PIXELS,
) -> TextureDocument:
    """Read a ``.texpaint`` project into a new document (image, mask, wrap, undo history).

    Args:
        path: the project file.
        memory_cap_bytes: cap of the new document's :class:`UndoHistory` in bytes; None:
            ``DEFAULT_MEMORY_CAP_BYTES`` (512 MB).
        max_pixels: largest image (H x W) accepted.

    Returns:
        A :class:`TextureDocument` whose ``path`` is the image file it was made from (or None),
        whose ``project_path`` is ``path``, with the history at the saved position, so undo
        and redo give back the exact saved pixels. ``modified`` is True when the image
        differed from its image file at save time.

    Raises:
        ProjectError: missing/unreadable file, not a zip, unknown format or newer version,
            missing member, a member larger than its declared content allows, arrays of the
            wrong dtype or shape, or inconsistent history. The message is for the user.
    """
    p = Path(path)
    if not p.is_file():
        raise ProjectError(f"{p}: file not found")
    try:
        cap = DEFAULT_MEMORY_CAP_BYTES if memory_cap_bytes is None else int(memory_cap_bytes)
        return _load(p, cap, int(max_pixels))
    except ProjectError:
        raise
    except MemoryError as e:
        raise ProjectError(f"{p}: not enough memory to open the project") from e
    except OSError as e:
        raise ProjectError(f"{p}: cannot read file ({_os_message(e)})") from e
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as e:
        raise _fail(p, f"damaged zip: {e}") from e
    except Exception as e:  # zlib.error, EOFError, NotImplementedError (zip methods), ...
        raise _fail(p, f"{type(e).__name__}: {e}") from e


def _load(p: Path, memory_cap_bytes: int, max_pixels: int) -> TextureDocument:
    with zipfile.ZipFile(p) as zf:
        try:
            manifest = json.loads(_member(zf, p, "manifest.json", MAX_MANIFEST_BYTES))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise _fail(p, "manifest.json is not valid JSON") from e
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
            raise _fail(p, "manifest.json does not describe a texpaint project")
        version = _get(manifest, "format_version", int, p, "")
        if version not in READ_VERSIONS:
            raise ProjectError(
                f"{p}: project format version {version} is not supported by texpaint "
                f"{texpaint.__version__} (it reads versions "
                f"{', '.join(map(str, READ_VERSIONS))})"
            )

        im = _get(manifest, "image", dict, p, "")
        h = _get(im, "height", int, p, "image.")
        w = _get(im, "width", int, p, "image.")
        if h < 1 or w < 1 or h * w > max_pixels:
            raise _fail(p, f"image size {w} x {h} is zero or over the pixel limit")
        sample_format = _get(im, "sample_format", str, p, "image.")
        colorspace = _get(im, "colorspace", str, p, "image.")
        if sample_format not in SAMPLE_FORMATS or colorspace not in COLORSPACES:
            raise _fail(p, "unknown sample format or colour space")
        has_alpha = _get(im, "has_alpha", bool, p, "image.")
        source = im.get("source_path")
        settings = _get(manifest, "settings", dict, p, "")
        wrap = _get(settings, "wrap", bool, p, "settings.")
        docmeta = manifest.get("document", {})
        doc_path = docmeta.get("path") if isinstance(docmeta, dict) else None
        image_modified = bool(docmeta.get("image_modified")) if isinstance(docmeta, dict) else True

        f32 = np.dtype("<f4")
        expected: dict[str, tuple[tuple[int, ...], np.dtype]] = {"rgb": ((h, w, 3), f32)}
        if has_alpha:
            expected["alpha"] = ((h, w), f32)
        image_cap = h * w * 16 + 4 * _NPY_SLACK
        arrays = _read_npz(p, "image.npz", _member(zf, p, "image.npz", image_cap), expected)
        mask_cap = h * w * 4 + 2 * _NPY_SLACK
        mask = _read_npz(
            p, "mask.npz", _member(zf, p, "mask.npz", mask_cap), {"mask": ((h, w), f32)}
        )["mask"]
        for key, arr in (*arrays.items(), ("mask", mask)):
            if not np.isfinite(arr).all() and key != "rgb":
                raise _fail(p, f"{key} holds NaN or infinite values")
        if not (mask.min() >= 0.0 and mask.max() <= 1.0):
            raise _fail(p, "mask values outside [0, 1]")

        hist = _get(manifest, "history", dict, p, "")
        tile_size = _get(hist, "tile_size", int, p, "history.")
        index = _get(hist, "index", int, p, "history.")
        if not 1 <= tile_size <= 65536:
            raise _fail(p, f"history tile size {tile_size} out of range")
        channels = {IMAGE_LAYER: (3,), MASK_LAYER: ()}
        if has_alpha:
            channels[ALPHA_LAYER] = ()
        plan, expect = _history_plan(
            p, _get(hist, "steps", list, p, "history."), (h, w), channels, max_pixels
        )
        if not 0 <= index <= len(plan):
            raise _fail(p, f"history index {index} outside 0..{len(plan)}")
        hist_cap = sum(int(np.prod(shape)) * 4 + _NPY_SLACK for shape, _ in expect.values())
        history_arrays = _read_npz(
            p, "history.npz", _member(zf, p, "history.npz", hist_cap + _NPY_SLACK), expect
        )

    image = ImageData(
        rgb=arrays["rgb"],
        alpha=arrays.get("alpha"),
        sample_format=sample_format,
        colorspace=colorspace,
        source_path=Path(source) if isinstance(source, str) else None,
    )
    history = UndoHistory(memory_cap_bytes=memory_cap_bytes, tile_size=tile_size)
    doc = TextureDocument(
        image, path=doc_path if isinstance(doc_path, str) else None, history=history
    )
    doc.mask.data[...] = mask
    doc.wrap = wrap
    steps = [
        Step(
            label,
            [
                Tile(layer, box, history_arrays[f"{key}_before"], history_arrays[f"{key}_after"])
                for layer, box, key in tiles
            ],
            swaps=[
                LayerSwap(layer, history_arrays[f"{key}_before"], history_arrays[f"{key}_after"])
                for layer, key in swaps
            ],
        )
        for label, tiles, swaps in plan
    ]
    try:
        history.restore_steps(steps, index)
    except ValueError as e:
        raise _fail(p, f"inconsistent history: {e}") from e
    doc.mark_image_saved(not image_modified)
    doc.project_path = p
    return doc
