"""Time importing a large community model file (issue: 200 MB import under 5 s plus hashing).

Builds a random-weight ESRGAN (spandrel's ``ESRGAN`` class, RRDB blocks; Wang et al.,
"ESRGAN: Enhanced Super-Resolution Generative Adversarial Networks", ECCV 2018 workshops) of
about ``--mb`` megabytes, saves it as ``.safetensors`` in a temporary folder and imports it
with :func:`texpaint.models.community.import_model` into a temporary models folder, printing
the seconds for the whole import, for hashing the file alone (sha256, the part that scales
with disk speed) and the difference::

    .venv/bin/python benchmarks/import_speed.py [--mb 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from safetensors.torch import save_file
from spandrel.architectures.ESRGAN import ESRGAN

from texpaint.models.community import import_model
from texpaint.training.export import sha256_file


def build_file(folder: Path, mb: float) -> Path:
    """A random-weight 4x ESRGAN whose float32 weights take about ``mb`` MB (23 RRDB blocks,
    filters scaled to the size), saved as ``folder/esrgan_big.safetensors``."""
    filters = max(8, round(64 * (mb / 31.7) ** 0.5))
    net = ESRGAN(num_filters=filters, num_blocks=23, scale=4)
    state = {k: v.contiguous() for k, v in net.state_dict().items()}
    path = folder / "esrgan_big.safetensors"
    save_file(state, str(path))
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mb", type=float, default=200.0, help="model size in MB (default 200)")
    p.add_argument("--repeat", type=int, default=3, help="imports to time (median)")
    args = p.parse_args(argv)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        src = build_file(Path(tmp), args.mb)
        size_mb = src.stat().st_size / 1e6
        totals, hashes = [], []
        for i in range(args.repeat):
            dest = Path(tmp) / f"models{i}"
            t0 = time.perf_counter()
            info = import_model(src, name=f"big{i}", data_dir=dest)
            totals.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            sha256_file(src)
            hashes.append(time.perf_counter() - t0)
        total, hashing = statistics.median(totals), statistics.median(hashes)
        print(
            f"file       : {size_mb:.1f} MB ESRGAN x{info.card.get('scale')} "
            f"({info.params:,} parameters), operation {info.operation}"
        )
        print(f"import     : {total:.2f} s (median of {args.repeat})")
        print(f"sha256 only: {hashing:.2f} s")
        print(
            f"import - hashing: {total - hashing:.2f} s  (target < 5 s)  "
            f"{'PASS' if total - hashing < 5 else 'FAIL'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
