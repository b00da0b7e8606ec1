"""Inpainting quality and speed: texpaint against OpenCV Telea and Navier-Stokes, PatchMatch
and Resynthesizer.

Run from the repository root (see ``benchmarks/README.md``)::

    .venv/bin/python benchmarks/inpaint_quality.py                 # the full benchmark
    .venv/bin/python benchmarks/inpaint_quality.py --limit 2 --size 256 --skip-speed  # smoke run
    .venv/bin/python benchmarks/inpaint_quality.py --set structure --skip-speed  # lattice set

What it does
------------
* Images: every image of ``cc0-1k/val`` (validation only, never trained on), sorted by name,
  area-downscaled (``cv2.INTER_AREA``) so the longer side is ``--size`` px (default 512; the
  sources are 1024-2048 px, the cap keeps PatchMatch's run time reasonable) and quantised
  to 8 bits, so every method sees exactly the same uint8 pixels. Ground truth = that image.
* Masks: three size classes by hole fraction of the image area, drawn with
  :func:`texpaint.training.masks.random_mask` from ``numpy.random.default_rng([seed, crc32 of
  the file name, class index])``, so one image gets the SAME three masks for every method and
  on every run (independent of ``--limit``):

  ====== ============== ==========================================
  class  hole fraction  mask kinds (one picked by the same rng)
  ====== ============== ==========================================
  small  3-8 %          thin strokes, thick strokes, boxes
  medium 12-25 %        thick strokes, boxes, blobs
  large  30-45 %        thick strokes, boxes, blobs
  ====== ============== ==========================================

* Methods (each gets float/uint8 RGB and the binary mask, returns the whole image):

  - ``texpaint``: :func:`texpaint.ops.runner.run_job` with an ``inpaint`` :class:`Job`
    on ``Runtime("cpu")`` and the default (or ``--model``) catalog model: the patch-based fill
    of :mod:`texpaint.synthesis.completion`; with ``--refine`` (the ablation) the shipped FFC
    generator (LaMa's architecture, Suvorov et al., WACV 2022) refines that fill.
  - ``telea``: ``cv2.inpaint(..., 3, cv2.INPAINT_TELEA)`` on uint8 — fast marching (A. Telea,
    "An Image Inpainting Technique Based on the Fast Marching Method", J. Graphics Tools 2004).
  - ``ns``: ``cv2.inpaint(..., 3, cv2.INPAINT_NS)`` on uint8 — Navier-Stokes (M. Bertalmio,
    A. L. Bertozzi & G. Sapiro, "Navier-Stokes, Fluid Dynamics, and Image and Video
    Inpainting", CVPR 2001).
  - ``patchmatch``: ``patchmatch.inpaint(..., patch_size=--pm-patch)`` from the PyPI package
    PyPatchMatch (C. Barnes, E. Shechtman, A. Finkelstein & D. B. Goldman, "PatchMatch: A
    Randomized Correspondence Algorithm for Structural Image Editing", SIGGRAPH 2009);
    ``patch_size`` is the patch *radius* (3 -> 7 x 7 patches, the package's documented
    example value and InvokeAI's setting); the default here is radius 7 (15 x 15 patches),
    the stronger setting (radius 3 is weaker, radius 15 about equal and 3x slower); native
    random seed fixed with ``set_random_seed``.
  - ``resynth``: ``resynthesizer.resynthesize`` from the PyPI package ``resynthesizer`` (the
    engine of GIMP's Heal Selection, P. Harrison, "Image Texture Tools", PhD thesis, Monash
    University 2005) with its default parameters (patch 30, 200 probes) and seamless tiling
    off. GPL-3: a benchmark-only extra, never imported by texpaint.

* Metrics per method and mask class, averaged over images:

  - PSNR (dB, higher is better) and SSIM (higher is better) against the ground truth, only
    inside the hole (:func:`texpaint.imaging.metrics.psnr` / ``ssim`` with the mask);
    per-image PSNR values are averaged in dB;
  - low-pass PSNR (dB, higher is better, ``lpsnr``): PSNR inside the hole after a Gaussian
    blur (sigma 2 px at 512 px, scaled with ``--size``) of both the result and the ground
    truth: it scores where structure lands (lines, edges, blotches) without rewarding a
    blurred average as plain PSNR does;
  - SWD (lower is better): :func:`texpaint.imaging.texture_stats.hole_patch_swd`, the sliced
    Wasserstein-2 distance between 7 x 7 patches centred in the hole of the *result* and
    patches of the untouched known region of the same image (sRGB [0, 1], 4096 patches per
    set, 256 projections, seed 0). The row ``ground truth`` gives the same statistic for the
    unmodified image: the level a perfect fill would get;
  - s/img: wall-clock seconds per call in this process (texpaint: torch with the threads
    ``Runtime("cpu")`` sets, i.e. all usable cores; the others as their libraries run).

  The ``avg M+L`` rows average each metric over the medium and large classes (all their
  images, equal weight).

* ``--set structure``: the **structure set**, the val textures with a clear lattice
  (:data:`STRUCTURE_SET`: bricks, tiles, planks, a woven check, a plate and a dot grid) with
  masks placed over joints, found on the image itself so no position is hand-picked:

  ====== ==================================================================================
  class  hole
  ====== ==================================================================================
  joint  a square of 1/9 of the side centred on the strongest junction (the maximum of the
         Harris corner response, Harris & Stephens 1988, of the blurred luminance: T-junctions
         and line crossings), at least 1/8 of the side from the border
  inside a rectangle 1/24 x 1/14 of the side where the luminance gradient is weakest over the
         rectangle plus a ring of 1/32 of the side: inside a brick, tile or plank
  cross  a disc of diameter 1/5 of the side on the second junction (at least 1/4 of the
         side from the first): it crosses several joints
  ====== ==================================================================================

  Its ``avg`` rows average the three classes. ``--structure-images`` picks other images
  (a comma-separated list of file names, or ``train`` for :data:`TRAIN_STRUCTURE_SET`, to be
  used with ``--val`` set to the ``cc0-1k/train`` folder): develop there, check on val.
* ``--per-hole``: a table with one line per image and mask class (PSNR, low-pass PSNR and
  SWD of texpaint and of each patch-based peer, the ground truth's SWD, and texpaint's SWD
  minus PatchMatch's), to find which holes a difference in the averages comes from.

* Targets, printed as PASS/FAIL lines (the script exits 0 either way):

  1. texpaint beats Telea and NS on every quality metric (PSNR, SSIM, SWD) in every mask
     class (strict: 9 comparisons per peer; seconds are not a quality metric);
  2. texpaint beats PatchMatch and Resynthesizer on PSNR, low-pass PSNR and SWD, each
     averaged over medium + large (random set) or over the whole structure set.

* Speed: one 1024 x 1024 image (the first val image, area-downscaled when larger) with a
  centred square hole of half the side (25 % of the area); texpaint on the CPU, one warm-up
  run, then the median of 3 timed runs.
* ``--sheet``: a contact sheet PNG of five images (medium, large, medium, ... masks; on the
  structure set every case): columns input with the hole tinted red, every method run,
  ground truth.
* ``--cache DIR``: the peers' outputs (deterministic for a given image, mask, size, seed
  and PatchMatch radius) are stored there and read back on later runs, with their timings;
  texpaint is always recomputed.
* ``--json``: every figure (per image, per class, averages, targets, speed) as JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
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
from texpaint.engine.device import Runtime  # noqa: E402
from texpaint.imaging.io import read_image  # noqa: E402
from texpaint.imaging.metrics import psnr, ssim  # noqa: E402
from texpaint.imaging.texture_stats import (  # noqa: E402
    N_PATCHES,
    N_PROJECTIONS,
    PATCH,
    hole_patch_swd,
)
from texpaint.jobs import Job  # noqa: E402
from texpaint.ops.runner import run_job  # noqa: E402
from texpaint.training.masks import random_mask  # noqa: E402

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr", ".webp", ".bmp"}
METHODS = ("texpaint", "telea", "ns", "patchmatch", "resynth")
METHOD_LABELS = {
    "texpaint": "texpaint",
    "telea": "Telea",
    "ns": "NS",
    "patchmatch": "PatchMatch",
    "resynth": "Resynthesizer",
}
METRICS = ("psnr", "lpsnr", "ssim", "swd")
HIGHER_IS_BETTER = {"psnr": True, "lpsnr": True, "ssim": True, "swd": False}
LOWPASS_SIGMA_512 = 2.0
"""Gaussian sigma (px at a 512 px image) of the low-pass PSNR."""

STRUCTURE_SET = (
    "nobiax__191_diffuse.png",
    "polyhaven__anti_slip_concrete_diff_1k.jpg",
    "polyhaven__blue_floor_tiles_01_diff_1k.jpg",
    "polyhaven__blue_painted_planks_diff_1k.jpg",
    "polyhaven__brick_floor_diff_1k.jpg",
    "polyhaven__brick_wall_005_diff_1k.jpg",
    "polyhaven__brick_wall_10_diff_1k.jpg",
    "polyhaven__fabric_pattern_07_col_1_1k.jpg",
    "polyhaven__floor_long_white_tiles_diff_1k.jpg",
    "polyhaven__metal_plate_diff_2k.jpg",
)
"""The val textures with a clear lattice (``--set structure``): bricks, tiles, planks,
a herringbone floor, a woven check, a chequer plate and an anti-slip dot grid."""

TRAIN_STRUCTURE_SET = (
    "ambientcg__Facade005_facade_albedo.jpg",
    "nobiax__57_diffuse.png",
    "polyhaven__beam_wall_01_diff_1k.jpg",
    "polyhaven__black_painted_planks_diff_1k.jpg",
    "polyhaven__blue_metal_plate_diff_1k.jpg",
    "polyhaven__brick_floor_003_diff_1k.jpg",
    "polyhaven__brick_floor_02_diff_1k.jpg",
    "polyhaven__brick_villa_floor_diff_1k.jpg",
    "polyhaven__brick_wall_001_diff_1k.jpg",
    "polyhaven__brick_wall_006_diff_1k.jpg",
    "polyhaven__brick_wall_09_diff_1k.jpg",
    "polyhaven__brick_wall_13_diff_1k.jpg",
    "polyhaven__brown_floor_tiles_diff_1k.jpg",
    "polyhaven__metal_plate_02_diff_1k.jpg",
)
"""The ``cc0-1k/train`` textures with a clear lattice (``--structure-images train`` with
``--val`` set to the train folder): the structure set to develop and select settings on,
so that the val structure set stays a check."""


@dataclass(frozen=True)
class MaskClass:
    """A hole-size class: hole fraction range (of the image area) and allowed mask kinds."""

    name: str
    min_cover: float
    max_cover: float
    kinds: tuple[str, ...]


MASK_CLASSES = (
    MaskClass("small", 0.03, 0.08, ("thin_strokes", "thick_strokes", "boxes")),
    MaskClass("medium", 0.12, 0.25, ("thick_strokes", "boxes", "blobs")),
    MaskClass("large", 0.30, 0.45, ("thick_strokes", "boxes", "blobs")),
)
AVG_CLASSES = ("medium", "large")
STRUCTURE_CLASSES = ("joint", "inside", "cross")

# A method: (uint8 RGB (H, W, 3), binary float32 mask (H, W)) -> float32 RGB (H, W, 3) in [0, 1]
InpaintFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


# --- data ---------------------------------------------------------------------------------


def load_u8(path: Path, size: int) -> np.ndarray:
    """``path`` as uint8 RGB ``(H, W, 3)``, area-downscaled so the longer side is <= ``size``."""
    rgb = area_downscale(read_image(path).rgb, size)
    return (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def make_masks(name: str, h: int, w: int, seed: int) -> dict[str, np.ndarray]:
    """The fixed masks of one image: class name -> float32 ``(h, w)`` in {0, 1}, 1 = hole."""
    masks = {}
    for ci, mc in enumerate(MASK_CLASSES):
        rng = np.random.default_rng([seed, zlib.crc32(name.encode()), ci])
        kind = mc.kinds[int(rng.integers(len(mc.kinds)))]
        masks[mc.name] = random_mask(rng, h, w, kind, mc.min_cover, mc.max_cover)
    return masks


def structure_masks(gt_u8: np.ndarray) -> dict[str, np.ndarray]:
    """The structure set's masks of one image (module doc): class -> float32 ``(h, w)`` in
    {0, 1}, placed from the image's own junctions and flat interiors (deterministic)."""
    h, w = gt_u8.shape[:2]
    side = min(h, w)
    lum = cv2.cvtColor(gt_u8, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    blur = cv2.GaussianBlur(lum, (0, 0), side / 256)
    harris = cv2.cornerHarris(blur, max(3, side // 48) | 1, 3, 0.04)
    border = side // 8
    valid = np.zeros_like(harris, bool)
    valid[border : h - border, border : w - border] = True
    resp = np.where(valid, harris, -np.inf)
    y1, x1 = np.unravel_index(int(np.argmax(resp)), resp.shape)
    yy, xx = np.mgrid[0:h, 0:w]
    far = (yy - y1) ** 2 + (xx - x1) ** 2 >= (side / 4) ** 2
    y2, x2 = np.unravel_index(int(np.argmax(np.where(far, resp, -np.inf))), resp.shape)
    masks = {}
    m = np.zeros((h, w), np.float32)
    r = side // 18
    m[y1 - r : y1 + r, x1 - r : x1 + r] = 1.0
    masks["joint"] = m
    # inside: weakest gradient over the rectangle plus a ring
    gy, gx = np.gradient(blur)
    grad = np.hypot(gx, gy)
    rh, rw, ring = max(4, side // 24), max(6, side // 14), max(2, side // 32)
    wh, ww = rh + 2 * ring, rw + 2 * ring
    sums = cv2.boxFilter(grad, -1, (ww, wh), normalize=False, anchor=(0, 0))
    sums = sums[: h - wh + 1, : w - ww + 1]
    lim = np.full_like(sums, np.inf)
    lim[border : h - wh - border, border : w - ww - border] = sums[
        border : h - wh - border, border : w - ww - border
    ]
    ty, tx = np.unravel_index(int(np.argmin(lim)), lim.shape)
    m = np.zeros((h, w), np.float32)
    m[ty + ring : ty + ring + rh, tx + ring : tx + ring + rw] = 1.0
    masks["inside"] = m
    m = np.zeros((h, w), np.float32)
    cv2.circle(m, (int(x2), int(y2)), side // 10, 1.0, -1)
    masks["cross"] = m
    return masks


def lowpass_psnr(result: np.ndarray, gt: np.ndarray, mask: np.ndarray) -> float:
    """PSNR (dB) inside ``mask`` after a Gaussian blur of sigma 2 px at 512 px (scaled with the
    image's longer side) of ``result`` and ``gt`` (float32 ``(H, W, 3)`` in [0, 1])."""
    sigma = LOWPASS_SIGMA_512 * max(gt.shape[:2]) / 512
    a = cv2.GaussianBlur(result.astype(np.float32), (0, 0), sigma)
    b = cv2.GaussianBlur(gt.astype(np.float32), (0, 0), sigma)
    return psnr(a, b, mask)


# --- methods ------------------------------------------------------------------------------


def make_methods(
    runtime: Runtime, model_id: str | None, pm_patch: int, seed: int, refine: bool = False
):
    """The methods as :data:`InpaintFn` callables, by name (``refine``: texpaint's job param
    of that name, the generator's ablation)."""

    def texpaint_fn(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
        rgb = img.astype(np.float32) / 255.0
        params = {"refine": True} if refine else {}
        job = Job(op="inpaint", image=rgb, mask=mask, model_id=model_id, seed=seed, params=params)
        return run_job(job, runtime=runtime).image

    def opencv_fn(flag: int) -> InpaintFn:
        def fn(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
            out = cv2.inpaint(img, (mask > 0.5).astype(np.uint8), 3, flag)
            return out.astype(np.float32) / 255.0

        return fn

    def patchmatch_fn(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import patchmatch

        patchmatch.set_random_seed(seed)
        out = patchmatch.inpaint(img, (mask > 0.5).astype(np.uint8), patch_size=pm_patch)
        return out.astype(np.float32) / 255.0

    def resynth_fn(img: np.ndarray, mask: np.ndarray) -> np.ndarray:
        import resynthesizer  # GPL-3: benchmark-only peer, never imported by texpaint
        from PIL import Image

        params = resynthesizer.getDefaultParams()
        params.isMakeSeamlesslyTileableHorizontally = 0
        params.isMakeSeamlesslyTileableVertically = 0
        hole = Image.fromarray(((mask > 0.5) * 255).astype(np.uint8))
        out = resynthesizer.resynthesize(Image.fromarray(img), hole, params)
        return np.asarray(out, dtype=np.float32) / 255.0

    return {
        "texpaint": texpaint_fn,
        "telea": opencv_fn(cv2.INPAINT_TELEA),
        "ns": opencv_fn(cv2.INPAINT_NS),
        "patchmatch": patchmatch_fn,
        "resynth": resynth_fn,
    }


# --- evaluation ---------------------------------------------------------------------------


def score(result: np.ndarray, gt: np.ndarray, mask: np.ndarray, seed: int) -> dict[str, float]:
    """PSNR and low-pass PSNR (dB) and SSIM inside the hole vs ``gt``, and the hole-vs-known
    patch SWD."""
    return {
        "psnr": psnr(result, gt, mask),
        "lpsnr": lowpass_psnr(result, gt, mask),
        "ssim": ssim(result, gt, mask),
        "swd": safe_swd(result, mask, seed),
    }


def safe_swd(image: np.ndarray, mask: np.ndarray, seed: int) -> float:
    """:func:`hole_patch_swd`, or NaN (left out of the averages) when no patch fits."""
    try:
        return hole_patch_swd(image, mask, seed=seed)
    except ValueError:
        return math.nan


def mean(values: list[float]) -> float:
    """Mean ignoring NaN (e.g. an SWD that could not be computed); NaN when nothing is left."""
    finite = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite)) if finite else math.nan


def aggregate(
    per_image: list[dict], methods: list[str], classes: tuple[str, ...], avg: tuple[str, str]
) -> dict[str, dict[str, dict]]:
    """method -> class (or the average row ``avg[0]`` over the classes in ``avg[1]``, comma-
    separated) -> {psnr, lpsnr, ssim, swd, seconds, n} averaged over images."""
    out: dict[str, dict[str, dict]] = {}
    for m in [*methods, "ground truth"]:
        out[m] = {}
        groups = {c: [c] for c in classes} | {avg[0]: avg[1].split(",")}
        for label, members in groups.items():
            rows = [r for r in per_image if r["method"] == m and r["class"] in members]
            out[m][label] = {k: mean([r[k] for r in rows]) for k in (*METRICS, "seconds")}
            out[m][label]["n"] = len(rows)
    return out


def check_targets(
    agg: dict, methods: list[str], classes: tuple[str, ...], avg_label: str
) -> list[tuple[str, bool | None, str]]:
    """The issue's targets as ``(description, passed or None when not run, detail)``."""

    def better(metric: str, a: float, b: float) -> bool:
        return a > b if HIGHER_IS_BETTER[metric] else a < b

    results = []
    tp = agg.get("texpaint")
    for peer in ("telea", "ns"):
        n = len(classes) * 3
        desc = f"texpaint beats {METHOD_LABELS[peer]} on PSNR, SSIM and SWD in every mask class"
        if tp is None or peer not in methods:
            results.append((desc, None, "not run"))
            continue
        fails = [
            f"{c} {k} {tp[c][k]:.4g} vs {agg[peer][c][k]:.4g}"
            for c in classes
            for k in ("psnr", "ssim", "swd")
            if not better(k, tp[c][k], agg[peer][c][k])
        ]
        results.append((desc, not fails, "; ".join(fails) or f"{n}/{n} comparisons won"))
    for peer in ("patchmatch", "resynth"):
        for k in ("psnr", "lpsnr", "swd"):
            desc = f"texpaint beats {METHOD_LABELS[peer]} on {METRIC_LABELS[k]} ({avg_label})"
            if tp is None or peer not in methods:
                results.append((desc, None, "not run"))
                continue
            a, b = tp[avg_label][k], agg[peer][avg_label][k]
            results.append((desc, better(k, a, b), f"{a:.4g} vs {b:.4g}"))
    return results


METRIC_LABELS = {"psnr": "PSNR", "lpsnr": "low-pass PSNR", "ssim": "SSIM", "swd": "SWD"}


def speed_test(path: Path, runtime: Runtime, model_id: str | None, side: int = 1024) -> dict:
    """texpaint seconds for a ``side``-px image with a centred square hole of half the side."""
    img = load_u8(path, side).astype(np.float32) / 255.0
    h, w = img.shape[:2]
    mask = np.zeros((h, w), np.float32)
    mask[h // 4 : h // 4 + h // 2, w // 4 : w // 4 + w // 2] = 1.0
    job = Job(op="inpaint", image=img, mask=mask, model_id=model_id)
    run_job(job, runtime=runtime)  # warm-up: model load, allocator, FFT plans
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        run_job(job, runtime=runtime)
        times.append(time.perf_counter() - t0)
    return {
        "image": path.name,
        "width": w,
        "height": h,
        "hole_fraction": float(mask.mean()),
        "seconds_median": statistics.median(times),
        "seconds_runs": times,
        "device": runtime.description,
    }


# --- output -------------------------------------------------------------------------------


def format_table(agg: dict, methods: list[str], labels: list[str]) -> str:
    head = (
        f"{'method':<15}{'mask':<9}{'n':>4}{'PSNR dB':>9}{'LP-PSNR':>9}{'SSIM':>8}{'SWD':>9}"
        f"{'s/img':>8}"
    )
    lines = [head, "-" * len(head)]
    for m in [*methods, "ground truth"]:
        for label in labels:
            r = agg[m][label]
            if m == "ground truth":
                p, lp, s, t = "-", "-", "-", "-"
            else:
                p, lp = f"{r['psnr']:.2f}", f"{r['lpsnr']:.2f}"
                s, t = f"{r['ssim']:.4f}", f"{r['seconds']:.3f}"
            name = METHOD_LABELS.get(m, m)
            lines.append(
                f"{name:<15}{label:<9}{r['n']:>4}{p:>9}{lp:>9}{s:>8}{r['swd']:>9.4f}{t:>8}"
            )
        lines.append("")
    return "\n".join(lines).rstrip()


def format_per_hole(per_image: list[dict], methods: list[str]) -> str:
    """One line per image and mask class of ``per_image`` (:func:`main`'s rows): PSNR /
    low-pass PSNR / SWD of texpaint and of the patch-based peers that were run, the ground
    truth's SWD, and texpaint's SWD minus PatchMatch's (``dSWD``, negative: texpaint lower)."""
    shown = [m for m in ("texpaint", "patchmatch", "resynth") if m in methods]
    rows: dict[tuple[str, str], dict[str, dict]] = {}
    for r in per_image:
        rows.setdefault((r["image"], r["class"]), {})[r["method"]] = r
    head = f"{'image':<32}{'mask':<8}" + "".join(
        f"{METHOD_LABELS[m] + ' PSNR/LP/SWD':>26}" for m in shown
    )
    head += f"{'GT SWD':>9}{'dSWD':>9}"
    lines = [head, "-" * len(head)]
    for (image, cname), by in rows.items():
        line = f"{Path(image).stem[:31]:<32}{cname:<8}"
        for m in shown:
            r = by[m]
            line += f"{r['psnr']:>10.2f}{r['lpsnr']:>7.2f}{r['swd']:>9.4f}"
        line += f"{by['ground truth']['swd']:>9.4f}"
        if "texpaint" in by and "patchmatch" in by:
            line += f"{by['texpaint']['swd'] - by['patchmatch']['swd']:>+9.4f}"
        lines.append(line)
    return "\n".join(lines)


def structure_names(option: str | None) -> tuple[str, ...]:
    """The structure set's file names for ``--structure-images``: None gives
    :data:`STRUCTURE_SET` (val), ``"train"`` :data:`TRAIN_STRUCTURE_SET`, anything else is a
    comma-separated list of file names."""
    if option is None:
        return STRUCTURE_SET
    if option.strip() == "train":
        return TRAIN_STRUCTURE_SET
    return tuple(n.strip() for n in option.split(",") if n.strip())


def contact_sheet(rows: list[dict], path: Path, methods: list[str], cell: int = 256) -> None:
    """Write the side-by-side PNG: one row per image, columns input+mask, methods, ground truth.

    Each ``rows`` entry: ``{"label": str, "gt": uint8 (H, W, 3), "mask": float32 (H, W),
    "results": {method: float32 (H, W, 3)}}``.
    """
    from PIL import Image, ImageDraw

    cols = ["input + mask", *[METHOD_LABELS[m] for m in methods], "ground truth"]
    header, pad = 20, 4
    sheet = Image.new(
        "RGB", (len(cols) * (cell + pad) + pad, header + len(rows) * (cell + pad)), "white"
    )
    draw = ImageDraw.Draw(sheet)
    for c, label in enumerate(cols):
        draw.text((pad + c * (cell + pad) + 4, 4), label, fill="black")
    for r, row in enumerate(rows):
        gt = row["gt"].astype(np.float32) / 255.0
        m = row["mask"][..., None]
        tinted = gt * (1 - 0.6 * m) + np.array([1.0, 0.0, 0.0], np.float32) * 0.6 * m
        tiles = [tinted, *[row["results"].get(k, np.zeros_like(gt)) for k in methods], gt]
        y = header + r * (cell + pad)
        for c, tile in enumerate(tiles):
            u8 = (np.clip(tile, 0, 1) * 255 + 0.5).astype(np.uint8)
            crop = row.get("crop")
            if crop is not None:  # structure set: the hole's neighbourhood at 100 %
                y0, x0, side = crop
                u8 = u8[y0 : y0 + side, x0 : x0 + side]
            im = Image.fromarray(u8).resize((cell, cell), Image.Resampling.LANCZOS)
            sheet.paste(im, (pad + c * (cell + pad), y))
        draw.text((pad + 4, y + 4), row["label"], fill="white", stroke_width=2, stroke_fill="black")
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)


def hole_crop(mask: np.ndarray, side: int) -> tuple[int, int, int]:
    """``(y0, x0, side)``: a ``side``-px square centred on the hole's box, inside the image."""
    ys, xs = np.nonzero(mask > 0)
    h, w = mask.shape
    side = min(side, h, w)
    cy, cx = (ys.min() + ys.max()) // 2, (xs.min() + xs.max()) // 2
    y0 = int(np.clip(cy - side // 2, 0, h - side))
    x0 = int(np.clip(cx - side // 2, 0, w - side))
    return y0, x0, side


def _finite(x):
    """``x`` with NaN/inf floats replaced by None (strict JSON)."""
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


# --- main ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_args(p, "longer image side")
    p.add_argument("--seed", type=int, default=0, help="mask / PatchMatch / SWD seed")
    p.add_argument("--pm-patch", type=int, default=7, help="PatchMatch patch radius (default 7)")
    p.add_argument(
        "--methods",
        default=",".join(METHODS),
        help=f"comma-separated subset of {','.join(METHODS)}",
    )
    p.add_argument(
        "--set",
        choices=("random", "structure"),
        default="random",
        help="random: every val image with seeded masks of three sizes; structure: the "
        "lattice textures with masks over joints (module doc)",
    )
    p.add_argument(
        "--classes",
        default=None,
        help="comma-separated mask classes to run (default: all of the set's classes)",
    )
    p.add_argument(
        "--sheet",
        default=None,
        help="contact sheet PNG ('' to skip; default benchmarks/out/inpaint_contact_sheet.png "
        "or inpaint_structure_sheet.png)",
    )
    p.add_argument(
        "--refine",
        action="store_true",
        help="ablation: texpaint's generator refines the patch-based fill (job param refine)",
    )
    p.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="directory caching the peers' outputs (not texpaint's) per image, mask class, "
        "size, seed and PatchMatch radius: reruns only recompute texpaint",
    )
    p.add_argument(
        "--structure-images",
        default=None,
        help="structure set: comma-separated image file names instead of the val list, or "
        "'train' for the train lattice textures (use with --val .../cc0-1k/train)",
    )
    p.add_argument(
        "--per-hole",
        action="store_true",
        help="also print one line per image and mask class (texpaint against the peers)",
    )
    p.add_argument("--speed-size", type=int, default=1024, help="side of the speed test image")
    p.add_argument("--skip-speed", action="store_true", help="skip the 1024 px speed test")
    args = p.parse_args(argv)
    if args.sheet is None:
        name = "inpaint_contact_sheet" if args.set == "random" else "inpaint_structure_sheet"
        args.sheet = str(REPO / "benchmarks" / "out" / f"{name}.png")
    args.sheet = Path(args.sheet) if args.sheet else None
    args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    bad = [m for m in args.methods if m not in METHODS]
    if bad:
        p.error(f"unknown method(s) {bad}; choose from {METHODS}")
    all_classes = (
        tuple(mc.name for mc in MASK_CLASSES) if args.set == "random" else STRUCTURE_CLASSES
    )
    if args.classes:
        args.classes = tuple(c.strip() for c in args.classes.split(",") if c.strip())
        if not args.classes or any(c not in all_classes for c in args.classes):
            p.error(f"--classes must be a subset of {','.join(all_classes)}")
    else:
        args.classes = all_classes
    if args.limit is not None and args.limit < 1:
        p.error("--limit must be at least 1")
    if args.size < 32:
        p.error("--size must be at least 32")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    paths = val_images(args.val, None if args.set == "structure" else args.limit)
    if paths is None:
        return 2
    if args.set == "structure":
        names = structure_names(args.structure_images)
        paths = [p for p in paths if p.name in names][: args.limit]
        if not paths:
            print(f"error: none of the structure set's images is in {args.val}", file=sys.stderr)
            return 2
        avg = ("avg", ",".join(args.classes))
    else:
        avg_classes = [c for c in AVG_CLASSES if c in args.classes] or list(args.classes)
        avg = ("avg M+L", ",".join(avg_classes))
    runtime = Runtime("cpu")
    model_desc = "-"
    if "texpaint" in args.methods or not args.skip_speed:
        info = catalog_model(args.model)
        if info is None:
            return 2
        args.model = info.id
        model_desc = f"{info.id} ({info.name}, {info.params:,} parameters, {info.path})"
    versions = {}
    for name, module, pip_name in (
        ("patchmatch", "patchmatch", "PyPatchMatch"),
        ("resynth", "resynthesizer", "resynthesizer"),
    ):
        try:
            from importlib.metadata import version

            __import__(module)
            versions[name] = f"{pip_name} {version(pip_name)}"
        except ImportError:
            versions[name] = f"{pip_name} not installed"
            if name in args.methods:
                print(
                    f"error: pip install {pip_name} (or pass --methods without {name})",
                    file=sys.stderr,
                )
                return 2

    methods = make_methods(runtime, args.model, args.pm_patch, args.seed, args.refine)
    print("Inpainting quality benchmark (benchmarks/inpaint_quality.py)")
    print(f"  images : {len(paths)} from {args.val} ({args.set} set)")
    print(
        f"  size   : area-downscaled to longer side {args.size} px, 8-bit "
        "(downscaled so PatchMatch finishes; not the full source resolution)"
    )
    if args.set == "random":
        print(
            "  masks  : "
            + ", ".join(
                f"{mc.name} {mc.min_cover:.0%}-{mc.max_cover:.0%}"
                for mc in MASK_CLASSES
                if mc.name in args.classes
            )
            + f" hole area; random_mask, seed {args.seed}; same masks for every method"
        )
    else:
        print(f"  masks  : {', '.join(args.classes)} over the image's own joints (module doc)")
    print(f"  model  : {model_desc}")
    print(
        f"  device : {runtime.description}; PatchMatch: {versions['patchmatch']}, "
        f"patch radius {args.pm_patch}; {versions['resynth']} (defaults, not tiling); "
        f"OpenCV {cv2.__version__}, radius 3"
    )
    print(
        f"  SWD    : sliced Wasserstein-2, {PATCH}x{PATCH} sRGB patches, hole vs known region, "
        f"{N_PATCHES} patches/set, {N_PROJECTIONS} projections (lower is better); "
        f"LP-PSNR: PSNR after a Gaussian blur of sigma {LOWPASS_SIGMA_512:g} px at 512 px"
    )
    print(flush=True)

    if "texpaint" in args.methods:  # untimed warm-up: model load + sha256 check, FFT plans
        warm_u8 = load_u8(paths[0], args.size)
        methods["texpaint"](
            warm_u8, make_masks(paths[0].name, *warm_u8.shape[:2], args.seed)["medium"]
        )

    per_image: list[dict] = []
    sheet_rows: list[dict] = []
    t_start = time.perf_counter()
    for i, path in enumerate(paths):
        gt_u8 = load_u8(path, args.size)
        gt = gt_u8.astype(np.float32) / 255.0
        if args.set == "random":
            masks = make_masks(path.name, *gt.shape[:2], args.seed)
            sheet_classes = {AVG_CLASSES[i % 2]}
        else:
            masks = structure_masks(gt_u8)
            sheet_classes = set(STRUCTURE_CLASSES)
        for cname in args.classes:
            mask = masks[cname]
            hole = float(mask.mean())
            base = {"image": path.name, "class": cname, "hole_fraction": hole}
            gt_swd = safe_swd(gt, mask, args.seed)
            per_image.append(
                base
                | {"method": "ground truth", "swd": gt_swd}
                | {"psnr": math.nan, "lpsnr": math.nan, "ssim": math.nan, "seconds": math.nan}
            )
            results = {}
            for name in args.methods:
                t0 = time.perf_counter()
                key = f"{name}_{path.stem}_{cname}_{args.size}_{args.seed}_{args.pm_patch}"
                cached = args.cache / f"{key}.npz" if args.cache and name != "texpaint" else None
                if cached is not None and cached.exists():
                    with np.load(cached) as z:  # a peer's earlier output (no pickles)
                        out, secs = z["out"], float(z["seconds"])
                else:
                    out = methods[name](gt_u8, mask)
                    secs = time.perf_counter() - t0
                    if cached is not None:
                        cached.parent.mkdir(parents=True, exist_ok=True)
                        np.savez_compressed(cached, out=out, seconds=secs)
                results[name] = out
                per_image.append(
                    base | {"method": name, "seconds": secs} | score(out, gt, mask, args.seed)
                )
            structure = args.set == "structure"
            if args.sheet and cname in sheet_classes and (structure or len(sheet_rows) < 5):
                label = f"{path.stem[:28]} ({cname}, {hole:.0%})"
                row = {"label": label, "gt": gt_u8, "mask": mask, "results": results}
                if structure:
                    row["crop"] = hole_crop(mask, max(gt.shape[:2]) // 3)
                sheet_rows.append(row)
        print(
            f"  [{i + 1}/{len(paths)}] {path.name} done ({time.perf_counter() - t_start:.0f} s)",
            file=sys.stderr,
            flush=True,
        )

    agg = aggregate(per_image, args.methods, args.classes, avg)
    if args.per_hole:
        print(format_per_hole(per_image, args.methods))
        print()
    print(format_table(agg, args.methods, [*args.classes, avg[0]]))
    print()
    print("Targets:")
    targets = check_targets(agg, args.methods, args.classes, avg[0])
    for desc, ok, detail in targets:
        word = "SKIP" if ok is None else ("PASS" if ok else "FAIL")
        print(f"  {word}  {desc}  ({detail})")

    speed = None
    if not args.skip_speed:
        speed = speed_test(val_images(args.val, 1)[0], runtime, args.model, args.speed_size)
        print()
        print(
            f"Speed: texpaint {speed['width']}x{speed['height']} {speed['image']}, centred "
            f"square hole {speed['hole_fraction']:.0%}: {speed['seconds_median']:.2f} s "
            f"(median of 3 after a warm-up run; {speed['device']})"
        )

    if args.sheet and sheet_rows:
        contact_sheet(sheet_rows, args.sheet, args.methods)
        print(f"\nContact sheet: {args.sheet}")
    if args.json:
        doc = {
            "config": {
                "val": str(args.val),
                "set": args.set,
                "classes": list(args.classes),
                "images": [p.name for p in paths],
                "size": args.size,
                "seed": args.seed,
                "model": model_desc,
                "device": runtime.description,
                "pm_patch_radius": args.pm_patch,
                "peers": versions,
                "mask_classes": [asdict(mc) for mc in MASK_CLASSES],
                "swd": {"patch": PATCH, "patches": N_PATCHES, "projections": N_PROJECTIONS},
                "lowpass_sigma_512": LOWPASS_SIGMA_512,
            },
            "per_image": per_image,
            "summary": agg,
            "targets": [{"target": d, "passed": ok, "detail": x} for d, ok, x in targets],
            "speed": speed,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(_finite(doc), indent=1, allow_nan=False) + "\n", encoding="utf-8"
        )
        print(f"JSON: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
