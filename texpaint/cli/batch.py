"""``texpaint batch``: run operations over many images and write every size and format."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from texpaint.cli.common import (
    DEVICES,
    PROG,
    CommandCancelled,
    CommandError,
    _ctrl_c_requests_stop,
    _positive_int,
    _progress_bar,
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``texpaint batch`` to the sub-command set ``sub``."""
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
    p.set_defaults(handler=_cmd_batch)


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
    runner = None
    if any(op.is_model_op for op in plan.ops):  # a batch of resizes needs no device (no torch)
        from texpaint.engine.runner import JobRunner
        from texpaint.jobs import JobError

        runner = JobRunner(args.device)
        try:
            runner.warm_up()
        except (JobError, ValueError, RuntimeError) as e:
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

        def work(task_abort, _report, runtime):
            return run_batch(
                plan,
                abort=task_abort,
                progress=progress,
                runtime=runtime,
                sources=sources,
                jobs=args.jobs,
                device=args.device,
                file_done=file_done,
            )

        if runner is None:
            report = work(abort, None, None)
        else:  # the whole batch is one task on the one runner, as from the painter
            from texpaint.engine.runner import Task
            from texpaint.jobs import JobCancelled, JobError

            try:
                report = runner.run(Task(work), abort=abort)
            except JobCancelled as e:  # cancelled before it started
                raise CommandCancelled from e
            except JobError as e:
                raise CommandError(f"batch failed: {e}") from e
    n_out = sum(len(r.outputs) for r in report.results)
    print(
        f"{report.summary()}: {n_out} files written to {plan.output_dir} ({report.seconds:.1f} s)"
    )
    if report.cancelled:
        return 130
    return 0 if report.all_ok else 1
