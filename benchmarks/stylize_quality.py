"""Stylize quality and speed: the shipped style generators against two baselines.

Run from the repository root (see ``benchmarks/README.md``)::

    nice .venv/bin/python benchmarks/stylize_quality.py                # the full benchmark
    .venv/bin/python benchmarks/stylize_quality.py --limit 2 --opt-steps 20   # smoke run

What it does
------------
* Content: the first ``--limit`` images (default 6) of ``cc0-1k/val`` (validation only, never
  trained on), sorted by name, area-downscaled so the longer side is ``--size`` px (default
  256) and quantised to 8 bits.
* Styles: every style of the library whose generator (``texpaint-style-<id>``) is installed.
  Its exemplar is scaled to the ``style_px`` its model card was trained with.
* Methods, each returning the whole stylised image:

  - ``texpaint``: :func:`texpaint.engine.pipeline.run_job` with a Stylize job (strength 1,
    empty mask = whole image) on ``Runtime("cpu")``, as the painter runs it: colour transfer
    to the exemplar's palette, the feed-forward generator (Johnson et al. 2016) trained on
    random-feature Gram statistics (Ustyuzhaninov et al. 2017), then the exemplar statistics
    transfer of its output (pyramid band energies, Heeger & Bergen 1995; colour covariance,
    Pitié & Kokaram 2007; ``texpaint.imaging.band_transfer``).
  - ``generator``: the same job with ``match_statistics`` off: what the generator itself
    adds (an ablation; no target).
  - ``reinhard``: colour transfer of Reinhard, Ashikhmin, Gooch & Shirley, "Color Transfer
    between Images" (IEEE CG&A 2001): per-channel mean and standard deviation of the content
    matched to the exemplar's in CIELAB (OpenCV's float Lab, in place of the paper's lαβ;
    ``texpaint.imaging.colour_transfer``, without the gain cap Stylize uses).
  - ``optimise``: per-image optimisation of the same objective the generators are trained on
    (style loss with the training features + ``w_content`` x content loss, Gatys et al. 2016
    style), Adam (lr 0.05) on the image's logits for ``--opt-steps`` steps (default 100),
    started from the content (colour-first generators: from the content colour-transferred
    to the exemplar, as in training), with the content weight from the style's model card;
    the first ``--opt-limit`` content images only (slow): a quality ceiling for a
    feed-forward network.

* Metrics (``texpaint.training.style_stats``), averaged over content images:

  - ``dist``: style distance to the exemplar: mean over the 5 feature layers of the relative
    Frobenius distance of Gram matrices, measured with an *independently seeded* random
    feature network (``METRIC_SEED``, not the one the generators were trained against);
    lower is better, 0 = the exemplar's statistics. The ``input`` column is the content itself.
  - ``struct``: content-structure score: SSIM of normalised luminance gradient magnitudes of
    the result and the content (1 = same edges).
  - ``s/MP``: wall-clock seconds per megapixel of one Stylize job on a ``--speed-size`` px
    square (default 1024) in this process (``Runtime("cpu")``: all usable cores), median of 3.

* Targets (PASS/FAIL lines; the script exits 0 either way): for every style, ``texpaint``'s
  distance at least 50 % below ``reinhard``'s with ``struct >= 0.6``; speed < 2 s/MP.
* ``--sheet``: contact sheet PNG (default ``benchmarks/out/stylize_contact_sheet.png``, git
  ignored): a header row of exemplars, then one row per content image (up to 4): the content
  and its ``texpaint`` result for every style.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_common import DEFAULT_VAL, REPO, area_downscale, val_images  # noqa: E402
from texpaint.engine.jobs import Job, Operation  # noqa: E402
from texpaint.engine.pipeline import Runtime, run_job  # noqa: E402
from texpaint.imaging.colour_transfer import lab_stats, reinhard_transfer  # noqa: E402
from texpaint.models.catalog import ModelLoadError, get_model  # noqa: E402
from texpaint.models.styles import StyleInfo, list_styles  # noqa: E402
from texpaint.training.data import load_rgb8  # noqa: E402
from texpaint.training.style_stats import structure_score, style_distance  # noqa: E402
from texpaint.training.style_trainer import StyleTrainConfig, load_exemplar  # noqa: E402


def reinhard(content: np.ndarray, exemplar: np.ndarray) -> np.ndarray:
    """Reinhard et al. 2001 colour transfer (CIELAB mean and std, no gain cap); float32 [0, 1]
    in/out. The same code colour-first generators run on (``imaging.colour_transfer``)."""
    return reinhard_transfer(content, lab_stats(exemplar), max_gain=None)


def optimise(
    content: np.ndarray, exemplar: np.ndarray, steps: int, w_content: float, colour_first: bool
) -> np.ndarray:
    """Per-image optimisation of style + ``w_content`` x content loss (training features),
    started from the content; colour-first (as the generator was trained): started from, and
    compared against, the content colour-transferred to the exemplar's palette."""
    import torch

    from texpaint.models.arch.random_features import RandomFeatureNet
    from texpaint.training.style_stats import (
        TRAIN_SEED,
        content_loss,
        gram_matrices,
        image_grams,
        style_loss,
    )

    net = RandomFeatureNet(TRAIN_SEED)
    target = image_grams(exemplar, net)
    start = reinhard_transfer(content, lab_stats(exemplar)) if colour_first else content
    x = torch.from_numpy(start.transpose(2, 0, 1).copy())[None]
    with torch.no_grad():
        c_feats = net(x)
    z = torch.logit(x.clamp(0.01, 0.99)).requires_grad_(True)
    opt = torch.optim.Adam([z], lr=0.05)
    for _ in range(steps):
        y = torch.sigmoid(z)
        feats = net(y)
        loss = style_loss(gram_matrices(feats), target) + w_content * content_loss(feats, c_feats)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return torch.sigmoid(z).detach()[0].numpy().transpose(1, 2, 0)


