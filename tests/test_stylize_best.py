"""Best-quality Stylize (guided patch synthesis from the exemplar) on real pixels: a built-in
style exemplar and a CC0 training texture."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from texpaint.engine.stylize import load_style_exemplar
from texpaint.jobs import Job, JobCancelled, JobError, Operation
from texpaint.ops.runner import run_job
from texpaint.synthesis.guided import (
    GuidedSettings,
    SynthesisCancelled,
    guided_synthesis,
    pdf_transfer,
)

pytestmark = pytest.mark.unit

TRAIN = Path(__file__).resolve().parents[2] / "shared" / "data" / "textures" / "cc0-1k" / "train"
TILES = TRAIN / "polyhaven__brown_floor_tiles_diff_1k.jpg"
_Y = np.array([0.299, 0.587, 0.114], np.float32)


def _content(side: int = 128) -> np.ndarray:
    if not TILES.is_file():
        pytest.skip("training textures not available")
    bgr = cv2.imread(str(TILES), cv2.IMREAD_COLOR)
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
    return cv2.resize(rgb, (side, side), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def exemplar() -> np.ndarray:
    ex, _info = load_style_exemplar("starry_night", 192)
    return ex


@pytest.fixture(scope="module")
def result(exemplar) -> np.ndarray:
    return guided_synthesis(_content(), exemplar, GuidedSettings())


def _blur_lum(img: np.ndarray) -> np.ndarray:
    return cv2.GaussianBlur(np.ascontiguousarray(img @ _Y), (0, 0), 2.0)


def _exact_fraction(img: np.ndarray, exemplar: np.ndarray, size: int, n: int = 80) -> float:
    """Fraction of ``n`` random ``size``² patches of ``img`` that occur in ``exemplar`` with
    an rms difference below 0.01 (2.5 levels of 255)."""
    rng = np.random.default_rng(0)
    h, w = img.shape[:2]
    exact = 0
    for _ in range(n):
        y, x = int(rng.integers(0, h - size)), int(rng.integers(0, w - size))
        patch = np.ascontiguousarray(img[y : y + size, x : x + size])
        ssd = cv2.matchTemplate(exemplar, patch, cv2.TM_SQDIFF)
        exact += float(ssd.min()) / (size * size * 3) < 1e-4
    return exact / n


def test_best_copies_exemplar_patches(result, exemplar):
    """Most 3 x 3 patches of the output occur exactly in the exemplar, and a good share of
    the 5 x 5 ones (the rest straddle a seam between two copied pieces); a colour transfer
    of the content or a slightly blurred result has none."""
    from texpaint.imaging.colour_transfer import lab_stats, reinhard_transfer

    assert _exact_fraction(result, exemplar, 3, 400) > 0.5
    assert _exact_fraction(result, exemplar, 5, 400) > 0.25
    transfer = reinhard_transfer(_content(), lab_stats(exemplar))
    assert _exact_fraction(transfer, exemplar, 3) < 0.05
    assert _exact_fraction(cv2.GaussianBlur(result, (0, 0), 0.7), exemplar, 3) < 0.05


def test_best_keeps_the_content_structure(result, exemplar):
    """The output's coarse luminance follows the floor tiles' (joints, tiles), much more than
    it follows another place of the same floor."""
    content = _content()
    a, b = _blur_lum(result), _blur_lum(content)
    corr = np.corrcoef(a.ravel(), b.ravel())[0, 1]
    shifted = np.roll(b, (7, 11), axis=(0, 1))
    corr_other = np.corrcoef(a.ravel(), shifted.ravel())[0, 1]
    assert corr > 0.5
    assert corr > corr_other + 0.3


def test_best_uses_the_exemplar_widely(result, exemplar):
    """Uniform use: the output is not one patch repeated; its colours spread like the
    exemplar's (mean per channel within 0.1, std within 40 %)."""
    assert np.unique((result * 255).astype(np.uint8).reshape(-1, 3), axis=0).shape[0] > 1500
    assert np.all(np.abs(result.mean((0, 1)) - exemplar.mean((0, 1))) < 0.1)
    ratio = result.std((0, 1)) / exemplar.std((0, 1))
    assert np.all((ratio > 0.6) & (ratio < 1.4))


