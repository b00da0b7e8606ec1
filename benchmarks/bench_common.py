"""Pieces the benchmark scripts share: validation images, downscaling, the catalog model.

Imported by the scripts in ``benchmarks/`` after they put the repository root on ``sys.path``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from texpaint.models.catalog import ModelInfo, ModelLoadError, get_model
from texpaint.training.data import list_images

REPO = Path(__file__).resolve().parent.parent
DEFAULT_VAL = REPO.parent / "shared" / "data" / "textures" / "cc0-1k" / "val"


def add_common_args(
    p: argparse.ArgumentParser, size_help: str, operation: str = "inpaint", size: int = 512
) -> None:
    """The options every quality benchmark takes: ``--val``, ``--limit``, ``--size`` (px,
    default ``size``), ``--model`` (model id for ``operation``) and ``--json``."""
    p.add_argument(
        "--val",
        type=Path,
        default=DEFAULT_VAL,
        help="validation image folder (default: ../shared/data/textures/cc0-1k/val "
        "relative to the repository root)",
    )
    p.add_argument("--limit", type=int, default=None, help="only the first N images (by name)")
    p.add_argument("--size", type=int, default=size, help=f"{size_help} in px (default {size})")
    p.add_argument("--model", default=None, help=f"{operation} model id (default: catalog default)")
    p.add_argument("--json", type=Path, default=None, help="write all figures to this JSON file")


def val_images(folder: Path, limit: int | None) -> list[Path] | None:
    """Sorted image files of ``folder`` (the first ``limit``), or None after printing an error
    when the folder is missing or empty."""
    try:
        return list_images(folder)[:limit]
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def area_downscale(rgb: np.ndarray, size: int) -> np.ndarray:
    """float32 ``(H, W, 3)`` area-downscaled (``cv2.INTER_AREA``) so the longer side is
    <= ``size`` px; returned unchanged (as float32) when already small enough."""
    h, w = rgb.shape[:2]
    scale = size / max(h, w)
    if scale >= 1.0:
        return np.ascontiguousarray(rgb, dtype=np.float32)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(rgb, new, interpolation=cv2.INTER_AREA).astype(np.float32)


def catalog_model(model_id: str | None, operation: str = "inpaint") -> ModelInfo | None:
    """The catalog's ``operation`` model ``model_id`` (None: the default), or None after
    printing an error that says how to install one."""
    try:
        return get_model(model_id, operation)
    except ModelLoadError as exc:
        print(
            f"error: {exc}. Install a model in resources/models or point "
            "TEXPAINT_MODEL_DIRS at a folder with one.",
            file=sys.stderr,
        )
        return None


# --- speed and memory (benchmarks/speed.py, benchmarks/gui_stall.py) ----------------------


def bundled_texture(size: int, index: int = 0) -> np.ndarray:
    """float32 ``(size, size, 3)`` sRGB texture in [0, 1] from ``resources/samples`` (the
    ``index``-th by name): mirror-tiled up to ``size`` when the sample is smaller (so the
    content stays continuous), then centre-cropped. Deterministic; no network needed."""
    from texpaint.imaging.io import read_image

    samples = sorted((REPO / "resources" / "samples").glob("*.jpg"))
    rgb = read_image(samples[index % len(samples)]).rgb
    h, w = rgb.shape[:2]
    reps = (-(-size // h), -(-size // w))
    if reps != (1, 1):
        row = np.concatenate([rgb if i % 2 == 0 else rgb[:, ::-1] for i in range(reps[1])], 1)
        rgb = np.concatenate([row if i % 2 == 0 else row[::-1] for i in range(reps[0])], 0)
        h, w = rgb.shape[:2]
    y0, x0 = (h - size) // 2, (w - size) // 2
    return np.ascontiguousarray(rgb[y0 : y0 + size, x0 : x0 + size], dtype=np.float32)


def count_flops(net, args: tuple) -> tuple[int, int]:
    """FLOPs of one ``net(*args)`` forward pass counted by ``torch.utils.flop_counter.
    FlopCounterMode`` (convolutions, matmuls, ... : 2 FLOPs per multiply-add; element-wise
    ops are not counted), run on the ``meta`` device (shapes only, no compute) on a copy of
    ``net``. Returns ``(flops, fft_calls)``: FFT ops (``aten._fft_*``, used by Fourier
    convolutions) are not counted by the mode, so their number of calls is returned so the
    report can say the count is a lower bound."""
    import copy

    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import FlopCounterMode

    class _FftCalls(TorchDispatchMode):
        calls = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if "fft" in func.__name__:
                _FftCalls.calls += 1
            return func(*args, **(kwargs or {}))

    meta_net = copy.deepcopy(net).to("meta")
    meta_args = tuple(
        torch.empty(a.shape, dtype=torch.float32, device="meta")
        if isinstance(a, torch.Tensor)
        else a
        for a in args
    )
    counter = FlopCounterMode(display=False)
    _FftCalls.calls = 0
    with torch.inference_mode(), counter, _FftCalls():
        meta_net(*meta_args)
    return int(counter.get_total_flops()), _FftCalls.calls


def rss_mb() -> float:
    """This process's resident set size now, in MB (Linux ``/proc/self/status`` VmRSS)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB (``getrusage`` ``ru_maxrss``)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def matmul_gflops(
    device: str = "cpu", n: int = 2048, repeats: int = 5, clock: Callable[[], float] | None = None
) -> float:
    """Achieved GFLOP/s of an ``n x n`` matrix product on ``device`` (CPU: float32; CUDA:
    float16 under the same autocast path the pipeline uses): the practical compute ceiling
    that the model GFLOP/s are compared with. ``clock``: ``time.perf_counter`` (default,
    wall) or ``time.process_time`` (CPU seconds: per busy core, robust to other load)."""
    import time

    clock = clock or time.perf_counter

    import torch

    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    a = torch.rand(n, n, device=device, dtype=dtype)
    b = torch.rand(n, n, device=device, dtype=dtype)
    a @ b  # warm-up
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    t0 = clock()
    for _ in range(repeats):
        a @ b
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return 2.0 * n**3 * repeats / (clock() - t0) / 1e9


def stall_stats(beats_s, interval_ms: float) -> dict[str, float]:
    """Event-loop stall statistics from heartbeat timestamps.

    Args:
        beats_s: increasing times (seconds) at which a ``QTimer`` of ``interval_ms`` fired.
        interval_ms: the timer's interval.

    Returns:
        ``{"beats", "p50_ms", "p99_ms", "max_ms"}``: percentiles (numpy's linear
        interpolation) of the stall of each gap, ``max(0, gap - interval_ms)`` in ms, i.e. how
        much later than asked the loop came back. All 0 with fewer than two beats.
    """
    t = np.asarray(beats_s, dtype=np.float64)
    if t.size < 2:
        return {"beats": int(t.size), "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    stall = np.maximum(0.0, np.diff(t) * 1000.0 - interval_ms)
    return {
        "beats": int(t.size),
        "p50_ms": float(np.percentile(stall, 50)),
        "p99_ms": float(np.percentile(stall, 99)),
        "max_ms": float(stall.max()),
    }
