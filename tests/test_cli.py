"""Tests for the ``texpaint`` command line (texpaint.cli)."""

from __future__ import annotations

import importlib.util
import sys
import types

import numpy as np
import pytest
from PIL import Image

from texpaint import resources_dir
from texpaint.cli import main
from texpaint.imaging.io import ImageData, read_image, write_image, write_mask

pytestmark = pytest.mark.unit

SAMPLE = resources_dir() / "samples" / "polyhaven__brick_wall_005_diff_1k.jpg"


@pytest.fixture
def crop(tmp_path):
    """A 128x128 crop of a bundled sample saved as 8-bit PNG, and a mask with a centre hole."""
    with Image.open(SAMPLE) as im:
        rgb = np.asarray(im.convert("RGB"))[200:328, 400:528].astype(np.float32) / 255
    image_path = tmp_path / "in.png"
    write_image(image_path, ImageData(rgb, None, "uint8"))
    mask = np.zeros((128, 128), np.float32)
    mask[40:88, 48:80] = 1.0
    mask_path = tmp_path / "mask.png"
    write_mask(mask_path, mask)
    return image_path, mask_path, rgb, mask


@pytest.fixture
def fake_gui(monkeypatch):
    """Replace texpaint.ui.app with a stub that records what run_gui was called with."""
    calls: list = []
    module = types.ModuleType("texpaint.ui.app")

    def run_gui(path):
        calls.append(path)
        return 0

    module.run_gui = run_gui
    monkeypatch.setitem(sys.modules, "texpaint.ui.app", module)
    return calls


def test_gui_commands_start_the_window_with_the_file(fake_gui, crop):
    image_path = crop[0]
    assert main([]) == 0
    assert main([str(image_path)]) == 0
    assert main(["open", str(image_path)]) == 0
    assert main(["open"]) == 0
    assert fake_gui == [None, image_path, image_path, None]


def test_open_missing_file_fails_without_starting_gui(fake_gui, tmp_path, capsys):
    assert main([str(tmp_path / "nope.png")]) == 1
    assert fake_gui == []
    assert capsys.readouterr().err.startswith("texpaint: error: ")


@pytest.mark.parametrize(
    "argv",
    [
        ["inpaint", "in.png"],  # --mask and -o missing
        ["inpaint", "in.png", "--mask", "m.png", "-o", "o.png", "--device", "gpu"],
        ["models"],
        ["models", "delete"],
        ["train"],
        ["train", "inpaint", "--out", "o"],  # --data missing
        ["train", "inpaint", "--data", "d", "--out", "o", "--steps", "0"],
        ["train", "inpaint", "--data", "d", "--out", "o", "--batch", "many"],
        ["--no-such-option"],
    ],
)
def test_usage_errors_exit_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "usage: texpaint" in err and "error:" in err


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "inpaint" in capsys.readouterr().out


