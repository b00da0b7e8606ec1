"""Running one job: look its operation up in the registry, check its params and mask once,
run it on the one :class:`~texpaint.engine.device.Runtime`, step down on out-of-memory.

:func:`run_job` is what the painter's worker, the CLI and batch export all call (through
:func:`job_task` on the shared :class:`~texpaint.engine.runner.JobRunner`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from texpaint.engine.device import Runtime, is_out_of_memory
from texpaint.engine.runner import Task
from texpaint.jobs import Job, JobError, JobResult
from texpaint.ops import registry
from texpaint.ops.base import OperationSpec, check_mask

__all__ = ["checked_job", "inpaint_runner", "job_task", "run_job"]

ProgressFn = Callable[[float, str], None]
AbortFn = Callable[[], bool]


def _no_progress(fraction: float, message: str) -> None:
    pass


def spec_of(job: Job) -> OperationSpec:
    """The registered operation of ``job``.

    Raises:
        JobError: no operation of that name is registered.
    """
    try:
        return registry.get(job.op)
    except KeyError as exc:
        raise JobError(str(exc.args[0])) from None


def checked_job(job: Job) -> tuple[OperationSpec, Job]:
    """``job`` with its params as the operation's checked :class:`~texpaint.ops.base.Params`
    (defaults filled in; no pixel copy), after the operation's mask check.

    Raises:
        JobError: unknown operation, a bad parameter (:class:`~texpaint.ops.base.ParamError`)
            or an empty mask where the operation needs one.
    """
    spec = spec_of(job)
    params = spec.make_params(job.params)  # ParamError is a JobError
    check_mask(spec.mask, job.mask, spec.label)
    return spec, job.with_params(params)


def run_job(
    job: Job,
    abort: AbortFn = lambda: False,
    progress: ProgressFn = _no_progress,
    runtime: Runtime | None = None,
) -> JobResult:
    """Run ``job`` and return its :class:`~texpaint.jobs.JobResult`.

    Args:
        job: the frozen job; ``job.op`` names a registered operation.
        abort: polled between steps, tiles and network passes; True cancels.
        progress: called with ``(fraction in [0, 1], message)``.
        runtime: device + model cache; a new CPU/GPU runtime ("auto") when None.

    Raises:
        JobCancelled: ``abort()`` returned True; nothing is returned.
        JobError: unknown operation, bad params, an empty mask where one is needed, a
            missing/corrupt model, or out of memory on every fallback (GPU → CPU, tiles down
            to 256 px).
    """
    t0 = time.perf_counter()
    spec, job = checked_job(job)
    runtime = runtime or Runtime("auto")
    runtime.begin_job()
    while True:
        try:
            out = spec.run(job, runtime, abort, progress)
            break
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            step_down = runtime.recover_from_oom()
            if step_down is None:
                raise JobError(
                    f"Out of memory while running {spec.label}, even on the CPU with the "
                    "smallest tiles: close other programs or work on a smaller image"
                ) from exc
            progress(0.0, step_down)
    return JobResult(
        job_id=job.job_id,
        op=job.op,
        image=out.image,
        region=out.region,
        seconds=time.perf_counter() - t0,
        device=out.device or runtime.description,
        model_id=out.model_id,
        label=spec.label,
        changes_size=spec.changes_size,
    )


def inpaint_runner(runtime: Runtime | None) -> Callable[[Job, AbortFn, ProgressFn], JobResult]:
    """A function running inpainting jobs through :func:`run_job` on ``runtime`` (None: a
    new CPU/auto runtime per job), for Make Seamless's network bands and material sets."""

    def run(job: Job, abort: AbortFn, progress: ProgressFn) -> JobResult:
        return run_job(job, abort=abort, progress=progress, runtime=runtime)

    return run


def job_task(job: Job) -> Task:
    """A :class:`~texpaint.engine.runner.Task` that runs ``job`` through :func:`run_job` on
    the runner's runtime: it reports ``(fraction, message)`` tuples and returns the
    :class:`~texpaint.jobs.JobResult`; its id is the job's id."""

    def run(abort: AbortFn, report: Callable[[Any], None], runtime: Runtime) -> JobResult:
        return run_job(job, abort, lambda f, m: report((float(f), str(m))), runtime)

    return Task(run, task_id=job.job_id, job=job)
