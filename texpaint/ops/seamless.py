"""Make Seamless: make a texture tile by re-synthesising bands over its wrap seams.

An image that already tiles comes back unchanged; a periodic texture is fitted to whole
lattice periods (unless ``fit_to_period`` is off) and its bands follow the lattice. Details
and sources: :mod:`texpaint.engine.seamless`. The job's mask is not read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from texpaint.jobs import Job
from texpaint.ops._model import find_model
from texpaint.ops.base import MaskUse, OperationSpec, Params, RunOutput, param


@dataclass(frozen=True)
class SeamlessParams(Params):
    """Make Seamless parameters."""

    band_px: int | None = param(
        None,
        "Band width",
        "band width in pixels over each seam (default: from the texture's scale)",
        lo=1,
        flag="--width",
    )
    even_lighting: bool | None = param(
        None,
        "Even lighting",
        "first divide out low-frequency lighting (gradients, vignetting); by default "
        "only when the two sides of a seam differ",
    )
    fit_to_period: bool = param(
        True,
        "Fit to period",
        "crop a periodic texture to whole lattice periods so its joints line up at the wrap; "
        "--no-fit keeps the size (joints may then not line up)",
        flag="--no-fit",
    )
    grow: bool = param(
        False,
        "Keep texture scale",
        "when fitting to the period adds up to half a period, keep that larger tile instead of "
        "resampling it back to the input's size (which scales the texture by a few percent); "
        "command line only: the painter's document takes fitted results no larger than itself",
        panel=False,
    )
    force: bool = param(False, "Force", "re-synthesise the seams even if IN already tiles")
    method: str = param(
        "quilt",
        "Method",
        "band synthesis: lattice-aware quilting (default), the structure-aware completion "
        "core, or the inpainting network",
        choices=("quilt", "core", "network"),
    )


def run(job: Job, runtime: Any, abort, progress) -> RunOutput:
    """Run a Make Seamless job (see :data:`~texpaint.ops.base.RunFn`). Region: the whole
    (possibly fitted) image."""
    from texpaint.engine.seamless import make_seamless
    from texpaint.ops.runner import inpaint_runner

    info = find_model(job, "inpaint", SPEC.label)
    p = job.params
    image = make_seamless(
        job.image,
        int(p["band_px"]) if p.get("band_px") else None,
        even_lighting=p.get("even_lighting"),
        fit_to_period=bool(p.get("fit_to_period", True)),
        grow=bool(p.get("grow", False)),
        force=bool(p.get("force", False)),
        method=str(p.get("method", "quilt")),
        abort=abort,
        progress=progress,
        inpaint=inpaint_runner(runtime),
        model_id=info.id,
        seed=job.seed,
    )
    return RunOutput(image, (0, image.shape[0], 0, image.shape[1]), info.id)


SPEC = OperationSpec(
    name="seamless",
    label="Make Seamless",
    verb="Making seamless",
    summary="make a texture tile seamlessly",
    description="Make IN tile and write OUT. An IN that already tiles (its wrap seams look "
    "like its own interior lines) is written unchanged (copied when OUT has IN's format) "
    "unless --force. A periodic texture (bricks, tiles, planks) is fitted to the nearest "
    "whole number of periods (cropped, or extended and resampled back to its size unless "
    "--grow; --no-fit keeps it as it is) and the bands re-synthesised over its wrap seams "
    "follow its lattice, so no mortar course or grout line is lost or doubled. Pixels "
    "outside the bands are copied unchanged (unless lighting is evened); OUT keeps IN's "
    "sample format "
    "(8/16-bit, float) and alpha where OUT's format can store them.",
    params=SeamlessParams,
    run=run,
    model_kind="inpaint",
    mask=MaskUse.IGNORED,
    changes_size=True,
    batch_arg=None,
    panel=False,
)
