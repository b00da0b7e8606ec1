"""Round-trip and failure tests for texpaint.imaging.io on real pixels."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import OpenEXR
import pytest
import tifffile
from PIL import Image

from texpaint import resources_dir
from texpaint.imaging import io as tio
from texpaint.imaging.io import (
    SUPPORTED_READ_EXTENSIONS,
    SUPPORTED_WRITE_EXTENSIONS,
    ImageData,
    ImageIOError,
    file_dialog_filter,
    linear_to_srgb,
    read_image,
    read_mask,
    srgb_to_linear,
    write_image,
    write_mask,
)

pytestmark = pytest.mark.unit

BRICK = "polyhaven__brick_wall_005_diff_1k.jpg"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(scope="module")
def texture() -> np.ndarray:
    """A real 64x64 crop of a bundled sample texture, float32 [0, 1], exact 8-bit levels."""
    path = resources_dir() / "samples" / BRICK
    if not path.exists():  # samples not copied yet: fall back to the shared data set
        path = Path("/work/shared/data/textures/cc0-1k/val") / BRICK
    with Image.open(path) as im:
        arr = np.asarray(im.convert("RGB"))[300:364, 300:364]
    return arr.astype(np.float32) / 255


def _levels(rng: np.random.Generator, shape: tuple[int, ...], top: int) -> np.ndarray:
    return rng.integers(0, top + 1, size=shape)


def _no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if ".tmp" in p.name]


# ------------------------------------------------------------------------------------------
# round trips


def test_png8_rgba_roundtrip_exact(tmp_path, rng):
    rgb = _levels(rng, (17, 23, 3), 255).astype(np.float32) / 255
    alpha = _levels(rng, (17, 23), 255).astype(np.float32) / 255
    write_image(tmp_path / "a.png", ImageData(rgb, alpha, "uint8"))
    back = read_image(tmp_path / "a.png")
    assert back.sample_format == "uint8" and back.colorspace == "srgb"
    assert (back.height, back.width) == (17, 23)
    np.testing.assert_array_equal(np.rint(back.rgb * 255), np.rint(rgb * 255))
    np.testing.assert_array_equal(np.rint(back.alpha * 255), np.rint(alpha * 255))
    assert back.source_path == tmp_path / "a.png"


def test_png16_keeps_values_that_are_not_multiples_of_257(tmp_path, rng):
    levels = _levels(rng, (19, 13, 3), 65535)
    levels[0, 0] = [1, 258, 65534]  # explicitly not representable in 8 bits
    alpha_levels = _levels(rng, (19, 13), 65535)
    data = ImageData(levels / 65535, alpha_levels / 65535, "uint16")
    write_image(tmp_path / "a.png", data)
    # The file itself is 16-bit (checked with an independent decoder).
    raw = cv2.imdecode(np.fromfile(tmp_path / "a.png", np.uint8), cv2.IMREAD_UNCHANGED)
    assert raw.dtype == np.uint16 and raw.shape == (19, 13, 4)
    back = read_image(tmp_path / "a.png")
    assert back.sample_format == "uint16"
    np.testing.assert_array_equal(np.rint(back.rgb * 65535).astype(int), levels)
    np.testing.assert_array_equal(np.rint(back.alpha * 65535).astype(int), alpha_levels)
    assert np.any(levels % 257 != 0)


def test_png16_grey_is_expanded_to_rgb(tmp_path, rng):
    grey = _levels(rng, (8, 11), 65535).astype(np.uint16)
    assert cv2.imwrite(str(tmp_path / "g.png"), grey)
    back = read_image(tmp_path / "g.png")
    assert back.sample_format == "uint16" and back.alpha is None
    for c in range(3):
        np.testing.assert_array_equal(np.rint(back.rgb[:, :, c] * 65535), grey)


def test_float_data_saved_as_png_becomes_uint16_clamped(tmp_path):
    rgb = np.array([[[-0.5, 0.25, 3.0]]], dtype=np.float32)
    write_image(tmp_path / "f.png", ImageData(rgb, None, "float32"))
    back = read_image(tmp_path / "f.png")
    assert back.sample_format == "uint16"
    np.testing.assert_array_equal(np.rint(back.rgb * 65535), [[[0, 16384, 65535]]])


@pytest.mark.parametrize("fmt", ["uint8", "uint16", "float32"])
@pytest.mark.parametrize("ext", [".tif", ".tiff"])
def test_tiff_roundtrip_every_sample_format(tmp_path, rng, fmt, ext):
    if fmt == "float32":
        rgb = (rng.standard_normal((9, 14, 3)) * 3).astype(np.float32)  # negatives and > 1
        rgb[0, 0] = [1.0e-7, 123.456, 0.1]
        alpha = rng.random((9, 14), dtype=np.float32)
    else:
        top = 255 if fmt == "uint8" else 65535
        rgb = (_levels(rng, (9, 14, 3), top) / top).astype(np.float32)
        alpha = (_levels(rng, (9, 14), top) / top).astype(np.float32)
    write_image(tmp_path / f"t{ext}", ImageData(rgb, alpha, fmt))
    back = read_image(tmp_path / f"t{ext}")
    assert back.sample_format == fmt
    if fmt == "float32":
        np.testing.assert_array_equal(back.rgb, rgb)  # bit-exact float32
        np.testing.assert_array_equal(back.alpha, alpha)
        assert back.rgb.max() > 1
    else:
        np.testing.assert_allclose(back.rgb, rgb, atol=1e-6)
        np.testing.assert_allclose(back.alpha, alpha, atol=1e-6)


def test_exr_float_roundtrip_keeps_hdr_values_exactly(tmp_path, rng):
    rgb = (rng.random((10, 12, 3), dtype=np.float32) * 50).astype(np.float32)
    rgb[0, 0] = [0.123456789, 1e-4, 1000.5]
    alpha = rng.random((10, 12), dtype=np.float32)
    write_image(tmp_path / "h.exr", ImageData(rgb, alpha, "float32", "linear"))
    back = read_image(tmp_path / "h.exr")
    assert back.sample_format == "float32" and back.colorspace == "linear"
    np.testing.assert_array_equal(back.rgb, rgb)
    np.testing.assert_array_equal(back.alpha, alpha)


def test_exr_half_channels_read_to_half_precision(tmp_path, rng):
    rgb = (rng.random((6, 7, 3)) * 8).astype(np.float32)
    half = {c: rgb[:, :, i].astype(np.float16) for i, c in enumerate("RGB")}
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    with OpenEXR.File(header, half) as f:
        f.write(str(tmp_path / "half.exr"))
    back = read_image(tmp_path / "half.exr")
    assert back.rgb.dtype == np.float32 and back.alpha is None
    np.testing.assert_allclose(back.rgb, rgb, rtol=1e-3)  # half has ~3 decimal digits
    assert back.rgb.max() > 1


def test_srgb_data_written_to_exr_is_linearised_and_comes_back(tmp_path, texture):
    write_image(tmp_path / "x.exr", ImageData(texture, None, "uint8"))
    lin = read_image(tmp_path / "x.exr")
    assert lin.colorspace == "linear"
    np.testing.assert_allclose(lin.rgb, srgb_to_linear(texture), atol=1e-6)
    write_image(tmp_path / "x.png", lin, sample_format="uint8")
    np.testing.assert_array_equal(read_image(tmp_path / "x.png").rgb, texture)


def test_transfer_functions_invert_each_other():
    x = np.linspace(-0.2, 4.0, 500, dtype=np.float32)
    np.testing.assert_allclose(linear_to_srgb(srgb_to_linear(x)), x, atol=1e-5)
    assert srgb_to_linear(np.float32(0.5)) == pytest.approx(0.21404, abs=1e-5)


def test_jpeg_roundtrip_within_tolerance_and_alpha_dropped(tmp_path, texture):
    alpha = np.full(texture.shape[:2], 0.5, np.float32)
    write_image(tmp_path / "j.jpg", ImageData(texture, alpha, "uint8"), quality=95)
    back = read_image(tmp_path / "j.jpg")
    assert back.sample_format == "uint8" and back.alpha is None
    err = np.abs(back.rgb - texture)
    assert err.mean() < 0.015 and err.max() < 0.2
    low = tmp_path / "low.jpeg"
    write_image(low, ImageData(texture, None, "uint8"), quality=10)
    assert np.abs(read_image(low).rgb - texture).mean() > err.mean()  # quality is honoured


def test_webp_lossless_at_quality_100_and_lossy_otherwise(tmp_path, texture, rng):
    alpha = (_levels(rng, texture.shape[:2], 255) / 255).astype(np.float32)
    write_image(tmp_path / "w.webp", ImageData(texture, alpha, "uint8"), quality=100)
    back = read_image(tmp_path / "w.webp")
    np.testing.assert_array_equal(back.rgb, texture)
    np.testing.assert_array_equal(np.rint(back.alpha * 255), np.rint(alpha * 255))
    write_image(tmp_path / "l.webp", ImageData(texture, None, "uint16"), quality=90)
    lossy = read_image(tmp_path / "l.webp")
    assert lossy.sample_format == "uint8"
    assert np.abs(lossy.rgb - texture).mean() < 0.03


@pytest.mark.parametrize("ext", [".tga", ".bmp"])
def test_tga_and_bmp_roundtrip_exact(tmp_path, texture, ext):
    alpha = np.linspace(0, 1, texture.shape[0] * texture.shape[1], dtype=np.float32)
    alpha = (np.rint(alpha * 255) / 255).reshape(texture.shape[:2])
    write_image(tmp_path / f"t{ext}", ImageData(texture, alpha, "float32"))
    back = read_image(tmp_path / f"t{ext}")
    assert back.sample_format == "uint8"
    np.testing.assert_array_equal(back.rgb, texture)
    if ext == ".tga":
        np.testing.assert_allclose(back.alpha, alpha, atol=1e-7)
    else:
        assert back.alpha is None  # BMP is written without alpha


# ------------------------------------------------------------------------------------------
# input layouts made by other encoders


def test_grey_la_palette_and_cmyk_inputs(tmp_path, rng):
    grey = _levels(rng, (5, 6), 255).astype(np.uint8)
    Image.fromarray(grey, "L").save(tmp_path / "l.png")
    d = read_image(tmp_path / "l.png")
    assert d.alpha is None
    np.testing.assert_array_equal(np.rint(d.rgb * 255), np.repeat(grey[:, :, None], 3, 2))

    la = np.stack([grey, 255 - grey], axis=2)
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    d = read_image(tmp_path / "la.png")
    np.testing.assert_array_equal(np.rint(d.rgb[:, :, 1] * 255), grey)
    np.testing.assert_array_equal(np.rint(d.alpha * 255), 255 - grey)

    pal = Image.new("P", (3, 2))
    pal.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * (256 * 3 - 9))
    pal.putdata([0, 1, 2, 2, 1, 0])
    pal.info["transparency"] = 1  # index 1 (green) is transparent
    pal.save(tmp_path / "p.png", transparency=1)
    d = read_image(tmp_path / "p.png")
    np.testing.assert_array_equal(d.rgb[0, 0], [1, 0, 0])
    np.testing.assert_array_equal(d.rgb[0, 2], [0, 0, 1])
    np.testing.assert_array_equal(d.alpha, [[1, 0, 1], [1, 0, 1]])

    cmyk = Image.new("CMYK", (4, 4), (0, 255, 255, 0))  # pure red in CMYK
    cmyk.save(tmp_path / "c.jpg", quality=100)
    d = read_image(tmp_path / "c.jpg")
    assert d.rgb.shape == (4, 4, 3)
    np.testing.assert_allclose(d.rgb[1, 1], [1, 0, 0], atol=0.03)


def test_grey_and_cmyk_tiff(tmp_path, rng):
    grey = _levels(rng, (6, 5), 65535).astype(np.uint16)
    tifffile.imwrite(tmp_path / "g.tif", grey, photometric="minisblack")
    d = read_image(tmp_path / "g.tif")
    assert d.sample_format == "uint16"
    np.testing.assert_array_equal(np.rint(d.rgb[:, :, 2] * 65535), grey)
    cmyk = np.zeros((3, 3, 4), np.uint8)
    cmyk[..., 1] = 255  # magenta
    tifffile.imwrite(tmp_path / "c.tif", cmyk, photometric="separated")
    np.testing.assert_array_equal(read_image(tmp_path / "c.tif").rgb[0, 0], [1, 0, 1])


def test_format_is_detected_from_content_not_extension(tmp_path, texture):
    write_image(tmp_path / "real.png", ImageData(texture, None, "uint8"))
    os.replace(tmp_path / "real.png", tmp_path / "liar.jpg")
    np.testing.assert_array_equal(read_image(tmp_path / "liar.jpg").rgb, texture)


# ------------------------------------------------------------------------------------------
# failures


@pytest.mark.parametrize("ext", [".png", ".jpg", ".tif", ".exr", ".webp", ".bmp"])
def test_truncated_file_raises_imageioerror(tmp_path, texture, ext):
    sample_format = "uint16" if ext == ".png" else "uint8"
    write_image(tmp_path / f"ok{ext}", ImageData(texture, None, sample_format))
    blob = (tmp_path / f"ok{ext}").read_bytes()
    (tmp_path / f"cut{ext}").write_bytes(blob[: len(blob) // 3])
    with pytest.raises(ImageIOError, match="cut"):
        read_image(tmp_path / f"cut{ext}")


def test_garbage_empty_missing_and_folder(tmp_path):
    (tmp_path / "junk.png").write_bytes(b"this is not an image at all")
    with pytest.raises(ImageIOError, match="not a supported image format"):
        read_image(tmp_path / "junk.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageIOError, match="empty"):
        read_image(tmp_path / "empty.png")
    with pytest.raises(ImageIOError, match="not found"):
        read_image(tmp_path / "missing.png")
    with pytest.raises(ImageIOError, match="not a file"):
        read_image(tmp_path)


@pytest.mark.parametrize(
    "ext,fmt",
    [
        (".png", "uint8"),
        (".png", "uint16"),
        (".tif", "float32"),
        (".exr", "float32"),
        (".jpg", "uint8"),
    ],
)
def test_pixel_cap_refuses_large_images(tmp_path, ext, fmt):
    write_image(tmp_path / f"big{ext}", ImageData(np.zeros((40, 50, 3), np.float32), None, fmt))
    assert read_image(tmp_path / f"big{ext}", max_pixels=2000).width == 50
    with pytest.raises(ImageIOError, match="over the limit"):
        read_image(tmp_path / f"big{ext}", max_pixels=1999)


def test_pillow_cap_matches_module_cap():
    assert Image.MAX_IMAGE_PIXELS == tio.MAX_PIXELS == 16384 * 16384


def test_unsupported_extension_and_format_write_nothing(tmp_path, texture):
    data = ImageData(texture, None, "uint8")
    with pytest.raises(ImageIOError, match=r"\.gif"):
        write_image(tmp_path / "a.gif", data)
    with pytest.raises(ImageIOError, match="cannot store float32"):
        write_image(tmp_path / "a.jpg", data, sample_format="float32")
    with pytest.raises(ImageIOError, match="zero-size"):
        write_image(tmp_path / "z.png", ImageData(np.zeros((0, 4, 3), np.float32), None, "uint8"))
    with pytest.raises(ImageIOError, match="does not exist"):
        write_image(tmp_path / "no" / "such" / "a.png", data)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ext", [".png", ".exr", ".tif"])
def test_failed_encode_leaves_existing_file_untouched(tmp_path, texture, monkeypatch, ext):
    target = tmp_path / f"keep{ext}"
    write_image(target, ImageData(texture, None, "float32" if ext == ".exr" else "uint8"))
    before = target.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Image.Image, "save", boom)
    monkeypatch.setattr(tifffile, "imwrite", boom)
    monkeypatch.setattr(OpenEXR.File, "write", boom)
    with pytest.raises(ImageIOError, match="disk on fire"):
        write_image(target, ImageData(1 - texture, None, "uint8"))
    assert target.read_bytes() == before
    assert _no_temp_files(tmp_path)


def test_failed_move_removes_temp_file(tmp_path, texture, monkeypatch):
    target = tmp_path / "t.png"
    write_image(target, ImageData(texture, None, "uint8"))
    before = target.read_bytes()

    def fail_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tio.os, "replace", fail_replace)
    with pytest.raises(ImageIOError, match="No space left"):
        write_image(target, ImageData(1 - texture, None, "uint8"))
    assert target.read_bytes() == before and _no_temp_files(tmp_path)


def test_overwrite_replaces_content_and_keeps_permissions(tmp_path, texture):
    target = tmp_path / "t.png"
    write_image(target, ImageData(texture, None, "uint8"))
    os.chmod(target, 0o640)
    write_image(target, ImageData(1 - texture, None, "uint8"))
    np.testing.assert_allclose(read_image(target).rgb, 1 - texture, atol=1e-6)
    assert target.stat().st_mode & 0o777 == 0o640


# ------------------------------------------------------------------------------------------
# masks and helpers


def test_mask_roundtrip_and_sources(tmp_path, rng):
    mask = rng.random((12, 9), dtype=np.float32)
    write_mask(tmp_path / "m.png", mask)
    with Image.open(tmp_path / "m.png") as im:
        assert im.mode == "L" and im.size == (9, 12)
    back = read_mask(tmp_path / "m.png", shape=(12, 9))
    assert back.dtype == np.float32 and back.shape == (12, 9)
    np.testing.assert_allclose(back, mask, atol=0.5 / 255 + 1e-6)

    rgb = np.zeros((4, 4, 3), np.float32)
    rgb[..., 1] = 1.0  # pure green: luminance 0.7152
    write_image(tmp_path / "rgb.png", ImageData(rgb, None, "uint8"))
    np.testing.assert_allclose(read_mask(tmp_path / "rgb.png"), 0.7152, atol=1e-6)

    alpha = np.zeros((4, 4), np.float32)
    alpha[1:3, 1:3] = 1
    write_image(tmp_path / "rgba.png", ImageData(rgb, alpha, "uint8"))
    np.testing.assert_array_equal(read_mask(tmp_path / "rgba.png"), alpha)
    # an opaque alpha channel is ignored: the colour is the mask
    write_image(tmp_path / "opaque.png", ImageData(rgb, np.ones((4, 4), np.float32), "uint8"))
    np.testing.assert_allclose(read_mask(tmp_path / "opaque.png"), 0.7152, atol=1e-6)


def test_mask_shape_mismatch_names_both_shapes(tmp_path):
    write_mask(tmp_path / "m.png", np.ones((12, 9), np.float32))
    with pytest.raises(ImageIOError, match=r"12 x 9.*64 x 32"):
        read_mask(tmp_path / "m.png", shape=(64, 32))


def test_write_mask_rejects_bad_input_without_writing(tmp_path):
    with pytest.raises(ImageIOError, match="PNG"):
        write_mask(tmp_path / "m.jpg", np.zeros((4, 4)))
    with pytest.raises(ImageIOError, match=r"\(H, W\)"):
        write_mask(tmp_path / "m.png", np.zeros((4, 4, 3)))
    assert list(tmp_path.iterdir()) == []


def test_image_data_validates_shapes():
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        ImageData(np.zeros((4, 4)), None, "uint8")
    with pytest.raises(ValueError, match="alpha shape"):
        ImageData(np.zeros((4, 4, 3)), np.zeros((3, 4)), "uint8")
    with pytest.raises(ValueError, match="sample_format"):
        ImageData(np.zeros((4, 4, 3)), None, "int8")
    d = ImageData(np.zeros((4, 5, 3), np.float64), None, "uint8")
    assert d.rgb.dtype == np.float32 and (d.height, d.width, d.has_alpha) == (4, 5, False)


def test_extension_lists_and_dialog_filter():
    assert set(SUPPORTED_WRITE_EXTENSIONS) <= set(SUPPORTED_READ_EXTENSIONS)
    text = file_dialog_filter()
    for ext in SUPPORTED_READ_EXTENSIONS:
        assert f"*{ext}" in text
    assert text.startswith("Images (") and text.endswith("All files (*)")
