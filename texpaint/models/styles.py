"""The bundled style library: exemplar artworks that Stylize can imitate.

Each style lives in ``resources/styles/<id>/`` with ``exemplar.jpg`` (long side <= 768 px),
``thumb.png`` (128 x 128) and ``style.json`` (``id``, ``name``, ``artist``, ``year``,
``licence``, ``source``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from texpaint import resources_dir

__all__ = ["StyleInfo", "StyleLibraryError", "list_styles"]

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
    """

    id: str
    name: str
    artist: str
    year: str
    licence: str
    exemplar: Path
    thumbnail: Path


def list_styles(root: Path | None = None) -> list[StyleInfo]:
    """List the styles of the library, sorted by id.

    Args:
        root: folder holding one sub-folder per style; defaults to
            ``texpaint.resources_dir() / "styles"``. Sub-folders without a ``style.json``
            are ignored.

    Returns:
        One :class:`StyleInfo` per style folder, sorted by ``id``.

    Raises:
        StyleLibraryError: a ``style.json`` is not valid JSON, lacks a required key, has an
            ``id`` that differs from its folder name, or its exemplar/thumbnail is missing.
        FileNotFoundError: the resources folder cannot be found (see
            :func:`texpaint.resources_dir`).
    """
    folder = resources_dir() / "styles" if root is None else Path(root)
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
        )
        for path in (info.exemplar, info.thumbnail):
            if not path.is_file():
                raise StyleLibraryError(f"{sub}: {path.name} is missing")
        styles.append(info)
    return styles
