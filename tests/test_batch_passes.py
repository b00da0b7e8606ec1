"""Batch export's ``passes`` setting (self-ensemble passes of denoise and upscale): plan
checks, TOML presets, the runner's jobs and ``texpaint batch --passes`` (the dialog's Quality
picker: tests/test_batch_dialog.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from texpaint import resources_dir
from texpaint.cli import build_parser, main
from texpaint.export.plan import BatchPlan, PlanError, load_preset, plan_with, save_preset
from texpaint.export.runner import run_batch
from texpaint.imaging.io import ImageData, read_image, write_image
from texpaint.jobs import ENSEMBLE_PASSES

pytestmark = pytest.mark.unit

SAMPLE = resources_dir() / "samples" / "polyhaven__brick_wall_005_diff_1k.jpg"


@pytest.fixture(scope="module")
def noisy_brick() -> np.ndarray:
    """A 64 x 80 float32 crop of the bundled brick sample with Gaussian noise (sigma 25)."""
    clean = read_image(SAMPLE).rgb[300:364, 400:480]
    noise = np.random.default_rng(3).normal(0, 25 / 255, clean.shape)
    return np.clip(clean + noise, 0, 1).astype(np.float32)


def _write_input(folder: Path, rgb: np.ndarray, name: str = "brick.png") -> tuple[Path, np.ndarray]:
    """Write ``rgb`` as a 16-bit PNG; returns the path and the pixels as read back."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    write_image(path, ImageData(rgb=rgb, alpha=None, sample_format="uint16"))
    return path, read_image(path).rgb


def _batch(src: Path, out: Path, op: str, runtime, passes: int | None) -> np.ndarray:
    """Run a one-file batch writing 32-bit float TIFF (no rounding); returns its pixels."""
    plan = BatchPlan(output_dir=out, files=[src], ops=[op], formats=["tif32f"], passes=passes)
    (r,) = run_batch(plan, runtime=runtime).results
    assert r.status == "ok", r.error
    (path,) = r.outputs
    return read_image(path).rgb


# --- plan and presets ------------------------------------------------------------------------


def test_plan_passes_default_and_valid_values(tmp_path):
    plan = BatchPlan(output_dir=tmp_path, files=[Path("a.png")], ops=["denoise"])
    assert plan.passes is None
    for n in ENSEMBLE_PASSES:
        assert plan_with(plan, passes=n).passes == n


@pytest.mark.parametrize("bad", [0, 3, 16, -1, 2.0, True, "2"])
def test_plan_rejects_bad_passes(tmp_path, bad):
    with pytest.raises(PlanError, match=r"passes .* is not one of 1, 2, 4, 8") as info:
        BatchPlan(output_dir=tmp_path, files=[Path("a.png")], ops=["denoise"], passes=bad)
    assert repr(bad) in str(info.value)


def test_preset_round_trip_keeps_passes_and_omits_the_default(tmp_path):
    plan = BatchPlan(output_dir=tmp_path / "o", files=[Path("a.png")], ops=["denoise"], passes=2)
    save_preset(plan, tmp_path / "fast.toml")
    assert "passes = 2" in (tmp_path / "fast.toml").read_text()
    assert load_preset(tmp_path / "fast.toml").passes == 2
    default = plan_with(plan, passes=None)
    assert "passes" not in default.to_dict()
    save_preset(default, tmp_path / "default.toml")
    assert "passes" not in (tmp_path / "default.toml").read_text()
    assert load_preset(tmp_path / "default.toml").passes is None


@pytest.mark.parametrize(
    "value,match",
    [
        ("3", "passes 3 is not one of 1, 2, 4, 8"),
        ("'fast'", "'passes' must be an int, got 'fast'"),
        ("true", "'passes' must be an int, got True"),
        ("2.0", "'passes' must be an int, got 2.0"),
    ],
)
def test_bad_passes_in_a_preset_are_reported_clearly(tmp_path, value, match):
    preset = tmp_path / "p.toml"
    preset.write_text(
        f"output_dir = 'o'\nops = ['denoise']\npasses = {value}\n[inputs]\nfiles=['a']"
    )
    with pytest.raises(PlanError, match=match) as info:
        load_preset(preset)
    assert str(info.value).startswith(str(preset))


