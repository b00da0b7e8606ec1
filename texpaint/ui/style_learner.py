"""Learn Style: trains a new style generator as a job on the inference worker (GUI side)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from texpaint.engine.worker import InferenceEngine
from texpaint.jobs import Job, JobResult, Operation

EXEMPLAR_MAX_PX = 768
"""Long side (pixels) the exemplar is reduced to before it is sent to the worker."""


class StyleLearner(QObject):
    """Submits one ``Operation.LEARN_STYLE`` job at a time and relays what it reports.

    The job runs on the single inference worker like every AI job (so it queues behind, and
    blocks, other jobs while it trains); the exemplar is read here, on the GUI thread, once.

    Signals:
        busyChanged(bool): learning started / ended (finished, failed or cancelled).
        progress(float, str): fraction 0..1 and message.
        preview(object): float32 ``(h, w, 3)`` snapshot of the generator's output.
        learnt(str, str): ``(style_id, model_id)`` of the new style, now in the library.
        failed(str): message for the user.
        cancelled(): the user cancelled; nothing was added.
    """

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
        engine.jobProgress.connect(self._on_progress)
        engine.jobPreview.connect(self._on_preview)
        engine.jobFinished.connect(self._on_finished)
        engine.jobFailed.connect(self._on_failed)
        engine.jobCancelled.connect(self._on_cancelled)

    @property
    def busy(self) -> bool:
        """True while a Learn Style job is queued or running."""
        return self.job_id is not None

    def start(self, exemplar: Path, name: str | None = None, **params: Any) -> int:
        """Read ``exemplar`` and submit the training job. Returns its id.

        Args:
            exemplar: any image texpaint reads.
            name: style name (default: the file's stem).
            params: optional ``steps``, ``batch``, ``size``, ``style_px`` (ints) and
                ``content_weight`` (float > 0; see :data:`texpaint.engine.stylize.LEARN_LOOKS`).

        Raises:
            ValueError: already learning, or the file cannot be read (message for the user).
        """
        import cv2

        from texpaint.imaging.io import ImageIOError, read_image

        if self.busy:
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
        job = Job(
            op=Operation.LEARN_STYLE,
            image=rgb,
            mask=np.zeros(rgb.shape[:2], np.float32),
            params={"name": name or Path(exemplar).stem, **params},
        )
        self.job_id = job.job_id
        self.engine.submit(job)
        self.busyChanged.emit(True)
        return job.job_id

    @Slot()
    def cancel(self) -> None:
        """Cancel the Learn Style job (no-op when none runs)."""
        if self.job_id is not None:
            self.engine.cancel(self.job_id)

    def _end(self) -> None:
        self.job_id = None
        self.busyChanged.emit(False)

    @Slot(int, float, str)
    def _on_progress(self, job_id: int, fraction: float, message: str) -> None:
        if job_id == self.job_id:
            self.progress.emit(fraction, message)

    @Slot(int, object)
    def _on_preview(self, job_id: int, image: object) -> None:
        if job_id == self.job_id:
            self.preview.emit(image)

    @Slot(object)
    def _on_finished(self, result: JobResult) -> None:
        if result.job_id == self.job_id:
            self._end()
            self.learnt.emit(result.model_id.removeprefix("texpaint-style-"), result.model_id)

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
