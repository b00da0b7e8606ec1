"""Upscale as an in-document edit: size-changing undo steps, the document, project files, the
pixel cap and seamless padding in the pipeline (with a random-weight Real-ESRGAN compact model).
"""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from texpaint.document.document import ALPHA_LAYER, IMAGE_LAYER, MASK_LAYER, TextureDocument
from texpaint.document.history import LayerSwap, Step, UndoHistory
from texpaint.document.project import ProjectError, load_project, save_project
from texpaint.imaging import resample
from texpaint.imaging.io import ImageData
from texpaint.imaging.resample import resize_plane, upscaled_size, with_rgb
from texpaint.jobs import Job, JobError, JobResult, Operation

pytestmark = pytest.mark.unit


def _nearest(a: np.ndarray, s: int) -> np.ndarray:
    return np.repeat(np.repeat(a, s, axis=0), s, axis=1)


def _doc(h: int = 40, w: int = 56, alpha: bool = True, seed: int = 0) -> TextureDocument:
    rng = np.random.default_rng(seed)
    levels = rng.integers(0, 65536, (h, w, 3)).astype(np.float32) / 65535  # 16-bit values
    a = rng.random((h, w), dtype=np.float32) if alpha else None
    return TextureDocument(ImageData(rgb=levels, alpha=a, sample_format="uint16"))


def _upscale_result(doc: TextureDocument, scale: int, image: np.ndarray | None = None):
    out = _nearest(doc.image.rgb, scale) * 0.5 + 0.25 if image is None else image
    h, w = out.shape[:2]
    return JobResult(
        1, Operation.UPSCALE, out.astype(np.float32), (0, h, 0, w), 0.1, "CPU", "m", "Upscale", True
    )


# --- resampling helpers ---------------------------------------------------------------------


def test_upscaled_size_and_cap():
    assert upscaled_size(100, 60, 4) == (400, 240)
    with pytest.raises(ValueError, match=r"gives 240 x 400 pixels, over .*image limit of 90,000"):
        upscaled_size(100, 60, 4, max_pixels=300 * 300)
    with pytest.raises(ValueError, match="at least 1"):
        upscaled_size(10, 10, 0)


def test_resize_plane_keeps_range_and_zero_away_from_edges():
    m = np.zeros((20, 30), np.float32)
    m[5:12, 8:20] = 1.0
    big = resize_plane(m, (40, 60))
    assert big.shape == (40, 60) and big.dtype == np.float32 and big.flags.writeable
    assert big.min() >= 0.0 and big.max() <= 1.0
    assert big[12:22, 18:38].min() == 1.0, "inside stays fully masked"
    assert big[:8].max() == 0.0 and big[28:].max() == 0.0, "away from the edge stays unmasked"
    data = ImageData(np.zeros((20, 30, 3), np.float32), m, "uint16")
    up = with_rgb(data, np.zeros((40, 60, 3), np.float32))
    assert up.alpha.shape == (40, 60) and up.sample_format == "uint16"
    assert with_rgb(data, data.rgb).alpha is m, "same size: alpha untouched"


# --- history --------------------------------------------------------------------------------


class _Owner:
    """Stands in for the document: records the live arrays the history hands out."""

    def __init__(self, history: UndoHistory, **layers: np.ndarray) -> None:
        self.live = dict(layers)
        for name, a in layers.items():
            history.register_layer(name, a)
        history.on_layers_replaced = self.live.update


