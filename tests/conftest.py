"""Shared fixtures: deterministic RNGs and a guard against threads left running by a test."""

from __future__ import annotations

import gc
import random
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

_SEED = 1234


@pytest.fixture(autouse=True)
def seeded_rngs() -> None:
    """Seed Python's, NumPy's and torch's global RNGs before every test."""
    random.seed(_SEED)
    np.random.seed(_SEED)
    try:
        import torch
    except ImportError:  # torch is a dependency, but the document tests do not need it
        return
    torch.manual_seed(_SEED)


def _running_qthreads() -> list[object]:
    qtcore = sys.modules.get("PySide6.QtCore")
    if qtcore is None:
        return []
    main = qtcore.QThread.currentThread() if qtcore.QCoreApplication.instance() else None
    qthread = qtcore.QThread
    found = []
    for obj in gc.get_objects():
        try:  # type() rather than isinstance(): no __class__ lookups on lazy module proxies
            if issubclass(type(obj), qthread) and obj is not main and obj.isRunning():
                found.append(obj)
        except RuntimeError:  # wrapper whose C++ object is already deleted
            continue
    return found


@pytest.fixture(autouse=True)
def no_threads_left_running(request: pytest.FixtureRequest):
    """Fail a test that leaves a Python thread or a QThread running when it ends.

    Threads get up to 3 s to finish after the test (an engine shutting down joins its
    worker); threads alive before the test started are ignored.
    """
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 3.0
    while True:
        leftover = [
            t
            for t in threading.enumerate()
            if t not in before and t.is_alive() and not isinstance(t, threading._DummyThread)
        ]
        qthreads = _running_qthreads() if "gui" in request.keywords else []
        if not leftover and not qthreads:
            return
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    names = [t.name for t in leftover] + [repr(q) for q in qthreads]
    pytest.fail(f"test left threads running: {names}")


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch) -> Path:
    """Point ``TEXPAINT_DATA_DIR`` (autosaves, session locks) into the test's tmp_path."""
    folder = tmp_path / "texpaint-data"
    monkeypatch.setenv("TEXPAINT_DATA_DIR", str(folder))
    return folder


# ---------------------------------------------------------------------- GUI fixtures
# Qt and texpaint.ui are imported inside the fixtures so unit tests never load PySide6 widgets.

REPO = Path(__file__).resolve().parents[1]


def _sample_source() -> Path:
    """The bundled brick sample texture (1024 x 1024 JPEG)."""
    return REPO / "resources" / "samples" / "polyhaven__brick_wall_005_diff_1k.jpg"


@pytest.fixture
def sample(tmp_path) -> Path:
    """A 256 x 256 8-bit PNG crop of a bundled texture."""
    from texpaint.imaging.io import ImageData, read_image, write_image

    data = read_image(_sample_source())
    crop = ImageData(rgb=data.rgb[:256, :256].copy(), alpha=None, sample_format="uint8")
    path = tmp_path / "sample.png"
    write_image(path, crop)
    return path


@pytest.fixture
def tiny_inpaint_model(tmp_path, monkeypatch) -> str:
    """A small untrained FFC inpainting model in its own model folder; returns its id."""
    torch = pytest.importorskip("torch")
    from texpaint.models.arch.ffc_inpaint import FFCInpaintConfig, FFCInpaintGenerator
    from texpaint.training.export import export_model

    folder = tmp_path / "models"
    folder.mkdir()
    cfg = FFCInpaintConfig(base_channels=8, body_channels=16, n_blocks=1)
    torch.manual_seed(0)
    net = FFCInpaintGenerator(cfg).eval()
    card = {
        "id": "test-ffc-tiny",
        "name": "Test FFC (untrained)",
        "operation": "inpaint",
        "architecture": "ffc_inpaint",
        "architecture_config": cfg.to_dict(),
    }
    export_model(net, folder / "test-ffc-tiny.safetensors", card)
    monkeypatch.setenv("TEXPAINT_MODEL_DIRS", str(folder))
    return "test-ffc-tiny"


@pytest.fixture
def settings_dir(tmp_path, qapp) -> Path:
    """Isolated QSettings (INI files under tmp_path)."""
    from PySide6.QtCore import QSettings

    folder = tmp_path / "settings"
    folder.mkdir()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    qapp.setOrganizationName("texpaint-tests")
    qapp.setApplicationName("texpaint-tests")
    return folder


@pytest.fixture
def errors(monkeypatch) -> list[tuple[str, str]]:
    """Records QMessageBox.critical calls instead of showing them; questions answer Discard."""
    from PySide6.QtWidgets import QMessageBox

    seen: list[tuple[str, str]] = []

    def critical(parent, title, text, *args, **kwargs):
        seen.append((title, text))
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "critical", critical)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    return seen


@pytest.fixture
def window(qtbot, settings_dir, tiny_inpaint_model, errors):
    from texpaint.ui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.engine.shutdown()


