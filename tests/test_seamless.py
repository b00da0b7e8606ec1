"""Make Seamless (texpaint.engine.seamless) through run_job, and the ``texpaint seamless`` CLI."""

from __future__ import annotations

import numpy as np
import pytest

from texpaint import resources_dir
from texpaint.engine.seamless import (
    default_band_px,
    even_out_lighting,
    make_seamless,
    match_band_detail,
    plan_seamless,
    seam_band_mask,
    seam_overlap_px,
)
from texpaint.imaging.io import ImageData, read_image, write_image
from texpaint.imaging.seam_band import band_overlap_px
from texpaint.imaging.seams import seam_metric, wrap_check
from texpaint.jobs import Job, JobCancelled, JobError, Operation
from texpaint.ops.runner import inpaint_runner, run_job

pytestmark = pytest.mark.unit

TINY = "test-ffc-tiny"
SAMPLES = resources_dir() / "samples"
SAMPLE = SAMPLES / "polyhaven__brick_wall_005_diff_1k.jpg"


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
        crop,
        16,
        force=True,
        fit_to_period=False,
        method="network",
        inpaint=inpaint_runner(runtime),
        model_id=TINY,
        progress=lambda f, m: calls.append(f),
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
        params={"band_px": 16, "fit_to_period": False},
        model_id=TINY,
    )
    res = run_job(job, runtime=runtime)
    assert res.op is Operation.SEAMLESS and res.region == (0, h, 0, w)
    assert res.model_id == TINY and res.job_id == job.job_id
    direct = make_seamless(crop, 16, fit_to_period=False)
    assert np.array_equal(res.image, direct), "same path, same seed: same pixels"
    with pytest.raises(JobError, match="band width"):
        run_job(Job(op="seamless", image=crop, mask=job.mask, params={"band_px": 1}))


def test_make_seamless_abort(tiny_inpaint_model, runtime, crop):
    with pytest.raises(JobCancelled):
        make_seamless(crop, 16, model_id=TINY, abort=lambda: True)
    with pytest.raises(JobCancelled):
        make_seamless(
            crop, 16, method="network", inpaint=inpaint_runner(runtime), abort=lambda: True
        )


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
    out = make_seamless(crop, 16, even_lighting=True, fit_to_period=False)
    centre = (slice(30, 60), slice(30, 50))
    assert not np.array_equal(out[centre], crop[centre])


