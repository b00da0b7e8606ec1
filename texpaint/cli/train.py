"""``texpaint train``: train the inpainting GAN, the denoiser or a style generator."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from texpaint.cli.common import (
    DEVICES,
    CommandError,
    _ctrl_c_requests_stop,
    _positive_int,
    _progress_bar,
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``texpaint train`` and its models to the sub-command set ``sub``."""
    p_train = sub.add_parser("train", help="train a model")
    train_sub = p_train.add_subparsers(dest="train_command", metavar="MODEL", required=True)
    p_ti = _add_train_parser(
        train_sub,
        "inpaint",
        help="train the inpainting GAN on folders of textures",
        description="Train (or resume) the inpainting GAN. Press Ctrl-C to stop after the "
        "current step; checkpoints in --out allow --resume.",
        defaults=(4000, 8, 128),
    )
    p_ti.add_argument(
        "--texture-hint-prob",
        type=float,
        default=0.0,
        metavar="P",
        help="fraction of samples given the quilted texture hint used at inference "
        "(trains the refinement of copied texture; costs CPU time per sample)",
    )
    p_ti.add_argument(
        "--l1-pool",
        type=_positive_int,
        default=1,
        metavar="K",
        help="compare K x K averages in the L1 loss (K > 1 leaves detail to the GAN losses)",
    )
    p_td = _add_train_parser(
        train_sub,
        "denoise",
        help="train the blind denoiser GAN on folders of clean textures",
        description="Train (or resume) the blind denoiser on clean textures degraded on the "
        "fly (Gaussian sigma 0-50, Poisson-Gaussian noise, JPEG, mixtures). Press Ctrl-C to "
        "stop after the current step; checkpoints in --out allow --resume.",
        defaults=(4000, 16, 64),
    )
    p_td.add_argument(
        "--scale",
        nargs=2,
        type=float,
        default=(0.75, 4.0),
        metavar=("MIN", "MAX"),
        help="crops are SIZE x scale pixels, scale log-uniform in [MIN, MAX], resized to SIZE "
        "(1 = native resolution; default 0.75 4)",
    )
    p_td.add_argument(
        "--init",
        type=Path,
        metavar="WEIGHTS",
        help="fine-tune from these .safetensors weights (e.g. resources/models/"
        "texpaint-denoise.safetensors, the converted FFDNet): the architecture is read from "
        "the card beside them, and the fine-tune recipe applies (PSNR loss, no adversarial "
        "term, learning rate 1e-5, Gaussian/Poisson-Gaussian/noisy-JPEG/demosaic degradations, "
        "half the crops with the blind-estimated noise map)",
    )
    p_td.add_argument(
        "--bf16-hidden",
        action="store_true",
        help="FFDNet: round the hidden convolutions to bfloat16 values and freeze them, train "
        "the first and last convolution and the biases (the exported weights then run in "
        "bfloat16 on CPUs with AMX / AVX512-BF16 at float32 quality)",
    )
    p_td.add_argument(
        "--arch",
        choices=("nafnet_denoise", "ffdnet"),
        help="generator architecture (default: the --init card's, else nafnet_denoise)",
    )
    _add_train_style_parser(train_sub)
    p_train.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run ``texpaint train MODEL``."""
    if args.train_command == "style":
        return _cmd_train_style(args)
    return _cmd_train(args)


def _add_train_parser(
    train_sub, name: str, help: str, description: str, defaults: tuple[int, int, int]
) -> argparse.ArgumentParser:
    """One ``texpaint train NAME`` sub-command; ``defaults`` = (steps, batch, crop size).
    Returns its parser (for operation-specific options)."""
    steps, batch, size = defaults
    p = train_sub.add_parser(name, help=help, description=description)
    p.add_argument(
        "--data",
        required=True,
        action="append",
        type=Path,
        metavar="DIR",
        help="folder of training textures (repeat for several)",
    )
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    p.add_argument("--steps", type=_positive_int, default=steps, metavar="N")
    p.add_argument("--batch", type=_positive_int, default=batch, metavar="N")
    p.add_argument("--size", type=_positive_int, default=size, metavar="PX", help="crop size")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--device", choices=DEVICES, default="auto", help="compute device")
    p.add_argument(
        "--threads", type=_positive_int, metavar="N", help="torch CPU threads (default: all)"
    )
    p.add_argument(
        "--val",
        type=Path,
        metavar="DIR",
        help="validation folder, used only for the metrics in the model card (never trained on)",
    )
    p.add_argument(
        "--log", type=Path, metavar="FILE", help="append losses as JSON lines every 10 steps"
    )
    return p


def _denoise_arch_options(args: argparse.Namespace) -> dict:
    """DenoiseTrainConfig fields from ``--init`` / ``--arch`` (fine-tune recipe with --init)."""
    from texpaint.training.denoise_trainer import FINETUNE_SETTINGS, card_architecture

    out: dict = {}
    arch = args.arch
    if args.init is not None:
        if not args.init.is_file():
            raise CommandError(f"{args.init}: weights not found")
        arch = arch or card_architecture(args.init)
        out.update(FINETUNE_SETTINGS, init=args.init)
    out["arch"] = arch or "nafnet_denoise"
    if getattr(args, "bf16_hidden", False):
        if out["arch"] != "ffdnet":
            raise CommandError("--bf16-hidden applies to the ffdnet architecture only")
        out["bf16_hidden"] = True
    return out


def _cmd_train(args: argparse.Namespace) -> int:
    for folder in args.data:
        if not folder.is_dir():
            raise CommandError(f"{folder}: data folder not found")
    multiple = 8 if args.train_command == "inpaint" else 16
    if args.size % multiple:
        raise CommandError(f"--size must be a multiple of {multiple}, got {args.size}")
    try:
        from texpaint.training.gan_loop import json_lines_logger

        Config: Any
        run_training: Any
        if args.train_command == "inpaint":
            from texpaint.training import inpaint_trainer as trainer

            Config, run_training = trainer.InpaintTrainConfig, trainer.run_training
        else:
            from texpaint.training import denoise_trainer as trainer_d

            Config, run_training = trainer_d.DenoiseTrainConfig, trainer_d.run_training
    except ImportError as e:
        raise CommandError(f"training is not available ({e})") from e

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    extra = (
        {"texture_hint_prob": args.texture_hint_prob, "l1_pool": args.l1_pool}
        if args.train_command == "inpaint"
        else {"min_scale": args.scale[0], "max_scale": args.scale[1]}
    )
    if args.train_command == "denoise":
        extra.update(_denoise_arch_options(args))
    cfg = Config(
        data_dirs=list(args.data),
        out_dir=args.out,
        steps=args.steps,
        batch=args.batch,
        size=args.size,
        resume=args.resume,
        device=args.device,
        val_dir=args.val,
        **extra,
    )
    log_line = json_lines_logger(args.log) if args.log else None
    start = time.monotonic()
    exported = _train_with_progress(
        f"train {args.train_command}",
        args.steps,
        lambda abort, progress: run_training(cfg, abort=abort, progress=progress),
        log_line,
    )
    minutes = (time.monotonic() - start) / 60
    if exported is None:
        print(f"stopped before the first export ({minutes:.1f} min); checkpoints in {args.out}")
    else:
        print(f"exported {exported} ({minutes:.1f} min)")
    return 0


def _add_train_style_parser(train_sub) -> None:
    p = train_sub.add_parser(
        "style",
        help="learn a style generator from one exemplar image",
        description="Train a feed-forward style generator on EXEMPLAR and export "
        "texpaint-style-ID.safetensors with its model card into --out. With --install the "
        "style also joins the user's style library. Ctrl-C stops after the current step; "
        "--resume continues from the checkpoint in --out.",
    )
    p.add_argument("--exemplar", required=True, type=Path, metavar="IMG", help="style image")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    p.add_argument("--name", metavar="NAME", help="style name (default: the file name)")
    p.add_argument("--id", dest="style_id", metavar="ID", help="style id (default: from name)")
    p.add_argument(
        "--content",
        action="append",
        type=Path,
        metavar="DIR",
        help="folder of content images (repeat; default: the bundled samples)",
    )
    p.add_argument("--steps", type=_positive_int, default=None, metavar="N")
    p.add_argument("--batch", type=_positive_int, default=None, metavar="N")
    p.add_argument("--size", type=_positive_int, default=None, metavar="PX", help="crop size")
    p.add_argument(
        "--style-px",
        type=_positive_int,
        default=None,
        metavar="PX",
        help="long side the exemplar is scaled to (sets the stroke size; default 512)",
    )
    p.add_argument("--adv", type=float, default=None, metavar="W", help="PatchGAN loss weight")
    p.add_argument(
        "--content-weight",
        type=float,
        default=None,
        metavar="W",
        help="content loss weight (higher keeps more of the content's structure)",
    )
    p.add_argument(
        "--no-colour-first",
        dest="colour_first",
        action="store_false",
        help="feed the content to the generator as it is, without first moving it to the "
        "exemplar's palette (Reinhard colour transfer)",
    )
    p.add_argument("--threads", type=_positive_int, default=None, metavar="N")
    p.add_argument("--install", action="store_true", help="add the style to the user library")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--device", choices=DEVICES, default="auto", help="compute device")
    p.add_argument(
        "--log", type=Path, metavar="FILE", help="append losses as JSON lines every 10 steps"
    )


def _cmd_train_style(args: argparse.Namespace) -> int:
    import dataclasses

    if not args.exemplar.is_file():
        raise CommandError(f"{args.exemplar}: exemplar image not found")
    for folder in args.content or []:
        if not folder.is_dir():
            raise CommandError(f"{folder}: content folder not found")
    try:
        from texpaint.models.styles import new_style_id
        from texpaint.training.gan_loop import json_lines_logger
        from texpaint.training.style_trainer import (
            StyleTrainConfig,
            load_exemplar,
            run_style_training,
        )
    except ImportError as e:
        raise CommandError(f"training is not available ({e})") from e
    name = args.name or args.exemplar.stem
    style_id = args.style_id or new_style_id(name)
    cfg = StyleTrainConfig(
        exemplar=args.exemplar,
        out_dir=args.out,
        style_id=style_id,
        name=name,
        content_dirs=list(args.content or []),
        resume=args.resume,
        device=args.device,
        threads=args.threads,
        colour_first=args.colour_first,
    )
    overrides = {
        "steps": args.steps,
        "batch": args.batch,
        "size": args.size,
        "style_px": args.style_px,
        "w_adv": args.adv,
        "w_content": args.content_weight,
    }
    cfg = dataclasses.replace(cfg, **{k: v for k, v in overrides.items() if v is not None})
    log_line = json_lines_logger(args.log) if args.log else None
    exported = _train_with_progress(
        f"train style {style_id}",
        cfg.steps,
        lambda abort, progress: run_style_training(cfg, abort=abort, progress=progress),
        log_line,
    )
    print(f"exported {exported}")
    if args.install:
        from texpaint.training.learn_style import install_style

        try:
            rgb = load_exemplar(args.exemplar, 768)
            install_style(exported, (rgb * 255 + 0.5).astype("uint8"), name, style_id)
        except OSError as e:
            raise CommandError(f"cannot install the style: {e}") from e
        print(f"installed style {style_id!r} ({name}) into the user library")
    return 0


def _train_with_progress(desc: str, steps: int, train, log_line):
    """Run ``train(abort, progress)`` with a step progress bar; the first Ctrl-C asks it to
    stop after the current step, a second one interrupts. Returns what ``train`` returns."""
    try:
        with (
            _ctrl_c_requests_stop("stopping after this step (Ctrl-C again to quit now)") as abort,
            _progress_bar(total=steps, desc=desc, unit="step") as bar,
        ):

            def progress(step: int, total: int, logs: dict) -> None:
                bar.total = total
                bar.update(max(0, step - bar.n))
                shown = {k: v for k, v in logs.items() if isinstance(v, int | float)}
                bar.set_postfix({k: f"{v:.4g}" for k, v in list(shown.items())[:4]}, refresh=False)
                if log_line is not None:
                    log_line(step, total, logs)

            return train(abort, progress)
    except (FileNotFoundError, ValueError, RuntimeError, OSError) as e:
        raise CommandError(f"training failed: {e}") from e