# --- running ---------------------------------------------------------------------------------


def test_batch_denoise_runs_the_chosen_passes(tmp_path, noisy_brick, runtime, whole_image):
    """Passes 8 gives the pipeline's eight-pass denoise of the same pixels; unset gives the
    default one-pass result, which is a different image."""
    src, rgb = _write_input(tmp_path / "in", noisy_brick)
    fast = _batch(src, tmp_path / "default", "denoise", runtime, passes=None)
    best = _batch(src, tmp_path / "best", "denoise", runtime, passes=8)
    np.testing.assert_allclose(fast, whole_image("denoise", rgb, passes=1), atol=1e-6)
    np.testing.assert_allclose(best, whole_image("denoise", rgb, passes=8), atol=1e-6)
    assert np.abs(fast - best).mean() > 1e-3, "1 and 8 passes must differ"


def test_batch_upscale_runs_the_chosen_passes(tmp_path, community_weights, runtime, whole_image):
    from texpaint.models.community import import_model

    model = import_model(community_weights["compact2"], name="Compact 2x").id
    rgb = np.random.default_rng(4).random((24, 32, 3), dtype=np.float32)
    src, rgb = _write_input(tmp_path / "in", rgb)
    two = _batch(src, tmp_path / "two", f"upscale:{model}", runtime, passes=2)
    one = _batch(src, tmp_path / "one", f"upscale:{model}", runtime, passes=None)
    assert two.shape == (48, 64, 3)
    direct = whole_image("upscale", rgb, model, passes=2)
    np.testing.assert_allclose(two, direct, atol=1e-6)
    np.testing.assert_allclose(one, whole_image("upscale", rgb, model), atol=1e-6)
    assert not np.allclose(one, two, atol=1e-4), "random weights: a mirror pass changes it"


# --- command line ----------------------------------------------------------------------------


def _cli_plan(argv: list[str]) -> BatchPlan:
    from texpaint.cli.batch import _batch_plan

    plan, _ = _batch_plan(build_parser().parse_args(["batch", *argv]))
    return plan


def test_cli_passes_flag_overrides_the_preset(tmp_path, capsys):
    src, _ = _write_input(tmp_path / "in", np.full((8, 8, 3), 0.5, np.float32))
    out = str(tmp_path / "out")
    assert _cli_plan([str(src), "-o", out, "--op", "denoise"]).passes is None
    assert _cli_plan([str(src), "-o", out, "--op", "denoise", "--passes", "2"]).passes == 2
    preset = tmp_path / "p.toml"
    save_preset(BatchPlan(output_dir=Path(out), files=[src], ops=["denoise"], passes=4), preset)
    assert _cli_plan(["--preset", str(preset)]).passes == 4
    assert _cli_plan(["--preset", str(preset), "--passes", "1"]).passes == 1
    assert main(["batch", str(src), "-o", out, "--op", "denoise", "--passes", "3"]) == 2
    assert "--passes: invalid choice: 3" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_batch_denoise_with_one_pass(tmp_path, noisy_brick, capsys, whole_image):
    src, rgb = _write_input(tmp_path / "in", noisy_brick)
    out = tmp_path / "out"
    argv = ["batch", str(src), "-o", str(out), "--op", "denoise", "--format", "tif32f"]
    assert main([*argv, "--passes", "1", "--device", "cpu"]) == 0, capsys.readouterr().err
    (result,) = out.iterdir()
    expected = whole_image("denoise", rgb, passes=1)
    np.testing.assert_allclose(read_image(result).rgb, expected, atol=1e-6)
