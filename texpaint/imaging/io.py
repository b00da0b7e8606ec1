"""Image and mask file I/O: 8/16-bit integer, 32-bit float, alpha, sRGB/linear.

Everything the rest of texpaint reads or writes goes through :func:`read_image`,
:func:`write_image`, :func:`read_mask` and :func:`write_mask`. Pixels come back as
:class:`ImageData` (float32, RGB, optional alpha) together with the sample format the file
stored, so a save can keep it.

Decoders used:

- PNG 8-bit, JPEG, WebP, TGA, BMP: Pillow. The format is detected from the file's content
  (magic bytes), not from its extension.
- PNG 16-bit: OpenCV (``cv2.imdecode``), because Pillow reduces 16-bit RGB PNGs to 8 bits.
- TIFF (8/16-bit integer, 16/32/64-bit float): ``tifffile``.
- OpenEXR (half/float/uint channels ``R, G, B[, A]`` or ``Y[, A]``): the ``OpenEXR`` package.

Every failure (missing file, corrupt or truncated data, unsupported format or pixel layout,
image over the pixel cap, zero-size image) raises :class:`ImageIOError` with a one-line
message meant for the user. Writes are atomic: the file is written to a temporary file in the
target folder and moved over the target with :func:`os.replace`, so an existing file is never
left half-written.

Colour space: OpenEXR files hold linear light; every other format holds sRGB-encoded values.
:func:`write_image` converts with the sRGB transfer function when the data's ``colorspace``
differs from what the target format stores.
"""

from __future__ import annotations

import io
import os
import struct
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import OpenEXR
import tifffile
from PIL import Image, UnidentifiedImageError

__all__ = [
    "MAX_PIXELS",
    "SUPPORTED_READ_EXTENSIONS",
    "SUPPORTED_WRITE_EXTENSIONS",
    "ImageData",
    "ImageIOError",
    "file_dialog_filter",
    "linear_to_srgb",
    "read_image",
    "read_mask",
    "srgb_to_linear",
    "write_image",
    "write_mask",
]

MAX_PIXELS: int = 16384 * 16384
"""Largest image (width x height, in pixels) that is decoded; guards against decompression bombs."""

# Pillow warns above MAX_IMAGE_PIXELS and raises above twice that; read_image also checks the
# size itself (with its own ``max_pixels``) before decoding and turns the warning into an error.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

SUPPORTED_READ_EXTENSIONS: tuple[str, ...] = (
    ".png",
    ".jpg",
    ".jpeg",
    ".tif",
    ".tiff",
    ".webp",
    ".tga",
    ".bmp",
    ".exr",
)
"""File extensions (lower case, with dot) that :func:`read_image` accepts."""

SUPPORTED_WRITE_EXTENSIONS: tuple[str, ...] = SUPPORTED_READ_EXTENSIONS
"""File extensions (lower case, with dot) that :func:`write_image` can write."""

SAMPLE_FORMATS: tuple[str, ...] = ("uint8", "uint16", "float32")
COLORSPACES: tuple[str, ...] = ("srgb", "linear")

# Sample formats each written format can store, best first.
_WRITE_FORMATS: dict[str, tuple[str, ...]] = {
    ".png": ("uint8", "uint16"),
    ".jpg": ("uint8",),
    ".jpeg": ("uint8",),
    ".tif": ("uint8", "uint16", "float32"),
    ".tiff": ("uint8", "uint16", "float32"),
    ".webp": ("uint8",),
    ".tga": ("uint8",),
    ".bmp": ("uint8",),
    ".exr": ("float32",),
}
_ALPHA_FORMATS = {".png", ".tif", ".tiff", ".webp", ".tga", ".exr"}

_PILLOW_FORMATS = ["PNG", "JPEG", "WEBP", "BMP", "TGA"]
Image.init()  # register every plugin, so Image.open(formats=...) finds WebP and TGA
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_EXR_MAGIC = b"\x76\x2f\x31\x01"
_TIFF_MAGICS = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")


class ImageIOError(Exception):
    """An image or mask file could not be read or written.

    The message is one line, meant to be shown to the user as it is.
    """


