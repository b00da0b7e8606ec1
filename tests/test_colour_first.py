"""Colour-first stylization: Reinhard colour transfer (CIELAB), its statistics in the style
generator's card, and Stylize running the generator on the colour-transferred image."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from texpaint import resources_dir
from texpaint.imaging.colour_transfer import lab_stats, reinhard_transfer
from texpaint.imaging.io import read_image
from texpaint.jobs import Job, Operation

pytestmark = pytest.mark.unit

STYLES = resources_dir() / "styles"
TARGET = ((62.0, 18.0, 30.0), (14.0, 9.0, 11.0))  # a warm, rusty palette (CIELAB mean, std)


@pytest.fixture(scope="module")
def brick() -> np.ndarray:
    """float32 (128, 128, 3) in [0, 1]: the bundled brick sample, area-downscaled."""
    rgb = read_image(resources_dir() / "samples" / "polyhaven__brick_wall_005_diff_1k.jpg").rgb
    return cv2.resize(rgb[:512, :512], (128, 128), interpolation=cv2.INTER_AREA)


def _lab_of(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(rgb, np.float32), cv2.COLOR_RGB2Lab).reshape(-1, 3)


def test_lab_stats_match_numpy_and_weighting_selects_pixels(brick):
    mean, std = lab_stats(brick)
    lab = _lab_of(brick)
    np.testing.assert_allclose(mean, lab.mean(axis=0), atol=1e-3)
    np.testing.assert_allclose(std, lab.std(axis=0), atol=1e-3)
    weight = np.zeros(brick.shape[:2], np.float32)
    weight[:40, :40] = 1.0
    wmean, wstd = lab_stats(brick, weight)
    part = _lab_of(brick[:40, :40])
    np.testing.assert_allclose(wmean, part.mean(axis=0), atol=1e-3)
    np.testing.assert_allclose(wstd, part.std(axis=0), atol=1e-3)
    assert lab_stats(brick, np.zeros_like(weight)) == (mean, std)  # all-zero weight: every pixel
    with pytest.raises(ValueError, match="weight"):
        lab_stats(brick, weight[:10])
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        lab_stats(brick[..., 0])


def test_reinhard_transfer_reaches_the_target_palette_and_keeps_structure(brick):
    from texpaint.training.style_stats import structure_score

    out = reinhard_transfer(brick, TARGET)
    assert out.dtype == np.float32 and out.shape == brick.shape
    assert out.min() >= 0.0 and out.max() <= 1.0
    mean, std = lab_stats(out)
    np.testing.assert_allclose(mean, TARGET[0], atol=1.5)  # clipping to sRGB costs a little
    np.testing.assert_allclose(std, TARGET[1], rtol=0.15)
    assert structure_score(out, brick) > 0.9  # a colour mapping: the edges stay where they were
    # the mapping is the same for any tile given the whole image's statistics
    whole = lab_stats(brick)
    tile = reinhard_transfer(brick[32:96, 32:96], TARGET, whole)
    np.testing.assert_allclose(tile, out[32:96, 32:96], atol=1e-5)


def test_reinhard_transfer_caps_the_gain_of_a_nearly_flat_image():
    rng = np.random.default_rng(0)
    flat = np.full((64, 64, 3), 0.5, np.float32) + rng.normal(0, 0.002, (64, 64, 3)).astype(
        np.float32
    )
    out = reinhard_transfer(flat, TARGET)
    _, std = lab_stats(out)
    assert max(std) < 4.0 * 0.5 * 1.5, std  # gain <= 4 on a std floored at 0.5 Lab units
    uncapped = reinhard_transfer(flat, TARGET, max_gain=None)
    assert lab_stats(uncapped)[1][0] > 2 * std[0]


def test_stylize_runs_a_colour_first_generator_on_the_transferred_image(
    tmp_path, monkeypatch, runtime, brick, export_style_model
):
    from texpaint.models.catalog import get_model, load_network
    from texpaint.ops.runner import run_job

    folder = tmp_path / "models"
    folder.mkdir()
    model_id = export_style_model(folder, "warm_test", colour_mean=TARGET[0], colour_std=TARGET[1])
    monkeypatch.setenv("TEXPAINT_MODEL_DIRS", str(folder))
    card = json.loads((folder / f"{model_id}.json").read_text())
    assert card["architecture_config"]["colour_mean"] == list(TARGET[0])
    assert load_network(get_model(model_id, "stylize")).colour_target == TARGET

    empty = np.zeros(brick.shape[:2], np.float32)
    fast = {"quality": "fast"}
    whole = run_job(
        Job(Operation.STYLIZE, brick, empty, fast, style_id="warm_test"), runtime=runtime
    )
    mean, _ = lab_stats(whole.image)
    np.testing.assert_allclose(mean, TARGET[0], atol=2.0)  # the palette moved to the target
    assert abs(lab_stats(brick)[0][1] - TARGET[0][1]) > 10  # ... from far away

    mask = np.zeros_like(empty)
    mask[24:104, 24:104] = 1.0
    part = run_job(
        Job(Operation.STYLIZE, brick, mask, {"feather_px": 0, **fast}, style_id="warm_test"),
        runtime=runtime,
    ).image
    assert np.array_equal(part[mask == 0], brick[mask == 0]), "outside: bit-identical"
    inside = part[24:104, 24:104]
    np.testing.assert_allclose(lab_stats(inside)[0], TARGET[0], atol=2.0)

    kept = run_job(
        Job(
            Operation.STYLIZE, brick, empty, {"preserve_colour": True, **fast}, style_id="warm_test"
        ),
        runtime=runtime,
    ).image
    y = np.array([0.299, 0.587, 0.114], np.float32)
    chroma = brick - (brick @ y)[..., None]
    np.testing.assert_allclose(kept - (kept @ y)[..., None], chroma, atol=1e-4)


def test_colour_first_input_keeps_float_range_above_one(brick):
    from texpaint.engine.stylize import colour_first_input

    hdr = brick * 4.0
    prepare = colour_first_input(hdr, np.zeros(brick.shape[:2], np.float32), TARGET)
    out = prepare(hdr)
    assert out.dtype == np.float32 and out.max() > 1.0 and out.max() <= hdr.max() + 1e-5
    np.testing.assert_allclose(lab_stats(out / hdr.max())[0], TARGET[0], atol=1.5)
    # one mapping for the whole image: a part converts exactly as it does inside the whole
    np.testing.assert_allclose(prepare(hdr[40:90, 10:70]), out[40:90, 10:70], atol=1e-5)


def test_bad_colour_statistics_in_a_card_are_a_model_error(
    tmp_path, monkeypatch, export_style_model
):
    from texpaint.models.catalog import ModelLoadError, get_model, load_network

    folder = tmp_path / "models"
    folder.mkdir()
    model_id = export_style_model(folder, "bad_test", colour_mean=TARGET[0], colour_std=TARGET[1])
    card_path = folder / f"{model_id}.json"
    card = json.loads(card_path.read_text())
    card["architecture_config"]["colour_std"] = [1.0, "x", 2.0]
    card_path.write_text(json.dumps(card))
    monkeypatch.setenv("TEXPAINT_MODEL_DIRS", str(folder))
    with pytest.raises(ModelLoadError, match="architecture_config"):
        load_network(get_model(model_id, "stylize"))


def test_style_training_colour_first_records_the_exemplar_palette(
    tmp_path, brick, restore_torch_threads
):
    from texpaint.imaging.io import ImageData, write_image
    from texpaint.models.arch.style_net import StyleNetConfig
    from texpaint.training.style_trainer import StyleTrainConfig, load_exemplar, run_style_training

    crops = tmp_path / "content"
    crops.mkdir()
    write_image(crops / "c.png", ImageData(rgb=brick[:96, :96], alpha=None, sample_format="uint8"))
    cfg = StyleTrainConfig(
        exemplar=STYLES / "rust" / "exemplar.jpg",
        out_dir=tmp_path / "run",
        content_dirs=[crops],
        style_id="rust_test",
        steps=1,
        batch=1,
        size=64,
        style_px=128,
        device="cpu",
        threads=1,
        preview_every=0,
        generator=StyleNetConfig(channels=(8, 8, 8), n_blocks=1),
    )
    card = json.loads(run_style_training(cfg).with_suffix(".json").read_text())
    off = json.loads(
        run_style_training(
            StyleTrainConfig(**{**cfg.__dict__, "colour_first": False, "out_dir": tmp_path / "b"})
        )
        .with_suffix(".json")
        .read_text()
    )
    mean, std = lab_stats(load_exemplar(cfg.exemplar, cfg.style_px))
    np.testing.assert_allclose(card["architecture_config"]["colour_mean"], mean, atol=1e-6)
    np.testing.assert_allclose(card["architecture_config"]["colour_std"], std, atol=1e-6)
    assert card["training"]["colour_first"] is True
    assert "colour_mean" not in off["architecture_config"]
    assert off["training"]["colour_first"] is False


def test_learn_style_takes_the_content_weight_of_the_look(brick, restore_torch_threads):
    from texpaint.jobs import JobError
    from texpaint.models.catalog import user_models_dir
    from texpaint.training.learn_style import LEARN_LOOKS, learn_style

    params = {"steps": 1, "batch": 1, "size": 64, "style_px": 128, "threads": 1}

    def learn(values):
        return learn_style(brick, values, lambda: False, lambda f, m: None, None, "cpu")

    _style_id, model_id = learn(
        {**params, "name": "Brick material", "content_weight": LEARN_LOOKS["material"]}
    )
    card = json.loads((user_models_dir() / f"{model_id}.json").read_text())
    assert card["training"]["losses"]["content"] == LEARN_LOOKS["material"] == 0.1
    assert card["architecture_config"]["colour_mean"] == pytest.approx(
        list(lab_stats(brick)[0]), abs=1.0
    )  # the exemplar's palette (area-scaled to 128 px)
    for bad in (0.0, -1.0, float("nan"), "heavy"):
        with pytest.raises(JobError, match="content_weight|Learn Style parameter"):
            learn({**params, "content_weight": bad})


def test_cli_stylize_look_material_learns_with_the_material_weight(tmp_path, brick, monkeypatch):
    import texpaint.cli as cli
    import texpaint.training.learn_style as learning
    from texpaint.imaging.io import ImageData, write_image
    from texpaint.jobs import JobError

    src, ex, out = tmp_path / "in.png", tmp_path / "my_rust.png", tmp_path / "out.png"
    write_image(src, ImageData(rgb=brick, alpha=None, sample_format="uint8"))
    write_image(ex, ImageData(rgb=brick[::-1], alpha=None, sample_format="uint8"))
    learnt: list[dict] = []

    def fake_learn(image, params, abort, progress, preview, device):  # record, then stop
        learnt.append(dict(params))
        raise JobError("stopped by the test")

    monkeypatch.setattr(learning, "learn_style", fake_learn)
    args = ["stylize", str(src), "--style", str(ex), "-o", str(out), "--quality", "fast"]
    assert cli.main([*args, "--look", "material"]) == 1
    assert cli.main(args) == 1
    assert [p["content_weight"] for p in learnt] == [0.1, 1.0]
    assert [p["name"] for p in learnt] == ["my_rust"] * 2
    assert not out.exists()
