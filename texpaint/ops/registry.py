"""The one list of operations: every :class:`~texpaint.ops.base.OperationSpec` by name.

The built-in operations are the modules named in :data:`BUILTIN_MODULES`; each declares a
module-level ``SPEC``. A new operation is one more module (its spec, params and ``run``) and
one more entry there; everything else (the CLI, the batch plan, the AI panel, the undo
labels) reads this registry. Tests and plug-ins may also call :func:`register` at run time.
"""

from __future__ import annotations

import importlib
import threading

from texpaint.ops.base import OperationSpec

__all__ = [
    "BUILTIN_MODULES",
    "default_model_kinds",
    "get",
    "names",
    "operations",
    "register",
    "unregister",
]

BUILTIN_MODULES = (
    "texpaint.ops.inpaint",
    "texpaint.ops.stylize",
    "texpaint.ops.denoise",
    "texpaint.ops.upscale",
    "texpaint.ops.seamless",
)
"""Modules whose ``SPEC`` is registered on first use, in this order (the panel's tab order
and the CLI's command order)."""

_lock = threading.Lock()
_specs: dict[str, OperationSpec] = {}
_loaded = False


def _load_builtins() -> None:
    global _loaded
    with _lock:
        if _loaded:
            return
        for module in BUILTIN_MODULES:
            spec = importlib.import_module(module).SPEC
            _specs.setdefault(spec.name, spec)
        _loaded = True


def register(spec: OperationSpec, replace: bool = False) -> OperationSpec:
    """Add ``spec`` to the registry and return it.

    Raises:
        ValueError: an operation of that name is registered already (unless ``replace``).
    """
    _load_builtins()
    with _lock:
        if spec.name in _specs and not replace:
            raise ValueError(f"an operation named {spec.name!r} is registered already")
        _specs[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Remove the operation ``name`` (no error when it is not registered)."""
    _load_builtins()
    with _lock:
        _specs.pop(name, None)


def get(name: str) -> OperationSpec:
    """The operation called ``name`` (e.g. ``"inpaint"``).

    Raises:
        KeyError: no such operation (the message lists the registered ones).
    """
    _load_builtins()
    try:
        return _specs[str(name)]
    except KeyError:
        raise KeyError(f"unknown operation {name!r} (registered: {', '.join(_specs)})") from None


def operations() -> tuple[OperationSpec, ...]:
    """Every registered operation, built-ins first in :data:`BUILTIN_MODULES` order."""
    _load_builtins()
    with _lock:
        return tuple(_specs.values())


def names() -> tuple[str, ...]:
    """The names of :func:`operations`."""
    return tuple(s.name for s in operations())


def default_model_kinds() -> tuple[str, ...]:
    """The model kinds (catalog operations) whose default model the user chooses
    (``texpaint models default OP``, Edit → Models…): those of every operation that runs a
    model of its kind's default, in registry order, without repeats. Stylize's model follows
    from the style (``OperationSpec.model_id_for``), so it has none.
    :data:`texpaint.models.catalog.DEFAULT_OPERATIONS` (where the choices are stored) must
    hold the same kinds; ``tests/test_op_registry.py`` checks it."""
    kinds: list[str] = []
    for spec in operations():
        kind = spec.model_kind
        if kind is not None and spec.model_id_for is None and kind not in kinds:
            kinds.append(kind)
    return tuple(kinds)
