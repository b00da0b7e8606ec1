"""Default model per operation (stored in the user data folder, honoured by run_job, the CLI,
batch export and the AI panel; removing the default falls back) and device support (read from
model cards; shown by ``texpaint models list`` and the Models dialog)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from texpaint.engine.device import Runtime
from texpaint.export.plan import BatchPlan
from texpaint.export.runner import run_batch
from texpaint.imaging.io import ImageData, read_image, write_image
from texpaint.jobs import Job
from texpaint.models.catalog import (
    BUILTIN_HALF_PRECISION,
    ModelLoadError,
    build_network,
    chosen_defaults,
    default_model,
    default_models_path,
    device_support,
    get_model,
    list_models,
    remove_model,
    set_default_model,
)
from texpaint.models.community import import_model
from texpaint.ops.runner import run_job

pytestmark = pytest.mark.unit

BUILTIN_DENOISER = "texpaint-denoise"


@pytest.fixture
def naf(community_weights) -> str:
    """Id of an imported NAFNet denoiser whose id sorts before the built-in denoiser's."""
    return import_model(community_weights["nafnet"], name="Alpha NAF").id


@pytest.fixture
def upscalers(community_weights) -> tuple[str, str]:
    """Ids of an imported 2x and 4x upscaler (2x sorts first)."""
    x2 = import_model(community_weights["compact2"], name="Compact 2x").id
    x4 = import_model(community_weights["compact4"], name="Compact 4x").id
    return x2, x4


