"""Training pipeline: data, masks, losses, a few real optimiser steps, resume and export."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from texpaint.models.arch.ffc_inpaint import FFCInpaintConfig
from texpaint.models.catalog import get_model, load_network
from texpaint.training.data import CropConfig, TextureCropSampler
from texpaint.training.export import sha256_file
from texpaint.training.inpaint_trainer import InpaintTrainConfig, run_training
from texpaint.training.losses import feature_matching_loss, hinge_d_loss, hinge_g_loss
from texpaint.training.masks import MASK_KINDS, random_mask

pytestmark = pytest.mark.unit


@pytest.fixture
def texture_dir(tmp_path):
    d = tmp_path / "textures"
    d.mkdir()
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:96, 0:96]
    for i in range(4):
        stripes = (np.sin(xx * (0.3 + 0.1 * i)) * 0.5 + 0.5)[..., None] * [200, 120, 60]
        img = np.clip(stripes + rng.normal(0, 10, (96, 96, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(img).save(d / f"t{i}.png")
    return d


@pytest.mark.parametrize("kind", MASK_KINDS)
def test_masks_cover_5_to_50_percent(kind):
    rng = np.random.default_rng(3)
    for _ in range(20):
        m = random_mask(rng, 96, 128, kind)
        assert m.shape == (96, 128) and m.dtype == np.float32
        assert set(np.unique(m)) <= {0.0, 1.0}
        assert 0.05 <= m.mean() <= 0.5


def test_masks_are_reproducible():
    a = random_mask(np.random.default_rng(7), 64, 64)
    b = random_mask(np.random.default_rng(7), 64, 64)
    assert np.array_equal(a, b)


def test_sampler_crops_and_refuses_validation(texture_dir, tmp_path):
    s = TextureCropSampler([texture_dir], CropConfig(size=32), seed=0)
    batch = s.batch(5)
    assert batch.shape == (5, 3, 32, 32) and batch.dtype == np.float32
    assert 0 <= batch.min() and batch.max() <= 1 and batch.std() > 0.05
    val = tmp_path / "val"
    val.mkdir()
    with pytest.raises(ValueError, match="validation"):
        TextureCropSampler([val])
    with pytest.raises(FileNotFoundError):
        TextureCropSampler([tmp_path / "missing"])


def test_hinge_losses_have_the_right_sign():
    high, low = torch.full((2, 1, 4, 4), 2.0), torch.full((2, 1, 4, 4), -2.0)
    assert hinge_d_loss(high, low) == 0  # D already separates real from fake
    assert hinge_d_loss(low, high) == 6.0
    assert hinge_g_loss(high) < hinge_g_loss(low)
    f = [torch.ones(1, 2, 3, 3)]
    assert feature_matching_loss(f, f) == 0


def test_train_resume_export_and_load(texture_dir, tmp_path, monkeypatch):
    out = tmp_path / "run"
    small = FFCInpaintConfig(base_channels=8, body_channels=16, n_blocks=1)
    cfg = InpaintTrainConfig(
        data_dirs=[texture_dir],
        out_dir=out,
        steps=3,
        batch=2,
        size=32,
        device="cpu",
        checkpoint_every=2,
        export_every=100,
        generator=small,
    )
    seen = []
    path = run_training(cfg, progress=lambda step, total, logs: seen.append((step, logs)))
    assert [s for s, _ in seen] == [1, 2, 3]
    assert all(np.isfinite(v) for _, logs in seen for v in logs.values())
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["sha256"] == sha256_file(path) and card["training"]["steps"] == 3
    assert (out / "checkpoint.pt").exists()

    cfg.steps, cfg.resume = 5, True
    seen.clear()
    run_training(cfg, progress=lambda step, total, logs: seen.append((step, logs)))
    assert [s for s, _ in seen] == [4, 5], "resume continues from the checkpoint"

    monkeypatch.setenv("TEXPAINT_MODEL_DIRS", str(out))
    net = load_network(get_model(card["id"], "inpaint"))
    y = net(torch.rand(1, 3, 32, 32), torch.ones(1, 1, 32, 32))
    assert y.shape == (1, 3, 32, 32) and 0 <= y.min() and y.max() <= 1


def test_training_stops_on_abort(texture_dir, tmp_path):
    small = FFCInpaintConfig(base_channels=8, body_channels=16, n_blocks=1)
    cfg = InpaintTrainConfig(
        data_dirs=[texture_dir],
        out_dir=tmp_path / "r",
        steps=50,
        batch=2,
        size=32,
        device="cpu",
        generator=small,
    )
    seen = []
    run_training(cfg, abort=lambda: len(seen) >= 2, progress=lambda *a: seen.append(a))
    assert len(seen) == 2


def test_texture_hints_are_quilted_from_the_sample_itself():
    """The training-time texture hint is what the pipeline gives at inference: the hole of a
    periodic sample quilted from its own known pixels (close to the truth, unlike zeros),
    with ``hint_mask`` marking the quilted pixels; samples that already have a hint keep it."""
    from texpaint.training.inpaint_trainer import _texture_hints

    yy, xx = torch.meshgrid(torch.arange(64), torch.arange(64), indexing="ij")
    stripes = (torch.sin(xx * 2 * torch.pi / 8) * 0.4 + 0.5).float()
    real = stripes.expand(2, 3, 64, 64).clone()
    mask = torch.zeros(2, 1, 64, 64)
    mask[:, :, 20:44, 20:44] = 1
    hint, hint_mask = torch.zeros_like(real), torch.zeros_like(mask)
    hint_mask[1] = mask[1]
    hint[1] = 0.25
    _texture_hints(real, mask, hint, hint_mask, np.random.default_rng(0), prob=1.0)
    hole = mask[0, 0] > 0
    assert hint_mask[0, 0][hole].all() and not hint_mask[0, 0][~hole].any()
    assert (hint[0][:, hole] - real[0][:, hole]).abs().mean() < 0.05
    assert torch.equal(hint[1], torch.full_like(hint[1], 0.25)), "existing hints are kept"


def test_training_with_texture_hints_and_pooled_l1_runs(texture_dir, tmp_path):
    small = FFCInpaintConfig(base_channels=8, body_channels=16, n_blocks=1)
    cfg = InpaintTrainConfig(
        data_dirs=[texture_dir],
        out_dir=tmp_path / "q",
        steps=2,
        batch=2,
        size=64,
        device="cpu",
        generator=small,
        hint_prob=0.0,
        texture_hint_prob=1.0,
        l1_pool=4,
    )
    seen = []
    path = run_training(cfg, progress=lambda step, total, logs: seen.append(logs))
    assert len(seen) == 2 and all(np.isfinite(v) for logs in seen for v in logs.values())
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["training"]["hints"]["texture_prob"] == 1.0
    assert card["training"]["losses"]["l1_pool"] == 4
