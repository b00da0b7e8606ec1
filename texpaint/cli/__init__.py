"""The ``texpaint`` command: a package of one module per command group (:mod:`.operations`
— generated from the operation registry —, :mod:`.batch`, :mod:`.material`, :mod:`.models`,
:mod:`.train`) sharing :mod:`.common` (progress bars, Ctrl-C as a clean cancel, the runner).

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
import sys
from collections.abc import Sequence
from pathlib import Path

from texpaint import __version__
from texpaint.cli.common import CommandCancelled, CommandError, _error

__all__ = ["build_parser", "main"]

_FIXED_COMMANDS = ("open", "batch", "batch-sets", "models", "train")


def _commands() -> tuple[str, ...]:
    """Every sub-command: ``open``, one per registered operation, and the fixed ones."""
    from texpaint.ops import names

    return (*_FIXED_COMMANDS, *names())


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for the ``texpaint`` command (sub-commands included; the
    operation commands are generated from :mod:`texpaint.ops.registry`)."""
    from texpaint.cli import batch, material, models, operations, train

    parser = argparse.ArgumentParser(
        prog="texpaint",
        description="Desktop texture painter with texture-aware inpainting.",
        epilog="Run 'texpaint COMMAND --help' for a command's options. "
        "'texpaint FILE' is short for 'texpaint open FILE'.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p_open = sub.add_parser("open", help="start the painter window (the default command)")
    p_open.add_argument("file", nargs="?", type=Path, metavar="FILE", help="image to open")
    p_open.set_defaults(handler=_cmd_open)
    operations.add_parsers(sub)
    batch.add_parser(sub)
    material.add_batch_sets_parser(sub)
    models.add_parser(sub)
    train.add_parser(sub)
    return parser


def _normalise_argv(argv: Sequence[str]) -> list[str]:
    """Make ``texpaint`` and ``texpaint FILE`` mean ``texpaint open [FILE]``."""
    args = list(argv)
    if not args:
        return ["open"]
    first = args[0]
    if first.startswith("-") or first in _commands():
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
    handler = getattr(args, "handler", None)
    if handler is None:  # pragma: no cover - argparse checks
        parser.error(f"unknown command {args.command!r}")
        return 2
    try:
        return int(handler(args))
    except CommandError as e:
        _error(str(e))
        return 1
    except CommandCancelled:
        _error("cancelled; nothing was written")
        return 130
    except KeyboardInterrupt:
        _error("interrupted")
        return 130


def _cmd_open(args: argparse.Namespace) -> int:
    if args.file is not None and not args.file.is_file():
        raise CommandError(f"{args.file}: file not found")
    try:
        from texpaint.ui.app import run_gui
    except ImportError as e:
        raise CommandError(f"the painter window is not available ({e})") from e
    return int(run_gui(args.file))
