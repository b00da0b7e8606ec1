"""The lattice criterion of benchmarks/seamless_lattice.py (issue 20): a real tile passes, a
deleted or doubled mortar course at the wrap fails, a broken crop fails; and it passes the
tiling val sources it is meant to be fair to (when the data is present)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.seamless_lattice import (  # noqa: E402
    count_lines,
    lattice_criterion,
    line_centres,
    line_gaps,
    strip_period,
)

pytestmark = pytest.mark.unit

VAL = REPO.parent / "shared" / "data" / "textures" / "cc0-1k" / "val"


def running_bond(h: int, w: int, brick: int = 48, course: int = 20, seed: int = 0) -> np.ndarray:
    """float32 (h, w, 3) running-bond wall (half-brick offset per course), 3 px light mortar,
    random brick colours plus noise; it tiles when h is a multiple of 2 courses and w of
    the brick length."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    row = yy // course
    xs = xx + row * (brick // 2)
    col = xs // brick
    mortar = ((yy % course) < 3) | ((xs % brick) < 3)
    colours = rng.uniform(0.3, 0.7, (row.max() + 1, col.max() + 1, 3))
    img = colours[row, col]
    img[mortar] = 0.9
    img = img + rng.normal(0, 0.03, img.shape)
    return np.clip(img, 0, 1).astype(np.float32)


def test_strip_period_is_the_brick_length_whatever_courses_the_strip_holds():
    wall = running_bond(320, 384).mean(axis=2)
    for y in (0, 7, 13, 25):  # strips start anywhere in a course
        period, peak = strip_period(wall[y : y + 30])
        assert period == pytest.approx(48, abs=1.0) and peak > 0.5


def test_lines_spacings_and_counts_on_a_regular_profile():
    wall = running_bond(320, 384).mean(axis=2)
    across = wall.mean(axis=1)
    centres = line_centres(across, 20.0)
    assert len(centres) == 16 and abs(centres[0] - 1) < 0.5  # mortar rows 0-2, 20-22, ...
    assert np.allclose(np.diff(centres), 20, atol=0.5)
    assert count_lines(centres, 320, 31, 40) == (2, 2)  # lines at 41 and 61
    assert count_lines(centres, 320, 40, 40) == (1, 3)  # 41 and 81 are at the edges
    band, inner = line_gaps(centres, 320, 150, 40)
    assert band.size == 3 and inner.size == 13 and np.allclose(band, 20, atol=0.5)


def test_a_real_tile_passes_and_a_deleted_or_doubled_course_fails():
    wall = running_bond(320, 384)
    widths = (48, 48)
    assert lattice_criterion(wall, widths)["ok"]
    # the defect: a mortar course erased along the wrap, bricks double height
    deleted = wall.copy()
    deleted[0:3] = wall[5:8]
    res = lattice_criterion(deleted, widths)
    assert not res["lines_ok"]
    # an extra mortar line through the middle of the course at the wrap
    doubled = wall.copy()
    doubled[9:12] = 0.9
    assert not lattice_criterion(doubled, widths)["lines_ok"]
    # the same edits away from the wrap are interior lines: not the criterion's business,
    # but the band itself must still pass (the interior's spread grows, nothing else)
    assert lattice_criterion(np.roll(wall, 7, axis=1), widths)["ok"]


def test_a_crop_that_cuts_a_course_at_the_wrap_fails():
    wall = running_bond(400, 480)
    crop = wall[7 : 7 + 310, :]  # 15.5 courses: half a course is cut at the wrap
    assert not lattice_criterion(crop, (48, 48))["lines_ok"]
    # joints: a crop of a non-whole number of bricks along x shifts the joints at the wrap
    crop_x = wall[:320, 5 : 5 + 348]  # 7.25 bricks
    res = lattice_criterion(crop_x, (48, 48))
    assert not res["ok"]


@pytest.mark.skipif(not VAL.is_dir(), reason="cc0-1k/val is not present")
def test_the_tiling_val_sources_pass_the_control():
    import cv2

    from texpaint.imaging.io import read_image

    names = [
        "polyhaven__brick_wall_10_diff_1k.jpg",
        "nobiax__191_diffuse.png",
        "polyhaven__floor_long_white_tiles_diff_1k.jpg",
    ]
    for name in names:
        src = read_image(VAL / name).rgb
        tile = cv2.resize(src, (512, 512), interpolation=cv2.INTER_AREA)
        for width in (48, 96):
            assert lattice_criterion(tile, (width, width))["ok"], (name, width)
