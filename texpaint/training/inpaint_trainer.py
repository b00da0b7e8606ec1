"""Training loop for the texture inpainting GAN (:class:`FFCInpaintGenerator`).

Objective (per step):
    D: hinge loss on real crops vs composited fakes, fake term over hole patches
       (Lim & Ye 2017; PatchGAN, Isola et al. 2017), with the mask as a 4th input channel.
    G: ``w_l1 * masked_l1 + w_adv * hinge_g + w_fm * feature_matching`` (pix2pixHD's feature
       matching, Wang et al. 2018), i.e. the GAN minimax objective plus reconstruction.
The exported weights are an exponential moving average (EMA) of the generator weights
(Karras et al. 2018), which gives cleaner fills than the raw weights.

The loop knows nothing of its host: it takes ``abort()`` and ``progress(step, total, logs)``
callbacks (StyleGAN2-ADA's ``training_loop`` style), checkpoints every ``checkpoint_every``
steps to ``out_dir/checkpoint.pt`` (our own tensors-only file, loaded back with
``weights_only=True``) and resumes from it with ``resume=True``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from texpaint.models.arch.ffc_inpaint import FFCInpaintConfig, FFCInpaintGenerator
from texpaint.models.arch.patch_discriminator import PatchDiscriminator
from texpaint.training.data import CropConfig, TextureCropSampler, list_images, load_rgb8
from texpaint.training.export import export_model
from texpaint.training.gan_loop import (
    GanState,
    card_common,
    json_lines_logger,
    pick_device,
    prepare_run,
    run_steps,
)
from texpaint.training.losses import feature_matching_loss, hinge_d_loss, hinge_g_loss, masked_l1
from texpaint.training.masks import random_mask

MODEL_ID = "texpaint-inpaint-ffc"


@dataclass
class InpaintTrainConfig:
    """Settings of one inpainting training run.

    Attributes:
        data_dirs: image folders to train on (never ``cc0-1k/val``).
        out_dir: folder for the checkpoint and the exported ``.safetensors`` + card.
        steps: total optimiser steps.
        batch: crops per step.
        size: crop side in pixels (a multiple of 8).
        resume: continue from ``out_dir/checkpoint.pt`` when it exists.
        device: "auto", "cpu", "cuda" or "mps".
        lr_g, lr_d: Adam learning rates of generator and discriminator.
        w_l1, w_adv, w_fm: loss weights.
        d_channels: base channels of the PatchGAN discriminator.
        hint_prob: fraction of samples that get a coarse-fill hint (the ground truth
            downscaled 2-8x and upsampled), teaching the refinement stage.
        texture_hint_prob: fraction of the samples without a coarse hint that get the
            texture hint the pipeline gives at inference: the hole quilted with blocks of
            the crop's own known texture (:mod:`texpaint.imaging.quilting`), teaching the
            generator to repair block seams and colour rather than to invent texture.
        l1_pool: the reconstruction loss compares ``avg_pool(l1_pool)`` of prediction and
            truth, so with ``l1_pool > 1`` it constrains colour and low frequencies only and
            leaves detail to the adversarial and feature-matching losses (an L1 loss at full
            resolution pulls a stochastic texture towards its blurry mean).
        ema_decay: EMA decay of the exported generator weights.
        checkpoint_every, export_every: in steps.
        val_dir: optional folder used only to report validation PSNR/SSIM in the model card.
        seed: RNG seed.
        generator: architecture hyper-parameters.
    """

    data_dirs: list[Path]
    out_dir: Path
    steps: int = 4000
    batch: int = 8
    size: int = 128
    resume: bool = False
    device: str = "auto"
    lr_g: float = 1e-3
    lr_d: float = 2e-4
    w_l1: float = 10.0
    w_adv: float = 0.1
    w_fm: float = 10.0
    d_channels: int = 32
    hint_prob: float = 0.5
    texture_hint_prob: float = 0.0
    l1_pool: int = 1
    ema_decay: float = 0.995
    checkpoint_every: int = 100
    export_every: int = 500
    val_dir: Path | None = None
    seed: int = 0
    generator: FFCInpaintConfig = field(default_factory=FFCInpaintConfig)


@torch.no_grad()
def evaluate_inpainting(
    generator: torch.nn.Module,
    val_dir: Path,
    device: torch.device,
    size: int = 256,
    max_images: int = 20,
    seed: int = 1234,
) -> dict[str, float]:
    """Hole PSNR (dB) of ``generator`` on centre crops of ``val_dir`` with seeded masks.

    One ``size``² centre crop per image, one seeded random mask each (same masks every call).
    Returns ``{"val_psnr_hole_db": ..., "val_l1_hole": ..., "val_images": n}``.
    """
    rng = np.random.default_rng(seed)
    psnrs, l1s = [], []
    generator.eval()
    for path in list_images(val_dir)[:max_images]:
        img = load_rgb8(path)
        h, w = img.shape[:2]
        y, x = (h - size) // 2, (w - size) // 2
        crop = torch.from_numpy(img[y : y + size, x : x + size].astype(np.float32) / 255.0)
        crop = crop.permute(2, 0, 1)[None].to(device)
        mask = torch.from_numpy(random_mask(rng, size, size))[None, None].to(device)
        pred = generator(crop, mask)
        out = crop * (1 - mask) + pred * mask
        mse = ((out - crop) ** 2 * mask).sum() / (mask.sum() * 3)
        psnrs.append(float(10 * torch.log10(1.0 / mse.clamp_min(1e-10))))
        l1s.append(float(((out - crop).abs() * mask).sum() / (mask.sum() * 3)))
    return {
        "val_psnr_hole_db": float(np.mean(psnrs)),
        "val_l1_hole": float(np.mean(l1s)),
        "val_images": len(psnrs),
    }


def _coarse_hints(
    real: torch.Tensor, mask: torch.Tensor, rng: np.random.Generator, prob: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Simulated coarse fills for a batch: each sample, with probability ``prob``, gets the
    ground truth area-downscaled by a random factor in [2, 8] and bicubically upsampled (what
    the pipeline's coarse pass provides at inference), with ``hint_mask`` = its hole mask;
    other samples get no hint (zeros). Returns ``(hint (N,3,H,W), hint_mask (N,1,H,W))``."""
    n, _, h, w = real.shape
    hint = torch.zeros_like(real)
    hint_mask = torch.zeros_like(mask)
    for i in range(n):
        if rng.random() >= prob:
            continue
        f = float(2 ** rng.uniform(1, 3))
        small = F.interpolate(
            real[i : i + 1], size=(max(4, round(h / f)), max(4, round(w / f))), mode="area"
        )
        up = F.interpolate(small, size=(h, w), mode="bicubic", align_corners=False)
        hint[i] = up[0].clamp(0, 1)
        hint_mask[i] = (mask[i] > 0).float()
    return hint, hint_mask


