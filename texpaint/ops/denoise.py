"""Denoise: restoration at scale 1 over the masked area (or the whole image when the mask is
empty) with the built-in blind denoiser (FFDNet, Zhang, Zuo & Zhang, IEEE TIP 2018, with a
noise-level map estimated from the image) or an imported spandrel model (SCUNet, NAFNet...).

Tiled, blended restoration: :func:`texpaint.engine.pipeline.restore`; compositing
``in * (1 - w) + out * w`` with ``w = mask * strength``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from texpaint.jobs import DEFAULT_STRENGTH, ENSEMBLE_PASSES, Job
from texpaint.ops._model import run_with_model
from texpaint.ops.base import MaskUse, OperationSpec, Params, RunOutput, param

PASSES_HELP = (
    "self-ensemble passes: the model also runs on that many rotations/mirrorings of the "
    "image and the results are averaged (cleaner, proportionally slower)"
)


@dataclass(frozen=True)
class DenoiseParams(Params):
    """Denoise parameters."""

    strength: float = param(
        DEFAULT_STRENGTH,
        "Strength",
        "0..1: how far to move from the input towards the model's output (default 1)",
        lo=0.0,
        hi=1.0,
    )
    passes: int = param(1, "Passes", PASSES_HELP, choices=ENSEMBLE_PASSES)
    sigma: str | float = param(
        "auto",
        "Noise level",
        "noise level: 'auto' (default) estimates it from the image, following brightness "
        "for camera noise; N is the noise standard deviation in 8-bit units (0-255 scale, "
        "e.g. 15 light, 50 heavy; 0 leaves clean pixels alone). Models that take no noise "
        "level (NAFNet, imported ones) ignore it",
        lo=0.0,
        hi=255.0,
        special=("auto",),
    )


def run(job: Job, runtime: Any, abort, progress) -> RunOutput:
    """Run a Denoise job (see the module doc); see :data:`~texpaint.ops.base.RunFn`."""
    from texpaint.engine.pipeline import restore

    return run_with_model(
        job,
        runtime,
        progress,
        "denoise",
        SPEC.label,
        lambda net: restore(job, net, runtime, abort, progress),
    )


SPEC = OperationSpec(
    name="denoise",
    label="Denoise",
    verb="Denoising",
    summary="remove noise and JPEG artefacts (built-in blind denoiser)",
    description="Run a denoising model (the built-in blind denoiser texpaint-denoise, or "
    "one imported with 'texpaint models import') over IN, or over the white part of MASK, "
    "and write OUT. No noise level is needed: by default it is estimated from the image "
    "(--sigma auto). Pixels where the mask is black are copied unchanged; OUT keeps IN's "
    "sample format and alpha where OUT's format can store them.",
    params=DenoiseParams,
    run=run,
    model_kind="denoise",
    mask=MaskUse.WHOLE_IF_EMPTY,
    batch_arg="model",
)
