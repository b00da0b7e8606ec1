"""UndoHistory: tile storage, blocks, undo/redo/jump, memory cap, listeners."""

from __future__ import annotations

import numpy as np
import pytest

from texpaint.document.history import UndoHistory

pytestmark = pytest.mark.unit


def _history(shape=(256, 256), cap=512 * 1024 * 1024, tile=64):
    h = UndoHistory(memory_cap_bytes=cap, tile_size=tile)
    layer = np.random.rand(*shape).astype(np.float32)
    h.register_layer("mask", layer)
    return h, layer


def _edit(h, layer, label, box, value):
    y0, y1, x0, x1 = box
    before = layer[y0:y1, x0:x1].copy()
    layer[y0:y1, x0:x1] = value
    return h.push_region(label, "mask", box, before)


def test_push_stores_only_changed_tiles():
    h, layer = _history()
    step = _edit(h, layer, "dab", (10, 20, 70, 80), 1.0)  # inside tile (0, 1)
    assert step is not None and len(step.tiles) == 1
    assert step.tiles[0].box == (0, 64, 64, 128)
    assert h.index == 1 and [s.label for s in h.steps] == ["dab"]


def test_undo_redo_restore_exact_pixels():
    h, layer = _history()
    original = layer.copy()
    _edit(h, layer, "a", (0, 100, 0, 100), 0.25)
    after_a = layer.copy()
    _edit(h, layer, "b", (50, 200, 50, 200), 0.75)
    after_b = layer.copy()
    h.undo()
    assert np.array_equal(layer, after_a)
    h.undo()
    assert np.array_equal(layer, original)
    assert h.undo() is None
    h.redo()
    h.redo()
    assert np.array_equal(layer, after_b)
    assert h.redo() is None


def test_block_makes_one_step_and_keeps_oldest_before():
    h, layer = _history()
    original = layer.copy()
    h.begin_block("stroke")
    for x in range(0, 200, 10):
        h.record_before("mask", (30, 40, x, x + 10))
        layer[30:40, x : x + 10] += 1.0
    for x in range(0, 200, 10):  # same pixels again: their before must stay the original
        h.record_before("mask", (30, 40, x, x + 10))
        layer[30:40, x : x + 10] += 1.0
    h.end_block()
    assert len(h.steps) == 1 and h.steps[0].label == "stroke"
    h.undo()
    assert np.array_equal(layer, original)


def test_empty_block_pushes_nothing():
    h, layer = _history()
    with h.block("nothing"):
        h.record_before("mask", (0, 10, 0, 10))
    assert h.steps == []


def test_new_step_after_undo_discards_redo():
    h, layer = _history()
    _edit(h, layer, "a", (0, 10, 0, 10), 0.0)
    _edit(h, layer, "b", (0, 10, 0, 10), 1.0)
    h.undo()
    _edit(h, layer, "c", (100, 110, 0, 10), 0.0)
    assert [s.label for s in h.steps] == ["a", "c"]
    assert not h.can_redo()


def test_jump_to_any_index():
    h, layer = _history()
    states = [layer.copy()]
    for i in range(5):
        _edit(h, layer, f"s{i}", (i * 40, i * 40 + 30, 0, 256), float(i))
        states.append(layer.copy())
    for target in (2, 0, 5, 3):
        h.jump_to(target)
        assert h.index == target
        assert np.array_equal(layer, states[target])
    with pytest.raises(IndexError):
        h.jump_to(6)


def test_memory_cap_drops_oldest_steps():
    tile_bytes = 64 * 64 * 4 * 2  # before + after, float32
    h, layer = _history(cap=3 * tile_bytes)
    for i in range(5):
        _edit(h, layer, f"s{i}", (0, 10, 0, 10), float(i + 1))
    assert [s.label for s in h.steps] == ["s2", "s3", "s4"]
    assert h.index == 3 and h.nbytes <= 3 * tile_bytes
    h.jump_to(0)
    assert np.all(layer[0:10, 0:10] == 2.0)  # state after s1: older ones are gone


def test_newest_step_kept_even_above_cap():
    h, layer = _history(cap=10)
    _edit(h, layer, "big", (0, 256, 0, 256), 0.5)
    assert len(h.steps) == 1


def test_listeners_get_dirty_boxes():
    h, layer = _history()
    events = []
    h.listeners.append(lambda event, dirty: events.append((event, dirty)))
    _edit(h, layer, "a", (70, 80, 70, 80), 0.0)
    h.undo()
    assert events[0] == ("push", {})
    assert events[1] == ("undo", {"mask": (64, 128, 64, 128)})


def test_state_token_tracks_layer_content():
    h, layer = _history()
    img = np.zeros((256, 256, 3), np.float32)
    h.register_layer("image", img)
    t0 = h.state_token("image")
    _edit(h, layer, "mask only", (0, 10, 0, 10), 0.0)
    assert h.state_token("image") == t0
    before = img[0:8, 0:8].copy()
    img[0:8, 0:8] = 1.0
    h.push_region("paint", "image", (0, 8, 0, 8), before)
    assert h.state_token("image") != t0
    h.undo()
    assert h.state_token("image") == t0


def test_explicit_after_and_bad_box():
    h, layer = _history()
    with pytest.raises(ValueError, match="outside"):
        h.push_region("x", "mask", (0, 300, 0, 10), np.zeros((300, 10), np.float32))
    with pytest.raises(KeyError):
        h.push_region("x", "nope", (0, 1, 0, 1), np.zeros((1, 1), np.float32))
    with pytest.raises(RuntimeError):
        h.record_before("mask", (0, 1, 0, 1))
