"""Block quilting (texpaint.imaging.quilting): copies real texture into holes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from texpaint.imaging.quilting import plan_quilt, quilt_fill, render_quilt


def bricks(h: int, w: int, period: int = 16) -> np.ndarray:
    """A periodic brick-like pattern (period ``period`` px in both axes), float32 RGB."""
    yy, xx = np.mgrid[0:h, 0:w]
    row = yy // (period // 2)
    shifted = (xx + (row % 2) * (period // 2)) % period
    mortar = ((yy % (period // 2)) < 2) | (shifted < 2)
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.02, (period, period, 1))
    grain = np.tile(noise, (h // period + 1, w // period + 1, 1))[:h, :w]
    img = np.where(mortar[..., None], [0.8, 0.8, 0.75], [0.6, 0.25, 0.15]) + grain
    return img.astype(np.float32)


def box_hole(h: int, w: int, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    hole = np.zeros((h, w), bool)
    hole[y0:y1, x0:x1] = True
    return hole


def test_periodic_texture_is_continued_exactly() -> None:
    img = bricks(128, 128)
    hole = box_hole(128, 128, 40, 80, 48, 90)
    fill, filled = quilt_fill(img, hole, 12, seed=1)
    assert filled[hole].all()
    np.testing.assert_array_equal(fill[~hole], img[~hole])
    err = np.abs(fill[hole] - img[hole]).mean()
    # a smooth fill (the mean colour) would be far off: mortar and brick differ by ~0.5
    smooth_err = np.abs(img[~hole].mean(axis=0) - img[hole]).mean()
    assert err < 0.02 < smooth_err


def test_hole_pixels_are_never_read() -> None:
    img = bricks(96, 96)
    hole = box_hole(96, 96, 30, 60, 30, 64)
    poisoned = img.copy()
    poisoned[hole] = 1e6
    a, _ = quilt_fill(img, hole, 10, seed=3)
    b, _ = quilt_fill(poisoned, hole, 10, seed=3)
    np.testing.assert_array_equal(a, b)
    assert b.max() < 2.0


def test_wrap_fills_across_the_edge_from_the_other_side() -> None:
    img = bricks(96, 96)  # 96 is a multiple of the period: the pattern tiles
    hole = np.zeros((96, 96), bool)
    hole[20:50, 84:] = True
    hole[20:50, :10] = True  # one hole across the right/left wrap seam
    fill, filled = quilt_fill(img, hole, 10, wrap=True, seed=0)
    assert filled[hole].all()
    assert np.abs(fill[hole] - img[hole]).mean() < 0.02


def test_plan_on_a_smaller_image_renders_at_full_resolution() -> None:
    img = bricks(256, 256, period=32)
    hole = box_hole(256, 256, 90, 170, 100, 180)
    small = cv2.resize(img, (128, 128), interpolation=cv2.INTER_AREA)
    small_hole = cv2.resize(hole.astype(np.float32), (128, 128), cv2.INTER_AREA) > 0
    plan = plan_quilt(small, small_hole, 12, seed=0)
    fill, filled = render_quilt(img, hole, plan, (2.0, 2.0), refine_px=3)
    assert filled[hole].all()
    np.testing.assert_array_equal(fill[~hole], img[~hole])
    assert np.abs(fill[hole] - img[hole]).mean() < 0.03


def test_no_known_window_gives_an_empty_plan() -> None:
    img = bricks(32, 32)
    hole = np.ones((32, 32), bool)
    hole[0, 0] = False
    assert plan_quilt(img, hole, 8) == []


def test_seed_changes_the_choice_but_not_determinism() -> None:
    rng = np.random.default_rng(5)
    img = rng.random((96, 96, 3)).astype(np.float32)  # white noise: many equal-cost sources
    hole = box_hole(96, 96, 30, 60, 30, 60)
    a1, _ = quilt_fill(img, hole, 10, seed=1)
    a2, _ = quilt_fill(img, hole, 10, seed=1)
    np.testing.assert_array_equal(a1, a2)


def test_bad_shapes_raise() -> None:
    with pytest.raises(ValueError):
        plan_quilt(np.zeros((8, 8, 3), np.float32), np.zeros((9, 8), bool), 8)
    with pytest.raises(ValueError):
        plan_quilt(np.zeros((8, 8, 3), np.float32), np.zeros((8, 8), bool), 2)


def test_stop_ends_the_search_and_the_render_early() -> None:
    img = bricks(128, 128)
    hole = box_hole(128, 128, 30, 100, 30, 100)
    full = plan_quilt(img, hole, 10, seed=0)
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 2

    part = plan_quilt(img, hole, 10, seed=0, stop=stop)
    assert len(part) == 2 < len(full)
    calls.clear()
    _, filled = render_quilt(img, hole, full, stop=stop)
    assert 0 < filled.sum() < hole.sum()
