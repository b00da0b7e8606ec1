"""Engine tests: jobs, tiling maths, the inpainting pipeline and the model catalog."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from texpaint import resources_dir
from texpaint.engine.device import Runtime
from texpaint.engine.pipeline import _axis_indices, _tiled_forward, mask_bbox
from texpaint.engine.tiling import pad_to_multiple, ramp_weight, tile_boxes, tile_starts
from texpaint.imaging.io import read_image
from texpaint.imaging.texture_stats import hole_patch_swd
from texpaint.jobs import Job, JobCancelled, JobError, Operation
from texpaint.models.arch.ffc_inpaint import push_pull_fill
from texpaint.models.catalog import ModelLoadError, get_model, list_models, load_network
from texpaint.ops.runner import run_job

pytestmark = pytest.mark.unit

TINY = "test-ffc-tiny"
SAMPLE = resources_dir() / "samples" / "polyhaven__brick_wall_005_diff_1k.jpg"


@pytest.fixture(scope="module")
def brick() -> np.ndarray:
    """256x256 float32 RGB crop of the bundled brick sample."""
    return read_image(SAMPLE).rgb[384:640, 384:640].copy()


@pytest.fixture
def tiny_model_dir(tiny_inpaint_model, tmp_path) -> Path:
    """Folder of the conftest's small random-weight model (for pipeline mechanics)."""
    return tmp_path / "models"


# --- jobs ---------------------------------------------------------------------------------


def test_job_copies_and_freezes_inputs():
    img = np.zeros((8, 8, 3), np.float32)
    mask = np.zeros((8, 8), np.float32)
    job = Job(op="inpaint", image=img, mask=mask, params={"seed": 1})
    img[:] = 1
    assert job.image.max() == 0, "the job must hold its own copy"
    assert job.op is Operation.INPAINT
    with pytest.raises(ValueError):
        job.image[0, 0, 0] = 1
    with pytest.raises(TypeError):
        job.params["seed"] = 2
    with pytest.raises(ValueError, match="does not match"):
        Job(op="inpaint", image=img, mask=np.zeros((4, 8), np.float32))
    assert Job(op="inpaint", image=img, mask=mask).job_id > job.job_id


# --- tiling -------------------------------------------------------------------------------


@pytest.mark.parametrize("length,tile,overlap", [(1000, 256, 32), (256, 256, 32), (300, 128, 64)])
def test_tile_starts_cover_with_overlap(length, tile, overlap):
    starts = tile_starts(length, tile, overlap)
    assert starts[0] == 0 and starts[-1] + min(tile, length) == length
    for a, b in zip(starts, starts[1:], strict=False):
        assert b - a <= tile - overlap, "neighbours must share at least the overlap"


@pytest.mark.parametrize(
    "h,w,tile,overlap,align", [(1024, 640, 240, 32, 16), (700, 333, 256, 32, 64)]
)
def test_tile_boxes_start_on_the_network_grid_and_still_overlap(h, w, tile, overlap, align):
    boxes = list(tile_boxes(h, w, tile, overlap, align))
    covered = np.zeros((h, w), np.int32)
    for y0, y1, x0, x1 in boxes:
        assert y0 % align == 0 and x0 % align == 0
        covered[y0:y1, x0:x1] += 1
    assert covered.min() >= 1, "the boxes cover the image"
    ys = sorted({b[0] for b in boxes})
    ends = {b[0]: b[1] for b in boxes}
    for a, b in zip(ys, ys[1:], strict=False):
        assert ends[a] - b >= overlap, "neighbours share at least the overlap"


