"""Model cards: what texpaint knows of one model (:class:`ModelInfo`), reading a card, and the
error every loading step raises (:class:`ModelLoadError`).

The lowest module of :mod:`texpaint.models`: the catalog (listing, defaults, loading), the
spandrel loader and community import all build on it, so none of them imports another in a
circle. No torch, no Qt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ModelInfo", "ModelLoadError", "read_card"]


class ModelLoadError(Exception):
    """A model file or card is missing, corrupt, tampered with, or of an unknown architecture."""


@dataclass(frozen=True)
class ModelInfo:
    """One model known to texpaint.

    Attributes:
        id: catalog id (the card's ``id``).
        name: human-readable name.
        operation: "inpaint", "denoise", "upscale" or "stylize".
        path: the weights file (``.safetensors``; imported spandrel models may keep ``.pth``).
        card: the whole model card (dict parsed from JSON).
        size_bytes: weights file size in bytes.
        params: parameter count.
        builtin: False for models the user imported (in :func:`user_models_dir`), True for
            models shipped in ``resources/models`` or found in ``TEXPAINT_MODEL_DIRS``.
    """

    id: str
    name: str
    operation: str
    path: Path
    card: dict[str, Any]
    size_bytes: int
    params: int
    builtin: bool = True


def read_card(card_path: Path, builtin: bool) -> ModelInfo:
    """Parse the JSON model card ``card_path`` (its weights file named by ``"file"`` beside it).

    Args:
        card_path: the ``<id>.json`` card.
        builtin: recorded as :attr:`ModelInfo.builtin` (False for user-imported models).

    Raises:
        ModelLoadError: unreadable or malformed card (missing ``id``, ``file`` or
            ``operation``).
    """
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        weights = card_path.parent / card["file"]
        return ModelInfo(
            id=str(card["id"]),
            name=str(card.get("name", card["id"])),
            operation=str(card["operation"]),
            path=weights,
            card=card,
            size_bytes=weights.stat().st_size if weights.exists() else 0,
            params=int(card.get("parameters", 0)),
            builtin=builtin,
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"bad model card {card_path.name}: {exc}") from exc