def test_push_resize_undo_redo_with_tile_steps_around_it():
    h = UndoHistory(tile_size=16)
    img = np.random.default_rng(1).random((30, 20, 3), dtype=np.float32)
    mask = np.zeros((30, 20), np.float32)
    owner = _Owner(h, image=img, mask=mask)
    original = img.copy()

    before = img[0:8, 0:8].copy()
    img[0:8, 0:8] = 0.5  # a tile step at the small size
    h.push_region("small edit", "image", (0, 8, 0, 8), before)
    small = img.copy()

    big_img, big_mask = _nearest(small, 3), np.ones((90, 60), np.float32)
    step = h.push_resize("Upscale 3x", {"image": big_img, "mask": big_mask})
    assert step.resizes
    assert step.nbytes == small.nbytes + big_img.nbytes + mask.nbytes + big_mask.nbytes
    assert h.layer("image") is big_img and owner.live["image"] is big_img
    assert step.swaps[0].before is img, "the old live array is kept, not copied"
    assert step.swaps[0].after is not big_img, "the history keeps its own copy"

    live = owner.live["image"]
    before = live[70:90, 40:60].copy()
    live[70:90, 40:60] = 0.9  # a tile step at the large size
    h.push_region("big edit", "image", (70, 90, 40, 60), before)
    big_edited = live.copy()

    dirty: list[tuple[str, dict]] = []
    h.listeners.append(lambda event, boxes: dirty.append((event, boxes)))
    h.undo()
    h.undo()
    assert dirty[-1] == ("undo", {"image": (0, 30, 0, 20), "mask": (0, 30, 0, 20)})
    assert np.array_equal(owner.live["image"], small) and owner.live["mask"].shape == (30, 20)
    assert owner.live["image"] is not img, "undo installs a copy; the step stays pristine"
    h.undo()
    assert np.array_equal(owner.live["image"], original)
    h.jump_to(3)
    assert np.array_equal(owner.live["image"], big_edited)
    assert np.array_equal(owner.live["mask"], big_mask)
    assert dirty[-2][1] == {"image": (0, 90, 0, 60), "mask": (0, 90, 0, 60)}


def test_push_resize_refuses_bad_input_and_counts_against_the_cap():
    h = UndoHistory(memory_cap_bytes=1)
    img = np.zeros((8, 8, 3), np.float32)
    h.register_layer("image", img)
    with pytest.raises(RuntimeError, match="on_layers_replaced"):
        h.push_resize("x", {"image": np.zeros((16, 16, 3), np.float32)})
    hist = UndoHistory(memory_cap_bytes=1)
    owner = _Owner(hist, image=img)
    with pytest.raises(ValueError, match="float32"):
        hist.push_resize("x", {"image": np.zeros((16, 16, 3), np.float64)})
    with pytest.raises(ValueError, match=r"\(16, 16\)"):
        hist.push_resize("x", {"image": np.zeros((16, 16), np.float32)})
    with pytest.raises(KeyError):
        hist.push_resize("x", {"alpha": np.zeros((16, 16), np.float32)})
    assert hist.steps == [] and owner.live["image"] is img, "refused: nothing changed"
    hist.push_resize("a", {"image": np.zeros((16, 16, 3), np.float32)})
    hist.push_resize("b", {"image": np.zeros((32, 32, 3), np.float32)})
    assert [s.label for s in hist.steps] == ["b"], "over the cap: the oldest step is dropped"
    hist.undo()
    assert owner.live["image"].shape == (16, 16, 3)


def test_restore_steps_follows_sizes_through_resize_steps():
    h = UndoHistory(tile_size=8)
    big = np.zeros((16, 16), np.float32)
    _Owner(h, mask=big)
    small = np.zeros((8, 8), np.float32)
    swap = Step("Upscale 2x", [], swaps=[LayerSwap("mask", small, big.copy())])
    from texpaint.document.history import Tile

    tile_small = Step("edit", [Tile("mask", (0, 8, 0, 8), small.copy(), small + 1)])
    h.restore_steps([tile_small, swap], 2)  # the 8 x 8 tile fits the layer before the swap
    assert len(h.steps) == 2
    wrong = Step("Upscale 2x", [], swaps=[LayerSwap("mask", small, np.zeros((12, 12), np.float32))])
    with pytest.raises(ValueError, match="swaps layer 'mask' of size"):
        h.restore_steps([wrong], 1)
    tile_big = Step("edit", [Tile("mask", (0, 16, 0, 16), big.copy(), big + 1)])
    with pytest.raises(ValueError, match="outside layer"):
        h.restore_steps([tile_big, swap], 2)  # a 16 px tile before the layer was 16 px
    assert len(h.steps) == 2, "refused: the history is unchanged"


# --- document -------------------------------------------------------------------------------


