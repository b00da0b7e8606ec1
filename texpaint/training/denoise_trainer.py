"""Training loop for the texture denoisers: the blind :class:`NAFDenoiser` and FFDNet.

Two generators (``DenoiseTrainConfig.arch``): ``"nafnet_denoise"`` (blind, from scratch) and
``"ffdnet"`` (:class:`~texpaint.models.arch.ffdnet.FFDNet`, non-blind: it is given the noise
map of each degradation, :func:`~texpaint.training.degradations.noise_map_for`, scaled by a
random factor ``exp(N(0, map_jitter))`` per crop so that it tolerates the errors of the blind
estimate it gets in the app). ``init`` starts from given weights (``.safetensors``), e.g. the
published FFDNet weights converted by ``packaging/convert_ffdnet.py``: fine-tuning.

Data: augmented crops of clean textures (:class:`~texpaint.training.data.TextureCropSampler`),
degraded on the fly by :class:`~texpaint.training.degradations.DegradationSampler`: clean
(so clean input passes through), Gaussian noise with sigma uniform in [0, 50] (8-bit units),
Poisson-Gaussian noise, JPEG at random quality, and noise followed by JPEG.

Objective (per step), a GAN with a reconstruction term that dominates:
    D: hinge loss (Lim & Ye 2017) of a spectral-norm PatchGAN (Isola et al. 2017) on clean
       crops vs denoised crops.
    G: ``w_rec * charbonnier(G(noisy), clean) + w_adv * hinge_g(D(G(noisy)))``; the small
       adversarial weight keeps texture detail crisp instead of smeared (cf. the perceptual
       trade-off of Blau & Michaeli, CVPR 2018), the Charbonnier term keeps PSNR high.
The generator's learning rate follows a cosine decay (Loshchilov & Hutter 2017) from ``lr_g``
to ``lr_g * lr_final_ratio``; the exported weights are the EMA of the generator's weights.

Shared machinery (state, checkpoint/resume in ``out_dir/checkpoint.pt``, abort/progress
callbacks, export cadence) is :mod:`texpaint.training.gan_loop`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from texpaint.models.arch.ffdnet import FFDNet, FFDNetConfig
from texpaint.models.arch.nafnet_denoise import NAFDenoiseConfig, NAFDenoiser
from texpaint.models.arch.patch_discriminator import PatchDiscriminator
from texpaint.training.data import CropConfig, TextureCropSampler, list_images, load_rgb8
from texpaint.training.degradations import (
    DegradationConfig,
    DegradationSampler,
    add_gaussian_noise,
)
from texpaint.training.export import export_model
from texpaint.training.gan_loop import (
    GanState,
    card_common,
    prepare_run,
    run_steps,
    set_cpu_threads,
)
from texpaint.training.losses import charbonnier_loss, hinge_d_loss, hinge_g_loss, psnr_loss

MODEL_ID = "texpaint-denoise"


@dataclass
class DenoiseTrainConfig:
    """Settings of one denoiser training run.

    Attributes:
        data_dirs: folders of clean textures (never ``cc0-1k/val``).
        out_dir: folder for the checkpoint and the exported ``.safetensors`` + card.
        steps: total optimiser steps.
        batch: crops per step.
        size: crop side in pixels (a multiple of the network's ``size_multiple``, 16).
        min_scale, max_scale: crops are taken ``size * scale`` pixels wide, ``scale``
            log-uniform in this range, and resized to ``size`` (so scale 1 = native
            resolution, 4 = area-downscaled 4x; :class:`~texpaint.training.data.CropConfig`).
        resume: continue from ``out_dir/checkpoint.pt`` when it exists.
        device: "auto", "cpu", "cuda" or "mps".
        threads: torch CPU threads (None: torch's default).
        lr_g, lr_d: Adam learning rates of generator and discriminator.
        lr_final_ratio: the generator's learning rate at the last step, relative to ``lr_g``.
        warmup_steps: linear learning-rate warm-up of the generator.
        w_rec, w_adv: weights of the Charbonnier and the adversarial (hinge) loss.
        d_channels: base channels of the PatchGAN discriminator.
        ema_decay: EMA decay of the exported generator weights.
        checkpoint_every, export_every: in steps.
        val_dir: optional folder used only to report validation PSNR in the model card.
        seed: RNG seed.
        generator: architecture hyper-parameters of the NAFNet generator.
        degradation: the mixture of synthetic degradations.
        arch: ``"nafnet_denoise"`` or ``"ffdnet"`` (see the module docstring).
        ffdnet: architecture hyper-parameters of the FFDNet generator.
        init: ``.safetensors`` weights the generator starts from (None: random init); a
            checkpoint being resumed takes precedence.
        map_jitter: log-std of the random factor on FFDNet's training noise maps.
        loss: reconstruction loss, ``"charbonnier"`` or ``"psnr"`` (negative mean per-image
            PSNR, :func:`~texpaint.training.losses.psnr_loss`: every noise level counts
            equally in dB, so low-noise and clean crops are not swamped by heavy noise).
        estimated_map_prob: probability that a crop's noise map is the blind estimate of the
            degraded crop (:func:`~texpaint.imaging.noise_estimation.
            estimate_noise_level_function`, as the app computes it) instead of the true map of
            its degradation (FFDNet only), so training sees the estimate's errors.
        bf16_hidden: FFDNet only: once the init weights are loaded, the hidden convolutions'
            weights are rounded to bfloat16 values and frozen (CPU inference runs them in
            bfloat16, :mod:`texpaint.models.arch.ffdnet`); the first and last convolution and
            every bias train, and the export rounds the hidden layers again, so the exported
            network runs the same in float32 and in bfloat16 up to activation rounding.
    """

    data_dirs: list[Path]
    out_dir: Path
    steps: int = 4000
    batch: int = 16
    size: int = 64
    min_scale: float = 0.75
    max_scale: float = 4.0
    resume: bool = False
    device: str = "auto"
    threads: int | None = None
    lr_g: float = 1e-3
    lr_d: float = 2e-4
    lr_final_ratio: float = 0.02
    warmup_steps: int = 100
    w_rec: float = 1.0
    w_adv: float = 1e-3
    d_channels: int = 32
    ema_decay: float = 0.999
    checkpoint_every: int = 100
    export_every: int = 1000
    val_dir: Path | None = None
    seed: int = 0
    generator: NAFDenoiseConfig = field(default_factory=NAFDenoiseConfig)
    degradation: DegradationConfig = field(default_factory=DegradationConfig)
    arch: str = "nafnet_denoise"
    ffdnet: FFDNetConfig = field(default_factory=FFDNetConfig)
    init: Path | None = None
    map_jitter: float = 0.1
    estimated_map_prob: float = 0.0
    loss: str = "charbonnier"
    bf16_hidden: bool = False


ARCHES = ("nafnet_denoise", "ffdnet")

FINETUNE_DEGRADATION = DegradationConfig(
    weights=(0.06, 0.74, 0.12, 0.0, 0.04, 0.0, 0.04),
    sigma_max=55.0,
    jpeg_quality=(30, 90),
    quantise_prob=0.9,
)
"""The degradation mixture of the FFDNet fine-tune: mostly Gaussian noise (sigma 0-55, 8-bit
files), some Poisson-Gaussian, noise then JPEG and raw noise through demosaicking, a few clean
crops. No JPEG-only and no blur-then-noise crops: their true noise map is 0 or describes only
the noise, so they teach the network to sharpen or deblock where the map says "clean", which
cost clean input and light noise in the first fine-tune (runs/ffdnet_ft)."""

FINETUNE_SETTINGS = {
    "lr_g": 1e-5,
    "lr_final_ratio": 0.1,
    "warmup_steps": 50,
    "w_adv": 0.0,
    "loss": "psnr",
    "ema_decay": 0.998,
    "checkpoint_every": 25,
    "export_every": 100,
    "map_jitter": 0.03,
    "estimated_map_prob": 0.5,
    "degradation": FINETUNE_DEGRADATION,
}
""":class:`DenoiseTrainConfig` fields of a fine-tune from published weights (``--init``): a
100x smaller learning rate than from scratch, the PSNR loss and no adversarial term, half the
crops with the blind-estimated noise map. Use native-resolution crops (``--scale 1 1``): the
textures' own grain is part of the target, and downscaled crops teach smoothing it away. The
shipped ``texpaint-denoise`` is the weight interpolation (:func:`interpolate_weights`) of the
published weights and such a fine-tune (``resources/models/README.md``)."""


def card_architecture(weights: Path) -> str | None:
    """The ``architecture`` of the model card beside ``weights`` (``<stem>.json``), or None
    when there is no readable card."""
    import json

    try:
        card = json.loads(Path(weights).with_suffix(".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    arch = card.get("architecture") if isinstance(card, dict) else None
    return str(arch) if arch else None


def make_generator(cfg: DenoiseTrainConfig) -> torch.nn.Module:
    """The untrained generator of ``cfg.arch``.

    Raises:
        ValueError: unknown ``cfg.arch``.
    """
    if cfg.arch == "ffdnet":
        return FFDNet(cfg.ffdnet)
    if cfg.arch == "nafnet_denoise":
        return NAFDenoiser(cfg.generator)
    raise ValueError(f"unknown denoiser architecture {cfg.arch!r}; one of {ARCHES}")


def load_init_weights(G: torch.nn.Module, path: Path) -> None:
    """Load ``.safetensors`` weights into ``G`` strictly (tensors only, no pickles).

    Raises:
        ValueError: the file is unreadable or does not fit ``G``'s architecture.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        G.load_state_dict(load_file(str(path), device="cpu"), strict=True)
    except (SafetensorError, OSError, RuntimeError) as exc:
        raise ValueError(f"cannot start from {path}: {exc}") from exc


def estimated_map(noisy: np.ndarray) -> np.ndarray:
    """The blind noise-level map the app gives FFDNet for ``noisy`` (float32 ``(H, W, 3)`` in
    [0, 1]): float32 ``(H, W)``, sigma in [0, 1] units (``engine.pipeline.noise_level_map``)."""
    from texpaint.imaging.noise_estimation import estimate_noise_level_function

    return estimate_noise_level_function(noisy).noise_map(noisy) / np.float32(255.0)


def generator_lr(cfg: DenoiseTrainConfig, step: int) -> float:
    """Generator learning rate at ``step`` (0-based): linear warm-up, then cosine decay."""
    if step < cfg.warmup_steps:
        return cfg.lr_g * (step + 1) / cfg.warmup_steps
    t = min(1.0, (step - cfg.warmup_steps) / max(1, cfg.steps - cfg.warmup_steps))
    lo = cfg.lr_g * cfg.lr_final_ratio
    return lo + 0.5 * (cfg.lr_g - lo) * (1 + math.cos(math.pi * t))


@torch.no_grad()
def evaluate_denoising(
    generator: torch.nn.Module,
    val_dir: Path,
    device: torch.device,
    size: int = 256,
    sigmas: tuple[float, ...] = (0.0, 25.0),
    max_images: int = 20,
    seed: int = 1234,
) -> dict[str, float]:
    """PSNR (dB) of ``generator`` on ``size``² centre crops of ``val_dir`` with seeded noise.

    For each ``sigma`` (8-bit units) every crop gets Gaussian noise from
    ``default_rng([seed, image index])`` (the same noise on every call). A generator that
    takes a noise map (FFDNet) gets the blind estimate of
    :func:`~texpaint.imaging.noise_estimation.estimate_noise_level_function`, as in the app.
    Returns
    ``{"val_psnr_sigma{s}_db": ..., "val_psnr_noisy_sigma{s}_db": ..., "val_images": n}``;
    sigma 0 measures how unchanged a clean input comes back.
    """
    from texpaint.imaging.metrics import psnr

    generator.eval()
    out: dict[str, float] = {}
    paths = list_images(val_dir)[:max_images]
    for sigma in sigmas:
        got, noisy_db = [], []
        for i, path in enumerate(paths):
            img = load_rgb8(path)
            h, w = img.shape[:2]
            y, x = max(0, (h - size) // 2), max(0, (w - size) // 2)
            clean = img[y : y + size, x : x + size].astype(np.float32) / 255.0
            noisy = add_gaussian_noise(clean, sigma, np.random.default_rng([seed, i]))
            t = torch.from_numpy(noisy.transpose(2, 0, 1).copy())[None].to(device)
            if getattr(generator, "noise_map_input", False):
                from texpaint.imaging.noise_estimation import estimate_noise_level_function

                nmap = estimate_noise_level_function(noisy).noise_map(noisy) / 255.0
                t = torch.cat((t, torch.from_numpy(nmap)[None, None].to(device)), dim=1)
            pred = generator(t)[0].cpu().numpy().transpose(1, 2, 0)
            got.append(min(psnr(pred, clean), 100.0))
            noisy_db.append(min(psnr(noisy, clean), 100.0))
        s = f"{sigma:g}"
        out[f"val_psnr_sigma{s}_db"] = round(float(np.mean(got)), 3)
        out[f"val_psnr_noisy_sigma{s}_db"] = round(float(np.mean(noisy_db)), 3)
    out["val_images"] = len(paths)
    return out


def run_training(
    cfg: DenoiseTrainConfig,
    abort: Callable[[], bool] = lambda: False,
    progress: Callable[[int, int, dict], None] = lambda step, total, logs: None,
) -> Path:
    """Train (or resume) the denoiser GAN and export the EMA generator.

    Returns:
        Path of the exported ``.safetensors`` (its model card is beside it as ``.json``).

    Raises:
        FileNotFoundError: a data folder is missing or empty.
        ValueError: a data folder is a validation folder, ``size`` is not a multiple of the
            network's ``size_multiple``, or the crop scales are not ``0 < min <= max``.
    """
    set_cpu_threads(cfg.threads)
    G = make_generator(cfg)
    if cfg.size % G.size_multiple or cfg.size < G.min_size:
        raise ValueError(
            f"crop size must be a multiple of {G.size_multiple} and >= {G.min_size}, got {cfg.size}"
        )
    out_dir, device = prepare_run(cfg.out_dir, cfg.device, cfg.seed)
    G = make_generator(cfg)  # re-created after seeding: same init on every run
    if cfg.init is not None:
        load_init_weights(G, Path(cfg.init))
    takes_map = bool(getattr(G, "noise_map_input", False))
    if cfg.bf16_hidden:
        if not isinstance(G, FFDNet):
            raise ValueError("bf16_hidden applies to the ffdnet architecture only")
        G.round_hidden_to_bf16()
        for conv in G.hidden_convs():
            conv.weight.requires_grad_(False)
    if cfg.loss not in ("charbonnier", "psnr"):
        raise ValueError(f"loss must be 'charbonnier' or 'psnr', got {cfg.loss!r}")
    if not 0 < cfg.min_scale <= cfg.max_scale:
        raise ValueError(
            f"crop scales must satisfy 0 < min <= max, got {cfg.min_scale}, {cfg.max_scale}"
        )
    crops = CropConfig(size=cfg.size, min_scale=cfg.min_scale, max_scale=cfg.max_scale)
    sampler = TextureCropSampler(cfg.data_dirs, crops, seed=cfg.seed)
    degrader = DegradationSampler(cfg.degradation, seed=cfg.seed + 1)

    fmt = torch.channels_last
    G = G.to(device, memory_format=fmt)
    D = PatchDiscriminator(in_channels=3, base_channels=cfg.d_channels).to(
        device, memory_format=fmt
    )
    state = GanState.create(G, D, cfg.lr_g, cfg.lr_d, betas_g=(0.9, 0.99))
    ckpt_path = out_dir / "checkpoint.pt"
    if cfg.resume and ckpt_path.exists():
        state.load(ckpt_path, device)
        sampler.rng = np.random.default_rng(cfg.seed + 1000 * state.step)
        degrader.rng = np.random.default_rng(cfg.seed + 1 + 1000 * state.step)
    opt_g, opt_d = state.opt_g, state.opt_d

    def export() -> Path:
        metrics = evaluate_denoising(state.G_ema, cfg.val_dir, device) if cfg.val_dir else {}
        common = card_common(cfg, state, device, "texpaint/training/denoise_trainer.py")
        common["training"].update(
            degradations=cfg.degradation.to_dict(),
            losses={cfg.loss: cfg.w_rec, "hinge_adv": cfg.w_adv},
            lr_g=cfg.lr_g,
            lr_final_ratio=cfg.lr_final_ratio,
            crop_scale=[cfg.min_scale, cfg.max_scale],
            threads=torch.get_num_threads() if device.type == "cpu" else None,
        )
        if takes_map:
            common["training"].update(
                init=str(cfg.init) if cfg.init else None,
                map_jitter=cfg.map_jitter,
                estimated_map_prob=cfg.estimated_map_prob,
            )
            gan = cfg.w_adv > 0
            names = {
                "name": "texpaint texture denoiser (FFDNet fine-tuned on textures"
                + (", GAN)" if gan else ")"),
                "architecture": "ffdnet",
                "architecture_config": cfg.ffdnet.to_dict(),
                "paper": "FFDNet (Zhang, Zuo & Zhang, IEEE TIP 2018), fine-tuned "
                + ("with a PatchGAN (Isola et al., CVPR 2017)" if gan else "on a Charbonnier loss")
                + "; noise map estimated as Chen, Zhu & Heng (ICCV 2015)",
            }
        else:
            names = {
                "name": "texpaint texture denoiser (NAFNet GAN)",
                "architecture": "nafnet_denoise",
                "architecture_config": cfg.generator.to_dict(),
                "paper": "NAFNet (Chen et al., ECCV 2022); residual learning as in DnCNN "
                "(Zhang et al., IEEE TIP 2017); PatchGAN (Isola et al., CVPR 2017)",
            }
        card = {
            "id": MODEL_ID,
            "operation": "denoise",
            **names,
            "size_multiple": G.size_multiple,
            "min_size": G.min_size,
            "blind": True,
            **common,
            "metrics": metrics,
        }
        path = out_dir / f"{MODEL_ID}.safetensors"
        G_out = state.G_ema
        if cfg.bf16_hidden:  # the EMA's lerp can leave the frozen weights an ulp off
            G_out = copy.deepcopy(state.G_ema)
            assert isinstance(G_out, FFDNet)
            G_out.round_hidden_to_bf16()
            card["training"]["bf16_hidden"] = True
        return out_dir / export_model(G_out, path, card)["file"]

    def train_step() -> dict:
        for group in opt_g.param_groups:
            group["lr"] = generator_lr(cfg, state.step)
        clean_np = sampler.batch(cfg.batch)
        if takes_map:
            noisy_np, maps = degrader.batch_with_maps(clean_np)
            jitter = np.exp(degrader.rng.normal(0.0, cfg.map_jitter, (len(maps), 1, 1, 1)))
            maps = (maps * jitter / 255.0).astype(np.float32)
            for i in np.flatnonzero(degrader.rng.random(len(maps)) < cfg.estimated_map_prob):
                maps[i, 0] = estimated_map(noisy_np[i].transpose(1, 2, 0))
            noisy_np = np.concatenate((noisy_np, maps), axis=1)
        else:
            noisy_np = degrader.batch(clean_np)
        clean = torch.from_numpy(clean_np).to(device, memory_format=fmt)
        noisy = torch.from_numpy(noisy_np).to(device, memory_format=fmt)
        fake = G(noisy)
        loss_rec = psnr_loss(fake, clean) if cfg.loss == "psnr" else charbonnier_loss(fake, clean)
        opt_g.zero_grad(set_to_none=True)
        if cfg.w_adv > 0:
            opt_d.zero_grad(set_to_none=True)
            d_real, _ = D(clean)
            d_fake, _ = D(fake.detach())
            loss_d = hinge_d_loss(d_real, d_fake)
            loss_d.backward()
            opt_d.step()
            d_fake, _ = D(fake)
            loss_adv = hinge_g_loss(d_fake)
            loss_g = cfg.w_rec * loss_rec + cfg.w_adv * loss_adv
        else:  # no adversarial term: the discriminator is neither run nor trained
            loss_d = loss_adv = torch.zeros(())
            loss_g = cfg.w_rec * loss_rec
        loss_g.backward()
        opt_g.step()
        state.update_ema(cfg.ema_decay)
        with torch.no_grad():
            mse = (fake - clean).pow(2).mean().clamp_min(1e-10)
        return {
            "loss_d": loss_d.item(),
            "loss_rec": loss_rec.item(),
            "loss_adv": loss_adv.item(),
            "psnr_db": float(10 * torch.log10(1.0 / mse)),
            "lr_g": opt_g.param_groups[0]["lr"],
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


def interpolate_weights(
    base: Path, tuned: Path, alpha: float, out: Path, card: dict | None = None
) -> Path:
    """Write the weight-space interpolation ``(1 - alpha) * base + alpha * tuned`` of two
    ``.safetensors`` files of one architecture, with its model card.

    Robust fine-tuning by weight interpolation ("WiSE-FT", Wortsman et al., "Robust
    fine-tuning of zero-shot models", CVPR 2022): a fine-tune that gains where the training
    data differ from the base's (textures, heavy clipped noise) and loses a little where the
    base was already good (light noise, clean input) keeps most of both at ``alpha`` about 0.5.

    Args:
        base, tuned: ``.safetensors`` files with the same tensor names and shapes (float).
        alpha: share of ``tuned``, in [0, 1] (0 = ``base``, 1 = ``tuned``).
        out: destination ``.safetensors``; its card is written beside it (``<stem>.json``).
        card: model card fields (``sha256``, ``file_bytes``, ``parameters`` and ``file`` are
            filled in); None writes a card with only those.

    Returns:
        ``out``.

    Raises:
        ValueError: ``alpha`` outside [0, 1], or the files hold different tensors.
    """
    from safetensors.torch import load_file

    from texpaint.training.export import export_tensors

    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    a, b = load_file(str(base), device="cpu"), load_file(str(tuned), device="cpu")
    if a.keys() != b.keys() or any(a[k].shape != b[k].shape for k in a):
        raise ValueError(f"{base} and {tuned} do not hold the same tensors")
    out = Path(out)
    mixed = {k: torch.lerp(a[k].float(), b[k].float(), float(alpha)).contiguous() for k in a}
    export_tensors(mixed, out, dict(card or {}), sum(t.numel() for t in mixed.values()))
    return out