def test_ramp_weights_blend_tiles_without_seams():
    """Identity 'network' over tiles returns the input: the weights form a partition of unity."""

    class Identity(torch.nn.Module):
        size_multiple, min_size = 8, 8

        def forward(self, image, mask):
            return image

    img = torch.rand(1, 3, 200, 300)
    hole = torch.ones(1, 1, 200, 300)
    out = _tiled_forward(
        Identity(), img, hole, False, Runtime("cpu"), 96, 32, lambda: False, lambda i, n: None
    )
    assert torch.allclose(out, img, atol=1e-5)
    w = ramp_weight(200, 300, next(tile_boxes(200, 300, 96, 32)), 32)
    assert w.min() > 0 and w.max() == 1


def test_pad_to_multiple_modes():
    x = torch.arange(2 * 10 * 13, dtype=torch.float32).reshape(1, 2, 10, 13)
    y, (h, w) = pad_to_multiple(x, 8, 16, wrap=True)
    assert y.shape[-2:] == (16, 16) and (h, w) == (10, 13)
    assert torch.equal(y[..., :10, :13], x)
    assert torch.equal(y[..., 10, :13], x[..., 0, :]), "circular padding wraps to the top row"


# --- pipeline mechanics (random weights) ---------------------------------------------------


def test_inpaint_changes_only_masked_pixels(tiny_model_dir, runtime, brick):
    mask = np.zeros(brick.shape[:2], np.float32)
    mask[100:140, 60:200] = 1.0
    mask[150:160, 10:20] = 0.5  # soft edge
    res = run_job(Job(op="inpaint", image=brick, mask=mask, model_id=TINY), runtime=runtime)
    assert res.image.dtype == np.float32 and res.image.shape == brick.shape
    outside = mask == 0
    assert np.array_equal(res.image[outside], brick[outside]), "outside must be bit-identical"
    assert np.abs(res.image[mask == 1] - brick[mask == 1]).mean() > 1e-3
    assert res.region == (100, 160, 10, 200) == mask_bbox(mask > 0)
    assert res.model_id == TINY and res.seconds > 0 and "CPU" in res.device


def test_inpaint_soft_mask_blends_linearly(tiny_model_dir, runtime, brick):
    hard = np.zeros(brick.shape[:2], np.float32)
    hard[64:192, 64:192] = 1.0
    soft = hard * 0.25
    full = run_job(Job(op="inpaint", image=brick, mask=hard, model_id=TINY), runtime=runtime)
    part = run_job(Job(op="inpaint", image=brick, mask=soft, model_id=TINY), runtime=runtime)
    inside = hard > 0
    expected = brick[inside] * 0.75 + full.image[inside] * 0.25
    np.testing.assert_allclose(part.image[inside], expected, atol=1e-5)


def test_inpaint_empty_mask_is_a_clear_error(tiny_model_dir, runtime, brick):
    with pytest.raises(JobError, match="mask is empty"):
        run_job(
            Job(op="inpaint", image=brick, mask=np.zeros(brick.shape[:2], np.float32)),
            runtime=runtime,
        )


def test_abort_cancels_between_passes(tiny_model_dir, runtime, brick):
    mask = np.zeros(brick.shape[:2], np.float32)
    mask[20:236, 20:236] = 1.0  # large hole: coarse + full-resolution pass
    calls = []

    def abort() -> bool:
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(JobCancelled):
        run_job(
            Job(op="inpaint", image=brick, mask=mask, model_id=TINY), abort=abort, runtime=runtime
        )
    assert len(calls) == 2, "abort is polled again after the first pass and stops the job"


def test_wrap_mode_context_crosses_the_edge():
    """In seamless mode the context crop around a hole at the right edge wraps to the left."""
    plain = _axis_indices(236, 256, 48, 256, wrap=False)
    wrapped = _axis_indices(236, 256, 48, 256, wrap=True)
    assert plain.max() == 255 and plain.min() == 188
    assert set(range(0, 48)) <= set(wrapped.tolist()), "left columns are context in wrap mode"
    assert len(wrapped) == len(set(wrapped.tolist())), "no column appears twice"
    assert np.array_equal(_axis_indices(0, 200, 48, 256, wrap=True), np.arange(256))


