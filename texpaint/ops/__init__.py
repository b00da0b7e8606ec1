"""Operations: one module per operation (inpaint, stylize, denoise, upscale, seamless), each
declaring an :class:`~texpaint.ops.base.OperationSpec`; :mod:`texpaint.ops.registry` is the
one list of them and :func:`~texpaint.ops.runner.run_job` runs a job of any of them."""

from __future__ import annotations

from texpaint.ops.base import MaskUse, OperationSpec, ParamError, Params, RunOutput, param
from texpaint.ops.registry import get, names, operations, register, unregister

__all__ = [
    "MaskUse",
    "OperationSpec",
    "ParamError",
    "Params",
    "RunOutput",
    "get",
    "names",
    "operations",
    "param",
    "register",
    "run_job",
    "unregister",
]


def __getattr__(name: str):  # run_job pulls in the engine (torch): only when asked for
    if name in ("run_job", "inpaint_runner", "job_task"):
        from texpaint.ops import runner

        return getattr(runner, name)
    raise AttributeError(name)
