"""Project files (.texpaint): round trips, undo after reopening, hostile files, full disk."""

from __future__ import annotations

import errno
import io
import json
import zipfile

import numpy as np
import pytest

from texpaint.document import project as project_mod
from texpaint.document.document import TextureDocument
from texpaint.document.project import ProjectError, load_project, save_project
from texpaint.imaging.io import ImageData
from texpaint.jobs import JobResult, Operation

pytestmark = pytest.mark.unit


def _doc(h=96, w=128, fmt="float32", alpha=False) -> TextureDocument:
    rng = np.random.default_rng(7)
    rgb = (rng.random((h, w, 3), dtype=np.float32) * 1.7 - 0.2).astype(np.float32)
    a = rng.random((h, w), dtype=np.float32) if alpha else None
    return TextureDocument(
        ImageData(rgb=rgb, alpha=a, sample_format=fmt, colorspace="linear"), path=None
    )


def _ai_edit(doc: TextureDocument, box, value: float) -> None:
    image = doc.image.rgb.copy()
    y0, y1, x0, x1 = box
    image[y0:y1, x0:x1] = value
    doc.apply_result(JobResult(0, Operation.INPAINT, image, box, 0.1, "cpu", "test"))


def test_round_trip_keeps_pixels_mask_wrap_and_undo(tmp_path):
    doc = _doc(alpha=True)
    doc.wrap = True
    states = [(doc.image.rgb.copy(), doc.mask.data.copy())]
    doc.stroke_segment((10, 10), (60, 40), radius=6, hardness=0.5, opacity=0.8)
    states.append((doc.image.rgb.copy(), doc.mask.data.copy()))
    _ai_edit(doc, (5, 70, 3, 100), 0.25)
    states.append((doc.image.rgb.copy(), doc.mask.data.copy()))
    doc.edit_mask("Grow mask 3 px", "grow", 3)
    states.append((doc.image.rgb.copy(), doc.mask.data.copy()))
    _ai_edit(doc, (40, 96, 64, 128), 2.5)
    states.append((doc.image.rgb.copy(), doc.mask.data.copy()))
    doc.history.undo()  # one redoable step is kept too
    assert 0.0 < doc.mask.data.max() <= 1.0 and 0 < doc.mask.data.min() + 1

    path = save_project(doc, tmp_path / "work.texpaint")
    assert doc.project_path == path
    back = load_project(path)

    assert back.project_path == path and back.wrap and back.mask.wrap
    assert back.image.sample_format == "float32" and back.image.colorspace == "linear"
    assert back.image.rgb.dtype == np.float32
    assert np.array_equal(back.image.rgb, doc.image.rgb)  # bit-exact, values > 1 kept
    assert np.array_equal(back.image.alpha, doc.image.alpha)
    assert np.array_equal(back.mask.data, doc.mask.data)  # soft values exact
    h = back.history
    assert [s.label for s in h.steps] == [s.label for s in doc.history.steps]
    assert h.index == 3 and h.can_redo()

    h.redo()
    assert np.array_equal(back.image.rgb, states[4][0])
    assert np.array_equal(back.mask.data, states[4][1])
    for i in (3, 2, 1, 0):
        h.undo()
        assert np.array_equal(back.image.rgb, states[i][0]), f"image after undo to {i}"
        assert np.array_equal(back.mask.data, states[i][1]), f"mask after undo to {i}"
    assert not h.can_undo()
    h.jump_to(4)
    assert np.array_equal(back.image.rgb, states[4][0])


def test_reopened_document_edits_and_undo_still_work(tmp_path):
    doc = _doc(fmt="uint16")
    _ai_edit(doc, (0, 30, 0, 30), 0.5)
    back = load_project(save_project(doc, tmp_path / "a.texpaint"))
    assert back.modified  # the image differs from its (never written) image file
    before = back.image.rgb.copy()
    back.stroke_segment((5, 5), (20, 5), radius=4, hardness=1.0, opacity=1.0)
    _ai_edit(back, (50, 60, 50, 60), 0.0)
    back.history.undo()
    assert np.array_equal(back.image.rgb, before)
    back.history.undo()
    back.history.undo()
    assert np.array_equal(back.image.rgb, _doc(fmt="uint16").image.rgb)  # the original pixels
    assert back.mask.is_empty()


def test_unmodified_document_is_not_modified_after_reopen(tmp_path):
    doc = _doc()
    doc.stroke_segment((5, 5), (20, 5), radius=4, hardness=1.0, opacity=1.0)
    back = load_project(save_project(doc, tmp_path / "m.texpaint"))
    assert not back.modified  # mask edits do not modify the image


