"""Ablation: a non-local second stage after texpaint's denoiser, with the CNN output as pilot.

Run from the repository root (see ``benchmarks/README.md``)::

    # held-out TRAIN images (never val): the 8 images the model card lists, 2 crops, seed 7
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/denoise_nonlocal.py \\
        --val runs/ft2/heldout --crops 2 --seed 7
    # cc0-1k/val, the crops and noise of denoise_quality.py (1 crop, seed 0)
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/denoise_nonlocal.py

Question (issue 21): texpaint's blind one-pass denoiser is +0.0 / +0.1 / +0.7 dB above
FFDNet-with-the-true-sigma at sigma 15 / 25 / 50 on ``cc0-1k/val`` (target +0.3 at each).
Textures are stationary and often periodic; does a second stage that exploits their
self-similarity, guided by the CNN's output (the *pilot*), add the missing dB at an
acceptable cost (one 1024² pass under 1.5 s in all; the CNN takes about 1.1 s of it)?

What it does
------------
* Crops, conditions (``gauss15``, ``gauss25``, ``gauss50``, ``clean``) and 8-bit noisy inputs
  exactly as ``benchmarks/denoise_quality.py`` (same ``crop_boxes`` and ``degrade``; with
  ``--crops 1 --seed 0`` on val they are that benchmark's inputs).
* ``pilot``: the shipped denoiser through :func:`texpaint.ops.runner.run_job` (blind, one
  pass), i.e. texpaint's figure in ``denoise_quality.py``.
* Every stage is blind: it gets the noise level the app estimates,
  ``estimate_noise_level_function(noisy).noise_map(noisy).mean()``.
* ``wiener`` (``--stages bm3d``): the second step of BM3D (Dabov, Foi, Katkovnik &
  Egiazarian, "Image Denoising by Sparse 3-D Transform-Domain Collaborative Filtering", IEEE
  TIP 2007) with the CNN output as its pilot: block matching on the pilot, collaborative
  empirical Wiener shrinkage of the noisy groups. From the PyPI ``bm3d`` package (benchmark
  extra; Mäkinen, Azzari & Foi 2020), ``stage_arg=pilot``, profile ``'np'``, in BM3D's
  opponent colour space, one channel at a time with the luminance channel's block matches
  (the package's colour call takes no pilot). ``wiener+pilot``: the mean of the two.
* ``offsets hH vpV`` (``--stages offsets``): non-local means restricted to the texture's
  dominant patch offsets (He & Sun, ECCV 2012, led by the autocorrelation lattice's vectors:
  :func:`texpaint.synthesis.offsets.dominant_offsets` on the pilot, the 12 first, both signs,
  each refined by +-1 px): for each offset ``v`` the 7 x 7 mean squared pilot difference
  ``d(x, v)`` (per channel) gives the weight ``exp(-d / (H sigma)^2)``; the weighted mean
  ``y`` of the noisy pixels ``x + v`` (the pixel itself excluded) has noise variance
  ``sigma^2 sum w^2 / (sum w)^2`` and is blended with the pilot per pixel as
  ``pilot + V / (V + var) (y - pilot)`` (``V``: the pilot's assumed error variance in units
  of ``sigma^2``). Whole-period shifts of a periodic texture are among these offsets.
* PSNR (dB, mean of per-crop values; 100 dB cap) per condition and variant, the gain over
  the pilot, and each stage's seconds per megapixel in this process (single-threaded when
  run with ``OMP_NUM_THREADS=1``; the pilot's time is the CNN's).

It prints a table and, with ``--json``, writes every per-crop figure.
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

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from benchmarks.bench_common import add_common_args, val_images  # noqa: E402
from benchmarks.denoise_quality import _psnr, noisy_crops  # noqa: E402
from texpaint.engine.device import Runtime  # noqa: E402
from texpaint.imaging.noise_estimation import estimate_noise_level_function  # noqa: E402
from texpaint.jobs import Job  # noqa: E402
from texpaint.ops.runner import run_job  # noqa: E402
from texpaint.synthesis.offsets import dominant_offsets  # noqa: E402

CONDS = ("gauss15", "gauss25", "gauss50", "clean")
OPP = np.array([[1 / 3, 1 / 3, 1 / 3], [0.5, 0.0, -0.5], [0.25, -0.5, 0.25]])
"""BM3D's opponent colour transform (rows: luminance and two chroma channels)."""
OFFSET_SETTINGS = ((0.1, 0.02), (0.25, 0.05), (0.5, 0.1))
"""``(H, V)`` pairs of the offsets stage: weight width and pilot error variance (above)."""
N_OFFSETS = 12


