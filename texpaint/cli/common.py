"""Shared pieces of the ``texpaint`` commands: errors, progress bars, Ctrl-C as a clean
cancel, running a job on the one runner, reading inputs and writing outputs."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

PROG = "texpaint"


DEVICES = ("auto", "cpu", "cuda", "mps")


class CommandError(Exception):
    """A command failed at run time; the message is printed as ``texpaint: error: ...``."""


class CommandCancelled(Exception):
    """The user pressed Ctrl-C and the command stopped cleanly (exit code 130, nothing
    written)."""


def _model_help(operation: str) -> str:
    return (
        f"{operation} model id (default: the {operation} default, see "
        f"'texpaint models default {operation}')"
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


def _progress_bar(**kwargs):
    """A tqdm bar on stderr (hidden when stderr is not a terminal), without tqdm's monitor
    thread, so a command leaves no thread behind when it returns."""
    from tqdm import tqdm

    tqdm.monitor_interval = 0
    return tqdm(disable=None, **kwargs)


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


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


def _check_output_extension(path: Path) -> None:
    """CommandError when ``path``'s extension is not a writable image format."""
    from texpaint.imaging.io import SUPPORTED_WRITE_EXTENSIONS

    if path.suffix.lower() not in SUPPORTED_WRITE_EXTENSIONS:
        raise CommandError(
            f"{path}: cannot write {path.suffix or 'files without extension'} "
            f"(supported: {', '.join(SUPPORTED_WRITE_EXTENSIONS)})"
        )


def _run_engine_job(job, device: str, desc: str):
    """Run ``job`` on a :class:`~texpaint.engine.runner.JobRunner` for ``device`` (the same
    runner and :func:`~texpaint.ops.runner.job_task` as the painter) with a progress bar;
    Ctrl-C cancels it cleanly.

    Returns the :class:`JobResult`. Raises CommandError when the engine or device is
    unusable or the job fails (message prefixed ``"{desc} failed: "``), CommandCancelled
    after Ctrl-C (nothing written).
    """
    try:
        from texpaint.engine.runner import JobRunner
        from texpaint.jobs import JobCancelled, JobError
        from texpaint.ops.runner import job_task
    except ImportError as e:
        raise CommandError(f"the inference engine is not available ({e})") from e
    runner = JobRunner(device)
    try:
        runner.warm_up()
    except (JobError, ValueError, RuntimeError) as e:
        raise CommandError(f"device {device!r} is not usable ({e})") from e
    with _job_progress(desc) as (abort, progress):
        try:
            return runner.run(job_task(job), lambda p: progress(*p), abort=abort)
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
