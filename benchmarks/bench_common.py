"""Pieces the benchmark scripts share: validation images, downscaling, the catalog model.

Imported by the scripts in ``benchmarks/`` after they put the repository root on ``sys.path``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from texpaint.models.catalog import ModelInfo, ModelLoadError, get_model
from texpaint.training.data import list_images

REPO = Path(__file__).resolve().parent.parent
DEFAULT_VAL = REPO.parent / "shared" / "data" / "textures" / "cc0-1k" / "val"


def add_common_args(
    p: argparse.ArgumentParser, size_help: str, operation: str = "inpaint", size: int = 512
) -> None:
    """The options every quality benchmark takes: ``--val``, ``--limit``, ``--size`` (px,
    default ``size``), ``--model`` (model id for ``operation``) and ``--json``."""
    p.add_argument(
        "--val",
        type=Path,
        default=DEFAULT_VAL,
        help="validation image folder (default: ../shared/data/textures/cc0-1k/val "
        "relative to the repository root)",
    )
    p.add_argument("--limit", type=int, default=None, help="only the first N images (by name)")
    p.add_argument("--size", type=int, default=size, help=f"{size_help} in px (default {size})")
    p.add_argument("--model", default=None, help=f"{operation} model id (default: catalog default)")
    p.add_argument("--json", type=Path, default=None, help="write all figures to this JSON file")


def val_images(folder: Path, limit: int | None) -> list[Path] | None:
    """Sorted image files of ``folder`` (the first ``limit``), or None after printing an error
    when the folder is missing or empty."""
    try:
        return list_images(folder)[:limit]
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def area_downscale(rgb: np.ndarray, size: int) -> np.ndarray:
    """float32 ``(H, W, 3)`` area-downscaled (``cv2.INTER_AREA``) so the longer side is
    <= ``size`` px; returned unchanged (as float32) when already small enough."""
    h, w = rgb.shape[:2]
    scale = size / max(h, w)
    if scale >= 1.0:
        return np.ascontiguousarray(rgb, dtype=np.float32)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(rgb, new, interpolation=cv2.INTER_AREA).astype(np.float32)


def catalog_model(model_id: str | None, operation: str = "inpaint") -> ModelInfo | None:
    """The catalog's ``operation`` model ``model_id`` (None: the default), or None after
    printing an error that says how to install one."""
    try:
        return get_model(model_id, operation)
    except ModelLoadError as exc:
        print(
            f"error: {exc}. Install a model in resources/models or point "
            "TEXPAINT_MODEL_DIRS at a folder with one.",
            file=sys.stderr,
        )
        return None