def test_pdf_transfer_moves_the_colour_distribution(exemplar):
    content = _content(64)
    out = pdf_transfer(content, exemplar)
    assert out.shape == content.shape
    for k in range(3):
        qo = np.quantile(out[..., k], [0.1, 0.5, 0.9])
        qe = np.quantile(exemplar[..., k], [0.1, 0.5, 0.9])
        assert np.abs(qo - qe).max() < 0.05


def test_guided_synthesis_cancel_and_bad_input(exemplar):
    with pytest.raises(SynthesisCancelled):
        guided_synthesis(_content(64), exemplar, abort=lambda: True)
    with pytest.raises(ValueError):
        guided_synthesis(np.zeros((64, 64), np.float32), exemplar)


def _job(image, mask, **params) -> Job:
    return Job(Operation.STYLIZE, image, mask, style_id="starry_night", params=params)


def test_best_job_masked_bit_identical_outside_and_soft_edge():
    image = _content(96)
    mask = np.zeros((96, 96), np.float32)
    cv2.fillPoly(mask, [np.array([[20, 15], [80, 30], [60, 85], [15, 70]], np.int32)], 1.0)
    res = run_job(_job(image, mask, quality="best"))
    assert res.image.dtype == np.float32
    outside = mask == 0
    assert np.array_equal(res.image[outside], image[outside])
    inside = cv2.erode(mask, np.ones((41, 41), np.uint8)) > 0
    assert np.abs(res.image[inside] - image[inside]).mean() > 0.05  # changed inside
    # the edge fades: just inside the mask edge the change is smaller than deep inside
    edge = (mask > 0) & (cv2.erode(mask, np.ones((3, 3), np.uint8)) == 0)
    d_edge = np.abs(res.image[edge] - image[edge]).mean()
    d_in = np.abs(res.image[inside] - image[inside]).mean()
    assert d_edge < 0.3 * d_in
    y0, y1, x0, x1 = res.region
    changed = np.argwhere(np.any(res.image != image, axis=-1))
    assert changed[:, 0].min() >= y0 and changed[:, 0].max() < y1
    assert changed[:, 1].min() >= x0 and changed[:, 1].max() < x1


def test_best_job_cancel_strength_and_errors():
    image = _content(64)
    empty = np.zeros((64, 64), np.float32)
    with pytest.raises(JobCancelled):
        run_job(_job(image, empty, quality="best"), abort=lambda: True)
    same = run_job(_job(image, empty, quality="best", strength=0.0))
    assert np.array_equal(same.image, image)
    with pytest.raises(JobError, match="quality"):
        run_job(_job(image, empty, quality="nice"))
    with pytest.raises(JobError, match="unknown style"):
        run_job(
            Job(Operation.STYLIZE, image, empty, style_id="no_such", params={"quality": "best"})
        )
    half = run_job(_job(image, empty, quality="best", strength=0.5)).image
    full = run_job(_job(image, empty, quality="best", strength=1.0)).image
    np.testing.assert_allclose(half, image + 0.5 * (full - image), atol=1e-5)


def test_structure_ramp_follows_the_texture_not_the_outline():
    """The blend weight is 0 outside the mask, the mask's value deep inside, and along a
    line parallel to the lasso's straight edge (where a plain feather is constant) it
    varies with the texture."""
    from texpaint.engine.stylize import feather_inside, structure_ramp

    image = _content(128)
    mask = np.zeros((128, 128), np.float32)
    mask[:, 40:] = 1.0
    w = structure_ramp(image, mask, 16)
    assert np.all(w[:, :40] == 0.0)
    assert np.allclose(w[:, 70:], 1.0)
    band = w[:, 48]  # 8 px inside the edge: the plain feather is 0.5 all along it
    assert np.allclose(feather_inside(mask, 16)[:, 48], band.mean(), atol=0.2)
    assert band.std() > 0.1
    assert np.all(np.diff(w[:, 40:60].mean(axis=0)) >= -1e-3)  # still rises on average


