"""Make Seamless quality: texpaint's wrap-aware inpainting against offset + crossfade.

Run from the repository root (see ``benchmarks/README.md``)::

    .venv/bin/python benchmarks/seamless_quality.py                      # the full benchmark
    .venv/bin/python benchmarks/seamless_quality.py --limit 2 --size 256 # smoke run

What it does
------------
* Images: every image of ``cc0-1k/val`` (validation only, never trained on), sorted by name.
  They tile already; a seeded off-centre crop breaks the wrap: per image,
  ``numpy.random.default_rng([seed, crc32(file name)])`` draws the crop height and width as
  60-80 % of the source's (independently) and a top-left corner at least 1 px from the
  origin (so the crop never lines up with the texture's period). The crop is area-downscaled
  (``cv2.INTER_AREA``) so its longer side is ``--size`` px (default 512), for speed.
* Methods (each takes the float32 ``(H, W, 3)`` crop and returns a tileable image):

  - ``texpaint``: :func:`texpaint.engine.seamless.make_seamless` (roll by half, inpaint a
    cross-shaped band of ``--band`` px over the seams with the inpainting model in wrap mode,
    match the band's fine detail to the rest of the texture, roll back; the re-synthesis of
    the seam region used in texture-synthesis practice) on
    ``Runtime("cpu")`` with the default (or ``--model``) catalog model; ``--even-lighting``
    turns on its lighting step.
  - ``crossfade``: :func:`offset_crossfade`, the classic "offset + blend" of image editors
    (GIMP's Filters > Map > Tile Seamless blends the image with a copy offset by half its
    size; by hand: Offset filter, then feather the seams): out = ``image * (1 - a) +
    roll(image, (H // 2, W // 2)) * a``, where ``a`` is 1 on the image's edges and falls
    linearly to 0 at ``--band / 2`` px from them (the same band as texpaint's). On the wrap
    seam the output is the half-offset copy, whose pixels there were neighbours inside the
    image, so the seam disappears; the band between shows both copies at once (ghosting,
    loss of contrast).

* Figures per image (:mod:`texpaint.imaging.seams`):

  - ``seam ratio`` of the crop before, after texpaint and after crossfade:
    :func:`~texpaint.imaging.seams.seam_metric` ``.ratio``, the mean squared neighbour
    difference across the wrap boundary (last/first column and row) divided by the mean of the
    same differences inside the image. 1.0 is the **interior level** (a seam as smooth as
    the texture itself); a broken wrap scores far above 1; blurred or mirrored seams below 1.
  - ``tile``: the same ratio for the whole (uncropped, downscaled) source, which tiles: what
    a real tile gets, for context; ``spread``: 10th-90th percentile of
    :func:`~texpaint.imaging.seams.interior_line_ratios` of the crop, i.e. how much the
    ratio of a single interior line varies (the noise floor of a one-line measure).
  - ``within their own line spread`` (summary line, informational): how many images have
    a seam ratio between the 10th and 90th percentile of their own ``spread``, i.e. a wrap
    seam that looks like one of the image's own interior lines to this statistic.
  - ``detail``: mean squared neighbour difference inside the changed band divided by the
    same outside it, for each method's output (1 = as much detail as the rest; crossfade
    ghosting and blurry fills score below 1). Informational.

* Targets (PASS/FAIL lines; the script exits 0 either way):

  1. texpaint's seam ratio is within 10 % of the interior level (``|ratio - 1| <= 0.10``)
     on every image;
  2. texpaint is better than crossfade on average: mean ``|ratio - 1|`` over images is lower.

* ``--sheet``: a contact sheet PNG (default ``benchmarks/out/seamless_contact_sheet.png``),
  one row per image (first ``--sheet-rows``): 2 x 2 tilings of the crop before, after
  texpaint and after crossfade.
* ``--json``: every figure as JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import zlib
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from benchmarks.bench_common import (  # noqa: E402
    add_common_args,
    area_downscale,
    catalog_model,
    val_images,
)
from texpaint.engine.pipeline import Runtime  # noqa: E402
from texpaint.engine.seamless import default_band_px, make_seamless  # noqa: E402
from texpaint.imaging.io import read_image  # noqa: E402
from texpaint.imaging.seams import interior_line_ratios, seam_metric  # noqa: E402

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr", ".webp", ".bmp"}
TOLERANCE = 0.10
CROP_RANGE = (0.6, 0.8)


# --- data ---------------------------------------------------------------------------------


def off_centre_crop(rgb: np.ndarray, name: str, seed: int) -> tuple[np.ndarray, tuple]:
    """The seeded crop of one source (60-80 % of each side, corner >= 1 px off the origin).

    Returns ``(crop, (y0, x0, height, width))`` in source pixels."""
    h, w = rgb.shape[:2]
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    ch = round(h * rng.uniform(*CROP_RANGE))
    cw = round(w * rng.uniform(*CROP_RANGE))
    y0 = int(rng.integers(1, h - ch))
    x0 = int(rng.integers(1, w - cw))
    return rgb[y0 : y0 + ch, x0 : x0 + cw], (y0, x0, ch, cw)


# --- methods -------------------------------------------------------------------------------


def edge_band_weight(h: int, w: int, band_px: int) -> np.ndarray:
    """float32 ``(h, w)`` tent weight: 1 next to the image edges (the wrap seams), falling
    linearly to 0 at ``band_px / 2`` px from them; the maximum of the row and column ramps."""

    def ramp(n: int) -> np.ndarray:
        i = np.arange(n, dtype=np.float32) + 0.5
        d = np.minimum(i, n - i)  # distance of the pixel centre from the wrap boundary
        return np.clip(1.0 - (d - 0.5) / (band_px / 2.0), 0.0, 1.0)

    return np.maximum(ramp(h)[:, None], ramp(w)[None, :]).astype(np.float32)


def offset_crossfade(image: np.ndarray, band_px: int) -> np.ndarray:
    """Offset + crossfade baseline (module docstring): blend ``image`` with its half-offset
    copy, weight :func:`edge_band_weight` on the copy. float32 ``(H, W, 3)`` in and out."""
    h, w = image.shape[:2]
    a = edge_band_weight(h, w, band_px)[..., None]
    shifted = np.roll(image, (h // 2, w // 2), axis=(0, 1))
    return (image * (1.0 - a) + shifted * a).astype(np.float32)


def band_detail(out: np.ndarray, band: np.ndarray) -> float:
    """Mean squared neighbour difference (x and y, wrap-around) inside ``band`` / outside."""
    dx = np.mean((np.roll(out, -1, axis=1) - out) ** 2, axis=2)
    dy = np.mean((np.roll(out, -1, axis=0) - out) ** 2, axis=2)
    e = dx + dy
    return float(e[band].mean() / max(e[~band].mean(), 1e-12))


# --- report --------------------------------------------------------------------------------


def tile2x2(rgb: np.ndarray, side: int) -> np.ndarray:
    """uint8 BGR thumbnail (``side`` px longer side) of a 2 x 2 tiling of ``rgb``."""
    big = np.tile(np.clip(rgb, 0.0, 1.0), (2, 2, 1))
    small = area_downscale(big, side)
    return cv2.cvtColor((small * 255.0 + 0.5).astype(np.uint8), cv2.COLOR_RGB2BGR)


def write_sheet(path: Path, rows: list[tuple[str, list[np.ndarray]]], side: int = 256) -> None:
    """Contact sheet: one row per image, columns before / texpaint / crossfade 2x2 tilings."""
    pad = 6
    cells = [[tile2x2(x, side) for x in imgs] for _, imgs in rows]
    cell_h = max(c.shape[0] for row in cells for c in row)
    cell_w = max(c.shape[1] for row in cells for c in row)
    head = 24
    sheet = np.full(
        (head + len(cells) * (cell_h + pad) + pad, 3 * (cell_w + pad) + pad, 3), 40, np.uint8
    )
    for j, label in enumerate(("before", "texpaint", "crossfade")):
        x = pad + j * (cell_w + pad)
        cv2.putText(sheet, label, (x, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (230, 230, 230), 1)
    for i, row in enumerate(cells):
        y = head + pad + i * (cell_h + pad)
        for j, cell in enumerate(row):
            x = pad + j * (cell_w + pad)
            sheet[y : y + cell.shape[0], x : x + cell.shape[1]] = cell
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), sheet):
        raise OSError(f"could not write {path}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(p, "longer crop side")
    p.add_argument(
        "--band", type=int, default=None, help="band width px (default: 1/8 of the shorter side)"
    )
    p.add_argument("--seed", type=int, default=0, help="crop seed (and the inpainting seed)")
    p.add_argument("--even-lighting", action="store_true", help="texpaint: even lighting first")
    p.add_argument(
        "--sheet",
        default=str(REPO / "benchmarks" / "out" / "seamless_contact_sheet.png"),
        help="contact sheet PNG ('' to skip)",
    )
    p.add_argument("--sheet-rows", type=int, default=8, help="images on the sheet (default 8)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    paths = val_images(args.val, args.limit)
    if paths is None:
        return 2
    info = catalog_model(args.model)
    if info is None:
        return 2
    runtime = Runtime("cpu")
    print("Make Seamless benchmark (benchmarks/seamless_quality.py)")
    print(f"  images : {len(paths)} from {args.val} (tiling sources)")
    print(
        f"  crops  : seeded off-centre, {CROP_RANGE[0]:.0%}-{CROP_RANGE[1]:.0%} of each side "
        f"(seed {args.seed}), area-downscaled to <= {args.size} px"
    )
    print(f"  model  : {info.id} ({info.name}, {info.params:,} parameters)")
    print(f"  device : {runtime.description}; even lighting: {args.even_lighting}")
    print(
        "  figures: seam ratio = wrap-seam / interior gradient energy (1.00 = interior level); "
        "tile = ratio of the uncropped tiling source; spread = p10-p90 of interior lines; "
        "detail = band / outside gradient energy"
    )
    print()
    header = (
        f"{'image':<44} {'size':>9} {'band':>4} {'tile':>6} {'spread':>11} "
        f"{'before':>8} {'texpaint':>9} {'xfade':>7} {'det tp':>7} {'det xf':>7} {'s':>6}"
    )
    print(header)
    print("-" * len(header))
    rows = []
    sheet_rows = []
    for path in paths:
        src = read_image(path).rgb
        crop, box = off_centre_crop(src, path.name, args.seed)
        crop = area_downscale(crop, args.size)
        tile = area_downscale(src, args.size)
        h, w = crop.shape[:2]
        band = args.band or default_band_px(h, w)
        t0 = time.perf_counter()
        ours = make_seamless(
            crop,
            band,
            even_lighting=args.even_lighting,
            runtime=runtime,
            model_id=info.id,
            seed=args.seed,
        )
        seconds = time.perf_counter() - t0
        xfade = offset_crossfade(crop, band)
        band_mask = edge_band_weight(h, w, band) > 0
        lines = interior_line_ratios(crop)
        row = {
            "image": path.name,
            "crop_box_source_px": box,
            "size": [h, w],
            "band_px": band,
            "tile": seam_metric(tile).ratio,
            "spread": [float(np.percentile(lines, 10)), float(np.percentile(lines, 90))],
            "before": seam_metric(crop).ratio,
            "texpaint": seam_metric(ours).ratio,
            "crossfade": seam_metric(xfade).ratio,
            "detail_texpaint": band_detail(ours, band_mask),
            "detail_crossfade": band_detail(xfade, band_mask),
            "seconds": seconds,
        }
        rows.append(row)
        if len(sheet_rows) < args.sheet_rows:
            sheet_rows.append((path.name, [crop, ours, xfade]))
        print(
            f"{path.name[:44]:<44} {f'{w}x{h}':>9} {band:>4} {row['tile']:>6.2f} "
            f"{row['spread'][0]:>5.2f}-{row['spread'][1]:<5.2f} {row['before']:>8.2f} "
            f"{row['texpaint']:>9.2f} {row['crossfade']:>7.2f} "
            f"{row['detail_texpaint']:>7.2f} {row['detail_crossfade']:>7.2f} {seconds:>6.1f}",
            flush=True,
        )

    def mean(key: str) -> float:
        return statistics.fmean(r[key] for r in rows)

    print("-" * len(header))
    print(
        f"{'mean':<44} {'':>9} {'':>4} {mean('tile'):>6.2f} {'':>11} {mean('before'):>8.2f} "
        f"{mean('texpaint'):>9.2f} {mean('crossfade'):>7.2f} {mean('detail_texpaint'):>7.2f} "
        f"{mean('detail_crossfade'):>7.2f} {mean('seconds'):>6.1f}"
    )
    dev_ours = statistics.fmean(abs(r["texpaint"] - 1.0) for r in rows)
    dev_xfade = statistics.fmean(abs(r["crossfade"] - 1.0) for r in rows)
    dev_tile = statistics.fmean(abs(r["tile"] - 1.0) for r in rows)
    print(
        f"{'mean |ratio - 1|':<44} {'':>9} {'':>4} {dev_tile:>6.3f} {'':>11} {'':>8} "
        f"{dev_ours:>9.3f} {dev_xfade:>7.3f}"
    )

    def within(key: str) -> int:
        return sum(abs(r[key] - 1.0) <= TOLERANCE for r in rows)

    print(
        f"{f'images within {TOLERANCE:.0%} of 1':<44} {'':>9} {'':>4} {within('tile'):>6d} "
        f"{'':>11} {'':>8} {within('texpaint'):>9d} {within('crossfade'):>7d}"
    )

    def in_spread(key: str) -> int:
        return sum(r["spread"][0] <= r[key] <= r["spread"][1] for r in rows)

    print(
        f"{'images within their own p10-p90 line spread':<44} {'':>9} {'':>4} "
        f"{in_spread('tile'):>6d} {'':>11} {in_spread('before'):>8d} "
        f"{in_spread('texpaint'):>9d} {in_spread('crossfade'):>7d}"
    )
    print(
        "(tile: the uncropped source, which does tile: the metric's own spread on a "
        "seamless texture; line spread: p10-p90 of the ratios of the crop's interior lines, "
        "i.e. where a seam indistinguishable from an interior line falls)"
    )
    print()
    worst = max(rows, key=lambda r: abs(r["texpaint"] - 1.0))
    ok1 = all(abs(r["texpaint"] - 1.0) <= TOLERANCE for r in rows)
    ok2 = dev_ours < dev_xfade
    print(
        f"{'PASS' if ok1 else 'FAIL'}  texpaint within {TOLERANCE:.0%} of the interior level "
        f"on every image (worst: {worst['image']} at {worst['texpaint']:.2f})"
    )
    print(
        f"{'PASS' if ok2 else 'FAIL'}  texpaint better than crossfade on average "
        f"(mean |ratio - 1| {dev_ours:.3f} vs {dev_xfade:.3f})"
    )
    if args.sheet:
        write_sheet(Path(args.sheet), sheet_rows)
        print(f"contact sheet: {args.sheet}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "model": info.id,
            "size": args.size,
            "seed": args.seed,
            "even_lighting": args.even_lighting,
            "images": rows,
            "mean_abs_dev": {"texpaint": dev_ours, "crossfade": dev_xfade, "tile": dev_tile},
            "within_tolerance": {k: within(k) for k in ("tile", "texpaint", "crossfade")},
            "within_line_spread": {
                k: in_spread(k) for k in ("tile", "before", "texpaint", "crossfade")
            },
            "targets": {"within_10pct_every_image": ok1, "better_than_crossfade": ok2},
        }
        args.json.write_text(json.dumps(report, indent=2))
        print(f"json: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
