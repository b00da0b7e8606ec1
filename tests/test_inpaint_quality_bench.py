"""benchmarks/inpaint_quality.py: the structure set's image lists (val and the train set to
develop on) and the per-hole table (no method is run)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks import inpaint_quality as bq  # noqa: E402

pytestmark = pytest.mark.unit

DATA = REPO.parent / "shared" / "data" / "textures" / "cc0-1k"


def test_structure_names_select_val_train_or_a_given_list():
    assert bq.structure_names(None) == bq.STRUCTURE_SET
    assert bq.structure_names("train") == bq.TRAIN_STRUCTURE_SET
    assert bq.structure_names(" a.png, b.jpg ,") == ("a.png", "b.jpg")
    # develop on train, check on val: the two lists never share an image
    assert not set(bq.STRUCTURE_SET) & set(bq.TRAIN_STRUCTURE_SET)


@pytest.mark.skipif(not (DATA / "train").is_dir(), reason="shared data not present")
def test_train_structure_set_names_files_of_the_train_folder_only():
    train = {p.name for p in (DATA / "train").iterdir()}
    val = {p.name for p in (DATA / "val").iterdir()}
    assert set(bq.TRAIN_STRUCTURE_SET) <= train
    assert not set(bq.TRAIN_STRUCTURE_SET) & val


def _row(image, cname, method, psnr, lpsnr, swd):
    return {"image": image, "class": cname, "method": method, "psnr": psnr, "lpsnr": lpsnr,
            "swd": swd}  # fmt: skip


def test_per_hole_table_has_one_line_per_hole_with_the_swd_difference():
    rows = [
        _row("brick.png", "joint", "ground truth", math.nan, math.nan, 0.0200),
        _row("brick.png", "joint", "texpaint", 25.0, 30.0, 0.0250),
        _row("brick.png", "joint", "patchmatch", 24.0, 31.0, 0.0200),
        _row("tiles.jpg", "inside", "ground truth", math.nan, math.nan, 0.0400),
        _row("tiles.jpg", "inside", "texpaint", 30.0, 35.5, 0.0300),
        _row("tiles.jpg", "inside", "patchmatch", 29.0, 36.0, 0.0450),
    ]
    text = bq.format_per_hole(rows, ["texpaint", "patchmatch", "telea"])
    lines = text.splitlines()
    assert len(lines) == 4  # header, rule, two holes
    brick, tiles = lines[2].split(), lines[3].split()
    assert brick[:2] == ["brick", "joint"] and tiles[:2] == ["tiles", "inside"]
    # texpaint PSNR/LP/SWD, PatchMatch PSNR/LP/SWD, ground truth SWD, texpaint - PatchMatch
    assert [float(v) for v in brick[2:]] == [25.0, 30.0, 0.025, 24.0, 31.0, 0.02, 0.02, 0.005]
    assert float(tiles[-1]) == pytest.approx(-0.015)
    assert "Telea" not in lines[0]  # only the patch-based peers are listed