def test_inpaint_missing_input_exit_1_and_no_output(tmp_path, crop, capsys):
    _, mask_path, _, _ = crop
    out = tmp_path / "out.png"
    code = main(
        ["inpaint", str(tmp_path / "missing.png"), "--mask", str(mask_path), "-o", str(out)]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("texpaint: error: ") and "missing.png" in err
    assert err.count("\n") == 1  # one line, no traceback
    assert not out.exists()


def test_inpaint_bad_mask_exit_1_and_no_output(tmp_path, crop, capsys):
    image_path, _, _, _ = crop
    out = tmp_path / "out.png"
    write_mask(tmp_path / "small.png", np.ones((64, 64), np.float32))
    assert (
        main(["inpaint", str(image_path), "--mask", str(tmp_path / "small.png"), "-o", str(out)])
        == 1
    )
    assert "64 x 64" in capsys.readouterr().err
    write_mask(tmp_path / "black.png", np.zeros((128, 128), np.float32))
    assert (
        main(["inpaint", str(image_path), "--mask", str(tmp_path / "black.png"), "-o", str(out)])
        == 1
    )
    assert "mask is empty" in capsys.readouterr().err
    (tmp_path / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    assert (
        main(
            [
                "inpaint",
                str(tmp_path / "corrupt.png"),
                "--mask",
                str(tmp_path / "black.png"),
                "-o",
                str(out),
            ]
        )
        == 1
    )
    assert not out.exists()


def test_inpaint_unsupported_output_extension_exit_1(tmp_path, crop, capsys):
    image_path, mask_path, _, _ = crop
    out = tmp_path / "out.gif"
    assert main(["inpaint", str(image_path), "--mask", str(mask_path), "-o", str(out)]) == 1
    assert ".gif" in capsys.readouterr().err
    assert not out.exists()


def test_models_list_matches_catalog(capsys):
    catalog = pytest.importorskip("texpaint.models.catalog", reason="model catalog not present")
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    models = catalog.list_models()
    if not models:
        assert out.strip() == "no models installed"
    else:
        lines = out.strip().splitlines()
        assert lines[0].split()[:2] == ["ID", "OPERATION"]
        assert len(lines) == len(models) + 1
        for model, line in zip(models, lines[1:], strict=True):
            assert line.split()[0] == model.id


def _engine_missing() -> str | None:
    """Why the end-to-end inpaint test cannot run here, or None when it can."""
    if importlib.util.find_spec("texpaint.engine.pipeline") is None:
        return "texpaint.engine.pipeline has not landed yet"
    return None


@pytest.fixture
def untrained_model(tmp_path, monkeypatch):
    """Export a freshly initialised (untrained) FFC inpainting generator into a temporary
    models folder and point the catalog at it, so the test does not depend on shipped weights.
    """
    import torch

    from texpaint.models import catalog
    from texpaint.models.arch.ffc_inpaint import FFCInpaintConfig, FFCInpaintGenerator
    from texpaint.training.export import export_model

    torch.manual_seed(0)
    cfg = FFCInpaintConfig(base_channels=8, body_channels=32, n_blocks=2)
    folder = tmp_path / "models"
    folder.mkdir()
    card = {
        "id": "test-inpaint-untrained",
        "name": "untrained test generator",
        "operation": "inpaint",
        "architecture": "ffc_inpaint",
        "architecture_config": cfg.to_dict(),
        "size_multiple": 8,
        "min_size": 32,
    }
    export_model(FFCInpaintGenerator(cfg).eval(), folder / "test-inpaint.safetensors", card)
    monkeypatch.setattr(catalog, "models_dirs", lambda: [folder])
    return card["id"]


@pytest.mark.skipif(_engine_missing() is not None, reason=str(_engine_missing()))
def test_inpaint_changes_only_masked_pixels_and_keeps_format(
    tmp_path, crop, untrained_model, capsys
):
    _, mask_path, rgb, mask = crop
    # Give the input a 16-bit sample format and an alpha channel, which the output must keep.
    alpha = np.linspace(0.2, 1.0, 128 * 128, dtype=np.float32).reshape(128, 128)
    src16 = tmp_path / "in16.png"
    write_image(src16, ImageData(rgb, alpha, "uint16"))
    src = read_image(src16)
    out = tmp_path / "out.png"
    argv = ["inpaint", str(src16), "--mask", str(mask_path), "-o", str(out), "--device", "cpu"]
    code = main([*argv, "--model", untrained_model])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"wrote {out}" in captured.out
    res = read_image(out)
    assert res.sample_format == "uint16" and res.has_alpha
    np.testing.assert_array_equal(res.alpha, src.alpha)
    outside = mask == 0
    np.testing.assert_array_equal(res.rgb[outside], src.rgb[outside])  # bit-identical
    inside = mask == 1
    assert np.abs(res.rgb[inside] - src.rgb[inside]).mean() > 1e-3
    assert np.all(np.isfinite(res.rgb)) and res.rgb.min() >= 0 and res.rgb.max() <= 1


@pytest.mark.skipif(_engine_missing() is not None, reason=str(_engine_missing()))
def test_inpaint_unknown_model_exit_1_and_no_output(tmp_path, crop, untrained_model, capsys):
    image_path, mask_path, _, _ = crop
    out = tmp_path / "out.png"
    argv = ["inpaint", str(image_path), "--mask", str(mask_path), "-o", str(out)]
    assert main([*argv, "--model", "no-such-model", "--device", "cpu"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("texpaint: error: ") and err.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize("command", ["denoise", "inpaint", "seamless"])
def test_ctrl_c_is_a_clean_cancel(tmp_path, crop, command, monkeypatch, capsys):
    """Ctrl-C (a real SIGINT to this process) while a job runs: exit 130, a one-line message,
    no output file and no traceback; the job saw abort() turn true and stopped cooperatively."""
    import os
    import signal

    from texpaint.jobs import JobCancelled
    from texpaint.ops import runner

    seen = {}

    def interrupted_run_job(job, abort, progress, runtime):
        os.kill(os.getpid(), signal.SIGINT)  # delivered to the CLI's handler, not raised here
        seen["abort"] = abort()
        raise JobCancelled("cancelled")

    monkeypatch.setattr(runner, "run_job", interrupted_run_job)
    handler_before = signal.getsignal(signal.SIGINT)  # SIG_IGN in a background job
    image_path, mask_path, _, _ = crop
    out = tmp_path / "out.png"
    argv = [command, str(image_path), "-o", str(out)]
    if command == "inpaint":
        argv += ["--mask", str(mask_path)]
    assert main(argv) == 130
    assert seen["abort"] is True
    assert not out.exists()
    err = capsys.readouterr().err
    assert "cancelled" in err and "Traceback" not in err
    assert signal.getsignal(signal.SIGINT) is handler_before  # the CLI put its handler back
