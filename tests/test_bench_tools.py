"""The measuring tools of benchmarks/speed.py and benchmarks/gui_stall.py, and the chunked
display conversion the canvas uses (no timings are asserted)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.bench_common import count_flops, stall_stats  # noqa: E402

pytestmark = pytest.mark.unit


def test_count_flops_matches_a_hand_computed_convolution():
    conv = torch.nn.Conv2d(3, 8, kernel_size=3, padding=1)
    flops, fft_calls = count_flops(conv, (torch.rand(1, 3, 16, 20),))
    # 2 FLOPs per multiply-add: output elements x (input channels x kernel taps)
    assert flops == 2 * (8 * 16 * 20) * (3 * 3 * 3)
    assert fft_calls == 0
    assert conv.weight.device.type == "cpu"  # counted on a meta copy, the net is untouched


def test_count_flops_reports_fft_calls_it_cannot_count():
    class Spectral(torch.nn.Module):
        def forward(self, x):
            return torch.fft.irfft2(torch.fft.rfft2(x), s=x.shape[-2:])

    flops, fft_calls = count_flops(Spectral(), (torch.rand(1, 2, 8, 8),))
    assert flops == 0 and fft_calls >= 2


def test_stall_stats_percentiles_on_synthetic_beats():
    beats = np.array([0.0, 5.0, 10.0, 30.0, 35.0]) / 1000.0  # one 20 ms gap in a 5 ms beat
    s = stall_stats(beats, 5.0)
    assert s["beats"] == 5
    assert s["p50_ms"] == pytest.approx(0.0, abs=1e-9)
    assert s["max_ms"] == pytest.approx(15.0)
    assert s["p99_ms"] == pytest.approx(np.percentile([0, 0, 15, 0], 99))
    assert stall_stats([1.0], 5.0)["max_ms"] == 0.0


def test_chunked_display_conversion_is_bit_identical_to_the_plain_formula():
    from texpaint.imaging.io import linear_to_srgb
    from texpaint.ui.canvas import DISPLAY_CHUNK_ROWS, display_rgb8

    rng = np.random.default_rng(0)
    rgb = (rng.random((2 * DISPLAY_CHUNK_ROWS + 37, 19, 3)) * 1.4 - 0.2).astype(np.float32)
    want = (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    assert np.array_equal(display_rgb8(rgb, "srgb"), want)
    lin = (np.clip(linear_to_srgb(np.clip(rgb, 0.0, None)), 0.0, 1.0) * 255.0 + 0.5).astype(
        np.uint8
    )
    assert np.array_equal(display_rgb8(rgb, "linear"), lin)
    buffer = np.zeros((rgb.shape[0] + 4, 25, 3), np.uint8)
    display_rgb8(rgb, "srgb", out=buffer[2:-2, 3:22])  # a strided view, written in place
    assert np.array_equal(buffer[2:-2, 3:22], want)
    assert not buffer[:2].any() and not buffer[:, :3].any()


@pytest.mark.parametrize(
    "length, tile, overlap", [(2048, 1024, 32), (4096, 1024, 32), (8192, 2048, 32), (700, 256, 32)]
)
def test_even_tile_keeps_the_tile_count_and_covers_with_overlap(length, tile, overlap):
    from texpaint.engine.tiling import even_tile, tile_starts

    t = even_tile(length, tile, overlap)
    assert t <= tile
    starts = tile_starts(length, t, overlap)
    assert len(starts) == len(tile_starts(length, tile, overlap))
    assert starts[0] == 0 and starts[-1] + t == length
    assert all(b - a <= t - overlap for a, b in zip(starts, starts[1:], strict=False))
    assert even_tile(300, 1024, 32) == 300  # one tile: the whole length
    assert even_tile(2048, 1024, 32) == 704
