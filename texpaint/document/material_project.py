"""Material project files (``.texmat``): a material set and its mask in one zip (no Qt).

Layout of the zip::

    manifest.json   format name ("texpaint-material") and version, app version, the set's
                    name and source folder, size, and per map: role, file name, normal-map
                    convention, grey, sample format, colour space, whether it has alpha
    map<i>.npz      ``rgb`` float32 (H, W, 3) [+ ``alpha`` float32 (H, W)] of map i, in full
                    precision (``np.savez_compressed``)
    mask.npz        ``mask`` float32 (H, W) in [0, 1]
    history.npz     the undo history's arrays (when one was saved): for step k,
                    ``s<k>_b<i>_rgb`` / ``s<k>_a<i>_rgb`` (map i's crop before / after, float32
                    (h, w, 3)), ``s<k>_b<i>_alpha`` / ``s<k>_a<i>_alpha`` where the map had
                    alpha, or ``s<k>_mask_before`` / ``s<k>_mask_after`` for a mask step;
                    the manifest's ``history`` holds the steps' labels, boxes, which crops
                    have alpha, normal-map conventions, and the undo position

As the single-image project (``document.project``), only the newest part of the undo history
is written (``max_history_bytes``, default 256 MB, and ``max_history_steps``): the oldest steps
go first, then, if the applied steps alone are still too big, the undone (redoable) ones. Files
without a history (older ones) open with an empty one; older texpaint versions ignore it.

Saving keeps everything an export needs (each map's file name, format, bit depth, role), so a
project reopened later saves and exports the set as the original files did. Writes are atomic
(temp file + :func:`os.replace`). Reading trusts nothing: members are size-checked before
they are decompressed, every array's dtype and shape is checked against the manifest,
``allow_pickle=False``, and every failure is a :class:`MaterialError` with a one-line message.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import texpaint
from texpaint.document.material import MapRole, MaterialError, MaterialMap, MaterialSet
from texpaint.document.material_history import MaterialHistory, MaterialStep
from texpaint.document.project import (
    DEFAULT_MAX_HISTORY_BYTES,
    MAX_HISTORY_BYTES_READ,
    history_window,
)
from texpaint.imaging.io import COLORSPACES, MAX_PIXELS, SAMPLE_FORMATS, ImageData

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MaterialProject",
    "PROJECT_EXTENSION",
    "load_material_project",
    "read_material_project",
    "save_material_project",
]

FORMAT = "texpaint-material"
FORMAT_VERSION = 1
PROJECT_EXTENSION = ".texmat"
MAX_MAPS = 16
"""A project holds at most this many maps."""
MAX_STEPS_READ = 100_000
"""A project's undo history holds at most this many steps."""
CONVENTIONS = (None, "opengl", "directx")


@dataclass
class MaterialProject:
    """What a ``.texmat`` holds: the set, its mask (float32 ``(H, W)`` in [0, 1]) and its undo
    history (empty when the file has none)."""

    mset: MaterialSet
    mask: np.ndarray
    history: MaterialHistory


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


