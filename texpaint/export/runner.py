"""Run a :class:`~texpaint.export.plan.BatchPlan`: read, run ops, resize, encode, write (no Qt).

Per file:

1. **read** the image (and, for ``inpaint``, its mask found by the op's pattern);
2. **model ops** through :func:`texpaint.ops.runner.run_job`, the same pipeline as the
   canvas, on one :class:`~texpaint.engine.device.Runtime`, always in the thread that called
   :func:`run_batch` and one job at a time (``upscale`` makes the image larger; its alpha
   is resampled to match, see :func:`texpaint.imaging.resample.with_rgb`); ``denoise`` and
   ``upscale`` jobs get the plan's ``passes`` (self-ensemble) when it is set, else their
   operation's default;
3. **outputs**: for every size, a high-quality downscale (``cv2.INTER_AREA`` area averaging
   in float32 on premultiplied alpha, so 16-bit and float precision is kept), then every
   format, each written atomically to a *temporary* name beside its target. Only when every
   output of the file is written are the temporary files renamed (``os.replace``) to their
   final names; on failure or cancel they are deleted, so a file's outputs appear all
   together or not at all.

A file that cannot be done (missing/corrupt/unsupported image, missing mask, op without a
model, write error) is reported in its :class:`FileResult` and the batch goes on. With
``jobs > 1``, reading and output encoding/writing run in a pool of ``jobs`` threads that
overlap with the model work of neighbouring files; model jobs stay in the caller's thread.

Resizing works on the stored encoding (sRGB values stay sRGB-encoded), as texture tools do
by default, so data maps (normals, roughness) are averaged as data.
"""

from __future__ import annotations

import itertools
import math
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np

from texpaint.export.plan import BatchPlan, OpSpec, OutputFormat, batch_arg
from texpaint.imaging.io import ImageData, ImageIOError, read_image, read_mask, write_image
from texpaint.imaging.resample import resize_plane, with_rgb

if TYPE_CHECKING:
    from texpaint.engine.device import Runtime

__all__ = [
    "BatchProgress",
    "BatchReport",
    "BatchSource",
    "FileResult",
    "downscale",
    "op_problems",
    "run_batch",
]

STATUSES = ("ok", "failed", "skipped", "cancelled")
_TEMP_MARK = ".texpaint-part"
_temp_ids = itertools.count(1)


@dataclass(frozen=True)
class BatchSource:
    """One input of a batch.

    Attributes:
        path: the image file (for in-memory images, the name outputs and masks are found by).
        subdir: output sub-folder relative to the plan's ``output_dir``.
        image: pixels to use instead of reading ``path`` (e.g. the open document), or None.
        mask: float32 ``(H, W)`` inpainting mask to use instead of the mask file, or None.
    """

    path: Path
    subdir: Path = Path(".")
    image: ImageData | None = None
    mask: np.ndarray | None = None


@dataclass
class FileResult:
    """What happened to one input file.

    Attributes:
        file: the input.
        status: ``"ok"``, ``"failed"``, ``"skipped"`` (every output existed, policy skip)
            or ``"cancelled"``.
        seconds: wall time spent on this file (s).
        model_seconds: part of ``seconds`` spent in ``run_job`` (s).
        outputs: files written (final names), empty unless ``status == "ok"``.
        error: one-line message for the user when failed, else None.
        notes: remarks (outputs left out or kept), possibly empty.
    """

    file: Path
    status: str
    seconds: float = 0.0
    model_seconds: float = 0.0
    outputs: list[Path] = field(default_factory=list)
    error: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class BatchReport:
    """The results of a whole batch, in input order.

    Attributes:
        results: one :class:`FileResult` per input.
        seconds: wall time of the batch (s).
        cancelled: True when ``abort()`` stopped the batch.
    """

    results: list[FileResult]
    seconds: float = 0.0
    cancelled: bool = False

    def count(self, status: str) -> int:
        """Number of files with ``status``."""
        return sum(1 for r in self.results if r.status == status)

    @property
    def all_ok(self) -> bool:
        """True when no file failed or was cancelled (skipped files count as done)."""
        return all(r.status in ("ok", "skipped") for r in self.results)

    def summary(self) -> str:
        """E.g. ``"4 ok, 1 failed, 0 skipped"`` (plus ``, 2 cancelled`` when any)."""
        text = (
            f"{self.count('ok')} ok, {self.count('failed')} failed, {self.count('skipped')} skipped"
        )
        cancelled = self.count("cancelled")
        return text + (f", {cancelled} cancelled" if cancelled else "")


