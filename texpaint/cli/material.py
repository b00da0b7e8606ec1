"""Material sets on the command line: ``--set FOLDER`` of the operation commands and
``texpaint batch-sets``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from texpaint.cli.common import (
    DEVICES,
    CommandCancelled,
    CommandError,
    _ctrl_c_requests_stop,
    _job_progress,
    _positive_int,
)


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
    if albedo_only:
        parser.add_argument(
            "--maps",
            metavar="LIST",
            help="with --set: the maps to change, comma-separated roles or file names, e.g. "
            "albedo,roughness (default: the albedo only; the other maps are data). A grey map "
            "stays grey and a normal map is renormalised where it changed",
        )
    else:
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
    """Denoise/Stylize with ``--set``: run ``command`` on each map ``--maps`` picks (default
    the albedo alone), each into a temporary TIFF of the map's sample format, keep every
    changed map valid for its role (:func:`~texpaint.document.material.conform_map`: a grey
    map stays grey, a normal map unit length) and write every map of the set into the ``-o``
    folder, the others unchanged. Nothing is written when any map fails."""
    import tempfile
    from dataclasses import replace

    import numpy as np

    from texpaint.document.material import (
        MaterialError,
        conform_map,
        open_material,
        save_material,
    )
    from texpaint.imaging.io import ImageIOError, read_image, read_mask, write_image

    out = _set_output_folder(args.output)
    try:
        mset = open_material(args.material_set, _role_corrections(args.roles))
        names = mset.pick_maps(getattr(args, "maps", None))
        w, h = mset.size
        mask_path = getattr(args, "mask", None)
        region = np.ones((h, w), bool)
        if mask_path is not None:
            m2 = read_mask(mask_path, shape=(h, w))
            if np.any(m2 > 0):
                region = m2 > 0
    except (MaterialError, ImageIOError) as e:
        raise CommandError(str(e)) from e
    args.material_set = None
    with tempfile.TemporaryDirectory(prefix="texpaint-set-") as tmp:
        for k, name in enumerate(names):
            m = mset.maps[mset.index_of(name)]
            src = Path(tmp) / f"in{k}.tif"
            try:
                write_image(src, m.image_for(".tif"))
            except ImageIOError as e:
                raise CommandError(str(e)) from e
            args.input, args.output = src, Path(tmp) / f"out{k}.tif"
            print(f"{m.name} ({m.role.value}):")
            rc = command(args)
            if rc != 0:
                return rc
            try:
                edited = read_image(args.output)
            except ImageIOError as e:
                raise CommandError(str(e)) from e
            m.image = replace(m.image, rgb=conform_map(m, edited.rgb, region))
    try:
        written = save_material(mset, out)
    except MaterialError as e:
        raise CommandError(str(e)) from e
    print(f"wrote {len(written)} maps to {out} (changed: {', '.join(names)})")
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
                assert mask is not None  # read above for inpaint
                result, fill = inpaint_material(
                    mset, mask, abort=abort, progress=progress, normal_length=lengths
                )
            else:
                result, fill = seamless_material_set(
                    mset,
                    args.band_px,
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


def add_batch_sets_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``texpaint batch-sets`` to the sub-command set ``sub``."""
    p = sub.add_parser(
        "batch-sets",
        help="run the same steps over many material sets (one folder per material)",
        description="Open each FOLDER as a material set (albedo, normal, height, ... by their "
        "names), run the --op steps in order on the whole set and write every map with its own "
        "name, format and bit depth into OUTDIR/<folder name>/ (OUTDIR/<folder name>_<size>/ "
        "for each --size of a resize). Ops: inpaint[:MASKFILE] (the mask file in each set's "
        "folder, default mask.png; one fill for every map), seamless, denoise[:MODEL] and "
        "stylize:STYLE (albedo only, unless --maps picks more), resize (last; colour maps in "
        "linear light, normal maps renormalised). A failing set is reported and the batch goes on.",
    )
    p.add_argument("folders", nargs="+", type=Path, metavar="FOLDER", help="material sets")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="OUTDIR")
    p.add_argument(
        "--op", action="append", dest="ops", default=[], metavar="OP", help="(repeat, in order)"
    )
    p.add_argument(
        "--size", action="append", dest="sizes", type=_positive_int, default=[], metavar="PX"
    )
    p.add_argument(
        "--maps",
        metavar="LIST",
        help="the maps denoise/stylize change, comma-separated roles or file names, e.g. "
        "albedo,roughness (default: the albedo only)",
    )
    p.add_argument("--device", choices=DEVICES, default="auto", help="compute device")
    p.set_defaults(handler=_cmd_batch_sets)


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
        from texpaint.engine.runner import JobRunner
        from texpaint.ops.runner import job_task

        runner = JobRunner(args.device)  # the one owner of the device for every set's jobs

        def run(job):
            return runner.run(job_task(job))

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
                maps=args.maps, abort=abort, on_set_done=done,
            )  # fmt: skip
        except MaterialError as e:
            raise CommandError(str(e)) from e
    print(f"{len(results) - failed} of {len(args.folders)} sets done, {failed} failed")
    if abort():
        raise CommandCancelled
    return 1 if failed else 0
