"""Frozen job descriptions passed from the GUI/CLI to the inference pipeline, and their results.

A :class:`Job` holds *copies* of everything it needs (pixels, mask, parameters), so the worker
never reads the live document (ARCHITECTURE.md, "frozen jobs").
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import numpy as np

_job_ids = itertools.count(1)


def next_job_id() -> int:
    """A new id from the one increasing sequence that :class:`Job` ids and the inference
    worker's background tasks (:class:`texpaint.engine.runner.Task`) share, so "cancel
    everything submitted so far" covers both."""
    return next(_job_ids)


class Operation(StrEnum):
    """Names of the built-in operations, for code that refers to one of them.

    The operations themselves (label, parameters, mask use, ``run``) are declared in
    :mod:`texpaint.ops` and listed by :mod:`texpaint.ops.registry`, which is the one list:
    a :class:`Job`'s ``op`` is any registered name (these members are ``str``)."""

    INPAINT = "inpaint"
    STYLIZE = "stylize"
    DENOISE = "denoise"
    """Restoration at scale 1 (the built-in denoiser or an imported spandrel model, e.g. SCUNet
    or NAFNet) over the masked area or the whole image; params ``strength`` in [0, 1] (1 = the
    model's output), ``passes`` (one of :data:`ENSEMBLE_PASSES`, default
    :func:`default_passes`) and ``sigma`` (``"auto"``, the default: the noise-level map is
    estimated from the image; or a noise standard deviation in 8-bit units, 0-255) for models
    that take a noise map (the built-in FFDNet; others ignore it)."""
    UPSCALE = "upscale"
    """Super-resolution (an imported spandrel model, e.g. ESRGAN): the result is the whole
    image ``scale`` times larger (circularly padded in wrap mode); the mask is ignored; param
    ``passes`` as for Denoise (default 1). The
    document applies it as one size-changing undo step; refused when the result would exceed
    ``imaging.io.MAX_PIXELS``."""
    SEAMLESS = "seamless"
    """Make Seamless: inpaint a cross-shaped band over the wrap seams (no mask needed; params
    ``band_px`` and ``even_lighting``, see :mod:`texpaint.engine.seamless`)."""


ENSEMBLE_PASSES = (1, 2, 4, 8)
"""Allowed values of the ``passes`` parameter of Denoise and Upscale jobs: how many of the
eight rotations/flips of the input the network sees, their outputs mapped back and averaged
(geometric self-ensemble; Timofte, Rothe & Van Gool, "Seven ways to improve example-based
single image super resolution", CVPR 2016; Lim et al., EDSR, CVPRW 2017). 2 = the input and
its mirror image, 4 = also both turned 180°, 8 = all eight. Time grows linearly with it."""


def default_passes(op: Operation) -> int:
    """Self-ensemble passes a job of ``op`` uses when its params do not say: 1 for every
    operation. Denoise used 8 while the built-in denoiser was NAFNet v1 (+0.47 to +0.77 dB
    PSNR at sigma 15-50); with the FFDNet default 8 passes add only +0.04 to +0.07 dB at
    sigma 15-25 on cc0-1k/val for 8x the time (about 3 s a pass at 1024² on a 2-core CPU;
    ``benchmarks/RESULTS.md``), so one pass is the default and 8 is the "Best" choice.
    Upscale runs imported models that can be 30x slower."""
    return 1


DEFAULT_STRENGTH = 1.0
"""``strength`` of a Stylize or Denoise job when nobody chose one, in the painter's sliders and
the CLI's ``--strength`` alike: 1 = the model's output as it is (0 = the input)."""


class JobCancelled(Exception):
    """Raised by :func:`texpaint.ops.runner.run_job` when ``abort()`` returned True."""


class JobError(Exception):
    """A job could not run (bad input, missing model, out of memory); message is for the user."""


