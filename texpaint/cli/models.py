"""``texpaint models``: list, import and remove models; set the default of an operation."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from texpaint.cli.common import (
    CommandError,
    _human_bytes,
    _human_count,
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``texpaint models`` and its actions to the sub-command set ``sub``."""
    from texpaint.ops.registry import default_model_kinds  # declarations only: no torch

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
    p_def.add_argument("operation", choices=default_model_kinds(), metavar="OP", help="operation")
    p_def.add_argument("model_id", nargs="?", metavar="ID", help="model id to make the default")
    p_def.add_argument(
        "--reset", action="store_true", help="forget the choice (use the built-in/first model)"
    )
    p_models.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run ``texpaint models ACTION``."""
    if args.models_command == "import":
        return _cmd_models_import(args)
    if args.models_command == "remove":
        return _cmd_models_remove(args)
    if args.models_command == "default":
        return _cmd_models_default(args)
    return _cmd_models_list()


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
