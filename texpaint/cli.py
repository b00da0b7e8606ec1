"""The ``texpaint`` command.

Usage::

    texpaint [FILE]                       open the GUI (optionally with FILE)
    texpaint open [FILE]                  same
    texpaint inpaint IN --mask MASK -o OUT [--model ID] [--device auto|cpu|cuda|mps]
    texpaint seamless IN -o OUT [--width PX] [--even-lighting] [--force] [--no-fit]
                     [--method quilt|network] [--model ID] [--device auto|cpu|cuda|mps]
    texpaint batch INPUTS... -o OUTDIR [--preset FILE] [--op OP ...] [--format FMT ...]
                   [--size PX|mip ...] [--naming TEMPLATE] [--overwrite skip|overwrite|unique]
                   [--recursive] [--glob PATTERN] [--passes 1|2|4|8] [--jobs N]
                   [--device auto|cpu|cuda|mps]
    texpaint denoise IN -o OUT [--sigma auto|N] [--strength S] [--mask MASK] [--model ID]
                     [--device ...]
    texpaint upscale IN -o OUT [--model ID] [--device ...]
    texpaint stylize IN --style NAME_OR_IMAGE -o OUT [--strength S] [--mask MASK]
                     [--preserve-colour] [--look painting|material] [--no-match-statistics]
                     [--device ...]
    texpaint models list
    texpaint models import FILE [--name NAME]
    texpaint models remove ID
    texpaint models default OP [ID | --reset]
    texpaint train inpaint|denoise --data DIR [--data DIR ...] --out DIR [--steps N]
                           [--batch N] [--size PX] [--resume] [--device auto|cpu|cuda|mps]
                           [--threads N] [--val DIR] [--log FILE]
    texpaint train style --exemplar IMG --out DIR [--name NAME] [--steps N] [--content DIR]
                         [--content-weight W] [--no-colour-first] [--install] [--resume]
                         [--device ...]

Exit codes: 0 success; 1 runtime failure (unreadable image, failed job, ...) with a one-line
``texpaint: error: ...`` on stderr (``batch``: some file failed); 2 usage error (from
argparse; ``batch`` also for a bad preset, unknown op/format, op without a model);
130 interrupted.

The GUI, the engine and torch are imported only by the commands that need them, so
``texpaint --help`` and usage errors are fast.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from texpaint import __version__

__all__ = ["build_parser", "main"]

PROG = "texpaint"
DEVICES = ("auto", "cpu", "cuda", "mps")
_COMMANDS = (
    "open",
    "inpaint",
    "seamless",
    "denoise",
    "upscale",
    "stylize",
    "batch",
    "batch-sets",
    "models",
    "train",
)


class CommandError(Exception):
    """A command failed at run time; the message is printed as ``texpaint: error: ...``."""


def _model_help(operation: str) -> str:
    return (
        f"{operation} model id (default: the {operation} default, see "
        f"'texpaint models default {operation}')"
    )


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for the ``texpaint`` command (sub-commands included)."""
    from texpaint.models.catalog import DEFAULT_OPERATIONS  # model cards only: no torch

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Desktop texture painter with texture-aware GAN inpainting.",
        epilog="Run 'texpaint COMMAND --help' for a command's options. "
        "'texpaint FILE' is short for 'texpaint open FILE'.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from texpaint.jobs import DEFAULT_STRENGTH  # the painter's default too

    p_open = sub.add_parser("open", help="start the painter window (the default command)")
    p_open.add_argument("file", nargs="?", type=Path, metavar="FILE", help="image to open")

    p_inp = sub.add_parser(
        "inpaint",
        help="fill the masked region of an image",
        description="Inpaint the region of IN where MASK is white and write the result to OUT. "
        "Pixels outside the mask are copied unchanged; OUT keeps IN's sample format "
        "(8/16-bit, float) and alpha where OUT's format can store them.",
    )
    p_inp.add_argument("input", nargs="?", type=Path, metavar="IN", help="image to edit")
    _add_material_set_argument(p_inp)
    p_inp.add_argument(
        "--mask",
        required=True,
        type=Path,
        metavar="MASK",
        help="mask image of the same size: white (1) = fill, black (0) = keep; "
        "grey, RGB luminance, or alpha of an RGBA file",
    )
    p_inp.add_argument(
        "-o", "--output", required=True, type=Path, metavar="OUT", help="file to write"
    )
    p_inp.add_argument("--model", metavar="ID", help=_model_help("inpaint"))
    p_inp.add_argument("--device", choices=DEVICES, default="auto", help="compute device")

    p_seam = sub.add_parser(
        "seamless",
        help="make a texture tile seamlessly",
        description="Make IN tile and write OUT. An IN that already tiles (its wrap seams look "
        "like its own interior lines) is written unchanged (copied when OUT has IN's format) "
        "unless --force. A periodic texture (bricks, tiles, planks) is cropped to whole periods "
        "(unless --no-fit) and the bands re-synthesised over its wrap seams follow its lattice, "
        "so no mortar course or grout line is lost or doubled. Pixels outside the bands are "
        "copied unchanged (unless lighting is evened); OUT keeps IN's sample format "
        "(8/16-bit, float) and alpha where OUT's format can store them.",
    )
    p_seam.add_argument("input", nargs="?", type=Path, metavar="IN", help="image to edit")
    _add_material_set_argument(p_seam)
    p_seam.add_argument(
        "-o", "--output", required=True, type=Path, metavar="OUT", help="file to write"
    )
    p_seam.add_argument(
        "--width",
        type=_positive_int,
        metavar="PX",
        help="band width in pixels over each seam (default: from the texture's scale)",
    )
    p_seam.add_argument(
        "--even-lighting",
        action="store_true",
        default=None,
        help="first divide out low-frequency lighting (gradients, vignetting); by default "
        "only when the two sides of a seam differ",
    )
    p_seam.add_argument(
        "--force", action="store_true", help="re-synthesise the seams even if IN already tiles"
    )
    p_seam.add_argument(
        "--no-fit",
        dest="fit_to_period",
        action="store_false",
        help="keep the size of a periodic texture (joints may then not line up at the wrap)",
    )
    p_seam.add_argument(
        "--method",
        choices=("quilt", "network"),
        default="quilt",
        help="band synthesis: lattice-aware quilting (default) or the inpainting network",
    )
    p_seam.add_argument("--model", metavar="ID", help=_model_help("inpaint"))
    p_seam.add_argument("--device", choices=DEVICES, default="auto", help="compute device")

    p_den = sub.add_parser(
        "denoise",
        help="remove noise and JPEG artefacts (built-in blind denoiser)",
        description="Run a denoising model (the built-in blind denoiser texpaint-denoise, or "
        "one imported with 'texpaint models import') over IN, or over the white part of MASK, "
        "and write OUT. No noise level is needed: by default it is estimated from the image "
        "(--sigma auto). Pixels where the mask is black are copied unchanged; OUT keeps IN's "
        "sample format and alpha where OUT's format can store them.",
    )
    p_den.add_argument("input", nargs="?", type=Path, metavar="IN", help="image to denoise")
    _add_material_set_argument(p_den, albedo_only=True)
    p_den.add_argument(
        "-o", "--output", required=True, type=Path, metavar="OUT", help="file to write"
    )
    p_den.add_argument(
        "--strength",
        type=_unit_float,
        default=DEFAULT_STRENGTH,
        metavar="S",
        help="0..1: how far to move from the input towards the model's output (default 1)",
    )
    p_den.add_argument(
        "--mask", type=Path, metavar="MASK", help="only where MASK is white (default: everywhere)"
    )
    p_den.add_argument(
        "--sigma",
        type=_sigma_arg,
        default="auto",
        metavar="auto|N",
        help="noise level: 'auto' (default) estimates it from the image, following brightness "
        "for camera noise; N is the noise standard deviation in 8-bit units (0-255 scale, "
        "e.g. 15 light, 50 heavy; 0 leaves clean pixels alone). Models that take no noise "
        "level (NAFNet, imported ones) ignore it",
    )
    p_den.add_argument("--model", metavar="ID", help=_model_help("denoise"))
    _add_passes_argument(p_den, "denoise")
    p_den.add_argument("--device", choices=DEVICES, default="auto", help="compute device")

    p_up = sub.add_parser(
        "upscale",
        help="enlarge an image with an imported super-resolution model",
        description="Run a super-resolution model (see 'texpaint models import') over IN and "
        "write the larger image to OUT (alpha is resized with bilinear interpolation).",
    )
    p_up.add_argument("input", type=Path, metavar="IN", help="image to upscale")
    p_up.add_argument(
        "-o", "--output", required=True, type=Path, metavar="OUT", help="file to write"
    )
    p_up.add_argument("--model", metavar="ID", help=_model_help("upscale"))
    _add_passes_argument(p_up, "upscale")
    p_up.add_argument("--device", choices=DEVICES, default="auto", help="compute device")

    _add_stylize_parser(sub)
    _add_batch_parser(sub)
    _add_batch_sets_parser(sub)

    p_models = sub.add_parser("models", help="list, import and remove models; set defaults")
    models_sub = p_models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    models_sub.add_parser("list", help="list installed models")
    p_imp = models_sub.add_parser(
        "import",
        help="import a community model (spandrel: LaMa, SCUNet, NAFNet, ESRGAN, ...)",
        description="Check FILE with spandrel, copy it into the user's data folder and register "
        "it as an inpaint, denoise or upscale model. .safetensors is preferred; .pth/.pt/.ckpt "
        "pickles are read weights-only and refused if they hold anything but weights.",
    )
    p_imp.add_argument("file", type=Path, metavar="FILE", help="weights file")
    p_imp.add_argument("--name", metavar="NAME", help="display name (default: the file name)")
    p_rm = models_sub.add_parser("remove", help="remove an imported model")
    p_rm.add_argument("model_id", metavar="ID", help="model id (see 'texpaint models list')")
    p_def = models_sub.add_parser(
        "default",
        help="show or set the default model of an operation",
        description="Show the model OP runs when no --model (or batch op :MODEL) is given, or "
        "make ID that model. The choice is kept in the user's data folder and used by the "
        "painter, the command line and batch export; when the chosen model is removed, the "
        "built-in (or first) model is used again.",
    )
    p_def.add_argument("operation", choices=DEFAULT_OPERATIONS, metavar="OP", help="operation")
    p_def.add_argument("model_id", nargs="?", metavar="ID", help="model id to make the default")
    p_def.add_argument(
        "--reset", action="store_true", help="forget the choice (use the built-in/first model)"
    )

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
        "the card beside them, and the fine-tune recipe applies (learning rate 5e-5, "
        "adversarial weight 5e-4, Gaussian/Poisson-Gaussian/JPEG/blur/demosaic degradations)",
    )
    p_td.add_argument(
        "--arch",
        choices=("nafnet_denoise", "ffdnet"),
        help="generator architecture (default: the --init card's, else nafnet_denoise)",
    )
    _add_train_style_parser(train_sub)
    return parser


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


