"""Training of one feed-forward style generator (:class:`StyleTransferNet`) per style exemplar.

**Colour first** (``colour_first``, the default): each content crop is first moved to the
exemplar's palette by Reinhard et al. 2001 colour transfer (CIELAB mean and standard deviation,
:func:`~texpaint.imaging.colour_transfer.reinhard_transfer`), ``c' = T(c)``; the generator runs
on ``c'`` and the content loss compares against ``c'``, so the generator only has to add the
exemplar's texture, not to repaint its colours. The exemplar's statistics are stored in the
generator's config (``StyleNetConfig.colour_mean`` / ``colour_std``, in the model card) and
Stylize applies the same transfer before the generator. On a per-image optimisation of this
objective (2 content images, 100 Adam steps) this moved the attainable trade-off a long way:
Starry Night at content weight 3, style distance 0.113 at structure 0.778 colour-first against
0.639 at 0.837 from the raw content (Reinhard alone: 0.638 at 0.947). The default content
weight, 1.0, keeps a painting style's generator at structure scores of 0.82-0.96 on the
benchmark; the built-in material looks use 0.1 to 1.0 (each card's ``training.losses``;
``benchmarks/RESULTS.md``).

Objective (per step, on a batch of content crops ``c`` — ``c'`` when colour-first — and the
generator output ``y = G(c)``):

- **style**: :func:`~texpaint.training.style_stats.style_loss` between the Gram matrices of
  ``y`` and of the exemplar (fixed random multi-scale features, Ustyuzhaninov et al. 2017;
  Gram statistics, Gatys et al. 2016), the exemplar scaled so its long side is ``style_px``;
- **content**: :func:`~texpaint.training.style_stats.content_loss` between the features of
  ``y`` and ``c`` (Johnson et al. 2016's perceptual feature reconstruction);
- **adversarial** (optional, ``w_adv > 0``): a spectral-norm PatchGAN
  (:class:`~texpaint.models.arch.patch_discriminator.PatchDiscriminator`) trained with the hinge
  loss to tell exemplar patches from generated ones, i.e. a Markovian GAN (Li & Wand 2016)
  that pushes local patches, not only their statistics, towards the exemplar's.

The step loop, checkpoint/resume, EMA and ``abort``/``progress`` callbacks are the shared
:mod:`texpaint.training.gan_loop`; the exported weights are the EMA generator. Content crops
come from :class:`~texpaint.training.data.TextureCropSampler` (never ``cc0-1k/val``). Defaults
are sized so one style trains in under 10 minutes on one CPU thread (see
``resources/models/README.md`` for measured times).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from texpaint import resources_dir
from texpaint.imaging.band_transfer import exemplar_statistics, statistics_transfer
from texpaint.imaging.colour_transfer import lab_stats, reinhard_transfer
from texpaint.models.arch.patch_discriminator import PatchDiscriminator
from texpaint.models.arch.random_features import RandomFeatureNet
from texpaint.models.arch.style_net import StyleNetConfig, StyleTransferNet
from texpaint.models.styles import style_model_id
from texpaint.training.data import CropConfig, TextureCropSampler, load_rgb8
from texpaint.training.export import export_model, sha256_file, write_card
from texpaint.training.gan_loop import (
    GanState,
    data_card,
    pick_device,
    run_steps,
    set_cpu_threads,
)
from texpaint.training.losses import hinge_d_loss, hinge_g_loss
from texpaint.training.style_stats import (
    TRAIN_SEED,
    content_loss,
    gram_matrices,
    structure_score,
    style_distance,
    style_loss,
)

PreviewFn = Callable[[int, np.ndarray], None]


def default_content_dirs() -> list[Path]:
    """Content images when none are given: the bundled sample textures (``resources/samples``)."""
    return [resources_dir() / "samples"]


@dataclass
class StyleTrainConfig:
    """Settings of one style training run.

    Attributes:
        exemplar: the style image (any format Pillow reads).
        out_dir: folder for ``checkpoint.pt`` and the exported ``.safetensors`` + card.
        style_id: library id; the model id is :func:`style_model_id` of it.
        name: display name of the style (model card ``name``).
        content_dirs: folders of content images (never ``cc0-1k/val``); empty: the samples.
        steps: optimiser steps.
        batch: content crops per step.
        size: content crop side in pixels (a multiple of 4, >= 64).
        style_px: long side (pixels) the exemplar is scaled to; sets the stroke size.
        resume: continue from ``out_dir/checkpoint.pt`` when it exists.
        device: "auto", "cpu", "cuda" or "mps".
        threads: torch CPU threads (None: torch's default).
        lr: Adam learning rate of the generator (the discriminator uses ``lr / 2``).
        w_style, w_content, w_adv: loss weights (``w_adv = 0`` disables the PatchGAN).
        colour_first: colour-transfer every content crop to the exemplar's palette before the
            generator (see the module doc); the exemplar's CIELAB statistics go into
            ``generator.colour_mean`` / ``colour_std``.
        d_channels: base channels of the PatchGAN.
        ema_decay: EMA decay of the exported weights.
        checkpoint_every: steps between checkpoints.
        preview_every: steps between preview snapshots (0: none).
        seed: RNG seed.
        generator: architecture hyper-parameters.
    """

    exemplar: Path
    out_dir: Path
    style_id: str
    name: str = ""
    content_dirs: list[Path] = field(default_factory=list)
    steps: int = 250
    batch: int = 4
    size: int = 128
    style_px: int = 512
    resume: bool = False
    device: str = "auto"
    threads: int | None = None
    lr: float = 3e-3
    w_style: float = 1.0
    w_content: float = 1.0
    w_adv: float = 0.0
    colour_first: bool = True
    d_channels: int = 16
    ema_decay: float = 0.98
    checkpoint_every: int = 50
    preview_every: int = 50
    seed: int = 0
    generator: StyleNetConfig = field(default_factory=StyleNetConfig)


def load_exemplar(path: Path, style_px: int) -> np.ndarray:
    """The exemplar as float32 ``(H, W, 3)`` in [0, 1], area-scaled so its long side is
    ``style_px`` (never enlarged by more than 2x).

    Raises:
        OSError: the file cannot be read as an image.
    """
    rgb = load_rgb8(Path(path)).astype(np.float32) / 255.0
    h, w = rgb.shape[:2]
    s = min(style_px / max(h, w), 2.0)
    if abs(s - 1.0) > 1e-3:
        interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
        rgb = cv2.resize(rgb, (max(8, round(w * s)), max(8, round(h * s))), interpolation=interp)
    return np.ascontiguousarray(np.clip(rgb, 0.0, 1.0), dtype=np.float32)


def _exemplar_crops(ex: torch.Tensor, n: int, size: int, rng: np.random.Generator) -> torch.Tensor:
    """``n`` random ``size``² crops (flipped at random) of ``ex`` ``(1, 3, H, W)``."""
    _, _, h, w = ex.shape
    s = min(size, h, w)
    out = []
    for _ in range(n):
        y, x = int(rng.integers(0, h - s + 1)), int(rng.integers(0, w - s + 1))
        c = ex[..., y : y + s, x : x + s]
        if rng.random() < 0.5:
            c = c.flip(-1)
        out.append(c)
    return torch.cat(out)


def _preview_crop(rgb8: np.ndarray, size: int) -> np.ndarray:
    """Fixed preview content: the centre square of ``rgb8`` (uint8 ``(H, W, 3)``) resized to
    ``size``² (area), float32 in [0, 1]."""
    h, w = rgb8.shape[:2]
    s = min(h, w)
    y, x = (h - s) // 2, (w - s) // 2
    sq = rgb8[y : y + s, x : x + s]
    interp = cv2.INTER_AREA if s > size else cv2.INTER_CUBIC
    return cv2.resize(sq, (size, size), interpolation=interp).astype(np.float32) / 255.0


def colour_input(net: StyleTransferNet, rgb: np.ndarray) -> np.ndarray:
    """What ``net`` runs on for the content ``rgb`` (float32 ``(H, W, 3)`` in [0, 1]): ``rgb``
    colour-transferred to the exemplar's palette with its own statistics when the generator is
    colour-first (:attr:`StyleTransferNet.colour_target`), else ``rgb`` unchanged."""
    target = net.colour_target
    return rgb if target is None else reinhard_transfer(rgb, target)


@torch.no_grad()
def stylize_array(
    net: torch.nn.Module, rgb: np.ndarray, match_statistics: bool = True
) -> np.ndarray:
    """Run ``net`` on float32 ``(H, W, 3)`` in [0, 1] (H, W multiples of 4) on its device;
    returns float32 ``(H, W, 3)``. When the generator carries exemplar statistics
    (:attr:`StyleTransferNet.statistics_target`) and ``match_statistics`` is True, its output
    is moved to them, as Stylize does
    (:func:`~texpaint.imaging.band_transfer.statistics_transfer`)."""
    dev = next(net.parameters()).device
    x = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))[None].to(dev)
    out = net(x)[0].float().cpu().numpy().transpose(1, 2, 0)
    stats = getattr(net, "statistics_target", None)
    return out if stats is None or not match_statistics else statistics_transfer(out, stats)


def add_exemplar_statistics(card_path: Path, exemplar: Path) -> dict:
    """Write the exemplar statistics (:func:`~texpaint.imaging.band_transfer.exemplar_statistics`
    of ``exemplar`` at the card's ``training.style_px``) into the style generator card
    ``card_path``'s ``architecture_config`` (atomically; the weights and their sha256 are
    untouched), for generators exported before Stylize used them.

    Returns:
        The updated card.

    Raises:
        OSError: a file cannot be read or written.
        ValueError: the card is not a style generator's, or ``exemplar`` is not the image it
            was trained on (sha256 differs from ``training.exemplar_sha256``).
    """
    card_path = Path(card_path)
    card = json.loads(card_path.read_text(encoding="utf-8"))
    training = card.get("training", {})
    if card.get("architecture") != "style_net" or "style_px" not in training:
        raise ValueError(f"{card_path.name} is not a style generator card")
    expected = training.get("exemplar_sha256")
    if expected and sha256_file(Path(exemplar)) != expected:
        raise ValueError(f"{exemplar} is not the exemplar {card_path.name} was trained on")
    stats = exemplar_statistics(load_exemplar(Path(exemplar), int(training["style_px"])))
    card["architecture_config"]["exemplar_statistics"] = stats.to_dict()
    StyleNetConfig.from_dict(card["architecture_config"])  # still a valid config
    write_card(card_path, card)
    return card


def run_style_training(
    cfg: StyleTrainConfig,
    abort: Callable[[], bool] = lambda: False,
    progress: Callable[[int, int, dict], None] = lambda step, total, logs: None,
    preview: PreviewFn | None = None,
) -> Path:
    """Train (or resume) the style generator of ``cfg.exemplar`` and export its EMA weights.

    Args:
        cfg: settings.
        abort: polled before every step; True checkpoints and stops (the weights at that
            point are still exported, the card's ``training.steps`` says how many ran).
        progress: ``(step, total, logs)`` after every step; logs hold ``loss_style``,
            ``loss_content``, ``loss_adv``, ``loss_d`` and ``sec_per_step`` (seconds).
        preview: ``(step, image)`` every ``cfg.preview_every`` steps with the EMA generator's
            output for a fixed content crop, float32 ``(size * 2, size * 2, 3)`` in [0, 1].

    Returns:
        Path of the exported ``.safetensors`` (its card is beside it as ``.json``).

    Raises:
        FileNotFoundError: the exemplar or a content folder is missing / empty.
        ValueError: a content folder is a validation folder, or ``size`` is not a multiple of
            4 or below 64.
        OSError: the exemplar cannot be decoded.
    """
    if cfg.size % 4 or cfg.size < 64:
        raise ValueError(f"crop size must be a multiple of 4 and >= 64, got {cfg.size}")
    if not Path(cfg.exemplar).is_file():
        raise FileNotFoundError(f"style exemplar not found: {cfg.exemplar}")
    out_dir = Path(cfg.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    set_cpu_threads(cfg.threads)
    device = pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    content_dirs = list(cfg.content_dirs) or default_content_dirs()
    sampler = TextureCropSampler(
        content_dirs, CropConfig(size=cfg.size, min_scale=0.75, max_scale=3.0), seed=cfg.seed
    )
    ex_rng = np.random.default_rng(cfg.seed + 7)
    exemplar = load_exemplar(cfg.exemplar, cfg.style_px)
    ex_t = torch.from_numpy(exemplar.transpose(2, 0, 1).copy())[None].to(device)
    gen_cfg = dataclasses.replace(cfg.generator, exemplar_statistics=exemplar_statistics(exemplar))
    if cfg.colour_first:
        mean, std = lab_stats(exemplar)
        gen_cfg = dataclasses.replace(gen_cfg, colour_mean=mean, colour_std=std)

    feat_net = RandomFeatureNet(TRAIN_SEED).to(device).eval()
    with torch.no_grad():
        target = gram_matrices(feat_net(ex_t))
    G = StyleTransferNet(gen_cfg).to(device)
    D = PatchDiscriminator(in_channels=3, base_channels=cfg.d_channels).to(device)
    # beta1 0.9 (Johnson et al. 2016) for the generator: its loss is mostly non-adversarial
    state = GanState(
        G=G,
        D=D,
        opt_g=torch.optim.Adam(G.parameters(), lr=cfg.lr, betas=(0.9, 0.999)),
        opt_d=torch.optim.Adam(D.parameters(), lr=cfg.lr / 2, betas=(0.5, 0.999)),
    )
    ckpt_path = out_dir / "checkpoint.pt"
    if cfg.resume and ckpt_path.exists():
        state.load(ckpt_path, device)
        sampler.rng = np.random.default_rng(cfg.seed + 1000 * state.step)
        ex_rng = np.random.default_rng(cfg.seed + 7 + 1000 * state.step)

    preview_content = _preview_crop(sampler.groups[0][0], cfg.size * 2)
    preview_input = colour_input(G, preview_content)

    def train_step() -> dict:
        batch = sampler.batch(cfg.batch)
        if G.colour_target is not None:
            batch = np.stack(
                [colour_input(G, c.transpose(1, 2, 0)).transpose(2, 0, 1) for c in batch]
            )
        content = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)).to(device)
        y = G(content)
        logs: dict[str, float] = {}
        loss_adv = y.new_zeros(())
        if cfg.w_adv > 0:
            real = _exemplar_crops(ex_t, cfg.batch, cfg.size, ex_rng)
            state.opt_d.zero_grad(set_to_none=True)
            loss_d = hinge_d_loss(D(real)[0], D(y.detach())[0])
            loss_d.backward()
            state.opt_d.step()
            logs["loss_d"] = loss_d.item()
        state.opt_g.zero_grad(set_to_none=True)
        with torch.no_grad():
            c_feats = feat_net(content)
        y_feats = feat_net(y)
        loss_s = style_loss(gram_matrices(y_feats), target)
        loss_c = content_loss(y_feats, c_feats)
        if cfg.w_adv > 0:
            loss_adv = hinge_g_loss(D(y)[0])
        loss = cfg.w_style * loss_s + cfg.w_content * loss_c + cfg.w_adv * loss_adv
        loss.backward()
        state.opt_g.step()
        state.update_ema(cfg.ema_decay)
        logs.update(loss_style=loss_s.item(), loss_content=loss_c.item(), loss_adv=loss_adv.item())
        return logs

    def on_progress(step: int, total: int, logs: dict) -> None:
        progress(step, total, logs)
        if (
            preview is not None
            and cfg.preview_every
            and (step % cfg.preview_every == 0 or step == total)
        ):
            preview(step, np.clip(stylize_array(state.G_ema, preview_input), 0.0, 1.0))

    def export() -> Path:
        G_ema = state.G_ema.eval()
        styled = stylize_array(G_ema, preview_input)
        metrics = {
            "preview_style_distance_input": round(style_distance(preview_content, exemplar), 4),
            "preview_style_distance_output": round(style_distance(styled, exemplar), 4),
            "preview_structure_score": round(structure_score(styled, preview_content), 4),
            "note": "one fixed content crop; see benchmarks/stylize_quality.py for the "
            "benchmark over cc0-1k/val",
        }
        model_id = style_model_id(cfg.style_id)
        card = {
            "id": model_id,
            "name": cfg.name or cfg.style_id,
            "operation": "stylize",
            "style_id": cfg.style_id,
            "architecture": "style_net",
            "architecture_config": gen_cfg.to_dict(),
            "paper": "Johnson et al. 2016 (feed-forward transform net); Ustyuzhaninov et al. "
            "2017 (random-feature Gram statistics); Li & Wand 2016 (Markovian PatchGAN)",
            "size_multiple": StyleTransferNet.size_multiple,
            "min_size": StyleTransferNet.min_size,
            "training": {
                "exemplar": Path(cfg.exemplar).name,
                "exemplar_sha256": sha256_file(Path(cfg.exemplar)),
                "style_px": cfg.style_px,
                "data": data_card(content_dirs),
                "steps": state.step,
                "batch": cfg.batch,
                "crop_size": cfg.size,
                "lr": cfg.lr,
                "losses": {"style": cfg.w_style, "content": cfg.w_content, "hinge_adv": cfg.w_adv},
                "colour_first": cfg.colour_first,
                "feature_seed": TRAIN_SEED,
                "ema_decay": cfg.ema_decay,
                "device": str(device),
                "threads": torch.get_num_threads() if device.type == "cpu" else None,
                "train_seconds": round(state.train_seconds, 1),
                "code": "texpaint/training/style_trainer.py",
            },
            "metrics": metrics,
            "licence": "MIT (weights); content crops CC0 1.0; exemplar: see the style library",
            "exported": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        }
        return out_dir / export_model(G_ema, out_dir / f"{model_id}.safetensors", card)["file"]

    return run_steps(
        state,
        cfg.steps,
        train_step,
        export,
        ckpt_path,
        cfg.checkpoint_every,
        cfg.steps,
        abort=abort,
        progress=on_progress,
    )