def test_cli_stylize_best_with_an_image_as_style_needs_no_training(tmp_path, capsys):
    """``texpaint stylize --quality best --style IMAGE`` adds the image to the library and
    uses it at once (no generator is trained); pixels outside the mask stay identical."""
    from texpaint.cli import main
    from texpaint.imaging.io import ImageData, read_image, write_image
    from texpaint.models.styles import list_styles

    content = _content(96)
    src, ex_path, out = tmp_path / "in.png", tmp_path / "swirls.png", tmp_path / "out.png"
    mask_path = tmp_path / "mask.png"
    write_image(src, ImageData(rgb=content, alpha=None, sample_format="uint8"))
    ex, _info = load_style_exemplar("starry_night", 160)
    write_image(ex_path, ImageData(rgb=ex, alpha=None, sample_format="uint8"))
    mask = np.zeros((96, 96, 3), np.float32)
    mask[:, 48:] = 1.0
    write_image(mask_path, ImageData(rgb=mask, alpha=None, sample_format="uint8"))
    args = ["stylize", str(src), "--style", str(ex_path), "-o", str(out), "--mask"]
    code = main([*args, str(mask_path), "--quality", "best"])
    assert code == 0, capsys.readouterr().err
    printed = capsys.readouterr().out
    assert "Best needs no training" in printed and "best" in printed
    assert any(s.id == "swirls" and not s.builtin for s in list_styles())
    a, b = read_image(src).rgb, read_image(out).rgb
    assert np.array_equal(a[:, :48], b[:, :48])
    assert np.abs(a[:, 70:] - b[:, 70:]).mean() > 0.05


def test_fast_masked_stylize_blends_along_the_texture_too():
    """Fast (the generator) composites with the same texture-following ramp: 8 px inside a
    straight mask edge the amount of change varies along the edge; outside it is zero."""
    image = _content(128)
    mask = np.zeros((128, 128), np.float32)
    mask[:, 40:] = 1.0
    res = run_job(_job(image, mask, quality="fast")).image
    assert np.array_equal(res[:, :40], image[:, :40])
    styled = run_job(_job(image, np.zeros_like(mask), quality="fast")).image
    total = np.abs(styled - image).sum(-1)
    frac = np.abs(res - image).sum(-1)[:, 48] / np.maximum(total[:, 48], 1e-3)
    assert frac.std() > 0.1
    assert 0.2 < np.median(frac) < 0.8


