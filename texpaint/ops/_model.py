"""Finding and loading the model an operation runs (shared by the operation modules)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from texpaint.jobs import Job, JobError
from texpaint.models.catalog import ModelInfo, ModelLoadError, get_model
from texpaint.ops.base import RunOutput

__all__ = ["find_model", "load_network", "run_with_model"]


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


def run_with_model(
    job: Job,
    runtime: Any,
    progress: Callable[[float, str], None],
    kind: str,
    label: str,
    work: Callable[[Any], tuple[Any, tuple[int, int, int, int]]],
    model_id: str | None = None,
    doing: str | None = None,
) -> RunOutput:
    """The shape of a model operation's ``run``: find the model (:func:`find_model`), load
    it on the runtime (:func:`load_network`), say ``"{doing} with {model name}"``, run
    ``work(net) -> (image, region)``, say ``"Done"``.

    Args:
        doing: the progress word (default ``label``).

    Raises:
        JobError: as :func:`find_model` and :func:`load_network`; whatever ``work`` raises.
    """
    info = find_model(job, kind, label, model_id)
    net = load_network(info, runtime)
    progress(0.0, f"{doing or label} with {info.name}")
    image, region = work(net)
    progress(1.0, "Done")
    return RunOutput(image, region, info.id)
