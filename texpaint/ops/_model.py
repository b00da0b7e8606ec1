"""Finding and loading the model an operation runs (shared by the operation modules)."""

from __future__ import annotations

from typing import Any

from texpaint.jobs import Job, JobError
from texpaint.models.catalog import ModelInfo, ModelLoadError, get_model

__all__ = ["find_model", "load_network"]


def find_model(job: Job, kind: str, label: str, model_id: str | None = None) -> ModelInfo:
    """The catalog entry of the model a job of operation ``label`` runs.

    Args:
        job: the job (its ``model_id``, None: the default model of ``kind``).
        kind: the catalog operation (``"inpaint"``, ``"denoise"``, ``"upscale"``, ...).
        label: the operation's label, for messages.
        model_id: overrides ``job.model_id`` when given (Stylize: the style's generator).

    Raises:
        JobError: unknown or unreadable model, or (``job.model_id`` None) no model of
            ``kind`` installed; the message says how to import one.
    """
    wanted = model_id if model_id is not None else job.model_id
    try:
        return get_model(wanted, kind)
    except ModelLoadError as exc:
        if wanted is None and kind in ("denoise", "upscale"):
            raise JobError(
                f"{label} has no trained model installed: import one with "
                "'texpaint models import FILE' or Edit → Models…"
            ) from exc
        raise JobError(str(exc)) from exc


def load_network(info: ModelInfo, runtime: Any) -> Any:
    """``runtime.network(info)`` (the loaded, cached ``torch.nn.Module`` on the runtime's
    device), with load failures as :class:`~texpaint.jobs.JobError`."""
    try:
        return runtime.network(info)
    except ModelLoadError as exc:
        raise JobError(str(exc)) from exc
