"""The operation commands (``texpaint inpaint``, ``denoise``, ``upscale``, ``stylize``,
``seamless`` and any other registered operation), generated from the operation registry
(:mod:`texpaint.ops.registry`).

Every operation gets ``IN``, ``-o OUT``, ``--mask`` (required, optional or absent as its
:class:`~texpaint.ops.base.MaskUse` says), one option per field of its parameter dataclass
(:func:`texpaint.ops.base.param`: flag, help, bounds, choices), ``--model`` when it runs a
model and ``--device``. The built-in operations add a few things here, in :data:`EXTRAS`:
material sets (``--set``), Make Seamless's already-tiles check, Stylize's ``--style`` (a
library style or an image to learn from) and their summary lines. An operation without an
entry there runs the generic command (read, run, write, report).
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from texpaint.cli.common import (
    DEVICES,
    CommandError,
    _model_help,
    _read_job_inputs,
    _run_engine_job,
    _write_like,
)
from texpaint.cli.material import (
    _add_material_set_argument,
    _check_material_set_args,
    _cmd_material_set,
    _cmd_set_albedo_only,
)

__all__ = ["EXTRAS", "CommandExtras", "add_parsers", "run_operation"]


@dataclass(frozen=True)
class CommandExtras:
    """What a built-in operation's command adds to the generated one.

    Attributes:
        material: ``"set"`` (``--set``: the fill decided on the albedo, copied into every
            map), ``"albedo"`` (``--set``: only the albedo changes) or None.
        add_arguments: adds options of its own to the sub-parser.
        prepare: ``prepare(args, data, params) -> (params, job_kwargs, exit_code)`` before
            the job runs: may change the params, add :class:`~texpaint.jobs.Job` keyword
            arguments (``style_id``) or finish the command (an exit code, not None).
        write: ``write(args, data, result)`` writes OUT (default: same format and alpha as
            IN, alpha resampled when the size changed).
        describe: ``describe(args, data, params, result) -> str``, the line printed after
            ``wrote OUT (...)``'s parenthesis (default: size, model, device, seconds).
    """

    material: str | None = None
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
    prepare: Callable[..., tuple[Any, dict, int | None]] | None = None
    write: Callable[..., None] | None = None
    describe: Callable[..., str] | None = None


# --------------------------------------------------------------------------------------------
# generated parsers


def _option_type(f: dataclasses.Field, info) -> Callable[[str], Any]:
    """argparse ``type`` for parameter field ``f``: its special words, else a number of its
    type, checked against its bounds and choices (one check: ``ops.base.check_value``)."""
    from texpaint.ops.base import ParamError, check_value

    kind = str(f.type)

    def parse(text: str) -> Any:
        word = text.strip().lower()
        if word in info.special:
            return word
        try:
            if "int" in kind and "float" not in kind:
                value: Any = int(text)
            elif "float" in kind:
                value = float(text)
            else:
                value = text
        except ValueError:
            words = " or ".join([*(repr(s) for s in info.special), "a number"])
            raise argparse.ArgumentTypeError(f"expected {words}, got {text!r}") from None
        try:
            return check_value(f, value)
        except ParamError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _add_param_options(parser: argparse.ArgumentParser, spec) -> None:
    """One option per field of ``spec.params`` (bools become on/off switches)."""
    for f, info in spec.params.infos():
        if info.flag == "":
            continue
        flag = info.flag or "--" + f.name.replace("_", "-")
        if "bool" in str(f.type):
            action = "store_false" if f.default is True else "store_true"
            parser.add_argument(flag, dest=f.name, action=action, default=f.default, help=info.help)
            continue
        metavar = "|".join([*info.special, "N"]) if info.special else "N"
        kwargs: dict[str, Any] = {"type": _option_type(f, info)}
        if info.choices is not None:  # argparse says "invalid choice: X (choose from ...)"
            metavar = "|".join(map(str, info.choices))
            kind = str(f.type)
            number = int if "int" in kind else float if "float" in kind else str
            kwargs = {"type": number, "choices": info.choices}
        parser.add_argument(
            flag,
            dest=f.name,
            **kwargs,
            default=f.default,
            metavar=metavar,
            help=info.help if "default" in info.help else f"{info.help} (default: %(default)s)",
        )


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Add one sub-command per registered operation to ``sub``."""
    from texpaint.ops import MaskUse, operations

    for spec in operations():
        extras = EXTRAS.get(spec.name, CommandExtras())
        p = sub.add_parser(spec.name, help=spec.summary, description=spec.description)
        p.add_argument("input", nargs="?", type=Path, metavar="IN", help="image to edit")
        if extras.material is not None:
            _add_material_set_argument(p, albedo_only=extras.material == "albedo")
        if spec.mask is MaskUse.REQUIRED:
            p.add_argument(
                "--mask",
                required=True,
                type=Path,
                metavar="MASK",
                help="mask image of the same size: white (1) = change, black (0) = keep; "
                "grey, RGB luminance, or alpha of an RGBA file",
            )
        elif spec.mask is MaskUse.WHOLE_IF_EMPTY:
            p.add_argument(
                "--mask",
                type=Path,
                metavar="MASK",
                help="only where MASK is white (default: everywhere)",
            )
        p.add_argument(
            "-o", "--output", required=True, type=Path, metavar="OUT", help="file to write"
        )
        _add_param_options(p, spec)
        if spec.model_kind is not None and spec.batch_arg != "style":
            p.add_argument("--model", metavar="ID", help=_model_help(spec.model_kind))
        if extras.add_arguments is not None:
            extras.add_arguments(p)
        p.add_argument("--device", choices=DEVICES, default="auto", help="compute device")
        p.set_defaults(handler=lambda args, spec=spec: run_operation(spec, args))


