"""Hostile input: random, truncated and bit-flipped image, mask and project files.

Only :class:`ImageIOError` (images, masks) or :class:`ProjectError` (projects) may escape the
readers; any other exception, a hang past the deadline or a crash fails the test.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from texpaint.document.document import TextureDocument
from texpaint.document.project import ProjectError, load_project, save_project
from texpaint.imaging.io import ImageData, ImageIOError, read_image, read_mask, write_image

pytestmark = pytest.mark.unit

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure is reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SMALL_CAP = 1 << 20  # pixels: a flipped size field must not make the test allocate gigabytes


@pytest.fixture(scope="module")
def seeds() -> dict[str, bytes]:
    """Small valid files (24 x 20 px, some with alpha) in every format texpaint reads."""
    rng = np.random.default_rng(3)
    rgb = rng.random((20, 24, 3), dtype=np.float32)
    alpha = rng.random((20, 24), dtype=np.float32)
    out: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as d:
        for name, fmt, a in [
            ("a.png", "uint8", alpha),
            ("b.png", "uint16", None),
            ("c.jpg", "uint8", None),
            ("d.tif", "uint16", alpha),
            ("e.tif", "float32", None),
            ("f.exr", "float32", alpha),
            ("g.webp", "uint8", None),
        ]:
            p = Path(d) / name
            write_image(p, ImageData(rgb=rgb, alpha=a, sample_format=fmt))
            out[name] = p.read_bytes()
        doc = TextureDocument(ImageData(rgb=rgb, alpha=None, sample_format="float32"))
        doc.stroke_segment((2, 2), (15, 10), radius=3, hardness=0.5, opacity=1.0)
        out["p.texpaint"] = save_project(doc, Path(d) / "p.texpaint").read_bytes()
    return out


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


def _mutate(data: bytes, cut: float, flips: list[tuple[float, int]]) -> bytes:
    """Truncate to ``cut`` of the length (1.0 keeps all) and flip bits at relative offsets."""
    b = bytearray(data[: max(1, int(len(data) * cut))])
    for pos, bit in flips:
        b[int(pos * (len(b) - 1))] ^= 1 << bit
    return bytes(b)


mutations = st.tuples(
    st.sampled_from(["a.png", "b.png", "c.jpg", "d.tif", "e.tif", "f.exr", "g.webp"]),
    st.one_of(st.just(1.0), st.floats(0.0, 1.0)),
    st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 7)), max_size=6),
)


def _image_read_ok(path: Path) -> None:
    try:
        data = read_image(path, max_pixels=SMALL_CAP)
    except ImageIOError:
        return
    assert data.rgb.dtype == np.float32 and data.rgb.ndim == 3 and data.rgb.shape[2] == 3


@FUZZ
@given(case=mutations)
def test_read_image_mutated_files(seeds, scratch, case):
    name, cut, flips = case
    path = scratch / f"mut{Path(name).suffix}"
    path.write_bytes(_mutate(seeds[name], cut, flips))
    _image_read_ok(path)


@FUZZ
@given(payload=st.binary(max_size=2048), ext=st.sampled_from([".png", ".jpg", ".tif", ".exr"]))
def test_read_image_and_mask_random_bytes(scratch, payload, ext):
    for magic in (b"", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"\x76\x2f\x31\x01", b"\xff\xd8\xff"):
        path = scratch / f"rand{ext}"
        path.write_bytes(magic + payload)
        _image_read_ok(path)
        try:
            read_mask(path, shape=(20, 24))
        except ImageIOError:
            pass


@FUZZ
@given(case=mutations)
def test_read_mask_mutated_files(seeds, scratch, case):
    name, cut, flips = case
    # read_mask uses the default pixel cap; derandomize keeps these cases small and fixed
    path = scratch / f"mask{Path(name).suffix}"
    path.write_bytes(_mutate(seeds[name], cut, flips))
    try:
        m = read_mask(path)
    except ImageIOError:
        return
    assert m.dtype == np.float32 and m.ndim == 2 and 0.0 <= m.min() and m.max() <= 1.0


@FUZZ
@given(
    cut=st.one_of(st.just(1.0), st.floats(0.0, 1.0)),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 7)), min_size=0, max_size=8),
)
def test_load_project_mutated_files(seeds, scratch, cut, flips):
    path = scratch / "mut.texpaint"
    mutated = _mutate(seeds["p.texpaint"], cut, flips)
    path.write_bytes(mutated)
    try:
        doc = load_project(path)
    except ProjectError:
        return
    assert doc.image.rgb.shape == (20, 24, 3) and doc.mask.data.shape == (20, 24)


@FUZZ
@given(payload=st.binary(max_size=4096))
def test_load_project_random_bytes(scratch, payload):
    path = scratch / "rand.texpaint"
    path.write_bytes(b"PK\x03\x04" + payload)
    with pytest.raises(ProjectError):
        load_project(path)


def test_truncated_tiff_whose_data_disagrees_with_its_header(seeds, scratch):
    """Regression (found by the fuzzer): tifffile returned pixel data of another shape than
    the damaged header's, and the axis reordering raised IndexError."""
    flips = [
        (0.5980946525410729, 6),
        (0.1736366974455158, 0),
        (0.07779472924438047, 1),
        (0.4950386404795074, 1),
        (0.07212419215601062, 6),
        (0.3212880512648304, 0),
    ]
    path = scratch / "regress.tif"
    path.write_bytes(_mutate(seeds["e.tif"], 0.09156257275129343, flips))
    with pytest.raises(ImageIOError, match="corrupt"):
        read_image(path)
