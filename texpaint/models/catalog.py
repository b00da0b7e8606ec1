"""Catalog of the models texpaint can run, their model cards, and safe loading.

Built-in models live in ``resources/models/<id>.safetensors`` with a JSON model card
``<id>.json`` beside each (written by ``texpaint.training.export``). Loading:

- only ``.safetensors`` (no pickles) for built-in models;
- the file's sha256 must equal the card's ``sha256`` (checked once per process and file);
- the architecture is built from the card's ``architecture`` and ``architecture_config`` via a
  fixed registry, never from code stored in the file.

Community models imported with :func:`texpaint.models.community.import_model` live in the user's
data folder (:func:`user_models_dir`); their cards say ``"format": "spandrel"`` and they are
loaded through spandrel's architecture detection (still sha256-checked, still without running
pickled code), wrapped to texpaint's tensor contract by
:class:`texpaint.models.arch.spandrel_net.SpandrelNetwork`.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from texpaint import resources_dir


class ModelLoadError(Exception):
    """A model file or card is missing, corrupt, tampered with, or of an unknown architecture."""


@dataclass(frozen=True)
class ModelInfo:
    """One model known to texpaint.

    Attributes:
        id: catalog id (the card's ``id``).
        name: human-readable name.
        operation: "inpaint", "denoise", "upscale" or "stylize".
        path: the weights file (``.safetensors``; imported spandrel models may keep ``.pth``).
        card: the whole model card (dict parsed from JSON).
        size_bytes: weights file size in bytes.
        params: parameter count.
        builtin: False for models the user imported (in :func:`user_models_dir`), True for
            models shipped in ``resources/models`` or found in ``TEXPAINT_MODEL_DIRS``.
    """

    id: str
    name: str
    operation: str
    path: Path
    card: dict[str, Any]
    size_bytes: int
    params: int
    builtin: bool = True


def user_models_dir() -> Path:
    """Folder of the models the user imported: ``$TEXPAINT_DATA_DIR/models`` when that
    variable is set, else ``platformdirs.user_data_dir("texpaint")/models``. Not created here."""
    override = os.environ.get("TEXPAINT_DATA_DIR")
    if override:
        return Path(override) / "models"
    import platformdirs

    return Path(platformdirs.user_data_dir("texpaint")) / "models"


def models_dirs() -> list[Path]:
    """Folders searched for model cards, in priority order: the folders listed in the
    ``TEXPAINT_MODEL_DIRS`` environment variable (``os.pathsep``-separated), the user's
    imported models (:func:`user_models_dir`), then the bundled ``resources/models``."""
    extra = [Path(p) for p in os.environ.get("TEXPAINT_MODEL_DIRS", "").split(os.pathsep) if p]
    return [*extra, user_models_dir(), resources_dir() / "models"]


def _read_card(card_path: Path, builtin: bool) -> ModelInfo:
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
        weights = card_path.parent / card["file"]
        return ModelInfo(
            id=str(card["id"]),
            name=str(card.get("name", card["id"])),
            operation=str(card["operation"]),
            path=weights,
            card=card,
            size_bytes=weights.stat().st_size if weights.exists() else 0,
            params=int(card.get("parameters", 0)),
            builtin=builtin,
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"bad model card {card_path.name}: {exc}") from exc


def list_models(operation: str | None = None, problems: list[str] | None = None) -> list[ModelInfo]:
    """All models whose card parses, optionally only those for ``operation``, sorted by id.

    Cards that fail to parse are skipped; their messages are appended to ``problems`` when
    given (``texpaint models list`` prints them as warnings).
    """
    found: dict[str, ModelInfo] = {}
    user_dir = user_models_dir()
    for folder in models_dirs():
        if not folder.is_dir():
            continue
        for card_path in sorted(folder.glob("*.json")):
            try:
                info = _read_card(card_path, builtin=folder != user_dir)
            except ModelLoadError as exc:
                if problems is not None:
                    problems.append(str(exc))
                continue
            if operation is None or info.operation == operation:
                found.setdefault(info.id, info)
    return sorted(found.values(), key=lambda m: m.id)


def get_model(model_id: str | None, operation: str) -> ModelInfo:
    """The model ``model_id``, or the default model for ``operation`` when ``model_id`` is None.

    Raises:
        ModelLoadError: no such model, or it serves another operation, or none exists for
            ``operation``.
    """
    candidates = list_models(operation)
    if model_id is None:
        if not candidates:
            raise ModelLoadError(f"no {operation} model is installed")
        return candidates[0]
    for info in list_models():
        if info.id == model_id:
            if info.operation != operation:
                raise ModelLoadError(f"model {model_id!r} is for {info.operation}, not {operation}")
            return info
    known = ", ".join(m.id for m in candidates) or "none"
    raise ModelLoadError(f"unknown {operation} model {model_id!r} (installed: {known})")


_verified: dict[tuple[str, float, int], str] = {}


def verify_sha256(info: ModelInfo) -> None:
    """Check the weights file against the card's sha256 (cached per path, mtime and size).

    Raises:
        ModelLoadError: file missing, or its hash differs from the card's.
    """
    try:
        st = info.path.stat()
    except OSError as exc:
        raise ModelLoadError(f"model file missing: {info.path}") from exc
    key = (str(info.path), st.st_mtime, st.st_size)
    if key not in _verified:
        h = hashlib.sha256()
        with open(info.path, "rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
        _verified[key] = h.hexdigest()
    expected = info.card.get("sha256")
    if _verified[key] != expected:
        raise ModelLoadError(
            f"model file {info.path.name} does not match its card's sha256 (corrupt or replaced)"
        )


def build_network(info: ModelInfo):
    """Instantiate the (untrained) architecture named by the card. Returns a ``torch.nn.Module``.

    Raises:
        ModelLoadError: unknown architecture or bad config.
    """
    arch = info.card.get("architecture")
    cfg = info.card.get("architecture_config", {})
    try:
        if arch == "ffc_inpaint":
            from texpaint.models.arch.ffc_inpaint import FFCInpaintConfig, FFCInpaintGenerator

            return FFCInpaintGenerator(FFCInpaintConfig(**cfg))
        if arch == "style_net":
            from texpaint.models.arch.style_net import StyleNetConfig, StyleTransferNet

            return StyleTransferNet(StyleNetConfig.from_dict(cfg))
        if arch == "nafnet_denoise":
            from texpaint.models.arch.nafnet_denoise import NAFDenoiseConfig, NAFDenoiser

            return NAFDenoiser(NAFDenoiseConfig(**cfg))
    except (TypeError, ValueError) as exc:
        raise ModelLoadError(f"bad architecture_config for {info.id}: {exc}") from exc
    raise ModelLoadError(f"model {info.id}: unknown architecture {arch!r}")


def load_network(info: ModelInfo):
    """Verify, build and load ``info``'s network on the CPU in eval mode (``torch.nn.Module``).

    Cards with ``"format": "spandrel"`` (imported community models) are loaded through
    spandrel and returned as a :class:`texpaint.models.arch.spandrel_net.SpandrelNetwork`
    (``forward(image, mask)`` for inpainting, ``forward(image)`` for restoration).

    Raises:
        ModelLoadError: hash mismatch, unreadable safetensors, a pickle that asks for more
            than plain weights, or weights that do not fit the architecture.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    verify_sha256(info)
    if info.card.get("format") == "spandrel":
        from texpaint.models.community import load_spandrel_network

        return load_spandrel_network(info)
    net = build_network(info)
    try:
        state = load_file(str(info.path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelLoadError(f"cannot read weights of {info.id}: {exc}") from exc
    result = net.load_state_dict(state, strict=False)
    missing = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]
    if missing or result.unexpected_keys:
        raise ModelLoadError(
            f"weights of {info.id} do not fit its architecture "
            f"(missing {missing[:3]}, unexpected {result.unexpected_keys[:3]})"
        )
    return net.eval()


def remove_model(model_id: str) -> ModelInfo:
    """Delete an imported model's card and weights file; returns what was removed.

    Raises:
        ModelLoadError: no model with that id, or it is built in (not imported by the user),
            or the files cannot be deleted.
    """
    for info in list_models():
        if info.id != model_id:
            continue
        if info.builtin:
            raise ModelLoadError(f"model {model_id!r} is built in and cannot be removed")
        card_path = info.path.parent / f"{info.id}.json"
        try:
            card_path.unlink(missing_ok=True)  # card first: a left-over file is never listed
            info.path.unlink(missing_ok=True)
        except OSError as exc:
            raise ModelLoadError(f"cannot remove {model_id!r}: {exc}") from exc
        return info
    raise ModelLoadError(f"no model {model_id!r} is installed")
