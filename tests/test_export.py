"""Batch export: plans and presets, naming/overwrite, bit depth, sizes, failures and cancel."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from texpaint.export.plan import (
    BatchPlan,
    PlanError,
    load_preset,
    mip_chain,
    parse_format,
    parse_op,
    save_preset,
)
from texpaint.export.runner import BatchSource, downscale, op_problems, run_batch
from texpaint.imaging.io import ImageData, read_image, write_image, write_mask

pytestmark = pytest.mark.unit


def _texture(h: int, w: int, seed: int = 0) -> np.ndarray:
    """Smooth-ish float32 RGB test texture in [0, 1]."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([np.sin(x / 7), np.cos(y / 5), np.sin((x + y) / 11)], axis=2) * 0.3 + 0.5
    return np.clip(base + rng.normal(0, 0.05, (h, w, 3)), 0, 1).astype(np.float32)


def _write(path: Path, h: int = 64, w: int = 96, seed: int = 0, fmt: str = "uint8") -> Path:
    write_image(path, ImageData(rgb=_texture(h, w, seed), alpha=None, sample_format=fmt))
    return path


def _png16(path: Path) -> np.ndarray:
    a = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert a is not None and a.dtype == np.uint16, (path, None if a is None else a.dtype)
    return a[:, :, ::-1]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.startswith(".") or "part" in p.name)


# --- plan and presets ---------------------------------------------------------------------


def test_preset_round_trip_resolves_relative_paths(tmp_path):
    plan = BatchPlan(
        output_dir=Path("out"),
        files=[Path("a.png"), tmp_path / "abs.png"],
        folder=Path("textures"),
        glob="*.tif",
        recursive=True,
        ops=["inpaint:{stem}_hole.png", "resize"],
        formats=["png16", "jpg:90", "webp:lossless", "exr"],
        sizes=[2048, "mip"],
        naming="{stem}_{op}_{size}_{format}.{ext}",
        overwrite="unique",
        model_ids={"inpaint": "tiny"},
    )
    preset = tmp_path / "presets" / "game.toml"
    preset.parent.mkdir()
    save_preset(plan, preset)
    assert "inpaint:{stem}_hole.png" in preset.read_text()
    back = load_preset(preset)
    base = preset.parent
    assert back.output_dir == base / "out"
    assert back.files == [base / "a.png", tmp_path / "abs.png"]
    assert back.folder == base / "textures"
    assert (back.glob, back.recursive, back.naming, back.overwrite) == (
        "*.tif",
        True,
        plan.naming,
        "unique",
    )
    assert back.ops == plan.ops and back.formats == plan.formats
    assert back.sizes == [2048, "mip"] and back.model_ids == {"inpaint": "tiny"}
    assert back.formats[1].quality == 90 and back.formats[2].quality == 100


@pytest.mark.parametrize(
    "text,match",
    [
        ("output_dir = 'o'\nops = ['blur']\n[inputs]\nfiles=['a.png']", "unknown op 'blur'"),
        ("output_dir = 'o'\nformats = ['gif']\n[inputs]\nfiles=['a.png']", "unknown format"),
        ("output_dir = 'o'\nformats = ['jpg:0']\n[inputs]\nfiles=['a.png']", "between 1 and 100"),
        ("output_dir = 'o'\nformats = ['png:9']\n[inputs]\nfiles=['a.png']", "no quality"),
        ("output_dir = 'o'\nsizes = ['big']\nops=['resize']\n[inputs]\nfiles=['a']", "'big'"),
        ("output_dir = 'o'\nsizes = [512]\n[inputs]\nfiles=['a.png']", "no 'resize' op"),
        ("output_dir = 'o'\nops = ['resize']\n[inputs]\nfiles=['a.png']", "at least one size"),
        ("output_dir = 'o'\nops=['resize','inpaint']\nsizes=[8]\n[inputs]\nfiles=['a']", "last"),
        ("output_dir = 'o'\noverwrite = 'maybe'\n[inputs]\nfiles=['a.png']", "overwrite"),
        ("output_dir = 'o'\nnaming = '{stem}_{colour}.{ext}'\n[inputs]\nfiles=['a']", "colour"),
        ("output_dir = 'o'\nnaming = '{stem}.png'\n[inputs]\nfiles=['a.png']", "end with"),
        (
            "output_dir='o'\nops=['resize']\nsizes=[64,32]\nnaming='{stem}.{ext}'\n"
            "[inputs]\nfiles=['a']",
            "needs \\{size\\}",
        ),
        (
            "output_dir='o'\nformats=['png8','png16']\nnaming='{stem}_{op}.{ext}'\n"
            "[inputs]\nfiles=['a']",
            "needs \\{format\\}",
        ),
        ("output_dir = 'o'\n", "no inputs"),
        ("ops = []\n[inputs]\nfiles=['a.png']", "no 'output_dir'"),
        ("output_dir = 'o'\ncolour = 1\n[inputs]\nfiles=['a.png']", "unknown preset key"),
        ("output_dir = 'o'\n[inputs]\nfiles='a.png'", "list of strings"),
        ("output_dir = 'o'\n[inputs]\nfiles=['a.png']\nrecursive='yes'", "must be a bool"),
        ("output_dir = 'o\n", "not a valid TOML preset"),
    ],
)
def test_bad_presets_are_reported_clearly(tmp_path, text, match):
    preset = tmp_path / "p.toml"
    preset.write_text(text)
    with pytest.raises(PlanError, match=match) as info:
        load_preset(preset)
    assert str(info.value).startswith(str(preset))


