"""Make Seamless on periodic textures it was not tuned on: the crops of ``cc0-1k/train``.

``benchmarks/seamless_quality.py`` has 9 periodic val crops per seed, too few to tell a change
of the band synthesis from the luck of its random choices (one crop flips between runs). This
script runs the same crops, figures and criteria on the periodic textures of
``cc0-1k/train`` (bricks, tiles, planks, facades: 19 of them pass the benchmark's
:func:`~benchmarks.seamless_quality.periodic_source` test), so a change can be judged on 38
crops over two seeds that no one tuned on. Run from the repository root::

    .venv/bin/python benchmarks/seamless_train_check.py --seeds 0,1

Per crop (seeded off-centre crop, area-downscaled to ``--size`` px, exactly as the benchmark):
whether texpaint's seam is within the crop's own p10-p90 line spread, whether the lattice
criterion (:mod:`benchmarks.seamless_lattice`) holds, and the plan (``already tiles: left
unchanged`` is a crop the wrap check took for a tile). Totals at the end; exits 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.seamless_lattice import lattice_criterion  # noqa: E402
from benchmarks.seamless_quality import (  # noqa: E402
    area_downscale,
    off_centre_crop,
    periodic_source,
)
from texpaint.engine.seamless import (  # noqa: E402
    axis_band_px,
    make_seamless,
    plan_seamless,
    seam_overlap_px,
)
from texpaint.imaging.io import read_image  # noqa: E402
from texpaint.imaging.seams import interior_line_ratios, seam_metric  # noqa: E402

KEYWORDS = ("brick", "tiles", "planks", "beam_wall", "facade", "Facade")
"""Name parts of the train textures tried (the periodic test then picks among them)."""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--train",
        type=Path,
        default=REPO.parent / "shared" / "data" / "textures" / "cc0-1k" / "train",
        help="folder of training textures (default ../shared/data/textures/cc0-1k/train)",
    )
    p.add_argument("--seeds", default="0,1", help="comma-separated crop seeds (default 0,1)")
    p.add_argument("--size", type=int, default=512, help="longer crop side in px (default 512)")
    p.add_argument("--json", type=Path, default=None, help="write the rows to this JSON file")
    args = p.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s]
    names = [q for q in sorted(args.train.iterdir()) if any(k in q.name for k in KEYWORDS)]
    rows = []
    for path in names:
        src = read_image(path).rgb
        if not periodic_source(area_downscale(src, args.size)):
            continue
        for seed in seeds:
            crop = area_downscale(off_centre_crop(src, path.name, seed)[0], args.size)
            plan = plan_seamless(crop)
            out = make_seamless(crop, plan=plan, seed=seed)
            lo, hi = np.percentile(interior_line_ratios(crop), [10, 90])
            ratio = seam_metric(out).ratio
            wy, wx = (axis_band_px(plan, a) + 2 * seam_overlap_px(plan, a) for a in (0, 1))
            widths = (wy, wx)
            lat = lattice_criterion(out, widths)
            row = {
                "image": path.name,
                "seed": seed,
                "plan": plan.describe(),
                "seam": ratio,
                "spread": [float(lo), float(hi)],
                "spread_ok": bool(lo <= ratio <= hi),
                "lattice_ok": bool(lat["ok"]),
            }
            rows.append(row)
            print(
                f"{path.name[:40]:<40} seed {seed}  seam {ratio:5.2f} "
                f"({'in' if row['spread_ok'] else 'OUT of'} {lo:.2f}-{hi:.2f})  lattice "
                f"{'ok' if lat['ok'] else 'FAIL'}  {plan.describe()}",
                flush=True,
            )
    n = len(rows)
    print(
        f"{n} periodic train crops: seam within own p10-p90 line spread "
        f"{sum(r['spread_ok'] for r in rows)}/{n}; lattice criterion "
        f"{sum(r['lattice_ok'] for r in rows)}/{n}; taken for tiles (left unchanged) "
        f"{sum(r['plan'].startswith('already tiles') for r in rows)}"
    )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
