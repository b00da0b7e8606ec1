"""Geometric self-ensemble of Denoise and Upscale (param ``passes``): equivariance on real
pixels, the gain on the shipped denoiser, cancel between passes, bad values, CLI and panel."""

from __future__ import annotations

import numpy as np
import pytest

from texpaint import resources_dir
from texpaint.cli import main
from texpaint.imaging.io import ImageData, read_image, write_image
from texpaint.imaging.metrics import psnr
from texpaint.jobs import (
    ENSEMBLE_PASSES,
    Job,
    JobCancelled,
    JobError,
    Operation,
    default_passes,
)
from texpaint.models.community import import_model
from texpaint.ops.runner import run_job

pytestmark = pytest.mark.unit

SAMPLE = resources_dir() / "samples" / "polyhaven__brick_wall_005_diff_1k.jpg"


@pytest.fixture(scope="module")
def brick() -> np.ndarray:
    """A 128 x 160 float32 crop of the bundled brick sample (not square: a quarter turn swaps
    the sides)."""
    return np.ascontiguousarray(read_image(SAMPLE).rgb[300:428, 400:560])


def _noisy(clean: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, sigma / 255, clean.shape)
    return np.clip(clean + noise, 0, 1).astype(np.float32)


def test_defaults_are_one_pass_everywhere():
    for op in (Operation.DENOISE, Operation.UPSCALE, Operation.INPAINT, Operation.STYLIZE):
        assert default_passes(op) == 1
    assert ENSEMBLE_PASSES == (1, 2, 4, 8)


@pytest.mark.parametrize(("op", "weights"), [("denoise", "nafnet"), ("upscale", "compact2")])
def test_eight_passes_make_a_network_rotation_and_mirror_equivariant(
    op, weights, community_weights, brick, whole_image
):
    """Random-weight networks are not equivariant: turning the input a quarter turn changes
    the output by much more than float error. Averaged over all eight orientations it does
    not, and two passes (input + mirror image) make it mirror-equivariant."""
    model = import_model(community_weights[weights], name=f"ens {weights}").id

    def turned_back(passes: int) -> np.ndarray:
        out = whole_image(op, np.ascontiguousarray(np.rot90(brick)), model, passes=passes)
        return np.rot90(out, -1)

    def mirrored_back(passes: int) -> np.ndarray:
        out = whole_image(op, np.ascontiguousarray(brick[:, ::-1]), model, passes=passes)
        return out[:, ::-1]

    one = whole_image(op, brick, model, passes=1)
    two = whole_image(op, brick, model, passes=2)
    eight = whole_image(op, brick, model, passes=8)
    assert one.shape == eight.shape
    assert np.abs(turned_back(1) - one).max() > 1e-3, "the network itself is not equivariant"
    assert np.abs(turned_back(8) - eight).max() < 1e-4
    assert np.abs(mirrored_back(2) - two).max() < 1e-4
    assert np.abs(eight - one).max() > 1e-3, "the ensemble changes the result"


def test_self_ensemble_denoises_real_noise_better(brick, whole_image):
    """The v1 NAFNet denoiser on sigma 25 Gaussian noise: 8 passes are closer to the clean
    texture than 1, and change a clean input less. The default FFDNet (a plain CNN) gains
    little (0.04-0.07 dB on cc0-1k/val) but is not made worse."""
    noisy = _noisy(brick, 25.0, seed=3)
    v1 = "texpaint-denoise-nafnet"
    one = whole_image("denoise", noisy, v1, passes=1)
    eight = whole_image("denoise", noisy, v1, passes=8)
    assert psnr(eight, brick) > psnr(one, brick) + 0.2
    clean_one = whole_image("denoise", brick, v1, passes=1)
    clean_eight = whole_image("denoise", brick, v1, passes=8)
    assert psnr(clean_eight, brick) > psnr(clean_one, brick)
    ffd_one = whole_image("denoise", noisy, None)  # the default: one pass
    ffd_eight = whole_image("denoise", noisy, None, passes=8)
    assert psnr(ffd_eight, brick) > psnr(ffd_one, brick) - 0.02


def test_cancel_between_passes(brick, runtime):
    """abort() is polled before every pass: asking to stop after the second pass stops the
    job before the third runs."""
    messages: list[str] = []

    def abort() -> bool:  # after the first pass (the noise estimate reports a line too)
        return len([m for m in messages if "8 passes" in m]) >= 1

    job = Job(
        op="denoise",
        image=brick,
        mask=np.zeros(brick.shape[:2], np.float32),
        params={"passes": 8},
    )
    with pytest.raises(JobCancelled):
        run_job(job, abort=abort, progress=lambda f, m: messages.append(m), runtime=runtime)
    passes_done = [m for m in messages if "8 passes" in m]
    assert len(passes_done) == 1, messages  # "Denoising with ..." then one pass, then stop


@pytest.mark.parametrize("passes", [0, 3, 16, True, "8", 2.5])
def test_bad_passes_are_refused(passes, brick, whole_image):
    with pytest.raises(JobError, match="passes must be one of 1, 2, 4, 8"):
        whole_image("denoise", brick[:32, :32], None, passes=passes)


def test_cli_passes_option(tmp_path, brick, capsys):
    src, fast, best = tmp_path / "in.png", tmp_path / "fast.png", tmp_path / "best.png"
    noisy = _noisy(brick, 20.0, seed=1)
    write_image(src, ImageData(rgb=noisy, alpha=None, sample_format="uint8"))
    assert main(["denoise", str(src), "-o", str(fast)]) == 0
    assert "1 pass," in capsys.readouterr().out
    assert main(["denoise", str(src), "-o", str(best), "--passes", "8"]) == 0
    assert "8 passes" in capsys.readouterr().out
    a, b = read_image(fast).rgb, read_image(best).rgb
    assert psnr(b, brick) > psnr(a, brick)
    assert main(["denoise", str(src), "-o", str(fast), "--passes", "3"]) == 2
    assert "invalid choice: 3" in capsys.readouterr().err


@pytest.mark.gui
def test_panel_quality_pickers(qtbot):
    from texpaint.ui.operations_panel import OperationsPanel

    panel = OperationsPanel()
    qtbot.addWidget(panel)
    panel.tabs.setCurrentIndex(panel._ops.index(Operation.DENOISE))
    assert panel.request()["params"]["passes"] == 1
    assert panel.denoise_passes.currentText() == "Fast (1 pass)"
    panel.denoise_passes.setCurrentIndex(panel.denoise_passes.findData(2))
    assert panel.request()["params"] == {"sigma": "auto", "passes": 2}
    assert panel.upscale_passes.currentData() == 1
