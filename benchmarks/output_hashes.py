"""Print a sha256 of the pixels every CLI operation writes for a fixed set of inputs.

Used to show that a restructuring leaves results bit-identical: run it before and after the
change on the same machine and compare the two listings (``diff``). The inputs are 192 x 192
crops of the bundled samples, a fixed rectangle-and-stroke mask, and each command of the
``texpaint`` CLI (inpaint, seamless with ``--force``, denoise 1 pass,
stylize, a batch of inpaint + resize into two formats). Hashes cover the decoded pixel arrays
(``texpaint.imaging.io.read_image``: float32 RGB, alpha, sample format), not the file bytes,
so encoder metadata such as timestamps does not matter.

Usage::

    .venv/bin/python benchmarks/output_hashes.py [--out runs/hashes.txt]

Prints one line per output: ``<command>/<file> <sha256 of pixels>``; exits 1 if a command
failed (its stderr is printed).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from texpaint.imaging.io import ImageData, read_image, write_image  # noqa: E402

SAMPLES = REPO / "resources" / "samples"
CROP = 192


def _pixels_sha256(path: Path) -> str:
    data = read_image(path)
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(data.rgb, dtype=np.float32).tobytes())
    if data.alpha is not None:
        h.update(np.ascontiguousarray(data.alpha, dtype=np.float32).tobytes())
    h.update(data.sample_format.encode())
    return h.hexdigest()


def _make_inputs(folder: Path) -> list[Path]:
    """Write 192 x 192 crops of the samples (PNG, 8-bit) and one mask; return the images."""
    images = []
    for src in sorted(SAMPLES.glob("*.jpg")):
        data = read_image(src)
        rgb = data.rgb[100 : 100 + CROP, 140 : 140 + CROP].copy()
        out = folder / f"{src.stem}.png"
        write_image(out, ImageData(rgb=rgb, alpha=None, sample_format="uint8", colorspace="srgb"))
        images.append(out)
    mask = np.zeros((CROP, CROP), np.float32)
    mask[60:110, 50:120] = 1.0
    yy, xx = np.mgrid[0:CROP, 0:CROP]
    mask[np.abs(yy - 0.6 * xx - 20) < 4] = 1.0
    for img in images:
        write_image(
            folder / f"{img.stem}_mask.png",
            ImageData(
                rgb=np.repeat(mask[:, :, None], 3, axis=2),
                alpha=None,
                sample_format="uint8",
                colorspace="srgb",
            ),
        )
    return images


def _run(args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "texpaint", *args], capture_output=True, text=True, cwd=REPO
    )
    if proc.returncode != 0:
        print(f"FAILED: texpaint {' '.join(args)}\n{proc.stderr}", file=sys.stderr)
        raise SystemExit(1)


def main() -> int:
    """Run every command on the fixed inputs and print the pixel hashes; 0 on success."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="also write the listing to this file")
    args = parser.parse_args()
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        ins = work / "in"
        ins.mkdir()
        images = _make_inputs(ins)
        outs = work / "out"
        outs.mkdir()
        for img in images:
            mask = ins / f"{img.stem}_mask.png"
            s = img.stem
            _run(["inpaint", str(img), "--mask", str(mask), "-o", str(outs / f"inp_{s}.png")])
            _run(["seamless", str(img), "-o", str(outs / f"seam_{s}.png"), "--force"])
            _run(["denoise", str(img), "-o", str(outs / f"den_{s}.png"), "--passes", "1"])
            _run(["stylize", str(img), "--style", "great_wave", "-o", str(outs / f"sty_{s}.png")])
        batch_out = outs / "batch"
        _run(
            [
                "batch",
                str(ins / f"{images[0].stem}.png"),
                "-o",
                str(batch_out),
                "--op",
                "inpaint",
                "--size",
                "96",
                "--format",
                "png16",
                "--format",
                "jpg:90",
            ]
        )
        for path in sorted(p for p in outs.rglob("*") if p.is_file()):
            lines.append(f"{path.relative_to(outs)} {_pixels_sha256(path)}")
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