def test_document_upscale_is_one_step_and_undo_restores_everything_exactly():
    doc = _doc()
    doc.edit_mask("Rect", "fill_rect", 10, 20, 8, 30)
    image0, alpha0, mask0 = doc.image.rgb.copy(), doc.image.alpha.copy(), doc.mask.data.copy()
    result = _upscale_result(doc, 2)
    events = []
    doc.history.listeners.append(lambda e, d: events.append(e))
    box = doc.apply_result(result)
    assert box == (0, 80, 0, 112) and doc.size == (80, 112)
    assert np.array_equal(doc.image.rgb, result.image) and doc.image.rgb is not result.image
    assert doc.image.sample_format == "uint16" and doc.image.alpha.shape == (80, 112)
    assert np.array_equal(doc.mask.data, resize_plane(mask0, (80, 112)))
    assert doc.mask.data[25:35, 25:55].min() == 1.0 and doc.mask.data[:15].max() == 0.0
    assert [s.label for s in doc.history.steps] == ["Rect", "Upscale 2x"]
    assert doc.history.layer(IMAGE_LAYER) is doc.image.rgb
    assert doc.history.layer(ALPHA_LAYER) is doc.image.alpha
    assert doc.history.layer(MASK_LAYER) is doc.mask.data
    assert doc.modified and doc.last_result_before is None and events == ["push"]

    doc.stroke_segment((5, 5), (60, 70), radius=6, hardness=1, opacity=1)  # edit at 2x
    doc.history.undo()
    doc.history.undo()
    assert doc.size == (40, 56) and not doc.modified
    assert np.array_equal(doc.image.rgb, image0) and doc.image.rgb.dtype == np.float32
    assert np.array_equal(doc.image.alpha, alpha0) and np.array_equal(doc.mask.data, mask0)
    assert doc.history.layer(MASK_LAYER) is doc.mask.data
    doc.history.redo()
    assert np.array_equal(doc.image.rgb, result.image) and doc.size == (80, 112)
    assert doc.modified
    doc.history.undo()
    doc.stroke_segment((5, 5), (20, 20), radius=3, hardness=1, opacity=1)  # the mask is live
    assert doc.mask.data[12, 12] > 0 and doc.history.layer(MASK_LAYER) is doc.mask.data
    assert [s.label for s in doc.history.steps] == ["Rect", "Brush"]


def test_document_refuses_bad_upscale_results_untouched():
    doc = _doc(alpha=False)
    image0 = doc.image.rgb.copy()
    for bad in (np.zeros((80, 100, 3), np.float32), np.zeros((40, 112, 3), np.float32)):
        with pytest.raises(ValueError, match="whole multiple"):
            doc.apply_result(_upscale_result(doc, 2, bad))
    assert doc.history.steps == [] and np.array_equal(doc.image.rgb, image0)


def test_upscale_refused_before_it_is_queued_over_the_pixel_cap(community_weights, monkeypatch):
    """The Upscale spec's precheck (called by the painter's JobTracker before a job is made)
    refuses an unknown model and a result over the pixel cap, naming the sizes."""
    from texpaint.jobs import JobError
    from texpaint.models.community import import_model
    from texpaint.ops import get

    doc = _doc(alpha=False)
    spec = get("upscale")
    with pytest.raises(JobError, match="upscale model"):
        spec.check(doc.mask.data)  # none installed
    info = import_model(community_weights["compact4"])
    spec.check(doc.mask.data, info.id)  # 40 x 56 by 4x is allowed
    monkeypatch.setattr(resample, "MAX_PIXELS", 40 * 56 * 15)
    with pytest.raises(JobError, match=r"by 4x gives 224 x 160 pixels, over"):
        spec.check(doc.mask.data, info.id)
    with pytest.raises(JobError, match="is empty"):  # the mask check comes first
        get("inpaint").check(doc.mask.data)


# --- project files --------------------------------------------------------------------------


def test_project_round_trip_with_an_upscale_step(tmp_path):
    doc = _doc()
    doc.edit_mask("Rect", "fill_rect", 10, 20, 8, 30)
    before = (doc.image.rgb.copy(), doc.image.alpha.copy(), doc.mask.data.copy())
    doc.apply_result(_upscale_result(doc, 2))
    doc.stroke_segment((5, 5), (60, 70), radius=6, hardness=1, opacity=1)
    after = (doc.image.rgb.copy(), doc.image.alpha.copy(), doc.mask.data.copy())
    doc.history.undo()  # the stroke is redoable
    path = save_project(doc, tmp_path / "up.texpaint")
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["format_version"] == 2
    swaps = manifest["history"]["steps"][1]["swaps"]
    assert {s["layer"] for s in swaps} == {"image", "mask", "alpha"}
    assert swaps[0]["before"] == [40, 56] and swaps[0]["after"] == [80, 112]

    back = load_project(path)
    assert back.size == (80, 112) and [s.label for s in back.history.steps] == [
        "Rect",
        "Upscale 2x",
        "Brush",
    ]
    back.history.redo()
    for got, want in zip((back.image.rgb, back.image.alpha, back.mask.data), after, strict=True):
        assert np.array_equal(got, want)
    back.history.jump_to(1)
    assert back.size == (40, 56)
    for got, want in zip((back.image.rgb, back.image.alpha, back.mask.data), before, strict=True):
        assert np.array_equal(got, want)