def _add_passes_argument(parser: argparse.ArgumentParser, op: str) -> None:
    """``--passes N`` for operation ``op`` (``"denoise"``, ``"upscale"``): geometric
    self-ensemble passes (``texpaint.jobs.ENSEMBLE_PASSES``; the default is the app's)."""
    from texpaint.jobs import ENSEMBLE_PASSES, Operation, default_passes

    parser.add_argument(
        "--passes",
        type=int,
        choices=ENSEMBLE_PASSES,
        default=default_passes(Operation(op)),
        help="run the model on this many rotations/mirrorings of the image and average them: "
        "cleaner results, proportionally slower (default %(default)s)",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value}")
    return value


def _unit_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def _normalise_argv(argv: Sequence[str]) -> list[str]:
    """Make ``texpaint`` and ``texpaint FILE`` mean ``texpaint open [FILE]``."""
    args = list(argv)
    if not args:
        return ["open"]
    first = args[0]
    if first in _COMMANDS or first.startswith("-"):
        return args
    return ["open", *args]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``texpaint`` command.

    Args:
        argv: arguments without the program name; None reads ``sys.argv[1:]``.

    Returns:
        The exit code: 0 success, 1 runtime failure, 2 usage error, 130 interrupted.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(_normalise_argv(sys.argv[1:] if argv is None else argv))
    except SystemExit as e:  # argparse: 2 for usage errors, 0 for --help/--version
        return int(e.code) if isinstance(e.code, int) else 2
    try:
        if args.command == "open":
            return _cmd_open(args)
        if args.command == "inpaint":
            return _cmd_inpaint(args)
        if args.command == "seamless":
            return _cmd_seamless(args)
        if args.command == "denoise":
            return _cmd_denoise(args)
        if args.command == "upscale":
            return _cmd_upscale(args)
        if args.command == "stylize":
            return _cmd_stylize(args)
        if args.command == "batch":
            return _cmd_batch(args)
        if args.command == "batch-sets":
            return _cmd_batch_sets(args)
        if args.command == "models":
            if args.models_command == "import":
                return _cmd_models_import(args)
            if args.models_command == "remove":
                return _cmd_models_remove(args)
            if args.models_command == "default":
                return _cmd_models_default(args)
            return _cmd_models_list()
        if args.command == "train":
            if args.train_command == "style":
                return _cmd_train_style(args)
            return _cmd_train(args)
    except CommandError as e:
        _error(str(e))
        return 1
    except CommandCancelled:
        _error("cancelled; nothing was written")
        return 130
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover - argparse checks
    return 2  # pragma: no cover