@dataclass
class ImageData:
    """Decoded image pixels plus what the file stored.

    Attributes:
        rgb: float32 ``(H, W, 3)`` RGB. Values in [0, 1] for integer sources; float sources
            (EXR, float TIFF) are kept as stored, so they may exceed 1 or be negative.
        alpha: float32 ``(H, W)`` straight (not premultiplied) alpha in [0, 1], or None.
        sample_format: what the file stored: ``"uint8"``, ``"uint16"`` or ``"float32"``
            (half and double floats are reported as ``"float32"``).
        colorspace: ``"linear"`` for OpenEXR, ``"srgb"`` for every other format.
        source_path: the file the pixels came from, or None for images made in memory.

    Raises:
        ValueError: ``rgb``/``alpha`` have the wrong shape, or ``sample_format`` /
            ``colorspace`` is not one of the allowed values. Arrays of another float dtype
            are converted to float32.
    """

    rgb: np.ndarray
    alpha: np.ndarray | None
    sample_format: str
    colorspace: str = "srgb"
    source_path: Path | None = None

    def __post_init__(self) -> None:
        self.rgb = np.asarray(self.rgb, dtype=np.float32)
        if self.rgb.ndim != 3 or self.rgb.shape[2] != 3:
            raise ValueError(f"rgb must have shape (H, W, 3), got {self.rgb.shape}")
        if self.alpha is not None:
            self.alpha = np.asarray(self.alpha, dtype=np.float32)
            if self.alpha.shape != self.rgb.shape[:2]:
                raise ValueError(
                    f"alpha shape {self.alpha.shape} does not match rgb {self.rgb.shape[:2]}"
                )
        if self.sample_format not in SAMPLE_FORMATS:
            raise ValueError(
                f"sample_format must be one of {SAMPLE_FORMATS}, got {self.sample_format!r}"
            )
        if self.colorspace not in COLORSPACES:
            raise ValueError(f"colorspace must be one of {COLORSPACES}, got {self.colorspace!r}")

    @property
    def height(self) -> int:
        """Image height in pixels."""
        return int(self.rgb.shape[0])

    @property
    def width(self) -> int:
        """Image width in pixels."""
        return int(self.rgb.shape[1])

    @property
    def has_alpha(self) -> bool:
        """True when the image has an alpha channel."""
        return self.alpha is not None


# --------------------------------------------------------------------------------------------
# colour transfer functions


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """Decode sRGB-encoded values to linear light (IEC 61966-2-1 transfer function).

    Args:
        x: float array of any shape, sRGB-encoded values (nominally [0, 1]). Negative values
            are mirrored (``sign(x) * f(|x|)``) so the mapping is invertible.

    Returns:
        float32 array of the same shape, linear values.
    """
    x = np.asarray(x, dtype=np.float32)
    a = np.abs(x)
    lin = np.where(a <= 0.04045, a / 12.92, ((a + 0.055) / 1.055) ** 2.4)
    return (np.sign(x) * lin).astype(np.float32)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """Encode linear-light values with the sRGB transfer function (inverse of
    :func:`srgb_to_linear`).

    Args:
        x: float array of any shape, linear values (may exceed 1 for HDR sources).

    Returns:
        float32 array of the same shape, sRGB-encoded values (not clamped).
    """
    x = np.asarray(x, dtype=np.float32)
    a = np.abs(x)
    enc = np.where(a <= 0.0031308, a * 12.92, 1.055 * np.power(a, 1 / 2.4) - 0.055)
    return (np.sign(x) * enc).astype(np.float32)


# --------------------------------------------------------------------------------------------
# reading