def _history_members(
    history: MaterialHistory, n_maps: int, max_bytes: int, max_steps: int | None
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The manifest's ``history`` entry and the arrays of ``history.npz``."""
    steps = history.steps
    keep = history_window([s.nbytes for s in steps], history.position, max_bytes, max_steps)
    entries: list[dict[str, Any]] = []
    arrays: dict[str, np.ndarray] = {}
    for k, i in enumerate(keep):
        step = steps[i]
        entry: dict[str, Any] = {"label": step.label, "box": [int(v) for v in step.box]}
        if step.is_mask:
            assert step.mask_before is not None and step.mask_after is not None
            entry["mask"] = True
            arrays[f"s{k}_mask_before"] = np.asarray(step.mask_before, np.float32)
            arrays[f"s{k}_mask_after"] = np.asarray(step.mask_after, np.float32)
        else:
            if len(step.before) != n_maps or len(step.after) != n_maps:
                raise MaterialError("the undo history does not match the set's maps")
            for side, crops in (("b", step.before), ("a", step.after)):
                entry[f"alpha_{side}"] = [alpha is not None for _, alpha in crops]
                for j, (rgb, alpha) in enumerate(crops):
                    arrays[f"s{k}_{side}{j}_rgb"] = np.asarray(rgb, np.float32)
                    if alpha is not None:
                        arrays[f"s{k}_{side}{j}_alpha"] = np.asarray(alpha, np.float32)
            if step.conventions is not None:
                entry["conventions"] = [list(c) for c in step.conventions]
        entries.append(entry)
    return {"position": history.position - keep.start, "steps": entries}, arrays


def save_material_project(
    path: str | os.PathLike[str],
    mset: MaterialSet,
    mask: np.ndarray | None = None,
    history: MaterialHistory | None = None,
    *,
    max_history_bytes: int = DEFAULT_MAX_HISTORY_BYTES,
    max_history_steps: int | None = None,
) -> Path:
    """Write ``mset`` (and ``mask``, and the newest part of ``history``) to a ``.texmat``
    project, atomically.

    Args:
        path: target file (its folder must exist).
        mset: the set.
        mask: float32 ``(H, W)`` in [0, 1], or None (an empty mask is stored).
        history: the set's undo history (None: none is stored); only read, so a save on
            another thread should be given :meth:`MaterialHistory.copy`.
        max_history_bytes: at most this many bytes of undo crops are written (module doc).
        max_history_steps: at most this many undo steps, or None for no step limit.

    Returns:
        The path written.

    Raises:
        MaterialError: the mask's size differs from the set's, or the file cannot be written
            (an existing file is then left as it was).
    """
    target = Path(path)
    w, h = mset.size
    m = np.zeros((h, w), np.float32) if mask is None else np.asarray(mask, np.float32)
    if m.shape != (h, w):
        raise MaterialError(f"the mask is {m.shape[1]} x {m.shape[0]}, the set {w} x {h}")
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "app_version": texpaint.__version__,
        "name": mset.name,
        "folder": None if mset.folder is None else str(mset.folder),
        "width": w,
        "height": h,
        "maps": [
            {
                "role": mp.role.value,
                "file": mp.name,
                "normal_convention": mp.normal_convention,
                "grey": mp.grey,
                "sample_format": mp.image.sample_format,
                "colorspace": mp.image.colorspace,
                "alpha": mp.image.alpha is not None,
            }
            for mp in mset.maps
        ],
    }
    hist_arrays: dict[str, np.ndarray] | None = None
    if history is not None:
        manifest["history"], hist_arrays = _history_members(
            history, len(mset.maps), int(max_history_bytes), max_history_steps
        )
    members = {"manifest.json": json.dumps(manifest, indent=1).encode()}
    for i, mp in enumerate(mset.maps):
        arrays = {"rgb": mp.image.rgb}
        if mp.image.alpha is not None:
            arrays["alpha"] = mp.image.alpha
        members[f"map{i}.npz"] = _npz(arrays)
    members["mask.npz"] = _npz({"mask": m})
    if hist_arrays is not None:
        members["history.npz"] = _npz(hist_arrays)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise MaterialError(f"{target}: cannot write in {folder} ({e.strerror or e})") from e
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp_name, "w", zipfile.ZIP_STORED) as zf:
            for name, data in members.items():
                zf.writestr(name, data)
        os.replace(tmp_name, target)
    except OSError as e:
        Path(tmp_name).unlink(missing_ok=True)
        raise MaterialError(f"{target}: cannot write the project ({e.strerror or e})") from e
    return target


