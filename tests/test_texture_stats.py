"""Tests for texpaint.imaging.texture_stats (sliced Wasserstein patch distance)."""

from __future__ import annotations

import numpy as np
import pytest

from texpaint.imaging.texture_stats import hole_patch_swd, sliced_wasserstein

pytestmark = pytest.mark.unit


@pytest.fixture
def texture() -> np.ndarray:
    """A stationary striped RGB texture with mild noise, float32 (96, 96, 3) in [0, 1]."""
    rng = np.random.default_rng(3)
    y, x = np.mgrid[0:96, 0:96].astype(np.float32)
    base = 0.5 + 0.3 * np.sin(x / 2.0) * np.cos(y / 3.0)
    img = np.stack([base, 0.8 * base, 1.0 - base], axis=2)
    return np.clip(img + rng.normal(0, 0.03, img.shape), 0, 1).astype(np.float32)


@pytest.fixture
def hole() -> np.ndarray:
    m = np.zeros((96, 96), np.float32)
    m[30:66, 30:66] = 1
    return m


def test_sliced_wasserstein_known_values():
    a = np.zeros((50, 4))
    assert sliced_wasserstein(a, a) == 0.0
    # a constant shift by c along every axis: projection shifts by c * sum(theta);
    # with D = 1 the direction is +-1, so the distance is exactly |c|
    assert sliced_wasserstein(np.zeros((10, 1)), np.full((10, 1), 0.25)) == pytest.approx(0.25)
    # permutation invariance: sets, not paired samples
    rng = np.random.default_rng(0)
    b = rng.random((64, 5))
    assert sliced_wasserstein(b, b[::-1]) == pytest.approx(0.0, abs=1e-12)


def test_sliced_wasserstein_rejects_bad_shapes():
    with pytest.raises(ValueError):
        sliced_wasserstein(np.zeros((4, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError):
        sliced_wasserstein(np.zeros((0, 3)), np.zeros((0, 3)))


def test_ground_truth_scores_lower_than_bad_fills(texture, hole):
    gt = hole_patch_swd(texture, hole)
    flat = texture.copy()
    flat[hole > 0] = texture[hole == 0].mean(axis=0)  # mean colour: no texture at all
    noise = texture.copy()
    noise[hole > 0] = np.random.default_rng(1).random((int(hole.sum()), 3))
    assert gt < 0.5 * hole_patch_swd(flat, hole)
    assert gt < 0.5 * hole_patch_swd(noise, hole)


def test_deterministic_for_a_seed(texture, hole):
    a = hole_patch_swd(texture, hole, seed=5)
    assert a == hole_patch_swd(texture, hole, seed=5)
    assert a >= 0.0


def test_errors(texture, hole):
    with pytest.raises(ValueError, match="no valid patches"):
        hole_patch_swd(texture, np.ones((96, 96), np.float32))
    with pytest.raises(ValueError, match="odd"):
        hole_patch_swd(texture, hole, patch=6)
    with pytest.raises(ValueError):
        hole_patch_swd(texture[..., :2], hole)
