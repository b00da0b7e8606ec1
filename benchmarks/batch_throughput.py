"""Batch export throughput: seconds per file and the share of time outside model inference.

Run from the repository root::

    .venv/bin/python benchmarks/batch_throughput.py                    # the full benchmark
    .venv/bin/python benchmarks/batch_throughput.py --files 3 --size 256  # smoke run

What it does
------------
* Inputs: ``--files`` textures (default 20) of ``--size``² px (default 1024), made from the
  bundled ``resources/samples`` by centre crops (area-resized to the size), the four
  rotations and mirroring, written as 8-bit PNGs to a temporary folder.
* Model op: **Denoise** when a denoise model is installed. There is none yet, so it runs
  **Inpaint** instead, with a fixed square mask covering 10 % of each image (the mask files
  sit beside the images as ``{stem}_mask.png``). When no inpaint model is installed either,
  a randomly initialised FFC generator of the default architecture is exported to a
  temporary model folder: the output is noise in the hole, but the compute per file is that
  of the real model. The script says which case ran.
* Outputs: Resize to two sizes (``--size`` / 2 and / 4) × two formats (PNG 16-bit, JPEG 90),
  i.e. 4 files per input, through :func:`texpaint.export.runner.run_batch` (the same code as
  ``texpaint batch`` and the Batch Export dialog).
* Printed: wall time, seconds per file, time inside ``run_job`` (model inference) and the
  share spent outside it (reading, resizing, encoding, writing), per file and overall.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from texpaint.export.plan import BatchPlan  # noqa: E402
from texpaint.export.runner import op_problems, run_batch  # noqa: E402
from texpaint.imaging.io import ImageData, read_image, write_image, write_mask  # noqa: E402


def make_textures(folder: Path, n: int, size: int) -> list[Path]:
    """Write ``n`` 8-bit PNG textures of ``size``² px made from the bundled samples."""
    samples = sorted((REPO / "resources" / "samples").glob("*.jpg"))
    if not samples:
        raise SystemExit("no samples in resources/samples")
    sources = [read_image(p).rgb for p in samples]
    out = []
    for i in range(n):
        rgb = sources[i % len(sources)]
        h, w = rgb.shape[:2]
        crop_frac = (1.0, 0.75, 0.5)[(i // len(sources)) % 3]
        ch, cw = int(h * crop_frac), int(w * crop_frac)
        y0, x0 = (h - ch) // 2, (w - cw) // 2
        tex = np.ascontiguousarray(rgb[y0 : y0 + ch, x0 : x0 + cw])
        interp = cv2.INTER_AREA if max(ch, cw) >= size else cv2.INTER_CUBIC
        tex = cv2.resize(tex, (size, size), interpolation=interp)
        tex = np.rot90(tex, k=i % 4)
        if (i // 4) % 2:
            tex = tex[:, ::-1]
        path = folder / f"tex{i:02d}.png"
        rgb_out = np.clip(np.ascontiguousarray(tex), 0, 1)
        write_image(path, ImageData(rgb=rgb_out, alpha=None, sample_format="uint8"))
        out.append(path)
    return out


def ensure_inpaint_model(tmp: Path) -> str:
    """Return a description of the inpaint model used; export a random one if none exists."""
    from texpaint.models.catalog import ModelLoadError, get_model

    try:
        info = get_model(None, "inpaint")
        return f"installed model {info.id!r}"
    except ModelLoadError:
        pass
    import torch

    from texpaint.models.arch.ffc_inpaint import FFCInpaintConfig, FFCInpaintGenerator
    from texpaint.training.export import export_model

    torch.manual_seed(0)
    cfg = FFCInpaintConfig()
    net = FFCInpaintGenerator(cfg).eval()
    folder = tmp / "models"
    folder.mkdir()
    card = {
        "id": "bench-random-ffc",
        "name": "random-weight FFC (benchmark only)",
        "operation": "inpaint",
        "architecture": "ffc_inpaint",
        "architecture_config": cfg.to_dict(),
    }
    export_model(net, folder / "bench-random-ffc.safetensors", card)
    os.environ["TEXPAINT_MODEL_DIRS"] = os.pathsep.join(
        [str(folder), *filter(None, os.environ.get("TEXPAINT_MODEL_DIRS", "").split(os.pathsep))]
    )
    return (
        "NO inpaint model is installed: a random-weight FFC of the default architecture "
        f"({sum(p.numel() for p in net.parameters()) / 1e6:.1f}M parameters) stands in; "
        "timings are real, the fills are not"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=20, help="number of textures (default 20)")
    ap.add_argument("--size", type=int, default=1024, help="texture side in px (default 1024)")
    ap.add_argument("--jobs", type=int, default=1, help="I/O threads (default 1)")
    ap.add_argument("--device", default="cpu", help="auto, cpu, cuda or mps (default cpu)")
    ap.add_argument(
        "--passes",
        type=int,
        choices=(1, 2, 4, 8),
        default=None,
        help="denoise self-ensemble passes (default: the app's, 8)",
    )
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="texpaint-batch-bench-") as tmp_name:
        tmp = Path(tmp_name)
        src = tmp / "in"
        src.mkdir()
        files = make_textures(src, args.files, args.size)
        sizes = [args.size // 2, args.size // 4]
        formats = ["png16", "jpg:90"]
        probe = BatchPlan(output_dir=tmp / "out", files=files, ops=["denoise"])
        if not op_problems(probe):
            ops = ["denoise", "resize"]
            model_note = "Denoise with the installed denoise model"
        else:
            side = round(args.size * np.sqrt(0.10))
            y0 = (args.size - side) // 2
            mask = np.zeros((args.size, args.size), np.float32)
            mask[y0 : y0 + side, y0 : y0 + side] = 1.0
            for f in files:
                write_mask(src / f"{f.stem}_mask.png", mask)
            ops = ["inpaint:{stem}_mask.png", "resize"]
            model_note = (
                f"no denoise model yet -> Inpaint instead, fixed {side}x{side} px square mask "
                f"(10.0 % of the area); {ensure_inpaint_model(tmp)}"
            )
        plan = BatchPlan(
            output_dir=tmp / "out",
            files=files,
            ops=ops,
            sizes=sizes,
            formats=formats,
            naming="{stem}_{size}.{ext}",
            passes=args.passes,
        )
        print(f"batch: {len(files)} textures {args.size}x{args.size}, ops {ops}, ")
        print(f"       sizes {sizes}, formats {formats}, jobs {args.jobs}, device {args.device}")
        print(f"       passes {args.passes or 'default'}")
        print(f"model: {model_note}")
        t0 = time.perf_counter()
        report = run_batch(plan, device=args.device, jobs=args.jobs)
        wall = time.perf_counter() - t0

    print(f"\n{'file':<12}{'status':<8}{'total s':>9}{'model s':>9}{'outside %':>11}")
    for r in report.results:
        outside = 100 * (1 - r.model_seconds / r.seconds) if r.seconds else 0.0
        print(
            f"{r.file.name:<12}{r.status:<8}{r.seconds:>9.2f}{r.model_seconds:>9.2f}"
            f"{outside:>10.1f}%"
        )
        if r.error:
            print(f"    error: {r.error}")
    done = [r for r in report.results if r.status == "ok"]
    total = sum(r.seconds for r in done)
    model = sum(r.model_seconds for r in done)
    print(f"\nsummary: {report.summary()}")
    print(f"wall time {wall:.1f} s for {len(report.results)} files")
    if done:
        print(f"seconds per file (wall / files): {wall / len(report.results):.2f}")
        print(
            f"mean per-file time: {total / len(done):.2f} s, "
            f"in model inference {model / len(done):.2f} s"
        )
        print(
            f"share outside model inference (read, resize, encode, write): "
            f"{100 * (1 - model / total):.1f} %"
        )
        first = done[0]
        print(
            f"(the first file includes loading the model: {first.model_seconds:.2f} s in the "
            "model for it)"
        )
    return 0 if report.all_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