def _get(d: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(d, dict) or key not in d or not isinstance(d[key], kind):
        raise MaterialError(f"damaged material project: {where} has no valid {key!r}")
    return d[key]


def _arrays(
    zf: zipfile.ZipFile, name: str, shapes: dict[str, tuple[int, ...]]
) -> dict[str, np.ndarray]:
    """The arrays ``shapes`` names from the npz member ``name``: float32 of the given shapes,
    sizes checked before any decompression (the outer member and each inner ``.npy``)."""
    raw = {key: 4 * int(np.prod(shape)) for key, shape in shapes.items()}
    try:
        info = zf.getinfo(name)
    except KeyError as e:
        raise MaterialError(f"damaged material project: {name} is missing") from e
    if info.file_size > 3 * sum(raw.values()) + 4096 * len(raw) + (1 << 20):
        raise MaterialError(f"damaged material project: {name} is larger than its size allows")
    out: dict[str, np.ndarray] = {}
    try:
        data = zf.read(name)
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            for key in shapes:
                member = inner.getinfo(f"{key}.npy")
                if member.file_size > raw[key] + 4096:
                    raise MaterialError(
                        f"damaged material project: {name}:{key} is larger than its size allows"
                    )
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            for key in shapes:
                out[key] = z[key]
    except MaterialError:
        raise
    except KeyError as e:
        raise MaterialError(f"damaged material project: {name} lacks an array ({e})") from e
    except Exception as e:  # zlib, ValueError, BadZipFile ...
        raise MaterialError(f"damaged material project: cannot read {name} ({e})") from e
    for key, shape in shapes.items():
        a = out[key]
        if a.dtype != np.float32 or a.shape != shape:
            raise MaterialError(
                f"damaged material project: {name}:{key} is {a.dtype} {a.shape}, expected "
                f"float32 {shape}"
            )
        out[key] = np.ascontiguousarray(a)
    return out


def _array(zf: zipfile.ZipFile, name: str, key: str, shape: tuple[int, ...]) -> np.ndarray:
    """``key`` of the npz member ``name``: float32 of ``shape`` (:func:`_arrays`)."""
    return _arrays(zf, name, {key: shape})[key]


def _read_history(
    zf: zipfile.ZipFile, hist: Any, size: tuple[int, int], n_maps: int
) -> MaterialHistory:
    """The undo history the manifest's ``history`` entry describes (arrays checked against
    it); an empty one when the file has none."""
    if hist is None:
        return MaterialHistory()
    where = "the history"
    position = _get(hist, "position", int, where)
    entries = _get(hist, "steps", list, where)
    if len(entries) > MAX_STEPS_READ or not 0 <= position <= len(entries):
        raise MaterialError("damaged material project: undo history position or length")
    h, w = size
    shapes: dict[str, tuple[int, ...]] = {}
    plan: list[tuple[str, tuple[int, int, int, int], dict[str, Any] | None, Any]] = []
    for k, entry in enumerate(entries):
        at = f"history step {k}"
        label = _get(entry, "label", str, at)
        box = _get(entry, "box", list, at)
        if len(box) != 4 or not all(isinstance(v, int) and not isinstance(v, bool) for v in box):
            raise MaterialError(f"damaged material project: {at} has no valid box")
        y0, y1, x0, x1 = box
        if not (0 <= y0 < y1 <= h and 0 <= x0 < x1 <= w):
            raise MaterialError(f"damaged material project: {at} box {box} outside the set")
        hw = (y1 - y0, x1 - x0)
        if entry.get("mask") is True:
            shapes[f"s{k}_mask_before"] = shapes[f"s{k}_mask_after"] = hw
            plan.append((label, (y0, y1, x0, x1), None, None))
            continue
        flags: dict[str, Any] = {}
        for side in ("b", "a"):
            f = _get(entry, f"alpha_{side}", list, at)
            if len(f) != n_maps or not all(isinstance(v, bool) for v in f):
                raise MaterialError(f"damaged material project: {at} alpha flags")
            flags[side] = f
            for j in range(n_maps):
                shapes[f"s{k}_{side}{j}_rgb"] = (*hw, 3)
                if f[j]:
                    shapes[f"s{k}_{side}{j}_alpha"] = hw
        conv = entry.get("conventions")
        if conv is not None and not (
            isinstance(conv, list)
            and len(conv) == 2
            and all(isinstance(c, list) and len(c) == n_maps for c in conv)
            and all(v in CONVENTIONS for c in conv for v in c)
        ):
            raise MaterialError(f"damaged material project: {at} conventions")
        plan.append((label, (y0, y1, x0, x1), flags, conv))
    if 4 * sum(int(np.prod(s)) for s in shapes.values()) > MAX_HISTORY_BYTES_READ:
        raise MaterialError("damaged material project: the undo history is too large")
    arrays = _arrays(zf, "history.npz", shapes) if shapes else {}
    steps = []
    for k, (label, box, have_alpha, conv) in enumerate(plan):
        if have_alpha is None:
            steps.append(
                MaterialStep(
                    label, box, (), (), arrays[f"s{k}_mask_before"], arrays[f"s{k}_mask_after"]
                )
            )
            continue
        crops = {
            side: tuple(
                (
                    arrays[f"s{k}_{side}{j}_rgb"],
                    arrays[f"s{k}_{side}{j}_alpha"] if have_alpha[side][j] else None,
                )
                for j in range(n_maps)
            )
            for side in ("b", "a")
        }
        conventions = None if conv is None else (tuple(conv[0]), tuple(conv[1]))
        steps.append(MaterialStep(label, box, crops["b"], crops["a"], conventions=conventions))
    return MaterialHistory.restored(steps, position)


def load_material_project(path: str | os.PathLike[str]) -> tuple[MaterialSet, np.ndarray]:
    """Read a ``.texmat`` project's set and mask (:func:`read_material_project` without the
    undo history).

    Raises:
        MaterialError: as :func:`read_material_project`.
    """
    project = read_material_project(path)
    return project.mset, project.mask


def read_material_project(path: str | os.PathLike[str]) -> MaterialProject:
    """Read a ``.texmat`` project.

    Returns:
        :class:`MaterialProject`: the :class:`MaterialSet` (each map's ``path`` is its
        original file name inside the set's source folder, so a save writes the same names),
        the mask, float32 ``(H, W)`` in [0, 1], and the undo history at its saved position
        (empty when the file holds none).

    Raises:
        MaterialError: missing, not a texpaint material project, a newer format version, or
            damaged (the message says what).
    """
    p = Path(path)
    if not p.is_file():
        raise MaterialError(f"{p}: file not found")
    try:
        zf = zipfile.ZipFile(p)
    except (zipfile.BadZipFile, OSError) as e:
        raise MaterialError(f"{p}: not a texpaint material project ({e})") from e
    with zf:
        try:
            if zf.getinfo("manifest.json").file_size > 1 << 20:
                raise MaterialError(f"{p}: damaged material project (manifest too large)")
            manifest = json.loads(zf.read("manifest.json"))
        except KeyError as e:
            raise MaterialError(f"{p}: not a texpaint material project (no manifest)") from e
        except ValueError as e:
            raise MaterialError(f"{p}: damaged material project (manifest: {e})") from e
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise MaterialError(f"{p}: not a texpaint material project")
        version = _get(manifest, "version", int, "the manifest")
        if version > FORMAT_VERSION:
            raise MaterialError(
                f"{p}: made by a newer texpaint (material project version {version}); "
                "update texpaint to open it"
            )
        w = _get(manifest, "width", int, "the manifest")
        h = _get(manifest, "height", int, "the manifest")
        if w <= 0 or h <= 0 or w * h > MAX_PIXELS:
            raise MaterialError(f"{p}: damaged material project (size {w} x {h})")
        entries = _get(manifest, "maps", list, "the manifest")
        if not 0 < len(entries) <= MAX_MAPS:
            raise MaterialError(f"{p}: damaged material project ({len(entries)} maps)")
        folder_s = manifest.get("folder")
        folder = Path(folder_s) if isinstance(folder_s, str) else None
        maps = []
        for i, entry in enumerate(entries):
            where = f"map {i}"
            try:
                role = MapRole(_get(entry, "role", str, where))
            except ValueError as err:
                raise MaterialError(f"{p}: damaged material project ({where}: role)") from err
            file = Path(_get(entry, "file", str, where)).name
            sample_format = _get(entry, "sample_format", str, where)
            colorspace = _get(entry, "colorspace", str, where)
            if sample_format not in SAMPLE_FORMATS or colorspace not in COLORSPACES:
                raise MaterialError(f"{p}: damaged material project ({where}: format)")
            conv = entry.get("normal_convention")
            if conv not in (None, "opengl", "directx"):
                raise MaterialError(f"{p}: damaged material project ({where}: convention)")
            rgb = _array(zf, f"map{i}.npz", "rgb", (h, w, 3))
            alpha = _array(zf, f"map{i}.npz", "alpha", (h, w)) if entry.get("alpha") else None
            image = ImageData(rgb, alpha, sample_format, colorspace)
            image.source_path = (folder / file) if folder is not None else Path(file)
            maps.append(
                MaterialMap(role, image, image.source_path, conv, bool(entry.get("grey", False)))
            )
        mask = np.clip(_array(zf, "mask.npz", "mask", (h, w)), 0.0, 1.0)
        history = _read_history(zf, manifest.get("history"), (h, w), len(maps))
    name = manifest.get("name") if isinstance(manifest.get("name"), str) else p.stem
    return MaterialProject(MaterialSet(maps, str(name), folder), mask, history)
