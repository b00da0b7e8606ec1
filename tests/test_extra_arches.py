"""Architectures from spandrel_extra_arches (installed by the user, never bundled): a tiny
random-weight Restormer imported through the CLI is detected, mapped to denoise, carries the
licence note and runs through the tiled pipeline; MAT is detected as an inpainting model.

spandrel_extra_arches is a test-only dependency (``pip install -e ".[test]"``); without it
these tests are skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("spandrel_extra_arches")

from texpaint.engine.device import Runtime  # noqa: E402
from texpaint.jobs import Job  # noqa: E402
from texpaint.models import community, spandrel_loader  # noqa: E402
from texpaint.models.arch.spandrel_net import SpandrelNetwork  # noqa: E402
from texpaint.models.catalog import (  # noqa: E402
    ModelLoadError,
    device_support,
    get_model,
    load_network,
)
from texpaint.ops.runner import run_job  # noqa: E402

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def restormer_file(tmp_path_factory) -> Path:
    """A Restormer (Zamir et al., CVPR 2022) of 0.2 M parameters (dim 8, one block per level)
    with random weights, as .safetensors, built with spandrel_extra_arches' own class."""
    import torch
    from safetensors.torch import save_file

    # imports the package quietly (FutureWarning from torch.jit)
    spandrel_loader.extra_architectures()
    from spandrel_extra_arches.architectures.Restormer import Restormer

    torch.manual_seed(0)
    net = Restormer(
        dim=8, num_blocks=[1, 1, 1, 1], num_refinement_blocks=1, heads=[1, 1, 1, 1],
        ffn_expansion_factor=2,
    )  # fmt: skip
    path = tmp_path_factory.mktemp("extra-arches") / "restormer_tiny.safetensors"
    save_file({k: v.detach().contiguous() for k, v in net.state_dict().items()}, str(path))
    return path


def test_extra_architectures_are_registered_once():
    ids = spandrel_loader.extra_architectures()
    assert {"MAT", "Restormer"} <= ids
    assert spandrel_loader.extra_architectures() is ids


def test_restormer_import_detect_denoise_licence_and_tiled_run(restormer_file, capsys):
    from texpaint.cli import main

    assert main(["models", "import", str(restormer_file), "--name", "Tiny Restormer"]) == 0
    out = capsys.readouterr().out
    assert "imported tiny-restormer: Restormer denoise model" in out
    assert "licence: The Restormer architecture comes from spandrel_extra_arches" in out

    info = get_model("tiny-restormer", "denoise")
    card = json.loads(info.path.with_suffix(".json").read_text())
    assert card["architecture"] == "Restormer" and card["operation"] == "denoise"
    assert card["architecture_package"] == "spandrel_extra_arches"
    note = spandrel_loader.EXTRA_ARCHES_LICENCE_NOTE
    assert card["licence_note"] == note.format(arch="Restormer")
    assert card["scale"] == 1 and card["purpose"] == "Restoration"
    assert card["supports_half"] is False and card["supports_bfloat16"] is True
    assert device_support(info).label == "CPU, CUDA (fp32), MPS"
    net = load_network(info)
    assert isinstance(net, SpandrelNetwork) and net.architecture == "Restormer"
    assert net.size_multiple == 8 and not net.supports_half

    # tiled (tile 256 px, image 128 x 300: two tiles) with a soft-edged mask: denoise rules
    rng = np.random.default_rng(3)
    img = rng.random((128, 300, 3), dtype=np.float32)
    mask = np.zeros((128, 300), np.float32)
    mask[32:96, 10:290] = 1.0
    mask[32:96, 10:20] = 0.5
    runtime = Runtime("cpu", tile_px=256)
    results = {}
    for strength in (1.0, 0.5):
        job = Job(
            op="denoise",
            image=img,
            mask=mask,
            params={"strength": strength},
            model_id=info.id,
        )
        results[strength] = run_job(job, runtime=runtime)
    full = results[1.0].image
    assert results[1.0].model_id == info.id and full.shape == img.shape
    assert np.array_equal(full[mask == 0], img[mask == 0]), "outside the mask: bit-identical"
    inside = np.abs(full - img)[mask == 1]
    assert inside.mean() > 1e-3, "random weights change the masked pixels"
    assert np.isfinite(full).all() and full.min() >= 0 and full.max() <= 1
    # out = img + w * (model - img) with w = mask * strength
    delta = full - img
    np.testing.assert_allclose(results[0.5].image - img, 0.5 * delta, atol=2e-6)
    soft = mask == 0.5
    assert np.abs(delta[soft]).mean() > 0 and np.abs(delta[soft]).mean() < inside.mean()


def test_unrecognised_file_names_the_missing_extra_package(tmp_path, monkeypatch):
    from safetensors.torch import save_file
    from torch import zeros

    path = tmp_path / "mystery.safetensors"
    save_file({"mystery.weight": zeros(3, 3)}, str(path))
    with pytest.raises(ModelLoadError) as err:
        community.import_model(path)
    assert "does not recognise" in str(err.value) and "spandrel_extra_arches" not in str(err.value)
    monkeypatch.setattr(spandrel_loader, "_extra_ids", frozenset())  # as if not installed
    with pytest.raises(ModelLoadError, match="spandrel_extra_arches is not installed"):
        community.import_model(path)


def test_mat_is_detected_as_an_inpainting_model_with_licence_note():
    """MAT (Li et al., CVPR 2022) has no size options (62 M parameters): detection and the
    card are checked on its random-weight state dict; running it on the CPU takes about a
    minute, see the slow test below."""
    import torch
    from spandrel import MaskedImageModelDescriptor, ModelLoader

    spandrel_loader.extra_architectures()
    from spandrel_extra_arches.architectures.MAT import MAT

    torch.manual_seed(0)
    state = MAT().state_dict()
    descriptor = ModelLoader().load_from_state_dict(state)
    assert isinstance(descriptor, MaskedImageModelDescriptor)
    assert spandrel_loader.operation_for(descriptor) == "inpaint"
    card = spandrel_loader.descriptor_card(descriptor)
    assert card["architecture"] == "MAT" and card["purpose"] == "Inpainting"
    assert card["architecture_package"] == "spandrel_extra_arches"
    assert "Check the licence of MAT" in card["licence_note"]
    assert card["size_requirements"] == {"minimum": 512, "multiple_of": 512, "square": True}


@pytest.mark.slow
def test_mat_imports_and_inpaints(tmp_path):
    """Full MAT path: import (250 MB file), then one inpaint job (a 512 x 512 pass, about a
    minute on a CPU)."""
    import torch
    from safetensors.torch import save_file

    spandrel_loader.extra_architectures()
    from spandrel_extra_arches.architectures.MAT import MAT

    torch.manual_seed(0)
    path = tmp_path / "mat.safetensors"
    save_file({k: v.contiguous() for k, v in MAT().state_dict().items()}, str(path))
    info = community.import_model(path, name="MAT test")
    assert info.operation == "inpaint" and info.card["architecture"] == "MAT"
    assert "licence_note" in info.card
    img = np.random.default_rng(1).random((96, 128, 3), dtype=np.float32)
    mask = np.zeros((96, 128), np.float32)
    mask[30:60, 40:90] = 1.0
    res = run_job(Job(op="inpaint", image=img, mask=mask, model_id=info.id), runtime=Runtime("cpu"))
    assert res.image.shape == img.shape
    assert np.array_equal(res.image[mask == 0], img[mask == 0])
    assert np.abs(res.image[mask == 1] - img[mask == 1]).mean() > 1e-3
