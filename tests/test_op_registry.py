"""The operation registry is the one list: a toy operation declared in one file
(``tests/ops_toy/invert.py``) and registered appears in the CLI (its own sub-command and
options), the batch plan (an op name, run as a job), the AI panel (a generated tab) and the
undo labels, and runs on real pixels through each of them."""

from __future__ import annotations

import numpy as np
import pytest
from ops_toy import invert  # tests/ is on sys.path (pytest rootdir-less test dir)

from texpaint.imaging.io import ImageData, read_image, write_image
from texpaint.jobs import Job, JobError
from texpaint.ops import ParamError, get, names, register, unregister


@pytest.fixture
def toy_op():
    register(invert.SPEC)
    yield invert.SPEC
    unregister("invert")


def _image(h: int = 24, w: int = 32) -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.random((h, w, 3), dtype=np.float32)


def _expected(image: np.ndarray, mask: np.ndarray, amount: float) -> np.ndarray:
    weight = mask if mask.any() else np.ones(mask.shape, np.float32)
    return image + amount * weight[..., None] * (1.0 - 2.0 * image)


def test_params_are_typed_frozen_and_checked_once_at_construction():
    spec = get("denoise")
    params = spec.make_params({"strength": 0.5, "sigma": "AUTO"})
    assert params.strength == 0.5 and params.sigma == "auto" and params["passes"] == 1
    with pytest.raises(AttributeError):
        params.strength = 0.1  # frozen
    for bad in ({"strength": 1.5}, {"passes": 3}, {"sigma": "loud"}, {"strength": True}):
        with pytest.raises(ParamError):
            spec.make_params(bad)
    with pytest.raises(ParamError, match="unknown parameter 'strenght'"):
        spec.make_params({"strenght": 0.5})


def test_runner_refuses_bad_params_and_empty_masks_before_running():
    from texpaint.ops.runner import run_job

    image = _image()
    empty = np.zeros(image.shape[:2], np.float32)
    with pytest.raises(JobError, match="mask is empty"):
        run_job(Job("inpaint", image, empty))
    with pytest.raises(JobError, match="strength must be between 0 and 1"):
        run_job(Job("denoise", image, empty, {"strength": 2.0}))
    with pytest.raises(JobError, match="unknown operation 'colourize'"):
        run_job(Job("colourize", image, empty))


def test_toy_operation_runs_through_the_runner_with_its_label(toy_op):
    from texpaint.document.document import TextureDocument
    from texpaint.ops.runner import run_job

    assert names()[-1] == "invert"
    image = _image()
    doc = TextureDocument(ImageData(rgb=image.copy(), alpha=None, sample_format="float32"))
    doc.edit_mask("Rectangle", "fill_rect", 4, 12, 6, 20)
    result = run_job(doc.make_job("invert", toy_op.make_params({"amount": 0.75})))
    expected = _expected(image, doc.mask.data, 0.75)
    assert result.label == "Invert" and not result.changes_size
    np.testing.assert_allclose(result.image, expected, atol=1e-6)
    doc.apply_result(result)
    assert doc.history.steps[-1].label == "Invert"
    assert np.array_equal(doc.image.rgb[0, 0], image[0, 0])  # outside the mask: untouched


def test_toy_operation_is_a_cli_command_with_generated_options(toy_op, tmp_path, capsys):
    from texpaint.cli import build_parser, main

    image = _image()
    src, out = tmp_path / "in.tif", tmp_path / "out.tif"
    write_image(src, ImageData(rgb=image, alpha=None, sample_format="float32"))
    help_text = build_parser().format_help()
    assert "invert" in help_text and "toy operation" in help_text
    assert main(["invert", str(src), "-o", str(out), "--amount", "0.5", "--keep-red"]) == 0
    expected = _expected(image, np.zeros(image.shape[:2], np.float32), 0.5)
    expected[..., 0] = image[..., 0]
    np.testing.assert_allclose(read_image(out).rgb, expected, atol=1e-6)
    assert main(["invert", str(src), "-o", str(tmp_path / "x.tif"), "--amount", "2"]) == 2
    assert "amount must be between 0 and 1" in capsys.readouterr().err
    assert not (tmp_path / "x.tif").exists()


def test_toy_operation_is_a_batch_op(toy_op, tmp_path):
    from texpaint.export.plan import BatchPlan, PlanError, op_names, parse_op
    from texpaint.export.runner import run_batch

    assert "invert" in op_names() and parse_op("invert").label == "Invert"
    with pytest.raises(PlanError, match="takes no argument"):
        parse_op("invert:x")
    image = _image()
    src = tmp_path / "in" / "tile.tif"
    src.parent.mkdir()
    write_image(src, ImageData(rgb=image, alpha=None, sample_format="float32"))
    plan = BatchPlan(output_dir=tmp_path / "out", files=[src], ops=["invert"], formats=["tif"])
    report = run_batch(plan, device="cpu")
    assert report.all_ok, report.results
    (written,) = report.results[0].outputs
    expected = _expected(image, np.zeros(image.shape[:2], np.float32), 1.0)
    np.testing.assert_allclose(read_image(written).rgb, expected, atol=1e-6)


def test_toy_operation_gets_a_generated_panel_tab(toy_op, qtbot):
    from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox

    from texpaint.ui.operations_panel import OperationsPanel

    panel = OperationsPanel()
    qtbot.addWidget(panel)
    labels = [panel.tabs.tabText(i) for i in range(panel.tabs.count())]
    assert labels[: len(labels) - 1] == ["Inpaint", "Stylize", "Denoise", "Upscale"]
    assert labels[-1] == "Invert" and "Make Seamless" not in labels  # seamless: a dialog
    tab = labels.index("Invert")
    assert panel.tabs.isTabEnabled(tab)  # runs no model
    panel.tabs.setCurrentIndex(tab)
    page = panel.tabs.widget(tab)
    page.findChild(QDoubleSpinBox).setValue(0.25)
    page.findChild(QCheckBox).setChecked(True)
    request = panel.request()
    assert request["op"] == "invert"
    assert request["params"] == {"amount": 0.25, "keep_red": True}
    assert toy_op.make_params(request["params"]).amount == 0.25


def test_model_defaults_come_from_the_registry():
    from texpaint.cli import build_parser
    from texpaint.models.catalog import DEFAULT_OPERATIONS
    from texpaint.ops.registry import default_model_kinds

    assert default_model_kinds() == ("inpaint", "denoise", "upscale")
    assert set(default_model_kinds()) == set(DEFAULT_OPERATIONS)
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["models", "default", "stylize"])  # a style is its own model
    assert parser.parse_args(["models", "default", "upscale"]).operation == "upscale"


def test_operation_constants_name_exactly_the_built_in_operations():
    """``jobs.Operation`` only gives the built-ins' names to code that refers to one; the
    registry is the list, and the two cannot drift apart."""
    from texpaint.jobs import Operation
    from texpaint.ops.registry import BUILTIN_MODULES

    builtins = {get(m.rsplit(".", 1)[1]).name for m in BUILTIN_MODULES}
    assert {o.value for o in Operation} == builtins
