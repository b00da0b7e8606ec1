"""What an operation is: a name, a label, typed parameters with bounds, mask semantics and
``run()`` (:class:`OperationSpec`), declared once per module under :mod:`texpaint.ops`.

Everything that offers operations to the artist is generated from these declarations through
the registry (:mod:`texpaint.ops.registry`): the ``texpaint`` sub-commands and their options,
the batch plan's op names and their argument, the AI panel's tabs and the labels of the undo
steps (carried by :class:`~texpaint.jobs.JobResult`).

Parameters are a frozen dataclass derived from :class:`Params`; each field is declared with
:func:`param`, which records its label, help text, bounds or choices. They are checked once,
when the dataclass is built (:class:`ParamError` names the field and the bound), so a
:class:`~texpaint.jobs.Job` carrying them needs no further checks.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, NamedTuple

import numpy as np

from texpaint.jobs import Job, JobError

__all__ = [
    "MaskUse",
    "OperationSpec",
    "ParamError",
    "ParamInfo",
    "Params",
    "RunFn",
    "RunOutput",
    "check_mask",
    "check_value",
    "param",
]


class ParamError(JobError, ValueError):
    """A parameter is of the wrong type, outside its bounds or not one of its choices; the
    message names the parameter and is for the user."""


class MaskUse(StrEnum):
    """How an operation reads the job's mask (float32 ``(H, W)`` in [0, 1], 1 = change).

    There is one encoding of "the whole image": an empty (all-zero) mask.
    """

    REQUIRED = "required"
    """Only inside the mask, which must not be empty (Inpaint)."""
    WHOLE_IF_EMPTY = "whole_if_empty"
    """Inside the mask, weighted by it; an empty mask means the whole image (Denoise)."""
    IGNORED = "ignored"
    """The whole image; the mask is not read (Make Seamless, Upscale)."""


EMPTY_MASK_MESSAGE = "The mask is empty: paint over the area to fill first."


def check_mask(mask_use: MaskUse, mask: np.ndarray, label: str = "this operation") -> None:
    """The one empty-mask check of the GUI, the CLI, batch export and the runner.

    Args:
        mask_use: the operation's :class:`MaskUse`.
        mask: float32 ``(H, W)`` in [0, 1].
        label: the operation's label, for the message.

    Raises:
        JobError: ``mask_use`` is ``REQUIRED`` and no pixel of ``mask`` is above 0.
    """
    if mask_use is MaskUse.REQUIRED and not np.any(mask > 0):
        prefix = "" if label == "Inpaint" else f"{label}: "
        raise JobError(prefix + EMPTY_MASK_MESSAGE)


@dataclass(frozen=True)
class ParamInfo:
    """How one parameter is offered and checked (``dataclasses.field`` metadata).

    Attributes:
        label: short name for the panel, e.g. ``"Strength"``.
        help: one sentence for the CLI's ``--help`` and the panel's tooltip.
        lo, hi: inclusive bounds of a number (None: unbounded on that side).
        choices: the allowed values (strings or numbers), or None.
        special: extra allowed string values besides numbers, e.g. ``("auto",)``.
        flag: the CLI option, e.g. ``"--strength"`` (default ``--`` + name with ``-``);
            ``""`` keeps the parameter off the CLI.
        panel: False keeps the parameter off the AI panel's generated form.
    """

    label: str
    help: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple[Any, ...] | None = None
    special: tuple[str, ...] = ()
    flag: str | None = None
    panel: bool = True


def param(
    default: Any,
    label: str,
    help: str,
    *,
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple[Any, ...] | None = None,
    special: tuple[str, ...] = (),
    flag: str | None = None,
    panel: bool = True,
) -> Any:
    """Declare one field of a :class:`Params` dataclass with its default and
    :class:`ParamInfo` (see there for the arguments)."""
    info = ParamInfo(label, help, lo, hi, choices, special, flag, panel)
    return field(default=default, metadata={"texpaint": info})


@dataclass(frozen=True)
class Params(Mapping[str, Any]):
    """Base of every operation's parameter dataclass: frozen, checked at construction.

    Fields are declared with :func:`param`; their annotations (``bool``, ``int``, ``float``,
    ``str``, optionally ``| None``, or ``str | float`` for a number with special words) give
    the type. Instances are read-only mappings too (``params["strength"]``,
    ``params.get("passes", 1)``), so code that reads ``job.params`` works on either.

    Raises:
        ParamError: on construction, for a value of the wrong type, out of bounds or not
            among the choices.
    """

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, check_value(f, getattr(self, f.name)))

    @classmethod
    def infos(cls) -> Iterator[tuple[dataclasses.Field, ParamInfo]]:
        """Each field with its :class:`ParamInfo`, in declaration order."""
        for f in dataclasses.fields(cls):
            yield f, f.metadata["texpaint"]

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Params:
        """Build from a mapping (a job's params dict, a preset); missing keys take their
        defaults, ``None`` values too where the field is not optional.

        Raises:
            ParamError: an unknown key, or a bad value (see the class doc).
        """
        if isinstance(values, cls):
            return values
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            allowed = ", ".join(sorted(names)) or "none"
            raise ParamError(f"unknown parameter {unknown[0]!r} (allowed: {allowed})")
        return cls(**dict(values))

    # Mapping interface ---------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        if key not in self._names():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())

    @classmethod
    def _names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))


def check_value(f: dataclasses.Field, value: Any) -> Any:
    """``value`` converted to :class:`Params` field ``f``'s type and checked against its
    :class:`ParamInfo` (the one check of a parameter: the dataclass, the CLI's option
    parsing and the panel's controls all use it).

    Raises:
        ParamError: wrong type, out of bounds or not among the choices (a field with choices
            says only that, whatever else is wrong with the value).
    """
    info: ParamInfo = f.metadata["texpaint"]
    if info.choices is None:
        return _check_value(f, value)
    try:
        checked = _check_value(f, value)
    except ParamError:
        checked = _NOT_A_CHOICE
    if checked is _NOT_A_CHOICE or checked not in info.choices:
        allowed = ", ".join(map(str, info.choices))
        raise ParamError(f"{f.name} must be one of {allowed}, got {value!r}")
    return checked


_NOT_A_CHOICE = object()


def _check_value(f: dataclasses.Field, value: Any) -> Any:
    """:func:`check_value` before the choices: type, special words, bounds."""
    info: ParamInfo = f.metadata["texpaint"]
    kind = str(f.type).replace(" ", "")
    optional = "None" in kind.split("|")
    base = [k for k in kind.split("|") if k != "None"]
    if value is None:
        if optional:
            return None
        raise ParamError(f"{f.name}: a value is needed")
    if isinstance(value, str) and value.strip().lower() in info.special:
        return value.strip().lower()
    if "bool" in base:
        if isinstance(value, bool | np.bool_):
            return bool(value)
        raise ParamError(f"{f.name} must be true or false, got {value!r}")
    if "int" in base or "float" in base:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            words = " or ".join([*(repr(s) for s in info.special), "a number"])
            raise ParamError(f"{f.name} must be {words}, got {value!r}")
        if "int" in base and "float" not in base:
            number = float(value)
            if not number.is_integer():
                raise ParamError(f"{f.name} must be a whole number, got {value!r}")
            value = int(number)
        else:
            value = float(value)
            if not math.isfinite(value):
                raise ParamError(f"{f.name} must be a finite number, got {value!r}")
        if (info.lo is not None and value < info.lo) or (info.hi is not None and value > info.hi):
            lo = "-inf" if info.lo is None else f"{info.lo:g}"
            hi = "inf" if info.hi is None else f"{info.hi:g}"
            raise ParamError(f"{f.name} must be between {lo} and {hi}, got {value:g}")
    elif "str" in base:
        value = str(value)
    if info.choices is not None and value not in info.choices:
        allowed = ", ".join(map(str, info.choices))
        raise ParamError(f"{f.name} must be one of {allowed}, got {value!r}")
    return value


class RunOutput(NamedTuple):
    """What an operation's ``run`` returns.

    Attributes:
        image: float32 ``(H', W', 3)``, the whole image after the edit (the input's size
            unless the operation changes it); pixels the mask leaves alone bit-identical to
            the input.
        region: half-open pixel box ``(y0, y1, x0, x1)`` holding every change.
        model_id: catalog id of the model that ran (``""`` when none ran).
        device: what ran it when not the runtime's device (e.g. ``"CPU (guided patch
            synthesis)"``), else None.
    """

    image: np.ndarray
    region: tuple[int, int, int, int]
    model_id: str
    device: str | None = None


RunFn = Callable[[Job, Any, Callable[[], bool], Callable[[float, str], None]], RunOutput]
"""``run(job, runtime, abort, progress) -> RunOutput`` of an operation: ``job.params`` is the
operation's checked :class:`Params`, ``runtime`` the one
:class:`~texpaint.engine.device.Runtime` (device, tile size, model cache), ``abort()`` is
polled between steps (< 0.5 s apart) and ``progress(fraction in [0, 1], message)`` reports.
Raises :class:`~texpaint.jobs.JobCancelled` when ``abort()`` returned True and
:class:`~texpaint.jobs.JobError` with a message for the user; out-of-memory errors are left
to the runner, which steps the runtime down and runs it again."""


@dataclass(frozen=True)
class OperationSpec:
    """One operation, declared once (one module per operation under :mod:`texpaint.ops`).

    Attributes:
        name: the registry key, CLI sub-command and batch op name, e.g. ``"denoise"``.
        label: the artist's word, e.g. ``"Denoise"``; names the undo step and the panel tab.
        verb: the progress word, e.g. ``"Denoising"``.
        summary: one line for ``texpaint --help`` and the batch dialog.
        description: the sub-command's ``--help`` text.
        params: the :class:`Params` dataclass (its defaults are the operation's defaults).
        run: the work (:data:`RunFn`).
        model_kind: the catalog operation of the model it runs (``"inpaint"``, ``"denoise"``,
            ...; :mod:`texpaint.models.catalog`), or None when it runs none.
        mask: how it reads the mask (:class:`MaskUse`).
        changes_size: True when the result can differ in size from the input (Upscale; Make
            Seamless when it fits a periodic texture to whole periods).
        batch_arg: what ``name:ARG`` means in a batch plan: ``"model"`` (a model id),
            ``"style"`` (a style id), ``"mask_pattern"`` (the mask file beside each image) or
            None (takes no argument).
        panel: True when the AI panel offers it as a tab (Make Seamless has its own dialog).
        model_id_for: ``model_id_for(job) -> model id or None``: the model a job runs when
            it is not simply ``job.model_id`` or the catalog default of ``model_kind`` (Stylize:
            its style's generator; None at Best quality, where no model runs); raises
            :class:`~texpaint.jobs.JobError` when the job cannot name one (no style).
            Batch export checks models with it before a batch starts.
        precheck: ``precheck(size, model_id)``, with ``size`` the document's ``(H, W)`` in
            pixels: refuses, before a job is frozen and queued, one that cannot run
            (Upscale: an unknown model, or a result over the pixel cap), raising
            :class:`~texpaint.jobs.JobError` with a message for the user; None when every
            size can run. :meth:`check` calls it; ``run`` still checks for itself.
    """

    name: str
    label: str
    verb: str
    summary: str
    description: str
    params: type[Params]
    run: RunFn
    model_kind: str | None = None
    mask: MaskUse = MaskUse.WHOLE_IF_EMPTY
    changes_size: bool = False
    batch_arg: str | None = None
    panel: bool = True
    model_id_for: Callable[[Job], str | None] | None = None
    precheck: Callable[[tuple[int, int], str | None], None] | None = None

    BATCH_ARGS: ClassVar[tuple[str | None, ...]] = ("model", "style", "mask_pattern", None)

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or self.name != self.name.lower():
            raise ValueError(f"operation name must be a lower-case identifier, got {self.name!r}")
        if self.batch_arg not in self.BATCH_ARGS:
            raise ValueError(f"batch_arg must be one of {self.BATCH_ARGS}, got {self.batch_arg!r}")
        if not (isinstance(self.params, type) and issubclass(self.params, Params)):
            raise TypeError("params must be a Params dataclass")

    def make_params(self, values: Mapping[str, Any] | None = None) -> Params:
        """This operation's checked :class:`Params` from ``values`` (None: the defaults).

        Raises:
            ParamError: see :meth:`Params.from_mapping`.
        """
        return self.params.from_mapping(values or {})

    def check(self, mask: np.ndarray, model_id: str | None = None) -> None:
        """Refuse, before a job is made, one that cannot run: the empty-mask check
        (:func:`check_mask`) and then :attr:`precheck`.

        Args:
            mask: float32 ``(H, W)`` in [0, 1], the document's mask (its shape is the size).
            model_id: the model the job will name (None: the catalog default).

        Raises:
            JobError: the message is for the user.
        """
        check_mask(self.mask, mask, self.label)
        if self.precheck is not None:
            h, w = mask.shape[:2]
            self.precheck((int(h), int(w)), model_id)