def stylize(
    runtime: Runtime, img: np.ndarray, style_id: str, match_statistics: bool = True
) -> np.ndarray:
    job = Job(
        Operation.STYLIZE,
        img,
        np.zeros(img.shape[:2], np.float32),
        style_id=style_id,
        params={"match_statistics": match_statistics},
    )
    return run_job(job, runtime=runtime).image


def speed_test(runtime: Runtime, style_id: str, side: int) -> float:
    """Median seconds per megapixel of a whole-image Stylize job on a ``side``² image."""
    rng = np.random.default_rng(0)
    img = cv2.resize(rng.random((64, 64, 3), dtype=np.float32), (side, side))
    stylize(runtime, img[:64, :64], style_id)  # load the model
    times = []
    for _ in range(3):
        t = time.perf_counter()
        stylize(runtime, img, style_id)
        times.append(time.perf_counter() - t)
    return statistics.median(times) / (side * side / 1e6)


def trained_styles() -> list[tuple[StyleInfo, dict]]:
    """Library styles with an installed generator, with that generator's model card."""
    out = []
    for st in list_styles():
        try:
            out.append((st, get_model(st.model_id, "stylize").card))
        except ModelLoadError:
            continue
    return out


def contact_sheet(contents, exemplars, results, names, path: Path, cell: int = 160) -> None:
    """Header row of exemplars, then per content: the content and one result per style."""
    from PIL import Image, ImageDraw

    def tile(rgb: np.ndarray) -> Image.Image:
        h, w = rgb.shape[:2]
        s = cell / max(h, w)
        small = cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), cv2.INTER_AREA)
        return Image.fromarray((np.clip(small, 0, 1) * 255 + 0.5).astype(np.uint8))

    pad, label_h = 4, 14
    cols, rows = len(names) + 1, len(contents) + 1
    sheet = Image.new(
        "RGB", (cols * (cell + pad) + pad, rows * (cell + pad + label_h) + pad), (32, 32, 32)
    )
    draw = ImageDraw.Draw(sheet)
    for c, name in enumerate(["content"] + names):
        x = pad + c * (cell + pad)
        draw.text((x, pad), name[:24], fill=(230, 230, 230))
        if c:
            sheet.paste(tile(exemplars[c - 1]), (x, pad + label_h))
    for r, content in enumerate(contents, start=1):
        y = pad + r * (cell + pad + label_h) + label_h
        sheet.paste(tile(content), (pad, y))
        for c in range(len(names)):
            sheet.paste(tile(results[r - 1][c]), (pad + (c + 1) * (cell + pad), y))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--val", type=Path, default=DEFAULT_VAL, help="content image folder")
    p.add_argument("--limit", type=int, default=6, help="content images (default 6)")
    p.add_argument("--size", type=int, default=256, help="content long side in px (default 256)")
    p.add_argument("--styles", nargs="*", help="only these style ids (default: all trained)")
    p.add_argument("--opt-steps", type=int, default=100, help="optimisation steps (default 100)")
    p.add_argument("--opt-limit", type=int, default=2, help="content images optimised per style")
    p.add_argument("--speed-size", type=int, default=1024, help="speed test side in px")
    p.add_argument(
        "--sheet",
        default=str(REPO / "benchmarks" / "out" / "stylize_contact_sheet.png"),
        help="contact sheet PNG ('' to skip)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch CPU threads (default: all usable cores, as the app uses)",
    )
    p.add_argument("--json", type=Path, default=None, help="write all figures to this JSON file")
    p.add_argument(
        "--write-cards",
        action="store_true",
        help="store each style's figures in its model card (metrics.benchmark_stylize_quality); "
        "only for the shipped generators, after a full run",
    )
    return p.parse_args(argv)