def test_project_without_resize_stays_version_1_and_small_cap_drops_the_resize(tmp_path):
    doc = _doc(alpha=False)
    doc.edit_mask("Rect", "fill_rect", 10, 20, 8, 30)
    plain = save_project(doc, tmp_path / "plain.texpaint")
    with zipfile.ZipFile(plain) as zf:
        assert json.loads(zf.read("manifest.json"))["format_version"] == 1
    doc.apply_result(_upscale_result(doc, 2))
    doc.edit_mask("Clear", "clear")
    capped = save_project(doc, tmp_path / "capped.texpaint", max_history_bytes=100_000)
    back = load_project(capped)
    assert [s.label for s in back.history.steps] == ["Clear"] and back.size == (80, 112)
    back.history.undo()
    assert np.array_equal(back.mask.data, resize_plane(_rect_mask(), (80, 112)))


def _rect_mask() -> np.ndarray:
    m = np.zeros((40, 56), np.float32)
    m[10:20, 8:30] = 1.0
    return m


def test_project_with_inconsistent_swap_sizes_is_refused(tmp_path):
    doc = _doc(alpha=False)
    doc.apply_result(_upscale_result(doc, 2))
    good = save_project(doc, tmp_path / "good.texpaint")
    with zipfile.ZipFile(good) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(members["manifest.json"])
    for sw in manifest["history"]["steps"][0]["swaps"]:
        sw["after"] = [80, 110]
    members["manifest.json"] = json.dumps(manifest).encode()
    bad = tmp_path / "bad.texpaint"
    with zipfile.ZipFile(bad, "w") as zf:
        for n, b in members.items():
            zf.writestr(n, b)
    with pytest.raises(ProjectError, match="expected|inconsistent"):
        load_project(bad)
    manifest["history"]["steps"][0]["swaps"][0]["after"] = [10**6, 10**6]
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(bad, "w") as zf:
        for n, b in members.items():
            zf.writestr(n, b)
    with pytest.raises(ProjectError, match="not a valid image size"):
        load_project(bad)


# --- pipeline -------------------------------------------------------------------------------


def test_pipeline_refuses_over_the_cap_before_any_tile(community_weights, monkeypatch):
    from texpaint.engine.device import Runtime
    from texpaint.models.community import import_model
    from texpaint.ops.runner import run_job

    info = import_model(community_weights["compact2"])
    img = np.random.default_rng(3).random((40, 50, 3), dtype=np.float32)
    monkeypatch.setattr(resample, "MAX_PIXELS", 40 * 50 * 3)
    polled = []
    with pytest.raises(JobError, match="over texpaint's image limit"):
        run_job(
            Job(op="upscale", image=img, mask=np.zeros((40, 50), np.float32), model_id=info.id),
            abort=lambda: polled.append(1) or False,
            runtime=Runtime("cpu"),
        )
    assert polled == [], "refused before the first tile"


def test_wrap_mode_upscale_tiles_seamlessly(community_weights):
    """In seamless mode the upscale of a tileable image equals the middle of the upscale of
    its 3 x 3 repetition: the image's edges see their wrapped neighbours."""
    from texpaint.engine.device import Runtime
    from texpaint.models.community import import_model
    from texpaint.ops.runner import run_job

    info = import_model(community_weights["compact2"])
    img = np.random.default_rng(4).random((24, 32, 3), dtype=np.float32)
    runtime = Runtime("cpu", tile_px=512)

    def up(a: np.ndarray, wrap: bool) -> np.ndarray:
        job = Job(op="upscale", image=a, mask=np.zeros(a.shape[:2], np.float32), wrap=wrap)
        return run_job(job, runtime=runtime).image

    wrapped = up(img, True)
    reference = up(np.tile(img, (3, 3, 1)), False)[48:96, 64:128]
    plain = up(img, False)
    assert wrapped.shape == (48, 64, 3)
    np.testing.assert_allclose(wrapped, reference, atol=1e-5)
    assert np.abs(plain - reference).max() > 1e-3, "without wrap the edges differ"
    assert info.card["scale"] == 2
