"""Texture crops for training: folders of images, random multi-scale crops and augmentation.

Augmentations: random crop at a random scale (the crop side is drawn between ``min_scale`` and
``max_scale`` times the output size, then resized with area interpolation), horizontal and
vertical flips, 90-degree rotations, and colour jitter (brightness, contrast, saturation, hue
shift by rotating the chroma plane).

The validation folder ``cc0-1k/val`` must never be passed here (``../shared/data/README.md``);
:class:`TextureCropSampler` refuses any folder whose path ends in ``val``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp", ".tga")


def list_images(folder: Path) -> list[Path]:
    """Sorted image files directly inside ``folder`` (by suffix, case-insensitive).

    Raises:
        FileNotFoundError: ``folder`` does not exist or holds no images.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"training data folder not found: {folder}")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise FileNotFoundError(f"no images in training data folder: {folder}")
    return files


def load_rgb8(path: Path) -> np.ndarray:
    """Decode ``path`` to uint8 ``(H, W, 3)`` RGB with Pillow."""
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()


@dataclass
class CropConfig:
    """Crop/augmentation settings. ``size`` in pixels; scales are crop side / ``size``."""

    size: int = 128
    min_scale: float = 0.75
    max_scale: float = 4.0
    colour_jitter: float = 0.1


class TextureCropSampler:
    """Draws augmented texture crops from one or more image folders held in memory.

    Each folder is sampled with equal probability (so 77 large textures weigh as much as
    1,437 thumbnails), then an image uniformly within it.

    Args:
        folders: image folders (never a validation folder).
        config: crop settings.
        seed: RNG seed.

    Raises:
        ValueError: a folder path ends in ``val``.
        FileNotFoundError: a folder is missing or empty.
    """

    def __init__(self, folders: list[Path], config: CropConfig | None = None, seed: int = 0):
        self.config = config or CropConfig()
        self.rng = np.random.default_rng(seed)
        self.groups: list[list[np.ndarray]] = []
        for folder in folders:
            folder = Path(folder)
            if folder.name == "val":
                raise ValueError(f"refusing to train on a validation folder: {folder}")
            self.groups.append([load_rgb8(p) for p in list_images(folder)])

    def crop(self) -> np.ndarray:
        """One augmented crop: float32 ``(size, size, 3)`` RGB in [0, 1]."""
        cfg, rng = self.config, self.rng
        group = self.groups[rng.integers(len(self.groups))]
        img = group[rng.integers(len(group))]
        h, w = img.shape[:2]
        side = int(cfg.size * np.exp(rng.uniform(np.log(cfg.min_scale), np.log(cfg.max_scale))))
        side = max(8, min(side, h, w))
        y, x = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
        patch = img[y : y + side, x : x + side]
        interp = cv2.INTER_AREA if side > cfg.size else cv2.INTER_CUBIC
        patch = cv2.resize(patch, (cfg.size, cfg.size), interpolation=interp)
        patch = np.rot90(patch, rng.integers(4))
        if rng.random() < 0.5:
            patch = patch[:, ::-1]
        out = patch.astype(np.float32) / 255.0
        if cfg.colour_jitter > 0:
            out = self._jitter(out)
        return np.ascontiguousarray(np.clip(out, 0.0, 1.0))

    def _jitter(self, img: np.ndarray) -> np.ndarray:
        j, rng = self.config.colour_jitter, self.rng
        mean = img.mean(axis=(0, 1), keepdims=True)
        grey = img.mean(axis=2, keepdims=True)
        img = grey + (img - grey) * (1 + rng.uniform(-j, j) * 3)  # saturation
        img = mean + (img - mean) * (1 + rng.uniform(-j, j) * 2)  # contrast
        img = img * (1 + rng.uniform(-j, j))  # brightness
        # hue: rotate the chroma around the grey axis by a small angle
        a = rng.uniform(-j, j) * np.pi
        k = np.ones(3, np.float32) / np.sqrt(3)
        c, s = np.cos(a), np.sin(a)
        kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]], np.float32)
        rot = c * np.eye(3, dtype=np.float32) + s * kx + (1 - c) * np.outer(k, k)
        return img @ rot.T.astype(np.float32)

    def batch(self, n: int) -> np.ndarray:
        """``n`` crops stacked: float32 ``(n, 3, size, size)`` in [0, 1] (NCHW)."""
        return np.stack([self.crop().transpose(2, 0, 1) for _ in range(n)])
