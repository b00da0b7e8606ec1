"""Seam metric (texpaint.imaging.seams): tiling textures score ~1, broken wraps score >> 1."""

from __future__ import annotations

import numpy as np
import pytest

from texpaint.imaging.seams import interior_line_ratios, seam_metric

pytestmark = pytest.mark.unit


def _periodic_tile(h: int = 48, w: int = 64, seed: int = 0) -> np.ndarray:
    """float32 (h, w, 3) sum of plane waves with whole numbers of cycles along both axes: it
    tiles exactly, and every line pair has the same mean gradient energy."""
    y, x = np.mgrid[0:h, 0:w]
    rng = np.random.default_rng(seed)
    chans = []
    for _ in range(3):
        f = np.zeros((h, w))
        for kx, ky in [(1, 2), (3, 1), (2, 3)]:
            phase = rng.uniform(0, 2 * np.pi)
            f += rng.uniform(0.3, 1.0) * np.sin(2 * np.pi * (kx * x / w + ky * y / h) + phase)
        chans.append(f)
    return (0.5 + 0.1 * np.stack(chans, -1)).astype(np.float32)


def test_tiling_texture_scores_one():
    tiled = np.tile(_periodic_tile(), (2, 3, 1))
    m = seam_metric(tiled)
    assert m.ratio == pytest.approx(1.0, abs=1e-3)
    assert m.ratio_x == pytest.approx(1.0, abs=1e-3)
    assert m.ratio_y == pytest.approx(1.0, abs=1e-3)
    assert m.seam_x == pytest.approx(m.interior_x, rel=1e-3)
    # the wrap position does not matter for a tiling texture
    assert seam_metric(np.roll(tiled, (13, 29), axis=(0, 1))).ratio == pytest.approx(1.0, abs=1e-3)


def test_off_centre_crop_of_tiling_texture_scores_far_above_one():
    tiled = np.tile(_periodic_tile(), (2, 3, 1))
    crop = tiled[7 : 7 + 61, 11 : 11 + 101]
    assert seam_metric(crop).ratio > 10.0
    assert seam_metric(crop).ratio_x > 10.0 and seam_metric(crop).ratio_y > 10.0


def test_grey_and_constant_images():
    grey = _periodic_tile()[..., 0]
    assert seam_metric(grey).ratio == pytest.approx(1.0, abs=1e-3)
    flat = np.full((8, 8, 3), 0.5, np.float32)
    assert seam_metric(flat).ratio == 0.0  # no gradient anywhere: no seam either
    with pytest.raises(ValueError):
        seam_metric(np.zeros((1, 8, 3)))


def test_interior_line_ratios_average_one():
    img = np.random.default_rng(3).random((40, 50, 3)).astype(np.float32)
    r = interior_line_ratios(img)
    assert r.shape == (39,)
    assert r.mean() == pytest.approx(1.0, abs=0.1)