def read_image(path: str | os.PathLike[str], max_pixels: int = MAX_PIXELS) -> ImageData:
    """Read an image file into float32 RGB (+ alpha).

    Grey images are expanded to RGB (three equal channels); palette images are expanded
    through their palette (with transparency as alpha); CMYK JPEG/TIFF are converted to RGB.
    Only the first frame/page of multi-image files is read.

    Args:
        path: file to read. The format is detected from the file's content; the extension
            is not trusted.
        max_pixels: refuse images with more than this many pixels (width x height) before
            decoding them. Defaults to :data:`MAX_PIXELS`.

    Returns:
        :class:`ImageData` with ``rgb`` float32 ``(H, W, 3)`` ([0, 1] for integer files,
        unclamped for float files), ``alpha`` float32 ``(H, W)`` or None, the stored
        ``sample_format``, ``colorspace`` (``"linear"`` for EXR, else ``"srgb"``) and
        ``source_path``.

    Raises:
        ImageIOError: the file is missing, empty, corrupt or truncated, not a supported
            format or pixel layout, zero-size, or larger than ``max_pixels``.
    """
    p = Path(path)
    if not p.exists():
        raise ImageIOError(f"{p}: file not found")
    if not p.is_file():
        raise ImageIOError(f"{p}: not a file")
    try:
        with open(p, "rb") as f:
            head = f.read(32)
    except OSError as e:
        raise ImageIOError(f"{p}: cannot open file ({e.strerror or e})") from e
    if not head:
        raise ImageIOError(f"{p}: file is empty")

    if head.startswith(_EXR_MAGIC):
        data = _read_exr(p, max_pixels)
    elif head.startswith(_TIFF_MAGICS):
        data = _read_tiff(p, max_pixels)
    elif head.startswith(_PNG_MAGIC) and len(head) >= 26 and head[24] == 16:
        data = _read_png16(p, head, max_pixels)
    else:
        data = _read_pillow(p, max_pixels)
    data.source_path = p
    return data


