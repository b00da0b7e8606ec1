"""Stylize: re-render the masked area (or the whole image) in a style.

``quality="fast"`` runs the style's feed-forward generator (``texpaint-style-<style_id>``)
through the tiled restoration path; ``quality="best"`` needs no generator: guided patch
synthesis from the style's exemplar (image analogies, Hertzmann et al. 2001; StyLit,
Fišer et al. 2016). Details: :mod:`texpaint.engine.stylize`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from texpaint.jobs import DEFAULT_STRENGTH, Job, JobError
from texpaint.ops._model import run_with_model
from texpaint.ops.base import MaskUse, OperationSpec, Params, RunOutput, param

QUALITIES = ("fast", "best")
"""Stylize's quality choices: ``fast`` = the style's feed-forward generator, ``best`` = guided
patch synthesis from the exemplar (:func:`texpaint.engine.stylize.stylize_best`)."""

DEFAULT_QUALITY = "best"
"""The quality Stylize runs when a job does not say, the Stylize tab's and ``texpaint stylize``'s
default: Best, which needs no trained network and meets its speed target (under 10 s per
megapixel on the development CPU; ``benchmarks/RESULTS.md``)."""


@dataclass(frozen=True)
class StylizeParams(Params):
    """Stylize parameters."""

    quality: str = param(
        DEFAULT_QUALITY,
        "Quality",
        "best (default): guided patch synthesis from the style's exemplar (no network "
        "needed, several seconds per megapixel); fast: the style's trained network (about "
        "2 s per megapixel)",
        choices=QUALITIES,
    )
    strength: float = param(
        DEFAULT_STRENGTH, "Strength", "0..1: blend of the styled result (default 1)", lo=0, hi=1
    )
    preserve_colour: bool = param(
        False, "Keep colours", "keep the image's colours, take only the style's luminance"
    )
    feather_px: int = param(
        16,
        "Feather",
        "pixels over which the style fades in inside the mask's edge",
        lo=0,
        hi=256,
        flag="--feather",
    )
    match_statistics: bool = param(
        True,
        "Match statistics",
        "move the generator's output to the exemplar's band energies and colours",
        flag="--no-match-statistics",
        panel=False,
    )


def model_for(job: Job) -> str | None:
    """The generator a Stylize job runs: its ``model_id``, else its style's
    ``texpaint-style-<style_id>``; None at Best quality (the default), where no model runs but
    the style's exemplar must exist.

    Raises:
        JobError: no style named (Fast without ``model_id``, or Best), or at Best an unknown
            style (the message names it).
    """
    if job.params.get("quality", DEFAULT_QUALITY) == "best":  # a job that does not say: Best
        if not job.style_id:
            raise JobError("Pick a style first.")
        from texpaint.engine.stylize import library_style

        library_style(job.style_id)  # Best copies its exemplar: it must exist
        return None
    if job.model_id is not None:
        return job.model_id
    if not job.style_id:
        raise JobError("Pick a style first.")
    from texpaint.models.styles import style_model_id

    return style_model_id(job.style_id)


def run(job: Job, runtime: Any, abort, progress) -> RunOutput:
    """Run a Stylize job (see the module doc and :data:`~texpaint.ops.base.RunFn`)."""
    from texpaint.engine import stylize as styles

    model_id = model_for(job)
    if model_id is None:  # guided patch synthesis from the exemplar: no model
        image, region = styles.stylize_best(job, abort, progress)
        progress(1.0, "Done")
        return RunOutput(image, region, "", "CPU (guided patch synthesis)")
    from texpaint.engine.pipeline import restore
    from texpaint.models.catalog import ModelLoadError, get_model

    if job.model_id is None:
        try:
            get_model(model_id, "stylize")
        except ModelLoadError as exc:
            raise JobError(
                f"style {job.style_id!r} has no Fast network: use Best quality (it needs no "
                "training), or Learn Style with 'Also train a Fast network'"
            ) from exc
    return run_with_model(
        job,
        runtime,
        progress,
        "stylize",
        SPEC.label,
        lambda net: styles.stylize(job, net, runtime, abort, progress, restore),
        model_id,
    )


SPEC = OperationSpec(
    name="stylize",
    label="Stylize",
    verb="Stylizing",
    summary="re-render an image (or the white part of a mask) in a style",
    description="Stylize IN with a style from the library (--style) and write OUT. Pixels "
    "where the mask is black are copied unchanged.",
    params=StylizeParams,
    run=run,
    model_kind="stylize",
    mask=MaskUse.WHOLE_IF_EMPTY,
    batch_arg="style",
    model_id_for=model_for,
)
