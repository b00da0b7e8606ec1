"""The one owner of the device: a Qt-free runner with a queue, cancel by id, progress and the
app's single :class:`~texpaint.engine.device.Runtime`.

Everything that needs the device goes through a :class:`JobRunner` as a :class:`Task`: the
painter's jobs and Batch Export (through the thin Qt wrapper
:class:`texpaint.ui.worker.InferenceEngine`, which serves the queue on its own thread), the
``texpaint`` command line and headless batch export (which run tasks synchronously with
:meth:`JobRunner.run`). A job of any operation becomes a task with
:func:`texpaint.ops.runner.job_task`. Tasks run one at a time, in submission order, so only
one holds the device; Preferences (device, tile size) apply to all of them.

Cancel is cooperative: :meth:`JobRunner.cancel` marks ids (or "everything submitted so
far") in a thread-safe book that each task's ``abort()`` reads; a task cancelled before it
starts is skipped.
"""

from __future__ import annotations

import queue
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from texpaint.jobs import Job, JobCancelled, JobError, next_job_id

if TYPE_CHECKING:
    from texpaint.engine.device import Runtime

__all__ = ["CancelBook", "JobRunner", "Outcome", "Task", "TaskFn"]

TaskFn = Callable[[Callable[[], bool], Callable[[Any], None], "Runtime"], Any]
"""``run(abort, report, runtime) -> value`` of a :class:`Task`: poll ``abort()`` (True once
the task is cancelled), send any object to whoever submitted it with ``report(obj)``, use
``runtime`` for every model pass."""


@dataclass(frozen=True)
class Task:
    """Work for the runner.

    Attributes:
        run: the work (:data:`TaskFn`).
        task_id: from the jobs' id sequence (:func:`~texpaint.jobs.next_job_id`), so one
            "cancel everything" covers jobs and tasks.
        job: the :class:`~texpaint.jobs.Job` this task runs, when it runs one (its id is
            the task's id), else None.
    """

    run: TaskFn
    task_id: int = field(default_factory=next_job_id)
    job: Job | None = None


class Outcome(Enum):
    """How a task ended (:meth:`JobRunner.execute`)."""

    FINISHED = "finished"
    CANCELLED = "cancelled"
    FAILED = "failed"