def _texture_hints(
    real: torch.Tensor,
    mask: torch.Tensor,
    hint: torch.Tensor,
    hint_mask: torch.Tensor,
    rng: np.random.Generator,
    prob: float,
) -> None:
    """Give each sample that has no hint yet, with probability ``prob``, the pipeline's
    texture hint (:func:`texpaint.models.texture_hint.texture_hint`, the same function and
    working scale as at inference): its hole quilted from its own known pixels, low
    frequencies from a push-pull fill; ``hint_mask`` = the quilted pixels. ``real``
    ``(N,3,H,W)`` in [0, 1], ``mask`` ``(N,1,H,W)``; fills ``hint``/``hint_mask`` in place
    (CPU numpy work, about 0.1-0.5 s per 128² sample). A sample with no fully known window
    keeps no hint."""
    from texpaint.models.texture_hint import texture_hint, working_scale

    for i in range(real.shape[0]):
        if hint_mask[i].any() or rng.random() >= prob:
            continue
        hole = (mask[i : i + 1] > 0).float().cpu()
        s, radius = working_scale(hole[0, 0].numpy())
        img = real[i : i + 1].float().cpu().contiguous()
        out = texture_hint(img, hole, s, radius, False, int(rng.integers(1 << 31)))
        if out is None:
            continue
        hint[i] = out[0][0].to(hint.device)
        hint_mask[i] = out[1][0].to(hint.device)


