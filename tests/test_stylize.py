"""Style statistics, style training (steps + resume), Stylize through run_job and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest

from texpaint import resources_dir
from texpaint.engine.stylize import feather_inside, preserve_colour
from texpaint.imaging.io import ImageData, read_image, write_image
from texpaint.jobs import Job, JobError, Operation
from texpaint.models.styles import list_styles
from texpaint.training.data import load_rgb8
from texpaint.training.style_stats import structure_score, style_distance

pytestmark = pytest.mark.unit

STYLES = resources_dir() / "styles"
SHIPPED_STYLE = "starry_night"


def _exemplar(style_id: str, size: int = 256) -> np.ndarray:
    """float32 (size, size, 3) centre crop of a bundled exemplar."""
    rgb = load_rgb8(STYLES / style_id / "exemplar.jpg").astype(np.float32) / 255.0
    h, w = rgb.shape[:2]
    y, x = (h - size) // 2, (w - size) // 2
    return rgb[y : y + size, x : x + size]


@pytest.fixture
def content() -> np.ndarray:
    """float32 (128, 128, 3): a brick crop from the bundled samples."""
    rgb = read_image(resources_dir() / "samples" / "polyhaven__brick_wall_005_diff_1k.jpg").rgb
    import cv2

    return cv2.resize(rgb[:512, :512], (128, 128), interpolation=cv2.INTER_AREA)


def test_style_distance_separates_two_exemplars():
    starry = load_rgb8(STYLES / "starry_night" / "exemplar.jpg").astype(np.float32) / 255.0
    wave = _exemplar("great_wave")
    left, right = starry[:256, :256], starry[-256:, -256:]  # two parts of the same painting
    same = style_distance(left, right)
    other = style_distance(left, wave)
    assert same < 0.5 * other, (same, other)
    assert style_distance(left, left) == pytest.approx(0.0, abs=1e-6)


def test_structure_score_is_one_for_same_edges_and_low_for_unrelated(content):
    assert structure_score(content, content) == pytest.approx(1.0, abs=1e-6)
    assert structure_score(np.clip(content * 0.5 + 0.2, 0, 1), content) > 0.95
    assert structure_score(_exemplar("great_wave", 128), content) < 0.5


def test_feather_inside_keeps_zeros_and_ramps_in():
    mask = np.zeros((64, 64), np.float32)
    mask[16:48, 16:48] = 1.0
    soft = feather_inside(mask, 8)
    assert np.array_equal(soft == 0, mask == 0)
    assert soft[32, 32] == 1.0 and 0 < soft[16, 32] < 0.3
    assert np.all(np.diff(soft[32, 16:33]) >= 0)
    empty = np.zeros((8, 8), np.float32)
    assert feather_inside(empty, 8) is empty


def test_preserve_colour_keeps_chroma_and_takes_luma():
    rng = np.random.default_rng(0)
    a, b = rng.random((2, 8, 8, 3), dtype=np.float32)
    out = preserve_colour(a, b)
    y = np.array([0.299, 0.587, 0.114], np.float32)
    np.testing.assert_allclose(out @ y, b @ y, atol=1e-5)
    np.testing.assert_allclose(out - (out @ y)[..., None], a - (a @ y)[..., None], atol=1e-5)


def test_style_training_lowers_style_loss_and_resumes(tmp_path, content, restore_torch_threads):
    import torch

    from texpaint.models.arch.random_features import RandomFeatureNet
    from texpaint.models.arch.style_net import StyleNetConfig, StyleTransferNet
    from texpaint.training.style_stats import TRAIN_SEED, gram_matrices, image_grams, style_loss
    from texpaint.training.style_trainer import (
        StyleTrainConfig,
        colour_input,
        load_exemplar,
        run_style_training,
        stylize_array,
    )

    crops = tmp_path / "content"
    crops.mkdir()
    for i in range(2):  # two small content images keep the test fast
        part = content[i * 32 : i * 32 + 96, i * 32 : i * 32 + 96]
        write_image(crops / f"c{i}.png", ImageData(rgb=part, alpha=None, sample_format="uint8"))
    cfg = StyleTrainConfig(
        exemplar=STYLES / "great_wave" / "exemplar.jpg",
        out_dir=tmp_path / "run",
        content_dirs=[crops],
        style_id="test_wave",
        steps=12,
        batch=2,
        size=64,
        style_px=128,
        lr=3e-3,
        ema_decay=0.5,  # the exported EMA weights follow the few steps of this test
        w_adv=0.05,
        checkpoint_every=6,
        preview_every=6,
        device="cpu",
        threads=1,
        generator=StyleNetConfig(channels=(8, 16, 16), n_blocks=1),
    )
    previews: list[tuple[int, tuple]] = []
    weights = run_style_training(cfg, preview=lambda s, img: previews.append((s, img.shape)))
    assert [p[0] for p in previews] == [6, 12] and previews[0][1][2] == 3
    card = json.loads(weights.with_suffix(".json").read_text())
    assert card["id"] == "texpaint-style-test_wave" and card["training"]["steps"] == 12

    net = RandomFeatureNet(TRAIN_SEED)
    target = image_grams(load_exemplar(cfg.exemplar, cfg.style_px), net)

    def loss_of(gen) -> float:
        # the generator's own output: the exemplar statistics transfer would hide training
        out = stylize_array(gen.eval(), colour_input(gen, content), match_statistics=False)
        with torch.no_grad():
            grams = gram_matrices(net(torch.from_numpy(out.transpose(2, 0, 1).copy())[None]))
        return float(style_loss(grams, target))

    from safetensors.torch import load_file

    # colour first (the default): the card's generator config holds the exemplar's palette,
    # and the untrained network of that config is the colour transfer alone
    gen_cfg = StyleNetConfig.from_dict(card["architecture_config"])
    assert gen_cfg.colour_target is not None
    assert gen_cfg.exemplar_statistics is not None  # exported with the exemplar statistics
    identity = StyleTransferNet(gen_cfg)
    trained = StyleTransferNet(gen_cfg)
    trained.load_state_dict(load_file(str(weights)))
    assert loss_of(trained) < 0.9 * loss_of(identity)

    # resume: continues from the step-12 checkpoint up to 14
    seen: list[int] = []
    resumed = StyleTrainConfig(**{**cfg.__dict__, "steps": 14, "resume": True})
    weights2 = run_style_training(resumed, progress=lambda s, t, logs: seen.append(s))
    assert seen == [13, 14]
    assert json.loads(weights2.with_suffix(".json").read_text())["training"]["steps"] == 14


def test_shipped_style_moves_masked_area_toward_style_and_keeps_the_rest(runtime, content):
    from texpaint.ops.runner import run_job
    from texpaint.training.style_trainer import load_exemplar

    style = next(s for s in list_styles() if s.id == SHIPPED_STYLE)
    exemplar = load_exemplar(style.exemplar, 256)  # smaller than training's 512: a fast test
    mask = np.zeros(content.shape[:2], np.float32)
    mask[16:112, 16:112] = 1.0
    job = Job(
        Operation.STYLIZE,
        content,
        mask,
        {"strength": 1.0, "quality": "fast"},
        style_id=SHIPPED_STYLE,
    )
    result = run_job(job, runtime=runtime)
    out = result.image
    assert result.model_id == f"texpaint-style-{SHIPPED_STYLE}"
    assert np.array_equal(out[mask == 0], content[mask == 0]), "outside: bit-identical"
    inner = (slice(32, 96), slice(32, 96))
    before = style_distance(content[inner], exemplar)
    after = style_distance(out[inner], exemplar)
    assert after < 0.85 * before, (before, after)
    # the edge fades in: the ring just inside the mask changes less than the centre
    edge_change = np.abs(out[16, 20:108] - content[16, 20:108]).mean()
    centre_change = np.abs(out[inner] - content[inner]).mean()
    assert edge_change < 0.5 * centre_change

    whole = run_job(
        Job(
            Operation.STYLIZE,
            content,
            np.zeros_like(mask),
            {"preserve_colour": True, "quality": "fast"},
            style_id=SHIPPED_STYLE,
        ),
        runtime=runtime,
    ).image
    assert not np.array_equal(whole[:8, :8], content[:8, :8]), "empty mask = whole image"
    y = np.array([0.299, 0.587, 0.114], np.float32)
    chroma_in = content - (content @ y)[..., None]
    np.testing.assert_allclose(whole - (whole @ y)[..., None], chroma_in, atol=1e-4)


def test_strength_zero_returns_the_input_and_unknown_style_fails(runtime, content):
    from texpaint.ops.runner import run_job

    mask = np.ones(content.shape[:2], np.float32)
    job = Job(Operation.STYLIZE, content, mask, {"strength": 0.0}, style_id=SHIPPED_STYLE)
    assert np.array_equal(run_job(job, runtime=runtime).image, content)
    with pytest.raises(JobError, match="Pick a style"):
        run_job(Job(Operation.STYLIZE, content, mask), runtime=runtime)
    with pytest.raises(JobError, match="no_such_style"):
        run_job(Job(Operation.STYLIZE, content, mask, style_id="no_such_style"), runtime=runtime)


def test_cli_stylize_with_mask(tmp_path, content, capsys):
    from texpaint.cli import main

    src, mask_path, out = tmp_path / "in.png", tmp_path / "mask.png", tmp_path / "out.png"
    write_image(src, ImageData(rgb=content, alpha=None, sample_format="uint8"))
    mask = np.zeros((128, 128, 3), np.float32)
    mask[:, 64:] = 1.0
    write_image(mask_path, ImageData(rgb=mask, alpha=None, sample_format="uint8"))
    name = next(s.name for s in list_styles() if s.id == SHIPPED_STYLE)
    code = main(
        [
            "stylize",
            str(src),
            "--style",
            name,
            "-o",
            str(out),
            "--mask",
            str(mask_path),
            "--strength",
            "0.8",
            "--quality",
            "fast",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert f"style {SHIPPED_STYLE}" in capsys.readouterr().out
    a, b = read_image(src).rgb, read_image(out).rgb
    assert np.array_equal(a[:, :64], b[:, :64])
    assert np.abs(a[:, 80:] - b[:, 80:]).mean() > 0.01
    assert main(["stylize", str(src), "--style", "nope", "-o", str(out)]) == 1


def test_every_library_style_has_thumbnail_and_licence():
    styles = list_styles()
    ids = {s.id for s in styles}
    assert {"rust", "moss", "lava", "ice", "weathered_wood", "organic"} <= ids
    assert sum(s.kind == "material" for s in styles) >= 6
    assert "the_shipwreck_of_the_minotaur" not in ids  # the duplicate Turner is not bundled
    for s in styles:
        assert s.thumbnail.is_file() and s.licence


def test_learnt_user_style_joins_library_and_persists(tmp_path):
    from texpaint.models.styles import add_user_style, find_style, user_styles_dir

    rgb8 = (_exemplar("great_wave", 200) * 255).astype(np.uint8)
    info = add_user_style(rgb8, "My Wave")
    assert info.id == "my_wave" and not info.builtin and info.kind == "custom"
    assert info.exemplar.parent.parent == user_styles_dir()
    assert find_style("my wave") == info
    assert [s.id for s in list_styles()][-1] == "my_wave"
    assert add_user_style(rgb8, "My Wave").id == "my_wave_2"


def test_batch_stylize_op_runs_the_style_and_reports_a_missing_style(tmp_path, content, capsys):
    from texpaint.cli import main

    src = tmp_path / "in" / "tex.png"
    src.parent.mkdir()
    write_image(src, ImageData(rgb=content[:64, :64], alpha=None, sample_format="uint8"))
    out = tmp_path / "out"
    code = main(["batch", str(src), "-o", str(out), "--op", f"stylize:{SHIPPED_STYLE}"])
    assert code == 0, capsys.readouterr().err
    (written,) = out.iterdir()
    assert not np.array_equal(read_image(written).rgb, read_image(src).rgb)
    assert main(["batch", str(src), "-o", str(out), "--op", "stylize:no_such_style"]) == 2
    assert "unknown style 'no_such_style'" in capsys.readouterr().err
    assert main(["batch", str(src), "-o", str(out), "--op", "stylize"]) == 2  # Best needs one
    assert "name a style" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == [written.name]  # nothing more written


def test_learn_style_adds_a_usable_style_to_the_user_library(
    runtime, content, restore_torch_threads
):
    from texpaint.models.catalog import list_models, user_models_dir
    from texpaint.models.styles import find_style
    from texpaint.ops.runner import run_job
    from texpaint.training.learn_style import learn_style

    exemplar = _exemplar("great_wave", 160)
    params = {"name": "Wave test", "steps": 2, "batch": 1, "size": 64, "style_px": 128}
    seen: list[tuple] = []
    style_id, model_id = learn_style(
        exemplar, {**params, "threads": 1}, lambda: False, lambda f, m: None,
        lambda img: seen.append(img.shape), "cpu",
    )  # fmt: skip
    assert (style_id, model_id) == ("wave_test", "texpaint-style-wave_test")
    assert seen and seen[-1][2] == 3
    style = find_style("Wave test")
    assert style is not None and not style.builtin and style.thumbnail.is_file()
    card = user_models_dir() / "texpaint-style-wave_test.json"
    assert card.is_file() and "texpaint-style-wave_test" in {m.id for m in list_models("stylize")}
    out = run_job(
        Job(
            Operation.STYLIZE,
            content,
            np.zeros(content.shape[:2], np.float32),
            {"quality": "fast"},
            style_id=style.id,
        ),
        runtime=runtime,
    )
    assert out.model_id == "texpaint-style-wave_test" and out.image.shape == content.shape
