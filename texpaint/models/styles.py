"""The style library: exemplar images that Stylize can imitate.

Built-in styles live in ``resources/styles/<id>/``; styles the user learns ("Learn style",
``texpaint train style``) live in :func:`user_styles_dir` and persist between runs. Each folder
holds ``exemplar.jpg`` (long side <= 768 px), ``thumb.png`` (128 x 128) and ``style.json``
(``id``, ``name``, ``artist``, ``year``, ``licence``, optional ``source`` and ``kind``:
``"painting"``, ``"material"`` or ``"custom"``). The generator of style ``<id>`` is the model
``texpaint-style-<id>`` in the model catalog.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from texpaint import resources_dir
from texpaint.models.catalog import user_data_dir

__all__ = [
    "StyleInfo",
    "StyleLibraryError",
    "add_user_style",
    "find_style",
    "list_styles",
    "user_styles_dir",
]

_REQUIRED_KEYS = ("id", "name", "artist", "year", "licence")


class StyleLibraryError(Exception):
    """A style folder is incomplete or its ``style.json`` is malformed."""


@dataclass(frozen=True)
class StyleInfo:
    """One style exemplar of the library.

    Attributes:
        id: folder name and stable identifier, e.g. ``"starry_night"`` (used as
            ``Job.style_id``).
        name: title of the work, for display.
        artist: the artist's name.
        year: year or approximate year as written on the work's record, e.g. ``"c. 1810"``.
        licence: licence of the exemplar image, one line.
        exemplar: path of the exemplar JPEG (RGB, long side <= 768 px).
        thumbnail: path of the 128 x 128 PNG thumbnail.
        kind: ``"painting"``, ``"material"`` or ``"custom"`` (learnt by the user).
        builtin: False for styles in :func:`user_styles_dir`.
    """

    id: str
    name: str
    artist: str
    year: str
    licence: str
    exemplar: Path
    thumbnail: Path
    kind: str = "painting"
    builtin: bool = True

    @property
    def model_id(self) -> str:
        """Catalog id of this style's generator: :func:`style_model_id` of its id."""
        return style_model_id(self.id)


def style_model_id(style_id: str) -> str:
    """Catalog id of the generator of style ``style_id``: ``"texpaint-style-<style_id>"``
    (the one place that spells it)."""
    return f"texpaint-style-{style_id}"


def user_styles_dir() -> Path:
    """Folder of the user's learnt styles: ``<user data folder>/styles`` (``$TEXPAINT_DATA_DIR``
    or the platform's, see :func:`texpaint.models.catalog.user_data_dir`). Not created here."""
    return user_data_dir() / "styles"


def list_styles(root: Path | None = None) -> list[StyleInfo]:
    """List the styles of the library: built-in ones sorted by id, then the user's.

    Args:
        root: folder holding one sub-folder per style; defaults to the built-in
            ``texpaint.resources_dir() / "styles"`` followed by :func:`user_styles_dir`
            (a user style whose id is taken by a built-in one is skipped). Sub-folders
            without a ``style.json`` are ignored.

    Returns:
        One :class:`StyleInfo` per style folder.

    Raises:
        StyleLibraryError: a ``style.json`` is not valid JSON, lacks a required key, has an
            ``id`` that differs from its folder name, or its exemplar/thumbnail is missing.
        FileNotFoundError: the resources folder cannot be found (see
            :func:`texpaint.resources_dir`).
    """
    if root is None:
        styles = _read_folder(resources_dir() / "styles", builtin=True)
        known = {st.id for st in styles}
        user = [st for st in _read_folder(user_styles_dir(), builtin=False) if st.id not in known]
        return styles + user
    return _read_folder(Path(root), builtin=True)


def _read_folder(folder: Path, builtin: bool) -> list[StyleInfo]:
    if not folder.is_dir():
        return []
    styles: list[StyleInfo] = []
    for sub in sorted(p for p in folder.iterdir() if (p / "style.json").is_file()):
        meta_path = sub / "style.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise StyleLibraryError(f"{meta_path}: cannot read style description ({e})") from e
        missing = [k for k in _REQUIRED_KEYS if k not in meta]
        if missing:
            raise StyleLibraryError(f"{meta_path}: missing keys {', '.join(missing)}")
        if meta["id"] != sub.name:
            raise StyleLibraryError(f"{meta_path}: id {meta['id']!r} differs from folder name")
        info = StyleInfo(
            id=str(meta["id"]),
            name=str(meta["name"]),
            artist=str(meta["artist"]),
            year=str(meta["year"]),
            licence=str(meta["licence"]),
            exemplar=sub / "exemplar.jpg",
            thumbnail=sub / "thumb.png",
            kind=str(meta.get("kind", "painting" if builtin else "custom")),
            builtin=builtin,
        )
        for path in (info.exemplar, info.thumbnail):
            if not path.is_file():
                raise StyleLibraryError(f"{sub}: {path.name} is missing")
        styles.append(info)
    return styles


def find_style(name_or_id: str) -> StyleInfo | None:
    """The style whose id or name (case-insensitive) is ``name_or_id``, or None."""
    key = name_or_id.strip().lower()
    for st in list_styles():
        if st.id == name_or_id or st.name.lower() == key:
            return st
    return None


def new_style_id(name: str) -> str:
    """A style id from ``name`` (lower-case ASCII letters, digits and ``_``) that no style in
    the library uses yet, e.g. ``"my_bricks"`` or ``"my_bricks_2"``."""
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40] or "style"
    taken = {st.id for st in list_styles()}
    sid, n = base, 2
    while sid in taken or (user_styles_dir() / sid).exists():
        sid, n = f"{base}_{n}", n + 1
    return sid


def add_user_style(exemplar_rgb8, name: str, style_id: str | None = None) -> StyleInfo:
    """Add a learnt style to :func:`user_styles_dir` (exemplar, thumbnail, ``style.json``).

    Args:
        exemplar_rgb8: uint8 ``(H, W, 3)`` RGB exemplar (scaled so the long side is <= 768 px).
        name: display name.
        style_id: folder id (default :func:`new_style_id` of ``name``).

    Returns:
        The new :class:`StyleInfo` (``builtin`` False, ``kind`` ``"custom"``).

    Raises:
        OSError: the files cannot be written.
    """
    from PIL import Image

    sid = style_id or new_style_id(name)
    folder = user_styles_dir() / sid
    folder.mkdir(parents=True, exist_ok=True)
    im = Image.fromarray(exemplar_rgb8).convert("RGB")
    if max(im.size) > 768:
        im.thumbnail((768, 768), Image.Resampling.LANCZOS)
    im.save(folder / "exemplar.jpg", quality=92)
    short = min(im.size)
    w, h = max(128, round(128 * im.size[0] / short)), max(128, round(128 * im.size[1] / short))
    t = im.resize((w, h), Image.Resampling.LANCZOS)
    left, top = (w - 128) // 2, (h - 128) // 2
    t.crop((left, top, left + 128, top + 128)).save(folder / "thumb.png")
    meta = {
        "id": sid,
        "name": name,
        "artist": "",
        "year": str(_dt.date.today().year),
        "kind": "custom",
        "licence": "supplied by the user",
    }
    (folder / "style.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return _read_folder(folder.parent, builtin=False)[
        [st.id for st in _read_folder(folder.parent, builtin=False)].index(sid)
    ]
