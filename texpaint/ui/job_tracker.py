"""Submits AI jobs for the open document and applies their results when they come back."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from texpaint.document.document import TextureDocument, operation_label
from texpaint.jobs import JobResult, Operation
from texpaint.ui.worker import InferenceEngine

_RETRY_MS = 50
_MASKED_OPS = (Operation.INPAINT, Operation.STYLIZE, Operation.DENOISE)
"""Operations that work inside the mask (Make Seamless and Upscale ignore it)."""


class JobTracker(QObject):
    """GUI-thread bookkeeping between the document and the :class:`InferenceEngine`.

    Remembers which document each job was made from; a result whose document has been
    replaced (closed, another file opened) since submission is dropped.

    Signals:
        busyChanged(bool): a job started running / the last one ended.
        progress(float, str): fraction 0..1 and message of the running job.
        resultApplied(object): the dirty image box ``(y0, y1, x0, x1)`` of an applied result.
        maskCleared(object): the box the mask covered, emptied with a result (see
            :attr:`clear_mask_after_result`); emitted before ``resultApplied``.
        finishedMessage(str): e.g. ``"Inpaint 1.84 s on CPU (2 threads)"``.
        failed(str): a job failed; the message is for the user (the document is unchanged).
        cancelled(int): a job was cancelled (the document is unchanged).
    """

    busyChanged = Signal(bool)
    progress = Signal(float, str)
    resultApplied = Signal(object)
    maskCleared = Signal(object)
    finishedMessage = Signal(str)
    failed = Signal(str)
    cancelled = Signal(int)

    def __init__(self, engine: InferenceEngine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.document: TextureDocument | None = None
        self.clear_mask_after_result = True
        """Empty the mask in the same undo step as an Inpaint, Stylize or Denoise result."""
        self._jobs: dict[int, TextureDocument] = {}
        engine.jobProgress.connect(self._on_progress)
        engine.jobFinished.connect(self._on_finished)
        engine.jobFailed.connect(self._on_failed)
        engine.jobCancelled.connect(self._on_cancelled)

    @property
    def busy(self) -> bool:
        """True while a job submitted here has not ended."""
        return bool(self._jobs)

    def run(self, request: dict[str, Any]) -> int:
        """Freeze a job from the current document and submit it. Returns its id.

        Args:
            request: ``op``, ``params``, ``model_id``, ``style_id``, ``seed`` (see
                :meth:`TextureDocument.make_job`).

        Raises:
            ValueError: no document, a bad parameter, an empty mask where the operation
                needs one (Inpaint), or the operation refuses the job before it is queued
                (:attr:`OperationSpec.precheck`: an Upscale over the pixel cap); the message
                is for the user.
        """
        if self.document is None:
            raise ValueError("Open an image first.")
        from texpaint.jobs import JobError
        from texpaint.ops import get

        spec = get(request["op"])
        params = spec.make_params(request.get("params"))  # ParamError is a ValueError
        try:
            spec.check(self.document.mask.data, request.get("model_id"))
        except JobError as exc:
            raise ValueError(str(exc)) from None
        job = self.document.make_job(
            request["op"],
            params,
            model_id=request.get("model_id"),
            style_id=request.get("style_id"),
            seed=int(request.get("seed", 0)),
        )
        was_busy = self.busy
        self._jobs[job.job_id] = self.document
        self.engine.submit(job)
        if not was_busy:
            self.busyChanged.emit(True)
        return job.job_id

    def cancel(self) -> None:
        """Cancel the running and every queued job."""
        if self.busy:
            self.engine.cancel(None)

    def _end(self, job_id: int) -> TextureDocument | None:
        doc = self._jobs.pop(job_id, None)
        if not self._jobs:
            self.busyChanged.emit(False)
        return doc

    @Slot(int, float, str)
    def _on_progress(self, job_id: int, fraction: float, message: str) -> None:
        if job_id in self._jobs:
            self.progress.emit(fraction, message)

    @Slot(object)
    def _on_finished(self, result: JobResult) -> None:
        if result.job_id not in self._jobs:
            return
        doc = self._end(result.job_id)
        self._apply(doc, result)

    def _apply(self, doc: TextureDocument | None, result: JobResult) -> None:
        if doc is None or doc is not self.document:
            return  # stale: the document was replaced while the job ran
        if doc.history.in_block:  # a brush stroke is in progress: apply once it ends
            QTimer.singleShot(_RETRY_MS, self, lambda: self._apply(doc, result))
            return
        clear = self.clear_mask_after_result and result.op in _MASKED_OPS
        mask_box = doc.mask.bbox() if clear else None
        try:
            box = doc.apply_result(result, clear_mask=clear)
        except ValueError as exc:
            self.failed.emit(str(exc))
            return
        if mask_box is not None:
            self.maskCleared.emit(mask_box)
        self.resultApplied.emit(box)
        self.finishedMessage.emit(
            f"{operation_label(result)} {result.seconds:.2f} s on {result.device}"
        )

    @Slot(int, str)
    def _on_failed(self, job_id: int, message: str) -> None:
        if job_id in self._jobs:
            doc = self._end(job_id)
            if doc is self.document:
                self.failed.emit(message)

    @Slot(int)
    def _on_cancelled(self, job_id: int) -> None:
        if job_id in self._jobs:
            self._end(job_id)
            self.cancelled.emit(job_id)
