"""Device choice and the per-thread model runtime.

:class:`Runtime` belongs to exactly one thread (the inference worker, or the CLI's main
thread). It picks the torch device, sets CPU threads, and keeps loaded networks so each model
is loaded once.
"""

from __future__ import annotations

import os
import threading

import torch

from texpaint.models.catalog import ModelInfo, load_network

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def physical_cores() -> int:
    """Number of CPU cores usable by this process (affinity-aware), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS / Windows
        return max(1, os.cpu_count() or 1)


def resolve_device(name: str = "auto") -> torch.device:
    """Map a user choice to a ``torch.device``.

    "auto" picks CUDA, then Apple MPS, then the CPU.

    Raises:
        ValueError: unknown name, or the named device is not available here.
    """
    if name not in DEVICE_CHOICES:
        raise ValueError(f"unknown device {name!r}; choose one of {', '.join(DEVICE_CHOICES)}")
    mps_ok = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if mps_ok else torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA was requested but no CUDA GPU is available")
    if name == "mps" and not mps_ok:
        raise ValueError("MPS was requested but Apple Metal is not available")
    return torch.device(name)


class Runtime:
    """A torch device plus a cache of loaded networks, used from one thread only.

    Args:
        device: one of ``DEVICE_CHOICES``.
        tile_px: edge of the inference tiles in pixels (None: 2048 on CUDA, 1024 elsewhere).

    Raises:
        ValueError: see :func:`resolve_device`.
    """

    def __init__(self, device: str = "auto", tile_px: int | None = None) -> None:
        self.device = resolve_device(device)
        self.tile_px = tile_px
        self._owner = threading.get_ident()
        self._nets: dict[str, torch.nn.Module] = {}
        if self.device.type == "cpu":
            torch.set_num_threads(physical_cores())
        elif self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True

    @property
    def tile_size(self) -> int:
        """Inference tile edge in pixels: the user's ``tile_px`` or the device default."""
        if self.tile_px:
            return max(256, int(self.tile_px))
        return 2048 if self.device.type == "cuda" else 1024

    @property
    def description(self) -> str:
        """Human-readable device, e.g. ``"CPU (2 threads)"`` or ``"CUDA: NVIDIA H100"``."""
        if self.device.type == "cuda":
            return f"CUDA: {torch.cuda.get_device_name(self.device)}"
        if self.device.type == "mps":
            return "MPS (Apple GPU)"
        return f"CPU ({torch.get_num_threads()} threads)"

    def network(self, info: ModelInfo) -> torch.nn.Module:
        """The loaded network for ``info`` on this runtime's device (loaded on first use).

        Raises:
            ModelLoadError: see :func:`texpaint.models.catalog.load_network`.
        """
        # keyed by file and hash too: a removed and re-imported model may reuse its id
        key = f"{info.id}|{info.path}|{info.card.get('sha256')}"
        net = self._nets.get(key)
        if net is None:
            net = load_network(info).to(self.device, memory_format=torch.channels_last)
            self._nets[key] = net
        return net

    def forget(self) -> None:
        """Drop every loaded network (frees memory; next use reloads)."""
        self._nets.clear()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