def test_missing_preset_is_a_plan_error(tmp_path):
    with pytest.raises(PlanError, match="cannot read preset"):
        load_preset(tmp_path / "nope.toml")


def test_parse_ops_and_formats():
    assert parse_op("inpaint").mask_pattern == "{stem}_mask.png"
    assert parse_op("INPAINT:{stem}-m.{ext}").mask_pattern == "{stem}-m.{ext}"
    assert str(parse_op("stylize:great_wave")) == "stylize:great_wave"
    with pytest.raises(PlanError, match="must contain"):
        parse_op("inpaint:mask.png")
    with pytest.raises(PlanError, match="takes no argument"):
        parse_op("resize:512")
    f = parse_format("jpg:90")
    assert (f.ext, f.sample_format, f.quality, f.token) == ("jpg", "uint8", 90, "jpg90")
    assert parse_format("png").sample_format is None  # keeps the source depth
    assert parse_format("tif32f").sample_format == "float32"
    assert parse_format("webp:lossless").quality == 100


def test_mip_chain():
    assert mip_chain(1024) == [1024, 512, 256, 128, 64]
    assert mip_chain(1000) == [512, 256, 128, 64]
    assert mip_chain(64) == [64]
    assert mip_chain(40) == [40]


# --- running ------------------------------------------------------------------------------


def test_resize_sizes_and_mip_chain_on_disk(tmp_path):
    src = _write(tmp_path / "wall.png", h=150, w=300)
    plan = BatchPlan(
        output_dir=tmp_path / "out",
        files=[src],
        ops=["resize"],
        sizes=[400, 128, "mip"],
        formats=["png"],
    )
    report = run_batch(plan)
    (r,) = report.results
    assert r.status == "ok", r.error
    shapes = {p.name: read_image(p).rgb.shape[:2] for p in r.outputs}
    assert shapes == {
        "wall_resize_128.png": (64, 128),
        "wall_resize_256.png": (128, 256),
        "wall_resize_64.png": (32, 64),
    }
    assert any("400" in n for n in r.notes), "the upscale must be noted, not written"


