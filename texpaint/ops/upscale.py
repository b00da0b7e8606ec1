"""Upscale: super-resolution with an imported spandrel model (ESRGAN, Real-ESRGAN...; Wang
et al. 2018/2021). The result is the whole image ``scale`` times larger (padded circularly
in wrap mode so it still tiles); the mask is not read. Refused before the first tile when the
result would exceed :data:`texpaint.imaging.io.MAX_PIXELS`
(:func:`texpaint.engine.pipeline.restore`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from texpaint.jobs import ENSEMBLE_PASSES, Job
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
)
