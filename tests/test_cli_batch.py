"""``texpaint batch``: exit codes, outputs on disk, presets, usage errors."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from texpaint.cli import main
from texpaint.export.plan import BatchPlan, save_preset
from texpaint.imaging.io import ImageData, read_image, write_image

pytestmark = pytest.mark.unit


def _images(folder: Path, n: int = 3, size: tuple[int, int] = (64, 128)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(11)
    out = []
    for i in range(n):
        p = folder / f"tex{i}.png"
        rgb = rng.random((*size, 3), dtype=np.float32)
        write_image(p, ImageData(rgb=rgb, alpha=None, sample_format="uint8"))
        out.append(p)
    return out


def test_batch_all_ok_writes_every_size_and_format(tmp_path, capsys):
    _images(tmp_path / "in")
    out = tmp_path / "out"
    code = main(
        [
            "batch",
            str(tmp_path / "in"),
            "-o",
            str(out),
            "--size",
            "64",
            "--size",
            "32",
            "--format",
            "png16",
            "--format",
            "jpg:90",
        ]
    )
    stdout = capsys.readouterr().out
    assert code == 0
    assert "3 ok, 0 failed, 0 skipped" in stdout
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 12 and "tex0_resize_64.png" in names and "tex2_resize_32.jpg" in names
    png = cv2.imread(str(out / "tex1_resize_64.png"), cv2.IMREAD_UNCHANGED)
    assert png.dtype == np.uint16 and png.shape == (32, 64, 3)
    assert read_image(out / "tex1_resize_32.jpg").rgb.shape == (16, 32, 3)


def test_batch_with_a_corrupt_file_exits_1_and_does_the_rest(tmp_path, capsys):
    files = _images(tmp_path / "in", n=2)
    bad = tmp_path / "in" / "bad.png"
    bad.write_bytes(files[0].read_bytes()[:100])
    out = tmp_path / "out"
    code = main(["batch", *map(str, [*files, bad]), "-o", str(out), "--format", "tga"])
    captured = capsys.readouterr()
    assert code == 1
    assert "2 ok, 1 failed, 0 skipped" in captured.out
    assert "bad.png" in captured.err and "corrupt" in captured.err
    assert sorted(p.name for p in out.iterdir()) == ["tex0_copy_orig.tga", "tex1_copy_orig.tga"]
    # a second run skips what exists: exit 0 is about the good files, the bad one still fails
    assert main(["batch", *map(str, files), "-o", str(out), "--format", "tga"]) == 0
    assert "0 ok, 0 failed, 2 skipped" in capsys.readouterr().out


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--op", "blur"], "unknown op 'blur'"),
        (["--format", "gif"], "unknown format 'gif'"),
        (["--format", "jpg:500"], "between 1 and 100"),
        (["--size", "huge"], "'huge'"),
        (["--naming", "{stem}_{nope}.{ext}"], "nope"),
        (["--op", "denoise"], "Denoise cannot run"),
        (["--op", "seamless"], "Make Seamless cannot run"),
    ],
)
def test_batch_usage_errors_exit_2(tmp_path, capsys, extra, message, no_models):
    files = _images(tmp_path / "in", n=1)
    code = main(["batch", str(files[0]), "-o", str(tmp_path / "out"), *extra])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_batch_bad_preset_and_missing_output_exit_2(tmp_path, capsys):
    files = _images(tmp_path / "in", n=1)
    bad = tmp_path / "bad.toml"
    bad.write_text("formats = [png]\n")
    assert main(["batch", str(files[0]), "-o", str(tmp_path / "o"), "--preset", str(bad)]) == 2
    assert "not a valid TOML preset" in capsys.readouterr().err
    assert main(["batch", str(files[0])]) == 2
    assert "no output folder" in capsys.readouterr().err
    assert main(["batch", "-o", str(tmp_path / "o")]) == 2
    assert "no inputs" in capsys.readouterr().err


def test_batch_from_preset_with_overrides(tmp_path, capsys):
    _images(tmp_path / "in", n=2)
    plan = BatchPlan(
        output_dir=Path("exported"),
        folder=Path("in"),
        glob="*.png",
        ops=["resize"],
        sizes=[32],
        formats=["png8"],
    )
    preset = tmp_path / "web.toml"
    save_preset(plan, preset)
    assert main(["batch", "--preset", str(preset)]) == 0
    assert sorted(p.name for p in (tmp_path / "exported").iterdir()) == [
        "tex0_resize_32.png",
        "tex1_resize_32.png",
    ]
    capsys.readouterr()
    # command-line options override the preset
    other = tmp_path / "other"
    assert main(["batch", "--preset", str(preset), "-o", str(other), "--format", "webp"]) == 0
    assert sorted(p.name for p in other.iterdir()) == ["tex0_resize_32.webp", "tex1_resize_32.webp"]


def test_batch_inpaint_missing_mask_is_a_per_file_failure(tmp_path, capsys, tiny_inpaint_model):
    files = _images(tmp_path / "in", n=2, size=(64, 64))
    mask = np.zeros((64, 64), np.uint8)
    mask[16:40, 16:40] = 255
    cv2.imwrite(str(tmp_path / "in" / "tex0_mask.png"), mask)
    out = tmp_path / "out"
    code = main(
        ["batch", str(tmp_path / "in"), "-o", str(out), "--op", "inpaint", "--device", "cpu"]
    )
    captured = capsys.readouterr()
    assert code == 1, captured
    assert "1 ok, 1 failed, 0 skipped" in captured.out
    assert "mask not found" in captured.err and "tex1_mask.png" in captured.err
    assert [p.name for p in out.iterdir()] == ["tex0_inpaint_orig.png"]
    before, after = read_image(files[0]).rgb, read_image(out / "tex0_inpaint_orig.png").rgb
    np.testing.assert_array_equal(after[:16], before[:16])
    assert not np.array_equal(after[16:40, 16:40], before[16:40, 16:40])


def test_batch_denoise_with_the_shipped_model_keeps_16_bit(tmp_path, capsys):
    """``texpaint batch --op denoise`` runs the built-in denoiser on every file: 16-bit noisy
    inputs come out as 16-bit PNGs closer to the clean texture than the noisy input."""
    from texpaint import resources_dir

    clean = read_image(resources_dir() / "samples" / "polyhaven__brick_wall_005_diff_1k.jpg")
    clean_rgb = np.ascontiguousarray(clean.rgb[::8, ::8][:96, :96])
    rng = np.random.default_rng(0)
    inputs = []
    for i in range(2):
        noisy = np.clip(clean_rgb + rng.normal(0, 25 / 255, clean_rgb.shape), 0, 1)
        path = tmp_path / "in" / f"n{i}.png"
        path.parent.mkdir(exist_ok=True)
        write_image(path, ImageData(noisy.astype(np.float32), None, "uint16"))
        inputs.append(path)
    out = tmp_path / "out"
    code = main(
        ["batch", *map(str, inputs), "-o", str(out), "--op", "denoise", "--format", "png16"]
    )
    assert code == 0, capsys.readouterr().err
    for path in inputs:
        (result,) = out.glob(f"{path.stem}_*.png")
        den = read_image(result)
        assert den.sample_format == "uint16"
        noisy = read_image(path).rgb
        assert np.abs(den.rgb - clean_rgb).mean() < 0.8 * np.abs(noisy - clean_rgb).mean()
