"""Lattice detection (texpaint.synthesis.lattice) on synthetic lattices and real textures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from texpaint import resources_dir
from texpaint.imaging.io import read_image
from texpaint.synthesis.lattice import Lattice, autocorrelation, find_lattice

pytestmark = pytest.mark.unit

SAMPLES = resources_dir() / "samples"


def running_bond(h: int, w: int, brick: int, course: int, shift: float = 0.5, seed: int = 0):
    """float32 (h, w, 3) bricks ``brick`` px long, courses ``course`` px high, each course
    offset by ``shift`` bricks from the one above, 3 px mortar, random brick colours + noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    row = yy // course
    xs = xx + (row * shift * brick)
    col = np.floor(xs / brick).astype(int)
    mortar = ((yy % course) < 3) | ((xs % brick) < 3)
    colours = rng.uniform(0.3, 0.8, (row.max() + 2, col.max() + 2, 3))
    img = colours[row, col - col.min()]
    img[mortar] = 0.9
    img = img + rng.normal(0, 0.04, img.shape)
    return np.clip(img, 0, 1).astype(np.float32)


def test_autocorrelation_is_one_at_the_origin_and_peaks_at_the_period():
    x = np.sin(2 * np.pi * np.arange(64) / 8.0)[None, :].repeat(32, axis=0)
    rho = autocorrelation(x)
    assert rho.shape == (63, 127)
    assert rho[31, 63] == pytest.approx(1.0, abs=1e-5)
    assert rho[31, 63 + 8] == pytest.approx(1.0, abs=1e-3)
    assert rho[31, 63 + 4] == pytest.approx(-1.0, abs=1e-3)
    assert not autocorrelation(np.ones((8, 8))).any()


def test_running_bond_periods_are_found_to_sub_pixel():
    img = running_bond(400, 480, brick=48, course=20)
    lat = find_lattice(img)
    assert lat is not None and lat.t2 is not None and lat.confidence > 0.5
    assert lat.axis_period(1) == pytest.approx(48.0, abs=0.3)
    assert lat.axis_period(0) == pytest.approx(40.0, abs=0.3)  # two courses: joints realign
    # reduced basis: the two diagonal vectors (24, 20) and (-24, 20) up to sign
    lengths = sorted(math.hypot(*t) for t in (lat.t1, lat.t2))
    assert lengths == pytest.approx([math.hypot(24, 20)] * 2, abs=0.5)


def test_grid_lattice_and_a_downscaled_copy():
    img = running_bond(512, 640, brick=40, course=32, shift=0.0, seed=1)
    lat = find_lattice(img)
    assert lat is not None
    assert lat.axis_period(1) == pytest.approx(40.0, abs=0.3)
    assert lat.axis_period(0) == pytest.approx(32.0, abs=0.3)
    big = np.repeat(np.repeat(img, 2, axis=0), 2, axis=1)  # 1024 x 1280: worked at 512 px
    lat2 = find_lattice(big)
    assert lat2 is not None and lat2.axis_period(1) == pytest.approx(80.0, abs=0.6)