class CancelBook:
    """Thread-safe record of cancelled ids: explicit ids and an "all up to" watermark."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: set[int] = set()
        self._upto = 0

    def cancel(self, task_id: int | None, last_submitted: int) -> None:
        """Cancel ``task_id``, or (None) every id up to ``last_submitted``."""
        with self._lock:
            if task_id is None:
                self._upto = max(self._upto, last_submitted)
            else:
                self._ids.add(task_id)

    def is_cancelled(self, task_id: int) -> bool:
        """True once ``task_id`` was cancelled."""
        with self._lock:
            return task_id <= self._upto or task_id in self._ids


Listener = Callable[[str, int, Any], None]
"""``listener(event, task_id, payload)`` with event ``"started"`` (payload None),
``"report"`` (what the task reported), ``"finished"`` (its return value), ``"failed"`` (a
message for the user) or ``"cancelled"`` (None). Called on the thread that runs the task."""


_STOP = object()


class JobRunner:
    """Runs :class:`Task` objects one at a time on one :class:`Runtime`.

    Args:
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"mps"``; the runtime (and torch) is
            created on first use, on the thread that runs the first task (or
            :meth:`warm_up`).
        tile_px: inference tile edge in pixels (None: automatic); see :meth:`set_tile_size`.
        listener: receives every task's events (:data:`Listener`); None: none.

    Raises:
        JobError: from :attr:`runtime`, when the device cannot be used.
    """

    def __init__(
        self, device: str = "auto", tile_px: int | None = None, listener: Listener | None = None
    ) -> None:
        self._device = device
        self.tile_px = tile_px
        self._runtime: Runtime | None = None
        self._queue: queue.Queue[Any] = queue.Queue()
        self._cancels = CancelBook()
        self._last_id = 0
        self._lock = threading.Lock()
        self.listener = listener

    # --------------------------------------------------------------- device
    @property
    def runtime(self) -> Runtime:
        """The one :class:`Runtime` (created on first use, with torch imported)."""
        if self._runtime is None:
            from texpaint.engine.device import Runtime

            self._runtime = Runtime(self._device)
        return self._runtime

    def warm_up(self) -> str:
        """Create the runtime now; returns its description, e.g. ``"CPU (2 threads)"``."""
        return self.runtime.description

    def set_tile_size(self, tile_px: int | None) -> None:
        """Inference tile edge in pixels for tasks that start from now on (None: automatic)."""
        self.tile_px = tile_px

    # --------------------------------------------------------------- queue
    def submit(self, task: Task) -> int:
        """Queue ``task`` behind the ones already submitted; returns its id. Thread-safe."""
        with self._lock:
            self._last_id = max(self._last_id, task.task_id)
        self._queue.put(task)
        return task.task_id

    def cancel(self, task_id: int | None = None) -> None:
        """Cancel one task, or (None) the running one and every queued one. Thread-safe."""
        with self._lock:
            last = self._last_id
        self._cancels.cancel(task_id, last)

    def is_cancelled(self, task_id: int) -> bool:
        """True once ``task_id`` was cancelled."""
        return self._cancels.is_cancelled(task_id)

    def serve(self) -> None:
        """Run queued tasks until :meth:`stop`; blocks (call it on a worker thread)."""
        while True:
            task = self._queue.get()
            if task is _STOP:
                return
            self.execute(task)

    def stop(self) -> None:
        """Make :meth:`serve` return after the current task (queued tasks are dropped)."""
        self.cancel(None)
        self._queue.put(_STOP)

    # --------------------------------------------------------------- running
    def execute(
        self,
        task: Task,
        listener: Listener | None = None,
        abort: Callable[[], bool] | None = None,
    ) -> tuple[Outcome, Any]:
        """Run ``task`` now on the calling thread, telling ``listener`` (default: the
        runner's) what happens; never raises for the task's own errors. ``abort``, when
        given, also cancels the task when it returns True (the CLI's Ctrl-C flag).

        Returns:
            ``(Outcome.FINISHED, value)``, ``(Outcome.CANCELLED, None)`` or
            ``(Outcome.FAILED, message)``. Failures of :class:`~texpaint.jobs.JobError`
            and :class:`MemoryError` carry their message; any other exception carries its
            type and message (and its traceback goes to stderr).
        """
        tell = listener or self.listener or (lambda event, task_id, payload: None)
        task_id = task.task_id
        with self._lock:
            self._last_id = max(self._last_id, task_id)

        def cancelled() -> bool:
            return self.is_cancelled(task_id) or (abort is not None and bool(abort()))

        if cancelled():
            tell("cancelled", task_id, None)
            return Outcome.CANCELLED, None
        tell("started", task_id, None)
        try:
            runtime = self.runtime
            runtime.tile_px = self.tile_px
            value = task.run(
                cancelled,
                lambda obj: tell("report", task_id, obj),
                runtime,
            )
        except JobCancelled:
            tell("cancelled", task_id, None)
            return Outcome.CANCELLED, None
        except (JobError, MemoryError) as exc:
            message = str(exc) or "out of memory"
            tell("failed", task_id, message)
            return Outcome.FAILED, message
        except Exception as exc:  # noqa: BLE001 - every failure goes back as a message
            traceback.print_exc()
            message = f"{type(exc).__name__}: {exc}"
            tell("failed", task_id, message)
            return Outcome.FAILED, message
        if task.job is not None and cancelled():
            tell("cancelled", task_id, None)  # a job cancelled at its very end is dropped
            return Outcome.CANCELLED, None
        tell("finished", task_id, value)
        return Outcome.FINISHED, value

    def run(
        self,
        task: Task,
        report: Callable[[Any], None] | None = None,
        abort: Callable[[], bool] | None = None,
    ) -> Any:
        """Run ``task`` synchronously (the CLI, headless batch) and return its value.

        Args:
            report: receives what the task reports.
            abort: also cancels the task when it returns True (e.g. a Ctrl-C flag).

        Raises:
            JobCancelled: the task was cancelled (:meth:`cancel`) before or while it ran.
            JobError: it failed (message for the user).
        """

        def listener(event: str, task_id: int, payload: Any) -> None:
            if event == "report" and report is not None:
                report(payload)

        outcome, value = self.execute(task, listener, abort)
        if outcome is Outcome.CANCELLED:
            raise JobCancelled()
        if outcome is Outcome.FAILED:
            raise JobError(value)
        return value