def _progress_bar(**kwargs):
    """A tqdm bar on stderr (hidden when stderr is not a terminal), without tqdm's monitor
    thread, so a command leaves no thread behind when it returns."""
    from tqdm import tqdm

    tqdm.monitor_interval = 0
    return tqdm(disable=None, **kwargs)


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


class CommandCancelled(Exception):
    """The user pressed Ctrl-C and the command stopped cleanly (exit code 130, nothing
    written)."""


@contextlib.contextmanager
def _ctrl_c_requests_stop(message: str) -> Iterator[Callable[[], bool]]:
    """Within the block, the first Ctrl-C (SIGINT) only sets a flag, printing ``message``;
    the block's long loop polls the yielded ``abort()`` and stops cooperatively. A second
    Ctrl-C raises KeyboardInterrupt (exit 130). The previous handler is restored on exit."""
    stop = {"requested": False}

    def on_sigint(signum: int, frame: object) -> None:
        if stop["requested"]:
            raise KeyboardInterrupt
        stop["requested"] = True
        print(f"\n{PROG}: {message}", file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield lambda: stop["requested"]
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _job_progress(
    desc: str,
) -> Iterator[tuple[Callable[[], bool], Callable[[float, str], None]]]:
    """``(abort, progress)`` for one engine job: Ctrl-C requests a cooperative stop
    (:func:`_ctrl_c_requests_stop`) and ``progress(fraction in [0, 1], message)`` drives a
    percent bar labelled ``desc`` that disappears when the block ends."""
    with (
        _ctrl_c_requests_stop("cancelling (Ctrl-C again to quit now)") as abort,
        _progress_bar(total=100, desc=desc, unit="%", leave=False) as bar,
    ):

        def progress(fraction: float, message: str) -> None:
            bar.update(max(0, round(fraction * 100) - bar.n))
            if message:
                bar.set_postfix_str(message, refresh=False)

        yield abort, progress


# --------------------------------------------------------------------------------------------
# commands


def _cmd_open(args: argparse.Namespace) -> int:
    if args.file is not None and not args.file.is_file():
        raise CommandError(f"{args.file}: file not found")
    try:
        from texpaint.ui.app import run_gui
    except ImportError as e:
        raise CommandError(f"the painter window is not available ({e})") from e
    return int(run_gui(args.file))


def _check_output_extension(path: Path) -> None:
    """CommandError when ``path``'s extension is not a writable image format."""
    from texpaint.imaging.io import SUPPORTED_WRITE_EXTENSIONS

    if path.suffix.lower() not in SUPPORTED_WRITE_EXTENSIONS:
        raise CommandError(
            f"{path}: cannot write {path.suffix or 'files without extension'} "
            f"(supported: {', '.join(SUPPORTED_WRITE_EXTENSIONS)})"
        )


def _run_engine_job(job, device: str, desc: str):
    """Run ``job`` through ``engine.pipeline.run_job`` on ``device`` with a progress bar.

    Returns the :class:`JobResult`; CommandError when the engine or device is unusable or
    the job fails (message prefixed ``"{desc} failed: "``).
    """
    try:
        from texpaint.engine.pipeline import Runtime, run_job
        from texpaint.jobs import JobCancelled, JobError
    except ImportError as e:
        raise CommandError(f"the inference engine is not available ({e})") from e
    try:
        runtime = Runtime(device=device)
    except (JobError, ValueError, RuntimeError) as e:
        raise CommandError(f"device {device!r} is not usable ({e})") from e
    with _job_progress(desc) as (abort, progress):
        try:
            return run_job(job, abort=abort, progress=progress, runtime=runtime)
        except JobCancelled as e:
            if abort():
                raise CommandCancelled from e
            raise CommandError(f"{desc} failed: {e}") from e
        except JobError as e:
            raise CommandError(f"{desc} failed: {e}") from e


def _write_like(path: Path, source, rgb) -> None:
    """Write float32 ``rgb`` to ``path`` with ``source``'s alpha, sample format and colour
    space (where the format can store them); CommandError on failure."""
    from texpaint.imaging.io import ImageData, ImageIOError, write_image

    out = ImageData(
        rgb=rgb,
        alpha=source.alpha,
        sample_format=source.sample_format,
        colorspace=source.colorspace,
    )
    try:
        write_image(path, out)
    except ImageIOError as e:
        raise CommandError(str(e)) from e


def _read_job_inputs(args: argparse.Namespace, mask_path: Path | None, verb: str):
    """Check the output extension, read ``args.input`` and the optional mask.

    Returns ``(ImageData, mask)`` with mask float32 ``(H, W)`` in [0, 1] (all zero when
    ``mask_path`` is None). Raises :class:`CommandError` for unreadable files or a given mask
    that is empty ("nothing to ``verb``")."""
    import numpy as np

    from texpaint.imaging.io import ImageIOError, read_image, read_mask

    _check_output_extension(args.output)
    try:
        data = read_image(args.input)
        if mask_path is None:
            return data, np.zeros((data.height, data.width), np.float32)
        mask = read_mask(mask_path, shape=(data.height, data.width))
    except ImageIOError as e:
        raise CommandError(str(e)) from e
    if not np.any(mask > 0):
        raise CommandError(f"{mask_path}: the mask is empty (all black); nothing to {verb}")
    return data, mask


def _cmd_inpaint(args: argparse.Namespace) -> int:
    from texpaint.jobs import Job, Operation

    if _check_material_set_args(args):
        return _cmd_material_set(args, "inpaint")

    data, mask = _read_job_inputs(args, args.mask, "inpaint")
    job = Job(op=Operation.INPAINT, image=data.rgb, mask=mask, model_id=args.model)
    result = _run_engine_job(job, args.device, "inpainting")
    _write_like(args.output, data, result.image)
    print(
        f"wrote {args.output} ({data.width} x {data.height}, model {result.model_id}, "
        f"{result.device}, {result.seconds:.1f} s)"
    )
    return 0


def _cmd_seamless(args: argparse.Namespace) -> int:
    import shutil

    import numpy as np

    from texpaint.engine.seamless import plan_seamless
    from texpaint.jobs import Job, JobError, Operation

    if _check_material_set_args(args):
        return _cmd_material_set(args, "seamless")

    data, no_mask = _read_job_inputs(args, None, "")
    try:
        plan = plan_seamless(
            data.rgb,
            args.width,
            fit_to_period=args.fit_to_period,
            even_lighting=args.even_lighting,
            force=args.force,
        )
    except JobError as e:
        raise CommandError(f"make seamless failed: {e}") from e
    if plan.unchanged:
        if args.output.suffix.lower() == args.input.suffix.lower():
            if args.output.resolve() != args.input.resolve():
                shutil.copyfile(args.input, args.output)
        else:
            _write_like(args.output, data, data.rgb)
        print(
            f"{args.input} already tiles (worst wrap score {plan.check.worst:.2f}, limit "
            f"1.5): wrote it unchanged to {args.output}; use --force to re-synthesise"
        )
        return 0
    job = Job(
        op=Operation.SEAMLESS,
        image=data.rgb,
        mask=no_mask,
        params={
            "band_px": plan.band_px,
            "even_lighting": plan.even_lighting,
            "fit_to_period": args.fit_to_period,
            "force": args.force,
            "method": args.method,
        },
        model_id=args.model,
    )
    result = _run_engine_job(job, args.device, "make seamless")
    source = data
    if result.image.shape[:2] != (data.height, data.width) and data.alpha is not None:
        from dataclasses import replace

        from texpaint.engine.seamless import fit_image_to_period

        alpha3 = np.repeat(data.alpha[..., None], 3, axis=2)
        source = replace(data, alpha=fit_image_to_period(alpha3, plan)[..., 0])
    _write_like(args.output, source, result.image)
    h, w = result.image.shape[:2]
    print(f"wrote {args.output} ({w} x {h}: {plan.describe()}, {result.seconds:.1f} s)")
    return 0


def _sigma_arg(text: str) -> str | float:
    """``--sigma``: ``"auto"`` or a number in [0, 255] (8-bit units)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number, got {text!r}") from None
    if not 0.0 <= value <= 255.0:
        raise argparse.ArgumentTypeError(f"sigma must be from 0 to 255 (8-bit units), got {text}")
    return value


def _cmd_denoise(args: argparse.Namespace) -> int:
    from texpaint.jobs import Job, Operation

    if _check_material_set_args(args):
        return _cmd_set_albedo_only(args, _cmd_denoise)

    data, mask = _read_job_inputs(args, args.mask, "denoise")
    if args.sigma == "auto":
        from texpaint.imaging.noise_estimation import estimate_noise_level_function

        peak = float(data.rgb.max())
        rgb = data.rgb / peak if peak > 1.0 else data.rgb
        noise = f"noise {estimate_noise_level_function(rgb).describe()} (estimated, 8-bit units)"
    else:
        noise = f"noise sigma {args.sigma:g} (given, 8-bit units)"
    job = Job(
        op=Operation.DENOISE,
        image=data.rgb,
        mask=mask,
        params={"strength": args.strength, "passes": args.passes, "sigma": args.sigma},
        model_id=args.model,
    )
    result = _run_engine_job(job, args.device, "denoising")
    _write_like(args.output, data, result.image)
    print(
        f"wrote {args.output} ({data.width} x {data.height}, {noise}, "
        f"strength {args.strength:g}, "
        f"{args.passes} pass{'es' if args.passes > 1 else ''}, model {result.model_id}, "
        f"{result.device}, "
        f"{result.seconds:.1f} s)"
    )
    return 0


def _cmd_upscale(args: argparse.Namespace) -> int:
    from texpaint.imaging.resample import with_rgb
    from texpaint.jobs import Job, Operation

    data, no_mask = _read_job_inputs(args, None, "")
    job = Job(
        op=Operation.UPSCALE,
        image=data.rgb,
        mask=no_mask,
        params={"passes": args.passes},
        model_id=args.model,
    )
    result = _run_engine_job(job, args.device, "upscaling")
    h, w = result.image.shape[:2]
    _write_like(args.output, with_rgb(data, result.image), result.image)
    print(
        f"wrote {args.output} ({data.width} x {data.height} -> {w} x {h}, "
        f"model {result.model_id}, {result.device}, {result.seconds:.1f} s)"
    )
    return 0


def _cmd_models_import(args: argparse.Namespace) -> int:
    try:
        from texpaint.models.catalog import ModelLoadError
        from texpaint.models.community import import_model
    except ImportError as e:
        raise CommandError(f"model import needs spandrel ({e})") from e
    try:
        info = import_model(args.file, name=args.name)
    except ModelLoadError as e:
        raise CommandError(str(e)) from e
    card = info.card
    print(
        f"imported {info.id}: {card.get('architecture')} {info.operation} model "
        f"(scale {card.get('scale', 1)}, {_human_count(info.params)} parameters, "
        f"{_human_bytes(info.size_bytes)}) into {info.path.parent}"
    )
    if card.get("licence_note"):
        print(f"licence: {card['licence_note']}")
    return 0


def _cmd_models_remove(args: argparse.Namespace) -> int:
    from texpaint.models.catalog import ModelLoadError

    try:
        from texpaint.models.community import remove_model
    except ImportError as e:
        raise CommandError(f"model removal needs spandrel ({e})") from e
    try:
        info = remove_model(args.model_id)
    except ModelLoadError as e:
        raise CommandError(str(e)) from e
    print(f"removed {info.id} ({info.name})")
    return 0


def _cmd_models_default(args: argparse.Namespace) -> int:
    from texpaint.models.catalog import (
        ModelLoadError,
        chosen_defaults,
        default_model,
        set_default_model,
    )

    if args.reset and args.model_id:
        raise CommandError("give a model ID or --reset, not both")
    op = args.operation
    try:
        if args.reset or args.model_id:
            set_default_model(op, None if args.reset else args.model_id)
    except ModelLoadError as e:
        raise CommandError(str(e)) from e
    info = default_model(op)
    if info is None:
        print(f"{op}: no model installed")
        return 0
    if chosen_defaults().get(op) == info.id:
        how = "chosen"
    else:
        how = f"{'built-in' if info.builtin else 'first installed'} model, none chosen"
    print(f"{op}: {info.id} ({how}) - {info.name}")
    return 0


def _cmd_models_list() -> int:
    from texpaint.models.catalog import (
        DEFAULT_OPERATIONS,
        default_model,
        device_support,
        list_models,
    )

    problems: list[str] = []
    models = list_models(problems=problems)
    for problem in problems:
        print(f"texpaint: warning: {problem}", file=sys.stderr)
    if not models:
        print("no models installed")
        return 0
    defaults = {getattr(default_model(op, models), "id", None) for op in DEFAULT_OPERATIONS}
    rows = [("ID", "OPERATION", "DEFAULT", "PARAMS", "SIZE", "DEVICES", "NAME")]
    for m in models:
        rows.append(
            (
                str(m.id),
                str(m.operation),
                "*" if m.id in defaults else "",
                _human_count(m.params),
                _human_bytes(m.size_bytes),
                device_support(m).label,
                str(m.name),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1])
    return 0


def _human_count(n: int | None) -> str:
    if n is None:
        return "?"
    if n >= 1_000_000:
        return f"{n / 1e6:.1f}M"
    if n >= 1_000:
        return f"{n / 1e3:.1f}k"
    return str(n)


def _human_bytes(n: int | None) -> str:
    if n is None:
        return "?"
    if n >= 1024**2:
        return f"{n / 1024**2:.1f} MiB"
    return f"{n / 1024:.0f} KiB"


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

        if args.train_command == "inpaint":
            from texpaint.training.inpaint_trainer import InpaintTrainConfig as Config
            from texpaint.training.inpaint_trainer import run_training
        else:
            from texpaint.training.denoise_trainer import DenoiseTrainConfig as Config
            from texpaint.training.denoise_trainer import run_training
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


# --------------------------------------------------------------------------------------------
# styles


def _add_stylize_parser(sub) -> None:
    from texpaint.jobs import DEFAULT_STRENGTH  # the painter's default too

    p = sub.add_parser(
        "stylize",
        help="re-render an image in the look of a style",
        description="Run a style's feed-forward generator over IN, or over the white part of "
        "MASK (its edge fades in over 16 px inside the mask), and write OUT. Pixels where the "
        "mask is black are copied unchanged. --style takes a style id or name from the "
        "library, or an image file: then a new style is learnt from it first (minutes) and "
        "kept in the library.",
    )
    p.add_argument("input", nargs="?", type=Path, metavar="IN", help="image to stylize")
    _add_material_set_argument(p, albedo_only=True)
    p.add_argument(
        "--style", required=True, metavar="NAME_OR_IMAGE", help="style id/name, or an image"
    )
    p.add_argument("-o", "--output", required=True, type=Path, metavar="OUT", help="file to write")
    p.add_argument(
        "--strength",
        type=_unit_float,
        default=DEFAULT_STRENGTH,
        metavar="S",
        help="0..1: how far to move from the input towards the style (default 1)",
    )
    p.add_argument(
        "--mask", type=Path, metavar="MASK", help="only where MASK is white (default: everywhere)"
    )
    p.add_argument(
        "--preserve-colour",
        "--preserve-color",
        dest="preserve_colour",
        action="store_true",
        help="keep the input's colours, take only the style's light and texture",
    )
    p.add_argument(
        "--look",
        choices=("painting", "material"),
        default="painting",
        help="when --style is an image: learn a painting look that keeps IN's forms "
        "(default) or a material look that replaces its surface",
    )
    p.add_argument(
        "--no-match-statistics",
        dest="match_statistics",
        action="store_false",
        help="use the style generator's output as it is, without moving its detail "
        "(pyramid band energies) and colours to the exemplar's",
    )
    p.add_argument(
        "--quality",
        choices=("fast", "best"),
        default=None,
        help="fast: the style's feed-forward generator; best: re-paint with pieces of the "
        "exemplar guided by IN's forms (slower, needs no trained generator: an image given "
        "as --style is used at once). Default: fast",
    )
    p.add_argument("--device", choices=DEVICES, default="auto", help="compute device")


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


def _cmd_stylize(args: argparse.Namespace) -> int:
    import numpy as np

    if _check_material_set_args(args):
        return _cmd_set_albedo_only(args, _cmd_stylize)

    from texpaint.engine.stylize import LEARN_LOOKS
    from texpaint.jobs import Job, Operation
    from texpaint.models.styles import StyleLibraryError, find_style

    data, mask = _read_job_inputs(args, args.mask, "stylize")
    try:
        style = find_style(args.style)
    except StyleLibraryError as e:
        raise CommandError(str(e)) from e
    from texpaint.engine.stylize import DEFAULT_QUALITY

    quality = args.quality or DEFAULT_QUALITY
    if style is None:
        exemplar = Path(args.style)
        if not exemplar.is_file():
            raise CommandError(
                f"unknown style {args.style!r} (not a style id, name or image file; "
                "see the Stylize panel or resources/styles)"
            )
        from texpaint.imaging.io import ImageIOError, read_image

        try:
            ex = read_image(exemplar)
        except ImageIOError as e:
            raise CommandError(str(e)) from e
    if style is None and quality == "best":  # no training: the exemplar joins the library
        from texpaint.models.styles import add_user_style, new_style_id

        rgb8 = (np.clip(ex.rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        try:
            style_id = add_user_style(rgb8, exemplar.stem, new_style_id(exemplar.stem)).id
        except (OSError, StyleLibraryError) as e:
            raise CommandError(f"cannot add {exemplar} to the style library: {e}") from e
        print(f"added style {style_id!r} from {exemplar} (Best needs no training)")
    elif style is None:
        learn = Job(
            op=Operation.LEARN_STYLE,
            image=ex.rgb,
            mask=np.zeros(ex.rgb.shape[:2], np.float32),
            params={"name": exemplar.stem, "content_weight": LEARN_LOOKS[args.look]},
        )
        learnt = _run_engine_job(learn, args.device, "learning style")
        style_id = learnt.model_id.removeprefix("texpaint-style-")
        print(f"learnt style {style_id!r} from {exemplar} ({learnt.seconds / 60:.1f} min)")
    else:
        style_id = style.id
    job = Job(
        op=Operation.STYLIZE,
        image=data.rgb,
        mask=mask,
        params={
            "strength": args.strength,
            "preserve_colour": bool(args.preserve_colour),
            "match_statistics": bool(args.match_statistics),
            "quality": quality,
        },
        style_id=style_id,
    )
    result = _run_engine_job(job, args.device, "stylizing")
    _write_like(args.output, data, result.image)
    print(
        f"wrote {args.output} ({data.width} x {data.height}, style {style_id}, {quality}, "
        f"strength {args.strength:g}, {result.device}, {result.seconds:.1f} s)"
    )
    return 0


def _cmd_train_style(args: argparse.Namespace) -> int:
    import dataclasses

    if not args.exemplar.is_file():
        raise CommandError(f"{args.exemplar}: exemplar image not found")
    for folder in args.content or []:
        if not folder.is_dir():
            raise CommandError(f"{folder}: content folder not found")
    try:
        from texpaint.models.styles import add_user_style, new_style_id
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
        import shutil

        from texpaint.models.catalog import user_models_dir

        try:
            rgb = load_exemplar(args.exemplar, 768)
            add_user_style((rgb * 255 + 0.5).astype("uint8"), name, style_id)
            dest = user_models_dir()
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(exported, dest / exported.name)
            shutil.copyfile(exported.with_suffix(".json"), dest / f"{exported.stem}.json")
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


# --------------------------------------------------------------------------------------------
# batch export


def _add_batch_parser(sub) -> None:
    from texpaint.jobs import ENSEMBLE_PASSES

    p = sub.add_parser(
        "batch",
        help="process and export many textures (inpaint, resize, formats, sizes)",
        description="Run ops on many images and write every size in every format. "
        "Options given here override those of --preset. Exit status: 0 when every file "
        "succeeded (or was skipped), 1 when some failed, 2 for usage errors (bad preset, "
        "unknown op or format, an op without an installed model).",
        epilog="ops: inpaint[:MASK_PATTERN] (mask beside each image, default "
        "{stem}_mask.png), resize (one output per --size), denoise[:MODEL], stylize:STYLE, "
        "seamless, upscale[:MODEL] (an imported upscaling model; a later resize fans out "
        "from the larger size); without MODEL an op runs its default model ('texpaint models "
        "default OP'). formats: png (source depth), png8, png16, jpg[:Q], "
        "webp[:Q|lossless], tif, tif8, tif16, tif32f, exr, tga. naming tokens: {stem} {op} "
        "{size} {format} {ext}.",
    )
    p.add_argument(
        "inputs", nargs="*", type=Path, metavar="INPUTS", help="image files and/or folders"
    )
    p.add_argument("-o", "--output", type=Path, metavar="OUTDIR", help="output folder")
    p.add_argument("--preset", type=Path, metavar="FILE", help="TOML preset to start from")
    p.add_argument(
        "--op",
        action="append",
        dest="ops",
        metavar="OP",
        help="operation, in order (repeat); --size alone implies a final resize",
    )
    p.add_argument("--format", action="append", dest="formats", metavar="FMT", help="(repeat)")
    p.add_argument(
        "--size", action="append", dest="sizes", metavar="PX", help="long side in px, or mip"
    )
    p.add_argument("--naming", metavar="TEMPLATE", help="default {stem}_{op}_{size}.{ext}")
    p.add_argument("--overwrite", choices=("skip", "overwrite", "unique"))
    p.add_argument(
        "--recursive", action="store_true", default=None, help="search folders recursively"
    )
    p.add_argument("--glob", metavar="PATTERN", help="file pattern in folders (default: *)")
    p.add_argument(
        "--passes",
        type=int,
        choices=ENSEMBLE_PASSES,
        help="self-ensemble passes of the denoise and upscale ops: the model runs on this many "
        "rotations/mirrorings of each image and they are averaged; cleaner, proportionally "
        "slower (default: the preset's, else 1)",
    )
    p.add_argument(
        "--jobs", type=_positive_int, default=1, metavar="N", help="threads for reading/writing"
    )
    p.add_argument("--device", choices=DEVICES, default="auto", help="compute device")


def _batch_plan(args: argparse.Namespace):
    """Build the plan and its sources from --preset and the options; PlanError on bad input."""
    from texpaint.export.plan import BatchPlan, PlanError, load_preset, parse_op
    from texpaint.export.runner import BatchSource

    base = load_preset(args.preset).to_dict() if args.preset else {"inputs": {}}
    if args.preset:  # load_preset resolved relative paths already
        base["output_dir"] = str(load_preset(args.preset).output_dir)
    inputs = base.setdefault("inputs", {})
    folders = [p for p in args.inputs if p.is_dir()]
    files = [p for p in args.inputs if not p.is_dir()]
    if args.inputs:
        inputs["files"] = [str(f) for f in files]
        inputs.pop("folder", None)
    if args.glob is not None:
        inputs["glob"] = args.glob
    if args.recursive:
        inputs["recursive"] = True
    if args.output is not None:
        base["output_dir"] = str(args.output)
    if "output_dir" not in base:
        raise PlanError("no output folder: give -o OUTDIR (or a preset with output_dir)")
    ops = args.ops if args.ops is not None else base.get("ops", [])
    if args.sizes is not None:
        base["sizes"] = args.sizes
        if not any(parse_op(o).name == "resize" for o in ops):
            ops = [*ops, "resize"]
    base["ops"] = ops
    for key in ("formats", "naming", "overwrite", "passes"):
        if getattr(args, key) is not None:
            base[key] = getattr(args, key)
    if not inputs.get("files") and not inputs.get("folder") and not folders:
        raise PlanError("no inputs: give image files or folders (or a preset with inputs)")
    if folders and not inputs.get("files"):
        inputs["folder"] = str(folders[0])
        folders = folders[1:]
    plan = BatchPlan.from_dict(base)
    sources = [BatchSource(f, d) for f, d in plan.input_files()]
    for folder in folders:  # more than one folder: each searched like the plan's own
        more = BatchPlan.from_dict(
            {**base, "inputs": {**inputs, "files": [], "folder": str(folder)}}
        )
        known = {s.path.resolve() for s in sources}
        sources += [BatchSource(f, d) for f, d in more.input_files() if f.resolve() not in known]
    if not sources:
        raise PlanError("no input images found")
    return plan, sources


def _cmd_batch(args: argparse.Namespace) -> int:
    from texpaint.export.plan import PlanError
    from texpaint.export.runner import op_problems, run_batch

    try:
        plan, sources = _batch_plan(args)
    except PlanError as e:
        print(f"{PROG} batch: error: {e}", file=sys.stderr)
        return 2
    problems = op_problems(plan)
    if problems:
        for problem in problems:
            print(f"{PROG} batch: error: {problem}", file=sys.stderr)
        return 2
    runtime = None
    if any(op.is_model_op for op in plan.ops):
        try:
            from texpaint.engine.device import Runtime

            runtime = Runtime(args.device)
        except (ValueError, RuntimeError) as e:
            raise CommandError(f"device {args.device!r} is not usable ({e})") from e

    with (
        _ctrl_c_requests_stop("cancelling; the file in progress is rolled back") as abort,
        _progress_bar(total=len(sources), desc="batch", unit="file") as bar,
    ):

        def progress(p) -> None:
            bar.n = round(p.overall * len(sources), 2)
            bar.set_postfix_str(f"{p.file.name}: {p.message}", refresh=False)
            bar.refresh()

        def file_done(r) -> None:
            if r.status == "failed":
                bar.write(f"{PROG}: error: {r.file}: {r.error}", file=sys.stderr)

        report = run_batch(
            plan,
            abort=abort,
            progress=progress,
            runtime=runtime,
            sources=sources,
            jobs=args.jobs,
            device=args.device,
            file_done=file_done,
        )
    n_out = sum(len(r.outputs) for r in report.results)
    print(
        f"{report.summary()}: {n_out} files written to {plan.output_dir} ({report.seconds:.1f} s)"
    )
    if report.cancelled:
        return 130
    return 0 if report.all_ok else 1


# --------------------------------------------------------------------------------------------
# material sets (issue 23): one mask, every map


def _add_material_set_argument(parser: argparse.ArgumentParser, albedo_only: bool = False) -> None:
    what = (
        "only the albedo is changed (the other maps are data) and every map is written"
        if albedo_only
        else "the fill is decided on the albedo and copied into every map"
    )
    parser.add_argument(
        "--set",
        dest="material_set",
        type=Path,
        metavar="FOLDER",
        help="edit a material set instead of IN: a folder of maps (albedo, normal, height, "
        f"roughness, ... by their names) or one of its maps; {what}; -o is then the output "
        "folder",
    )
    parser.add_argument(
        "--role",
        action="append",
        dest="roles",
        default=[],
        metavar="FILE=ROLE",
        help="with --set: give a map its role when its name does not say it or says it wrong "
        "(roles: albedo, normal, height, roughness, gloss, metallic, ao, specular, arm, "
        "opacity, emission); repeat for several maps",
    )
    if not albedo_only:
        parser.add_argument(
            "--keep-normal-length",
            action="store_true",
            help="with --set: copied normals keep their own length instead of being "
            "renormalised to unit length (for normal maps whose vectors are not unit length)",
        )


def _set_output_folder(out: Path) -> Path:
    """CommandError when ``out`` (``-o`` with ``--set``) is a file or looks like one."""
    from texpaint.imaging.io import SUPPORTED_WRITE_EXTENSIONS

    if (out.exists() and not out.is_dir()) or (
        not out.exists() and out.suffix.lower() in SUPPORTED_WRITE_EXTENSIONS
    ):
        raise CommandError(f"{out}: with --set, -o names an output folder, not a file")
    return out


def _cmd_set_albedo_only(
    args: argparse.Namespace, command: Callable[[argparse.Namespace], int]
) -> int:
    """Denoise/Stylize with ``--set``: run ``command`` on the set's albedo alone (into a
    temporary TIFF of the albedo's sample format) and write every map of the set into the
    ``-o`` folder, the other maps unchanged."""
    import tempfile
    from dataclasses import replace

    from texpaint.document.material import MaterialError, open_material, save_material
    from texpaint.imaging.io import ImageIOError, read_image

    out = _set_output_folder(args.output)
    try:
        mset = open_material(args.material_set, _role_corrections(args.roles))
    except MaterialError as e:
        raise CommandError(str(e)) from e
    albedo = mset.albedo
    with tempfile.TemporaryDirectory(prefix="texpaint-set-") as tmp:
        args.input, args.material_set = albedo.path, None
        args.output = Path(tmp) / "albedo.tif"
        rc = command(args)
        if rc != 0:
            return rc
        try:
            edited = read_image(args.output)
        except ImageIOError as e:
            raise CommandError(str(e)) from e
    albedo.image = replace(albedo.image, rgb=edited.rgb)
    try:
        written = save_material(mset, out)
    except MaterialError as e:
        raise CommandError(str(e)) from e
    print(f"wrote {len(written)} maps to {out} (only {albedo.name} changed)")
    return 0


def _role_corrections(items: list[str]) -> dict[str, str]:
    """``["bumps.png=normal", ...]`` -> ``{"bumps.png": "normal"}``; CommandError for an item
    without ``=``."""
    roles = {}
    for item in items:
        name, sep, role = item.partition("=")
        if not sep or not name or not role:
            raise CommandError(f"--role takes FILE=ROLE, got {item!r}")
        roles[name.strip()] = role.strip().lower()
    return roles


def _check_material_set_args(args: argparse.Namespace) -> bool:
    """True when ``--set`` was given (and IN was not); CommandError for both or neither."""
    if args.material_set is not None and args.input is not None:
        raise CommandError("give either an image IN or --set FOLDER, not both")
    if args.material_set is None and args.input is None:
        raise CommandError("give an image IN (or --set FOLDER for a material set)")
    return args.material_set is not None


def _cmd_material_set(args: argparse.Namespace, op: str) -> int:
    """``inpaint``/``seamless`` over a material set: read the set, run the set-wide fill,
    write every map into ``args.output`` (a folder) with its own name, format and bit
    depth."""
    import numpy as np

    from texpaint.document.material import (
        MaterialError,
        inpaint_material,
        open_material,
        save_material,
        seamless_material_set,
    )
    from texpaint.imaging.io import ImageIOError, read_mask
    from texpaint.jobs import JobCancelled, JobError

    out = _set_output_folder(args.output)
    try:
        mset = open_material(args.material_set, _role_corrections(args.roles))
        w, h = mset.size
        mask = None
        if op == "inpaint":
            mask = read_mask(args.mask, shape=(h, w))
            if not np.any(mask > 0):
                raise CommandError(f"{args.mask}: the mask is empty (all black); nothing to do")
    except (MaterialError, ImageIOError) as e:
        raise CommandError(str(e)) from e
    if op == "seamless" and args.even_lighting:
        raise CommandError("--even-lighting is not available for material sets")
    desc = "inpainting the set" if op == "inpaint" else "make seamless (set)"
    lengths = "keep" if args.keep_normal_length else "unit"
    with _job_progress(desc) as (abort, progress):
        try:
            if op == "inpaint":
                result, fill = inpaint_material(
                    mset, mask, abort=abort, progress=progress, normal_length=lengths
                )
            else:
                result, fill = seamless_material_set(
                    mset,
                    args.width,
                    abort=abort,
                    progress=progress,
                    normal_length=lengths,
                    force=bool(getattr(args, "force", False)),
                )
        except JobCancelled as e:
            raise CommandCancelled from e
        except JobError as e:
            raise CommandError(f"{desc} failed: {e}") from e
    try:
        written = save_material(result, out)
    except MaterialError as e:
        raise CommandError(str(e)) from e
    if fill.unchanged:
        print(
            f"every map of {mset.name} already tiles: wrote them unchanged to {out}; use "
            "--force to re-synthesise"
        )
        return 0
    roles = ", ".join(f"{m.name} ({m.role.value})" for m in result.maps)
    print(f"wrote {len(written)} maps to {out}: {roles} ({w} x {h}, {fill.seconds:.1f} s)")
    return 0


def _add_batch_sets_parser(sub) -> None:
    p = sub.add_parser(
        "batch-sets",
        help="run the same steps over many material sets (one folder per material)",
        description="Open each FOLDER as a material set (albedo, normal, height, ... by their "
        "names), run the --op steps in order on the whole set and write every map with its own "
        "name, format and bit depth into OUTDIR/<folder name>/ (OUTDIR/<folder name>_<size>/ "
        "for each --size of a resize). Ops: inpaint[:MASKFILE] (the mask file in each set's "
        "folder, default mask.png; one fill for every map), seamless, denoise[:MODEL] and "
        "stylize:STYLE (albedo only), resize (last; colour maps in linear light, normal maps "
        "renormalised). A failing set is reported and the batch goes on.",
    )
    p.add_argument("folders", nargs="+", type=Path, metavar="FOLDER", help="material sets")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="OUTDIR")
    p.add_argument(
        "--op", action="append", dest="ops", default=[], metavar="OP", help="(repeat, in order)"
    )
    p.add_argument(
        "--size", action="append", dest="sizes", type=_positive_int, default=[], metavar="PX"
    )
    p.add_argument("--device", choices=DEVICES, default="auto", help="compute device")


def _cmd_batch_sets(args: argparse.Namespace) -> int:
    from texpaint.document.material import MaterialError
    from texpaint.export.material_batch import parse_set_op, run_material_batch

    try:
        names = [parse_set_op(o)[0] for o in args.ops]
    except MaterialError as e:
        raise CommandError(str(e)) from e
    if not names:
        raise CommandError("give at least one --op (inpaint, seamless, denoise, stylize, resize)")
    run = None
    if any(n in ("denoise", "stylize") for n in names):
        from texpaint.engine.pipeline import Runtime, run_job

        runtime = Runtime(device=args.device)

        def run(job):
            return run_job(job, runtime=runtime)

    failed = 0

    def done(r) -> None:
        nonlocal failed
        if r.error:
            failed += 1
            print(f"{r.source}: failed: {r.error}", file=sys.stderr)
        else:
            print(f"{r.source}: wrote {len(r.written)} maps")

    with _ctrl_c_requests_stop("stopping after this set (Ctrl-C again to quit now)") as abort:
        try:
            results = run_material_batch(
                args.folders, args.ops, args.output, sizes=args.sizes, run_job=run,
                abort=abort, on_set_done=done,
            )  # fmt: skip
        except MaterialError as e:
            raise CommandError(str(e)) from e
    print(f"{len(results) - failed} of {len(args.folders)} sets done, {failed} failed")
    if abort():
        raise CommandCancelled
    return 1 if failed else 0