def test_planks_are_a_one_dimensional_lattice():
    """Straight gaps every 30 px, random plank lengths: only the period across the gaps."""
    rng = np.random.default_rng(3)
    h, w = 300, 400
    img = np.empty((h, w, 3), np.float32)
    for k in range(0, h, 30):
        x, ends = 0, []
        while x < w:
            x += int(rng.integers(60, 200))
            ends.append(x)
        grain = np.repeat(rng.normal(0, 0.05, (min(30, h - k), w // 20 + 1)), 20, axis=1)
        band = (rng.uniform(0.45, 0.55) + grain[:, :w, None]).repeat(3, axis=2)
        band[:, [e for e in ends if e < w]] = 0.1
        img[k : k + 30] = band
    img[::30] = 0.05
    img += rng.normal(0, 0.03, img.shape).astype(np.float32)
    lat = find_lattice(img)
    assert lat is not None and lat.t2 is None
    assert lat.axis_period(0) == pytest.approx(30.0, abs=0.3)
    assert lat.axis_period(1) is None
    assert all(abs(v[1]) < 1e-6 for v in lat.vectors(100))


def test_noise_and_stochastic_texture_have_no_lattice():
    rng = np.random.default_rng(0)
    assert find_lattice(rng.uniform(0, 1, (256, 256, 3)).astype(np.float32)) is None
    rock = read_image(SAMPLES / "ambientcg__Rock058_rock_albedo.jpg").rgb
    assert find_lattice(rock) is None


def test_real_brick_and_plank_textures():
    """Real photos: the brick wall (about 6.3 bricks across 1024 px) and the painted planks
    (six boards, gaps about 170 px apart)."""
    brick = read_image(SAMPLES / "polyhaven__brick_wall_005_diff_1k.jpg").rgb
    lat = find_lattice(brick)
    assert lat is not None
    assert 150 < (lat.axis_period(1) or 0) < 172
    planks = read_image(SAMPLES / "polyhaven__blue_painted_planks_diff_1k.jpg").rgb
    lat = find_lattice(planks)
    assert lat is not None and lat.t2 is None
    assert lat.axis_period(0) == pytest.approx(1024 / 6, rel=0.02)


def test_sheared_running_bond_period_of_two_courses_with_a_shear_tolerance():
    """Each course offset by half a brick plus 2 px (a sheared wall, as real walls are): two
    courses up is (40, 4), off the axis; the strict vertical period is nine courses (180 px,
    off by 6 px); with ``shear_px`` a tenth of the brick the two-course period is found."""
    img = running_bond(400, 480, brick=48, course=20, shift=0.5 + 2 / 48, seed=5)
    lat = find_lattice(img)
    assert lat is not None and lat.t2 is not None
    assert lat.axis_period(1, tol_rel=0.05) == pytest.approx(48.0, abs=0.3)
    assert lat.axis_period(0, tol_rel=0.05) == pytest.approx(180.0, abs=1.0)
    assert lat.axis_period(0, tol_rel=0.05, shear_px=4.8) == pytest.approx(40.0, abs=0.3)


def test_lattice_vectors_and_bad_input():
    lat = Lattice(t1=(0.0, 10.0), t2=(20.0, 5.0), confidence=0.9)
    vs = lat.vectors(21.0)
    assert (0.0, 10.0) in vs and (0.0, -10.0) in vs and (20.0, 5.0) in vs
    assert all(math.hypot(*v) <= 21.0 for v in vs)
    assert lat.axis_period(1) == 10.0 and lat.axis_period(0) == 40.0  # (40, 0) = 2 t2 - t1
    with pytest.raises(ValueError, match="16 x 16"):
        find_lattice(np.zeros((8, 40, 3), np.float32))


def test_correlation_length_grows_with_the_grain():
    import cv2

    from texpaint.synthesis.lattice import correlation_length

    rng = np.random.default_rng(1)
    noise = rng.normal(0.5, 0.1, (256, 256)).astype(np.float32)
    fine = correlation_length(noise)
    coarse = correlation_length(cv2.GaussianBlur(noise, (0, 0), 4.0))
    assert fine < 1.5 and 4.0 < coarse < 15.0


def test_quilt_band_with_lattice_offsets_restores_a_periodic_pattern():
    """A band of noise over a perfectly periodic image (period 16 x 12) is refilled exactly:
    the lattice offsets copy the same pattern and the cuts cost nothing."""
    from texpaint.imaging.seam_band import band_overlap_px, quilt_band

    rng = np.random.default_rng(2)
    cell = rng.uniform(0, 1, (12, 16, 3)).astype(np.float32)
    img = np.tile(cell, (16, 12, 1))  # 192 x 192
    broken = img.copy()
    broken[:, 84:108] = rng.uniform(0, 1, (192, 24, 3))
    offsets = [(12 * a, 16 * b) for a in range(-3, 4) for b in range(-5, 6) if b]
    out = quilt_band(broken, 96, 24, axis=1, offsets=offsets, seed=0)
    np.testing.assert_allclose(out, img, atol=1e-5)
    # without a lattice: random offsets; outside the band's reach nothing changes
    out2 = quilt_band(broken, 96, 24, axis=1, seed=0)
    reach = 12 + band_overlap_px(24)
    assert np.array_equal(out2[:, : 96 - reach], broken[:, : 96 - reach])
    assert np.array_equal(out2[:, 96 + reach :], broken[:, 96 + reach :])
    assert np.abs(out2[:, 84:108] - img[:, 84:108]).mean() < np.abs(broken - img)[:, 84:108].mean()


def test_quilt_band_fills_every_segment_when_no_lattice_vector_fits():
    """Offsets whose source block would overlap the band are skipped; when none is left the
    segment takes random offsets instead of keeping the broken pixels."""
    from texpaint.imaging.seam_band import quilt_band

    rng = np.random.default_rng(3)
    cell = rng.uniform(0, 1, (12, 16, 3)).astype(np.float32)
    img = np.tile(cell, (16, 12, 1))  # 192 x 192
    broken = img.copy()
    broken[:, 84:108] = 5.0  # far outside the texture's values
    out = quilt_band(broken, 96, 24, axis=1, offsets=[(0, 0), (0, 4)], seed=0)
    core = out[:, 90:102]
    assert core.max() < 1.5, "every segment of the band was re-synthesised"
