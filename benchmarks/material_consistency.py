"""Material sets: do the albedo fill and the normal/height fill agree, and what does it cost?

Consistency (issue 23's target). For each Nobiax set in ``../shared/data/pbr-sets`` and each
of ``--masks`` seeded masks (``texpaint.training.masks.random_mask``, thick strokes and blobs,
10-30 % of the area), the set is inpainted with one shared source map
(``texpaint.document.material.inpaint_material``). Edges are then detected in the albedo, the
height map and the normal map; the *edge agreement* of two maps in a region is the
symmetric, tolerant overlap of their edge pixels::

    agree(A, B) = (|A ∩ dilate(B)| + |B ∩ dilate(A)|) / (|A| + |B|)     (dilation: 2 px)

where a map's edges are the pixels whose Gaussian-smoothed (sigma 1.5 px) Sobel gradient
magnitude is in the map's top 20 % (threshold taken on the whole map, untouched pixels only,
so it is the same in both regions). Albedo: luminance; height: grey level; normal map: the
magnitude of the tangent-plane components (x, y) of the unit normal, i.e. the slope (the
direction only, as a shader normalises the normal: several Nobiax normal maps are not unit
length, and the fill's renormalised normals must not count as edges). It is reported

- inside the filled pixels (``fill``),
- in the untouched pixels (``intact``: mask 0 and more than 8 px from the hole), and
- inside the filled pixels of an *independent* fill, where each map was inpainted on its own
  (its own source map decided on itself; what editing the maps one by one gives), as the
  reference for what a consistent fill buys.

Target: ``fill`` about as high as ``intact`` (edges of the maps coincide in the filled part as
well as in the untouched part), and well above ``independent``.

Speed (the second target): a 2048² set of 5 maps (the nobiax-82 maps tiled 2 x 2, plus a
roughness map made as 1 - specular) with a seeded 25 % mask: wall time of the set fill vs the
same fill of the albedo alone (one map, no guide channels), and vs the single-image Inpaint
of the albedo (``ops.runner.run_job``). Target: set < 2x the albedo alone. The set and the
albedo alone run in turn (``--repeats`` pairs) and the median of the pairs' ratios is printed
with the load average, as the machine may be shared; CPU time (all threads) is printed too.

``--method auto`` (default, what the app does) decides the shared source map by the
texture (:func:`texpaint.engine.material_fill.choose_method`: the synthesis core for a
structured albedo, block quilting for a stochastic one; every Nobiax set is stochastic);
``--method core`` always with the synthesis core
(:func:`texpaint.synthesis.completion.complete`), ``--method quilt`` always with block
quilting (both the set fill and the independent fills). The figures are printed per set and
over all sets.

Run from the repository root::

    .venv/bin/python benchmarks/material_consistency.py            # all five sets + speed
    .venv/bin/python benchmarks/material_consistency.py --masks 1 --skip-speed   # quick

Figures go to stdout (``--json PATH`` writes them too); progress to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from texpaint.document.material import (  # noqa: E402
    MapRole,
    MaterialSet,
    inpaint_material,
    open_material,
)
from texpaint.engine.material_fill import MapPixels, fill_material  # noqa: E402
from texpaint.imaging.normal_map import decode_normals  # noqa: E402
from texpaint.training.masks import random_mask  # noqa: E402

PBR = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "pbr-sets"
SETS = ("nobiax-76", "nobiax-80", "nobiax-82", "nobiax-100", "nobiax-139")
EDGE_SIGMA_PX = 1.5
EDGE_TOP_FRACTION = 0.2
TOLERANCE_PX = 2
INTACT_GAP_PX = 8


def _signal(role: MapRole, rgb: np.ndarray) -> np.ndarray:
    """The scalar field whose edges are compared: luminance, height, or normal slope."""
    if role is MapRole.NORMAL:  # slope of the direction (a shader normalises the normal)
        n = decode_normals(rgb)
        n = n / np.maximum(np.linalg.norm(n, axis=-1, keepdims=True), 1e-6)
        return np.linalg.norm(n[..., :2], axis=-1).astype(np.float32)
    return (rgb @ np.array([0.2126, 0.7152, 0.0722], np.float32)).astype(np.float32)


def edges(field: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """bool edge map: smoothed Sobel magnitude in the top EDGE_TOP_FRACTION (threshold from
    the pixels in ``keep``)."""
    f = cv2.GaussianBlur(field, (0, 0), EDGE_SIGMA_PX)
    gx = cv2.Sobel(f, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(f, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.hypot(gx, gy)
    thr = np.quantile(mag[keep], 1.0 - EDGE_TOP_FRACTION)
    return mag > thr


def agreement(a: np.ndarray, b: np.ndarray, region: np.ndarray) -> float:
    """Symmetric tolerant overlap of edge maps ``a`` and ``b`` inside ``region`` (see module
    doc); NaN when neither has an edge there."""
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * TOLERANCE_PX + 1,) * 2)
    da = cv2.dilate(a.astype(np.uint8), k).astype(bool)
    db = cv2.dilate(b.astype(np.uint8), k).astype(bool)
    na, nb = int((a & region).sum()), int((b & region).sum())
    if na + nb == 0:
        return float("nan")
    return float(((a & db & region).sum() + (b & da & region).sum()) / (na + nb))


def _independent(
    mset: MaterialSet, mask: np.ndarray, seed: int, method: str = "auto"
) -> list[np.ndarray]:
    """Each map inpainted on its own: its own source map decided on itself."""
    out = []
    for m in mset.maps:
        res = fill_material(
            [MapPixels(m.image.rgb, m.image.alpha, m.kind, m.role.value)],
            mask,
            guide_weights={},
            seed=seed,
            method=method,
        )
        out.append(res.maps[0].rgb)
    return out


def consistency(
    n_masks: int,
    seed: int,
    method: str = "auto",
    independent: bool = True,
    first_mask: int = 0,
    guide_weights: dict[str, float] | None = None,
) -> dict:
    rows = []
    for name in SETS:
        mset = open_material(PBR / name)
        w, h = mset.size
        albedo_i = mset.maps.index(mset.albedo)
        others = [i for i, m in enumerate(mset.maps) if m.role in (MapRole.HEIGHT, MapRole.NORMAL)]
        for k in range(first_mask, first_mask + n_masks):
            rng = np.random.default_rng([seed, k, SETS.index(name)])
            kind = ("thick_strokes", "blobs")[k % 2]
            mask = random_mask(rng, h, w, kind, min_cover=0.1, max_cover=0.3)
            t0 = time.perf_counter()
            new, fill = inpaint_material(
                mset, mask, seed=seed + k, method=method, guide_weights=guide_weights
            )
            dt = time.perf_counter() - t0
            indep = _independent(mset, mask, seed + k, method) if independent else None
            hole = mask > 0
            dist = cv2.distanceTransform((~hole).astype(np.uint8), cv2.DIST_L2, 5)
            intact = dist > INTACT_GAP_PX
            e_new = [edges(_signal(m.role, m.image.rgb), intact) for m in new.maps]
            e_ind = (
                [
                    edges(_signal(m.role, rgb), intact)
                    for m, rgb in zip(mset.maps, indep, strict=True)
                ]
                if indep is not None
                else None
            )
            for i in others:
                role = mset.maps[i].role.value
                row = {
                    "set": name,
                    "mask": k,
                    "kind": kind,
                    "cover": float(hole.mean()),
                    "pair": f"albedo-{role}",
                    "fill": agreement(e_new[albedo_i], e_new[i], hole),
                    "intact": agreement(e_new[albedo_i], e_new[i], intact),
                    "independent": (
                        agreement(e_ind[albedo_i], e_ind[i], hole) if e_ind else float("nan")
                    ),
                    "seconds": dt,
                    "method": fill.method,
                }
                rows.append(row)
                print(
                    f"{name} mask {k} ({kind}, {row['cover']:.0%}) {row['pair']:>15}: "
                    f"fill {row['fill']:.3f}  intact {row['intact']:.3f}  "
                    f"independent {row['independent']:.3f}  ({fill.method}, {dt:.1f} s)",
                    file=sys.stderr,
                )
    summary = {}
    for pair in sorted({r["pair"] for r in rows}):
        sel = [r for r in rows if r["pair"] == pair]
        summary[pair] = {
            key: float(np.nanmean([r[key] for r in sel]))
            for key in ("fill", "intact", "independent")
        }
        summary[pair]["n"] = len(sel)
    per_set = {}
    for name in SETS:
        for pair in sorted({r["pair"] for r in rows}):
            sel = [r for r in rows if r["pair"] == pair and r["set"] == name]
            if sel:
                per_set[f"{name} {pair}"] = {
                    key: float(np.nanmean([r[key] for r in sel]))
                    for key in ("fill", "intact", "independent")
                }
                per_set[f"{name} {pair}"]["n"] = len(sel)
                per_set[f"{name} {pair}"]["method"] = "/".join(sorted({r["method"] for r in sel}))
    return {"rows": rows, "summary": summary, "per_set": per_set}


def _tile2(a: np.ndarray | None) -> np.ndarray | None:
    return None if a is None else np.ascontiguousarray(np.tile(a, (2, 2) + (1,) * (a.ndim - 2)))


def speed(seed: int, repeats: int, method: str = "auto") -> dict:
    import torch

    from texpaint.engine.device import Runtime
    from texpaint.jobs import Job, Operation
    from texpaint.ops.runner import run_job

    torch.set_num_threads(max(1, torch.get_num_threads()))
    mset = open_material(PBR / "nobiax-82")
    maps = [
        MapPixels(_tile2(m.image.rgb), _tile2(m.image.alpha), m.kind, m.role.value)
        for m in mset.maps
    ]
    spec = next(mp for mp in maps if mp.role == "specular")
    maps.append(MapPixels(np.ascontiguousarray(1.0 - spec.rgb), None, "data", "roughness"))
    h, w = maps[0].rgb.shape[:2]
    rng = np.random.default_rng([seed, 2048])
    mask = random_mask(rng, h, w, "thick_strokes", min_cover=0.2, max_cover=0.3)

    warm = np.zeros((256, 256), np.float32)
    warm[100:140, 100:140] = 1
    warm_maps = [MapPixels(maps[0].rgb[:256, :256], None, "colour")]
    fill_material(warm_maps, warm, method=method)  # imports, compiled kernels
    fill_material(maps, mask, seed=seed, method=method)  # and the set's own (torch, scipy)

    def timed(fn) -> tuple[float, float]:
        """Wall and CPU time (all threads of the process) of one call."""
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        return time.perf_counter() - t0, time.process_time() - c0

    # set and albedo alone in turn, so each pair sees about the same load; the ratio is the
    # median of the pairs' ratios (the machine may be shared)
    pairs, loads = [], []
    for _ in range(repeats):
        s = timed(lambda: fill_material(maps, mask, seed=seed, method=method))
        a = timed(lambda: fill_material(maps[:1], mask, seed=seed, method=method))
        pairs.append((s, a))
        loads.append(os.getloadavg()[0])
        print(
            f"speed pair: set {s[0]:.2f} s ({s[1]:.2f} CPU s), albedo alone {a[0]:.2f} s "
            f"({a[1]:.2f} CPU s), load {loads[-1]:.1f}",
            file=sys.stderr,
        )
    t_set = min(p[0][0] for p in pairs)
    t_albedo = min(p[1][0] for p in pairs)
    cpu = {"set": min(p[0][1] for p in pairs), "albedo": min(p[1][1] for p in pairs)}
    ratio_wall = float(np.median([p[0][0] / p[1][0] for p in pairs]))
    ratio_cpu = float(np.median([p[0][1] / p[1][1] for p in pairs]))
    t_set_albedo_guide = min(
        timed(lambda: fill_material(maps, mask, seed=seed, guide_weights={}, method=method))[0]
        for _ in range(repeats)
    )
    runtime = Runtime("cpu")
    job = Job(op=Operation.INPAINT, image=maps[0].rgb, mask=mask, seed=seed)
    t_pipeline = min(timed(lambda: run_job(job, runtime=runtime))[0] for _ in range(repeats))
    return {
        "method": method,
        "size": [w, h],
        "maps": len(maps),
        "cover": float((mask > 0).mean()),
        "set_s": t_set,
        "set_albedo_guide_s": t_set_albedo_guide,
        "albedo_alone_s": t_albedo,
        "single_image_inpaint_s": t_pipeline,
        "ratio_set_vs_albedo": t_set / t_albedo,
        "median_pair_ratio_wall": ratio_wall,
        "median_pair_ratio_cpu": ratio_cpu,
        "load_average_1min": loads,
        "ratio_set_albedo_guide_vs_albedo": t_set_albedo_guide / t_albedo,
        "ratio_set_vs_single_image_inpaint": t_set / t_pipeline,
        "set_cpu_s": cpu["set"],
        "albedo_alone_cpu_s": cpu["albedo"],
        "ratio_set_vs_albedo_cpu": cpu["set"] / cpu["albedo"],
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--masks", type=int, default=2, help="seeded masks per set (default 2)")
    p.add_argument(
        "--first-mask",
        type=int,
        default=0,
        help="index of the first seeded mask (default 0; masks 0-1 were used to choose the "
        "fill's settings, later ones are held out)",
    )
    p.add_argument(
        "--skip-independent",
        action="store_true",
        help="do not fill each map on its own (the reference column; 4x faster without)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--skip-speed", action="store_true")
    p.add_argument("--skip-consistency", action="store_true")
    p.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="speed: N runs of the set and the albedo alone in turn (default 1); times are "
        "the best, ratios also the median of the pairs' ratios",
    )
    p.add_argument(
        "--method",
        choices=("auto", "core", "quilt"),
        default="auto",
        help="how the set fill decides its source map (default auto, as the app: the "
        "synthesis core for a structured albedo, block quilting for a stochastic one)",
    )
    p.add_argument(
        "--guide-weights",
        default=None,
        help="consistency: the set fill's extra guide channels, e.g. 'height=1,normal=0' "
        "(default: the app's, which depend on the method)",
    )
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    weights = None
    if args.guide_weights is not None:
        try:
            weights = {
                k.strip(): float(v)
                for k, v in (part.split("=") for part in args.guide_weights.split(",") if part)
            }
        except ValueError:
            p.error(f"--guide-weights: expected name=number pairs, got {args.guide_weights!r}")
    if not PBR.is_dir():
        print(f"error: {PBR} not found", file=sys.stderr)
        return 2
    report: dict = {}
    if not args.skip_consistency:
        report["consistency"] = consistency(
            args.masks, args.seed, args.method, not args.skip_independent, args.first_mask,
            weights,
        )  # fmt: skip
        print("edge agreement, albedo vs height/normal (1 = every edge matched within 2 px)")
        print(f"{'set, pair':>24} {'n':>3} {'fill':>7} {'intact':>7} {'independent':>12}  method")
        for key, s in report["consistency"]["per_set"].items():
            print(
                f"{key:>24} {s['n']:>3} {s['fill']:>7.3f} {s['intact']:>7.3f} "
                f"{s['independent']:>12.3f}  {s['method']}"
            )
        print(f"{'all sets, pair':>24} {'n':>3} {'fill':>7} {'intact':>7} {'independent':>12}")
        for pair, s in report["consistency"]["summary"].items():
            print(
                f"{pair:>24} {s['n']:>3} {s['fill']:>7.3f} {s['intact']:>7.3f} "
                f"{s['independent']:>12.3f}"
            )
    if not args.skip_speed:
        sp = speed(args.seed, args.repeats, args.method)
        report["speed"] = sp
        print(
            f"speed {sp['size'][0]}x{sp['size'][1]}, {sp['maps']} maps, mask {sp['cover']:.0%}: "
            f"set {sp['set_s']:.2f} s (albedo-only guide {sp['set_albedo_guide_s']:.2f} s), "
            f"albedo alone {sp['albedo_alone_s']:.2f} s -> {sp['ratio_set_vs_albedo']:.2f}x "
            f"({sp['ratio_set_albedo_guide_vs_albedo']:.2f}x); single-image Inpaint of the "
            f"albedo {sp['single_image_inpaint_s']:.2f} s "
            f"({sp['ratio_set_vs_single_image_inpaint']:.2f}x); CPU time set "
            f"{sp['set_cpu_s']:.2f} s, albedo alone {sp['albedo_alone_cpu_s']:.2f} s -> "
            f"{sp['ratio_set_vs_albedo_cpu']:.2f}x; median of {len(sp['load_average_1min'])} "
            f"set/albedo pairs {sp['median_pair_ratio_wall']:.2f}x wall, "
            f"{sp['median_pair_ratio_cpu']:.2f}x CPU (load "
            f"{min(sp['load_average_1min']):.1f}-{max(sp['load_average_1min']):.1f})"
        )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
