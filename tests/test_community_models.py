"""Community models through spandrel: import, safe loading, operations, pipeline, CLI.

Models are random-weight instances of spandrel's architecture classes in small configs (LaMa
has no size options: its file is stored in float16, about 100 MB). Images are 64-300 px.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file  # noqa: E402

from texpaint.engine.device import Runtime  # noqa: E402
from texpaint.jobs import Job, JobCancelled, JobError  # noqa: E402
from texpaint.models.arch.spandrel_net import SpandrelNetwork  # noqa: E402
from texpaint.models.catalog import (  # noqa: E402
    ModelLoadError,
    get_model,
    list_models,
    load_network,
    user_models_dir,
)
from texpaint.models.community import import_model, remove_model  # noqa: E402
from texpaint.ops.runner import run_job  # noqa: E402

pytestmark = pytest.mark.unit


@pytest.fixture
def weights(community_weights) -> dict[str, Path]:
    """The shared tiny random-weight model files (see ``conftest.community_weights``)."""
    return community_weights


@pytest.fixture
def runtime() -> Runtime:
    """Small tiles (256 px, the smallest allowed) so 300 px images are tiled."""
    return Runtime("cpu", tile_px=256)


def _image(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)


# --- import -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key,arch,operation,scale",
    [
        ("nafnet", "NAFNet", "denoise", 1),
        ("scunet", "SCUNet", "denoise", 1),
        ("esrgan", "ESRGAN", "upscale", 2),
        ("nafnet_pth", "NAFNet", "denoise", 1),
    ],
)
def test_import_maps_architecture_to_operation(weights, key, arch, operation, scale):
    info = import_model(weights[key], name=f"My {key}")
    assert info.operation == operation and not info.builtin
    card = info.card
    assert card["format"] == "spandrel" and card["architecture"] == arch
    assert card["scale"] == scale and card["parameters"] == info.params > 0
    assert card["source"] == str(weights[key].resolve())
    assert info.path.parent == user_models_dir() and info.path.suffix == weights[key].suffix
    assert info.path.read_bytes() == weights[key].read_bytes()
    assert user_models_dir().is_relative_to(Path(__import__("os").environ["TEXPAINT_DATA_DIR"]))
    on_disk = json.loads((user_models_dir() / f"{info.id}.json").read_text())
    assert on_disk == card and len(card["sha256"]) == 64
    assert get_model(info.id, operation).id == info.id
    net = load_network(info)
    assert isinstance(net, SpandrelNetwork) and net.scale == scale
    assert net.size_multiple >= 1 and net.min_size >= 1
    out = net(torch.rand(1, 3, 48, 40))
    assert out.shape == (1, 3, 48 * scale, 40 * scale) and out.dtype == torch.float32


def test_import_twice_gets_a_unique_id(weights):
    a = import_model(weights["nafnet"], name="Denoiser")
    b = import_model(weights["nafnet"], name="Denoiser")
    assert a.id == "denoiser" and b.id == "denoiser-2"
    assert {m.id for m in list_models("denoise")} >= {a.id, b.id}


def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "PWNED"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.pth"
    torch.save({"weight": torch.zeros(2), "payload": Evil()}, path)
    assert not marker.exists()
    with pytest.raises(ModelLoadError, match=r"refusing to load evil\.pth.*'io\.open'"):
        import_model(path)
    assert not marker.exists(), "the pickle's payload must never run"
    assert not user_models_dir().exists() or not any(user_models_dir().iterdir())


def test_unsupported_files_are_clear_errors(tmp_path):
    with pytest.raises(ModelLoadError, match="file not found"):
        import_model(tmp_path / "missing.safetensors")
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"\0" * 16)
    with pytest.raises(ModelLoadError, match="unsupported model file type"):
        import_model(onnx)
    unknown = tmp_path / "unknown.safetensors"
    save_file({"foo.weight": torch.zeros(3, 3)}, str(unknown))
    with pytest.raises(ModelLoadError, match="does not recognise"):
        import_model(unknown)


def test_tampered_imported_weights_fail_sha256(weights):
    info = import_model(weights["esrgan"])
    data = bytearray(info.path.read_bytes())
    data[-1] ^= 0xFF
    info.path.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="sha256"):
        load_network(get_model(info.id, "upscale"))


def test_remove_model(weights, tiny_inpaint_model):
    info = import_model(weights["nafnet"])
    removed = remove_model(info.id)
    assert removed.id == info.id
    assert not info.path.exists() and not (info.path.parent / f"{info.id}.json").exists()
    assert info.id not in {m.id for m in list_models()}
    with pytest.raises(ModelLoadError, match="built in"):
        remove_model(tiny_inpaint_model)
    with pytest.raises(ModelLoadError, match="no model"):
        remove_model(info.id)


# --- pipeline -----------------------------------------------------------------------------


def test_denoise_composites_with_mask_and_strength(weights, runtime):
    """300 x 280 px with 256 px tiles: several blended tiles."""
    info = import_model(weights["nafnet"])
    img = _image(300, 280)
    mask = np.zeros(img.shape[:2], np.float32)
    mask[100:160, 40:250] = 1.0
    mask[200:210, 10:20] = 0.5
    calls: list[float] = []
    full = run_job(
        Job(op="denoise", image=img, mask=mask, model_id=info.id),
        progress=lambda f, m: calls.append(f),
        runtime=runtime,
    )
    assert full.image.shape == img.shape and full.image.dtype == np.float32
    assert np.array_equal(full.image[mask == 0], img[mask == 0]), "outside: bit-identical"
    assert np.abs(full.image[mask == 1] - img[mask == 1]).mean() > 1e-3
    assert full.region == (100, 210, 10, 250) and full.model_id == info.id
    half = run_job(
        Job(op="denoise", image=img, mask=mask, params={"strength": 0.5}, model_id=info.id),
        runtime=runtime,
    )
    inside = mask == 1
    np.testing.assert_allclose(
        half.image[inside], 0.5 * img[inside] + 0.5 * full.image[inside], atol=1e-5
    )
    zero = run_job(
        Job(op="denoise", image=img, mask=mask, params={"strength": 0.0}, model_id=info.id),
        runtime=runtime,
    )
    assert np.array_equal(zero.image, img)
    with pytest.raises(JobError, match="strength"):
        run_job(Job(op="denoise", image=img, mask=mask, params={"strength": 2}), runtime=runtime)


def test_denoise_empty_mask_is_whole_image_and_tiles_blend(weights, runtime):
    info = import_model(weights["nafnet"])
    img = _image(300, 300, seed=1)
    empty = np.zeros(img.shape[:2], np.float32)
    tiled = run_job(Job(op="denoise", image=img, mask=empty, model_id=info.id), runtime=runtime)
    whole = run_job(
        Job(op="denoise", image=img, mask=empty, model_id=info.id), runtime=Runtime("cpu")
    )
    assert tiled.region == (0, 300, 0, 300)
    assert np.abs(tiled.image - img).mean() > 1e-3, "every pixel is denoised"
    # NAFNet's receptive field is small: tiles with 32 px overlap match the one-pass result
    # (up to its global-pooling channel attention, which sees only the tile)
    assert np.abs(tiled.image - whole.image).mean() < 0.05


def test_scunet_denoise_small_image(weights, runtime):
    info = import_model(weights["scunet"])
    img = _image(64, 72, seed=2)
    res = run_job(
        Job(op="denoise", image=img, mask=np.zeros((64, 72), np.float32), model_id=info.id),
        runtime=runtime,
    )
    assert res.image.shape == img.shape and np.isfinite(res.image).all()
    assert res.image.min() >= 0 and res.image.max() <= 1


def test_upscale_returns_larger_image(weights, runtime):
    info = import_model(weights["esrgan"])
    img = _image(96, 300, seed=3)  # 300 px wide: two tiles across
    mask = np.zeros(img.shape[:2], np.float32)
    mask[:10, :10] = 1  # ignored
    res = run_job(Job(op="upscale", image=img, mask=mask, model_id=info.id), runtime=runtime)
    assert res.image.shape == (192, 600, 3) and res.image.dtype == np.float32
    assert res.region == (0, 192, 0, 600)
    assert run_job(Job(op="upscale", image=img[:64, :64], mask=mask[:64, :64])).model_id == info.id
    remove_model(info.id)
    with pytest.raises(JobError, match="no trained model"):
        run_job(Job(op="upscale", image=img, mask=mask), runtime=runtime)


def test_restoration_cancel_between_tiles(weights, runtime):
    info = import_model(weights["nafnet"])
    img = _image(300, 300, seed=4)
    calls = []

    def abort() -> bool:
        calls.append(1)
        return len(calls) > 1

    with pytest.raises(JobCancelled):
        run_job(
            Job(op="denoise", image=img, mask=np.zeros((300, 300), np.float32), model_id=info.id),
            abort=abort,
            runtime=runtime,
        )
    assert len(calls) == 2, "abort is polled before each tile and stops after the first"


def test_lama_inpaints_through_the_inpaint_path(weights, runtime):
    info = import_model(weights["lama"], name="LaMa test")
    assert info.operation == "inpaint" and info.card["architecture"] == "LaMa"
    img = _image(96, 96, seed=5)
    mask = np.zeros((96, 96), np.float32)
    mask[30:60, 40:70] = 1.0
    res = run_job(Job(op="inpaint", image=img, mask=mask, model_id=info.id), runtime=runtime)
    assert res.image.shape == img.shape
    assert np.array_equal(res.image[mask == 0], img[mask == 0])
    assert np.abs(res.image[mask == 1] - img[mask == 1]).mean() > 1e-3
    assert res.region == (30, 60, 40, 70)


# --- command line ---------------------------------------------------------------------------


def test_cli_import_list_denoise_remove(weights, tmp_path, capsys):
    from texpaint.cli import main
    from texpaint.imaging.io import ImageData, read_image, write_image

    assert main(["models", "import", str(weights["nafnet"]), "--name", "Tiny NAF"]) == 0
    assert "imported tiny-naf: NAFNet denoise model" in capsys.readouterr().out
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "tiny-naf" in out and "denoise" in out

    src = tmp_path / "in.png"
    write_image(src, ImageData(rgb=_image(64, 80), alpha=None, sample_format="uint8"))
    dst = tmp_path / "out.png"
    rc = main(
        ["denoise", str(src), "-o", str(dst), "--strength", "0.5", "--model", "tiny-naf"]
        + ["--device", "cpu"]
    )
    assert rc == 0 and read_image(dst).rgb.shape == (64, 80, 3)
    assert "model tiny-naf" in capsys.readouterr().out
    mask = tmp_path / "mask.png"
    write_image(mask, ImageData(np.zeros((64, 80, 3), np.float32), None, "uint8"))
    assert main(["denoise", str(src), "-o", str(dst), "--mask", str(mask)]) == 1
    assert "mask is empty" in capsys.readouterr().err
    assert main(["upscale", str(src), "-o", str(dst), "--model", "tiny-naf"]) == 1
    assert "is for denoise, not upscale" in capsys.readouterr().err
    assert main(["denoise", str(src), "-o", str(dst), "--strength", "3"]) == 2

    assert main(["models", "remove", "tiny-naf"]) == 0
    assert "removed tiny-naf" in capsys.readouterr().out
    assert main(["models", "remove", "tiny-naf"]) == 1
    assert "no model 'tiny-naf'" in capsys.readouterr().err
    assert main(["denoise", str(src), "-o", str(dst), "--model", "tiny-naf"]) == 1
    assert "unknown denoise model 'tiny-naf'" in capsys.readouterr().err


def test_cli_upscale_and_refused_pickle(weights, tmp_path, capsys):
    from texpaint.cli import main
    from texpaint.imaging.io import ImageData, read_image, write_image

    assert main(["models", "import", str(weights["esrgan"])]) == 0
    src = tmp_path / "in.png"
    alpha = np.linspace(0, 1, 48 * 40, dtype=np.float32).reshape(48, 40)
    write_image(src, ImageData(rgb=_image(48, 40), alpha=alpha, sample_format="uint8"))
    dst = tmp_path / "big.png"
    assert main(["upscale", str(src), "-o", str(dst), "--model", "esrgan"]) == 0
    big = read_image(dst)
    assert big.rgb.shape == (96, 80, 3) and big.alpha is not None and big.alpha.shape == (96, 80)
    capsys.readouterr()

    class Evil:
        def __reduce__(self):
            return (open, (str(tmp_path / "PWNED"), "w"))

    evil = tmp_path / "evil.pth"
    torch.save({"w": Evil()}, evil)
    assert main(["models", "import", str(evil)]) == 1
    assert "refusing to load evil.pth" in capsys.readouterr().err
    assert not (tmp_path / "PWNED").exists()


# --- GUI ------------------------------------------------------------------------------------


@pytest.mark.gui
def test_models_dialog_import_adds_a_denoiser_then_remove(weights, qtbot, window, errors):
    from texpaint.jobs import Operation
    from texpaint.ui.models_dialog import COLUMNS, ModelsDialog

    panel = window.operations_panel
    denoise_tab = panel._ops.index(Operation.DENOISE)
    assert panel.tabs.isTabEnabled(denoise_tab)  # the built-in denoiser
    combo = panel.denoise_model_combo
    builtin_ids = [combo.itemData(i) for i in range(combo.count())]
    assert "nafnet" not in builtin_ids
    dialog = ModelsDialog(window)
    qtbot.addWidget(dialog)
    dialog.modelsChanged.connect(panel.reload)
    n = dialog.table.rowCount()
    with qtbot.waitSignal(dialog.modelsChanged, timeout=20000):
        dialog.import_file(weights["nafnet"])
    assert dialog.table.rowCount() == n + 1 and not errors
    assert panel.tabs.isTabEnabled(denoise_tab)
    panel.tabs.setCurrentIndex(denoise_tab)
    assert "nafnet" in [combo.itemData(i) for i in range(combo.count())]
    assert panel.request()["model_id"] == "texpaint-denoise", "importing keeps the default"
    source = COLUMNS.index("Source")
    row = next(r for r in range(n + 1) if dialog.table.item(r, 0).text() == "nafnet")
    assert dialog.table.item(row, source).text() == "imported"
    dialog.table.selectRow(row)
    assert dialog.remove_button.isEnabled()
    assert dialog.remove_selected()
    assert dialog.table.rowCount() == n and panel.tabs.isTabEnabled(denoise_tab)
    assert [combo.itemData(i) for i in range(combo.count())] == builtin_ids
    builtin = next(r for r in range(n) if dialog.table.item(r, source).text() == "built-in")
    dialog.table.selectRow(builtin)
    assert not dialog.remove_button.isEnabled()
