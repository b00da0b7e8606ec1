"""Export of trained weights to ``.safetensors`` with a JSON model card.

The card records what the model is and how it was made: id, operation, architecture and its
config, training data folders (with image counts), steps, batch, crop size, metrics, parameter
count, file size and the sha256 of the weights file. ``texpaint.models.catalog`` verifies the
sha256 when it loads a bundled model.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of the file at ``path``."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _atomic_write_bytes(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def export_model(
    model: torch.nn.Module, weights_path: Path, card: dict[str, Any]
) -> dict[str, Any]:
    """Write ``model``'s state dict (float32, contiguous) and its card ``<stem>.json`` atomically.

    Args:
        model: the network to export (its buffers, e.g. BatchNorm statistics, included).
        weights_path: destination ``.safetensors`` file.
        card: model card fields; ``sha256``, ``file_bytes``, ``parameters`` and ``file`` are
            filled in here.

    Returns:
        The completed card (also written to ``weights_path.with_suffix(".json")``).
    """
    tensors = {
        k: v.detach().to("cpu", torch.float32).contiguous()
        for k, v in model.state_dict().items()
        if v.dtype.is_floating_point
    }
    parameters = int(sum(p.numel() for p in model.parameters()))
    return export_tensors(tensors, weights_path, card, parameters)


def export_tensors(
    tensors: dict[str, torch.Tensor],
    weights_path: Path,
    card: dict[str, Any],
    parameters: int,
) -> dict[str, Any]:
    """Write ``tensors`` (CPU, contiguous) as ``.safetensors`` and its card ``<stem>.json``,
    both atomically; the card's ``file``, ``sha256``, ``file_bytes`` and ``parameters`` (the
    given count) are filled in here. Returns the completed card. Raises OSError when a file
    cannot be written."""
    weights_path = Path(weights_path)
    _atomic_write_bytes(weights_path, lambda tmp: save_file(tensors, tmp))
    card = dict(card)
    card["file"] = weights_path.name
    card["sha256"] = sha256_file(weights_path)
    card["file_bytes"] = weights_path.stat().st_size
    card["parameters"] = int(parameters)
    write_card(weights_path.with_suffix(".json"), card)
    return card


def write_card(path: Path, card: dict[str, Any]) -> None:
    """Write the model card ``card`` as indented JSON to ``path`` atomically (temp file +
    ``os.replace``). Raises OSError when it cannot be written."""
    text = json.dumps(card, indent=2, sort_keys=False) + "\n"
    _atomic_write_bytes(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
