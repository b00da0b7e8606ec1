"""Background work for the dialogs: run a callable off the GUI thread, get its outcome back on
the GUI thread.

The painter's short jobs that need no model or device (reading an image or project, writing
a save or an autosave, checking a community model file) all go through
:func:`run_in_background`. Each call runs ``work()`` on its own named Python thread and
delivers exactly one of ``on_result(value)`` / ``on_error(exception)``, then
``on_finished(task)``, on the thread that made the call (the GUI thread) through a queued Qt
signal. :meth:`BackgroundTask.cancel` sets the task's cancel flag (a
:class:`threading.Event` the work may poll to stop early) and drops its result or error;
``on_finished`` still follows, so owners can keep their "busy" state right. Inference jobs do
not come here: they go to the one runner that owns the device (:mod:`texpaint.ui.worker`).

Why not a library: the project prefers a well-kept library for thread helpers, and napari's
``superqt.utils.create_worker`` / ``thread_worker`` was tried first (superqt 0.9.0 with
PySide6 6.12, offscreen). Its results do arrive on the GUI thread, but while any of its
workers runs it swaps the process-wide :mod:`warnings` filters for ``"always"`` and routes
every warning, the GUI thread's too, into that worker's ``warned`` signal
(``warnings.catch_warnings`` is not thread-safe on Python 3.11): a DeprecationWarning that
this project's test settings turn into an error is silently shown instead while an autosave
runs. It also runs everything on Qt's global thread pool (on a 2-core machine, two slots:
an open would queue behind an autosave and a model check), swallows a ``RuntimeError``
raised inside generator work as a warning, re-raises unhandled errors inside a Qt slot, and
would add two runtime dependencies (QtPy, Pygments). What it would save is a few lines:
Python's :class:`threading.Thread` plus one queued Qt signal, which is what this module is.
Plain named Python threads, rather than a ``QThreadPool``, keep the thread name visible
(``texpaint-save``, ``texpaint-autosave``, ...), are seen by the test suite's guard against
threads left running, and are joined by the interpreter at exit; the app also waits for
them when it quits (:func:`shutdown_background`, connected to ``aboutToQuit``).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal, Slot

T = TypeVar("T")

_live: set[BackgroundTask] = set()
"""Tasks whose outcome has not been delivered yet (their thread may still run)."""
_live_lock = threading.Lock()
_quit_hooked: int | None = None  # id() of the application whose aboutToQuit is connected


class _Relay(QObject):
    """Lives on the calling (GUI) thread; carries the finished task there by a queued signal."""

    finished = Signal()

    def __init__(self, task: BackgroundTask) -> None:
        super().__init__()
        self._task = task
        self.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @Slot()
    def _deliver(self) -> None:
        self._task._deliver()


class BackgroundTask(Generic[T]):
    """One call of :func:`run_in_background`: its thread, cancel flag and outcome.

    Attributes:
        name: the thread's name (e.g. ``"texpaint-autosave"``).
        cancel_flag: set by :meth:`cancel`; the work may poll it to stop early.
    """

    def __init__(
        self,
        work: Callable[[], T],
        name: str,
        on_result: Callable[[T], object] | None,
        on_error: Callable[[BaseException], object] | None,
        on_finished: Callable[[BackgroundTask[T]], object] | None,
        cancel_flag: threading.Event | None,
    ) -> None:
        self.name = name
        self.cancel_flag = cancel_flag if cancel_flag is not None else threading.Event()
        self._work = work
        self._on_result = on_result
        self._on_error = on_error
        self._on_finished = on_finished
        self._value: T | None = None
        self._error: BaseException | None = None
        self._ended = threading.Event()  # set when work() has returned or raised
        self._delivered = False
        self._relay = _Relay(self)
        self._thread = threading.Thread(target=self._run, name=name)

    # ------------------------------------------------------------------ worker thread
    def _run(self) -> None:
        try:
            self._value = self._work()
        except BaseException as exc:  # noqa: BLE001 - handed to the GUI thread
            self._error = exc
        finally:
            self._work = None  # type: ignore[assignment]  # drop what the closure holds
            self._ended.set()
            self._relay.finished.emit()

    # ------------------------------------------------------------------ GUI thread
    def _deliver(self) -> None:
        self._thread.join()  # work() has returned: this only reaps the thread
        with _live_lock:
            _live.discard(self)
        self._delivered = True
        try:
            if not self.cancelled:
                if self._error is None:
                    if self._on_result is not None:
                        self._on_result(self._value)  # type: ignore[arg-type]
                elif self._on_error is not None:
                    self._on_error(self._error)
                elif self._on_finished is None:  # never lose an error: the app's (or
                    # pytest-qt's) excepthook sees it
                    sys.excepthook(type(self._error), self._error, self._error.__traceback__)
        finally:
            if self._on_finished is not None:
                self._on_finished(self)
            self._relay.deleteLater()

    def cancel(self) -> None:
        """Set the cancel flag: the work may stop early, and neither ``on_result`` nor
        ``on_error`` is called after this (``on_finished`` still is). Call on the GUI
        thread; once the outcome was delivered it changes nothing but :attr:`cancelled`."""
        self.cancel_flag.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self.cancel_flag.is_set()

    @property
    def running(self) -> bool:
        """True until ``work()`` has returned or raised (its callbacks may still be pending)."""
        return not self._ended.is_set()

    @property
    def delivered(self) -> bool:
        """True once the outcome reached the GUI thread and ``on_finished`` ran."""
        return self._delivered

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until ``work()`` has returned or raised; the callbacks still come through the
        event loop afterwards. Returns False if ``timeout_s`` (seconds) ran out first."""
        return self._ended.wait(timeout_s)

    def result(self) -> T:
        """The work's return value; raises the work's exception instead if it raised.

        Raises:
            RuntimeError: the work has not ended yet (see :meth:`wait`).
        """
        if not self._ended.is_set():
            raise RuntimeError(f"background task {self.name!r} has not finished")
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def run_in_background(
    work: Callable[[], T],
    *,
    name: str,
    on_result: Callable[[T], object] | None = None,
    on_error: Callable[[BaseException], object] | None = None,
    on_finished: Callable[[BackgroundTask[T]], object] | None = None,
    cancel_flag: threading.Event | None = None,
) -> BackgroundTask[T]:
    """Start ``work()`` on a new thread named ``name``; report back on the calling thread.

    Call it on the GUI thread (the callbacks run where it was called, through the event
    loop, so that thread must run one). The work must not touch widgets or the live document:
    hand it a snapshot.

    Args:
        work: the function to run; takes no arguments (bind them with a closure or
            :func:`functools.partial`). To be cancellable mid-way it polls ``cancel_flag``.
        name: the thread's name, e.g. ``"texpaint-open"``.
        on_result: called with ``work()``'s return value, unless the task was cancelled.
        on_error: called with the exception ``work()`` raised (any :class:`BaseException`),
            unless cancelled.
        on_finished: called with the task after the above, always (cancelled or not); it
            may read the outcome with :meth:`BackgroundTask.result`. With neither
            ``on_error`` nor ``on_finished``, an error goes to ``sys.excepthook`` (never lost).
        cancel_flag: the event :meth:`BackgroundTask.cancel` sets (a new one if None), so
            the work's closure can hold the same object.

    Returns:
        The started task.
    """
    _hook_app_quit()
    task = BackgroundTask(work, name, on_result, on_error, on_finished, cancel_flag)
    with _live_lock:
        _live.add(task)
    task._thread.start()
    return task


def active_tasks() -> list[BackgroundTask]:
    """Tasks started and not yet delivered (their thread may have ended already)."""
    with _live_lock:
        return list(_live)


def shutdown_background(timeout_s: float | None = None) -> bool:
    """Cancel every undelivered task and wait for its thread to end (app exit).

    Work that does not poll its cancel flag (a file being written) runs to its end, so no
    half-written file is left behind. Returns False if ``timeout_s`` (seconds, for all tasks
    together) ran out first.
    """
    tasks = active_tasks()
    for task in tasks:
        task.cancel()
    return wait_for_background(timeout_s)


def wait_for_background(timeout_s: float | None = None) -> bool:
    """Wait until the thread of every undelivered task has ended (nothing is cancelled).

    Returns False if ``timeout_s`` (seconds, for all tasks together) ran out first.
    """
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    for task in active_tasks():
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not task.wait(left):
            return False
        task._thread.join(left)
    return True


def _hook_app_quit() -> None:
    """Wait for background threads when the application quits (connected once per app)."""
    global _quit_hooked
    app = QCoreApplication.instance()
    if app is None or id(app) == _quit_hooked:
        return
    app.aboutToQuit.connect(shutdown_background)
    _quit_hooked = id(app)