def _image(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((h, w, 3), dtype=np.float32)


def _write_png(path: Path, h: int = 24, w: int = 32) -> Path:
    write_image(path, ImageData(rgb=_image(h, w), alpha=None, sample_format="uint8"))
    return path


# --- catalog ----------------------------------------------------------------------------------


def test_without_a_choice_the_builtin_then_the_first_model_is_the_default(naf, upscalers):
    assert naf < BUILTIN_DENOISER, "the imported model sorts first, yet the built-in wins"
    assert get_model(None, "denoise").id == BUILTIN_DENOISER
    assert default_model("denoise").id == BUILTIN_DENOISER
    assert get_model(None, "upscale").id == upscalers[0], "no built-in upscaler: first by id"
    assert chosen_defaults() == {} and not default_models_path().exists()


def test_chosen_default_is_stored_atomically_and_run_by_run_job(naf):
    assert set_default_model("denoise", naf).id == naf
    path = default_models_path()
    assert path.parent == Path(__import__("os").environ["TEXPAINT_DATA_DIR"])
    assert json.loads(path.read_text()) == {"denoise": naf}
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert get_model(None, "denoise").id == naf
    img = _image(40, 48)
    job = Job(op="denoise", image=img, mask=np.zeros((40, 48), np.float32))
    assert run_job(job, runtime=Runtime("cpu")).model_id == naf
    # an explicit model id still wins over the default
    explicit = Job(op="denoise", image=img, mask=job.mask, model_id=BUILTIN_DENOISER)
    assert run_job(explicit, runtime=Runtime("cpu")).model_id == BUILTIN_DENOISER
    # forgetting the choice restores the built-in fallback
    assert set_default_model("denoise", None).id == BUILTIN_DENOISER
    assert json.loads(path.read_text()) == {}


def test_removing_the_default_falls_back_and_forgets_it(naf, upscalers):
    set_default_model("denoise", naf)
    set_default_model("upscale", upscalers[1])
    remove_model(naf)
    assert chosen_defaults() == {"upscale": upscalers[1]}
    assert get_model(None, "denoise").id == BUILTIN_DENOISER
    remove_model(upscalers[1])
    assert chosen_defaults() == {}
    assert get_model(None, "upscale").id == upscalers[0]
    remove_model(upscalers[0])
    with pytest.raises(ModelLoadError, match="no upscale model is installed"):
        get_model(None, "upscale")


def test_stale_or_malformed_choices_fall_back(naf):
    path = default_models_path()
    path.write_text(json.dumps({"denoise": "gone-model", "inpaint": naf, "stylize": "x"}))
    assert chosen_defaults() == {"denoise": "gone-model", "inpaint": naf}
    assert default_model("denoise").id == BUILTIN_DENOISER, "a removed model is skipped"
    assert default_model("inpaint").operation == "inpaint", "a model of another op is skipped"
    for text in ("{not json", "[1, 2]", ""):
        path.write_text(text)
        assert chosen_defaults() == {} and default_model("denoise").id == BUILTIN_DENOISER


def test_set_default_refuses_what_cannot_be_a_default(naf):
    with pytest.raises(ModelLoadError, match="is for denoise, not upscale"):
        set_default_model("upscale", naf)
    with pytest.raises(ModelLoadError, match="unknown inpaint model"):
        set_default_model("inpaint", "no-such-model")
    with pytest.raises(ModelLoadError, match="no default model to choose"):
        set_default_model("stylize", "texpaint-style-moss")
    assert chosen_defaults() == {}


# --- command line -----------------------------------------------------------------------------


def test_cli_default_show_set_reset_and_honoured(naf, upscalers, tmp_path, capsys):
    from texpaint.cli import main

    assert main(["models", "default", "denoise"]) == 0
    assert capsys.readouterr().out.startswith(f"denoise: {BUILTIN_DENOISER} (built-in model")
    assert main(["models", "default", "denoise", naf]) == 0
    assert capsys.readouterr().out.startswith(f"denoise: {naf} (chosen)")
    assert main(["models", "default", "upscale", upscalers[1]]) == 0
    capsys.readouterr()

    assert main(["models", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["ID", "OPERATION", "DEFAULT"]
    marked = {line.split()[0] for line in lines[1:] if line.split()[2] == "*"}
    inpaint_default = default_model("inpaint").id
    assert marked == {naf, upscalers[1], inpaint_default}

    src = _write_png(tmp_path / "in.png")
    out = tmp_path / "out.png"
    assert main(["denoise", str(src), "-o", str(out), "--device", "cpu"]) == 0
    assert f"model {naf}," in capsys.readouterr().out
    assert main(["upscale", str(src), "-o", str(out), "--device", "cpu"]) == 0, "no --model"
    assert f"model {upscalers[1]}," in capsys.readouterr().out
    assert read_image(out).rgb.shape == (96, 128, 3), "the 4x default ran"

    assert main(["models", "remove", naf]) == 0
    capsys.readouterr()
    assert main(["denoise", str(src), "-o", str(out), "--device", "cpu"]) == 0
    assert f"model {BUILTIN_DENOISER}," in capsys.readouterr().out
    assert main(["models", "default", "upscale", "--reset"]) == 0
    assert capsys.readouterr().out.startswith(f"upscale: {upscalers[0]} (first installed")
    assert main(["models", "default", "upscale", naf]) == 1
    assert "unknown upscale model" in capsys.readouterr().err
    assert main(["models", "default", "stylize"]) == 2


def test_cli_upscale_without_any_upscaler_says_how_to_get_one(tmp_path, capsys):
    from texpaint.cli import main

    src = _write_png(tmp_path / "in.png")
    assert main(["upscale", str(src), "-o", str(tmp_path / "o.png"), "--device", "cpu"]) == 1
    assert "texpaint models import" in capsys.readouterr().err


# --- batch export -----------------------------------------------------------------------------


def test_batch_ops_without_a_model_run_the_defaults(naf, upscalers, tmp_path):
    src = _write_png(tmp_path / "tile.png", 20, 24)
    set_default_model("upscale", upscalers[1])
    set_default_model("denoise", naf)
    plan = BatchPlan(output_dir=tmp_path / "out", files=[src], ops=["denoise", "upscale"])
    (r,) = run_batch(plan, runtime=Runtime("cpu")).results
    assert r.status == "ok", r.error
    out = read_image(r.outputs[0]).rgb
    assert out.shape == (80, 96, 3), "the chosen 4x upscaler, not the first (2x) one"
    # the same chain run explicitly with the chosen models gives the same pixels
    runtime = Runtime("cpu")
    img = read_image(src).rgb
    none = np.zeros(img.shape[:2], np.float32)
    den = run_job(Job(op="denoise", image=img, mask=none, model_id=naf), runtime=runtime)
    up = run_job(
        Job(op="upscale", image=den.image, mask=none, model_id=upscalers[1]), runtime=runtime
    )
    expected = np.rint(np.clip(up.image, 0, 1) * 255) / 255
    assert np.abs(out - expected).max() <= 1 / 255 + 1e-6


# --- device support ---------------------------------------------------------------------------


def test_builtin_device_support_matches_the_architectures():
    builtins = [m for m in list_models() if m.builtin]
    assert {m.card["architecture"] for m in builtins} == set(BUILTIN_HALF_PRECISION)
    for arch in BUILTIN_HALF_PRECISION:
        info = next(m for m in builtins if m.card["architecture"] == arch)
        net = build_network(info)
        assert getattr(net, "supports_half", False) is BUILTIN_HALF_PRECISION[arch], arch
        support = device_support(info)
        assert support.half is BUILTIN_HALF_PRECISION[arch] and support.bfloat16 is None
        assert support.label == "CPU, CUDA (fp16), MPS"


def test_imported_card_records_precisions_from_spandrel(naf, community_weights):
    from spandrel import ModelLoader

    from texpaint.models.spandrel_loader import read_state_dict

    info = get_model(naf, "denoise")
    descriptor = ModelLoader().load_from_state_dict(read_state_dict(community_weights["nafnet"]))
    assert info.card["supports_half"] is bool(descriptor.supports_half)
    assert info.card["supports_bfloat16"] is bool(descriptor.supports_bfloat16)
    assert info.card["architecture_package"] == "spandrel" and "licence_note" not in info.card
    support = device_support(info)
    assert (support.half, support.bfloat16) == (
        descriptor.supports_half,
        descriptor.supports_bfloat16,
    )
    expected = "fp16" if descriptor.supports_half else "fp32"
    assert support.label == f"CPU, CUDA ({expected}), MPS"
    # a card written before these fields existed: unknown, not guessed
    card_path = info.path.with_suffix(".json")
    card = json.loads(card_path.read_text())
    del card["supports_half"], card["supports_bfloat16"]
    card_path.write_text(json.dumps(card))
    old = device_support(get_model(naf, "denoise"))
    assert (old.half, old.bfloat16) == (None, None)
    assert old.label == "CPU, CUDA (fp16 unknown), MPS" and "unknown" in old.details


# --- GUI --------------------------------------------------------------------------------------


def _row(dialog, model_id: str) -> int:
    from PySide6.QtCore import Qt

    for r in range(dialog.table.rowCount()):
        if dialog.table.item(r, 0).data(Qt.ItemDataRole.UserRole) == model_id:
            return r
    raise AssertionError(f"{model_id} not in the table")


def _cell(dialog, model_id: str, column: str) -> str:
    from texpaint.ui.models_dialog import COLUMNS

    return dialog.table.item(_row(dialog, model_id), COLUMNS.index(column)).text()


@pytest.mark.gui
def test_models_dialog_device_support_and_set_default(naf, qtbot, window, errors):
    from texpaint.jobs import Operation
    from texpaint.ui.models_dialog import ModelsDialog

    # an older card without precision fields, and one that says fp16 is not supported
    card_path = get_model(naf, "denoise").path.with_suffix(".json")
    card = json.loads(card_path.read_text())
    card["supports_half"] = False
    card_path.write_text(json.dumps(card))

    panel = window.operations_panel
    panel.reload()
    panel.tabs.setCurrentIndex(panel._ops.index(Operation.DENOISE))
    assert panel.request()["model_id"] == BUILTIN_DENOISER, "built-in preselected"

    dialog = ModelsDialog(window)
    qtbot.addWidget(dialog)
    dialog.modelsChanged.connect(panel.reload)
    assert _cell(dialog, naf, "Devices") == "CPU, CUDA (fp32), MPS"
    assert _cell(dialog, BUILTIN_DENOISER, "Devices") == "CPU, CUDA (fp16), MPS"
    assert _cell(dialog, BUILTIN_DENOISER, "Default") == "default"
    assert _cell(dialog, naf, "Default") == ""
    tip = dialog.table.item(_row(dialog, naf), 0).toolTip()
    assert "half precision (fp16): no" in tip

    dialog.table.selectRow(_row(dialog, BUILTIN_DENOISER))
    assert not dialog.default_button.isEnabled(), "already the default"
    style = next(m.id for m in list_models("stylize"))
    dialog.table.selectRow(_row(dialog, style))
    assert not dialog.default_button.isEnabled(), "stylize has no default to choose"
    dialog.table.selectRow(_row(dialog, naf))
    assert dialog.default_button.isEnabled()
    with qtbot.waitSignal(dialog.modelsChanged):
        dialog.default_button.click()
    assert not errors
    assert _cell(dialog, naf, "Default") == "default"
    assert _cell(dialog, BUILTIN_DENOISER, "Default") == ""
    assert dialog.selected_id() == naf and not dialog.default_button.isEnabled()
    assert chosen_defaults() == {"denoise": naf}, "persisted for the CLI and batch"
    assert panel.request()["model_id"] == naf, "the panel preselects the new default"

    # a new dialog (as after a restart) reads the stored choice
    again = ModelsDialog(window)
    qtbot.addWidget(again)
    assert _cell(again, naf, "Default") == "default"
    again.close()

    # removing the default: the built-in takes over everywhere
    with qtbot.waitSignal(dialog.modelsChanged):
        assert dialog.remove_selected()
    assert _cell(dialog, BUILTIN_DENOISER, "Default") == "default"
    assert panel.request()["model_id"] == BUILTIN_DENOISER
    assert chosen_defaults() == {}


def test_panel_keeps_a_hand_picked_model_across_reloads(naf, community_weights, qtbot, window):
    """Importing another model reloads the AI panel; a model the user picked by hand stays
    picked (it used to jump back to the default), until it is removed."""
    from texpaint.jobs import Operation

    panel = window.operations_panel
    panel.reload()
    panel.tabs.setCurrentIndex(panel._ops.index(Operation.DENOISE))
    combo = panel.denoise_model_combo
    assert panel.request()["model_id"] == BUILTIN_DENOISER
    combo.setCurrentIndex(combo.findData(naf))
    import_model(community_weights["scunet"], name="Another denoiser")
    panel.reload()
    assert panel.request()["model_id"] == naf
    remove_model(naf)
    panel.reload()
    assert panel.request()["model_id"] == BUILTIN_DENOISER