def _orientation(img: np.ndarray) -> tuple[float, float]:
    """Coherence in [0, 1] and angle in degrees (-90..90] of the mean structure tensor of the
    luminance: the direction of the gradients (90: the lines run horizontally)."""
    y = cv2.GaussianBlur(np.ascontiguousarray(img @ _Y), (0, 0), 1.0)
    gx = cv2.Sobel(y, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(y, cv2.CV_32F, 0, 1)
    jxx, jyy, jxy = float((gx * gx).mean()), float((gy * gy).mean()), float((gx * gy).mean())
    coherence = np.hypot(jxx - jyy, 2 * jxy) / (jxx + jyy)
    return float(coherence), float(0.5 * np.degrees(np.arctan2(2 * jxy, jxx - jyy)))


def test_augment_exemplar_lays_out_exact_turns_with_their_origin(exemplar):
    """The eight copies are the exemplar turned / mirrored without resampling, each pixel's
    origin points at the exemplar pixel it copies, and padding is labelled -1."""
    from texpaint.synthesis.guided import augment_exemplar

    ex = exemplar[:, :150]  # not square: quarter turns need padding
    guide = ex[..., :1] * 2.0
    canvas, g, label, origin = augment_exemplar(ex, guide, 8)
    assert set(np.unique(label)) == set(range(-1, 8))
    inside = label >= 0
    oy, ox = origin[..., 0].astype(int), origin[..., 1].astype(int)
    assert np.array_equal(canvas[inside], ex[oy[inside], ox[inside]])
    assert np.array_equal(g[inside], guide[oy[inside], ox[inside]])
    first = canvas[: ex.shape[0], : ex.shape[1]]
    assert np.array_equal(first, ex)
    turned = np.rot90(ex, 1)
    x0 = 2 * ex.shape[1]  # copies 0 and 1 have the exemplar's width
    assert np.array_equal(canvas[: turned.shape[0], x0 : x0 + turned.shape[1]], turned)
    one = augment_exemplar(ex, guide, 1)
    assert one[0] is ex and not one[2].any()


def test_turned_copies_orient_the_strokes_by_the_content():
    """Weathered wood's grain runs one way; on content whose grain runs across (the same wood
    turned a quarter), Best with the turned copies draws the grain the content's way, made of
    exact pieces of the turned copies, while from the exemplar alone the grain stays across
    the content's."""
    from texpaint.synthesis.guided import augment_exemplar

    wood, _info = load_style_exemplar("weathered_wood", 128)
    content = np.ascontiguousarray(np.rot90(wood[:96, :96], 1))
    c_coh, c_ang = _orientation(content)
    e_coh, e_ang = _orientation(wood)
    assert c_coh > 0.5 and e_coh > 0.5 and abs(abs(c_ang - e_ang) - 90) < 20
    plain = guided_synthesis(content, wood, GuidedSettings(orientations=1))
    turned = guided_synthesis(content, wood, GuidedSettings(orientations=8))
    t_coh, t_ang = _orientation(turned)
    _p_coh, p_ang = _orientation(plain)
    assert abs(t_ang - c_ang) < 15 and t_coh > 0.4
    assert abs(abs(p_ang - c_ang) - 90) < 20  # the exemplar alone: grain across
    canvas = augment_exemplar(wood, wood[..., :1], 8)[0]
    assert _exact_fraction(turned, canvas, 5) > 0.3


def test_continuation_copies_longer_pieces(exemplar):
    """A continuation bonus below 1 makes quilting continue the neighbouring block's source
    (longer pieces of the exemplar's strokes): more of the output's 6 x 6 patches occur
    exactly in the exemplar than without it."""
    content = _content(96)
    settings = GuidedSettings(block_px=12, overlap_px=4)
    patchwork = guided_synthesis(content, exemplar, settings)
    pieces = guided_synthesis(content, exemplar, replace(settings, continuation=0.3))
    assert _exact_fraction(pieces, exemplar, 6) > _exact_fraction(patchwork, exemplar, 6) + 0.08


def test_orientation_channels_turn_with_the_grain():
    """The orientation channels of weathered wood (planks running across) and of the same
    wood turned a quarter are opposite doubled-angle vectors of high coherence; a blurred
    noise image has no direction."""
    from texpaint.synthesis.guided import orientation

    wood, _info = load_style_exemplar("weathered_wood", 128)
    y = np.ascontiguousarray(wood @ _Y)
    across = orientation(y, 6.0).mean((0, 1))
    turned = orientation(np.ascontiguousarray(np.rot90(y, 1)), 6.0).mean((0, 1))
    assert np.hypot(*across) > 0.4 and np.hypot(*turned) > 0.4
    assert np.dot(across, turned) / (np.hypot(*across) * np.hypot(*turned)) < -0.9
    noise = np.random.default_rng(0).random(y.shape, dtype=np.float32)
    assert np.hypot(*orientation(noise, 6.0).mean((0, 1))) < 0.1  # no direction


def test_orientation_guide_turns_the_strokes_locally():
    """Content whose grain runs one way in its left half and across in its right half; with
    a strong orientation guide (stronger than the colour guides; the luminance and edge
    guides off) Best copies the wood's turned copies so the grain runs the content's way in
    each half (a channel with the wrong sign or turn would make it run across)."""
    wood, _info = load_style_exemplar("weathered_wood", 128)
    left = np.ascontiguousarray(np.rot90(wood[:96, :96], 1))[:, :48]
    content = np.ascontiguousarray(np.concatenate([left, wood[:96, :48]], axis=1))
    settings = GuidedSettings(
        orientations=8, luminance_weight=0.0, edge_weight=0.0, orientation_weight=4.0
    )
    guided = guided_synthesis(content, wood, settings)
    for sl in (np.s_[:, 6:42], np.s_[:, 54:90]):
        coh, a = _orientation(guided[sl])
        _c, b = _orientation(content[sl])
        d = abs(a - b) % 180
        assert min(d, 180 - d) < 20 and coh > 0.3


def test_shade_brings_back_the_content_light_and_shade(exemplar):
    """``shade`` moves the result's coarse luminance toward the content's (higher
    correlation of the blurred luminances) while the result stays close to the unshaded one
    at fine scale: the change is the same grey shift in every channel."""
    content = _content(96)
    settings = GuidedSettings(block_px=12, overlap_px=4)
    plain = guided_synthesis(content, exemplar, settings)
    shaded = guided_synthesis(content, exemplar, replace(settings, shade=0.5))

    def corr(img: np.ndarray) -> float:
        return float(np.corrcoef(_blur_lum(img).ravel(), _blur_lum(content).ravel())[0, 1])

    assert corr(shaded) > corr(plain) + 0.05
    detail = shaded - cv2.GaussianBlur(shaded, (0, 0), 3.0)
    detail_plain = plain - cv2.GaussianBlur(plain, (0, 0), 3.0)
    assert np.abs(detail - detail_plain).mean() < 0.25 * np.abs(detail_plain).mean()
    diff = shaded - plain  # one grey shift per pixel (where nothing clipped)
    ok = np.all((shaded > 0) & (shaded < 1), axis=-1)
    assert np.abs(diff[ok] - diff[ok].mean(-1, keepdims=True)).max() < 1e-5


def test_coarse_pass_keeps_large_pieces_whole(exemplar):
    """With a coarse quilting pass (blocks of 32 px) whose pieces the final 12 px blocks are
    offered at a third of their cost, larger parts of the output are exact copies of the
    exemplar: more of the output's 6² patches occur in it than with one 12 px pass (about
    0.16 against 0.04); every pixel is still an exemplar pixel."""
    content = _content(96)
    settings = GuidedSettings(block_px=12, overlap_px=4)
    single = guided_synthesis(content, exemplar, settings)
    coarse = replace(settings, coarse_block_px=32, coarse_keep=0.3, coarse_detail=False)
    pieces = guided_synthesis(content, exemplar, coarse)
    assert _exact_fraction(pieces, exemplar, 6) > _exact_fraction(single, exemplar, 6) + 0.08
    assert _exact_fraction(pieces, exemplar, 1) == 1.0


def test_keep_factor_is_strongest_where_the_content_is_smooth():
    """``keep_factor``: ``coarse_keep`` on the flat half of a content that is half a flat
    grey and half floor tiles, near 1 (no preference) on the tiles; a constant without
    ``coarse_detail``."""
    from texpaint.synthesis.guided import keep_factor

    y = np.ascontiguousarray(_content(128) @ _Y)
    y[:, :64] = 0.5
    st = GuidedSettings(block_px=12, coarse_block_px=24, coarse_keep=0.3)
    k = keep_factor(y, st)
    assert k.shape == y.shape and k.dtype == np.float32
    assert np.allclose(k[:, :24], 0.3, atol=0.02)
    assert k[:, 88:].mean() > 0.75 and k.max() <= 1.0
    flat = keep_factor(y, replace(st, coarse_detail=False))
    assert np.all(flat == np.float32(0.3))


def test_half_iterations_sets_the_half_resolution_search(exemplar):
    """``half_iterations`` -1 is ``iterations`` at the half-resolution level (the same
    result as naming it), 0 skips that level's search (a different field, still made of
    exemplar pixels)."""
    content = _content(96)
    settings = GuidedSettings(block_px=12, overlap_px=4, min_side=24)
    base = guided_synthesis(content, exemplar, settings)
    same = guided_synthesis(content, exemplar, replace(settings, half_iterations=2))
    none = guided_synthesis(content, exemplar, replace(settings, half_iterations=0))
    assert np.array_equal(base, same)
    assert not np.array_equal(base, none)
    assert _exact_fraction(none, exemplar, 1) == 1.0
