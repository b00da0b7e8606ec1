"""TextureDocument: open/save, undoable mask edits, jobs and results."""

from __future__ import annotations

import numpy as np
import pytest

from texpaint.document.document import TextureDocument
from texpaint.imaging.io import ImageData, ImageIOError, read_image, write_image
from texpaint.jobs import JobResult, Operation

pytestmark = pytest.mark.unit


def _doc(h=96, w=128, fmt="uint8"):
    rgb = np.random.rand(h, w, 3).astype(np.float32)
    if fmt == "uint8":
        rgb = np.round(rgb * 255) / 255
    return TextureDocument(ImageData(rgb=rgb.astype(np.float32), alpha=None, sample_format=fmt))


def test_open_save_roundtrip_keeps_sample_format(tmp_path):
    rgb = (np.random.rand(40, 50, 3) * 65535).round() / 65535
    src = tmp_path / "src.png"
    write_image(src, ImageData(rgb=rgb.astype(np.float32), alpha=None, sample_format="uint16"))
    doc = TextureDocument.open(src)
    assert doc.image.sample_format == "uint16" and doc.path == src and not doc.modified
    out = doc.save(tmp_path / "copy.tif")
    back = read_image(out)
    assert back.sample_format == "uint16"
    assert np.array_equal(back.rgb, doc.image.rgb)
    assert doc.path == out


def test_open_corrupt_file_raises(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(ImageIOError):
        TextureDocument.open(bad)


def test_save_without_path_raises():
    with pytest.raises(ValueError, match="Save As"):
        _doc().save()


def test_stroke_is_one_undo_step_and_not_a_modification():
    doc = _doc()
    doc.begin_stroke("Brush")
    for x in range(10, 100, 5):
        doc.stroke_segment((x, 40), (x + 5, 40), 6, 0.8, 1.0)
    doc.end_stroke()
    assert [s.label for s in doc.history.steps] == ["Brush"]
    assert doc.mask.data[40, 50] == 1.0
    assert not doc.modified  # mask edits do not dirty the image
    doc.history.undo()
    assert doc.mask.is_empty()
    doc.history.redo()
    assert doc.mask.data[40, 50] == 1.0


def test_mask_ops_are_undoable():
    doc = _doc()
    doc.edit_mask("Rectangle", "fill_rect", 10, 30, 10, 30)
    doc.edit_mask("Grow", "grow", 3)
    grown = doc.mask.data.copy()
    doc.edit_mask("Invert", "invert")
    doc.history.undo()
    assert np.array_equal(doc.mask.data, grown)
    doc.history.jump_to(0)
    assert doc.mask.is_empty()


def test_direct_mask_edit_is_refused_untouched():
    doc = _doc()
    with pytest.raises(RuntimeError, match="undone"):
        doc.mask.fill()
    assert doc.mask.is_empty()


def test_load_and_export_mask(tmp_path):
    doc = _doc(32, 48)
    doc.edit_mask("Rectangle", "fill_rect", 4, 12, 8, 40)
    path = tmp_path / "mask.png"
    doc.export_mask(path)
    other = _doc(32, 48)
    other.load_mask(path)
    assert np.array_equal(other.mask.data, doc.mask.data)
    other.history.undo()
    assert other.mask.is_empty()
    with pytest.raises(ImageIOError):
        _doc(10, 10).load_mask(path)  # wrong size


def test_make_job_copies_and_validates():
    from texpaint.jobs import JobError
    from texpaint.ops import get
    from texpaint.ops.base import check_mask

    doc = _doc()
    with pytest.raises(JobError, match="mask is empty"):  # the one empty-mask check
        check_mask(get("inpaint").mask, doc.make_job(Operation.INPAINT).mask, "Inpaint")
    job = doc.make_job(Operation.DENOISE, {"strength": 0.5})
    assert job.mask.max() == 0.0  # an empty mask is the one encoding of "whole image"
    check_mask(get("denoise").mask, job.mask)  # allowed for Denoise
    doc.edit_mask("Rectangle", "fill_rect", 0, 10, 0, 10)
    doc.wrap = True
    job = doc.make_job("inpaint", {}, model_id="m", seed=7)
    assert job.op is Operation.INPAINT and job.seed == 7 and job.wrap
    assert np.array_equal(job.mask, doc.mask.data)
    doc.image.rgb[0, 0] = 0.123
    assert job.image[0, 0, 0] != np.float32(0.123)  # a copy, not a view


def test_apply_result_is_one_step_over_region_only():
    doc = _doc(200, 200)
    original = doc.image.rgb.copy()
    new = original.copy()
    new[70:90, 100:130] = 0.5
    result = JobResult(
        job_id=1,
        op=Operation.INPAINT,
        image=new,
        region=(70, 90, 100, 130),
        seconds=0.1,
        device="CPU",
        model_id="m",
    )
    doc.apply_result(result)
    assert np.array_equal(doc.image.rgb, new)
    assert doc.modified
    step = doc.history.steps[-1]
    assert step.label == "Inpaint"
    assert all(t.layer == "image" for t in step.tiles)
    assert step.nbytes <= 2 * 64 * 64 * 3 * 4 * 2  # only the tiles of the region
    region, before = doc.last_result_before
    assert region == (70, 90, 100, 130) and np.array_equal(before, original[70:90, 100:130])
    doc.history.undo()
    assert np.array_equal(doc.image.rgb, original) and not doc.modified


def test_apply_result_of_wrong_size_is_refused():
    doc = _doc()
    original = doc.image.rgb.copy()
    bad = JobResult(
        job_id=1,
        op=Operation.INPAINT,
        image=np.zeros((5, 5, 3), np.float32),
        region=(0, 5, 0, 5),
        seconds=0.0,
        device="CPU",
        model_id="m",
    )
    with pytest.raises(ValueError):
        doc.apply_result(bad)
    assert np.array_equal(doc.image.rgb, original) and doc.history.steps == []