def _quilt_band(h: int, w: int, band: int, plan=None) -> np.ndarray:
    """Where the quilted bands may change pixels: within band / 2 + overlap of the edges
    (the overlaps of ``plan``, widened for a lattice, else the default)."""
    if plan is None:
        ry = rx = band // 2 + band_overlap_px(band)
    else:
        ry, rx = (band // 2 + max(seam_overlap_px(plan, a) for a in (0, 1)),) * 2
    m = np.zeros((h, w), bool)
    m[:ry] = m[h - ry :] = True
    m[:, :rx] = m[:, w - rx :] = True
    return m


def test_cli_seamless_keeps_format_and_alpha(tmp_path, crop, capsys):
    from texpaint.cli import main

    h, w = crop.shape[:2]
    alpha = np.linspace(0, 1, h * w, dtype=np.float32).reshape(h, w)
    src = tmp_path / "in.png"
    write_image(src, ImageData(rgb=crop, alpha=alpha, sample_format="uint16"))
    out = tmp_path / "out.png"
    assert main(["seamless", str(src), "-o", str(out), "--width", "16", "--no-fit"]) == 0
    assert "wrote" in capsys.readouterr().out
    got = read_image(out)
    assert got.sample_format == "uint16" and got.alpha is not None
    np.testing.assert_allclose(got.alpha, read_image(src).alpha, atol=1e-4)
    band = _quilt_band(h, w, 16, plan_seamless(read_image(src).rgb, 16, fit_to_period=False))
    np.testing.assert_allclose(got.rgb[~band], read_image(src).rgb[~band], atol=1e-6)
    assert not np.allclose(got.rgb[band], read_image(src).rgb[band], atol=1e-3)
    assert wrap_check(got.rgb).tiles
    assert main(["seamless", str(src), "-o", str(out), "--width", "999"]) == 1
    assert "band width" in capsys.readouterr().err


def test_cli_leaves_a_tiling_texture_bit_identical(tmp_path, capsys):
    """The sample tiles: the CLI copies it (same format) or re-saves the same pixels, exits 0
    and says so; --force re-synthesises."""
    from texpaint.cli import main

    out = tmp_path / "out.jpg"
    assert main(["seamless", str(SAMPLE), "-o", str(out)]) == 0
    assert "already tiles" in capsys.readouterr().out
    assert out.read_bytes() == SAMPLE.read_bytes()
    png = tmp_path / "out.png"
    assert main(["seamless", str(SAMPLE), "-o", str(png)]) == 0
    assert np.array_equal(read_image(png).rgb, read_image(SAMPLE).rgb)
    assert "already tiles" in capsys.readouterr().out
    forced = tmp_path / "forced.png"
    assert main(["seamless", str(SAMPLE), "-o", str(forced), "--force", "--no-fit"]) == 0
    assert "already tiles" not in capsys.readouterr().out
    a, b = read_image(forced).rgb, read_image(SAMPLE).rgb
    assert a.shape == b.shape and not np.array_equal(a, b)
    plan = plan_seamless(b, fit_to_period=False, force=True)
    band = _quilt_band(*b.shape[:2], plan.band_px, plan)
    assert np.abs(a[~band] - b[~band]).max() < 1.5 / 255, "only the bands change"


def test_wrap_check_on_real_tiles_and_crops():
    """The three bundled samples tile (at full size and block-averaged to half), their
    off-centre crops do not."""
    for path in sorted((resources_dir() / "samples").glob("*.jpg")):
        rgb = read_image(path).rgb
        h, w = rgb.shape[:2]
        half = rgb.reshape(h // 2, 2, w // 2, 2, 3).mean(axis=(1, 3))
        assert wrap_check(rgb).tiles, path.name
        assert wrap_check(half).tiles, path.name
        cut = rgb[131 : 131 + 700, 57 : 57 + 760]
        res = wrap_check(cut)
        assert not res.tiles and res.worst > 1.5, (path.name, res.worst)
        assert not plan_seamless(cut).unchanged and plan_seamless(rgb).unchanged


def test_make_seamless_keeps_a_tiling_texture_unless_forced():
    rgb = read_image(SAMPLE).rgb[::2, ::2].copy()  # 512 x 512, still tiles
    same = make_seamless(rgb)
    assert np.array_equal(same, rgb) and same is not rgb
    forced = make_seamless(rgb, force=True, fit_to_period=False)
    assert forced.shape == rgb.shape and not np.array_equal(forced, rgb)


def test_brick_crop_is_fitted_to_whole_periods_and_tiles():
    """An off-centre crop of a running-bond wall (bricks 48 px, courses 20 px, random brick
    colours, noise): cropped to whole lattice periods, the bands re-synthesised along the
    lattice; the result tiles and every mortar course stays 20 px from the next across the
    wrap (none deleted or doubled)."""
    from test_lattice import running_bond

    wall = running_bond(400, 480, brick=48, course=20, seed=5)
    crop = wall[7 : 7 + 251, 13 : 13 + 301].copy()
    plan = plan_seamless(crop)
    assert plan.lattice is not None and plan.crop is not None
    assert plan.size == (240, 288), "whole periods: 6 x 40 rows, 6 x 48 columns"
    out = make_seamless(crop, plan=plan)
    assert out.shape[:2] == plan.size
    assert wrap_check(out).tiles and not wrap_check(crop).tiles
    # mortar rows (bright full-width lines) of the output tiled twice vertically
    two = np.concatenate([out, out]).mean(axis=(1, 2))
    rows = np.flatnonzero(two > two.mean() + 1.5 * two.std())
    starts = rows[np.insert(np.diff(rows) > 1, 0, True)]
    gaps = np.diff(starts)
    assert len(starts) == 24 and np.all(np.abs(gaps - 20) <= 1), starts


def test_sheared_brick_crop_is_fitted_to_whole_pairs_of_courses():
    """A sheared wall (each course half a brick plus 2 px further on: its exact vertical
    period is nine courses, longer than half the crop): fitted to whole pairs of courses all
    the same, so no sliver course meets the wrap; the mortar courses stay 20 px apart across
    it. The real brick wall sample (joints step 8 px every two courses) reports two courses,
    not 831 px, and one brick, not 6 % less."""
    from test_lattice import running_bond

    wall = running_bond(400, 480, brick=48, course=20, shift=0.5 + 2 / 48, seed=5)
    crop = wall[7 : 7 + 251, 13 : 13 + 301].copy()
    plan = plan_seamless(crop)
    assert plan.size == (240, 288), "6 x 40 rows, 6 x 48 columns"
    out = make_seamless(crop, plan=plan)
    assert wrap_check(out).tiles
    two = np.concatenate([out, out]).mean(axis=(1, 2))
    rows = np.flatnonzero(two > two.mean() + 1.5 * two.std())
    starts = rows[np.insert(np.diff(rows) > 1, 0, True)]
    assert len(starts) == 24 and np.all(np.abs(np.diff(starts) - 20) <= 1), starts
    # the sample tiles at 1024 px with 8 courses and 6 bricks per course: its periods are
    # whole fractions of the size (the 2-D peaks alone said 161.3 px for the bricks, 6 %
    # short; the line profile refines it)
    real = plan_seamless(read_image(SAMPLE).rgb, force=True)
    vertical, horizontal = real.period_px
    assert vertical == pytest.approx(1024 / 8, abs=1.0)
    assert horizontal == pytest.approx(1024 / 6, rel=0.02)


def test_fit_to_period_extends_to_the_nearest_whole_period_and_keeps_the_courses():
    """A crop holding 5.8 x 5.6 periods of a running-bond wall (courses 20 px, two per period;
    bricks 48 px): the nearest whole numbers are above, so with ``grow`` the tile grows by a few
    pixels (under half a period) instead of losing most of a period, the added rows and
    columns are synthesised in the band, the result tiles, every mortar course stays 20 px
    from the next across the wrap, and the image away from the bands is the input's
    (resampled by under a pixel over the image); by default the same tile is resampled back
    to the input's size."""
    from test_lattice import running_bond

    wall = running_bond(400, 480, brick=48, course=20, seed=5)
    crop = wall[7 : 7 + 232, 13 : 13 + 270].copy()
    plan = plan_seamless(crop, grow=True)
    assert plan.size == (240, 288), "6 x 40 rows, 6 x 48 columns"
    assert 6 <= plan.gap[0] <= 10 and 16 <= plan.gap[1] <= 20
    assert "fit to period: 288 x 240" in plan.describe()
    out = make_seamless(crop, plan=plan)
    assert out.shape[:2] == (240, 288)
    assert wrap_check(out).tiles
    two = np.concatenate([out, out]).mean(axis=(1, 2))
    rows = np.flatnonzero(two > two.mean() + 1.5 * two.std())
    starts = rows[np.insert(np.diff(rows) > 1, 0, True)]
    assert len(starts) == 24 and np.all(np.abs(np.diff(starts) - 20) <= 1), starts
    # the middle of the image (far from both bands) is the input's
    mid = (slice(70, 150), slice(90, 180))
    assert float(np.abs(out[mid] - crop[mid]).mean()) < 0.03
    # the default keeps the size: the same tile resampled to 232 x 270 (courses 19.3 px)
    kept = make_seamless(crop)
    assert kept.shape == crop.shape and wrap_check(kept).tiles
    two = np.concatenate([kept, kept]).mean(axis=(1, 2))
    rows = np.flatnonzero(two > two.mean() + 1.5 * two.std())
    starts = rows[np.insert(np.diff(rows) > 1, 0, True)]
    assert len(starts) == 24 and np.all(np.abs(np.diff(starts) - 20 * 232 / 240) <= 1), starts


def test_resample_wrap_keeps_a_tile_tiling_and_its_mean():
    from test_lattice import running_bond

    from texpaint.engine.seamless import resample_wrap

    wall = running_bond(240, 288, brick=48, course=20, seed=5)
    small = resample_wrap(wall, (232, 270))
    assert small.shape == (232, 270, 3) and small.dtype == np.float32
    assert wrap_check(wall).tiles and wrap_check(small).tiles
    assert abs(float(small.mean()) - float(wall.mean())) < 1e-3
    assert small.min() >= wall.min() and small.max() <= wall.max()
    # courses 20 px -> 20 * 232 / 240 px: the mortar rows of the resampled wall
    rows = small.mean(axis=(1, 2))
    bright = np.flatnonzero(rows > rows.mean() + 1.5 * rows.std())
    starts = bright[np.insert(np.diff(bright) > 1, 0, True)]
    assert len(starts) == 12 and np.allclose(np.diff(starts), 20 * 232 / 240, atol=1.0)


def test_core_method_fills_only_the_bands_and_tiles():
    """``method="core"``: the bands come from the completion core; the result tiles and the
    pixels outside the band strips are the input's."""
    rock = read_image(SAMPLES / "ambientcg__Rock058_rock_albedo.jpg").rgb[::4, ::4]
    crop = rock[10:150, 13:173].copy()
    plan = plan_seamless(crop, 24, even_lighting=False)
    out = make_seamless(crop, plan=plan, method="core")
    assert out.shape == crop.shape and wrap_check(out).tiles and not wrap_check(crop).tiles
    band = _band(*crop.shape[:2], 24) > 0
    assert np.array_equal(out[~band], crop[~band])
    assert not np.array_equal(out[band], crop[band])


def test_rock_crop_band_from_texture_scale():
    rock = read_image(SAMPLES / "ambientcg__Rock058_rock_albedo.jpg").rgb[::2, ::2]
    crop = rock[20:300, 33:333].copy()
    plan = plan_seamless(crop)
    assert plan.lattice is None and plan.crop is None
    assert 24 <= plan.band_px <= 300 // 6
    out = make_seamless(crop, plan=plan)
    assert wrap_check(out).tiles
    if not plan.even_lighting:
        band = _quilt_band(*crop.shape[:2], plan.band_px)
        assert np.array_equal(out[~band], crop[~band])


def test_seam_metric_of_the_crop_is_high(crop):
    """The test input really has a broken wrap (what Make Seamless is for)."""
    assert seam_metric(crop).ratio > 2.0


def test_batch_export_runs_seamless(tmp_path):
    from texpaint.export.plan import BatchPlan
    from texpaint.export.runner import op_problems, run_batch

    rock = read_image(SAMPLES / "ambientcg__Rock058_rock_albedo.jpg").rgb[::2, ::2]
    crop = rock[20:300, 33:333].copy()
    src = tmp_path / "in.png"
    write_image(src, ImageData(rgb=crop, alpha=None, sample_format="uint8"))
    crop = read_image(src).rgb
    tile = tmp_path / "tile.png"
    write_image(
        tile, ImageData(rgb=read_image(SAMPLE).rgb[::4, ::4], alpha=None, sample_format="uint8")
    )
    plan = BatchPlan(output_dir=tmp_path / "out", files=[src, tile], ops=["seamless"])
    assert op_problems(plan) == []
    r_crop, r_tile = run_batch(plan, device="cpu").results
    assert r_crop.status == "ok", r_crop.error
    got = read_image(r_crop.outputs[0]).rgb
    assert wrap_check(got).tiles and not wrap_check(crop).tiles
    assert r_tile.status == "ok", r_tile.error
    assert np.array_equal(read_image(r_tile.outputs[0]).rgb, read_image(tile).rgb)


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
    out = make_seamless(
        src,
        band,
        method="network",
        fit_to_period=False,
        even_lighting=False,
        inpaint=inpaint_runner(runtime),
    )
    mask = _band(h, w, band)
    dx = np.mean((np.roll(out, -1, axis=1) - out) ** 2, axis=2)
    dy = np.mean((np.roll(out, -1, axis=0) - out) ** 2, axis=2)
    e = dx + dy
    assert 0.9 < e[mask > 0].mean() / e[mask == 0].mean() < 1.1
    assert seam_metric(out).ratio < seam_metric(src).ratio / 2
    assert np.array_equal(out[mask == 0], src[mask == 0])


def test_gingham_is_fitted_to_its_checks_not_its_threads():
    """A check pattern (40 x 40 px) woven from 5 px threads: the fine lattice is found first;
    Make Seamless plans with the checks' lattice and fits whole checks."""
    from texpaint.synthesis.lattice import find_lattice

    rng = np.random.default_rng(4)
    yy, xx = np.mgrid[0:330, 0:345]
    checks = 0.35 * (((yy // 20) % 2) + ((xx // 20) % 2))
    threads = 0.25 * (((yy % 5) < 2) ^ ((xx % 5) < 2))
    img = (0.15 + checks + threads)[..., None] * np.array([1.0, 0.45, 0.4])
    img = np.clip(img + rng.normal(0, 0.02, img.shape), 0, 1).astype(np.float32)
    fine = find_lattice(img)
    assert fine is not None and min(abs(v) for t in fine.basis for v in t if abs(v) > 1) < 8
    plan = plan_seamless(img)
    assert plan.lattice is not None
    assert plan.lattice.axis_period(1, tol_rel=0.05) == pytest.approx(40, abs=0.5)
    # 330 rows hold 8.25 checks: cropped to 8 (320); 345 columns hold 8.6: extended to 9 (360)
    # and, as the size is kept by default, resampled back to 345
    assert plan.size == (320, 345) and plan.work_size == (320, 360) and plan.gap == (0, 15)


def _mottled_grid(h: int, w: int, seed: int, period: int = 96) -> np.ndarray:
    """float32 (h, w, 3) square floor tiles ``period`` px, 3 px darker grout, each tile its own
    colour plus a wrap-around mottling 12 px across (a tile's clouding), so a ``k x period``
    image tiles exactly."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = rng.uniform(0.45, 0.65, (h // period + 1, w // period + 1))[yy // period, xx // period]
    fy, fx = np.fft.fftfreq(h)[:, None], np.fft.fftfreq(w)[None, :]
    noise = np.fft.fft2(rng.normal(0, 1, (h, w)))
    mottle = np.fft.ifft2(noise * np.exp(-2 * (np.pi * 12) ** 2 * (fy**2 + fx**2))).real
    img = base + 0.05 * mottle / mottle.std() + rng.normal(0, 0.02, (h, w))
    img = np.where(((yy % period) < 3) | ((xx % period) < 3), img - 0.2, img)
    return np.clip(img[..., None] * np.array([1.0, 0.75, 0.5]), 0, 1).astype(np.float32)


def test_a_cut_tile_grid_is_not_taken_for_a_tile_and_a_whole_one_is():
    """A crop of a floor of mottled square tiles whose cut lines look like its own lines (the
    wrap check alone calls it tiling, as it did ``brown_floor_tiles`` of ``cc0-1k/train``):
    both grid vectors are found (the grout lines' ridges once hid the second one) and the
    grout's jump at the wrap is seen, so it is re-synthesised; the same floor holding whole
    tiles is left alone."""
    floor = _mottled_grid(1000, 1000, seed=3)
    cut = floor[37 : 37 + 460, 101 : 101 + 512]
    assert wrap_check(cut).tiles  # the line statistics alone are fooled
    plan = plan_seamless(cut)
    assert plan.lattice is not None and plan.lattice.t2 is not None
    periods = sorted(plan.lattice.axis_period(a, tol_rel=0.05) or 0.0 for a in (0, 1))
    assert periods == pytest.approx([96.0, 96.0], abs=1.0)
    assert not plan.unchanged
    whole = _mottled_grid(480, 576, seed=4)
    assert plan_seamless(whole).unchanged


def test_scored_lattice_is_the_bricks_not_a_fine_grain():
    """A running-bond floor (bricks 64 px, courses 32 px) with a 5 px ripple across it: the
    shortest strong peak is the ripple, and the default basis built on it fails; the scored
    basis (used by Make Seamless) finds the bricks' lattice."""
    from test_lattice import running_bond

    from texpaint.synthesis.lattice import find_lattice

    wall = running_bond(400, 480, brick=64, course=32, seed=0)
    ripple = 0.08 * np.sin(2 * np.pi * np.arange(400) / 5.0)[:, None, None]
    img = np.clip(wall + ripple, 0, 1).astype(np.float32)
    assert find_lattice(img) is None
    lat = find_lattice(img, scored=True)
    assert lat is not None and lat.t2 is not None
    assert lat.axis_period(1) == pytest.approx(64.0, abs=0.5)
    assert lat.axis_period(0) == pytest.approx(64.0, abs=0.5)  # two courses
    lengths = sorted(np.hypot(*t) for t in lat.basis)
    assert lengths == pytest.approx([np.hypot(32, 32)] * 2, abs=0.7)


def test_a_small_periodic_crop_gets_bands_that_fit_instead_of_an_error():
    """A 64 x 62 crop of a wall (bricks 24 px, courses 10 px) fitted to whole periods is 48 px
    wide: the band (and its cut strips) used to be planned for the unfitted size and the
    quilting refused it with a ValueError; the band now narrows until it fits, and the
    result tiles at whole periods."""
    from test_lattice import running_bond

    wall = running_bond(200, 200, brick=24, course=10, seed=1)[7 : 7 + 62, 5 : 5 + 64].copy()
    plan = plan_seamless(wall)
    assert plan.lattice is not None and plan.size == (60, 48)
    out = make_seamless(wall, plan=plan)
    assert out.shape == (60, 48, 3) and seam_metric(out).ratio < seam_metric(wall).ratio