def _frozen_array(a: np.ndarray, ndim: int, name: str) -> np.ndarray:
    a = np.array(a, dtype=np.float32, copy=True, order="C")
    if a.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {a.shape}")
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Job:
    """One AI edit, frozen at submission time.

    Attributes:
        op: the name of a registered operation (:mod:`texpaint.ops.registry`), e.g.
            ``"inpaint"`` (an :class:`Operation` member for the built-ins).
        image: float32 ``(H, W, 3)`` RGB, [0, 1] for integer sources (float sources may exceed
            1), a read-only private copy.
        mask: float32 ``(H, W)`` in [0, 1], 1 = change this pixel; read-only private copy.
            An all-zero mask means "whole image" for Stylize/Denoise; Inpaint requires a
            non-empty mask; Make Seamless ignores it (it builds its own band mask).
        params: operation parameters: the operation's checked, frozen ``Params``
            (:mod:`texpaint.ops.base`), or a mapping (read-only copy) that the runner checks
            against them before anything runs.
        model_id: catalog id of the model to use, or None for the operation's default.
        style_id: style library id for Stylize, else None.
        seed: RNG seed, so a job is reproducible.
        wrap: True when the document is in seamless mode (circular padding, wrapping tiles).
        job_id: unique, increasing id; results carry it so stale ones can be dropped.

    Raises:
        ValueError: image/mask shapes do not match or have the wrong number of dimensions.
    """

    op: str
    image: np.ndarray
    mask: np.ndarray
    params: Mapping[str, Any] = field(default_factory=dict)
    model_id: str | None = None
    style_id: str | None = None
    seed: int = 0
    wrap: bool = False
    job_id: int = field(default_factory=next_job_id)

    def __post_init__(self) -> None:
        image = _frozen_array(self.image, 3, "image")
        mask = _frozen_array(self.mask, 2, "mask")
        if image.shape[2] != 3:
            raise ValueError(f"image must be (H, W, 3), got {image.shape}")
        if mask.shape != image.shape[:2]:
            raise ValueError(f"mask shape {mask.shape} does not match image {image.shape[:2]}")
        object.__setattr__(self, "op", _op_name(self.op))
        object.__setattr__(self, "image", image)
        object.__setattr__(self, "mask", mask)
        if not _is_params(self.params):  # an operation's checked Params stays as it is
            object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def with_params(self, params: Mapping[str, Any]) -> Job:
        """This job with ``params`` instead of its own (same id, same read-only pixel
        arrays: nothing is copied)."""
        job = object.__new__(Job)
        for name in self.__dataclass_fields__:
            object.__setattr__(job, name, getattr(self, name))
        if not _is_params(params):
            params = MappingProxyType(dict(params))
        object.__setattr__(job, "params", params)
        return job


def _op_name(op: str) -> str:
    """``op`` as an :class:`Operation` member when it names a built-in, else as a plain
    ``str`` (an operation registered elsewhere); ValueError when empty."""
    name = str(op)
    if not name:
        raise ValueError("a job needs an operation name")
    return Operation(name) if name in Operation._value2member_map_ else name


def _is_params(params: object) -> bool:
    """True for an operation's frozen, checked params object (``texpaint.ops.base.Params``,
    which this module cannot import): a read-only mapping that is a dataclass."""
    return isinstance(params, Mapping) and hasattr(params, "__dataclass_fields__")


@dataclass(frozen=True)
class JobResult:
    """What a finished job returns.

    Attributes:
        job_id: id of the :class:`Job` this answers.
        op: the operation that ran.
        image: float32 ``(H, W, 3)``, the whole image after the edit. Pixels where the job's
            mask is 0 are bit-identical to the job's input. Upscale returns
            ``(H * scale, W * scale, 3)`` (``TextureDocument.apply_result`` replaces the
            document's layers by the larger ones as one size-changing undo step).
        region: ``(y0, y1, x0, x1)`` pixel box that contains every changed pixel (half-open),
            so the document stores only that box in its undo history (Upscale: the whole
            output).
        seconds: wall time of the job in seconds.
        device: description of the device that ran it, e.g. ``"CPU (2 threads)"``.
        model_id: catalog id of the model that ran (``""`` when none ran).
        label: the operation's label (its ``OperationSpec.label``, e.g. ``"Make
            Seamless"``): the name of the undo step.
        changes_size: True when the operation may return another size than its input
            (``OperationSpec.changes_size``: Upscale, Make Seamless fitted to its period);
            a result of another size is refused otherwise.
    """

    job_id: int
    op: str
    image: np.ndarray
    region: tuple[int, int, int, int]
    seconds: float
    device: str
    model_id: str
    label: str = ""
    changes_size: bool = False