@pytest.fixture
def open_image(window, qtbot):
    """``open_image(path)``: open ``path`` in ``window`` and wait until it is the document."""

    def _open(path: Path):
        assert window.open_path(Path(path)) is not False
        qtbot.waitUntil(
            lambda: window.document is not None and window.document.path == Path(path),
            timeout=10000,
        )
        return window.document

    return _open


@pytest.fixture
def no_models(tmp_path, monkeypatch) -> None:
    """The model catalog sees no model at all (not even the bundled ones): for tests of what
    happens when an operation has no model installed."""
    from texpaint.models import catalog

    empty = tmp_path / "no-models"
    empty.mkdir()
    monkeypatch.setattr(catalog, "models_dirs", lambda: [empty])


@pytest.fixture(scope="session")
def runtime():
    """One CPU inference runtime (device + model cache) shared by the engine tests."""
    from texpaint.engine.device import Runtime

    return Runtime("cpu")


# ---------------------------------------------------------------------- community models


def _state_dict(net, dtype=None) -> dict:
    """``net``'s tensors, detached and contiguous (floats cast to ``dtype`` when given)."""
    out = {}
    for k, v in net.state_dict().items():
        v = v.detach().contiguous()
        if dtype is not None and v.is_floating_point():
            v = v.to(dtype)
        out[k] = v
    return out


@pytest.fixture(scope="session")
def community_weights(tmp_path_factory) -> dict[str, Path]:
    """Weight files of tiny random-weight models built with spandrel's own architecture
    classes: ``nafnet``/``scunet`` (denoise), ``esrgan`` (2x upscale), ``compact2`` /
    ``compact4`` (Real-ESRGAN compact, SRVGGNetCompact, 2x / 4x upscale), ``nafnet_pth`` (the
    NAFNet as a weights-only pickle), ``lama`` (inpaint, float16, about 100 MB)."""
    torch = pytest.importorskip("torch")
    from safetensors.torch import save_file
    from spandrel.architectures.Compact import Compact
    from spandrel.architectures.ESRGAN import ESRGAN
    from spandrel.architectures.LaMa import LaMa
    from spandrel.architectures.NAFNet import NAFNet
    from spandrel.architectures.SCUNet import SCUNet

    folder = tmp_path_factory.mktemp("community-weights")
    torch.manual_seed(0)
    nets = {
        "nafnet": NAFNet(width=8, middle_blk_num=1, enc_blk_nums=[1], dec_blk_nums=[1]),
        "scunet": SCUNet(config=[1, 1, 1, 1, 1, 1, 1], dim=64),  # head_dim 32 needs dim 64
        "esrgan": ESRGAN(num_filters=8, num_blocks=1, scale=2),
        "compact2": Compact(num_feat=8, num_conv=2, upscale=2),
        "compact4": Compact(num_feat=8, num_conv=2, upscale=4),
    }
    paths = {}
    for name, net in nets.items():
        paths[name] = folder / f"{name}.safetensors"
        save_file(_state_dict(net), str(paths[name]))
    paths["nafnet_pth"] = folder / "nafnet_pickled.pth"
    torch.save({"params": _state_dict(nets["nafnet"])}, paths["nafnet_pth"])
    paths["lama"] = folder / "lama.safetensors"
    save_file(_state_dict(LaMa(in_nc=4, out_nc=3), torch.float16), str(paths["lama"]))
    return paths


@pytest.fixture
def whole_image(runtime):
    """``run(op, image, model_id=None, **params)``: run a job of ``op`` over the whole float32
    ``(H, W, 3)`` image (empty mask) on the shared CPU runtime; returns the result image."""
    from texpaint.jobs import Job
    from texpaint.ops.runner import run_job

    def run(op: str, image: np.ndarray, model_id: str | None = None, **params) -> np.ndarray:
        mask = np.zeros(image.shape[:2], np.float32)
        job = Job(op=op, image=image, mask=mask, params=params, model_id=model_id)
        return run_job(job, runtime=runtime).image

    return run


@pytest.fixture
def restore_torch_threads():
    """Put torch's CPU thread count back after a test that sets it."""
    import torch

    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


@pytest.fixture
def export_style_model():
    """``export(folder, style_id, **config) -> model_id``: export an untrained, tiny style
    generator (8-channel :class:`StyleTransferNet`, the identity) whose card config adds
    ``config`` (e.g. ``colour_mean``, ``exemplar_statistics``) into ``folder``."""
    from texpaint.models.arch.style_net import StyleNetConfig, StyleTransferNet
    from texpaint.training.export import export_model

    def export(folder: Path, style_id: str, **config) -> str:
        cfg = StyleNetConfig(channels=(8, 8, 8), n_blocks=1, **config)
        model_id = f"texpaint-style-{style_id}"
        card = {
            "id": model_id,
            "name": style_id,
            "operation": "stylize",
            "style_id": style_id,
            "architecture": "style_net",
            "architecture_config": cfg.to_dict(),
        }
        export_model(StyleTransferNet(cfg), folder / f"{model_id}.safetensors", card)
        return model_id

    return export