# --------------------------------------------------------------------------------------------
# the generic command


def run_operation(spec, args: argparse.Namespace) -> int:
    """Run operation ``spec`` as the command line asked (``args``); returns the exit code."""
    from texpaint.imaging.resample import with_rgb
    from texpaint.jobs import Job
    from texpaint.ops import ParamError

    extras = EXTRAS.get(spec.name, CommandExtras())
    if extras.material is not None and _check_material_set_args(args):
        if extras.material == "albedo":
            return _cmd_set_albedo_only(args, lambda a: run_operation(spec, a))
        return _cmd_material_set(args, spec.name)
    if args.input is None:
        raise CommandError("give an image IN")
    values = {f.name: getattr(args, f.name) for f, info in spec.params.infos() if info.flag != ""}
    try:
        params = spec.make_params(values)
    except ParamError as e:
        raise CommandError(str(e)) from e
    data, mask = _read_job_inputs(args, getattr(args, "mask", None), spec.name)
    job_kwargs: dict[str, Any] = {}
    if extras.prepare is not None:
        params, job_kwargs, code = extras.prepare(args, data, params)
        if code is not None:
            return code
    job = Job(
        op=spec.name,
        image=data.rgb,
        mask=mask,
        params=params,
        model_id=getattr(args, "model", None),
        **job_kwargs,
    )
    result = _run_engine_job(job, args.device, spec.verb.lower())
    if extras.write is not None:
        extras.write(args, data, result)
    else:
        _write_like(args.output, with_rgb(data, result.image), result.image)
    if extras.describe is not None:
        print(f"wrote {args.output} ({extras.describe(args, data, params, result)})")
    else:
        h, w = result.image.shape[:2]
        size = f"{data.width} x {data.height}"
        if (h, w) != (data.height, data.width):
            size += f" -> {w} x {h}"
        model = f"model {result.model_id}, " if result.model_id else ""
        print(f"wrote {args.output} ({size}, {model}{result.device}, {result.seconds:.1f} s)")
    return 0


# --------------------------------------------------------------------------------------------
# what the built-in operations add


def _seamless_prepare(args: argparse.Namespace, data, params) -> tuple[Any, dict, int | None]:
    """Plan Make Seamless; an IN that already tiles is written unchanged (exit 0)."""
    import shutil

    from texpaint.engine.seamless import plan_seamless
    from texpaint.jobs import JobError

    try:
        plan = plan_seamless(
            data.rgb,
            params["band_px"],
            fit_to_period=params["fit_to_period"],
            grow=params["grow"],
            even_lighting=params["even_lighting"],
            force=params["force"],
        )
    except JobError as e:
        raise CommandError(f"make seamless failed: {e}") from e
    args.seamless_plan = plan
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
        return params, {}, 0
    params = dataclasses.replace(params, band_px=plan.band_px, even_lighting=plan.even_lighting)
    return params, {}, None


def _seamless_write(args: argparse.Namespace, data, result) -> None:
    """OUT with IN's format; a fitted (smaller) result takes IN's alpha cropped the same way."""
    import numpy as np

    source = data
    if result.image.shape[:2] != (data.height, data.width) and data.alpha is not None:
        from texpaint.engine.seamless import fit_image_to_period

        alpha3 = np.repeat(data.alpha[..., None], 3, axis=2)
        alpha = fit_image_to_period(alpha3, args.seamless_plan)[..., 0]
        source = dataclasses.replace(data, alpha=alpha)
    _write_like(args.output, source, result.image)


def _seamless_describe(args: argparse.Namespace, data, params, result) -> str:
    h, w = result.image.shape[:2]
    return f"{w} x {h}: {args.seamless_plan.describe()}, {result.seconds:.1f} s"


def _denoise_describe(args: argparse.Namespace, data, params, result) -> str:
    if params["sigma"] == "auto":
        from texpaint.imaging.noise_estimation import estimate_noise_level_function

        peak = float(data.rgb.max())
        rgb = data.rgb / peak if peak > 1.0 else data.rgb
        noise = f"noise {estimate_noise_level_function(rgb).describe()} (estimated, 8-bit units)"
    else:
        noise = f"noise sigma {params['sigma']:g} (given, 8-bit units)"
    passes = params["passes"]
    return (
        f"{data.width} x {data.height}, {noise}, strength {params['strength']:g}, "
        f"{passes} pass{'es' if passes > 1 else ''}, model {result.model_id}, "
        f"{result.device}, {result.seconds:.1f} s"
    )