def test_downscale_is_an_area_average_in_float():
    rgb = np.random.default_rng(3).random((64, 96, 3), dtype=np.float32)
    data = ImageData(rgb=rgb, alpha=None, sample_format="uint16")
    small = downscale(data, 48)
    expect = rgb.reshape(32, 2, 48, 2, 3).mean(axis=(1, 3))
    assert small.rgb.shape == (32, 48, 3) and small.rgb.dtype == np.float32
    np.testing.assert_allclose(small.rgb, expect, atol=1e-6)
    assert small.sample_format == "uint16"
    # transparent pixels do not bleed their colour into the average
    alpha = np.zeros((64, 96), np.float32)
    alpha[::2, ::2] = 1.0
    red = np.zeros_like(rgb)
    red[::2, ::2] = (1.0, 0.0, 0.0)
    red[1::2] = (0.0, 1.0, 0.0)  # invisible green
    out = downscale(ImageData(rgb=red, alpha=alpha, sample_format="uint8"), 48)
    np.testing.assert_allclose(out.rgb[..., 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(out.alpha, 0.25, atol=1e-6)
    with pytest.raises(ValueError, match="no upscaling"):
        downscale(data, 97)


def test_16_bit_png_keeps_16_bits(tmp_path):
    rng = np.random.default_rng(7)
    raw = rng.integers(0, 65536, (48, 64, 3), dtype=np.uint16)
    raw[raw % 257 == 0] += 1  # no value an 8-bit file could hold
    src = tmp_path / "deep.png"
    cv2.imwrite(str(src), raw[:, :, ::-1])
    plan = BatchPlan(
        output_dir=tmp_path / "out",
        files=[src],
        formats=["png16", "png", "png8", "tif16"],
        naming="{stem}_{format}.{ext}",
    )
    (r,) = run_batch(plan).results
    assert r.status == "ok", r.error
    out = tmp_path / "out"
    np.testing.assert_array_equal(_png16(out / "deep_png16.png"), raw)
    np.testing.assert_array_equal(_png16(out / "deep_png.png"), raw)  # source depth kept
    assert cv2.imread(str(out / "deep_png8.png"), cv2.IMREAD_UNCHANGED).dtype == np.uint8
    tif = read_image(out / "deep_tif16.tif")
    assert tif.sample_format == "uint16"
    np.testing.assert_array_equal(np.rint(tif.rgb * 65535).astype(np.uint16), raw)


def test_corrupt_and_missing_inputs_are_reported_and_the_rest_succeed(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    good = [_write(src / f"tex{i}.png", seed=i) for i in range(3)]
    (src / "broken.png").write_bytes(_write(tmp_path / "x.png").read_bytes()[:200])
    (src / "notes.txt").write_text("not an image")
    plan = BatchPlan(
        output_dir=tmp_path / "out",
        folder=src,
        files=[tmp_path / "missing.png"],
        ops=["resize"],
        sizes=[32],
        formats=["png8", "jpg:90"],
    )
    report = run_batch(plan)
    by_name = {r.file.name: r for r in report.results}
    assert set(by_name) == {"missing.png", "broken.png", "tex0.png", "tex1.png", "tex2.png"}
    assert by_name["missing.png"].status == "failed"
    assert "not found" in by_name["missing.png"].error
    assert by_name["broken.png"].status == "failed"
    assert "corrupt or truncated" in by_name["broken.png"].error
    for g in good:
        r = by_name[g.name]
        assert r.status == "ok" and len(r.outputs) == 2
        im = read_image(tmp_path / "out" / f"{g.stem}_resize_32.jpg")
        assert im.rgb.shape == (21, 32, 3)
    assert report.summary() == "3 ok, 2 failed, 0 skipped" and not report.all_ok
    assert _leftovers(tmp_path / "out") == []


def test_overwrite_policies(tmp_path):
    src = _write(tmp_path / "a.png", seed=1)
    out = tmp_path / "out"
    out.mkdir()
    existing = out / "a_copy_orig.png"
    existing.write_bytes(b"old")
    plan = BatchPlan(output_dir=out, files=[src], formats=["png8", "jpg"])

    (r,) = run_batch(plan).results  # skip: existing output kept, the missing one written
    assert r.status == "ok" and [p.name for p in r.outputs] == ["a_copy_orig.jpg"]
    assert existing.read_bytes() == b"old" and "kept existing a_copy_orig.png" in r.notes
    (r,) = run_batch(plan).results
    assert r.status == "skipped" and r.outputs == []

    plan.overwrite = "unique"
    (r,) = run_batch(plan).results
    assert sorted(p.name for p in r.outputs) == ["a_copy_orig_1.jpg", "a_copy_orig_1.png"]
    assert existing.read_bytes() == b"old"

    plan.overwrite = "overwrite"
    (r,) = run_batch(plan).results
    assert r.status == "ok"
    np.testing.assert_allclose(read_image(existing).rgb, read_image(src).rgb, atol=0)


def test_same_stem_twice_in_one_batch_is_a_clear_error(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    a = _write(tmp_path / "x" / "t.png", seed=1)
    b = _write(tmp_path / "y" / "t.png", seed=2)
    plan = BatchPlan(output_dir=tmp_path / "out", files=[a, b])
    first, second = run_batch(plan).results
    assert first.status == "ok"
    assert second.status == "failed" and "earlier file" in second.error
    plan.overwrite = "unique"
    first, second = run_batch(plan).results
    assert second.status == "ok" and second.outputs[0].name == "t_copy_orig_2.png"


def test_recursive_folder_mirrors_subfolders_and_skips_masks(tmp_path):
    src = tmp_path / "in"
    (src / "stone").mkdir(parents=True)
    _write(src / "top.png")
    _write(src / "stone" / "deep.png")
    write_mask(src / "stone" / "deep_mask.png", np.ones((64, 96), np.float32))
    plan = BatchPlan(
        output_dir=tmp_path / "out", folder=src, recursive=True, ops=["inpaint"], glob="*.png"
    )
    assert [(f.name, str(d)) for f, d in plan.input_files()] == [
        ("deep.png", "stone"),
        ("top.png", "."),
    ]


def test_models_without_training_are_reported_per_file(tmp_path, no_models):
    src = _write(tmp_path / "a.png")
    plan = BatchPlan(
        output_dir=tmp_path / "out", files=[src], ops=["denoise", "resize"], sizes=[32]
    )
    assert any("Denoise" in p for p in op_problems(plan))
    (r,) = run_batch(plan, device="cpu").results
    assert r.status == "failed" and "Denoise" in r.error
    plan = BatchPlan(output_dir=tmp_path / "out", files=[src], ops=["seamless"])
    assert op_problems(plan) == ["Make Seamless cannot run: no inpaint model is installed"]
    (r,) = run_batch(plan, device="cpu").results
    assert r.status == "failed" and "no inpaint model" in r.error
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_cancel_mid_batch_leaves_no_partial_files(tmp_path):
    files = [_write(tmp_path / f"t{i}.png", h=64, w=64, seed=i) for i in range(4)]
    out = tmp_path / "out"
    plan = BatchPlan(
        output_dir=out, files=files, ops=["resize"], sizes=["mip"], formats=["png8", "tif16"]
    )
    writes = {"n": 0}

    def progress(p):
        if p.message.startswith("wrote"):
            writes["n"] += 1

    # file 0 writes 2 outputs; stop after the first output of file 1
    report = run_batch(plan, abort=lambda: writes["n"] >= 3, progress=progress)
    statuses = [r.status for r in report.results]
    assert statuses == ["ok", "cancelled", "cancelled", "cancelled"] and report.cancelled
    assert sorted(p.name for p in out.iterdir()) == ["t0_resize_64.png", "t0_resize_64.tif"]
    assert _leftovers(out) == []


def test_parallel_jobs_give_the_same_outputs(tmp_path):
    files = [_write(tmp_path / f"t{i}.png", seed=i) for i in range(5)]
    plans = [
        BatchPlan(output_dir=tmp_path / f"out{j}", files=files, ops=["resize"], sizes=[64, 32])
        for j in (1, 3)
    ]
    seen = []
    r1 = run_batch(plans[0], jobs=1)
    r3 = run_batch(plans[1], jobs=3, progress=seen.append)
    assert r1.summary() == r3.summary() == "5 ok, 0 failed, 0 skipped"
    for f in sorted((tmp_path / "out1").iterdir()):
        np.testing.assert_array_equal(read_image(f).rgb, read_image(tmp_path / "out3" / f.name).rgb)
    assert seen[-1].overall == pytest.approx(1.0)
    assert all(0 <= p.overall <= 1 and 0 <= p.file_fraction <= 1 for p in seen)


# --- inpaint through the real pipeline ----------------------------------------------------


def test_inpaint_with_per_file_masks(tmp_path, tiny_inpaint_model):
    from texpaint.engine.device import Runtime

    src = tmp_path / "in"
    src.mkdir()
    rng = np.random.default_rng(5)
    raw = rng.integers(1, 65535, (64, 64, 3), dtype=np.uint16)
    cv2.imwrite(str(src / "a.png"), raw[:, :, ::-1])
    mask = np.zeros((64, 64), np.float32)
    mask[20:36, 24:40] = 1.0
    write_mask(src / "a_hole.png", mask)
    _write(src / "b.png", h=64, w=64)  # no mask: a per-file error
    plan = BatchPlan(
        output_dir=tmp_path / "out",
        folder=src,
        glob="*.png",
        ops=["inpaint:{stem}_hole.png"],
        formats=["png"],
    )
    assert op_problems(plan) == []
    report = run_batch(plan, runtime=Runtime("cpu"))
    by_name = {r.file.name: r for r in report.results}
    assert set(by_name) == {"a.png", "b.png"}, "the mask file is not an input"
    assert by_name["b.png"].status == "failed" and "mask not found" in by_name["b.png"].error
    a = by_name["a.png"]
    assert a.status == "ok" and 0 < a.model_seconds <= a.seconds
    out = _png16(tmp_path / "out" / "a_inpaint_orig.png")
    keep = mask == 0
    np.testing.assert_array_equal(out[keep], raw[keep])  # untouched pixels, all 16 bits
    assert np.abs(out[~keep].astype(int) - raw[~keep]).mean() > 100  # the hole was filled


def test_inpaint_source_in_memory_with_its_own_mask(tmp_path, tiny_inpaint_model):
    rgb = _texture(64, 64)
    mask = np.zeros((64, 64), np.float32)
    mask[8:24, 8:24] = 1
    source = BatchSource(
        path=tmp_path / "untitled.png",
        image=ImageData(rgb=rgb, alpha=None, sample_format="uint8"),
        mask=mask,
    )
    plan = BatchPlan(output_dir=tmp_path / "out", files=[source.path], ops=["inpaint"])
    (r,) = run_batch(plan, sources=[source], device="cpu").results
    assert r.status == "ok", r.error
    out = read_image(r.outputs[0]).rgb
    np.testing.assert_allclose(out[40:, 40:], rgb[40:, 40:], atol=0.5 / 255)