def test_history_cap_keeps_newest_steps_and_current_state(tmp_path):
    doc = _doc()
    for i in range(6):
        _ai_edit(doc, (0, 64, 0, 64), i / 10)  # each step: one 64 x 64 x 3 tile, 96 KiB
    doc.history.undo()
    step_bytes = doc.history.steps[0].nbytes
    save_project(doc, tmp_path / "c.texpaint", max_history_bytes=3 * step_bytes)
    back = load_project(tmp_path / "c.texpaint")
    assert len(back.history.steps) == 3 and back.history.index == 2
    assert np.array_equal(back.image.rgb, doc.image.rgb)
    back.history.undo()
    back.history.undo()
    assert np.allclose(back.image.rgb[:64, :64], 0.2)
    back.history.jump_to(3)
    assert np.allclose(back.image.rgb[:64, :64], 0.5)
    save_project(doc, tmp_path / "d.texpaint", max_history_steps=0)
    assert load_project(tmp_path / "d.texpaint").history.steps == []


def test_save_is_atomic_when_disk_is_full(tmp_path, monkeypatch):
    doc = _doc()
    path = save_project(doc, tmp_path / "p.texpaint")
    old = path.read_bytes()
    _ai_edit(doc, (0, 10, 0, 10), 0.9)

    def full_disk(target, members):
        target.write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(project_mod, "_write_zip", full_disk)
    with pytest.raises(ProjectError, match="not enough disk space"):
        save_project(doc, path)
    assert path.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.texpaint"]  # no temp left


def test_save_into_missing_folder_is_project_error(tmp_path):
    with pytest.raises(ProjectError, match="does not exist"):
        save_project(_doc(), tmp_path / "nope" / "p.texpaint")


# ---------------------------------------------------------------------- hostile files
def _rewrite(src, dst, change):
    """Copy project ``src`` to ``dst`` with ``change(members: dict[str, bytes])`` applied."""
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    change(members)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, b in members.items():
            zf.writestr(n, b)
    return dst


@pytest.fixture
def good_project(tmp_path):
    doc = _doc(h=40, w=48)
    doc.stroke_segment((5, 5), (20, 5), radius=4, hardness=1.0, opacity=1.0)
    _ai_edit(doc, (0, 20, 0, 20), 0.3)
    return save_project(doc, tmp_path / "good.texpaint")


def _manifest_edit(fn):
    def change(m):
        man = json.loads(m["manifest.json"])
        fn(man)
        m["manifest.json"] = json.dumps(man).encode()

    return change


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


@pytest.mark.parametrize(
    "change,match",
    [
        (_manifest_edit(lambda m: m.update(format_version=99)), "version 99 is not supported"),
        (_manifest_edit(lambda m: m.update(format="other")), "does not describe"),
        (_manifest_edit(lambda m: m["image"].update(width=47)), "expected"),
        (_manifest_edit(lambda m: m["image"].update(height="40")), "wrong type"),
        (_manifest_edit(lambda m: m["image"].update(sample_format="int8")), "sample format"),
        (_manifest_edit(lambda m: m["history"].update(index=7)), "history index"),
        (
            _manifest_edit(
                lambda m: m["history"]["steps"][0]["tiles"][0].update(box=[0, 99, 0, 4])
            ),
            "outside",
        ),
        (
            _manifest_edit(lambda m: m["history"]["steps"][0]["tiles"][0].update(layer="x")),
            "unknown",
        ),
        (lambda m: m.pop("mask.npz"), "missing mask.npz"),
        (lambda m: m.pop("history.npz"), "missing history.npz"),
        (lambda m: m.update({"manifest.json": b"{not json"}), "not valid JSON"),
        (lambda m: m.update({"mask.npz": _npz(mask=np.zeros((40, 48), np.float64))}), "float64"),
        (
            lambda m: m.update({"mask.npz": _npz(mask=np.full((40, 48), 3, np.float32))}),
            r"\[0, 1\]",
        ),
        (lambda m: m.update({"image.npz": b"PK\x03\x04garbage"}), "npz"),
        (
            lambda m: m.update({"image.npz": _npz(rgb=np.array([{"a": 1}], dtype=object))}),
            "expected",
        ),
    ],
)
def test_invalid_projects_raise_project_error(good_project, tmp_path, change, match):
    bad = _rewrite(good_project, tmp_path / "bad.texpaint", change)
    with pytest.raises(ProjectError, match=match):
        load_project(bad)


def test_zip_bomb_member_is_refused_before_decompressing(good_project, tmp_path):
    """A 200 MB run of zeros compresses to ~200 KB; its declared size gives it away."""
    zeros = np.zeros((40, 48 * 30000), np.float32)  # declared shape lies about the image
    bomb = _npz(mask=zeros)
    assert len(bomb) < 1_000_000
    bad = _rewrite(good_project, tmp_path / "bomb.texpaint", lambda m: m.update({"mask.npz": bomb}))
    with pytest.raises(ProjectError, match="over"):
        load_project(bad)


def test_not_a_zip_and_missing_file(tmp_path):
    junk = tmp_path / "junk.texpaint"
    junk.write_bytes(b"hello")
    with pytest.raises(ProjectError, match="damaged zip"):
        load_project(junk)
    with pytest.raises(ProjectError, match="not found"):
        load_project(tmp_path / "missing.texpaint")