def _stylize_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--style", required=True, metavar="NAME_OR_IMAGE", help="style id/name, or an image"
    )
    p.add_argument(
        "--preserve-color", dest="preserve_colour", action="store_true", help=argparse.SUPPRESS
    )
    p.add_argument(
        "--look",
        choices=("painting", "material"),
        default="painting",
        help="when --style is an image: learn a painting look that keeps IN's forms "
        "(default) or a material look that replaces its surface",
    )


def _stylize_prepare(args: argparse.Namespace, data, params) -> tuple[Any, dict, int | None]:
    """Find ``--style`` in the library, or make a style of the image it names (at Best
    quality the exemplar joins the library at once; else a generator is learnt first, on
    the same runner as every job). ``args.style`` then names the new style, so the maps of
    a set (``--set --maps``), run one by one with the same ``args``, share one style."""
    import numpy as np

    from texpaint.models.styles import StyleLibraryError, find_style

    try:
        style = find_style(args.style)
    except StyleLibraryError as e:
        raise CommandError(str(e)) from e
    if style is not None:
        return params, {"style_id": style.id}, None
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
    if params["quality"] == "best":  # no training: the exemplar joins the library
        from texpaint.models.styles import add_user_style, new_style_id

        rgb8 = (np.clip(ex.rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
        try:
            style_id = add_user_style(rgb8, exemplar.stem, new_style_id(exemplar.stem)).id
        except (OSError, StyleLibraryError) as e:
            raise CommandError(f"cannot add {exemplar} to the style library: {e}") from e
        print(f"added style {style_id!r} from {exemplar} (Best needs no training)")
    else:
        style_id = _learn_style(ex.rgb, exemplar, args)
    args.style = style_id  # a later run with these args (the next map of a set) reuses it
    return params, {"style_id": style_id}, None


def _learn_style(rgb, exemplar: Path, args: argparse.Namespace) -> str:
    """Learn a style from ``rgb`` on a runner for ``args.device``; returns its id."""
    import time

    from texpaint.cli.common import CommandCancelled, _job_progress
    from texpaint.engine.runner import JobRunner, Task
    from texpaint.jobs import JobCancelled, JobError
    from texpaint.training.learn_style import LEARN_LOOKS, learn_style

    values = {"name": exemplar.stem, "content_weight": LEARN_LOOKS[args.look]}
    runner = JobRunner(args.device)
    t0 = time.perf_counter()
    with _job_progress("learning style") as (abort, progress):

        def run(task_abort, report, runtime) -> tuple[str, str]:
            return learn_style(rgb, values, task_abort, progress, None, runtime.device.type)

        try:
            style_id, _model_id = runner.run(Task(run), abort=abort)
        except JobCancelled as e:
            raise CommandCancelled from e
        except JobError as e:
            raise CommandError(f"learning style failed: {e}") from e
    minutes = (time.perf_counter() - t0) / 60
    print(f"learnt style {style_id!r} from {exemplar} ({minutes:.1f} min)")
    return style_id


def _stylize_describe(args: argparse.Namespace, data, params, result) -> str:
    style = args.style if result.model_id == "" else result.model_id.removeprefix("texpaint-style-")
    return (
        f"{data.width} x {data.height}, style {style}, {params['quality']}, "
        f"strength {params['strength']:g}, {result.device}, {result.seconds:.1f} s"
    )


def _upscale_describe(args: argparse.Namespace, data, params, result) -> str:
    h, w = result.image.shape[:2]
    return (
        f"{data.width} x {data.height} -> {w} x {h}, model {result.model_id}, "
        f"{result.device}, {result.seconds:.1f} s"
    )


def _inpaint_describe(args: argparse.Namespace, data, params, result) -> str:
    return (
        f"{data.width} x {data.height}, model {result.model_id}, {result.device}, "
        f"{result.seconds:.1f} s"
    )


EXTRAS: dict[str, CommandExtras] = {
    "inpaint": CommandExtras(material="set", describe=_inpaint_describe),
    "seamless": CommandExtras(
        material="set",
        prepare=_seamless_prepare,
        write=_seamless_write,
        describe=_seamless_describe,
    ),
    "denoise": CommandExtras(material="albedo", describe=_denoise_describe),
    "upscale": CommandExtras(describe=_upscale_describe),
    "stylize": CommandExtras(
        material="albedo",
        add_arguments=_stylize_arguments,
        prepare=_stylize_prepare,
        describe=_stylize_describe,
    ),
}
"""What the built-in operations' commands add (:class:`CommandExtras`), by operation name."""