def _check_size(p: Path, width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise ImageIOError(f"{p}: image has zero size ({width} x {height})")
    if width * height > max_pixels:
        raise ImageIOError(
            f"{p}: image is {width} x {height} = {width * height:,} pixels, "
            f"over the limit of {max_pixels:,} pixels"
        )


def _from_integer(a: np.ndarray) -> tuple[np.ndarray, str]:
    """Scale an integer array to float32 [0, 1]; return it and its sample format."""
    if a.dtype == np.uint8:
        return a.astype(np.float32) / np.float32(255), "uint8"
    if a.dtype == np.uint16:
        return a.astype(np.float32) / np.float32(65535), "uint16"
    raise ImageIOError(f"unsupported sample type {a.dtype}")


def _split_channels(p: Path, a: np.ndarray, fmt: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(H, W) or (H, W, C) float32 with C in 1..4 (grey, grey+alpha, RGB, RGBA) -> rgb, alpha."""
    if a.ndim == 2:
        a = a[:, :, None]
    c = a.shape[2]
    if c == 1:
        return np.repeat(a, 3, axis=2), None
    if c == 2:
        return np.repeat(a[:, :, :1], 3, axis=2), np.ascontiguousarray(a[:, :, 1])
    if c == 3:
        return np.ascontiguousarray(a), None
    if c == 4:
        return np.ascontiguousarray(a[:, :, :3]), np.ascontiguousarray(a[:, :, 3])
    raise ImageIOError(f"{p}: unsupported {fmt} layout with {c} channels")


def _read_pillow(p: Path, max_pixels: int) -> ImageData:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(p, formats=_PILLOW_FORMATS) as im:
                _check_size(p, im.width, im.height, max_pixels)
                im.load()
                return _pillow_to_data(p, im)
    except ImageIOError:
        raise
    except UnidentifiedImageError as e:
        raise ImageIOError(
            f"{p}: not a supported image format (supported: "
            f"{', '.join(e.lstrip('.') for e in SUPPORTED_READ_EXTENSIONS)})"
        ) from e
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageIOError(f"{p}: image is over the pixel limit ({e})") from e
    except Exception as e:  # decoders raise OSError, SyntaxError, ValueError, struct.error...
        raise ImageIOError(
            f"{p}: cannot decode image, the file is corrupt or truncated ({e})"
        ) from e


def _pillow_to_data(p: Path, im: Image.Image) -> ImageData:
    mode = im.mode
    fmt = im.format or "image"
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif mode == "PA":
        im = im.convert("RGBA")
    elif mode == "La":
        im = im.convert("LA")
    elif mode in ("1", "L"):
        im = im.convert("RGBA" if "transparency" in im.info else "L")
    elif mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        im = im.convert("RGB")
    elif mode == "RGB" and "transparency" in im.info:
        im = im.convert("RGBA")
    elif mode == "RGBa":
        im = im.convert("RGBA")

    if im.mode.startswith("I;16"):
        arr, sample_format = _from_integer(np.asarray(im).astype(np.uint16))
    elif im.mode == "I":
        raw = np.asarray(im)
        if raw.min() < 0 or raw.max() > 65535:
            raise ImageIOError(f"{p}: unsupported 32-bit integer {fmt} image")
        arr, sample_format = _from_integer(raw.astype(np.uint16))
    elif im.mode == "F":
        arr, sample_format = np.asarray(im, dtype=np.float32), "float32"
    elif im.mode in ("L", "LA", "RGB", "RGBA"):
        arr, sample_format = _from_integer(np.asarray(im, dtype=np.uint8))
    else:
        raise ImageIOError(f"{p}: unsupported {fmt} pixel mode {mode!r}")
    rgb, alpha = _split_channels(p, arr, fmt)
    return ImageData(rgb=rgb, alpha=alpha, sample_format=sample_format, colorspace="srgb")


def _read_png16(p: Path, head: bytes, max_pixels: int) -> ImageData:
    width, height = struct.unpack(">II", head[16:24])
    _check_size(p, width, height, max_pixels)
    try:
        raw = np.fromfile(p, dtype=np.uint8)
        a = cv2.imdecode(raw, cv2.IMREAD_UNCHANGED)
    except (OSError, cv2.error) as e:
        raise ImageIOError(f"{p}: cannot decode 16-bit PNG ({e})") from e
    if a is None or a.shape[:2] != (height, width):
        raise ImageIOError(f"{p}: cannot decode 16-bit PNG, the file is corrupt or truncated")
    if a.ndim == 3 and a.shape[2] == 3:
        a = a[:, :, ::-1]
    elif a.ndim == 3 and a.shape[2] == 4:
        a = a[:, :, [2, 1, 0, 3]]
    arr, sample_format = _from_integer(np.ascontiguousarray(a))
    rgb, alpha = _split_channels(p, arr, "PNG")
    return ImageData(rgb=rgb, alpha=alpha, sample_format=sample_format, colorspace="srgb")


def _read_tiff(p: Path, max_pixels: int) -> ImageData:
    try:
        with tifffile.TiffFile(p) as tif:
            page = tif.pages.first
            axes = page.axes
            shape = dict(zip(axes, page.shape, strict=True))
            _check_size(p, int(shape.get("X", 0)), int(shape.get("Y", 0)), max_pixels)
            a = page.asarray()
            photometric = int(page.photometric)
            extrasamples = tuple(int(e) for e in page.extrasamples)
            colormap = page.colormap
    except ImageIOError:
        raise
    except Exception as e:  # tifffile raises TiffFileError, ValueError, KeyError, ...
        raise ImageIOError(
            f"{p}: cannot decode TIFF, the file is corrupt or unsupported ({e})"
        ) from e

    if a.shape != tuple(page.shape) or len(axes) != a.ndim:  # damaged headers can disagree
        raise ImageIOError(
            f"{p}: cannot decode TIFF, the file is corrupt (pixel data {a.shape} does not match "
            f"the header's {tuple(page.shape)})"
        )
    # Reorder to (Y, X[, S]) and drop any other length-1 axes.
    for ax in axes:
        if ax not in "YXS" and a.shape[axes.index(ax)] != 1:
            raise ImageIOError(f"{p}: unsupported TIFF layout (axes {axes!r})")
    keep = [ax for ax in axes if ax in "YXS"]
    a = a.reshape([a.shape[i] for i, ax in enumerate(axes) if ax in "YXS"])
    a = np.transpose(a, [keep.index(ax) for ax in "YXS" if ax in keep])

    if photometric == tifffile.PHOTOMETRIC.PALETTE and colormap is not None:
        cmap = np.asarray(colormap)  # (3, 2**bits), uint16
        if a.size and int(a.max()) >= cmap.shape[-1]:
            raise ImageIOError(f"{p}: cannot decode TIFF, palette index outside the colormap")
        a = np.moveaxis(cmap[:, a], 0, -1).astype(np.uint16)
    elif photometric == tifffile.PHOTOMETRIC.SEPARATED and a.ndim == 3 and a.shape[2] >= 4:
        a = _cmyk_to_rgb(a)
    elif photometric == tifffile.PHOTOMETRIC.MINISWHITE and np.issubdtype(a.dtype, np.integer):
        a = np.iinfo(a.dtype).max - a

    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * np.uint8(255)
    if np.issubdtype(a.dtype, np.floating):
        arr, sample_format = a.astype(np.float32), "float32"
    elif a.dtype in (np.uint8, np.uint16):
        arr, sample_format = _from_integer(a)
    else:
        raise ImageIOError(f"{p}: unsupported TIFF sample type {a.dtype}")

    if arr.ndim == 3 and arr.shape[2] > 4:
        arr = arr[:, :, :4]
    rgb, alpha = _split_channels(p, arr, "TIFF")
    if alpha is not None and extrasamples[:1] == (1,):  # associated (premultiplied) alpha
        safe = np.where(alpha > 0, alpha, 1.0).astype(np.float32)
        rgb = np.where(alpha[:, :, None] > 0, rgb / safe[:, :, None], 0.0).astype(np.float32)
    return ImageData(rgb=rgb, alpha=alpha, sample_format=sample_format, colorspace="srgb")


def _cmyk_to_rgb(a: np.ndarray) -> np.ndarray:
    """CMYK(+extra) integer/float -> RGB(+alpha) of the same dtype (naive, no ICC profile)."""
    if np.issubdtype(a.dtype, np.integer):
        top = float(np.iinfo(a.dtype).max)
    else:
        top = 1.0
    f = a.astype(np.float64) / top
    c, m, y, k = (f[:, :, i] for i in range(4))
    rgb = np.stack([(1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k)], axis=2)
    if a.shape[2] > 4:
        rgb = np.concatenate([rgb, f[:, :, 4:5]], axis=2)
    out = rgb * top
    if np.issubdtype(a.dtype, np.integer):
        out = np.rint(out)
    return out.astype(a.dtype)


def _read_exr(p: Path, max_pixels: int) -> ImageData:
    try:
        with OpenEXR.File(str(p), header_only=True) as f:
            lo, hi = f.header()["dataWindow"]
        width, height = int(hi[0] - lo[0] + 1), int(hi[1] - lo[1] + 1)
        _check_size(p, width, height, max_pixels)
        with OpenEXR.File(str(p), separate_channels=True) as f:
            channels = {name: np.asarray(ch.pixels) for name, ch in f.channels().items()}
    except ImageIOError:
        raise
    except Exception as e:  # the OpenEXR bindings raise RuntimeError/ValueError/...
        raise ImageIOError(
            f"{p}: cannot decode OpenEXR, the file is corrupt or truncated ({e})"
        ) from e

    def chan(name: str) -> np.ndarray:
        return channels[name].astype(np.float32)

    if {"R", "G", "B"} <= channels.keys():
        rgb = np.stack([chan("R"), chan("G"), chan("B")], axis=2)
    elif "Y" in channels:
        rgb = np.repeat(chan("Y")[:, :, None], 3, axis=2)
    else:
        names = ", ".join(sorted(channels)) or "none"
        raise ImageIOError(f"{p}: OpenEXR file has no R, G, B or Y channels (has: {names})")
    alpha = chan("A") if "A" in channels else None
    if rgb.shape[:2] != (height, width):
        raise ImageIOError(f"{p}: OpenEXR channels are subsampled, which is not supported")
    return ImageData(rgb=rgb, alpha=alpha, sample_format="float32", colorspace="linear")


# --------------------------------------------------------------------------------------------
# writing


def _extension(p: Path) -> str:
    ext = p.suffix.lower()
    if ext not in SUPPORTED_WRITE_EXTENSIONS:
        shown = ext or "(no extension)"
        raise ImageIOError(
            f"{p}: cannot write {shown} files (supported: {', '.join(SUPPORTED_WRITE_EXTENSIONS)})"
        )
    return ext


def _quantise(x: np.ndarray, dtype: type[np.integer]) -> np.ndarray:
    """float [0, 1] -> uint8/uint16: NaN to 0, clamp to [0, 1], scale and round to nearest."""
    top = np.iinfo(dtype).max
    x = np.nan_to_num(np.asarray(x, dtype=np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    return np.rint(np.clip(x, 0.0, 1.0) * top).astype(dtype)


def _atomic_write(target: Path, write: Callable[[Path], object]) -> None:
    """Call ``write(tmp)`` on a temp file beside ``target``, then move it over ``target``.

    On any error the temp file is removed and ``target`` is left as it was.
    """
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ImageIOError(f"{target}: folder {folder} does not exist")
    if target.is_dir():
        raise ImageIOError(f"{target}: is a folder")
    try:
        fd, tmp_name = tempfile.mkstemp(
            dir=folder, prefix=f".{target.name}.", suffix=f".tmp{target.suffix}"
        )
    except OSError as e:
        raise ImageIOError(f"{target}: cannot write in {folder} ({e.strerror or e})") from e
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        # mkstemp creates the file 0600; give it the mode a normal open() would have.
        if target.exists():
            mode = target.stat().st_mode & 0o7777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, ImageIOError):
            raise
        if isinstance(e, Exception):
            raise ImageIOError(f"{target}: cannot write image ({e})") from e
        raise


def write_image(
    path: str | os.PathLike[str],
    data: ImageData,
    *,
    sample_format: str | None = None,
    quality: int = 95,
    grey: bool = False,
) -> None:
    """Write an image atomically; the format is chosen by the file extension.

    Sample format: ``sample_format=None`` keeps ``data.sample_format`` where the format can
    store it, else the nearest it can: JPEG, WebP, TGA and BMP store ``uint8``; PNG stores
    ``uint8`` or ``uint16`` (float data is written as ``uint16``); TIFF stores all three;
    OpenEXR stores ``float32`` (32-bit float channels, ZIP compressed). When quantising to
    an integer format, values are clamped to [0, 1] and rounded to the nearest level.

    Alpha is written for PNG, TIFF, WebP, TGA and EXR, and dropped for JPEG and BMP.
    Colour space: EXR is written linear, every other format sRGB; ``data.rgb`` is converted
    with the sRGB transfer function when ``data.colorspace`` differs.

    Args:
        path: target file. Its folder must exist. An existing file is replaced only once
            the new one is completely written.
        data: the pixels to write.
        sample_format: ``"uint8"``, ``"uint16"``, ``"float32"`` or None (see above).
        quality: JPEG/WebP quality 1..100. WebP at 100 is written lossless.
        grey: write one grey channel (``data.rgb[..., 0]``; plus alpha) instead of RGB, as a
            grey file of the format (PNG/TGA/BMP/JPEG/WebP mode L or LA, TIFF minisblack,
            OpenEXR channel ``Y``). A 16-bit PNG with alpha is written as 16-bit RGBA (the
            encoder has no 16-bit grey + alpha).

    Raises:
        ImageIOError: unsupported extension, a sample format the target format cannot store,
            bad ``quality``, folder missing or not writable, or the encoder failed. Nothing
            is written in that case and an existing target is untouched.
    """
    p = Path(path)
    ext = _extension(p)
    if sample_format is not None and sample_format not in SAMPLE_FORMATS:
        raise ImageIOError(f"{p}: unknown sample format {sample_format!r} (use {SAMPLE_FORMATS})")
    if not 1 <= int(quality) <= 100:
        raise ImageIOError(f"{p}: quality must be between 1 and 100, got {quality}")
    if data.height == 0 or data.width == 0:
        raise ImageIOError(f"{p}: cannot write a zero-size image ({data.width} x {data.height})")

    allowed = _WRITE_FORMATS[ext]
    if sample_format is not None:
        if sample_format not in allowed:
            raise ImageIOError(
                f"{p}: {ext} files cannot store {sample_format} samples "
                f"(they store {', '.join(allowed)})"
            )
        fmt = sample_format
    elif data.sample_format in allowed:
        fmt = data.sample_format
    else:
        fmt = allowed[-1] if data.sample_format == "float32" else allowed[0]

    target_space = "linear" if ext == ".exr" else "srgb"
    rgb = data.rgb[..., :1] if grey else data.rgb
    if data.colorspace != target_space:
        rgb = srgb_to_linear(rgb) if target_space == "linear" else linear_to_srgb(rgb)
    alpha = data.alpha if ext in _ALPHA_FORMATS else None

    if ext == ".exr":
        writer = _exr_writer(rgb, alpha)
    else:
        payload = _encode(ext, rgb, alpha, fmt, int(quality))

        def writer(tmp: Path) -> None:
            tmp.write_bytes(payload)

    _atomic_write(p, writer)


LOSSY_FORMATS: dict[str, str] = {".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WebP"}
"""Extensions :func:`write_image` encodes lossily at its default quality (WebP only at 100 is
lossless), with the format's name: every save to them loses detail again."""


def write_losses(path: str | os.PathLike[str], data: ImageData) -> list[str]:
    """What writing ``data`` to ``path`` with :func:`write_image` (default sample format and
    quality) would lose, as short phrases for the user; empty when nothing is lost.

    Lossy compression (JPEG, WebP), a lower sample format than ``data.sample_format`` (e.g. a
    16-bit image into an 8-bit-only format) and a dropped alpha channel are reported.

    Raises:
        ImageIOError: unsupported extension.
    """
    ext = _extension(Path(path))
    losses = []
    if ext in LOSSY_FORMATS:
        losses.append(f"{LOSSY_FORMATS[ext]} compression is lossy: every save loses detail")
    allowed = _WRITE_FORMATS[ext]
    if data.sample_format not in allowed:
        bits = {"uint8": "8-bit", "uint16": "16-bit", "float32": "32-bit float"}
        best = allowed[-1] if data.sample_format == "float32" else allowed[0]
        losses.append(f"stores {bits[best]} samples; the image has {bits[data.sample_format]}")
    if data.alpha is not None and ext not in _ALPHA_FORMATS:
        losses.append("drops the alpha channel")
    return losses


def _stack(rgb: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    return rgb if alpha is None else np.concatenate([rgb, alpha[:, :, None]], axis=2)


def _encode(ext: str, rgb: np.ndarray, alpha: np.ndarray | None, fmt: str, quality: int) -> bytes:
    """Encode to the bytes of a whole file in memory (so nothing touches disk on failure).
    ``rgb`` is ``(H, W, 3)``, or ``(H, W, 1)`` for a grey file."""
    grey = rgb.shape[2] == 1
    if grey and ext == ".png" and fmt == "uint16" and alpha is not None:
        rgb, grey = np.repeat(rgb, 3, axis=2), False  # OpenCV has no 16-bit grey + alpha PNG
    try:
        if ext in (".tif", ".tiff"):
            if fmt == "float32":
                arr = np.ascontiguousarray(_stack(rgb, alpha), dtype=np.float32)
            else:
                arr = _quantise(_stack(rgb, alpha), np.uint8 if fmt == "uint8" else np.uint16)
            buf = io.BytesIO()
            tifffile.imwrite(
                buf,
                arr[:, :, 0] if grey and alpha is None else arr,
                photometric="minisblack" if grey else "rgb",
                extrasamples=["unassalpha"] if alpha is not None else None,
                compression="zlib",
            )
            return buf.getvalue()
        if ext == ".png" and fmt == "uint16":
            arr = _quantise(_stack(rgb, alpha), np.uint16)
            if grey:
                arr = arr[:, :, 0]
            else:
                arr = arr[:, :, [2, 1, 0, 3]] if alpha is not None else arr[:, :, ::-1]
            ok, enc = cv2.imencode(".png", np.ascontiguousarray(arr))
            if not ok:
                raise ImageIOError("the PNG encoder failed")
            return enc.tobytes()

        arr = _quantise(_stack(rgb, alpha), np.uint8)
        if grey:
            im = (
                Image.fromarray(arr, mode="LA")
                if alpha is not None
                else Image.fromarray(arr[:, :, 0], mode="L")
            )
        else:
            im = Image.fromarray(arr, mode="RGBA" if alpha is not None else "RGB")
        buf = io.BytesIO()
        if ext == ".png":
            im.save(buf, format="PNG", compress_level=6)
        elif ext in (".jpg", ".jpeg"):
            im.save(buf, format="JPEG", quality=quality, subsampling=0 if quality >= 90 else 2)
        elif ext == ".webp":
            im.save(buf, format="WEBP", quality=quality, lossless=quality == 100, exact=True)
        elif ext == ".tga":
            im.save(buf, format="TGA", compression="tga_rle")
        elif ext == ".bmp":
            im.save(buf, format="BMP")
        else:  # pragma: no cover - _WRITE_FORMATS and this table are kept in step
            raise ImageIOError(f"no encoder for {ext}")
        return buf.getvalue()
    except ImageIOError:
        raise
    except Exception as e:
        raise ImageIOError(f"cannot encode {ext} image ({e})") from e


def _exr_writer(rgb: np.ndarray, alpha: np.ndarray | None) -> Callable[[Path], None]:
    if rgb.shape[2] == 1:
        channels = {"Y": np.ascontiguousarray(rgb[:, :, 0], dtype=np.float32)}
    else:
        channels = {
            "R": np.ascontiguousarray(rgb[:, :, 0], dtype=np.float32),
            "G": np.ascontiguousarray(rgb[:, :, 1], dtype=np.float32),
            "B": np.ascontiguousarray(rgb[:, :, 2], dtype=np.float32),
        }
    if alpha is not None:
        channels["A"] = np.ascontiguousarray(alpha, dtype=np.float32)
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}

    def write(tmp: Path) -> None:
        with OpenEXR.File(header, channels) as f:
            f.write(str(tmp))

    return write


# --------------------------------------------------------------------------------------------
# masks


def read_mask(path: str | os.PathLike[str], shape: tuple[int, int] | None = None) -> np.ndarray:
    """Read an inpainting mask (1 = pixel to be changed).

    The mask value is the file's alpha channel when it has one that is not fully opaque,
    else the luminance of its RGB (Rec. 709 weights; for grey files simply the grey level).

    Args:
        path: any image file :func:`read_image` can read.
        shape: expected ``(H, W)`` (the image's size), or None to accept any size.

    Returns:
        float32 ``(H, W)`` mask in [0, 1] (float files are clamped).

    Raises:
        ImageIOError: the file cannot be read (see :func:`read_image`), or its size is not
            ``shape``; the message names both sizes.
    """
    data = read_image(path)
    if data.alpha is not None and float(data.alpha.min()) < 1.0:
        mask = data.alpha
    else:
        rgb = data.rgb
        if np.array_equal(rgb[:, :, 0], rgb[:, :, 1]) and np.array_equal(
            rgb[:, :, 0], rgb[:, :, 2]
        ):
            mask = rgb[:, :, 0]
        else:
            mask = rgb @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
    mask = np.clip(np.nan_to_num(mask, nan=0.0), 0.0, 1.0).astype(np.float32)
    if shape is not None and tuple(mask.shape) != tuple(shape):
        raise ImageIOError(
            f"{path}: mask is {mask.shape[0]} x {mask.shape[1]} (H x W) but the image is "
            f"{shape[0]} x {shape[1]}"
        )
    return np.ascontiguousarray(mask)


def write_mask(path: str | os.PathLike[str], mask: np.ndarray) -> None:
    """Write a mask as an 8-bit greyscale PNG, atomically.

    Args:
        path: target ``.png`` file.
        mask: float ``(H, W)`` in [0, 1] (clamped; NaN written as 0), or a bool array.

    Raises:
        ImageIOError: ``path`` is not ``.png``, ``mask`` is not 2-D or is empty, or the
            write failed (an existing target is then untouched).
    """
    p = Path(path)
    if p.suffix.lower() != ".png":
        raise ImageIOError(f"{p}: masks are written as PNG; use a .png file name")
    m = np.asarray(mask)
    if m.ndim != 2 or m.size == 0:
        raise ImageIOError(f"{p}: mask must be a non-empty (H, W) array, got shape {m.shape}")
    im = Image.fromarray(_quantise(m.astype(np.float32), np.uint8), mode="L")
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    payload = buf.getvalue()
    _atomic_write(p, lambda tmp: tmp.write_bytes(payload))


def file_dialog_filter() -> str:
    """Return a Qt file-dialog name filter listing the supported image formats.

    Returns:
        e.g. ``"Images (*.png *.jpg ...);;PNG (*.png);;...;;All files (*)"``; pass it to
        ``QFileDialog.getOpenFileName(..., filter=...)``.
    """
    groups = [
        ("PNG", (".png",)),
        ("JPEG", (".jpg", ".jpeg")),
        ("TIFF", (".tif", ".tiff")),
        ("WebP", (".webp",)),
        ("Targa", (".tga",)),
        ("BMP", (".bmp",)),
        ("OpenEXR", (".exr",)),
    ]
    every = " ".join(f"*{e}" for e in SUPPORTED_READ_EXTENSIONS)
    parts = [f"Images ({every})"]
    parts += [f"{name} ({' '.join('*' + e for e in exts)})" for name, exts in groups]
    parts.append("All files (*)")
    return ";;".join(parts)