def bm3d_wiener(noisy: np.ndarray, pilot: np.ndarray, sigma: float) -> np.ndarray:
    """BM3D's collaborative Wiener step on ``noisy`` with ``pilot`` as the estimate it
    matches blocks on and takes its Wiener weights from.

    Args:
        noisy, pilot: float32 ``(H, W, 3)`` RGB in [0, 1].
        sigma: noise standard deviation in [0, 1] units (> 0).

    Returns:
        float32 ``(H, W, 3)`` clipped to [0, 1].
    """
    import bm3d

    zn = noisy.astype(np.float64) @ OPP.T
    zp = pilot.astype(np.float64) @ OPP.T
    psd = np.sqrt((OPP**2).sum(axis=1)) * sigma  # the noise sigma of each opponent channel
    y0, matches = bm3d.bm3d(zn[..., 0], psd[0], stage_arg=zp[..., 0], blockmatches=(False, True))
    chans = [np.squeeze(y0)]
    for c in (1, 2):
        y = bm3d.bm3d(zn[..., c], psd[c], stage_arg=zp[..., c], blockmatches=matches)
        chans.append(np.squeeze(y[0] if isinstance(y, tuple) else y))
    out = np.stack(chans, axis=-1) @ np.linalg.inv(OPP).T
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _shifted(a: np.ndarray, dy: int, dx: int) -> tuple[np.ndarray, np.ndarray]:
    """``a[y + dy, x + dx]`` (zero outside) and the bool mask of where it exists."""
    h, w = a.shape[:2]
    out = np.zeros_like(a)
    ok = np.zeros((h, w), bool)
    y0, y1, x0, x1 = max(0, -dy), min(h, h - dy), max(0, -dx), min(w, w - dx)
    if y0 < y1 and x0 < x1:
        out[y0:y1, x0:x1] = a[y0 + dy : y1 + dy, x0 + dx : x1 + dx]
        ok[y0:y1, x0:x1] = True
    return out, ok


def offsets_stage(
    noisy: np.ndarray, pilot: np.ndarray, sigma: float, settings=OFFSET_SETTINGS
) -> dict[str, np.ndarray]:
    """The offsets stage of the module doc for each ``(H, V)`` of ``settings``.

    Args:
        noisy, pilot: float32 ``(H, W, 3)`` in [0, 1].
        sigma: noise standard deviation in [0, 1] units.

    Returns:
        ``{"offsets hH vpV": float32 (H, W, 3)}``.
    """
    offs = dominant_offsets(pilot, np.ones(pilot.shape[:2], bool)).scaled(1.0)[:N_OFFSETS]
    shifts = set()
    for dy, dx in offs:
        for ry in (-1, 0, 1):
            for rx in (-1, 0, 1):
                shifts.add((int(dy + ry), int(dx + rx)))
                shifts.add((int(-dy - ry), int(-dx - rx)))
    parts = []
    for dy, dx in sorted(shifts):
        ps, ok = _shifted(pilot, dy, dx)
        ns, _ = _shifted(noisy, dy, dx)
        d = cv2.boxFilter(((pilot - ps) ** 2).sum(axis=2), -1, (7, 7)) / 3.0
        parts.append((d, ok, ns))
    outs = {}
    s = max(sigma, 1.0 / 255.0)
    for h_rel, vp in settings:
        wsum = np.full(pilot.shape[:2], 1e-6, np.float32)
        w2 = np.zeros_like(wsum)
        acc = np.zeros_like(noisy)
        for d, ok, ns in parts:
            wt = np.exp(-d / (h_rel * s) ** 2) * ok
            wsum += wt
            w2 += wt * wt
            acc += wt[..., None] * ns
        var = np.where(wsum > 1e-3, w2 / wsum**2, 1e6)
        gain = (vp / (vp + var))[..., None]
        outs[f"offsets h{h_rel} vp{vp}"] = pilot + gain * (acc / wsum[..., None] - pilot)
    return outs


