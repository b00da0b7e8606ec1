"""Material sets: the maps of one material (albedo, normal, height, roughness, ...) as one unit.

A game or 3D material is a set of maps that share one size and line up pixel for pixel:
albedo/base colour (sRGB colour), tangent-space normal map, height/displacement, roughness or
gloss, metallic, ambient occlusion, specular. This module gathers such a set from a folder or
from one of its maps by the common file-naming conventions, keeps each map's role (which the
user can correct), and reads and writes every map with its own file format and bit depth
through :mod:`texpaint.imaging.io`.

Naming conventions recognised (case-insensitive; the role is the last name token, in the
file's stem split at ``_``, ``-``, ``.`` and spaces, that names a role; tokens after it, such
as ``1k`` or ``png``, are ignored):

- ambientCG: ``<name>_Color``, ``_NormalGL``, ``_NormalDX``, ``_Roughness``, ``_Metalness``,
  ``_AmbientOcclusion``, ``_Displacement``, ``_Opacity``, ``_Emission``;
- Poly Haven: ``<name>_diff``, ``_nor_gl``, ``_nor_dx``, ``_rough``, ``_arm`` (packed AO,
  roughness, metallic), ``_disp``, ``_ao``, ``_spec``, ``_metal``, ``_bump``;
- plain: ``diffuse`` (and Nobiax's ``diffus``), ``albedo``, ``basecolor``, ``normal``,
  ``height``, ``specular``, ``gloss``, ``roughness``, ``metallic``, ``ao``.

Colour vs data: the albedo (and emission) is sRGB colour; every other role is *data* (linear
values, no colour management, no colour transfer): writing a data map never converts its
values between sRGB and linear, whatever the target format. Normal maps carry their
convention (``"opengl"`` +Y or ``"directx"`` -Y, from the name, OpenGL when the name does
not say) and :meth:`MaterialSet.flip_normal_convention` converts one.

Errors are :class:`MaterialError` with one-line messages meant for the user; opening or
saving a set that fails leaves every file as it was.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from texpaint.imaging.io import (
    SUPPORTED_READ_EXTENSIONS,
    ImageData,
    ImageIOError,
    read_image,
    write_image,
)
from texpaint.imaging.normal_map import NORMAL_CONVENTIONS, flip_green

if TYPE_CHECKING:  # the engine (and torch) load only when a fill runs
    from texpaint.engine.material_fill import SetFill

__all__ = [
    "COLOUR_ROLES",
    "MapRole",
    "MaterialError",
    "MaterialMap",
    "MaterialSet",
    "conform_map",
    "gather_material",
    "inpaint_material",
    "map_size",
    "open_material",
    "read_material",
    "role_from_name",
    "save_material",
    "seamless_material_set",
]


class MaterialError(Exception):
    """A material set cannot be opened, edited or saved; the message is one line for the
    user."""


class MapRole(StrEnum):
    """What a map of a material holds."""

    ALBEDO = "albedo"
    NORMAL = "normal"
    HEIGHT = "height"
    ROUGHNESS = "roughness"
    GLOSS = "gloss"
    METALLIC = "metallic"
    AMBIENT_OCCLUSION = "ao"
    SPECULAR = "specular"
    ARM = "arm"
    OPACITY = "opacity"
    EMISSION = "emission"


COLOUR_ROLES: frozenset[MapRole] = frozenset({MapRole.ALBEDO, MapRole.EMISSION})
"""Roles whose maps are sRGB colour; all other roles are data (linear, never colour-managed)."""

# one or two consecutive name tokens -> (role, normal convention or None)
_ROLE_TOKENS: dict[tuple[str, ...], tuple[MapRole, str | None]] = {}


def _tokens(role: MapRole, names: str, convention: str | None = None) -> None:
    for name in names.split():
        _ROLE_TOKENS[tuple(name.split("+"))] = (role, convention)


_tokens(
    MapRole.ALBEDO,
    "color colour diffuse diffus diff dif albedo basecolor basecolour base+color base+colour col",
)
_tokens(MapRole.NORMAL, "normalgl nor+gl nrm+gl normal+gl", "opengl")
_tokens(MapRole.NORMAL, "normaldx nor+dx nrm+dx normal+dx", "directx")
_tokens(MapRole.NORMAL, "normal normals nor nrm norm")
_tokens(MapRole.HEIGHT, "height displacement disp heightmap bump depth")
_tokens(MapRole.ROUGHNESS, "roughness rough rgh")
_tokens(MapRole.GLOSS, "gloss glossiness")
_tokens(MapRole.METALLIC, "metalness metallic metal")
_tokens(MapRole.AMBIENT_OCCLUSION, "ambientocclusion ambient+occlusion occlusion ao")
_tokens(MapRole.SPECULAR, "specular spec")
_tokens(MapRole.ARM, "arm")
_tokens(MapRole.OPACITY, "opacity alpha transparency")
_tokens(MapRole.EMISSION, "emission emissive emit")

_SPLIT = re.compile(r"[_\-.\s]+")


def role_from_name(path: str | os.PathLike[str]) -> tuple[MapRole, str | None, str] | None:
    """The role a file's name gives a map.

    Args:
        path: a file name or path; only its stem is read.

    Returns:
        ``(role, convention, material)``: ``convention`` ``"opengl"``/``"directx"`` when the
        name says it (normal maps only), else None; ``material`` the lower-case name tokens
        before the role token joined by ``_`` (``""`` for plain names such as
        ``normal.png``), which identifies the material the map belongs to. None when no
        token names a role.
    """
    tokens = [t for t in _SPLIT.split(Path(path).stem.lower()) if t]
    for i in range(len(tokens) - 1, -1, -1):
        for n in (2, 1):  # two-token names (nor_gl, base_color) before one-token ones
            start = i - n + 1
            if start < 0:
                continue
            key = tuple(tokens[start : i + 1])
            if key in _ROLE_TOKENS:
                role, convention = _ROLE_TOKENS[key]
                return role, convention, "_".join(tokens[:start])
    return None


@dataclass
class MaterialMap:
    """One map of a material.

    Attributes:
        role: what the map holds.
        image: the pixels (:class:`~texpaint.imaging.io.ImageData`: float32 ``(H, W, 3)`` rgb
            in [0, 1] for integer files, optional alpha, the file's sample format).
        path: the file it came from (its name and format are kept when saving), or None.
        normal_convention: ``"opengl"`` or ``"directx"`` for normal maps, else None.
        grey: the file stored one channel (rgb holds three equal channels).
    """

    role: MapRole
    image: ImageData
    path: Path | None = None
    normal_convention: str | None = None
    grey: bool = False

    @property
    def is_colour(self) -> bool:
        """True for sRGB colour maps (albedo, emission); False for data maps."""
        return self.role in COLOUR_ROLES

    @property
    def kind(self) -> str:
        """How the fill engine treats the map (``MapPixels.kind``): ``"colour"`` for sRGB
        colour maps, ``"normal"`` for the normal map, ``"data"`` for every other map."""
        if self.is_colour:
            return "colour"
        return "normal" if self.role is MapRole.NORMAL else "data"

    @property
    def name(self) -> str:
        """The file name (or the role's name for a map made in memory)."""
        return self.path.name if self.path is not None else f"{self.role.value}.png"

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels."""
        return self.image.width, self.image.height

    def image_for(self, ext: str) -> ImageData:
        """The pixels to write into a file with extension ``ext``: data maps are labelled
        with the colour space the format stores (``"linear"`` for ``.exr``, else
        ``"srgb"``), so :func:`~texpaint.imaging.io.write_image` stores their values as they
        are; colour maps keep their colour space (and are converted when it differs)."""
        if self.is_colour:
            return self.image
        space = "linear" if ext.lower() == ".exr" else "srgb"
        return replace(self.image, colorspace=space)


@dataclass
class MaterialSet:
    """The maps of one material, all of one size.

    Attributes:
        maps: the maps, albedo first when there is one.
        name: the material's name (from the file names or the folder).
        folder: the folder the maps came from, or None.
        skipped: image files of the folder that were not taken (no role in the name, or
            another material's maps), for the user to assign a role to.

    Raises:
        MaterialError: no maps, or the maps' sizes differ (the message names the map whose
            size differs from the first map's).
    """

    maps: list[MaterialMap]
    name: str = "material"
    folder: Path | None = None
    skipped: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.maps:
            raise MaterialError("a material set needs at least one map")
        self.maps.sort(key=lambda m: 0 if m.role is MapRole.ALBEDO else 1)
        check_sizes(self.maps)

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of every map, in pixels."""
        return self.maps[0].size

    @property
    def albedo(self) -> MaterialMap:
        """The map that fills are decided on: the albedo, else the first colour map, else
        the first map."""
        for m in self.maps:
            if m.role is MapRole.ALBEDO:
                return m
        return next((m for m in self.maps if m.is_colour), self.maps[0])

    def get(self, role: MapRole) -> MaterialMap | None:
        """The first map with ``role``, or None."""
        return next((m for m in self.maps if m.role is role), None)

    def index_of(self, name: str) -> int:
        """Index of the map whose :attr:`MaterialMap.name` is ``name``.

        Raises:
            MaterialError: no such map.
        """
        for i, m in enumerate(self.maps):
            if m.name == name:
                return i
        raise MaterialError(f"the material has no map named {name!r}")

    def pick_maps(self, picks: str | list[str] | None) -> list[str]:
        """Names of the maps ``picks`` names, in the set's order.

        Args:
            picks: comma-separated text or a list; each item a role (``albedo``,
                ``roughness``, ...: every map with that role) or a map's file name (with or
                without its extension). None or empty: the albedo alone (:attr:`albedo`).

        Raises:
            MaterialError: an item matches no map (the message lists the set's maps).
        """
        items = picks.split(",") if isinstance(picks, str) else list(picks or [])
        items = [i.strip() for i in items if i.strip()]
        if not items:
            return [self.albedo.name]
        chosen: set[str] = set()
        for item in items:
            key = item.lower()
            hits = [
                m.name
                for m in self.maps
                if key in (m.role.value, m.name.lower(), Path(m.name).stem.lower())
            ]
            if key == MapRole.ALBEDO.value and not hits:
                hits = [self.albedo.name]
            if not hits:
                names = ", ".join(f"{m.name} ({m.role.value})" for m in self.maps)
                raise MaterialError(f"the material has no map {item!r} (its maps: {names})")
            chosen.update(hits)
        return [m.name for m in self.maps if m.name in chosen]

    def set_role(self, name: str, role: MapRole | str, convention: str | None = None) -> None:
        """Correct the role of the map named ``name`` (a normal map gets ``convention``,
        default OpenGL; other roles drop it).

        Raises:
            MaterialError: no such map, unknown role or convention.
        """
        try:
            new_role = MapRole(role)
        except ValueError as e:
            roles = ", ".join(r.value for r in MapRole)
            raise MaterialError(f"unknown map role {role!r} (roles: {roles})") from e
        if convention is not None and convention not in NORMAL_CONVENTIONS:
            raise MaterialError(
                f"unknown normal-map convention {convention!r} (use opengl or directx)"
            )
        m = self.maps[self.index_of(name)]
        m.role = new_role
        if new_role is MapRole.NORMAL:
            m.normal_convention = convention or m.normal_convention or "opengl"
        else:
            m.normal_convention = None
        self.maps.sort(key=lambda m: 0 if m.role is MapRole.ALBEDO else 1)

    def flip_normal_convention(self, name: str) -> None:
        """Convert the normal map named ``name`` between OpenGL (+Y) and DirectX (-Y): its
        green channel is inverted and its convention toggled.

        Raises:
            MaterialError: no such map, or it is not a normal map.
        """
        m = self.maps[self.index_of(name)]
        if m.role is not MapRole.NORMAL:
            raise MaterialError(f"{m.name} is a {m.role.value} map, not a normal map")
        m.image = replace(m.image, rgb=flip_green(m.image.rgb))
        m.normal_convention = "directx" if m.normal_convention == "opengl" else "opengl"

    def with_pixels(self, pixels: list[tuple[np.ndarray, np.ndarray | None]]) -> MaterialSet:
        """A new set with the same maps (roles, paths, formats) holding ``pixels``.

        Args:
            pixels: one ``(rgb float32 (H, W, 3), alpha float32 (H, W) or None)`` per map, in
                :attr:`maps` order.

        Raises:
            MaterialError: wrong number of maps or sizes that differ.
        """
        if len(pixels) != len(self.maps):
            raise MaterialError(f"expected {len(self.maps)} maps, got {len(pixels)}")
        maps = [
            replace(m, image=replace(m.image, rgb=rgb, alpha=alpha))
            for m, (rgb, alpha) in zip(self.maps, pixels, strict=True)
        ]
        return MaterialSet(maps, self.name, self.folder, list(self.skipped))


def conform_map(m: MaterialMap, rgb: np.ndarray, region: np.ndarray) -> np.ndarray:
    """New pixels ``rgb`` for map ``m`` made valid for its role where ``region`` is True: a
    grey map stays grey (the channels' mean) and a normal map is renormalised to unit
    length; elsewhere ``rgb`` is returned bit-identical.

    Args:
        m: the map the pixels are for (its role and :attr:`MaterialMap.grey`).
        rgb: float32 ``(H, W, 3)``.
        region: bool ``(H, W)``: where the pixels changed.

    Returns:
        float32 ``(H, W, 3)``, C-contiguous.
    """
    from texpaint.imaging.normal_map import renormalise

    out = np.asarray(rgb, dtype=np.float32)
    if m.grey:
        grey = np.repeat(out.mean(axis=2, keepdims=True), 3, axis=2)
        out = np.where(region[..., None], grey, out).astype(np.float32)
    if m.role is MapRole.NORMAL:
        out = renormalise(out, where=region)
    return np.ascontiguousarray(out, dtype=np.float32)


def check_sizes(maps: list[MaterialMap]) -> None:
    """Raise :class:`MaterialError` naming the first map whose size differs from the first
    map's (all maps of a material must line up pixel for pixel)."""
    first = maps[0]
    for m in maps[1:]:
        if m.size != first.size:
            raise MaterialError(
                f"{m.name} is {m.size[0]} x {m.size[1]} but {first.name} is "
                f"{first.size[0]} x {first.size[1]}: every map of a material must have the "
                "same size"
            )


def _image_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and p.suffix.lower() in SUPPORTED_READ_EXTENSIONS
    )


def gather_material(
    path: str | os.PathLike[str],
) -> tuple[list[tuple[Path, MapRole, str | None]], list[Path]]:
    """Find the maps of the material at ``path`` by their names (module doc).

    Args:
        path: a folder holding the maps of one material, or one map (its siblings in the same
            folder with the same material name are gathered).

    Returns:
        ``(maps, skipped)``: ``maps`` a list of ``(file, role, convention)`` sorted by file
        name; ``skipped`` the folder's other image files (no role in the name, or another
        material's).

    Raises:
        MaterialError: the path does not exist, a folder holds no map with a recognised
            role, or holds maps of several materials (the message lists them).
    """
    p = Path(path)
    if p.is_dir():
        folder, wanted = p, None
    elif p.is_file():
        folder = p.parent
        named = role_from_name(p)
        wanted = named[2] if named is not None else None
    else:
        raise MaterialError(f"{p}: no such file or folder")
    files = _image_files(folder)
    found: list[tuple[Path, MapRole, str | None, str]] = []
    skipped: list[Path] = []
    for f in files:
        named = role_from_name(f)
        if named is None:
            skipped.append(f)
        else:
            found.append((f, named[0], named[1], named[2]))
    if p.is_file() and wanted is None:
        # a map whose name gives no role: the user assigns roles; it stands alone for now
        return [(p, MapRole.ALBEDO, None)], [f for f in files if f != p]
    materials = sorted({mat for *_, mat in found})
    if wanted is None:
        if not found:
            raise MaterialError(
                f"{folder}: no map with a recognised name (e.g. diffuse, normal, height, "
                "_Color, _NormalGL, _diff, _nor_gl)"
            )
        if len(materials) > 1:
            shown = ", ".join(m or "(plain names)" for m in materials)
            raise MaterialError(
                f"{folder} holds the maps of {len(materials)} materials ({shown}): open one "
                "of its maps to pick one"
            )
        wanted = materials[0]
    maps = [(f, role, conv) for f, role, conv, mat in found if mat == wanted]
    skipped += [f for f, _r, _c, mat in found if mat != wanted]
    return maps, sorted(skipped)


def _file_is_grey(path: Path) -> bool:
    """True when the file stores one grey channel (with or without alpha)."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.mode in ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")
    except Exception:  # not a Pillow format (EXR, some TIFFs): treat as colour
        return False


def open_material(
    path: str | os.PathLike[str], roles: dict[str, MapRole | str] | None = None
) -> MaterialSet:
    """Read a material set.

    Args:
        path: a folder or one map (see :func:`gather_material`).
        roles: optional corrections ``{file name: role}``; a file of the folder named here
            is read with that role even when its name gives none or another one.

    Returns:
        The :class:`MaterialSet` (albedo first).

    Raises:
        MaterialError: see :func:`gather_material`; a map cannot be read (the message
            names the file); the maps' sizes differ (the message names the map).
    """
    maps_found, skipped = gather_material(path)
    p = Path(path)
    folder = p if p.is_dir() else p.parent
    if roles:
        by_name = {f.name: (f, r, c) for f, r, c in maps_found}
        for fname, role in roles.items():
            try:
                r = MapRole(role)
            except ValueError as e:
                raise MaterialError(f"unknown map role {role!r} for {fname}") from e
            f = folder / fname
            if not f.is_file():
                raise MaterialError(f"{f}: no such file")
            conv = by_name.get(fname, (f, r, None))[2] if r is MapRole.NORMAL else None
            by_name[fname] = (f, r, conv)
        maps_found = sorted(by_name.values(), key=lambda t: t[0].name)
        skipped = [s for s in skipped if s.name not in by_name]
    return read_material(maps_found, folder=folder, skipped=skipped)


def read_material(
    files: list[tuple[Path, MapRole, str | None]],
    *,
    name: str | None = None,
    folder: Path | None = None,
    skipped: list[Path] | None = None,
) -> MaterialSet:
    """Read the maps ``files`` as one set (what :func:`open_material` does once the maps are
    chosen; the Open Material dialog calls it with the user's choices).

    Args:
        files: ``(file, role, convention)`` per map; ``convention`` ``"opengl"``/
            ``"directx"`` for normal maps (None: OpenGL), ignored for other roles.
        name: the material's name; None = the name tokens before the first map's role
            token, else the folder's name.
        folder: the set's folder; None = the first map's folder.
        skipped: the folder's image files not taken (kept for the user).

    Raises:
        MaterialError: no maps, a map cannot be read (the message names the file), the
            maps' sizes differ (the message names the map).
    """
    if not files:
        raise MaterialError("a material set needs at least one map")
    folder = folder if folder is not None else files[0][0].parent
    maps = []
    for f, role, conv in files:
        try:
            data = read_image(f)
        except ImageIOError as e:
            raise MaterialError(str(e)) from e
        conv = (conv or "opengl") if role is MapRole.NORMAL else None
        maps.append(MaterialMap(role, data, f, conv, _file_is_grey(f)))
    if name is None:
        named = role_from_name(files[0][0])
        name = (named[2] if named is not None and named[2] else None) or folder.name
    return MaterialSet(maps, name, folder, list(skipped or []))


def map_size(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """``(width, height)`` of an image file from its header (no pixels decoded), or None
    when Pillow cannot read the header (EXR, some TIFFs) or the file is not an image."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return int(im.width), int(im.height)
    except Exception:  # not a Pillow format or not an image: the full read will tell
        return None


def save_material(
    mset: MaterialSet, folder: str | os.PathLike[str], names: dict[str, str] | None = None
) -> list[Path]:
    """Write every map of ``mset`` into ``folder``, each in its own format and bit depth.

    Each map keeps its file name (``names`` may rename: ``{old name: new name}``; the new
    name's extension picks the format), its sample format (16-bit stays 16-bit where the
    format can store it), its channels (a grey file stays grey) and its alpha; data maps
    are written without any colour conversion (:meth:`MaterialMap.image_for`). The files
    are committed together: every map is first written to a temporary file beside its
    target, and only when all are written are they moved over the targets
    (:func:`os.replace`); on any failure the temporary files are removed and no target is
    touched.

    Args:
        mset: the set to write.
        folder: target folder (created when missing).
        names: optional file-name changes.

    Returns:
        The written paths, in map order.

    Raises:
        MaterialError: a map cannot be encoded or written, or two maps would get the same
            file name (the message names the file).
    """
    out = Path(folder)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise MaterialError(f"{out}: cannot create the folder ({e.strerror or e})") from e
    names = names or {}
    targets = [out / names.get(m.name, m.name) for m in mset.maps]
    seen: set[Path] = set()
    for t in targets:
        if t in seen:
            raise MaterialError(f"{t}: two maps of the material would be written to this file")
        seen.add(t)
    temps: list[Path] = []
    try:
        for m, t in zip(mset.maps, targets, strict=True):
            tmp = t.with_name(f".{t.stem}.material-tmp{t.suffix}")
            temps.append(tmp)
            write_image(tmp, m.image_for(t.suffix), grey=m.grey)
        for tmp, t in zip(temps, targets, strict=True):
            os.replace(tmp, t)
    except (ImageIOError, OSError) as e:
        raise MaterialError(str(e)) from e
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    return targets


def inpaint_material(
    mset: MaterialSet, mask: np.ndarray, **options: object
) -> tuple[MaterialSet, SetFill]:
    """Inpaint every map of ``mset`` where ``mask > 0`` with one source map decided on the
    albedo (:func:`texpaint.engine.material_fill.fill_material`).

    Args:
        mset: the set (left unchanged).
        mask: float32 ``(H, W)`` in [0, 1], 1 = fill.
        **options: passed to ``fill_material`` (``guide_weights``, ``seed``, ``wrap``,
            ``harmonise_colour``, ``abort``, ``progress``).

    Returns:
        ``(new set, SetFill)``: the new set holds the filled maps (same roles, files,
        formats); ``SetFill.source`` is the shared per-pixel source map.

    Raises:
        texpaint.jobs.JobError: empty mask, a mask of another size, nothing to copy
            from. ``JobCancelled`` when aborted.
    """
    from texpaint.engine.material_fill import MapPixels, fill_material

    maps = [MapPixels(m.image.rgb, m.image.alpha, m.kind, m.role.value) for m in mset.maps]
    res = fill_material(
        maps,
        mask,
        guide_index=mset.maps.index(mset.albedo),
        **options,  # type: ignore[arg-type]
    )
    return mset.with_pixels([(m.rgb, m.alpha) for m in res.maps]), res


def seamless_material_set(
    mset: MaterialSet, band_px: int | None = None, **options: object
) -> tuple[MaterialSet, SetFill]:
    """Make every map of ``mset`` tile with one shared fill of the wrap seams
    (:func:`texpaint.engine.material_fill.seamless_material`).

    Args:
        mset: the set (left unchanged).
        band_px: band width in pixels over each seam; None = from the albedo's scale.
        **options: passed to ``seamless_material`` (``guide_weights``, ``seed``,
            ``normal_length``, ``force``, ``abort``, ``progress``).

    Returns:
        ``(new set, SetFill)`` as :func:`inpaint_material`.

    Raises:
        texpaint.jobs.JobError: band width out of range. ``JobCancelled`` when aborted.
    """
    from texpaint.engine.material_fill import MapPixels, seamless_material

    maps = [MapPixels(m.image.rgb, m.image.alpha, m.kind, m.role.value) for m in mset.maps]
    res = seamless_material(
        maps,
        band_px,
        guide_index=mset.maps.index(mset.albedo),
        **options,  # type: ignore[arg-type]
    )
    return mset.with_pixels([(m.rgb, m.alpha) for m in res.maps]), res