@dataclass(frozen=True)
class BatchProgress:
    """A progress report.

    Attributes:
        overall: fraction of the whole batch done, in [0, 1].
        file_fraction: fraction of ``file`` done, in [0, 1].
        file_index: 0-based index of ``file`` among the inputs.
        file_count: number of inputs.
        file: the file this report is about.
        eta_seconds: estimated seconds until the batch ends, or None before any estimate.
        message: what is happening, e.g. ``"Inpaint 40%"``.
    """

    overall: float
    file_fraction: float
    file_index: int
    file_count: int
    file: Path
    eta_seconds: float | None
    message: str


ProgressFn = Callable[[BatchProgress], None]
AbortFn = Callable[[], bool]


class _FileFailed(Exception):
    """One input cannot be done; the message is for the user."""


class _Cancelled(Exception):
    pass


# --------------------------------------------------------------------------------------------
# resizing


def downscale(data: ImageData, long_side: int) -> ImageData:
    """Scale ``data`` down so its long side is ``long_side`` px (aspect kept).

    Area averaging (``cv2.INTER_AREA``) in float32; colour is premultiplied by alpha while
    averaging so transparent pixels do not bleed. The sample format and colour space are kept.

    Args:
        data: the image (float32 RGB ``(H, W, 3)``, optional alpha ``(H, W)``).
        long_side: target long side in pixels, ``1 <= long_side <= max(H, W)``.

    Returns:
        A new :class:`ImageData` of shape ``(round(H * s), round(W * s))`` with
        ``s = long_side / max(H, W)`` (each side at least 1 px); ``data`` itself when the
        size is unchanged.

    Raises:
        ValueError: ``long_side`` is below 1 or above the image's long side.
    """
    h, w = data.height, data.width
    if not 1 <= long_side <= max(h, w):
        raise ValueError(f"long side {long_side} is outside 1..{max(h, w)} (no upscaling)")
    if long_side == max(h, w):
        return data
    s = long_side / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))  # cv2 wants (width, height)
    if data.alpha is None:
        rgb = cv2.resize(data.rgb, size, interpolation=cv2.INTER_AREA)
        alpha = None
    else:
        a = data.alpha[:, :, None]
        both = np.concatenate([data.rgb * a, a], axis=2)
        small = cv2.resize(both, size, interpolation=cv2.INTER_AREA)
        alpha = np.clip(small[:, :, 3], 0.0, 1.0)
        safe = np.where(alpha > 0, alpha, 1.0)[:, :, None]
        rgb = np.where(alpha[:, :, None] > 0, small[:, :, :3] / safe, 0.0)
    return ImageData(
        rgb=np.ascontiguousarray(rgb, dtype=np.float32),
        alpha=None if alpha is None else np.ascontiguousarray(alpha, dtype=np.float32),
        sample_format=data.sample_format,
        colorspace=data.colorspace,
        source_path=data.source_path,
    )


# --------------------------------------------------------------------------------------------
# model ops


