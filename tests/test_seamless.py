"""Make Seamless (texpaint.engine.seamless) through run_job, and the ``texpaint seamless`` CLI."""

from __future__ import annotations

import numpy as np
import pytest

from texpaint import resources_dir
from texpaint.engine.jobs import Job, JobCancelled, JobError, Operation
from texpaint.engine.pipeline import run_job
from texpaint.engine.seamless import (
    default_band_px,
    even_out_lighting,
    make_seamless,
    match_band_detail,
    seam_band_mask,
)
from texpaint.imaging.io import ImageData, read_image, write_image
from texpaint.imaging.seams import seam_metric

pytestmark = pytest.mark.unit

TINY = "test-ffc-tiny"
SAMPLE = resources_dir() / "samples" / "polyhaven__brick_wall_005_diff_1k.jpg"


@pytest.fixture(scope="module")
def crop() -> np.ndarray:
    """96 x 80 float32 off-centre crop of the (tiling) brick sample: its wrap is broken."""
    return read_image(SAMPLE).rgb[::4, ::4][37:133, 51:131].copy()


def _band(h: int, w: int, band: int) -> np.ndarray:
    """The band mask in the image's own frame (straddling the edges)."""
    return np.roll(seam_band_mask(h, w, band), (-(h // 2), -(w // 2)), axis=(0, 1))


def test_band_mask_is_a_soft_cross_over_the_rolled_seams():
    m = seam_band_mask(40, 60, 12)
    assert m.dtype == np.float32 and m.shape == (40, 60)
    assert np.count_nonzero(m[:, 5]) == 12  # 12 rows around y = 20
    assert m[14:26, 5].min() > 0 and m[13, 5] == 0 and m[26, 5] == 0
    assert m[19, 5] == 1 and m[20, 5] == 1 and 0 < m[14, 5] < 1  # soft edge
    assert np.array_equal(m[:, 30], np.ones(40, np.float32))  # the vertical arm
    with pytest.raises(JobError, match="band width"):
        seam_band_mask(40, 60, 21)
    assert default_band_px(1024, 1024) == 128 and default_band_px(64, 80) == 16


def test_make_seamless_changes_only_the_band(tiny_inpaint_model, runtime, crop):
    h, w = crop.shape[:2]
    calls = []
    out = make_seamless(
        crop, 16, runtime=runtime, model_id=TINY, progress=lambda f, m: calls.append(f)
    )
    assert out.dtype == np.float32 and out.shape == crop.shape
    band = _band(h, w, 16) > 0
    assert np.array_equal(out[~band], crop[~band]), "outside the band: bit-identical"
    assert np.abs(out[band] - crop[band]).mean() > 1e-3
    assert band[0].all() and band[-1].all() and band[:, 0].all() and band[:, -1].all()
    assert not band[h // 2, w // 2]
    assert calls and calls[-1] == 1.0 and calls == sorted(calls)


def test_run_job_dispatches_seamless(tiny_inpaint_model, runtime, crop):
    h, w = crop.shape[:2]
    job = Job(
        op="seamless",
        image=crop,
        mask=np.zeros((h, w), np.float32),
        params={"band_px": 16},
        model_id=TINY,
    )
    res = run_job(job, runtime=runtime)
    assert res.op is Operation.SEAMLESS and res.region == (0, h, 0, w)
    assert res.model_id == TINY and res.job_id == job.job_id
    direct = make_seamless(crop, 16, runtime=runtime, model_id=TINY)
    assert np.array_equal(res.image, direct), "same path, same seed: same pixels"
    with pytest.raises(JobError, match="band width"):
        run_job(Job(op="seamless", image=crop, mask=job.mask, params={"band_px": 1}))


def test_make_seamless_abort(tiny_inpaint_model, runtime, crop):
    with pytest.raises(JobCancelled):
        make_seamless(crop, 16, runtime=runtime, model_id=TINY, abort=lambda: True)


def test_even_out_lighting_flattens_a_gradient_and_keeps_the_mean(crop):
    h, w = crop.shape[:2]
    ramp = np.linspace(0.5, 1.0, w, dtype=np.float32)[None, :, None]
    lit = crop * ramp
    flat = even_out_lighting(lit)
    assert flat.dtype == np.float32 and flat.shape == lit.shape
    assert flat.mean() == pytest.approx(lit.mean(), rel=0.02)

    def left_right(a: np.ndarray) -> float:
        return float(a[:, w // 2 - 20 : w // 2].mean() / a[:, w // 2 : w // 2 + 20].mean())

    # the middle of the ramp (far from the wrap, where the circular estimate is best)
    assert abs(left_right(flat) - left_right(crop)) < abs(left_right(lit) - left_right(crop))


def test_even_lighting_job_changes_the_whole_image(tiny_inpaint_model, runtime, crop):
    out = make_seamless(crop, 16, even_lighting=True, runtime=runtime, model_id=TINY)
    centre = (slice(30, 60), slice(30, 50))
    assert not np.array_equal(out[centre], crop[centre])


def test_cli_seamless_keeps_format_and_alpha(tiny_inpaint_model, tmp_path, crop, capsys):
    from texpaint.cli import main

    h, w = crop.shape[:2]
    alpha = np.linspace(0, 1, h * w, dtype=np.float32).reshape(h, w)
    src = tmp_path / "in.png"
    write_image(src, ImageData(rgb=crop, alpha=alpha, sample_format="uint16"))
    out = tmp_path / "out.png"
    assert main(["seamless", str(src), "-o", str(out), "--width", "16", "--model", TINY]) == 0
    assert "wrote" in capsys.readouterr().out
    got = read_image(out)
    assert got.sample_format == "uint16" and got.alpha is not None
    np.testing.assert_allclose(got.alpha, read_image(src).alpha, atol=1e-4)
    band = _band(h, w, 16) > 0
    np.testing.assert_allclose(got.rgb[~band], read_image(src).rgb[~band], atol=1e-6)
    assert main(["seamless", str(src), "-o", str(out), "--width", "999", "--model", TINY]) == 1
    assert "band width" in capsys.readouterr().err


def test_seam_metric_of_the_crop_is_high(crop):
    """The test input really has a broken wrap (what Make Seamless is for)."""
    assert seam_metric(crop).ratio > 2.0


def test_batch_export_runs_seamless(tiny_inpaint_model, tmp_path, crop):
    from texpaint.export.plan import BatchPlan
    from texpaint.export.runner import op_problems, run_batch

    src = tmp_path / "in.png"
    write_image(src, ImageData(rgb=crop, alpha=None, sample_format="uint8"))
    plan = BatchPlan(output_dir=tmp_path / "out", files=[src], ops=["seamless"])
    assert op_problems(plan) == []
    (r,) = run_batch(plan, device="cpu").results
    assert r.status == "ok", r.error
    (out,) = r.outputs
    got, before = read_image(out).rgb, read_image(src).rgb
    h, w = crop.shape[:2]
    band = _band(h, w, default_band_px(h, w)) > 0
    assert np.array_equal(got[~band], before[~band])
    assert not np.array_equal(got[band], before[band])


def test_band_detail_is_matched_to_the_texture():
    """A real texture whose band was smoothed (as a generated fill tends to be) gets its band's
    gradient energy back to the level of the untouched pixels; pixels outside the band are
    bit-identical and the band's local mean colour is kept."""
    import cv2

    tex = read_image(SAMPLE).rgb[:256, :256].copy()  # the sample tiles: wrap-continuous
    mask = seam_band_mask(256, 256, 48)
    base = cv2.GaussianBlur(tex, (0, 0), 1.5)
    smoother = base + 0.6 * (tex - base)  # 60 % of the fine detail
    m = mask[..., None]
    blurred = (tex * (1 - m) + smoother * m).astype(np.float32)

    def detail_ratio(a: np.ndarray) -> float:
        dx = np.mean((np.roll(a, -1, axis=1) - a) ** 2, axis=2)
        dy = np.mean((np.roll(a, -1, axis=0) - a) ** 2, axis=2)
        e = dx + dy
        return float(e[mask == 1].mean() / e[mask == 0].mean())

    before = detail_ratio(blurred)
    out, gain = match_band_detail(blurred, mask)
    after = detail_ratio(out)
    assert before < 0.75 and gain > 1.2
    assert abs(after - 1.0) < 0.1 and abs(after - 1.0) < abs(before - 1.0) / 3, (before, after)
    assert np.array_equal(out[mask == 0], blurred[mask == 0])
    inside = mask == 1
    assert abs(float(out[inside].mean()) - float(blurred[inside].mean())) < 2 / 255
    flat = np.full((64, 64, 3), 0.5, np.float32)
    same, one = match_band_detail(flat, seam_band_mask(64, 64, 16))
    assert one == 1.0 and np.array_equal(same, flat)


def test_make_seamless_band_is_as_detailed_as_the_texture(runtime):
    """With the shipped inpainting model on a real texture, the band that Make Seamless
    generates carries the texture's own gradient energy (the raw fill has about 0.8 of it)."""
    src = read_image(SAMPLE).rgb[::2, ::2][40:232, 60:220].copy()  # 192 x 160, wrap broken
    h, w = src.shape[:2]
    band = 32
    out = make_seamless(src, band, runtime=runtime)
    mask = _band(h, w, band)
    dx = np.mean((np.roll(out, -1, axis=1) - out) ** 2, axis=2)
    dy = np.mean((np.roll(out, -1, axis=0) - out) ** 2, axis=2)
    e = dx + dy
    assert 0.9 < e[mask > 0].mean() / e[mask == 0].mean() < 1.1
    assert seam_metric(out).ratio < seam_metric(src).ratio / 2
    assert np.array_equal(out[mask == 0], src[mask == 0])
