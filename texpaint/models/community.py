"""Community models: import and removal of third-party networks (loaded through spandrel by
:mod:`texpaint.models.spandrel_loader`).

`spandrel <https://github.com/chaiNNer-org/spandrel>`_ (MIT) recognises a model's architecture
from the names and shapes in its state dict and builds it from spandrel's own code, never from
code stored in the file. texpaint uses it for inpainting models such as LaMa (Suvorov et al.,
"Resolution-robust Large Mask Inpainting with Fourier Convolutions", WACV 2022) and restoration
models such as SCUNet (Zhang et al., "Practical Blind Image Denoising via Swin-Conv-UNet and
Data Synthesis", MIR 2023), NAFNet (Chen et al., "Simple Baselines for Image Restoration",
ECCV 2022) and ESRGAN (Wang et al., "ESRGAN: Enhanced Super-Resolution Generative Adversarial
Networks", ECCV Workshops 2018).

Safety: ``.safetensors`` files hold only tensors. ``.pth`` / ``.pt`` / ``.ckpt`` files are
pickles; they are read only with ``torch.load(weights_only=True)`` (torch's restricted
unpickler: tensors, numbers, strings and plain containers). A pickle that asks for any other
global (a function to call, a class to build) is refused with :class:`ModelLoadError` before
anything it names is called. TorchScript archives are not accepted.

Extra architectures: spandrel_extra_arches (same authors, MIT wrapper) holds architectures
whose own licences are non-commercial or copyleft, among them MAT (Li et al., "MAT:
Mask-Aware Transformer for Large Hole Image Inpainting", CVPR 2022) and Restormer (Zamir et al.,
"Restormer: Efficient Transformer for High-Resolution Image Restoration", CVPR 2022). texpaint
neither bundles nor requires it. When the user has installed it,
:func:`~texpaint.models.spandrel_loader.extra_architectures`
registers its architectures with spandrel once, before the first detection; a model detected
through one of them gets a card with ``"architecture_package": "spandrel_extra_arches"`` and a
``licence_note`` (:data:`~texpaint.models.spandrel_loader.EXTRA_ARCHES_LICENCE_NOTE`) that the
user must check its licence.
MAT (spandrel's ``MaskedImageModelDescriptor``, purpose Inpainting) maps to inpaint, Restormer
(scale 1) to denoise, like any other model.

Import copies the file into :func:`texpaint.models.catalog.user_models_dir` beside a generated
model card (``"format": "spandrel"``), so :func:`texpaint.models.catalog.list_models` and
:func:`~texpaint.models.catalog.load_network` see it like a built-in model (sha256 checked on
load). No Qt here.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from texpaint.models.cards import ModelInfo, ModelLoadError, read_card
from texpaint.models.catalog import (
    list_models,
    remove_model,
    user_models_dir,
    write_text_atomic,
)
from texpaint.models.spandrel_loader import (
    SUPPORTED_EXTENSIONS,
    describe,
    descriptor_card,
    operation_for,
)

__all__ = [
    "ModelInfo",
    "ModelLoadError",
    "SUPPORTED_EXTENSIONS",
    "import_model",
    "remove_model",
]


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60] or "model"


def _unique_id(base: str, folder: Path) -> str:
    taken = {m.id for m in list_models()}
    candidate, n = base, 2
    while candidate in taken or any(folder.glob(f"{candidate}.*")):
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _atomic_copy(src: Path, dst: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp")
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def import_model(
    path: str | os.PathLike[str], name: str | None = None, data_dir: Path | None = None
) -> ModelInfo:
    """Check, copy and register a community model file; returns its :class:`ModelInfo`.

    The file is loaded once with spandrel (see :func:`read_state_dict` for what is refused) to
    find its architecture and operation: Inpainting → ``"inpaint"``; restoration at scale 1 →
    ``"denoise"``; scale 2/4/... → ``"upscale"``. Then it is copied (temp file +
    ``os.replace``) to ``<models folder>/<id><ext>`` and a model card ``<id>.json`` is written
    atomically after it, with keys ``id``, ``name``, ``operation``, those of
    :func:`descriptor_card` (architecture, precisions, licence note of extra architectures),
    ``sha256``, ``source``, ``file``, ``imported``, ``format`` (= ``"spandrel"``).

    Args:
        path: the ``.safetensors`` (preferred), ``.pth``, ``.pt`` or ``.ckpt`` file.
        name: display name (default: the file's stem); the id is made from it, unique.
        data_dir: models folder to copy into (default
            :func:`texpaint.models.catalog.user_models_dir`; only that folder is listed).

    Raises:
        ModelLoadError: missing file, unsupported type, unsafe pickle, unknown architecture,
            non-RGB or face model, or the copy failed.
    """
    src = Path(path)
    if not src.is_file():
        raise ModelLoadError(f"{src}: file not found")
    descriptor = describe(src, meta=True)
    operation = operation_for(descriptor)
    folder = Path(data_dir) if data_dir is not None else user_models_dir()
    display = name or src.stem
    try:
        folder.mkdir(parents=True, exist_ok=True)
        model_id = _unique_id(_slug(display), folder)
        dst = folder / f"{model_id}{src.suffix.lower()}"
        _atomic_copy(src, dst)
        card: dict[str, Any] = {
            "id": model_id,
            "name": display,
            "operation": operation,
            **descriptor_card(descriptor),
            "sha256": _sha256(dst),
            "source": str(src.resolve()),
            "file": dst.name,
            "imported": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "format": "spandrel",
        }
        card_path = folder / f"{model_id}.json"
        write_text_atomic(card_path, json.dumps(card, indent=2) + "\n")
    except OSError as exc:
        raise ModelLoadError(f"cannot copy {src.name} into {folder}: {exc}") from exc
    return read_card(card_path, builtin=False)
