"""Safe loading of third-party networks through spandrel: reading weights without running
pickled code, architecture detection, the model-card fields of a detected architecture, and
the loader :func:`texpaint.models.catalog.load_network` uses for imported models.

`spandrel <https://github.com/chaiNNer-org/spandrel>`_ (MIT) recognises a model's architecture
from the names and shapes in its state dict and builds it from spandrel's own code, never from
code stored in the file. ``.safetensors`` files hold only tensors; ``.pth`` / ``.pt`` /
``.ckpt`` pickles are read only with ``torch.load(weights_only=True)`` (torch's restricted
unpickler), and a pickle that asks for any other global is refused with
:class:`~texpaint.models.cards.ModelLoadError` before anything it names is called.

Extra architectures: spandrel_extra_arches holds architectures whose own licences are
non-commercial or copyleft (MAT, Li et al., CVPR 2022; Restormer, Zamir et al., CVPR 2022).
texpaint neither bundles nor requires it; :func:`extra_architectures` registers them when the
user installed it, and :func:`descriptor_card` adds a ``licence_note`` to their cards.
Import and removal (copying into the user's model folder) live in
:mod:`texpaint.models.community`. No Qt here.
"""

from __future__ import annotations

import pickle
import re
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from texpaint.models.cards import ModelInfo, ModelLoadError

if TYPE_CHECKING:
    import torch

    from texpaint.models.arch.spandrel_net import SpandrelNetwork

__all__ = [
    "EXTRA_ARCHES_LICENCE_NOTE",
    "EXTRA_ARCHES_PACKAGE",
    "SUPPORTED_EXTENSIONS",
    "describe",
    "descriptor_card",
    "extra_architectures",
    "load_spandrel_network",
    "operation_for",
    "read_state_dict",
]

SUPPORTED_EXTENSIONS = (".safetensors", ".pth", ".pt", ".ckpt")
"""Weight file extensions :func:`read_state_dict` reads (and
:func:`texpaint.models.community.import_model` accepts; safetensors preferred)."""

EXTRA_ARCHES_PACKAGE = "spandrel_extra_arches"
"""The optional package of extra spandrel architectures (installed by the user, never bundled)."""

EXTRA_ARCHES_LICENCE_NOTE = (
    "The {arch} architecture comes from spandrel_extra_arches, which holds code under "
    "non-commercial or copyleft licences. Check the licence of {arch} and of these weights "
    "before you use them, especially commercially."
)
"""Licence note written into the card of a model detected through spandrel_extra_arches;
``{arch}`` is the architecture's id."""

_extra_lock = threading.Lock()
_extra_ids: frozenset[str] | None = None
_extra_problem = f"{EXTRA_ARCHES_PACKAGE} is not installed"


def extra_architectures() -> frozenset[str]:
    """Register spandrel_extra_arches' architectures with spandrel, once per process, when the
    user has installed that package; returns the ids of its architectures (e.g. ``"MAT"``,
    ``"Restormer"``), empty when it is not installed or cannot be imported.

    ``spandrel_extra_arches.install(ignore_duplicates=True)``: architectures spandrel already
    has are kept as they are. An installed package that fails to import or register (e.g. a
    version that does not fit the installed spandrel) counts as not installed; the reason is
    named when a model's architecture is not recognised. Thread-safe (the Models dialog's
    import thread and the inference worker may both detect).
    """
    global _extra_ids, _extra_problem
    with _extra_lock:
        if _extra_ids is None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", FutureWarning)  # its torch.jit.script use
                    import spandrel_extra_arches
                spandrel_extra_arches.install(ignore_duplicates=True)
                _extra_ids = frozenset(
                    str(a.architecture.id) for a in spandrel_extra_arches.EXTRA_REGISTRY
                )
            except ImportError:
                _extra_ids = frozenset()
            except Exception as exc:  # noqa: BLE001 - a broken optional package must not stop imports
                _extra_ids = frozenset()
                _extra_problem = f"{EXTRA_ARCHES_PACKAGE} is installed but failed to load ({exc})"
        return _extra_ids


