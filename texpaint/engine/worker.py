"""The inference worker: one QThread that owns the torch device and the loaded models.

:class:`InferenceEngine` lives in the GUI thread; the GUI calls ``submit``/``cancel`` and
listens to its signals. Jobs travel to the :class:`InferenceWorker` (moved to its own
``QThread``) by a queued signal, so they queue in that thread's event loop and run one at a
time. Results come back by queued signals tagged with the job id.

Cancel is cooperative: ``cancel`` marks ids in a thread-safe set and the pipeline polls
``abort()`` between network passes and tiles. A job cancelled before it starts is skipped.

Besides document jobs the worker runs :class:`Task` objects: background work that needs the
device but is not a document edit (the painter's Batch Export). Tasks share the jobs' queue,
their id sequence and the worker's one :class:`~texpaint.engine.device.Runtime` (device and
tile size from Preferences), so only one job or task holds the device at a time.

torch is imported inside the worker thread (on the first job or at start-up warm-up), never
in the GUI thread.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from texpaint.jobs import Job, next_job_id

if TYPE_CHECKING:
    from texpaint.engine.device import Runtime

TaskFn = Callable[[Callable[[], bool], Callable[[Any], None], "Runtime"], Any]
"""``run(abort, report, runtime) -> value`` of a :class:`Task`: poll ``abort()`` (True once
the task is cancelled), send any object to the GUI with ``report(obj)``, use ``runtime`` for
every model pass."""


@dataclass(frozen=True)
class Task:
    """Background work for the inference worker that is not a document edit.

    Attributes:
        run: the work (:data:`TaskFn`); runs on the worker thread, after the jobs and tasks
            submitted before it. An exception it raises is reported as ``jobFailed`` with
            the exception's type and message.
        task_id: from the jobs' id sequence (:func:`~texpaint.jobs.next_job_id`).
    """

    run: TaskFn
    task_id: int = field(default_factory=next_job_id)


class _CancelBook:
    """Thread-safe record of cancelled job ids (explicit ids and an 'all up to' watermark)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: set[int] = set()
        self._upto = 0

    def cancel(self, job_id: int | None, last_submitted: int) -> None:
        with self._lock:
            if job_id is None:
                self._upto = max(self._upto, last_submitted)
            else:
                self._ids.add(job_id)

    def is_cancelled(self, job_id: int) -> bool:
        with self._lock:
            return job_id <= self._upto or job_id in self._ids


class InferenceWorker(QObject):
    """Runs jobs in its own thread. Do not call its slots directly: use :class:`InferenceEngine`."""

    started = Signal(int)
    progress = Signal(int, float, str)
    preview = Signal(int, object)
    finished = Signal(object)
    failed = Signal(int, str)
    cancelled = Signal(int)
    deviceReady = Signal(str)
    taskEvent = Signal(int, object)
    taskFinished = Signal(int, object)

    def __init__(self, device: str, cancels: _CancelBook) -> None:
        super().__init__()
        self._device = device
        self._cancels = cancels
        self._runtime = None
        self.tile_px: int | None = None  # set from the GUI thread; read before each job

    def _ensure_runtime(self):
        if self._runtime is None:
            from texpaint.engine.pipeline import Runtime

            self._runtime = Runtime(self._device)
            self.deviceReady.emit(self._runtime.description)
        return self._runtime

    @Slot()
    def warm_up(self) -> None:
        """Import torch and pick the device off the GUI thread; emits ``deviceReady``."""
        try:
            self._ensure_runtime()
        except Exception as exc:  # noqa: BLE001 - reported to the user, the thread lives on
            self.deviceReady.emit(f"no device: {exc}")

    @Slot(object)
    def run(self, job: Job) -> None:
        """Run one job (slot, called through a queued connection)."""
        if self._cancels.is_cancelled(job.job_id):
            self.cancelled.emit(job.job_id)
            return
        self.started.emit(job.job_id)
        try:
            from texpaint.engine.pipeline import run_job

            runtime = self._ensure_runtime()
            runtime.tile_px = self.tile_px
            result = run_job(
                job,
                abort=lambda: self._cancels.is_cancelled(job.job_id),
                progress=lambda f, msg: self.progress.emit(job.job_id, float(f), msg),
                runtime=runtime,
                preview=lambda img: self.preview.emit(job.job_id, img),
            )
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the GUI as a message
            from texpaint.jobs import JobCancelled, JobError

            if isinstance(exc, JobCancelled):
                self.cancelled.emit(job.job_id)
            elif isinstance(exc, JobError | MemoryError):
                self.failed.emit(job.job_id, str(exc) or "out of memory")
            else:
                traceback.print_exc()
                self.failed.emit(job.job_id, f"{type(exc).__name__}: {exc}")
            return
        if self._cancels.is_cancelled(job.job_id):
            self.cancelled.emit(job.job_id)
        else:
            self.finished.emit(result)

    @Slot(object)
    def run_task(self, task: Task) -> None:
        """Run one :class:`Task` (slot, called through a queued connection) with this
        worker's runtime; ``taskFinished`` carries its return value, also when it stopped
        early because it was cancelled (the task decides what a cancel leaves behind)."""
        task_id = task.task_id
        if self._cancels.is_cancelled(task_id):
            self.cancelled.emit(task_id)
            return
        self.started.emit(task_id)
        try:
            runtime = self._ensure_runtime()
            runtime.tile_px = self.tile_px
            value = task.run(
                lambda: self._cancels.is_cancelled(task_id),
                lambda obj: self.taskEvent.emit(task_id, obj),
                runtime,
            )
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the GUI as a message
            traceback.print_exc()
            self.failed.emit(task_id, f"{type(exc).__name__}: {exc}")
            return
        self.taskFinished.emit(task_id, value)


