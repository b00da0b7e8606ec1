"""MaskLayer: brush dabs and strokes, shapes, morphology, dirty boxes."""

from __future__ import annotations

import numpy as np
import pytest

from texpaint.document.mask import MaskLayer

pytestmark = pytest.mark.unit


def test_hard_dab_covers_disk_and_reports_box():
    m = MaskLayer(64, 64)
    box = m.stamp_dab(32, 32, 10, hardness=1.0, opacity=1.0)
    assert box == (22, 42, 22, 42)
    assert m.data[32, 32] == 1.0
    assert m.data[32, 24] == 1.0  # 7.5 px from centre
    assert m.data[32, 43] == 0.0 and m.data[10, 10] == 0.0
    # everything outside the reported box is untouched
    outside = np.ones_like(m.data, bool)
    outside[22:42, 22:42] = False
    assert not m.data[outside].any()
    assert m.bbox() == (22, 42, 22, 42)


def test_soft_dab_falls_off_monotonically():
    m = MaskLayer(64, 64)
    m.stamp_dab(32, 32, 16, hardness=0.0, opacity=1.0)
    row = m.data[32, 32:48]
    assert row[0] > 0.95
    assert np.all(np.diff(row) <= 0)
    assert row[-1] < 0.05


def test_dab_outside_image_returns_none():
    m = MaskLayer(16, 16)
    assert m.stamp_dab(-50, -50, 5) is None
    assert m.is_empty()


def test_stroke_does_not_build_up_beyond_opacity():
    m = MaskLayer(64, 128)
    m.begin_stroke()
    for x in range(10, 110, 3):
        m.stroke_segment((x, 32), (x + 3, 32), 8, hardness=1.0, opacity=0.5)
    m.stroke_segment((110, 32), (10, 32), 8, hardness=1.0, opacity=0.5)  # back over itself
    m.end_stroke()
    assert m.data.max() == pytest.approx(0.5)
    assert m.data[32, 60] == pytest.approx(0.5)


def test_second_stroke_composites_over_first():
    m = MaskLayer(32, 32)
    m.stamp_dab(16, 16, 6, hardness=1.0, opacity=0.5)
    m.stamp_dab(16, 16, 6, hardness=1.0, opacity=0.5)
    assert m.data[16, 16] == pytest.approx(0.75)


def test_erase_stroke_lowers_mask():
    m = MaskLayer(32, 32)
    m.fill()
    m.stroke_segment((0, 16), (31, 16), 3, hardness=1.0, opacity=1.0, erase=True)
    assert m.data[16, 10] == 0.0
    assert m.data[2, 10] == 1.0


def test_pressure_scales_radius():
    m = MaskLayer(64, 200)
    m.stroke_segment(
        (20, 32), (180, 32), 20, hardness=1.0, opacity=1.0, pressure0=0.1, pressure1=1.0
    )
    thin = m.data[:, 22].sum()
    thick = m.data[:, 178].sum()
    assert thick > 4 * thin


def test_bad_brush_parameters_raise():
    m = MaskLayer(8, 8)
    with pytest.raises(ValueError, match="radius"):
        m.stamp_dab(4, 4, 0)
    with pytest.raises(ValueError, match="opacity"):
        m.stamp_dab(4, 4, 2, opacity=1.5)
    assert m.is_empty()


def test_fill_rect_and_erase():
    m = MaskLayer(20, 30)
    assert m.fill_rect(2, 8, 5, 15) == (2, 8, 5, 15)
    assert m.data[2:8, 5:15].min() == 1.0 and m.data.sum() == 60
    m.fill_rect(4, 6, 5, 15, opacity=0.5, erase=True)
    assert m.data[5, 7] == pytest.approx(0.5)
    assert m.fill_rect(-10, -5, 0, 5) is None


def test_fill_polygon_triangle():
    m = MaskLayer(40, 40)
    box = m.fill_polygon([(5, 5), (35, 5), (5, 35)])
    assert box is not None
    assert m.data[10, 10] == 1.0  # inside
    assert m.data[30, 30] == 0.0  # beyond the hypotenuse
    area = m.data.sum()
    assert abs(area - 0.5 * 30 * 30) < 30  # antialiased edge, area about right


def test_invert_clear_fill():
    m = MaskLayer(10, 10)
    m.fill_rect(0, 5, 0, 10)
    m.invert()
    assert m.data[:5].max() == 0.0 and m.data[5:].min() == 1.0
    assert m.clear() == (5, 10, 0, 10)
    assert m.is_empty() and m.bbox() is None
    assert m.clear() is None
    m.fill()
    assert m.data.min() == 1.0


def test_grow_and_shrink_with_disk():
    m = MaskLayer(64, 64)
    m.fill_rect(30, 34, 30, 34)
    m.grow(5)
    assert m.bbox() == (25, 39, 25, 39)
    assert m.data[25, 32] == 1.0
    assert m.data[25, 25] == 0.0  # disk, not square: corner stays empty
    m.shrink(5)
    assert m.bbox() == (30, 34, 30, 34)


def test_shrink_does_not_erode_from_image_edge():
    m = MaskLayer(20, 20)
    m.fill()
    m.shrink(3)
    assert m.data.min() == 1.0