def op_problems(plan: BatchPlan) -> list[str]:
    """Model ops of ``plan`` that cannot run here, as one-line messages (empty when all can).

    Checks that a model of the right operation is installed for each model op
    (``inpaint``, ``denoise``, ``stylize``, ``upscale``; ``seamless`` runs the inpainting
    model, see ``engine.seamless``), e.g. ``"Upscale cannot run: unknown upscale model
    'x'"`` or ``"... model 'x' is for denoise, not upscale"``. Cheap: reads model cards only;
    no torch.
    """
    from texpaint.jobs import Job, JobError
    from texpaint.models.catalog import ModelLoadError, get_model
    from texpaint.ops import get

    problems = []
    tiny = np.zeros((1, 1, 3), np.float32)
    for op in plan.ops:
        if not op.is_model_op:
            continue
        spec = get(op.name)
        model_id = plan.model_id(op)
        if spec.model_kind is None:
            continue
        if spec.model_id_for is not None:  # e.g. Stylize: the style's generator
            style_id = op.arg if spec.batch_arg == "style" else None
            job = Job(spec.name, tiny, tiny[..., 0], model_id=model_id, style_id=style_id)
            try:
                model_id = spec.model_id_for(job)
            except JobError as e:
                hint = "" if style_id else " (name a style, e.g. stylize:starry_night)"
                problems.append(f"{op.label} cannot run: {e}{hint}")
                continue
            if model_id is None:  # runs no model (Stylize at Best quality)
                continue
        try:
            get_model(model_id, spec.model_kind)
        except ModelLoadError as e:
            problems.append(f"{op.label} cannot run: {e}")
    return problems


def _mask_path(source: Path, op: OpSpec) -> Path:
    name = op.mask_pattern.format(stem=source.stem, ext=source.suffix.lstrip("."))
    return source.parent / name


class _ModelRunner:
    """Runs model ops of one file on the shared runtime (caller's thread only)."""

    def __init__(self, plan: BatchPlan, runtime: Runtime | None, device: str) -> None:
        self.plan = plan
        self.runtime = runtime
        self.device = device

    def scale(self, op: OpSpec) -> int:
        """How many times larger ``op`` makes the image: the upscale model's card ``scale``,
        1 for every other op.

        Raises:
            _FileFailed: the upscale model is unknown or of another operation.
        """
        if op.name != "upscale":
            return 1
        from texpaint.models.catalog import ModelLoadError, get_model

        try:
            info = get_model(self.plan.model_id(op), "upscale")
        except ModelLoadError as e:
            raise _FileFailed(f"{op.label}: {e}") from e
        return int(info.card.get("scale", 1))

    def run(
        self,
        op: OpSpec,
        data: ImageData,
        mask: np.ndarray | None,
        abort: AbortFn,
        progress: Callable[[float], None],
    ) -> np.ndarray:
        """Return the new float32 ``(H, W, 3)`` pixels after ``op`` (``upscale``:
        ``(H * s, W * s, 3)``).

        Raises:
            _FileFailed: the op cannot run or its job failed. _Cancelled: aborted.
        """
        from texpaint.jobs import Job, JobCancelled, JobError
        from texpaint.ops import get
        from texpaint.ops.runner import run_job

        spec = get(op.name)
        if self.runtime is None:
            from texpaint.engine.device import Runtime

            try:
                self.runtime = Runtime(self.device)
            except ValueError as e:
                raise _FileFailed(f"device {self.device!r} is not usable: {e}") from e
        if mask is None:  # Denoise/Stylize: an all-zero mask means the whole image
            mask = np.zeros((data.height, data.width), np.float32)
        params: dict[str, int] = {}
        if "passes" in spec.params._names() and self.plan.passes is not None:
            params["passes"] = self.plan.passes  # else the operation's default
        job = Job(
            op=spec.name,
            image=data.rgb,
            mask=mask,
            params=params,
            model_id=self.plan.model_id(op),
            style_id=op.arg if spec.batch_arg == "style" else None,
        )
        try:
            result = run_job(
                job,
                abort=abort,
                progress=lambda f, _msg: progress(float(f)),
                runtime=self.runtime,
            )
        except JobCancelled as e:
            raise _Cancelled() from e
        except JobError as e:
            raise _FileFailed(f"{op.label}: {e}") from e
        except MemoryError as e:
            raise _FileFailed(f"{op.label}: out of memory") from e
        return result.image


# --------------------------------------------------------------------------------------------
# the batch


@dataclass
class _Planned:
    """One output of one file: where it goes and what to write."""

    size: int | None
    fmt: OutputFormat
    target: Path


@dataclass
class _Work:
    index: int
    source: BatchSource
    t0: float
    data: ImageData | None = None
    masks: dict[int, np.ndarray] = field(default_factory=dict)
    outputs: list[_Planned] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    model_seconds: float = 0.0


