"""Inpaint: fill the masked area from the texture's own patches (the structure-aware core,
:func:`texpaint.synthesis.completion.complete`; PatchMatch, Barnes et al. 2009, with the
statistics of patch offsets of He & Sun 2012), optionally refined by the generator.

See :func:`texpaint.engine.pipeline.inpaint` for the steps (crop with context, patch fill,
optional refinement, soft-mask compositing; pixels outside the mask bit-identical).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from texpaint.jobs import Job
from texpaint.ops._model import run_with_model
from texpaint.ops.base import MaskUse, OperationSpec, Params, RunOutput, param


@dataclass(frozen=True)
class InpaintParams(Params):
    """Inpaint parameters."""

    refine: bool = param(
        False,
        "Refine",
        "let the generator refine the patch fill (an ablation: it adds nothing measurable)",
        flag="",
        panel=False,
    )


def run(job: Job, runtime: Any, abort, progress) -> RunOutput:
    """Run an Inpaint job (see the module doc); see :data:`~texpaint.ops.base.RunFn`."""
    from texpaint.engine.pipeline import inpaint

    return run_with_model(
        job,
        runtime,
        progress,
        "inpaint",
        SPEC.label,
        lambda net: inpaint(job, net, runtime, abort, progress),
        doing="Inpainting",
    )


SPEC = OperationSpec(
    name="inpaint",
    label="Inpaint",
    verb="Inpainting",
    summary="fill the masked region of an image",
    description="Inpaint the region of IN where MASK is white and write the result to OUT. "
    "Pixels outside the mask are copied unchanged; OUT keeps IN's sample format "
    "(8/16-bit, float) and alpha where OUT's format can store them.",
    params=InpaintParams,
    run=run,
    model_kind="inpaint",
    mask=MaskUse.REQUIRED,
    batch_arg="mask_pattern",
)