def write_card_metrics(rows: list[dict], argv: list[str] | None) -> None:
    """Store each row's figures in the model card of its style generator (the weights and
    their sha256 are untouched)."""
    import datetime as dt

    from texpaint.training.export import write_card

    command = "benchmarks/stylize_quality.py " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]) if a != "--write-cards"
    )
    for r in rows:
        info = get_model(f"texpaint-style-{r['style']}", "stylize")
        card = dict(info.card)
        fig = {
            m: {"style_distance": round(r[m]["dist"], 4), "structure": round(r[m]["struct"], 4)}
            for m in ("texpaint", "generator", "reinhard", "optimise")
            if r[m]["dist"] is not None
        }
        fig["distance_below_reinhard_percent"] = round(
            100 * (1 - r["texpaint"]["dist"] / r["reinhard"]["dist"]), 1
        )
        metrics = {
            k: v for k, v in card.get("metrics", {}).items() if not k.startswith("benchmark")
        }
        metrics["benchmark"] = (
            f"{command.strip()} (cc0-1k/val content; texpaint = Stylize as shipped, generator "
            "= without the exemplar statistics, optimise = the per-image optimisation ceiling on "
            "the first --opt-limit images; style distance: random-feature Gram distance "
            "with the independent metric seed, lower is better; structure: SSIM of luminance "
            f"gradients against the content, >= 0.6 wanted), measured {dt.date.today()}"
        )
        metrics["benchmark_stylize_quality"] = fig
        card["metrics"] = metrics
        write_card(info.path.with_suffix(".json"), card)
        print(f"  wrote figures into {info.path.with_suffix('.json').name}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    paths = val_images(args.val, args.limit)
    if paths is None:
        return 1
    styles = [
        (st, card) for st, card in trained_styles() if not args.styles or st.id in args.styles
    ]
    if not styles:
        print("error: no style generator installed (resources/models/texpaint-style-*)")
        return 1
    runtime = Runtime("cpu")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    default_w_content = StyleTrainConfig(exemplar=Path(), out_dir=Path(), style_id="").w_content
    contents = [load_rgb8(p).astype(np.float32) / 255.0 for p in paths]
    contents = [np.round(area_downscale(c, args.size) * 255) / 255 for c in contents]
    print(
        f"{len(contents)} content images from {args.val} at {args.size} px; "
        f"{len(styles)} styles; {runtime.description}"
    )
    rows, exemplars, sheet_results = [], [], [[] for _ in contents[:4]]
    for st, card in styles:
        training = card.get("training", {})
        style_px = int(training.get("style_px", 512))
        # the ceiling optimises the objective this style's generator was trained on
        w_content = float(training.get("losses", {}).get("content", default_w_content))
        colour_first = bool(training.get("colour_first", False))
        ex = load_exemplar(st.exemplar, style_px)
        exemplars.append(ex)
        figs = {
            m: {"dist": [], "struct": []}
            for m in ("input", "reinhard", "generator", "texpaint", "optimise")
        }
        t_opt = 0.0
        for i, c in enumerate(contents):
            out = {
                "input": c,
                "reinhard": reinhard(c, ex),
                "generator": stylize(runtime, c, st.id, match_statistics=False),
                "texpaint": stylize(runtime, c, st.id),
            }
            if i < args.opt_limit and args.opt_steps > 0:
                t = time.perf_counter()
                out["optimise"] = optimise(c, ex, args.opt_steps, w_content, colour_first)
                t_opt += time.perf_counter() - t
            for m, img in out.items():
                figs[m]["dist"].append(style_distance(img, ex))
                figs[m]["struct"].append(structure_score(img, c))
            if i < len(sheet_results):
                sheet_results[i].append(out["texpaint"])
        row = {"style": st.id, "steps": card.get("training", {}).get("steps")}
        for m, f in figs.items():
            row[m] = {k: float(np.mean(v)) if v else None for k, v in f.items()}
        row["optimise_s_per_img"] = t_opt / max(1, min(args.opt_limit, len(contents)))
        rows.append(row)
        print(f"  {st.id}: done", flush=True)
    speed = speed_test(runtime, styles[0][0].id, args.speed_size)

    def cell(r: dict, m: str) -> str:
        d, s = r[m]["dist"], r[m]["struct"]
        return "      -       " if d is None else f"{d:6.3f} / {s:5.3f}"

    head = (
        f"{'style':<24} {'steps':>5}  {'input dist':>10}  {'reinhard d/s':>14}  "
        f"{'generator d/s':>14}  {'texpaint d/s':>14}  {'optimise d/s':>14}  {'vs reinhard':>11}"
    )
    print("\nstyle distance (lower = closer to the exemplar) / structure score (>= 0.6 wanted)")
    print(head)
    print("-" * len(head))
    checks = []
    for r in rows:
        red = 1 - r["texpaint"]["dist"] / r["reinhard"]["dist"]
        print(
            f"{r['style']:<24} {r['steps']!s:>5}  {r['input']['dist']:10.3f}  "
            f"{cell(r, 'reinhard')}  {cell(r, 'generator')}  {cell(r, 'texpaint')}  "
            f"{cell(r, 'optimise')}  "
            f"{red * 100:10.0f}%"
        )
        ok = red >= 0.5 and r["texpaint"]["struct"] >= 0.6
        checks.append(
            (
                f"{r['style']}: distance {red * 100:.0f}% below Reinhard (>= 50%), "
                f"structure {r['texpaint']['struct']:.3f} (>= 0.6)",
                ok,
            )
        )
    checks.append((f"feed-forward speed {speed:.2f} s/MP (< 2 s/MP)", speed < 2.0))
    opt_t = np.mean([r["optimise_s_per_img"] for r in rows])
    print(
        f"\nspeed: texpaint {speed:.2f} s/MP ({args.speed_size} px, {runtime.description}); "
        f"optimise {opt_t:.1f} s per {args.size} px image ({args.opt_steps} steps)"
    )
    print("\nTargets")
    for text, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    if args.sheet:
        sheet = Path(args.sheet)
        contact_sheet(contents[:4], exemplars, sheet_results, [r["style"] for r in rows], sheet)
        print(f"\nContact sheet: {sheet}")
    if args.json:
        args.json.write_text(
            json.dumps({"rows": rows, "s_per_mp": speed, "checks": checks}, indent=2) + "\n"
        )
    if args.write_cards:
        write_card_metrics(rows, argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