class _Batch:
    def __init__(
        self,
        plan: BatchPlan,
        sources: Sequence[BatchSource],
        abort: AbortFn,
        progress: ProgressFn | None,
        file_done: Callable[[FileResult], None] | None,
        models: _ModelRunner,
    ) -> None:
        self.plan = plan
        self.sources = list(sources)
        self.abort = abort
        self.progress_fn = progress
        self.file_done = file_done
        self.models = models
        self.lock = threading.Lock()
        self.fractions = [0.0] * len(self.sources)
        self.claimed: set[Path] = set()
        self.t0 = time.perf_counter()
        # share of a file's time per stage, for the per-file fraction
        self.w_read = 0.1
        n_model = sum(o.is_model_op for o in plan.ops)
        self.w_model = 0.5 if n_model else 0.0
        self.w_write = 1.0 - self.w_read - self.w_model

    # ---------------------------------------------------------------- progress
    def report(self, index: int, fraction: float, message: str) -> None:
        if self.progress_fn is None:
            return
        with self.lock:
            self.fractions[index] = max(self.fractions[index], min(1.0, fraction))
            n = max(1, len(self.sources))
            overall = sum(self.fractions) / n
            elapsed = time.perf_counter() - self.t0
            eta = elapsed * (1 - overall) / overall if overall > 0.005 else None
            self.progress_fn(
                BatchProgress(
                    overall=overall,
                    file_fraction=min(1.0, fraction),
                    file_index=index,
                    file_count=n,
                    file=self.sources[index].path,
                    eta_seconds=eta,
                    message=message,
                )
            )

    def check_abort(self) -> None:
        if self.abort():
            raise _Cancelled()

    # ---------------------------------------------------------------- stage 1: read
    def read(self, work: _Work) -> _Work:
        src = work.source
        self.report(work.index, 0.0, "reading")
        self.check_abort()
        try:
            data = src.image if src.image is not None else read_image(src.path)
            for i, op in enumerate(self.plan.ops):
                if batch_arg(op.name) != "mask_pattern":
                    continue
                if src.mask is not None:
                    mask = np.asarray(src.mask, np.float32)
                    if mask.shape != (data.height, data.width):
                        raise _FileFailed(f"{src.path}: mask size {mask.shape} != image size")
                else:
                    mask_file = _mask_path(src.path, op)
                    if not mask_file.is_file():
                        raise _FileFailed(f"mask not found: {mask_file}")
                    mask = read_mask(mask_file, shape=(data.height, data.width))
                if not np.any(mask > 0):
                    raise _FileFailed(f"{src.path.name}: the mask is empty (all black)")
                work.masks[i] = mask
        except ImageIOError as e:
            raise _FileFailed(str(e)) from e
        work.data = data
        self.report(work.index, self.w_read, "read")
        return work

    # ---------------------------------------------------------------- naming (caller thread)
    def plan_outputs(self, work: _Work) -> None:
        """Choose each output's final name (overwrite policy, collisions in this batch)."""
        assert work.data is not None
        plan = self.plan
        scale = math.prod(self.models.scale(op) for op in plan.ops)  # upscale ops grow it
        width, height = work.data.width * scale, work.data.height * scale
        sizes, notes = plan.output_sizes(width, height)
        work.notes += notes
        if not sizes:
            raise _FileFailed(f"no output size fits: the image is {max(width, height)} px")
        folder = plan.output_dir / work.source.subdir
        for size in sizes:
            for fmt in plan.formats:
                target = folder / plan.output_name(work.source.path.stem, size, fmt)
                if target in self.claimed:
                    if plan.overwrite != "unique":
                        raise _FileFailed(
                            f"output {target.name} is also the output of an earlier file "
                            "in this batch (use overwrite 'unique' or another naming template)"
                        )
                if target.exists() or target in self.claimed:
                    if plan.overwrite == "skip" and target not in self.claimed:
                        work.notes.append(f"kept existing {target.name}")
                        continue
                    if plan.overwrite == "unique":
                        target = self._unique(target)
                self.claimed.add(target)
                work.outputs.append(_Planned(size, fmt, target))

    def _unique(self, target: Path) -> Path:
        for i in itertools.count(1):
            candidate = target.with_name(f"{target.stem}_{i}{target.suffix}")
            if not candidate.exists() and candidate not in self.claimed:
                return candidate
        raise AssertionError("unreachable")  # pragma: no cover

    # ---------------------------------------------------------------- stage 2: model ops
    def run_models(self, work: _Work) -> None:
        assert work.data is not None
        model_ops = [(i, op) for i, op in enumerate(self.plan.ops) if op.is_model_op]
        if not model_ops:
            return
        t0 = time.perf_counter()
        data = work.data
        for k, (i, op) in enumerate(model_ops):
            self.check_abort()
            base = self.w_read + self.w_model * k / len(model_ops)
            span = self.w_model / len(model_ops)

            def on_progress(f: float, base: float = base, span: float = span, op=op) -> None:
                self.report(work.index, base + span * f, f"{op.label} {f:.0%}")

            mask = work.masks.get(i)
            if mask is not None and mask.shape != (data.height, data.width):
                mask = resize_plane(mask, (data.height, data.width))  # after an upscale
            rgb = self.models.run(op, data, mask, self.abort, on_progress)
            data = with_rgb(data, rgb)
        work.data = data
        work.model_seconds = time.perf_counter() - t0

    # ---------------------------------------------------------------- stage 3: write
    def write(self, work: _Work) -> FileResult:
        assert work.data is not None
        temps: list[tuple[Path, Path]] = []  # (temp, final)
        try:
            for folder in {p.target.parent for p in work.outputs}:
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as e:
                    raise _FileFailed(f"cannot create {folder}: {e.strerror or e}") from e
            scaled: dict[int | None, ImageData] = {}
            n = len(work.outputs)
            for k, out in enumerate(work.outputs):
                self.check_abort()
                if out.size not in scaled:
                    scaled[out.size] = (
                        work.data if out.size is None else downscale(work.data, out.size)
                    )
                temp = out.target.with_name(
                    f".{out.target.stem}{_TEMP_MARK}{os.getpid()}-{next(_temp_ids)}"
                    f"{out.target.suffix}"
                )
                temps.append((temp, out.target))
                try:
                    write_image(
                        temp,
                        scaled[out.size],
                        sample_format=out.fmt.sample_format,
                        quality=out.fmt.quality,
                    )
                except ImageIOError as e:
                    raise _FileFailed(f"{out.target.name}: {e}") from e
                frac = self.w_read + self.w_model + self.w_write * (k + 1) / n
                self.report(work.index, frac, f"wrote {k + 1}/{n}")
            self.check_abort()
            done: list[Path] = []
            for temp, final in temps:  # commit: every output of this file appears together
                try:
                    os.replace(temp, final)
                except OSError as e:
                    raise _FileFailed(f"cannot move {final.name} into place: {e}") from e
                done.append(final)
        except BaseException:
            for temp, _ in temps:
                temp.unlink(missing_ok=True)
            raise
        return FileResult(
            file=work.source.path,
            status="ok",
            seconds=time.perf_counter() - work.t0,
            model_seconds=work.model_seconds,
            outputs=done,
            notes=work.notes,
        )


