"""Known-value tests for texpaint.imaging.metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from texpaint.imaging.metrics import psnr, ssim

pytestmark = pytest.mark.unit


@pytest.fixture
def image() -> np.ndarray:
    """A smooth structured RGB image, float32 (64, 64, 3) in [0, 1]."""
    y, x = np.mgrid[0:64, 0:64].astype(np.float32)
    r = 0.5 + 0.4 * np.sin(x / 5.0)
    g = 0.5 + 0.4 * np.cos(y / 7.0)
    b = 0.5 + 0.3 * np.sin((x + y) / 9.0)
    return np.stack([r, g, b], axis=2).astype(np.float32)


def test_psnr_of_known_mse():
    a = np.zeros((10, 10), np.float32)
    b = np.full((10, 10), 0.1, np.float32)  # MSE = 0.01 -> 20 dB
    assert psnr(a, b) == pytest.approx(20.0, abs=1e-5)
    assert psnr(a * 255, b * 255, data_range=255) == pytest.approx(20.0, abs=1e-5)


def test_psnr_identical_is_inf_and_mask_restricts(image):
    assert psnr(image, image) == math.inf
    noisy = image.copy()
    noisy[:32] += 0.05  # error only in the top half: MSE there = 0.0025 -> 26.02 dB
    mask = np.zeros((64, 64), np.float32)
    mask[:32] = 1.0
    assert psnr(image, noisy, mask=mask) == pytest.approx(10 * math.log10(1 / 0.0025), abs=1e-4)
    assert psnr(image, noisy, mask=1 - mask) == math.inf
    assert psnr(image, noisy) == pytest.approx(10 * math.log10(1 / 0.00125), abs=1e-4)


def test_ssim_identical_is_one_and_drops_with_noise(image):
    assert ssim(image, image) == pytest.approx(1.0, abs=1e-9)
    assert ssim(image[:, :, 0], image[:, :, 0]) == pytest.approx(1.0, abs=1e-9)
    rng = np.random.default_rng(0)
    light = np.clip(image + rng.normal(0, 0.02, image.shape), 0, 1)
    heavy = np.clip(image + rng.normal(0, 0.2, image.shape), 0, 1)
    s_light, s_heavy = ssim(image, light), ssim(image, heavy)
    assert 1.0 > s_light > s_heavy > 0.0
    assert s_light > 0.8 and s_heavy < 0.5


def test_ssim_matches_reference_formula_on_constant_images():
    # For constant images the variances vanish: SSIM = (2 mu_a mu_b + C1) / (mu_a^2 + mu_b^2 + C1)
    a = np.full((32, 32), 0.2)
    b = np.full((32, 32), 0.6)
    c1 = 0.01**2
    expected = (2 * 0.2 * 0.6 + c1) / (0.2**2 + 0.6**2 + c1)
    assert ssim(a, b) == pytest.approx(expected, rel=1e-9)


def test_ssim_with_mask_only_sees_masked_region(image):
    damaged = image.copy()
    damaged[40:, :] = 0.5  # flatten the bottom rows
    mask = np.zeros((64, 64), np.float32)
    mask[:20] = 1.0  # far away from the damage (window radius is 6 px)
    assert ssim(image, damaged, mask=mask) == pytest.approx(1.0, abs=1e-9)
    assert ssim(image, damaged, mask=1 - mask) < 0.9


def test_bad_arguments_raise():
    a = np.zeros((8, 8, 3))
    with pytest.raises(ValueError, match="same shape"):
        psnr(a, np.zeros((8, 9, 3)))
    with pytest.raises(ValueError, match="mask shape"):
        ssim(a, a, mask=np.ones((4, 4)))
    with pytest.raises(ValueError, match="no pixels"):
        psnr(a, a, mask=np.zeros((8, 8)))
    with pytest.raises(ValueError, match="data_range"):
        psnr(a, a, data_range=0)