def test_float_images_above_one_are_kept(tiny_model_dir, runtime, brick):
    hdr = brick * 4.0
    mask = np.zeros(brick.shape[:2], np.float32)
    mask[100:140, 100:140] = 1
    res = run_job(Job(op="inpaint", image=hdr, mask=mask, model_id=TINY), runtime=runtime)
    assert np.array_equal(res.image[mask == 0], hdr[mask == 0])
    assert res.image[mask == 1].max() > 1.0, "HDR range is not clipped to [0, 1]"


def test_unsupported_operation_is_a_clear_error(no_models, runtime, brick):
    with pytest.raises(JobError, match="no trained model"):
        run_job(
            Job(op="denoise", image=brick, mask=np.zeros(brick.shape[:2], np.float32)),
            runtime=runtime,
        )


# --- catalog --------------------------------------------------------------------------------


def test_catalog_rejects_tampered_weights(tiny_model_dir):
    info = get_model(TINY, "inpaint")
    data = bytearray(info.path.read_bytes())
    data[-1] ^= 0xFF
    info.path.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="sha256"):
        load_network(get_model(TINY, "inpaint"))


def test_catalog_errors_are_clear(tiny_model_dir):
    with pytest.raises(ModelLoadError, match="unknown inpaint model"):
        get_model("nope", "inpaint")
    with pytest.raises(ModelLoadError, match="no upscale model"):
        get_model(None, "upscale")  # none ships (the built-in denoiser does)
    card = json.loads((tiny_model_dir / f"{TINY}.json").read_text())
    card.update(id="weird", architecture="not-a-net")
    (tiny_model_dir / "weird.json").write_text(json.dumps(card))
    with pytest.raises(ModelLoadError, match="unknown architecture"):
        load_network(get_model("weird", "inpaint"))


# --- the shipped model ----------------------------------------------------------------------


def test_shipped_inpaint_model_has_card_and_loads():
    models = [
        m
        for m in list_models("inpaint")
        if m.builtin and m.path.parent == resources_dir() / "models"
    ]
    assert models, "a trained inpainting model must ship in resources/models"
    for info in models:
        assert info.path.suffix == ".safetensors"
        assert info.size_bytes < 40 * 2**20
        for key in ("sha256", "training", "metrics", "parameters"):
            assert key in info.card
        assert info.card["training"]["steps"] > 0
        net = load_network(info)
        assert sum(p.numel() for p in net.parameters()) == info.params


def test_shipped_inpaint_continues_brick_courses_with_real_texture(runtime, brick):
    """A 64 px hole in the brick sample, filled by the default pipeline (texture hint by
    quilting + the shipped generator): the fill keeps the texture's contrast and patch
    statistics (a smooth fill does not) and its mortar courses line up with the courses on
    either side of the hole (row profile correlation)."""
    mask = np.zeros(brick.shape[:2], np.float32)
    mask[96:160, 96:160] = 1.0
    res = run_job(Job(op="inpaint", image=brick, mask=mask), runtime=runtime)
    hole = mask > 0
    assert np.array_equal(res.image[~hole], brick[~hole])
    smooth = (
        push_pull_fill(
            torch.from_numpy(brick.transpose(2, 0, 1).copy())[None],
            torch.from_numpy(mask)[None, None],
        )[0]
        .numpy()
        .transpose(1, 2, 0)
    )
    smooth = np.where(hole[..., None], smooth, brick)
    swd = {k: hole_patch_swd(v, mask, seed=0) for k, v in [("fill", res.image), ("smooth", smooth)]}
    truth_swd = hole_patch_swd(brick, mask, seed=0)
    assert swd["fill"] < 0.6 * swd["smooth"], (swd, truth_swd)
    assert swd["fill"] < 2.5 * truth_swd, (swd, truth_swd)
    assert abs(res.image[hole].std() / brick[hole].std() - 1) < 0.25
    # mortar courses: luminance per row in the hole vs the same rows beside the hole
    lum = res.image.mean(axis=-1)
    rows_in = lum[96:160, 96:160].mean(axis=1)
    rows_beside = np.concatenate([lum[96:160, 40:96], lum[96:160, 160:216]], axis=1).mean(axis=1)
    assert np.corrcoef(rows_in, rows_beside)[0, 1] > 0.5