def test_feather_softens_edge_only_near_it():
    m = MaskLayer(64, 64)
    m.fill_rect(16, 48, 16, 48)
    box = m.feather(4)
    assert box is not None
    assert 0.2 < m.data[32, 16] < 0.8  # on the edge
    assert m.data[32, 32] == pytest.approx(1.0, abs=1e-4)
    assert m.data[32, 2] == pytest.approx(0.0, abs=1e-4)
    assert m.data.max() <= 1.0


def test_ops_on_empty_mask_change_nothing():
    m = MaskLayer(16, 16)
    assert m.grow(3) is None and m.shrink(3) is None and m.feather(3) is None
    assert m.is_empty()


def test_before_change_hook_sees_box_before_write():
    m = MaskLayer(32, 32)
    seen = []
    m.on_before_change = lambda box: seen.append((box, m.data.copy()))
    m.stamp_dab(10, 10, 4)
    assert len(seen) == 1
    box, snapshot = seen[0]
    assert box == (6, 14, 6, 14)
    assert not snapshot.any()  # called before the pixels changed


def test_big_mask_dab_touches_only_its_box():
    m = MaskLayer(4096, 4096)
    box = m.stamp_dab(100, 4000, 12)
    assert box == (3988, 4012, 88, 112)
    assert m.bbox() == (3988, 4012, 88, 112)


# ---------------------------------------------------------------------- seamless (wrap) mode
def _folded(h: int, w: int, paint) -> np.ndarray:
    """Reference for wrap mode: paint on a 3 x 3 tiling (offset by one tile), fold by max."""
    big = MaskLayer(3 * h, 3 * w)
    paint(big, w, h)
    return big.data.reshape(3, h, 3, w).max(axis=(0, 2))


def test_wrap_dab_across_right_edge_continues_at_left():
    m = MaskLayer(64, 96)
    m.wrap = True
    box = m.stamp_dab(94, 32, 8, hardness=1.0)
    expected = _folded(64, 96, lambda big, ox, oy: big.stamp_dab(94 + ox, 32 + oy, 8, 1.0))
    np.testing.assert_allclose(m.data, expected, atol=1e-5)
    assert m.data[32, 2] == 1.0 and m.data[32, 93] == 1.0  # both sides of the seam
    assert m.data[32, 48] == 0.0 and m.data[10, 2] == 0.0
    assert box == (24, 40, 0, 96)
    # the same dab without wrap stops at the edge
    plain = MaskLayer(64, 96)
    plain.stamp_dab(94, 32, 8, hardness=1.0)
    assert plain.data[32, 2] == 0.0 and not plain.data[:, :80].any()


def test_wrap_corner_dab_reaches_all_four_corners():
    m = MaskLayer(48, 40)
    m.wrap = True
    m.stamp_dab(1.0, 1.0, 6, hardness=0.5)
    expected = _folded(48, 40, lambda big, ox, oy: big.stamp_dab(1.0 + ox, 1.0 + oy, 6, 0.5))
    np.testing.assert_allclose(m.data, expected, atol=1e-5)
    for y, x in ((0, 0), (0, 39), (47, 0), (47, 39)):
        assert m.data[y, x] > 0.9


def test_wrap_stroke_with_pressure_matches_tiled_reference():
    m = MaskLayer(50, 70)
    m.wrap = True
    m.begin_stroke()
    m.stroke_segment((35, 40), (20, 58), 9, hardness=0.3, opacity=0.8, pressure1=0.5)
    m.stroke_segment((20, 58), (-6, 75), 9, hardness=0.3, opacity=0.8, pressure0=0.5)
    m.end_stroke()

    def paint(big, ox, oy):
        big.begin_stroke()
        big.stroke_segment((35 + ox, 40 + oy), (20 + ox, 58 + oy), 9, 0.3, 0.8, 1.0, 0.5)
        big.stroke_segment((20 + ox, 58 + oy), (-6 + ox, 75 + oy), 9, 0.3, 0.8, 0.5, 1.0)
        big.end_stroke()

    np.testing.assert_allclose(m.data, _folded(50, 70, paint), atol=1e-5)
    assert m.data.max() == pytest.approx(0.8)  # overlapping wrapped dabs never build up
    assert m.data[20, 66] > 0.5  # (-6, 75) wrapped to (64, 25): painted near there


def test_wrap_eraser_and_far_away_points():
    m = MaskLayer(32, 32)
    m.wrap = True
    m.fill()
    m.stroke_segment((32 * 5 + 16, -32 * 3 + 16), (32 * 5 + 16, -32 * 3 + 16), 4, 1.0, erase=True)
    assert m.data[16, 16] == 0.0 and m.data[0, 0] == 1.0  # five and three tiles away


def test_document_wrap_stroke_is_one_undo_step():
    from texpaint.document.document import TextureDocument
    from texpaint.imaging.io import ImageData

    doc = TextureDocument(ImageData(np.zeros((40, 40, 3), np.float32), None, "float32"))
    doc.wrap = True
    assert doc.mask.wrap
    doc.begin_stroke("Brush")
    doc.stroke_segment((30, 20), (45, 20), 4, 1.0, 1.0)
    doc.end_stroke()
    assert doc.mask.data[20, 2] == 1.0 and doc.mask.data[20, 35] == 1.0
    assert [s.label for s in doc.history.steps] == ["Brush"]
    doc.history.undo()
    assert doc.mask.is_empty()
    assert doc.make_job("denoise").wrap
