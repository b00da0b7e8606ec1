"""The thin Qt wrapper around the one :class:`~texpaint.engine.runner.JobRunner`.

:class:`InferenceEngine` lives in the GUI thread; a ``QThread`` serves the runner's queue
(:meth:`~texpaint.engine.runner.JobRunner.serve`), so jobs and tasks run one at a time in
submission order, off the GUI thread, on the runner's single runtime (device and tile size
from Preferences). The runner's events come back as queued Qt signals tagged with the job
or task id. Panel jobs (:meth:`InferenceEngine.submit`, run through
:func:`texpaint.ops.runner.job_task`) and background tasks such as Batch Export
(:meth:`InferenceEngine.submit_task`) share the queue, the id sequence and the device.

torch is imported on the runner's thread (on the first job or at start-up warm-up), never in
the GUI thread.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from texpaint.engine.runner import JobRunner, Task
from texpaint.jobs import Job

__all__ = ["InferenceEngine", "Task", "TaskWatch"]


class TaskWatch(QObject):
    """Follows ONE submitted :class:`Task` (from :meth:`InferenceEngine.watch`): re-emits only
    that task's events, so a dialog connects four signals instead of filtering the engine's
    by id. Exactly one of ``finished``, ``failed``, ``cancelled`` follows a submission.

    Signals:
        reported(object): what the task reported.
        finished(object): its return value.
        failed(str): a message for the user.
        cancelled(): it was cancelled before it started (a task that stops early because it
            was cancelled while running returns normally: ``finished``).
    """

    reported = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, engine: InferenceEngine, task: Task) -> None:
        super().__init__(engine)
        self.task_id = task.task_id
        self._engine = engine
        engine.taskEvent.connect(self._on_event)
        engine.taskFinished.connect(self._on_finished)
        engine.jobFailed.connect(self._on_failed)
        engine.jobCancelled.connect(self._on_cancelled)

    def cancel(self) -> None:
        """Cancel the task (its ``abort()`` turns True)."""
        self._engine.cancel(self.task_id)

    def _done(self) -> None:
        for signal, slot in (
            (self._engine.taskEvent, self._on_event),
            (self._engine.taskFinished, self._on_finished),
            (self._engine.jobFailed, self._on_failed),
            (self._engine.jobCancelled, self._on_cancelled),
        ):
            signal.disconnect(slot)
        self.deleteLater()

    @Slot(int, object)
    def _on_event(self, task_id: int, payload: object) -> None:
        if task_id == self.task_id:
            self.reported.emit(payload)

    @Slot(int, object)
    def _on_finished(self, task_id: int, value: object) -> None:
        if task_id == self.task_id:
            self.finished.emit(value)
            self._done()

    @Slot(int, str)
    def _on_failed(self, task_id: int, message: str) -> None:
        if task_id == self.task_id:
            self.failed.emit(message)
            self._done()

    @Slot(int)
    def _on_cancelled(self, task_id: int) -> None:
        if task_id == self.task_id:
            self.cancelled.emit()
            self._done()


class _ServeThread(QThread):
    """Runs ``runner.serve()``; relays the runner's events as a signal (queued to the GUI)."""

    runnerEvent = Signal(str, int, object)

    def __init__(self, runner: JobRunner) -> None:
        super().__init__()
        self.setObjectName("texpaint-inference")
        self._runner = runner
        runner.listener = lambda name, task_id, payload: self.runnerEvent.emit(
            name, task_id, payload
        )

    def run(self) -> None:  # the thread's body
        self._runner.serve()