def test_shipped_model_uses_wrap_context_on_a_tiling_texture(runtime):
    """A hole across the right and left edges of a tileable texture: in seamless mode it is
    one hole on the torus, so the fill is continuous across the wrap seam (seam energy near
    the interior level), while ordinary mode fills the two halves independently."""
    img = read_image(SAMPLE).rgb[::4, ::4].copy()  # the sample tiles; 256x256
    mask = np.zeros(img.shape[:2], np.float32)
    mask[80:176, 216:256] = 1.0
    mask[80:176, 0:40] = 1.0
    rows = slice(80, 176)

    def seam_ratio(out: np.ndarray) -> float:
        seam = ((out[rows, -1] - out[rows, 0]) ** 2).mean()
        return float(seam / (np.diff(out[rows], axis=1) ** 2).mean())

    plain = run_job(Job(op="inpaint", image=img, mask=mask), runtime=runtime).image
    wrapped = run_job(Job(op="inpaint", image=img, mask=mask, wrap=True), runtime=runtime).image
    for out in (plain, wrapped):
        assert np.array_equal(out[mask == 0], img[mask == 0])
    # ordinary mode fills the two halves independently: a clearly larger step at the edge
    assert seam_ratio(wrapped) < 1.5 and seam_ratio(plain) > 2 * seam_ratio(wrapped), (
        seam_ratio(wrapped),
        seam_ratio(plain),
    )


def test_models_list_warns_about_broken_cards(tiny_model_dir, capsys):
    from texpaint.cli import main

    (tiny_model_dir / "broken.json").write_text("{not json")
    assert main(["models", "list"]) == 0
    out, err = capsys.readouterr()
    assert TINY in out and "broken.json" in err


def test_tile_size_setting_splits_the_full_resolution_pass(tiny_model_dir, brick):
    """A user tile size smaller than the hole's crop makes the pipeline run it in several
    blended tiles; the untouched pixels stay bit-identical either way."""
    img = np.ascontiguousarray(np.tile(brick, (3, 1, 1))[:600])
    mask = np.zeros(img.shape[:2], np.float32)
    mask[40:560, 100:120] = 1.0  # thin, tall hole: one native-resolution pass
    counts = {}
    for tile in (None, 256):
        calls = []
        rt = Runtime("cpu", tile_px=tile)
        res = run_job(  # refine: the generator pass over the patch-based fill is tiled
            Job(op="inpaint", image=img, mask=mask, model_id=TINY, params={"refine": True}),
            progress=lambda f, m, calls=calls: calls.append(f),
            runtime=rt,
        )
        assert np.array_equal(res.image[mask == 0], img[mask == 0])
        counts[tile] = len(calls)
    assert counts[256] > counts[None], counts
    assert Runtime("cpu", tile_px=64).tile_size == 256, "tiles are at least 256 px"
    assert Runtime("cpu").tile_size == 1024


def test_wrap_bbox_joins_a_hole_across_the_edges():
    from texpaint.engine.pipeline import _wrap_bbox

    mask = np.zeros((64, 100), bool)
    mask[10:20, 90:100] = True
    mask[10:20, 0:5] = True
    assert _wrap_bbox(mask) == (10, 20, 90, 105)  # x: 90..104, i.e. 90..99 then 0..4
    assert mask_bbox(mask) == (10, 20, 0, 100)  # the plain box spans the whole width
    mask[:] = True
    assert _wrap_bbox(mask) == (0, 64, 0, 100)