def _finish(batch: _Batch, work: _Work, result: FileResult, results: list) -> None:
    result.seconds = result.seconds or (time.perf_counter() - work.t0)
    results[work.index] = result
    batch.report(work.index, 1.0, result.status)
    if batch.file_done is not None:
        batch.file_done(result)


def _outcome(work: _Work, exc: BaseException) -> FileResult:
    status = "cancelled" if isinstance(exc, _Cancelled) else "failed"
    if status == "cancelled":
        error = None
    elif isinstance(exc, _FileFailed):
        error = str(exc)
    else:  # an unexpected error in one file: report it with its type, go on with the batch
        error = f"unexpected {type(exc).__name__}: {exc}"
    return FileResult(
        file=work.source.path,
        status=status,
        seconds=time.perf_counter() - work.t0,
        model_seconds=work.model_seconds,
        error=error,
        notes=work.notes,
    )


def run_batch(
    plan: BatchPlan,
    abort: AbortFn = lambda: False,
    progress: ProgressFn | None = None,
    runtime: Runtime | None = None,
    *,
    sources: Sequence[BatchSource] | None = None,
    jobs: int = 1,
    device: str = "auto",
    file_done: Callable[[FileResult], None] | None = None,
) -> BatchReport:
    """Run ``plan`` and return a :class:`BatchReport` (one result per input, input order).

    Args:
        plan: what to do.
        abort: polled between files, outputs, network passes and tiles; True cancels. The
            file in progress is rolled back (none of its outputs appear) and the files not
            yet done are reported ``"cancelled"``.
        progress: called with :class:`BatchProgress` (serialised; from worker threads too
            when ``jobs > 1``).
        runtime: device + model cache for model ops; created on first use (``device``) when
            None. Used only from the calling thread, one job at a time.
        sources: the inputs; ``plan.input_files()`` when None.
        jobs: threads for reading and encoding/writing (1 = everything in this thread).
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"mps"`` for a new runtime.
        file_done: called with each :class:`FileResult` as its file finishes.

    Raises:
        PlanError: the plan's input folder does not exist. Per-file problems never raise;
            they are reported in the results. Errors other than those of single files
            (e.g. a bug) propagate.
    """
    t0 = time.perf_counter()
    if sources is None:
        sources = [BatchSource(path, subdir) for path, subdir in plan.input_files()]
    batch = _Batch(plan, sources, abort, progress, file_done, _ModelRunner(plan, runtime, device))
    results: list[FileResult | None] = [None] * len(batch.sources)
    jobs = max(1, int(jobs))
    works = [_Work(i, s, 0.0) for i, s in enumerate(batch.sources)]

    def start(work: _Work) -> _Work:
        work.t0 = time.perf_counter()
        return batch.read(work)

    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="texpaint-batch")
    pending_reads: dict[int, Future] = {}
    pending_writes: list[tuple[_Work, Future]] = []

    def collect_writes(block_until: int) -> None:
        """Finish write futures until at most ``block_until`` are pending."""
        while len(pending_writes) > block_until:
            w, fut = pending_writes.pop(0)
            try:
                _finish(batch, w, fut.result(), results)
            except Exception as e:  # noqa: BLE001 - one bad file never stops the batch
                _finish(batch, w, _outcome(w, e), results)

    try:
        for i, work in enumerate(works):
            if abort():
                break
            if jobs == 1:
                try:
                    start(work)
                except Exception as e:  # noqa: BLE001 - one bad file never stops the batch
                    _finish(batch, work, _outcome(work, e), results)
                    continue
            else:
                for j in range(i, min(len(works), i + jobs)):  # read ahead
                    if j not in pending_reads:
                        pending_reads[j] = pool.submit(start, works[j])
                try:
                    pending_reads.pop(i).result()
                except Exception as e:  # noqa: BLE001 - one bad file never stops the batch
                    _finish(batch, work, _outcome(work, e), results)
                    continue
            try:
                batch.plan_outputs(work)
                if not work.outputs:
                    _finish(
                        batch,
                        work,
                        FileResult(
                            work.source.path,
                            "skipped",
                            time.perf_counter() - work.t0,
                            notes=work.notes,
                        ),
                        results,
                    )
                    continue
                batch.run_models(work)
            except Exception as e:  # noqa: BLE001 - one bad file never stops the batch
                _finish(batch, work, _outcome(work, e), results)
                continue
            if jobs == 1:
                try:
                    _finish(batch, work, batch.write(work), results)
                except Exception as e:  # noqa: BLE001 - one bad file never stops the batch
                    _finish(batch, work, _outcome(work, e), results)
            else:
                pending_writes.append((work, pool.submit(batch.write, work)))
                collect_writes(block_until=jobs)
        collect_writes(block_until=0)
        for fut in pending_reads.values():
            fut.cancel()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)

    for i, r in enumerate(results):
        if r is None:
            results[i] = FileResult(file=batch.sources[i].path, status="cancelled")
    return BatchReport(
        results=[r for r in results if r is not None],
        seconds=time.perf_counter() - t0,
        cancelled=bool(abort()) and any(r.status == "cancelled" for r in results if r),
    )