def _architecture_package(descriptor) -> str:
    """Top-level package whose code defines ``descriptor``'s architecture: ``"spandrel"`` or
    :data:`EXTRA_ARCHES_PACKAGE`."""
    return type(descriptor.architecture).__module__.split(".", 1)[0]


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Read the tensors of a weights file on the CPU without running code from it.

    ``.safetensors`` is read with safetensors; ``.pth`` / ``.pt`` / ``.ckpt`` only with
    ``torch.load(weights_only=True)``. The result is canonicalised by spandrel (unwraps
    ``state_dict`` / ``params_ema`` / ... and strips ``module.`` prefixes).

    Raises:
        ModelLoadError: unsupported extension, unreadable file, or a pickle that asks for
            anything but plain weights (the message names the refused global).
    """
    import torch
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    from spandrel import canonicalize_state_dict

    path = Path(path)
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise ModelLoadError(
            f"{path.name}: unsupported model file type {ext or '(none)'} "
            f"(use {', '.join(SUPPORTED_EXTENSIONS)})"
        )
    try:
        if ext == ".safetensors":
            state = load_file(str(path), device="cpu")
        else:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.findall(r"GLOBAL ([\w.]+)", str(exc))
        what = f"'{found[0]}'" if found else "objects other than tensors"
        raise ModelLoadError(
            f"refusing to load {path.name}: its pickle asks for {what}, which is not plain "
            "weights and could run code. Only tensors and plain containers are accepted; "
            "use a .safetensors version of the model."
        ) from exc
    except (SafetensorError, OSError, RuntimeError, ValueError, EOFError) as exc:
        raise ModelLoadError(f"cannot read {path.name}: {exc}") from exc
    if not isinstance(state, dict):
        raise ModelLoadError(f"{path.name} does not hold a state dict (got {type(state).__name__})")
    return canonicalize_state_dict(state)


def describe(path: Path, meta: bool = False):
    """spandrel's ``ModelDescriptor`` for the weights in ``path`` (CPU, eval mode).

    ``meta=True`` builds the network on PyTorch's ``meta`` device: architecture, scale,
    parameter count and the strict shape check of every weight, without allocating or copying
    the weights (import of a 200 MB file: ~0.9 s instead of ~7 s here). Such a descriptor
    cannot run. Architectures that compute with tensors while being built (e.g. SCUNet) fall
    back to the CPU; a shape mismatch fails on both, so it is reported either way.

    Raises:
        ModelLoadError: see :func:`read_state_dict`; unknown architecture; weights that do not
            fit the detected architecture.
    """
    import torch
    from spandrel import ModelLoader, UnsupportedModelError

    extra = extra_architectures()
    state = read_state_dict(path)
    try:
        if meta:
            try:
                with warnings.catch_warnings(), torch.device("meta"):
                    # copying real tensors into meta parameters is a (warned) no-op: wanted
                    warnings.simplefilter("ignore", UserWarning)
                    return ModelLoader(device="meta").load_from_state_dict(state).eval()
            except (RuntimeError, NotImplementedError):
                pass  # an architecture that computes with tensors while it is built: use CPU
        return ModelLoader(device="cpu").load_from_state_dict(state).eval()
    except UnsupportedModelError as exc:
        hint = (
            ""
            if extra
            else f" ({_extra_problem}; it adds MAT, Restormer and others under restrictive "
            "licences, see texpaint's README)"
        )
        raise ModelLoadError(
            f"{Path(path).name}: spandrel does not recognise this model's architecture{hint}"
        ) from exc
    except (RuntimeError, KeyError, ValueError, TypeError, AssertionError, IndexError) as exc:
        raise ModelLoadError(f"{Path(path).name}: weights do not load: {exc}") from exc


def operation_for(descriptor) -> str:
    """texpaint operation of a spandrel descriptor: Inpainting → ``"inpaint"``; Restoration or
    SR with scale 1 → ``"denoise"``; scale > 1 → ``"upscale"``.

    Raises:
        ModelLoadError: face restoration models, or models that are not RGB in and out.
    """
    if descriptor.input_channels != 3 or descriptor.output_channels != 3:
        raise ModelLoadError(
            f"{descriptor.architecture.name} model takes {descriptor.input_channels} and returns "
            f"{descriptor.output_channels} channels; texpaint needs RGB (3) in and out"
        )
    if descriptor.purpose == "Inpainting":
        return "inpaint"
    if descriptor.purpose == "FaceSR":
        raise ModelLoadError(
            f"{descriptor.architecture.name} is a face restoration model (needs aligned faces); "
            "it is not useful for textures"
        )
    return "denoise" if descriptor.scale == 1 else "upscale"


def descriptor_card(descriptor) -> dict[str, Any]:
    """The model-card fields that describe a spandrel ``ModelDescriptor``: ``architecture``
    (spandrel's id, e.g. ``"Restormer"``), ``architecture_name``, ``architecture_package``
    (``"spandrel"`` or ``"spandrel_extra_arches"``), ``parameters`` (count), ``scale``,
    ``purpose`` (spandrel's, e.g. ``"Inpainting"``), ``size_requirements`` (``minimum``,
    ``multiple_of`` in pixels, ``square``), ``tags``, ``supports_half`` and
    ``supports_bfloat16`` (precisions the model may run in), and for extra architectures
    ``licence_note`` (:data:`EXTRA_ARCHES_LICENCE_NOTE`)."""
    req = descriptor.size_requirements
    arch = str(descriptor.architecture.id)
    package = _architecture_package(descriptor)
    card: dict[str, Any] = {
        "architecture": arch,
        "architecture_name": str(descriptor.architecture.name),
        "architecture_package": package,
        "parameters": int(sum(p.numel() for p in descriptor.model.parameters())),
        "scale": int(descriptor.scale),
        "purpose": str(descriptor.purpose),
        "size_requirements": {
            "minimum": int(req.minimum),
            "multiple_of": int(req.multiple_of),
            "square": bool(req.square),
        },
        "tags": list(descriptor.tags),
        "supports_half": bool(descriptor.supports_half),
        "supports_bfloat16": bool(descriptor.supports_bfloat16),
    }
    if package == EXTRA_ARCHES_PACKAGE:
        card["licence_note"] = EXTRA_ARCHES_LICENCE_NOTE.format(arch=arch)
    return card


def load_spandrel_network(info: ModelInfo) -> SpandrelNetwork:
    """Load an imported model (card ``"format": "spandrel"``) on the CPU in eval mode.

    The caller (:func:`texpaint.models.catalog.load_network`) has checked the sha256.

    Raises:
        ModelLoadError: see :func:`read_state_dict`; or the file's architecture or operation
            is not the one its card names.
    """
    from texpaint.models.arch.spandrel_net import SpandrelNetwork

    descriptor = describe(info.path)
    arch = str(descriptor.architecture.id)
    if arch != info.card.get("architecture"):
        raise ModelLoadError(
            f"model {info.id}: file holds {arch}, its card says {info.card.get('architecture')}"
        )
    operation = operation_for(descriptor)
    if operation != info.operation:
        raise ModelLoadError(
            f"model {info.id}: a {operation} model, its card says {info.operation}"
        )
    return SpandrelNetwork(descriptor, operation).eval()
