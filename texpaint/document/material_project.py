"""Material project files (``.texmat``): a material set and its mask in one zip (no Qt).

Layout of the zip::

    manifest.json   format name ("texpaint-material") and version, app version, the set's
                    name and source folder, size, and per map: role, file name, normal-map
                    convention, grey, sample format, colour space, whether it has alpha
    map<i>.npz      ``rgb`` float32 (H, W, 3) [+ ``alpha`` float32 (H, W)] of map i, in full
                    precision (``np.savez_compressed``)
    mask.npz        ``mask`` float32 (H, W) in [0, 1]

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
from pathlib import Path
from typing import Any

import numpy as np

import texpaint
from texpaint.document.material import MapRole, MaterialError, MaterialMap, MaterialSet
from texpaint.imaging.io import COLORSPACES, MAX_PIXELS, SAMPLE_FORMATS, ImageData

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "PROJECT_EXTENSION",
    "load_material_project",
    "save_material_project",
]

FORMAT = "texpaint-material"
FORMAT_VERSION = 1
PROJECT_EXTENSION = ".texmat"
MAX_MAPS = 16
"""A project holds at most this many maps."""


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
    return buf.getvalue()


def save_material_project(
    path: str | os.PathLike[str], mset: MaterialSet, mask: np.ndarray | None = None
) -> Path:
    """Write ``mset`` (and ``mask``) to a ``.texmat`` project, atomically.

    Args:
        path: target file (its folder must exist).
        mset: the set.
        mask: float32 ``(H, W)`` in [0, 1], or None (an empty mask is stored).

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
    members = {"manifest.json": json.dumps(manifest, indent=1).encode()}
    for i, mp in enumerate(mset.maps):
        arrays = {"rgb": mp.image.rgb}
        if mp.image.alpha is not None:
            arrays["alpha"] = mp.image.alpha
        members[f"map{i}.npz"] = _npz(arrays)
    members["mask.npz"] = _npz({"mask": m})
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


def _array(zf: zipfile.ZipFile, name: str, key: str, shape: tuple[int, ...]) -> np.ndarray:
    """``key`` of the npz member ``name``: float32 of ``shape``, sizes checked before any
    decompression (the outer member and the inner ``.npy``)."""
    raw = 4 * int(np.prod(shape))
    try:
        info = zf.getinfo(name)
    except KeyError as e:
        raise MaterialError(f"damaged material project: {name} is missing") from e
    if info.file_size > 3 * raw + (1 << 20):
        raise MaterialError(f"damaged material project: {name} is larger than its size allows")
    try:
        data = zf.read(name)
        with zipfile.ZipFile(io.BytesIO(data)) as inner:
            member = inner.getinfo(f"{key}.npy")
            if member.file_size > raw + 4096:
                raise MaterialError(
                    f"damaged material project: {name}:{key} is larger than its size allows"
                )
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            a = z[key]
    except MaterialError:
        raise
    except KeyError as e:
        raise MaterialError(f"damaged material project: {name} has no {key!r}") from e
    except Exception as e:  # zlib, ValueError, BadZipFile ...
        raise MaterialError(f"damaged material project: cannot read {name} ({e})") from e
    if a.dtype != np.float32 or a.shape != shape:
        raise MaterialError(
            f"damaged material project: {name}:{key} is {a.dtype} {a.shape}, expected float32 "
            f"{shape}"
        )
    return np.ascontiguousarray(a)


def load_material_project(path: str | os.PathLike[str]) -> tuple[MaterialSet, np.ndarray]:
    """Read a ``.texmat`` project.

    Returns:
        ``(set, mask)``: the :class:`MaterialSet` (each map's ``path`` is its original file
        name inside the set's source folder, so a save writes the same names) and the mask,
        float32 ``(H, W)`` in [0, 1].

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
    name = manifest.get("name") if isinstance(manifest.get("name"), str) else p.stem
    return MaterialSet(maps, str(name), folder), mask
