"""The offsets stage of benchmarks/denoise_nonlocal.py (issue 21's non-local ablation) does
what it is meant to where its assumption holds: on an exactly periodic texture, averaging
whole-period shifts recovers detail a blurred pilot lost (so its losses on real textures in
benchmarks/RESULTS.md are the textures', not a broken stage)."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.denoise_nonlocal import offsets_stage  # noqa: E402
from texpaint.imaging.io import read_image  # noqa: E402
from texpaint.imaging.metrics import psnr  # noqa: E402

pytestmark = pytest.mark.unit

SAMPLE = REPO / "resources" / "samples" / "polyhaven__brick_wall_005_diff_1k.jpg"


def test_offsets_stage_recovers_detail_on_an_exactly_periodic_texture():
    rgb = read_image(SAMPLE).rgb
    cell = np.ascontiguousarray(rgb[300:364, 300:364], np.float32)  # a 64 px piece of brick
    clean = np.tile(cell, (4, 4, 1))  # 256 px, period exactly 64 px both ways
    rng = np.random.default_rng(0)
    noisy = np.clip(clean + rng.normal(0, 25 / 255, clean.shape), 0, 1).astype(np.float32)
    pilot = cv2.GaussianBlur(clean, (0, 0), 1.0)  # a denoiser that lost the fine detail
    outs = offsets_stage(noisy, pilot, 25 / 255)
    base = psnr(pilot, clean)
    gains = {k: psnr(v, clean) - base for k, v in outs.items()}
    assert set(gains) == {"offsets h0.1 vp0.02", "offsets h0.25 vp0.05", "offsets h0.5 vp0.1"}
    assert gains["offsets h0.1 vp0.02"] > 0.8, gains  # measured +1.16 dB
    for out in outs.values():
        assert out.shape == clean.shape and out.dtype == np.float32