def evaluate(args: argparse.Namespace, paths: list[Path]) -> list[dict]:
    """Per-crop rows ``{"file", "crop", "cond", "variant", "psnr", "seconds", "mp"}``."""
    runtime = Runtime("cpu")
    warm = np.full((64, 64, 3), 0.5, np.float32)  # load the model before anything is timed
    run_job(Job(op="denoise", image=warm, mask=np.zeros((64, 64), np.float32), model_id=args.model))
    rows = []
    for path, k, cond, clean, noisy, _ in noisy_crops(args, paths, CONDS):
        mp = clean.shape[0] * clean.shape[1] / 1e6
        base = {"file": path.name, "crop": k, "cond": cond, "mp": mp}

        def add(variant: str, out: np.ndarray, seconds: float, base=base, clean=clean) -> None:
            rows.append({**base, "variant": variant, "psnr": _psnr(out, clean), "seconds": seconds})

        t0 = time.perf_counter()
        job = Job(
            op="denoise",
            image=noisy,
            mask=np.zeros(noisy.shape[:2], np.float32),
            params={"passes": 1},
            model_id=args.model,
        )
        pilot = run_job(job, runtime=runtime).image
        add("pilot", pilot, time.perf_counter() - t0)
        sigma = float(estimate_noise_level_function(noisy).noise_map(noisy).mean()) / 255
        if "bm3d" in args.stages:
            t0 = time.perf_counter()
            wien = bm3d_wiener(noisy, pilot, sigma) if sigma > 0 else pilot
            add("wiener", wien, time.perf_counter() - t0)
            add("wiener+pilot", 0.5 * (wien + pilot), 0.0)
        if "offsets" in args.stages:
            t0 = time.perf_counter()
            outs = offsets_stage(noisy, pilot, sigma)
            dt = time.perf_counter() - t0
            for name, out in outs.items():
                add(name, out, dt)
        done = [r for r in rows if r["file"] == path.name and r["crop"] == k]
        line = " ".join(f"{r['psnr']:.2f}" for r in done if r["cond"] == cond)
        print(f"  {path.name} #{k} {cond:8s} {line}", file=sys.stderr, flush=True)
    return rows


def summarise(rows: list[dict]) -> str:
    """The table: PSNR per variant and condition, the gain over the pilot, seconds per MP."""
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    head = "| variant | " + " | ".join(CONDS) + " | s/MP |"
    lines = [head, "|" + "---|" * (len(CONDS) + 2)]
    pilot = {
        c: np.mean([r["psnr"] for r in rows if r["cond"] == c and r["variant"] == "pilot"])
        for c in CONDS
    }
    for v in variants:
        cells = []
        for c in CONDS:
            sel = [r["psnr"] for r in rows if r["cond"] == c and r["variant"] == v]
            m = float(np.mean(sel))
            cells.append(f"{m:.3f}" if v == "pilot" else f"{m:.3f} ({m - pilot[c]:+.3f})")
        sel = [r for r in rows if r["variant"] == v]
        s_mp = sum(r["seconds"] for r in sel) / sum(r["mp"] for r in sel)
        lines.append(f"| {v} | " + " | ".join(cells) + f" | {s_mp:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_args(p, "crop side", operation="denoise", size=256)
    p.add_argument("--crops", type=int, default=1, help="crops per image (default 1)")
    p.add_argument("--seed", type=int, default=0, help="crop positions and noise (default 0)")
    p.add_argument(
        "--stages", default="bm3d,offsets", help="comma-separated subset of bm3d,offsets"
    )
    args = p.parse_args(argv)
    args.stages = [s for s in args.stages.split(",") if s]
    paths = val_images(args.val, args.limit)
    if paths is None:
        return 2
    print("Non-local second stage after texpaint's denoiser (benchmarks/denoise_nonlocal.py)")
    print(f"  images : {len(paths)} from {args.val}; {args.crops} x {args.size}² crops, seed")
    print(f"           {args.seed}; blind noise estimate; load average {os.getloadavg()[0]:.1f}")
    rows = evaluate(args, paths)
    print(summarise(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
