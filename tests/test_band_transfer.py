"""Exemplar statistics transfer (pyramid band energies + linear colour transfer): the maths on
real textures, its place in the style generator's card, and Stylize's last step."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from texpaint import resources_dir
from texpaint.imaging.band_transfer import (
    MAX_GAIN,
    MIN_GAIN,
    ExemplarStatistics,
    band_std,
    exemplar_statistics,
    linear_colour_transfer,
    match_bands,
    rgb_moments,
    statistics_transfer,
)
from texpaint.imaging.io import read_image
from texpaint.jobs import Job, Operation

pytestmark = pytest.mark.unit

STYLES = resources_dir() / "styles"


def _small(path, side: int) -> np.ndarray:
    rgb = read_image(path).rgb
    s = min(rgb.shape[:2])
    return cv2.resize(rgb[:s, :s], (side, side), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def brick() -> np.ndarray:
    """float32 (128, 128, 3) in [0, 1]: the bundled brick sample, area-downscaled."""
    return _small(resources_dir() / "samples" / "polyhaven__brick_wall_005_diff_1k.jpg", 128)


@pytest.fixture(scope="module")
def starry() -> np.ndarray:
    """float32 (256, 256, 3): the Starry Night exemplar of the style library."""
    return _small(STYLES / "starry_night" / "exemplar.jpg", 256)


def test_band_std_is_finest_first_and_weight_selects_pixels(brick):
    bands = band_std(brick)
    assert bands.shape == (5, 3)  # 4 band-pass levels + the residual (8 px: MIN_LEVEL_PX)
    assert (bands > 0).all()
    # a blurred copy loses its fine bands, not its coarse ones
    blurred = band_std(cv2.GaussianBlur(brick, (0, 0), 2.0))
    assert blurred[0, 0] < 0.3 * bands[0, 0]
    assert blurred[-1, 0] > 0.8 * bands[-1, 0]
    # a weight restricts the statistics to its pixels: flat grey outside the weighted half
    half = brick.copy()
    half[:, 64:] = 0.5
    weight = np.zeros(brick.shape[:2], np.float32)
    weight[:, :48] = 1.0
    assert band_std(half, weight)[0, 0] > 1.3 * band_std(half)[0, 0]  # about sqrt(2)
    assert band_std(brick, np.zeros_like(weight)).tolist() == bands.tolist()  # all zero: all
    assert band_std(brick[:20, :20]).shape == (2, 3)  # 20 px: one band-pass level fits


def test_match_bands_reaches_the_exemplar_band_energies(brick, starry):
    target = band_std(cv2.resize(starry, (128, 128), interpolation=cv2.INTER_AREA))
    out = match_bands(brick, target)
    assert out.shape == brick.shape and out.dtype == np.float32
    got, before = band_std(out), band_std(brick)
    gain = np.clip(target / before, MIN_GAIN, MAX_GAIN)
    reachable = (gain > MIN_GAIN * 1.05) & (gain < MAX_GAIN * 0.95)
    assert reachable.sum() >= 6  # the test says something
    # within 25 %: the sRGB clip and the pyramid's non-orthogonal bands cost a little
    np.testing.assert_allclose(got[reachable], target[reachable], rtol=0.25)
    assert np.abs(np.log(got / target)).mean() < 0.5 * np.abs(np.log(before / target)).mean()


def test_match_bands_clips_its_gains():
    rng = np.random.default_rng(1)
    flat = np.full((64, 64, 3), 0.5, np.float32) + rng.normal(0, 0.002, (64, 64, 3)).astype(
        np.float32
    )
    loud = np.full((5, 3), 40.0)
    out = match_bands(flat, loud)
    assert band_std(out)[0, 0] < MAX_GAIN * 1.2 * band_std(flat)[0, 0]  # not 40 Lab units
    with pytest.raises(ValueError, match=r"\(n \+ 1, 3\)"):
        match_bands(flat, np.ones((1, 3)))


def test_linear_colour_transfer_matches_mean_and_covariance(brick, starry):
    _, cov = rgb_moments(starry)  # the painting's colour correlations, away from the gamut edge
    mean, cov = np.array([0.45, 0.5, 0.55]), cov * 0.5
    out = linear_colour_transfer(brick, mean, cov)
    got_mean, got_cov = rgb_moments(out)
    np.testing.assert_allclose(got_mean, mean, atol=0.02)
    np.testing.assert_allclose(got_cov, cov, atol=0.15 * np.abs(cov).max())
    # Reinhard-like per-channel scaling would leave the cross-channel correlation alone
    corr = lambda c: c[0, 2] / np.sqrt(c[0, 0] * c[2, 2])  # noqa: E731
    assert abs(corr(got_cov) - corr(cov)) < abs(corr(rgb_moments(brick)[1]) - corr(cov))


def test_statistics_transfer_keeps_a_tileable_texture_tileable(brick):
    from texpaint.imaging.seams import seam_metric

    tile = np.ascontiguousarray(np.roll(np.tile(brick, (2, 2, 1)), (17, 23), axis=(0, 1)))
    tile = cv2.resize(tile, (128, 128), interpolation=cv2.INTER_AREA)  # tiles: 2x2 repeat
    stats = exemplar_statistics(_small(STYLES / "the_scream" / "exemplar.jpg", 256))
    before = seam_metric(tile).ratio
    wrapped = seam_metric(statistics_transfer(tile, stats, wrap=True)).ratio
    assert abs(wrapped - before) < 0.25 * before + 0.1


def test_exemplar_statistics_validate_and_round_trip(starry):
    stats = exemplar_statistics(starry)
    again = ExemplarStatistics.from_dict(json.loads(json.dumps(stats.to_dict())))
    assert again == stats
    d = stats.to_dict()
    with pytest.raises(ValueError, match="finite"):
        ExemplarStatistics.from_dict({**d, "rgb_mean": [0.1, float("nan"), 0.2]})
    with pytest.raises(ValueError, match="negative"):
        ExemplarStatistics.from_dict({**d, "band_std": [[1, 1, 1], [-1, 1, 1]]})
    with pytest.raises(ValueError, match="semi-definite"):
        ExemplarStatistics.from_dict({**d, "rgb_cov": [[1, 2, 0], [0, 1, 0], [0, 0, 1]]})
    with pytest.raises(TypeError):
        ExemplarStatistics.from_dict({**d, "extra": 1})


def test_stylize_moves_the_generator_output_to_the_exemplar_statistics(
    tmp_path, monkeypatch, runtime, brick, starry, export_style_model
):
    from texpaint.models.catalog import get_model, load_network
    from texpaint.ops.runner import run_job

    stats = exemplar_statistics(starry)
    folder = tmp_path / "models"
    folder.mkdir()
    model_id = export_style_model(folder, "stats_test", exemplar_statistics=stats)
    monkeypatch.setenv("TEXPAINT_MODEL_DIRS", str(folder))
    assert load_network(get_model(model_id, "stylize")).statistics_target == stats

    empty = np.zeros(brick.shape[:2], np.float32)

    def run(mask, **params):
        job = Job(
            Operation.STYLIZE,
            brick,
            mask,
            style_id="stats_test",
            params={"quality": "fast", **params},
        )
        return run_job(job, runtime=runtime).image

    raw = run(empty, match_statistics=False)
    assert np.abs(raw - brick).max() < 0.01  # the untrained generator is the identity
    whole = run(empty)
    expected = statistics_transfer(raw, stats)
    np.testing.assert_allclose(whole, expected, atol=2e-3)
    mean, _ = rgb_moments(whole)
    np.testing.assert_allclose(mean, stats.rgb_mean, atol=0.03)  # the exemplar's colours

    mask = np.zeros(brick.shape[:2], np.float32)
    mask[32:96, 40:100] = 1.0
    part = run(mask)
    assert np.array_equal(part[mask == 0], brick[mask == 0])  # outside: bit-identical
    inner = part[48:80, 56:84]  # past the feathered edge
    assert np.abs(rgb_moments(inner)[0] - np.array(stats.rgb_mean)).max() < 0.06

    hdr = brick * 4.0  # float/HDR values are scaled into [0, 1] by the maximum and back
    scale = float(hdr.max())
    hdr_raw = run_job(
        Job(
            Operation.STYLIZE,
            hdr,
            empty,
            style_id="stats_test",
            params={"match_statistics": False, "quality": "fast"},
        ),
        runtime=runtime,
    ).image
    out = run_job(
        Job(Operation.STYLIZE, hdr, empty, {"quality": "fast"}, style_id="stats_test"),
        runtime=runtime,
    ).image
    assert out.max() > 1.5
    expected = statistics_transfer(hdr_raw / scale, stats) * scale
    np.testing.assert_allclose(out, expected, atol=0.01 * scale)


def test_a_card_with_bad_exemplar_statistics_is_refused(
    tmp_path, monkeypatch, starry, export_style_model
):
    from texpaint.models.catalog import ModelLoadError, get_model, load_network

    folder = tmp_path / "models"
    folder.mkdir()
    model_id = export_style_model(
        folder, "bad_stats", exemplar_statistics=exemplar_statistics(starry)
    )
    card_path = folder / f"{model_id}.json"
    card = json.loads(card_path.read_text())
    card["architecture_config"]["exemplar_statistics"]["rgb_cov"][0] = [1.0, "x", 0.0]
    card_path.write_text(json.dumps(card))
    monkeypatch.setenv("TEXPAINT_MODEL_DIRS", str(folder))
    with pytest.raises(ModelLoadError, match="architecture_config"):
        load_network(get_model(model_id, "stylize"))


def test_add_exemplar_statistics_checks_the_exemplar(tmp_path, starry, export_style_model):
    from texpaint.models.arch.style_net import StyleNetConfig
    from texpaint.training.export import sha256_file
    from texpaint.training.style_trainer import add_exemplar_statistics

    folder = tmp_path / "models"
    folder.mkdir()
    model_id = export_style_model(folder, "old_card")
    card_path = folder / f"{model_id}.json"
    exemplar = STYLES / "starry_night" / "exemplar.jpg"
    card = json.loads(card_path.read_text())
    card["training"] = {"style_px": 256, "exemplar_sha256": sha256_file(exemplar)}
    card_path.write_text(json.dumps(card))
    weights = (folder / f"{model_id}.safetensors").read_bytes()

    with pytest.raises(ValueError, match="not the exemplar"):
        add_exemplar_statistics(card_path, STYLES / "the_scream" / "exemplar.jpg")
    assert "exemplar_statistics" not in json.loads(card_path.read_text())["architecture_config"]

    add_exemplar_statistics(card_path, exemplar)
    cfg = StyleNetConfig.from_dict(json.loads(card_path.read_text())["architecture_config"])
    assert cfg.exemplar_statistics is not None
    from texpaint.training.style_trainer import load_exemplar

    assert cfg.exemplar_statistics == exemplar_statistics(load_exemplar(exemplar, 256))
    assert (folder / f"{model_id}.safetensors").read_bytes() == weights  # weights untouched


def test_cli_stylize_matches_the_exemplar_statistics_unless_told_not_to(tmp_path, brick, capsys):
    """A shipped style (its card holds the exemplar statistics): by default the output's colour
    mean is the exemplar's, with --no-match-statistics it is the generator's own."""
    from texpaint.cli import main
    from texpaint.imaging.io import ImageData, write_image
    from texpaint.models.catalog import get_model, load_network

    stats = load_network(get_model("texpaint-style-starry_night", "stylize")).statistics_target
    assert stats is not None  # the shipped card carries them
    src = tmp_path / "in.png"
    write_image(src, ImageData(rgb=brick, alpha=None, sample_format="uint8"))
    outs = {}
    for flag in ([], ["--no-match-statistics"]):
        out = tmp_path / f"out{len(flag)}.png"
        args = ["stylize", str(src), "--style", "starry_night", "-o", str(out), "--quality", "fast"]
        assert main([*args, *flag]) == 0
        outs[bool(flag)] = rgb_moments(read_image(out).rgb)[0]
    capsys.readouterr()
    target = np.array(stats.rgb_mean)
    assert np.abs(outs[False] - target).max() < 0.03
    assert np.abs(outs[True] - target).max() > np.abs(outs[False] - target).max() + 0.01
