"""Upscale: super-resolution with an imported spandrel model (ESRGAN, Real-ESRGAN...; Wang
et al. 2018/2021). The result is the whole image ``scale`` times larger (padded circularly
in wrap mode so it still tiles); the mask is not read. Refused before the first tile when the
result would exceed :data:`texpaint.imaging.io.MAX_PIXELS`
(:func:`texpaint.engine.pipeline.restore`); the painter refuses it earlier, before the job is
queued (:func:`precheck`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from texpaint.jobs import ENSEMBLE_PASSES, Job, JobError
from texpaint.ops._model import run_with_model
from texpaint.ops.base import MaskUse, OperationSpec, Params, RunOutput, param
from texpaint.ops.denoise import PASSES_HELP


@dataclass(frozen=True)
class UpscaleParams(Params):
    """Upscale parameters."""

    passes: int = param(1, "Passes", PASSES_HELP, choices=ENSEMBLE_PASSES)


def run(job: Job, runtime: Any, abort, progress) -> RunOutput:
    """Run an Upscale job (see the module doc); see :data:`~texpaint.ops.base.RunFn`."""
    from texpaint.engine.pipeline import restore

    return run_with_model(
        job,
        runtime,
        progress,
        "upscale",
        SPEC.label,
        lambda net: restore(job, net, runtime, abort, progress),
    )


def precheck(size: tuple[int, int], model_id: str | None) -> None:
    """Refuse an Upscale before it is queued (see :attr:`OperationSpec.precheck`).

    Args:
        size: the image's ``(H, W)`` in pixels.
        model_id: the upscale model (None: the catalog's default upscale model).

    Raises:
        JobError: no such (or no installed) upscale model, or ``size`` times the model's
            scale is over :data:`texpaint.imaging.io.MAX_PIXELS` (the message names both
            sizes and the cap).
    """
    from texpaint.imaging.resample import upscaled_size
    from texpaint.models.catalog import ModelLoadError, get_model

    try:
        info = get_model(model_id, "upscale")
        upscaled_size(*size, int(info.card.get("scale", 1)))
    except (ModelLoadError, ValueError) as exc:
        raise JobError(str(exc)) from exc


SPEC = OperationSpec(
    name="upscale",
    label="Upscale",
    verb="Upscaling",
    summary="enlarge an image with an imported super-resolution model",
    description="Run a super-resolution model (see 'texpaint models import') over IN and "
    "write the larger image to OUT (alpha is resized with bilinear interpolation).",
    params=UpscaleParams,
    run=run,
    model_kind="upscale",
    mask=MaskUse.IGNORED,
    changes_size=True,
    batch_arg="model",
    precheck=precheck,
)