def run_training(
    cfg: InpaintTrainConfig,
    abort: Callable[[], bool] = lambda: False,
    progress: Callable[[int, int, dict], None] = lambda step, total, logs: None,
) -> Path:
    """Train (or resume) the inpainting GAN and export the EMA generator.

    Returns:
        Path of the exported ``.safetensors`` (its model card is beside it as ``.json``).

    Raises:
        FileNotFoundError: a data folder is missing or empty.
        ValueError: a data folder is a validation folder, or ``size`` is not a multiple of 8.
    """
    if cfg.size % 8:
        raise ValueError(f"crop size must be a multiple of 8, got {cfg.size}")
    out_dir, device = prepare_run(cfg.out_dir, cfg.device, cfg.seed)
    sampler = TextureCropSampler(cfg.data_dirs, CropConfig(size=cfg.size), seed=cfg.seed)
    mask_rng = np.random.default_rng(cfg.seed + 1)

    fmt = torch.channels_last
    G = FFCInpaintGenerator(cfg.generator).to(device, memory_format=fmt)
    D = PatchDiscriminator(in_channels=4, base_channels=cfg.d_channels).to(
        device, memory_format=fmt
    )
    state = GanState.create(G, D, cfg.lr_g, cfg.lr_d)
    ckpt_path = out_dir / "checkpoint.pt"
    if cfg.resume and ckpt_path.exists():
        state.load(ckpt_path, device)
        sampler.rng = np.random.default_rng(cfg.seed + 1000 * state.step)
        mask_rng = np.random.default_rng(cfg.seed + 1 + 1000 * state.step)
    G_ema, opt_g, opt_d = state.G_ema, state.opt_g, state.opt_d

    def export() -> Path:
        metrics = evaluate_inpainting(G_ema, cfg.val_dir, device) if cfg.val_dir else {}
        G_ema.eval()
        common = card_common(cfg, state, device, "texpaint/training/inpaint_trainer.py")
        common["training"]["losses"] = {
            "l1": cfg.w_l1,
            "hinge_adv": cfg.w_adv,
            "feature_matching": cfg.w_fm,
            "l1_pool": cfg.l1_pool,
        }
        common["training"]["hints"] = {
            "coarse_prob": cfg.hint_prob,
            "texture_prob": cfg.texture_hint_prob,
        }
        card = {
            "id": MODEL_ID,
            "name": "texpaint texture inpainter (FFC GAN)",
            "operation": "inpaint",
            "architecture": "ffc_inpaint",
            "architecture_config": cfg.generator.to_dict(),
            "paper": "Fast Fourier Convolution (Chi et al. 2020); LaMa (Suvorov et al. 2022)",
            "size_multiple": 8,
            "min_size": 32,
            "training": common["training"],
            "metrics": metrics,
            "licence": common["licence"],
            "exported": common["exported"],
        }
        return out_dir / export_model(G_ema, out_dir / f"{MODEL_ID}.safetensors", card)["file"]

    def train_step() -> dict:
        real = torch.from_numpy(sampler.batch(cfg.batch)).to(device, memory_format=fmt)
        masks = np.stack([random_mask(mask_rng, cfg.size, cfg.size) for _ in range(cfg.batch)])
        mask = torch.from_numpy(masks)[:, None].to(device)

        hint, hint_mask = _coarse_hints(real, mask, mask_rng, cfg.hint_prob)
        if cfg.texture_hint_prob > 0:
            _texture_hints(real, mask, hint, hint_mask, mask_rng, cfg.texture_hint_prob)
        pred = G(real, mask, hint, hint_mask)
        fake = real * (1 - mask) + pred * mask

        # discriminator step
        opt_d.zero_grad(set_to_none=True)
        d_real, f_real = D(torch.cat([real, mask], 1))
        d_fake, _ = D(torch.cat([fake.detach(), mask], 1))
        loss_d = hinge_d_loss(d_real, d_fake, mask)
        loss_d.backward()
        opt_d.step()

        # generator step
        opt_g.zero_grad(set_to_none=True)
        d_fake, f_fake = D(torch.cat([fake, mask], 1))  # f_real: from the D step, detached
        if cfg.l1_pool > 1:
            k = cfg.l1_pool
            loss_l1 = masked_l1(F.avg_pool2d(pred, k), F.avg_pool2d(real, k), F.avg_pool2d(mask, k))
        else:
            loss_l1 = masked_l1(pred, real, mask)
        loss_adv = hinge_g_loss(d_fake, mask)
        loss_fm = feature_matching_loss(f_real, f_fake)
        loss_g = cfg.w_l1 * loss_l1 + cfg.w_adv * loss_adv + cfg.w_fm * loss_fm
        loss_g.backward()
        opt_g.step()

        state.update_ema(cfg.ema_decay)
        return {
            "loss_d": loss_d.item(),
            "loss_l1": loss_l1.item(),
            "loss_adv": loss_adv.item(),
            "loss_fm": loss_fm.item(),
        }

    return run_steps(
        state,
        cfg.steps,
        train_step,
        export,
        ckpt_path,
        cfg.checkpoint_every,
        cfg.export_every,
        abort,
        progress,
    )


__all__ = [
    "MODEL_ID",
    "InpaintTrainConfig",
    "evaluate_inpainting",
    "json_lines_logger",
    "pick_device",
    "run_training",
]
