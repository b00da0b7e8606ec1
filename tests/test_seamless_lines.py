"""Make Seamless's line checks (texpaint.engine.seamless): the wrap spacing of courses and
grout lines, line periods the 2-D lattice misses, and the band-core detail gain."""

from __future__ import annotations

import numpy as np
import pytest

from texpaint.engine import seamless as S
from texpaint.engine.seamless import (
    make_seamless,
    match_band_detail,
    plan_seamless,
    seam_band_mask,
)
from texpaint.synthesis.lattice import Lattice

pytestmark = pytest.mark.unit


def _courses(h: int, w: int, course: float, seed: int, jitter: float = 0.0) -> np.ndarray:
    """float32 (h, w, 3): horizontal mortar courses (3 px, light) every ``course`` px (each
    spacing drawn within ``+-jitter`` px), bricks of random length (no bond) and colour,
    noise. The courses sit at ``y = 0, course, ...``."""
    rng = np.random.default_rng(seed)
    img = np.empty((h, w), np.float32)
    ys = [0.0]
    while ys[-1] < h:
        ys.append(ys[-1] + course + rng.uniform(-jitter, jitter))
    for y0, y1 in zip(ys[:-1], ys[1:], strict=False):
        r0, r1 = int(round(y0)), min(h, int(round(y1)))
        x = 0
        while x < w:
            length = int(rng.integers(30, 70))
            img[r0:r1, x : x + length] = rng.uniform(0.3, 0.5)
            img[r0:r1, min(w - 1, x + length - 2) : x + length] = 0.8  # head joint
            x += length
        img[r0 : min(h, r0 + 3)] = 0.8  # bed joint
    img += rng.normal(0, 0.02, img.shape).astype(np.float32)
    return np.clip(img[..., None] * np.array([1.0, 0.7, 0.55], np.float32), 0, 1)


def test_wrap_spacing_of_whole_courses_is_ordinary_and_of_a_cut_crop_is_not():
    """Courses every 30 px: 300 rows (ten whole courses) space their lines across the wrap as
    inside (score 0); a crop 12 px shorter puts two courses 18 px apart at the wrap (score
    well above 1); with no period the test does not apply."""
    wall = _courses(300, 256, 30.0, seed=1)
    assert S._wrap_line_spacing(wall, 0, 30.0) == 0.0
    cut = wall[:288]
    assert S._wrap_line_spacing(cut, 0, 30.0) > 2.0
    assert S._wrap_line_spacing(cut, 0, None) == 0.0


def test_irregular_courses_allow_an_irregular_course_at_the_wrap():
    """Hand-laid courses (30 +- 3 px): a wrap course 4 px off the interior's range is within
    the allowance their own spread gives (a tiling artist's wall may close on an odd course);
    regular courses get no such allowance."""
    rng_wall = _courses(400, 256, 30.0, seed=2, jitter=3.0)
    rows = rng_wall.mean(axis=(1, 2))
    tops = [y for y in range(1, 399) if rows[y] > 0.45 and rows[y - 1] <= 0.45]
    # end the image 4 px after the last course's expected end: a longer wrap course
    end = tops[-2] + 30 + 4
    assert S._wrap_line_spacing(rng_wall[:end], 0, 30.0) <= 1.0
    regular = _courses(400, 256, 30.0, seed=2)
    assert S._wrap_line_spacing(regular[: 12 * 30 + 8], 0, 30.0) > 1.0


def test_line_period_found_on_courses_and_not_on_noise():
    """The line profile alone gives the courses' spacing of a wall whose bricks follow no bond
    (whatever the 2-D lattice makes of it); a stochastic texture has none."""
    wall = _courses(480, 400, 34.6, seed=3)
    assert S._axis_line_period(wall, 0) == pytest.approx(34.6, abs=0.5)
    noise = np.random.default_rng(4).random((480, 400, 3)).astype(np.float32)
    assert S._axis_line_period(noise, 0) is None
    assert S._axis_line_period(noise, 1) is None


def test_one_dimensional_lattice_gains_the_course_period():
    """A lattice that found only a grain along the courses (17.5 px across) gains the courses'
    period; a two-dimensional lattice or None is returned as it is."""
    wall = _courses(480, 400, 34.6, seed=5)
    grain = Lattice(t1=(0.0, 17.5), t2=None, confidence=0.4)
    got = S._with_line_periods(wall, grain)
    assert got is not None and got.t2 is not None
    assert got.axis_period(0, tol_rel=0.05) == pytest.approx(34.6, abs=0.5)
    assert got.axis_period(1, tol_rel=0.05) == pytest.approx(17.5)
    both = Lattice(t1=(0.0, 17.5), t2=(34.6, 0.0), confidence=0.4)
    assert S._with_line_periods(wall, both) is both
    assert S._with_line_periods(wall, None) is None


