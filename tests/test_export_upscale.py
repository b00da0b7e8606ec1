"""Batch export's ``upscale[:MODEL]`` op: plan parsing and checks, runs with a random-weight
Real-ESRGAN compact model (sizes, bit depth, alpha, the resize fan-out after it), the CLI."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from texpaint.engine.device import Runtime
from texpaint.export.plan import BatchPlan, PlanError, load_preset, parse_op, save_preset
from texpaint.export.runner import BatchSource, op_problems, run_batch
from texpaint.imaging import resample
from texpaint.imaging.io import ImageData, read_image, write_image, write_mask
from texpaint.jobs import Job
from texpaint.models.community import import_model
from texpaint.ops.runner import run_job

pytestmark = pytest.mark.unit


@pytest.fixture
def compact2(community_weights) -> str:
    """Id of an imported random-weight 2x Real-ESRGAN compact model."""
    return import_model(community_weights["compact2"], name="Compact 2x").id


def _write16(path: Path, h: int = 40, w: int = 48, alpha: bool = False) -> ImageData:
    rng = np.random.default_rng(5)
    rgb = rng.integers(0, 65536, (h, w, 3)).astype(np.float32) / 65535
    a = np.linspace(0, 1, h * w, dtype=np.float32).reshape(h, w) if alpha else None
    data = ImageData(rgb=rgb, alpha=a, sample_format="uint16")
    write_image(path, data)
    return read_image(path)


def _png16(path: Path) -> np.ndarray:
    a = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert a is not None and a.dtype == np.uint16, (path, None if a is None else a.dtype)
    return a


# --- plan -----------------------------------------------------------------------------------


def test_parse_upscale_op_and_plan(tmp_path):
    assert str(parse_op("upscale")) == "upscale" and parse_op("upscale").is_model_op
    op = parse_op("Upscale:my-esrgan")
    assert (op.name, op.arg, op.label) == ("upscale", "my-esrgan", "Upscale")
    with pytest.raises(PlanError, match="empty argument"):
        parse_op("upscale:")
    with pytest.raises(PlanError, match="must be the last op"):
        BatchPlan(output_dir=tmp_path, files=[Path("a.png")], ops=["resize", "upscale"], sizes=[8])
    plan = BatchPlan(
        output_dir=tmp_path,
        files=[Path("a.png")],
        ops=["denoise", "upscale:x4", "resize"],
        sizes=[64],
        model_ids={"upscale": "other"},
    )
    assert plan.op_token == "denoise-upscale"
    assert plan.model_id(plan.ops[1]) == "other", "model_ids wins over the op's argument"
    alone = BatchPlan(output_dir=tmp_path, files=[Path("a")], ops=["upscale:x4"])
    assert alone.model_id(alone.ops[0]) == "x4"
    save_preset(plan, tmp_path / "p.toml")
    assert load_preset(tmp_path / "p.toml").ops == plan.ops


def test_op_problems_for_upscale(tmp_path, compact2, community_weights):
    def problems(op: str) -> list[str]:
        return op_problems(BatchPlan(output_dir=tmp_path, files=[Path("a.png")], ops=[op]))

    assert problems("upscale") == [] and problems(f"upscale:{compact2}") == []
    assert problems("upscale:nope") == [
        f"Upscale cannot run: unknown upscale model 'nope' (installed: {compact2})"
    ]
    denoiser = import_model(community_weights["nafnet"], name="Tiny NAF").id
    (msg,) = problems(f"upscale:{denoiser}")
    assert msg.startswith("Upscale cannot run:") and "is for denoise, not upscale" in msg
    (msg,) = problems(f"denoise:{compact2}")
    assert "is for upscale, not denoise" in msg


def test_op_problems_without_any_upscale_model(tmp_path):
    plan = BatchPlan(output_dir=tmp_path, files=[Path("a.png")], ops=["upscale"])
    (msg,) = op_problems(plan)
    assert msg.startswith("Upscale cannot run:") and "upscale model" in msg


# --- running --------------------------------------------------------------------------------


def test_upscale_then_resize_writes_right_sizes_and_bit_depth(tmp_path, compact2):
    src = tmp_path / "wall.png"
    data = _write16(src, alpha=True)
    plan = BatchPlan(
        output_dir=tmp_path / "out",
        files=[src],
        ops=[f"upscale:{compact2}", "resize"],
        sizes=[200, 96, 48, 24],
        formats=["png", "tif32f"],
        naming="{stem}_{op}_{size}.{ext}",
    )
    (r,) = run_batch(plan, runtime=Runtime("cpu")).results
    assert r.status == "ok", r.error
    assert any("200" in n for n in r.notes), "a size above the upscaled 96 px is left out"
    names = sorted(p.name for p in r.outputs)
    assert names == sorted(f"wall_upscale_{s}.{e}" for s in (24, 48, 96) for e in ("png", "tif"))
    out = tmp_path / "out"
    for size, shape in ((96, (80, 96)), (48, (40, 48)), (24, (20, 24))):
        png = _png16(out / f"wall_upscale_{size}.png")
        assert png.shape == (*shape, 4), "16-bit RGBA PNG: the alpha was upscaled too"
        tif = read_image(out / f"wall_upscale_{size}.tif")
        assert tif.sample_format == "float32" and tif.rgb.shape[:2] == shape
    # the full-size output is the pipeline's upscale, kept in 16 bits (not rounded to 8)
    direct = run_job(
        Job(op="upscale", image=data.rgb, mask=np.zeros((40, 48), np.float32), model_id=compact2),
        runtime=Runtime("cpu"),
    ).image
    png = _png16(out / "wall_upscale_96.png")[:, :, 2::-1].astype(np.float32) / 65535
    np.testing.assert_allclose(png, np.clip(direct, 0, 1), atol=1 / 65535 + 1e-6)
    tif = read_image(out / "wall_upscale_96.tif").rgb
    np.testing.assert_allclose(tif, direct, atol=1e-6)
    assert read_image(out / "wall_upscale_96.png").alpha.shape == (80, 96)


def test_upscale_4x_without_resize_and_inpaint_mask_after_it(
    tmp_path, community_weights, tiny_inpaint_model
):
    x4 = import_model(community_weights["compact4"]).id
    src = tmp_path / "tile.png"
    _write16(src, h=24, w=32)
    mask = np.zeros((24, 32), np.float32)
    mask[8:16, 10:20] = 1.0
    write_mask(tmp_path / "tile_mask.png", mask)
    plan = BatchPlan(
        output_dir=tmp_path / "out",
        files=[src],
        ops=[f"upscale:{x4}", "inpaint"],
        model_ids={"inpaint": tiny_inpaint_model},
    )
    (r,) = run_batch(plan, runtime=Runtime("cpu")).results
    assert r.status == "ok", r.error
    (out,) = r.outputs
    assert out.name == "tile_upscale-inpaint_orig.png"
    assert _png16(out).shape == (96, 128, 3), "4x, and the source-size mask followed it"


def test_upscale_over_the_pixel_cap_fails_that_file_only(tmp_path, compact2, monkeypatch):
    small, big = tmp_path / "small.png", tmp_path / "big.png"
    _write16(small, h=20, w=20)
    _write16(big, h=40, w=48)
    monkeypatch.setattr(resample, "MAX_PIXELS", 60 * 60)
    plan = BatchPlan(output_dir=tmp_path / "out", files=[big, small], ops=["upscale"])
    report = run_batch(plan, runtime=Runtime("cpu"))
    assert [r.status for r in report.results] == ["failed", "ok"]
    assert "over texpaint's image limit" in report.results[0].error
    assert not list((tmp_path / "out").glob("big*"))


def test_upscale_of_the_open_document_source(tmp_path, compact2):
    rgb = np.random.default_rng(2).random((16, 24, 3), dtype=np.float32)
    source = BatchSource(Path("doc.png"), image=ImageData(rgb, None, "float32"))
    plan = BatchPlan(output_dir=tmp_path, files=[Path("doc.png")], ops=["upscale"], formats=["exr"])
    (r,) = run_batch(plan, sources=[source], runtime=Runtime("cpu")).results
    assert r.status == "ok", r.error
    assert read_image(r.outputs[0]).rgb.shape == (32, 48, 3)


def test_cli_batch_upscale_and_resize(tmp_path, compact2, capsys):
    from texpaint.cli import main

    src = tmp_path / "in"
    src.mkdir()
    _write16(src / "a.png", h=32, w=40)
    out = tmp_path / "out"
    code = main(
        ["batch", str(src), "-o", str(out), "--op", f"upscale:{compact2}"]
        + ["--size", "80", "--size", "40", "--format", "png16", "--device", "cpu"]
    )
    assert code == 0, capsys.readouterr().err
    assert _png16(out / "a_upscale_80.png").shape == (64, 80, 3)
    assert _png16(out / "a_upscale_40.png").shape == (32, 40, 3)
    assert main(["batch", str(src), "-o", str(out), "--op", "upscale:nope"]) == 2
    assert "unknown upscale model 'nope'" in capsys.readouterr().err