class InferenceEngine(QObject):
    """GUI-thread front of the single inference worker thread.

    Signals:
        jobStarted(int job_id), jobProgress(int job_id, float fraction 0..1, str message),
        jobPreview(int job_id, object image): Learn Style snapshots, float32 ``(h, w, 3)``,
        jobFinished(object JobResult), jobFailed(int job_id, str message),
        jobCancelled(int job_id), deviceReady(str description);
        for :class:`Task` objects (``submit_task``): taskEvent(int task_id, object what the
        task reported), taskFinished(int task_id, object its return value), and jobStarted /
        jobFailed / jobCancelled with the task's id.

    Args:
        device: "auto", "cpu", "cuda" or "mps".
        parent: Qt parent.
        warm_up: pick the device and import torch in the worker right away.
    """

    jobStarted = Signal(int)
    jobProgress = Signal(int, float, str)
    jobPreview = Signal(int, object)
    jobFinished = Signal(object)
    jobFailed = Signal(int, str)
    jobCancelled = Signal(int)
    deviceReady = Signal(str)
    taskEvent = Signal(int, object)
    taskFinished = Signal(int, object)
    _enqueue = Signal(object)
    _enqueue_task = Signal(object)
    _warm = Signal()

    def __init__(self, device: str = "auto", parent: QObject | None = None, warm_up: bool = True):
        super().__init__(parent)
        self._cancels = _CancelBook()
        self._pending: set[int] = set()
        self._last_id = 0
        self._thread = QThread()
        self._thread.setObjectName("texpaint-inference")
        self._worker = InferenceWorker(device, self._cancels)
        self._worker.moveToThread(self._thread)
        self._enqueue.connect(self._worker.run)
        self._enqueue_task.connect(self._worker.run_task)
        self._warm.connect(self._worker.warm_up)
        w = self._worker
        w.started.connect(self.jobStarted)
        w.progress.connect(self.jobProgress)
        w.preview.connect(self.jobPreview)
        w.finished.connect(self._on_finished)
        w.failed.connect(self._on_failed)
        w.cancelled.connect(self._on_cancelled)
        w.deviceReady.connect(self.deviceReady)
        w.taskEvent.connect(self.taskEvent)
        w.taskFinished.connect(self._on_task_finished)
        self._thread.start()
        if warm_up:
            self.warm_up()

    def warm_up(self) -> None:
        """Ask the worker to import torch and pick the device now; ``deviceReady`` follows."""
        self._warm.emit()

    def submit(self, job: Job) -> int:
        """Queue ``job``; returns its id. Jobs run one at a time in submission order."""
        self._last_id = max(self._last_id, job.job_id)
        self._pending.add(job.job_id)
        self._enqueue.emit(job)
        return job.job_id

    def submit_task(self, task: Task) -> int:
        """Queue ``task`` behind the jobs and tasks already submitted; returns its id.

        ``cancel(task_id)`` (or ``cancel(None)``) makes its ``abort()`` return True."""
        self._last_id = max(self._last_id, task.task_id)
        self._pending.add(task.task_id)
        self._enqueue_task.emit(task)
        return task.task_id

    def set_tile_size(self, tile_px: int | None) -> None:
        """Inference tile edge in pixels for jobs that start from now on (None: default)."""
        self._worker.tile_px = tile_px

    def cancel(self, job_id: int | None = None) -> None:
        """Cancel one job, or the running and every queued job when ``job_id`` is None."""
        self._cancels.cancel(job_id, self._last_id)

    def is_busy(self) -> bool:
        """True while any submitted job has not finished, failed or been cancelled."""
        return bool(self._pending)

    @Slot(object)
    def _on_finished(self, result) -> None:
        self._pending.discard(result.job_id)
        self.jobFinished.emit(result)

    @Slot(int, object)
    def _on_task_finished(self, task_id: int, value: object) -> None:
        self._pending.discard(task_id)
        self.taskFinished.emit(task_id, value)

    @Slot(int, str)
    def _on_failed(self, job_id: int, message: str) -> None:
        self._pending.discard(job_id)
        self.jobFailed.emit(job_id, message)

    @Slot(int)
    def _on_cancelled(self, job_id: int) -> None:
        self._pending.discard(job_id)
        self.jobCancelled.emit(job_id)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything, stop the thread and wait up to ``timeout_ms``; True if it stopped."""
        if not self._thread.isRunning():
            return True
        self.cancel(None)
        self._thread.quit()
        return bool(self._thread.wait(timeout_ms))