class InferenceEngine(QObject):
    """GUI-thread front of the app's single job runner.

    Signals:
        jobStarted(int job_id), jobProgress(int job_id, float fraction 0..1, str message),
        jobFinished(object JobResult), jobFailed(int job_id, str message),
        jobCancelled(int job_id), deviceReady(str description);
        for :class:`Task` objects (``submit_task``): taskEvent(int task_id, object what the
        task reported), taskFinished(int task_id, object its return value), and jobStarted /
        jobFailed / jobCancelled with the task's id.

    Args:
        device: "auto", "cpu", "cuda" or "mps".
        parent: Qt parent.
        warm_up: pick the device and import torch on the runner's thread right away.
    """

    jobStarted = Signal(int)
    jobProgress = Signal(int, float, str)
    jobFinished = Signal(object)
    jobFailed = Signal(int, str)
    jobCancelled = Signal(int)
    deviceReady = Signal(str)
    taskEvent = Signal(int, object)
    taskFinished = Signal(int, object)

    def __init__(self, device: str = "auto", parent: QObject | None = None, warm_up: bool = True):
        super().__init__(parent)
        self.runner = JobRunner(device)
        self._pending: set[int] = set()
        self._jobs: set[int] = set()
        self._warm_ids: set[int] = set()
        self._thread = _ServeThread(self.runner)
        self._thread.runnerEvent.connect(self._on_event)
        self._thread.start()
        if warm_up:
            self.warm_up()

    def warm_up(self) -> None:
        """Import torch and pick the device now, on the runner's thread; ``deviceReady``
        follows (with ``"no device: ..."`` when none can be used)."""
        task = Task(lambda abort, report, runtime: runtime.description)
        self._warm_ids.add(task.task_id)
        self.runner.submit(task)

    def submit(self, job: Job) -> int:
        """Queue ``job`` (any registered operation); returns its id. Jobs and tasks run one at
        a time in submission order."""
        from texpaint.ops.runner import job_task

        self._jobs.add(job.job_id)
        return self.submit_task(job_task(job))

    def submit_task(self, task: Task) -> int:
        """Queue ``task`` behind the jobs and tasks already submitted; returns its id.
        ``cancel(task_id)`` (or ``cancel(None)``) makes its ``abort()`` return True."""
        self._pending.add(task.task_id)
        return self.runner.submit(task)

    def watch(self, task: Task) -> TaskWatch:
        """Submit ``task`` (:meth:`submit_task`) and return a :class:`TaskWatch` that
        re-emits only its events. Connect to the watch before control returns to the event
        loop (events arrive through it)."""
        watch = TaskWatch(self, task)
        self.submit_task(task)
        return watch

    def set_tile_size(self, tile_px: int | None) -> None:
        """Inference tile edge in pixels for jobs that start from now on (None: default)."""
        self.runner.set_tile_size(tile_px)

    def cancel(self, job_id: int | None = None) -> None:
        """Cancel one job or task, or the running and every queued one when None."""
        self.runner.cancel(job_id)

    def is_busy(self) -> bool:
        """True while any submitted job has not finished, failed or been cancelled."""
        return bool(self._pending)

    @Slot(str, int, object)
    def _on_event(self, event: str, task_id: int, payload: Any) -> None:
        if task_id in self._warm_ids:
            if event in ("finished", "failed", "cancelled"):
                self._warm_ids.discard(task_id)
                if event != "cancelled":
                    ok = event == "finished"
                    self.deviceReady.emit(str(payload) if ok else f"no device: {payload}")
            return
        is_job = task_id in self._jobs
        if event == "started":
            self.jobStarted.emit(task_id)
            return
        if event == "report":
            if is_job:
                fraction, message = payload
                self.jobProgress.emit(task_id, fraction, message)
            else:
                self.taskEvent.emit(task_id, payload)
            return
        self._pending.discard(task_id)
        self._jobs.discard(task_id)
        if event == "finished":
            if is_job:
                self.jobFinished.emit(payload)
            else:
                self.taskFinished.emit(task_id, payload)
        elif event == "failed":
            self.jobFailed.emit(task_id, str(payload))
        elif event == "cancelled":
            self.jobCancelled.emit(task_id)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything, stop the thread and wait up to ``timeout_ms``; True if it stopped."""
        if not self._thread.isRunning():
            return True
        self.runner.stop()
        return bool(self._thread.wait(timeout_ms))
