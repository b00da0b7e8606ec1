"""Speed, peak memory and achieved GFLOP/s of every model operation at texture sizes.

Run from the repository root (see ``benchmarks/README.md``)::

    nice -n 5 .venv/bin/python benchmarks/speed.py --json benchmarks/out/speed.json  # full
    .venv/bin/python benchmarks/speed.py --sizes 512 --extra-denoise '' --repeats 1   # smoke
    .venv/bin/python benchmarks/speed.py --device cuda                                 # GPU

What it does
------------
* Operations, each through the real :func:`texpaint.ops.runner.run_job` on one
  :class:`~texpaint.engine.device.Runtime` (the worker's code path, tiles of
  ``Runtime.tile_size``):

  - ``inpaint``: ``--inpaint-mask strokes`` (default): seeded thick brush strokes scattered
    over 24-26 % of the area (:func:`texpaint.training.masks.random_mask`, seed 25, the same
    mask at every run); ``square``: a centred square hole of half the side (25 %);
  - ``denoise``: the whole image (empty mask), the built-in denoiser;
  - ``stylize``: the whole image at the default quality, Best (guided patch synthesis from
    the exemplar of the first installed style model's style; skipped when none);
  - ``stylize_fast``: the same with that style's generator (quality fast);
  - ``seamless``: Make Seamless with the default band width.

* Input: a bundled sample texture (``resources/samples``, mirror-tiled to the size),
  ``--sizes`` (default 512, 1024, 2048, 4096) plus ``--extra-denoise`` (default 8192) for
  denoise only.
* Every (operation, size) runs in a fresh subprocess, so peak memory figures do not mix:
  the model is loaded and the job built first, then one warm-up run (at the same size; at
  512 px on the CPU from ``--large-from`` px up, to save time), then ``--repeats`` timed
  runs (``--repeats-large`` from ``--large-from`` px up on the CPU); the median is printed.
* ``cpu s``: CPU seconds the subprocess used during a timed run (median): with one thread
  (``--threads 1``) close to what the run takes on an idle core, whatever else loads the
  machine; wall seconds on a shared machine include waiting for a core.
* Memory: CPU: peak RSS of the subprocess (``getrusage``) in MB and its rise over the RSS
  before the warm-up (model loaded, input image and job built); CUDA: peak
  ``torch.cuda.max_memory_allocated`` and its rise over the allocation before the runs.
* FLOPs: every network forward pass of one run is recorded (input shapes, seconds, by
  forward hooks) and each distinct shape is counted once with
  ``torch.utils.flop_counter.FlopCounterMode`` on the meta device (no compute): 2 FLOPs per
  multiply-add of convolutions and matmuls; element-wise ops (norms, activations) and FFTs
  (the Fourier convolutions of the inpainting network) are not counted, so the count is a
  lower bound; the FFT calls are listed. ``net s``: seconds inside the network's forward
  passes; ``GF/s``: counted GFLOP / ``net s``; ``%mm``: that as a share of an n = 2048
  matrix product measured on the same device (float32 on the CPU, float16 on CUDA) at the
  start: the practical ceiling, so the gap to the hardware limit is visible. ``GF/cpus``:
  counted GFLOP per CPU second of the whole job, to compare with the matmul's GFLOP per
  CPU second (printed in the header; on a loaded machine the wall figures are deflated).
* ``--device cuda``: the same on the GPU (the pipeline's float16 autocast path); timings
  synchronise the device.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from benchmarks.bench_common import (  # noqa: E402
    bundled_texture,
    count_flops,
    matmul_gflops,
    peak_rss_mb,
    rss_mb,
)

OPS = ("inpaint", "denoise", "stylize", "stylize_fast", "seamless")
WARMUP_SMALL_PX = 512


def _sizes(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def first_style_model() -> str | None:
    """Id of the first installed stylize model (by id), or None."""
    from texpaint.models.catalog import list_models

    models = sorted(m.id for m in list_models("stylize"))
    return models[0] if models else None


def make_job(op: str, size: int, style_model: str | None, inpaint_mask: str = "strokes"):
    """The benchmark :class:`Job` of ``op`` on a ``size``² bundled texture (``inpaint_mask``:
    ``strokes`` or ``square``, see the module doc)."""
    import numpy as np

    from texpaint.jobs import Job

    image = bundled_texture(size)
    mask = np.zeros((size, size), np.float32)
    if op == "inpaint" and inpaint_mask == "strokes":
        from texpaint.training.masks import random_mask

        mask = random_mask(np.random.default_rng(25), size, size, "thick_strokes", 0.24, 0.26)
    elif op == "inpaint":
        q = size // 4
        mask[q : size - q, q : size - q] = 1.0
    if op == "stylize_fast":  # the style's generator
        return Job(op="stylize", image=image, mask=mask, params={"quality": "fast"},
                   model_id=style_model)  # fmt: skip
    if op == "stylize":  # Best (the default): guided patch synthesis from the exemplar
        return Job(op=op, image=image, mask=mask, style_id=_style_of(style_model))
    return Job(op=op, image=image, mask=mask)


def _style_of(model_id: str | None) -> str | None:
    """The style whose generator is ``model_id`` (its exemplar is what Best copies)."""
    from texpaint.models.styles import list_styles

    return next((st.id for st in list_styles() if st.model_id == model_id), None)


class ForwardRecorder:
    """Forward hooks on a network: input shapes and seconds of each forward pass."""

    def __init__(self, net, cuda: bool) -> None:
        self.calls: list[tuple[tuple, float]] = []
        self._cuda = cuda
        self._t0 = 0.0
        self._args: tuple = ()
        self._handles = [
            net.register_forward_pre_hook(self._pre),
            net.register_forward_hook(self._post),
        ]

    def _sync(self) -> None:
        if self._cuda:
            import torch

            torch.cuda.synchronize()

    def _pre(self, module, args) -> None:
        self._sync()
        self._args = tuple(tuple(a.shape) if hasattr(a, "shape") else a for a in args)
        self._t0 = time.perf_counter()

    def _post(self, module, args, output) -> None:
        self._sync()
        self.calls.append((self._args, time.perf_counter() - self._t0))

    def remove(self) -> None:
        for h in self._handles:
            h.remove()


def run_case(op: str, size: int, args: argparse.Namespace) -> dict:
    """Measure one (operation, size) in this process; see the module doc."""
    import torch

    from texpaint.engine.device import Runtime
    from texpaint.models.catalog import get_model
    from texpaint.ops import get as get_operation
    from texpaint.ops.runner import run_job

    runtime = Runtime(args.device, tile_px=args.tile)
    if args.threads:
        torch.set_num_threads(args.threads)
    cuda = runtime.device.type == "cuda"
    style_model = first_style_model() if op.startswith("stylize") else None
    job = make_job(op, size, style_model, args.inpaint_mask)
    info = get_model(job.model_id, get_operation(job.op).model_kind)
    net = runtime.network(info)
    large = not cuda and size >= args.large_from
    warm = make_job(op, WARMUP_SMALL_PX, style_model, args.inpaint_mask) if large else job
    repeats = args.repeats_large if large else args.repeats
    base_rss = rss_mb()
    run_job(warm, runtime=runtime)
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base_alloc = torch.cuda.memory_allocated()
    seconds, net_seconds, cpu_seconds = [], [], []
    recorder = ForwardRecorder(net, cuda)
    shapes: list[tuple] = []
    for i in range(repeats):
        recorder.calls.clear()
        c0, t0 = time.process_time(), time.perf_counter()
        run_job(job, runtime=runtime)
        if cuda:
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - t0)
        cpu_seconds.append(time.process_time() - c0)
        net_seconds.append(sum(dt for _, dt in recorder.calls))
        if i == 0:
            shapes = [s for s, _ in recorder.calls]
    recorder.remove()
    counted: dict[tuple, tuple[int, int]] = {}
    flops = fft_calls = 0
    for s in shapes:
        if s not in counted:
            meta = tuple(torch.empty(x, device="meta") if isinstance(x, tuple) else x for x in s)
            counted[s] = count_flops(net, meta)
        flops += counted[s][0]
        fft_calls += counted[s][1]
    med = statistics.median(seconds)
    net_med = statistics.median(net_seconds)
    out = {
        "op": op,
        "size": size,
        "device": runtime.description,
        "model": info.id,
        "seconds": med,
        "runs": seconds,
        "cpu_seconds": statistics.median(cpu_seconds),
        "warmup_px": WARMUP_SMALL_PX if large else size,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": base_rss,
        "forward_passes": len(shapes),
        "gflop": flops / 1e9,
        "fft_calls_uncounted": fft_calls,
        "net_seconds": net_med,
        "net_gflops": flops / 1e9 / net_med if net_med > 0 else float("nan"),
        "job_gflops": flops / 1e9 / med if med > 0 else float("nan"),
    }
    if cuda:
        out["peak_alloc_mb"] = torch.cuda.max_memory_allocated() / 2**20
        out["alloc_before_mb"] = base_alloc / 2**20
    return out


def run_case_subprocess(op: str, size: int, args: argparse.Namespace) -> dict:
    """Run one case in a fresh interpreter (``--case``); returns its figures or an error."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--case", f"{op}:{size}"]
    cmd += ["--device", args.device, "--repeats", str(args.repeats)]
    cmd += ["--inpaint-mask", args.inpaint_mask]
    cmd += ["--repeats-large", str(args.repeats_large), "--large-from", str(args.large_from)]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    if args.tile:
        cmd += ["--tile", str(args.tile)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=args.case_timeout, cwd=REPO
        )
    except subprocess.TimeoutExpired:
        return {"op": op, "size": size, "error": f"timed out after {args.case_timeout} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"op": op, "size": size, "error": f"exit {proc.returncode}: {tail}"}
    result = json.loads(lines[-1])
    result["wall_with_load_s"] = time.perf_counter() - t0
    return result


def format_row(r: dict, roof: float) -> str:
    name = f"{r['op']:<9} {r['size']:>5}²"
    if "error" in r:
        return f"{name}  {r['error']}"
    mem = (
        f"{r['peak_alloc_mb']:>8.0f} {r['peak_alloc_mb'] - r['alloc_before_mb']:>+8.0f}"
        if "peak_alloc_mb" in r
        else f"{r['peak_rss_mb']:>8.0f} {r['peak_rss_mb'] - r['rss_before_mb']:>+8.0f}"
    )
    pct = 100.0 * r["net_gflops"] / roof if roof > 0 else float("nan")
    return (
        f"{name} {r['seconds']:>8.2f} {r['cpu_seconds']:>8.2f} {len(r['runs']):>2} {mem} "
        f"{r['forward_passes']:>4} "
        f"{r['gflop']:>9.1f} {r['fft_calls_uncounted']:>5} {r['net_seconds']:>7.2f} "
        f"{r['net_gflops']:>6.1f} {pct:>5.1f} {r['gflop'] / max(r['cpu_seconds'], 1e-9):>7.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ops", default=",".join(OPS), help="comma list of " + ", ".join(OPS))
    p.add_argument("--sizes", default="512,1024,2048,4096", help="comma list of sizes (px)")
    p.add_argument(
        "--extra-denoise", default="8192", help="more sizes for denoise only ('' for none)"
    )
    p.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto (default cpu)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: Runtime's)")
    p.add_argument("--tile", type=int, default=0, help="tile size px (0: Runtime's default)")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per case (default 3)")
    p.add_argument(
        "--repeats-large", type=int, default=1, help="timed runs from --large-from px (CPU)"
    )
    p.add_argument("--large-from", type=int, default=4096, help="see --repeats-large")
    p.add_argument("--case-timeout", type=int, default=3600, help="seconds per case")
    p.add_argument(
        "--inpaint-mask",
        choices=("strokes", "square"),
        default="strokes",
        help="inpaint hole: scattered strokes over 25 %% (default) or a centred square",
    )
    p.add_argument("--json", type=Path, default=None, help="write all figures to this file")
    p.add_argument("--case", default=None, help=argparse.SUPPRESS)  # OP:SIZE, child mode
    args = p.parse_args(argv)
    if args.tile == 0:
        args.tile = None

    if args.case:
        op, size = args.case.split(":")
        print(json.dumps(run_case(op, int(size), args)), flush=True)
        return 0

    ops = [o for o in args.ops.split(",") if o]
    unknown = set(ops) - set(OPS)
    if unknown:
        p.error(f"unknown ops: {', '.join(sorted(unknown))}")
    device = args.device
    if device == "auto":
        from texpaint.engine.device import resolve_device

        device = resolve_device("auto").type
        args.device = device
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    elif device == "cpu":
        from texpaint.engine.device import physical_cores

        torch.set_num_threads(physical_cores())
    roof = matmul_gflops("cuda" if device == "cuda" else "cpu")
    roof_cpu = matmul_gflops("cpu", clock=time.process_time) if device == "cpu" else 0.0
    load0 = os.getloadavg()
    print(
        f"device {device}; torch {torch.__version__}; {torch.get_num_threads()} CPU threads; "
        f"nice {os.nice(0)}; load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}"
    )
    print(
        f"matmul ceiling (n=2048, {'fp16' if device == 'cuda' else 'fp32'}): {roof:.1f} GFLOP/s"
        + (f" per wall second, {roof_cpu:.1f} per CPU second" if roof_cpu else "")
    )
    style = first_style_model() if any(op.startswith("stylize") for op in ops) else None
    if style is None and any(op.startswith("stylize") for op in ops):
        print("stylize: no style model installed, skipped")
        ops = [op for op in ops if not op.startswith("stylize")]
    header = (
        f"{'op':<9} {'size':>6} {'s':>8} {'cpu s':>8} {'n':>2} {'peak MB':>8} {'rise MB':>8} "
        f"{'fwd':>4} "
        f"{'GFLOP':>9} {'fft':>5} {'net s':>7} {'GF/s':>6} {'%mm':>5} {'GF/cpus':>7}"
    )
    print(header, flush=True)
    results = []
    loads = []
    for op in ops:
        sizes = _sizes(args.sizes) + (_sizes(args.extra_denoise) if op == "denoise" else [])
        for size in sizes:
            r = run_case_subprocess(op, size, args)
            r["load_after"] = os.getloadavg()[0]
            loads.append(r["load_after"])
            results.append(r)
            print(format_row(r, roof), flush=True)
    load1 = os.getloadavg()
    print(
        f"load average at the end {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}; "
        f"1-min load after each case: min {min(loads):.2f}, max {max(loads):.2f}"
    )
    print(
        "s: median wall seconds of run_job; peak MB / rise MB: peak RSS (CUDA: peak allocated)"
        " and its rise over the model + input; fwd: network passes per run; GFLOP: counted"
        " (conv/matmul only; fft: uncounted FFT calls); net s: seconds in forward passes;"
        " GF/s: GFLOP / net s; %mm: of the matmul ceiling; GF/cpus: GFLOP / cpu s (whole job)"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "device": device,
            "threads": torch.get_num_threads(),
            "nice": os.nice(0),
            "matmul_gflops": roof,
            "matmul_gflops_per_cpu_s": roof_cpu,
            "load_start": load0,
            "load_end": load1,
            "results": results,
        }
        args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