def test_fit_uses_the_line_period_when_the_lattice_slants():
    """A lattice whose second vector slants far off the vertical (no vertical period) still
    gets the rows fitted to whole courses, from the lines."""
    wall = _courses(287, 400, 30.0, seed=6)
    slanted = Lattice(t1=(0.0, 29.3), t2=(60.0, 8.0), confidence=0.4)
    assert S._period(slanted, 0, wall.shape[:2]) is None
    crop, size, gap, period = S._fit(wall, slanted, True)
    assert crop is not None
    assert period[0] == pytest.approx(30.0, abs=0.6)
    assert abs(size[0] / period[0] - round(size[0] / period[0])) < 0.05


def test_plan_rewrites_a_course_wall_cut_between_courses():
    """Courses 30 px apart, cut 12 px short of whole courses: Make Seamless does not call it a
    tile."""
    wall = _courses(300, 256, 30.0, seed=7)
    assert not plan_seamless(wall[:288]).unchanged


def test_band_gain_measured_on_the_core_only():
    """A band whose cut strips carry extra steps (the cuts') and whose core was smoothed:
    measured on the whole band the gain stays near 1 and the core stays smooth; measured on
    the core, the core gets the texture's energy back."""
    rng = np.random.default_rng(8)
    tex = rng.random((128, 128, 3)).astype(np.float32)
    cross = seam_band_mask(128, 128, 48)
    core = seam_band_mask(128, 128, 24) >= 1
    strips = (cross > 0) & ~core
    img = tex.copy()
    img[core] = 0.5 + 0.6 * (tex[core] - 0.5)  # the core: 60 % of the contrast
    img[strips] = np.clip(0.5 + 1.3 * (tex[strips] - 0.5), 0, 1)  # the strips: rougher

    def energy(a: np.ndarray, m: np.ndarray) -> float:
        dx = ((np.roll(a, -1, 1) - a) ** 2).sum(2)
        dy = ((np.roll(a, -1, 0) - a) ** 2).sum(2)
        return float((dx + dy)[m].mean())

    outside = cross == 0
    whole, _ = match_band_detail(img, cross)
    cored, gain = match_band_detail(img, cross, core)
    ref = energy(img, outside)
    assert energy(cored, core) / ref > energy(whole, core) / ref + 0.1
    assert gain > 1.2
    assert np.array_equal(cored[outside], img[outside])


def test_a_shear_is_not_a_line_spacing():
    """A sheared wall's course pair (80, 6) has no 6 px spacing along the courses: the band's
    segments along the courses follow the brick length instead, and are longer than their
    overlap."""
    from texpaint.engine.seamless import SeamlessPlan
    from texpaint.imaging.seams import WrapCheck

    sheared = Lattice(t1=(80.3, 5.8), t2=(-1.1, 111.0), confidence=0.3)
    assert S._line_steps(sheared, 1) == [111.0]
    assert S._line_steps(sheared, 0) == [80.3]
    plan = SeamlessPlan(WrapCheck(False, 9.0, {}), False, sheared, None, (482, 444), 44, False)
    ov = S.seam_overlap_px(plan, 0)
    seg = S._segment_px(plan, 1, ov)
    assert seg is not None and seg - ov >= 24, (seg, ov)


def test_four_period_grid_keeps_its_grout_through_the_bands():
    """A crop of square tiles fitted to four whole periods (500 px of 125 px tiles): no lattice
    vector up to half the image moves a band of a third of it clear of itself, so the band is
    quilted from the longer lattice vectors (not from random offsets, which scattered grout
    fragments through the tiles): every grout line runs whole through both bands and no
    grout shows inside a tile."""
    import cv2
    from test_seamless import _mottled_grid

    floor = _mottled_grid(1000, 1000, seed=5, period=125)
    crop = floor[41 : 41 + 512, 67 : 67 + 512].copy()
    plan = plan_seamless(crop)
    assert plan.size == (500, 500) and plan.crop is not None
    out = make_seamless(crop, plan=plan)
    lum = out.mean(axis=2).astype(np.float32)
    dark = lum < cv2.blur(lum, (15, 15)) - 0.08  # grout: 0.2 darker than its tile
    rows, cols = dark.mean(axis=1), dark.mean(axis=0)
    grout_rows, grout_cols = rows > 0.5, cols > 0.5
    # four grout lines of 3 px each way, as in the uncropped floor (the old random copies
    # left 9 and 7 such rows and columns, and 1.7 % of the tiles' pixels dark)
    assert grout_rows.sum() == 12 and grout_cols.sum() == 12
    inside = dark[~grout_rows][:, ~grout_cols]
    assert inside.mean() < 0.003, inside.mean()
