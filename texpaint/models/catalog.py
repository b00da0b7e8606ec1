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

Default model per operation: :func:`default_model` is the model a job without an explicit
model id runs (:func:`get_model` with ``model_id=None``: the pipeline, so the painter's panel,
``texpaint inpaint/denoise/upscale/seamless`` without ``--model`` and batch ops without
``:MODEL``). It is the user's choice from :func:`set_default_model` (stored in
``<user data folder>/model_defaults.json``) while that model is installed, else the first
built-in model of the operation, else the first by id. :func:`device_support` says on which
devices and in which precision texpaint runs a model (read from its card, no torch).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from texpaint import resources_dir
from texpaint.models.cards import ModelInfo, ModelLoadError, read_card
from texpaint.models.spandrel_loader import load_spandrel_network


def user_data_dir() -> Path:
    """The user's texpaint data folder: ``$TEXPAINT_DATA_DIR`` when that variable is set, else
    ``platformdirs.user_data_dir("texpaint")``. Not created here."""
    override = os.environ.get("TEXPAINT_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("texpaint"))


def user_models_dir() -> Path:
    """Folder of the models the user imported: ``<user data folder>/models`` (see
    :func:`user_data_dir`). Not created here."""
    return user_data_dir() / "models"


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a synced temp file in the same folder and
    ``os.replace``, so ``path`` holds either its old or its new content, never a part.

    Raises:
        OSError: the folder does not exist or cannot be written (the temp file is removed).
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def models_dirs() -> list[Path]:
    """Folders searched for model cards, in priority order: the folders listed in the
    ``TEXPAINT_MODEL_DIRS`` environment variable (``os.pathsep``-separated), the user's
    imported models (:func:`user_models_dir`), then the bundled ``resources/models``."""
    extra = [Path(p) for p in os.environ.get("TEXPAINT_MODEL_DIRS", "").split(os.pathsep) if p]
    return [*extra, user_models_dir(), resources_dir() / "models"]


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
                info = read_card(card_path, builtin=folder != user_dir)
            except ModelLoadError as exc:
                if problems is not None:
                    problems.append(str(exc))
                continue
            if operation is None or info.operation == operation:
                found.setdefault(info.id, info)
    return sorted(found.values(), key=lambda m: m.id)


def get_model(model_id: str | None, operation: str) -> ModelInfo:
    """The model ``model_id``, or the default model for ``operation`` when ``model_id`` is None
    (:func:`default_model`: the user's choice, else the first built-in, else the first by id).

    Raises:
        ModelLoadError: no such model, or it serves another operation, or none exists for
            ``operation``.
    """
    if model_id is None:
        info = default_model(operation)
        if info is None:
            raise ModelLoadError(f"no {operation} model is installed")
        return info
    for info in list_models():
        if info.id == model_id:
            if info.operation != operation:
                raise ModelLoadError(f"model {model_id!r} is for {info.operation}, not {operation}")
            return info
    known = ", ".join(m.id for m in list_models(operation)) or "none"
    raise ModelLoadError(f"unknown {operation} model {model_id!r} (installed: {known})")


# --- default model per operation ---------------------------------------------------------

DEFAULT_OPERATIONS = ("inpaint", "denoise", "upscale")
"""Operations whose default model the user can choose. Stylize has none: each style has
exactly one generator, so the style the user picks is the model."""

DEFAULTS_FILE_NAME = "model_defaults.json"
"""File in :func:`user_data_dir` holding ``{"inpaint": "<model id>", ...}``."""


def default_models_path() -> Path:
    """Where the chosen defaults are stored: ``<user data folder>/model_defaults.json``."""
    return user_data_dir() / DEFAULTS_FILE_NAME


def chosen_defaults() -> dict[str, str]:
    """The user's stored choices, ``{operation: model id}`` (the ids may name models that are
    no longer installed; :func:`default_model` skips those). ``{}`` when nothing was chosen or
    the file is unreadable or malformed (the built-in defaults then apply)."""
    try:
        data = json.loads(default_models_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {op: v for op, v in data.items() if op in DEFAULT_OPERATIONS and isinstance(v, str)}


def default_model(operation: str, models: list[ModelInfo] | None = None) -> ModelInfo | None:
    """The model a job for ``operation`` runs when it names none; None when none is installed.

    The user's choice (:func:`set_default_model`) while that model is installed and serves
    ``operation``; otherwise (nothing chosen, or the chosen model was removed) the first
    built-in model of ``operation`` by id, else the first imported one by id.

    Args:
        operation: "inpaint", "denoise", "upscale" or "stylize".
        models: the catalog as already listed by :func:`list_models` (saves re-reading the
            cards); None reads it.
    """
    listed = list_models() if models is None else models
    candidates = sorted((m for m in listed if m.operation == operation), key=lambda m: m.id)
    chosen = chosen_defaults().get(operation)
    for info in candidates:
        if info.id == chosen:
            return info
    builtin = [m for m in candidates if m.builtin]
    return (builtin or candidates or [None])[0]


def set_default_model(operation: str, model_id: str | None) -> ModelInfo | None:
    """Make ``model_id`` the default model of ``operation`` (None: forget the choice, so the
    built-in fallback of :func:`default_model` applies). Stored atomically in
    :func:`default_models_path`; returns the default model now in effect.

    Raises:
        ModelLoadError: ``operation`` has no user-chosen default (see
            :data:`DEFAULT_OPERATIONS`), ``model_id`` is not installed or serves another
            operation, or the choice cannot be written.
    """
    if operation not in DEFAULT_OPERATIONS:
        raise ModelLoadError(
            f"{operation!r} has no default model to choose "
            f"(choose one for {', '.join(DEFAULT_OPERATIONS)})"
        )
    if model_id is not None:
        get_model(model_id, operation)  # raises for unknown / wrong-operation ids
    choices = chosen_defaults()
    if model_id is None:
        choices.pop(operation, None)
    else:
        choices[operation] = model_id
    _write_defaults(choices)
    return default_model(operation)


def _write_defaults(choices: dict[str, str]) -> None:
    path = default_models_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps(dict(sorted(choices.items())), indent=2) + "\n")
    except OSError as exc:
        raise ModelLoadError(f"cannot store the default models in {path}: {exc}") from exc


# --- device support ----------------------------------------------------------------------

BUILTIN_HALF_PRECISION = {
    "ffc_inpaint": True,
    "nafnet_denoise": True,
    "style_net": True,
    "ffdnet": True,
}
"""Built-in architecture -> whether the pipeline runs it under CUDA float16 autocast (the
class attribute ``supports_half``; ``ffc_inpaint`` keeps its FFT in float32)."""


@dataclass(frozen=True)
class DeviceSupport:
    """Devices and precisions texpaint runs a model with (read from its card).

    Every model runs on the CPU (float32), on CUDA GPUs and on Apple MPS (float32); on CUDA
    the pipeline uses float16 autocast when the model supports half precision.

    Attributes:
        half: the model may run in float16 (spandrel's ``supports_half`` for imported
            models); None when unknown (a card imported before texpaint recorded it).
        bfloat16: the model may run in bfloat16 (spandrel's ``supports_bfloat16``; texpaint
            does not use bfloat16 today); None when unknown.
    """

    half: bool | None
    bfloat16: bool | None

    @property
    def label(self) -> str:
        """Short text for tables, e.g. ``"CPU, CUDA (fp16), MPS"``; ``fp32`` when the model
        does not support half precision, ``"fp16 unknown"`` when the card does not say."""
        cuda = {True: "fp16", False: "fp32", None: "fp16 unknown"}[self.half]
        return f"CPU, CUDA ({cuda}), MPS"

    @property
    def details(self) -> str:
        """One line per precision for tooltips."""

        def word(flag: bool | None) -> str:
            return {True: "yes", False: "no", None: "unknown (card predates this field)"}[flag]

        return (
            "CPU and Apple MPS: float32\n"
            f"CUDA: {'float16 autocast' if self.half else 'float32'}\n"
            f"half precision (fp16): {word(self.half)}\n"
            f"bfloat16: {word(self.bfloat16)} (not used by texpaint)"
        )


def device_support(info: ModelInfo) -> DeviceSupport:
    """What :class:`DeviceSupport` ``info``'s card gives: imported (spandrel) models from the
    ``supports_half`` / ``supports_bfloat16`` fields written at import (unknown when absent),
    built-in models from :data:`BUILTIN_HALF_PRECISION` (bfloat16 unknown: not tested)."""

    def flag(key: str) -> bool | None:
        value = info.card.get(key)
        return value if isinstance(value, bool) else None

    if info.card.get("format") == "spandrel":
        return DeviceSupport(half=flag("supports_half"), bfloat16=flag("supports_bfloat16"))
    return DeviceSupport(
        half=BUILTIN_HALF_PRECISION.get(str(info.card.get("architecture"))), bfloat16=None
    )


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
        if arch == "ffdnet":
            from texpaint.models.arch.ffdnet import FFDNet, FFDNetConfig

            return FFDNet(FFDNetConfig(**cfg))
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

    When it was the chosen default of its operation, the choice is forgotten too, so the
    operation falls back to its built-in (or first) model (:func:`default_model`).

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
        choices = chosen_defaults()
        if choices.get(info.operation) == model_id:
            del choices[info.operation]
            with contextlib.suppress(ModelLoadError):  # default_model skips it anyway
                _write_defaults(choices)
        return info
    raise ModelLoadError(f"no model {model_id!r} is installed")
