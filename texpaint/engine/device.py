"""Device choice and the per-thread model runtime.

:class:`Runtime` belongs to exactly one thread (the inference worker, or the CLI's main
thread). It picks the torch device, sets CPU threads (one per physical core), chooses the
inference tile size from free memory, keeps loaded networks so each model is loaded once, and
steps down after an out-of-memory error: halve the tile down to :data:`MIN_TILE_PX`, then (on
a GPU) move to the CPU. :func:`texpaint.ops.runner.run_job` drives those retries.
"""

from __future__ import annotations

import math
import os
import threading

import psutil
import torch

from texpaint.models.catalog import ModelInfo, load_network

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


MIN_TILE_PX = 256
"""Smallest inference tile edge (pixels): the floor of the out-of-memory fallback."""
MAX_TILE_PX = {"cpu": 1024, "mps": 2048, "cuda": 4096}
"""Largest automatic tile edge per device type (pixels). On the CPU bigger tiles are no
faster and only raise peak memory (an 8192² denoise stays under 4 GB with 1024 px tiles)."""
INFERENCE_BYTES_PER_PX = 4096
"""Working memory one input pixel of a tile is assumed to need during a forward pass (bytes).
Measured peaks (fp32, CPU, peak RSS growth): the built-in denoiser and style generators
about 300 B/px, the inpainting generator 800–1,100 B/px; the margin covers community models
with wider features (ESRGAN-family upscalers). An underestimate is caught by the
out-of-memory fallback."""
MEMORY_BUDGET_FRACTION = 0.5
"""Share of the free memory one tile may use; the rest is for the image buffers and others."""


def physical_cores() -> int:
    """Number of physical CPU cores this process may use, at least 1.

    ``psutil.cpu_count(logical=False)`` (SMT siblings do not count: two torch threads on one
    core's hyper-threads run slower than one), limited by the process's CPU affinity where the
    platform has one (containers, ``taskset``).
    """
    physical = psutil.cpu_count(logical=False) or os.cpu_count() or 1
    try:
        allowed = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS / Windows
        allowed = physical
    return max(1, min(physical, allowed))


def is_out_of_memory(exc: BaseException) -> bool:
    """True for an allocation failure: ``torch.OutOfMemoryError`` (CUDA, MPS),
    :class:`MemoryError`, or the ``RuntimeError`` torch's CPU allocator raises."""
    if isinstance(exc, (torch.OutOfMemoryError, MemoryError)):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and (
        "can't allocate memory" in text or "out of memory" in text.lower()
    )


def auto_tile_px(free_bytes: int, device_type: str) -> int:
    """Tile edge (pixels) for ``free_bytes`` of free memory on a ``device_type`` device.

    ``sqrt(MEMORY_BUDGET_FRACTION * free / INFERENCE_BYTES_PER_PX)``, rounded down to a
    multiple of 256 and clamped to ``[MIN_TILE_PX, MAX_TILE_PX[device_type]]``. E.g. 22 GiB
    free on the CPU gives 1024 (the CPU cap), 2 GiB 512, 70 GiB on a CUDA GPU 2816.
    """
    cap = MAX_TILE_PX.get(device_type, MAX_TILE_PX["cpu"])
    edge = math.sqrt(max(0, free_bytes) * MEMORY_BUDGET_FRACTION / INFERENCE_BYTES_PER_PX)
    return int(min(cap, max(MIN_TILE_PX, int(edge) // 256 * 256)))


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


def _memory_format(net: torch.nn.Module) -> torch.memory_format:
    """``torch.channels_last`` for the 4-D weights of ``net``, unless it also holds 5-D
    tensors (e.g. MAT's modulated convolutions), which channels_last cannot lay out: then
    ``torch.preserve_format``."""
    tensors = (*net.parameters(), *net.buffers())
    return torch.preserve_format if any(t.dim() == 5 for t in tensors) else torch.channels_last


class Runtime:
    """A torch device plus a cache of loaded networks, used from one thread only.

    Args:
        device: one of ``DEVICE_CHOICES``.
        tile_px: edge of the inference tiles in pixels (None or 0: chosen from free memory,
            see :func:`auto_tile_px`).

    Raises:
        ValueError: see :func:`resolve_device`.
    """

    def __init__(self, device: str = "auto", tile_px: int | None = None) -> None:
        self.device = resolve_device(device)
        self.preferred_device = self.device
        self.tile_px = tile_px
        self._oom_tile_px: int | None = None
        self._owner = threading.get_ident()
        self._nets: dict[str, torch.nn.Module] = {}
        self._setup_device()

    def _setup_device(self) -> None:
        if self.device.type == "cpu":
            torch.set_num_threads(physical_cores())
        elif self.device.type == "cuda":
            torch.backends.cudnn.benchmark = True

    def free_memory_bytes(self) -> int:
        """Memory free for inference on this runtime's device (bytes): CUDA's free memory
        plus blocks torch has cached but not used; system RAM available elsewhere."""
        if self.device.type == "cuda":
            free, _total = torch.cuda.mem_get_info(self.device)
            cached = torch.cuda.memory_reserved(self.device) - torch.cuda.memory_allocated(
                self.device
            )
            return int(free + max(0, cached))
        return int(psutil.virtual_memory().available)

    @property
    def tile_size(self) -> int:
        """Inference tile edge in pixels: the user's ``tile_px``, or chosen from free memory
        (:func:`auto_tile_px`); never above the size an out-of-memory retry stepped down to."""
        if self.tile_px:
            edge = max(MIN_TILE_PX, int(self.tile_px))
        else:
            edge = auto_tile_px(self.free_memory_bytes(), self.device.type)
        if self._oom_tile_px is not None:
            edge = min(edge, self._oom_tile_px)
        return edge

    def begin_job(self) -> None:
        """Reset the out-of-memory fallback: each job starts on the preferred device with the
        full tile size."""
        self._oom_tile_px = None
        if self.device != self.preferred_device:
            self.device = self.preferred_device
            self._setup_device()

    def recover_from_oom(self) -> str | None:
        """Step down after an out-of-memory error, for the caller to retry the job.

        Halves the tile edge (not below :data:`MIN_TILE_PX`); at the floor, a GPU runtime
        moves to the CPU (loaded networks are dropped and reloaded there). Frees cached GPU
        memory either way.

        Returns:
            A one-line message for the user saying what changed, or None when nothing is
            left to try (CPU with the smallest tile): the caller reports the failure.
        """
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        tile = self.tile_size
        if tile > MIN_TILE_PX:
            self._oom_tile_px = max(MIN_TILE_PX, tile // 2)
            return f"Out of memory with {tile} px tiles: retrying with {self._oom_tile_px} px tiles"
        if self.device.type != "cpu":
            was = self.description
            self.forget()
            self.device = torch.device("cpu")
            self._oom_tile_px = None
            self._setup_device()
            return f"{was} ran out of memory even with {tile} px tiles: running on the CPU"
        return None

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
        key = f"{info.id}|{info.path}|{info.card.get('sha256')}|{self.device}"
        net = self._nets.get(key)
        if net is None:
            net = load_network(info)
            net = net.to(self.device, memory_format=_memory_format(net))
            self._nets[key] = net
        return net

    def forget(self) -> None:
        """Drop every loaded network (frees memory; next use reloads)."""
        self._nets.clear()
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
