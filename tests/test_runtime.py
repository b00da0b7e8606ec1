"""The inference runtime: threads, tile size from free memory, out-of-memory fallback."""

from __future__ import annotations

import os
from types import SimpleNamespace

import numpy as np
import psutil
import pytest
import torch

from texpaint.engine import device as device_mod
from texpaint.engine import pipeline
from texpaint.engine.device import (
    MIN_TILE_PX,
    Runtime,
    auto_tile_px,
    is_out_of_memory,
    physical_cores,
)
from texpaint.jobs import Job, JobError, Operation
from texpaint.ops.runner import run_job

GiB = 1024**3
DENOISER = "texpaint-denoise"


def test_physical_cores_counts_cores_not_hyperthreads():
    n = physical_cores()
    assert 1 <= n <= (os.cpu_count() or 1)
    assert n <= (psutil.cpu_count(logical=False) or n)
    Runtime("cpu")
    assert torch.get_num_threads() == n


@pytest.mark.parametrize(
    ("free", "device", "edge"),
    [
        (22 * GiB, "cpu", 1024),  # the CPU cap
        (2 * GiB, "cpu", 512),
        (GiB // 2, "cpu", 256),
        (8 * GiB, "cuda", 1024),
        (70 * GiB, "cuda", 2816),
        (0, "cuda", MIN_TILE_PX),
    ],
)
def test_auto_tile_size_follows_free_memory(free, device, edge):
    assert auto_tile_px(free, device) == edge


def test_runtime_tile_size_reads_free_memory_unless_set(monkeypatch):
    monkeypatch.setattr(
        device_mod.psutil, "virtual_memory", lambda: SimpleNamespace(available=int(1.5 * GiB))
    )
    assert Runtime("cpu").tile_size == 256
    monkeypatch.setattr(
        device_mod.psutil, "virtual_memory", lambda: SimpleNamespace(available=20 * GiB)
    )
    assert Runtime("cpu").tile_size == 1024
    assert Runtime("cpu", tile_px=512).tile_size == 512  # the user's choice wins


def test_out_of_memory_errors_are_recognised():
    assert is_out_of_memory(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate"))
    assert is_out_of_memory(MemoryError())
    try:
        torch.empty(2**50, dtype=torch.uint8)  # 1 PiB: the CPU allocator refuses it
    except RuntimeError as exc:
        assert is_out_of_memory(exc)
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    assert not is_out_of_memory(ValueError("out of memory"))


def _noisy(size: int = 384) -> np.ndarray:
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:size, :size] / size
    clean = np.stack([np.sin(9 * xx), np.cos(7 * yy), xx * yy], -1) * 0.4 + 0.5
    return np.clip(clean + rng.normal(0, 0.08, clean.shape), 0, 1).astype(np.float32)


def _denoise_job(image: np.ndarray) -> Job:
    return Job(
        op=Operation.DENOISE,
        image=image,
        mask=np.zeros(image.shape[:2], np.float32),
        model_id=DENOISER,
    )


def test_job_retries_with_smaller_tiles_after_out_of_memory(monkeypatch):
    """A forward pass that runs out of memory above 256 px tiles: the job steps down twice
    (1024 → 512 → 256), says so, and returns exactly what a 256 px run returns."""
    image = _noisy()
    expected = run_job(_denoise_job(image), runtime=Runtime("cpu", tile_px=256)).image
    real_forward = pipeline._restore_forward
    tiles_tried: list[int] = []

    def forward(net, img, runtime):
        tiles_tried.append(runtime.tile_size)
        if runtime.tile_size > 256:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real_forward(net, img, runtime)

    monkeypatch.setattr(pipeline, "_restore_forward", forward)
    runtime = Runtime("cpu", tile_px=1024)
    messages: list[str] = []
    result = run_job(_denoise_job(image), runtime=runtime, progress=lambda f, m: messages.append(m))
    assert tiles_tried[:2] == [1024, 512] and set(tiles_tried[2:]) == {256}
    steps = [m for m in messages if m.startswith("Out of memory")]
    assert steps == [
        "Out of memory with 1024 px tiles: retrying with 512 px tiles",
        "Out of memory with 512 px tiles: retrying with 256 px tiles",
    ]
    assert np.array_equal(result.image, expected)
    runtime.begin_job()  # the next job starts again from the full tile size
    assert runtime.tile_size == 1024


def test_job_reports_out_of_memory_when_nothing_is_left(monkeypatch):
    image = _noisy(256)
    original = image.copy()

    def forward(net, img, runtime):
        raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate")

    monkeypatch.setattr(pipeline, "_restore_forward", forward)
    with pytest.raises(JobError, match="Out of memory while running Denoise, even on the CPU"):
        run_job(_denoise_job(image), runtime=Runtime("cpu", tile_px=512))
    assert np.array_equal(image, original)  # the input (the document's pixels) is untouched


def test_gpu_runtime_falls_back_to_the_cpu_at_the_smallest_tile(monkeypatch):
    """The step after the smallest tile on a GPU is the CPU; the next job tries the GPU again.
    (No GPU here: the runtime is told it is on CUDA, which only changes its bookkeeping.)"""
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Test GPU")
    monkeypatch.setattr(torch.cuda, "empty_cache", lambda: None)
    runtime = Runtime("cpu", tile_px=MIN_TILE_PX)
    runtime.device = runtime.preferred_device = torch.device("cuda")
    message = runtime.recover_from_oom()
    assert message == "CUDA: Test GPU ran out of memory even with 256 px tiles: running on the CPU"
    assert runtime.device.type == "cpu"
    assert runtime.recover_from_oom() is None  # CPU at the smallest tile: nothing left
    monkeypatch.setattr(Runtime, "_setup_device", lambda self: None)
    runtime.begin_job()
    assert runtime.device.type == "cuda"


def test_gui_modules_do_not_import_torch():
    """The GUI thread must not pay for importing torch (about 2.5 s here) before the first
    paint: the main window's modules leave it to the inference worker's thread."""
    import subprocess
    import sys

    code = (
        "import sys; import texpaint.ui.main_window, texpaint.ui.app; print('torch' in sys.modules)"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == "False", out.stderr


def test_window_warms_the_worker_up_only_after_its_first_paint(qtbot, settings_dir):
    """torch's import (the worker's warm-up) waits for the first paint, then the status bar
    learns the device from the worker."""
    from texpaint.ui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    assert not win._warm_up_asked and win.engine.runner._runtime is None
    with qtbot.waitSignal(win.engine.deviceReady, timeout=60000) as ready:
        win.show()
    assert win._warm_up_asked and ready.args[0].startswith("CPU (")
    win.engine.shutdown()


def test_macos_open_document_event_opens_the_file(window, sample, qtbot):
    """A QFileOpenEvent (Finder double-click, Dock drop) sent to the application opens the
    file in the window, through the same background loader as File → Open."""
    from PySide6.QtGui import QFileOpenEvent
    from PySide6.QtWidgets import QApplication

    from texpaint.ui.app import FileOpenForwarder

    app = QApplication.instance()
    forwarder = FileOpenForwarder(window)
    app.installEventFilter(forwarder)
    try:
        assert QApplication.sendEvent(app, QFileOpenEvent(str(sample)))
        qtbot.waitUntil(lambda: window.document is not None, timeout=20000)
        assert window.document.path == sample and window.document.size == (256, 256)
    finally:
        app.removeEventFilter(forwarder)


def test_network_layout_channels_last_unless_5d_weights(monkeypatch):
    """Runtime.network moves 4-D weights to channels_last; a network with 5-D weights (MAT's
    modulated convolutions) keeps its layout instead of failing to load."""
    plain = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3))
    mixed = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.Conv3d(1, 2, 3))
    nets = {"plain": plain, "mixed": mixed}
    monkeypatch.setattr(device_mod, "load_network", lambda info: nets[info.id])
    runtime = Runtime("cpu")
    for name in nets:
        info = SimpleNamespace(id=name, path=name, card={})
        net = runtime.network(info)
        assert net is nets[name]
    assert plain[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert mixed[1].weight.dim() == 5 and mixed[1].weight.is_contiguous()
