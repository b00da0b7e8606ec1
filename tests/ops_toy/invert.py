"""A toy operation declared in ONE file, as a new operation would be: the proof that the CLI,
the batch plan, the AI panel and the undo labels are generated from the registry
(``tests/test_op_registry.py``). It blends the masked pixels (or the whole image when the
mask is empty) towards their photographic negative: ``out = in + amount * mask * (1 - 2 in)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from texpaint.engine.pipeline import mask_bbox
from texpaint.ops import MaskUse, OperationSpec, Params, RunOutput, param


@dataclass(frozen=True)
class InvertParams(Params):
    amount: float = param(1.0, "Amount", "0..1: how far towards the negative", lo=0.0, hi=1.0)
    keep_red: bool = param(False, "Keep red", "leave the red channel alone")


def run(job, runtime, abort, progress) -> RunOutput:
    h, w = job.image.shape[:2]
    box = mask_bbox(job.mask > 0) or (0, h, 0, w)
    weight = job.mask if job.mask.any() else np.ones((h, w), np.float32)
    delta = job.params["amount"] * weight[..., None] * (1.0 - 2.0 * job.image)
    if job.params["keep_red"]:
        delta[..., 0] = 0.0
    progress(1.0, "Done")
    return RunOutput((job.image + delta).astype(np.float32), box, "")


SPEC = OperationSpec(
    name="invert",
    label="Invert",
    verb="Inverting",
    summary="blend the masked area towards its negative (a toy operation for tests)",
    description="Blend IN (or the white part of MASK) towards its photographic negative.",
    params=InvertParams,
    run=run,
    mask=MaskUse.WHOLE_IF_EMPTY,
)
