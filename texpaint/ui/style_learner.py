"""Learn Style (GUI side): the exemplar joins the style library at once, so Stylize at Best
quality (guided patch synthesis, no training) can use it straight away; training its Fast
generator is optional and runs as a task on the app's one runner
(:func:`texpaint.training.learn_style.learn_style`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from texpaint.engine.runner import Task
from texpaint.ui.worker import InferenceEngine

EXEMPLAR_MAX_PX = 768
"""Long side (pixels) the exemplar is reduced to before it is sent to the worker."""


class StyleLearner(QObject):
    """Adds a learnt style to the library at once; trains at most one Fast generator at a
    time and relays what the training reports.

    The exemplar is read and added here, on the GUI thread (a few small files). Training runs
    on the app's single runner like every AI job (so it queues behind, and blocks, other
    jobs while it trains).

    Signals:
        added(str): ``style_id`` of the style just added to the library (usable by Best).
        busyChanged(bool): learning started / ended (finished, failed or cancelled).
        progress(float, str): fraction 0..1 and message.
        preview(object): float32 ``(h, w, 3)`` snapshot of the generator's output.
        learnt(str, str): ``(style_id, model_id)``: the style's Fast generator is installed.
        failed(str): message for the user.
        cancelled(): the user cancelled the training (the style stays, for Best).
    """

    added = Signal(str)
    busyChanged = Signal(bool)
    progress = Signal(float, str)
    preview = Signal(object)
    learnt = Signal(str, str)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, engine: InferenceEngine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.job_id: int | None = None
        engine.taskEvent.connect(self._on_event)
        engine.taskFinished.connect(self._on_finished)
        engine.jobFailed.connect(self._on_failed)
        engine.jobCancelled.connect(self._on_cancelled)

    @property
    def busy(self) -> bool:
        """True while a Learn Style job is queued or running."""
        return self.job_id is not None

    def start(
        self, exemplar: Path, name: str | None = None, train: bool = False, **params: Any
    ) -> str:
        """Read ``exemplar``, add it to the style library (signal ``added``) and, when
        ``train``, submit the training of its Fast generator (``learnt`` when installed).

        Args:
            exemplar: any image texpaint reads.
            name: style name (default: the file's stem).
            train: also train the Fast generator (minutes, on the runner).
            params: optional ``steps``, ``batch``, ``size``, ``style_px`` (ints) and
                ``content_weight`` (float > 0; see
                :data:`texpaint.training.learn_style.LEARN_LOOKS`) for the training.

        Returns:
            The new style's id.

        Raises:
            ValueError: training asked for while another style trains, the file cannot be
                read, or the library cannot be written (message for the user); nothing is
                added then.
        """
        import cv2

        from texpaint.imaging.io import ImageIOError, read_image
        from texpaint.models.styles import StyleLibraryError, add_user_style, new_style_id

        if train and self.busy:
            raise ValueError("A style is already being learnt.")
        try:
            data = read_image(Path(exemplar))
        except ImageIOError as exc:
            raise ValueError(str(exc)) from exc
        rgb = np.clip(data.rgb, 0.0, 1.0)
        h, w = rgb.shape[:2]
        if max(h, w) > EXEMPLAR_MAX_PX:
            s = EXEMPLAR_MAX_PX / max(h, w)
            rgb = cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        label = name or Path(exemplar).stem
        image = np.ascontiguousarray(rgb, dtype=np.float32)
        rgb8 = (image * 255.0 + 0.5).astype(np.uint8)
        try:
            style_id = add_user_style(rgb8, label, new_style_id(label)).id
        except (OSError, StyleLibraryError) as exc:
            raise ValueError(f"cannot add the style to the library: {exc}") from exc
        self.added.emit(style_id)
        if train:
            self._train(image, {"name": label, "style_id": style_id, **params})
        return style_id

    def _train(self, image: np.ndarray, values: dict[str, Any]) -> None:
        """Submit the training of the Fast generator of the style ``values["style_id"]``."""

        def run(abort, report, runtime) -> tuple[str, str]:
            from texpaint.training.learn_style import learn_style

            return learn_style(
                image,
                values,
                abort,
                lambda f, msg: report(("progress", float(f), msg)),
                lambda img: report(("preview", img)),
                runtime.device.type,
            )

        task = Task(run)
        self.job_id = task.task_id
        self.engine.submit_task(task)
        self.busyChanged.emit(True)

    @Slot()
    def cancel(self) -> None:
        """Cancel the Learn Style job (no-op when none runs)."""
        if self.job_id is not None:
            self.engine.cancel(self.job_id)

    def _end(self) -> None:
        self.job_id = None
        self.busyChanged.emit(False)

    @Slot(int, object)
    def _on_event(self, task_id: int, event: Any) -> None:
        if task_id != self.job_id:
            return
        if event[0] == "progress":
            self.progress.emit(event[1], event[2])
        elif event[0] == "preview":
            self.preview.emit(event[1])

    @Slot(int, object)
    def _on_finished(self, task_id: int, value: Any) -> None:
        if task_id == self.job_id:
            self._end()
            style_id, model_id = value
            self.learnt.emit(style_id, model_id)

    @Slot(int, str)
    def _on_failed(self, job_id: int, message: str) -> None:
        if job_id == self.job_id:
            self._end()
            self.failed.emit(message)

    @Slot(int)
    def _on_cancelled(self, job_id: int) -> None:
        if job_id == self.job_id:
            self._end()
            self.cancelled.emit()
