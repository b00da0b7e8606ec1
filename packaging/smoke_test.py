"""Smoke test of a texpaint build: start it offscreen, open a sample, run one inpaint, exit 0.

The app does the work itself when ``TEXPAINT_SMOKE_TEST=1`` is set (see
``texpaint.ui.app._run_smoke_test``): it opens the image, masks a 64 x 64 square, inpaints it
through the inference worker thread with the first inpainting model it finds, checks that
pixels changed inside the mask only, and exits 0 (1 on any failure). This script sets up a
throw-away environment (offscreen Qt, temporary data/config folders so no user settings or
autosaves are touched), runs the app and checks its exit code and output.

Usage::

    python packaging/smoke_test.py                 # the frozen app in dist/texpaint/
    python packaging/smoke_test.py --app PATH      # a frozen executable elsewhere
    python packaging/smoke_test.py --source        # the source tree, with this Python

``--tiny-model`` makes a small random-weight inpainting model (needs torch and the texpaint
sources importable, so ``--source`` runs or a dev environment) and points
``TEXPAINT_MODEL_DIRS`` at it; it is used automatically with ``--source`` when no inpainting
model is bundled in ``resources/models``. A frozen build must bundle a model, or be given
``--model-dir``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _make_tiny_model(folder: Path) -> str:
    sys.path.insert(0, str(REPO))
    import torch

    from texpaint.models.arch.ffc_inpaint import FFCInpaintConfig, FFCInpaintGenerator
    from texpaint.training.export import export_model

    cfg = FFCInpaintConfig(base_channels=8, body_channels=16, n_blocks=1)
    torch.manual_seed(0)
    net = FFCInpaintGenerator(cfg).eval()
    card = {
        "id": "smoke-ffc-tiny",
        "name": "Smoke test FFC (untrained)",
        "operation": "inpaint",
        "architecture": "ffc_inpaint",
        "architecture_config": cfg.to_dict(),
    }
    export_model(net, folder / "smoke-ffc-tiny.safetensors", card)
    return card["id"]


def _cli_checks(cmd: list[str], env: dict[str, str], folder: Path) -> list[str]:
    """Run the command line of the app on the paths a frozen build most often gets wrong.

    Denoise a 16-bit TIFF into an OpenEXR file (tifffile, OpenEXR, the bundled denoiser) and
    import a tiny random-weight ESRGAN through spandrel, then 2x upscale with it (spandrel and
    torchvision's compiled ops). Returns what failed; empty when all passed. Needs numpy,
    tifffile, torch, safetensors and spandrel in the Python that runs this script.
    """
    import numpy as np
    import tifffile

    try:
        import torch
        from safetensors.torch import save_file
        from spandrel.architectures.ESRGAN import ESRGAN
    except (ImportError, OSError, RuntimeError) as e:  # torchvision ops not matching torch
        return [f"cannot make the test model with {sys.executable}: {type(e).__name__}: {e}"]

    rng = np.random.default_rng(0)
    tifffile.imwrite(folder / "in16.tif", (rng.random((48, 64, 3)) * 65535).astype(np.uint16))
    torch.manual_seed(0)
    net = ESRGAN(num_filters=8, num_blocks=1, scale=2)
    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, folder / "sr.safetensors")
    steps = [
        ("denoise", ["denoise", "in16.tif", "-o", "out.exr"], "out.exr"),
        ("models import", ["models", "import", "--name", "smoke-sr", "sr.safetensors"], None),
        ("upscale", ["upscale", "in16.tif", "-o", "up.png", "--model", "smoke-sr"], "up.png"),
    ]
    failed = []
    for name, args, output in steps:
        proc = subprocess.run(
            [*cmd, *args], env=env, cwd=folder, capture_output=True, text=True, timeout=300
        )
        text = (proc.stdout + proc.stderr).strip()
        print(f"smoke: texpaint {' '.join(args)}: exit {proc.returncode}: {text[-2000:]}")
        if proc.returncode != 0 or (output and not (folder / output).is_file()):
            failed.append(name)
    if "upscale" not in failed:
        from PIL import Image

        with Image.open(folder / "up.png") as im:
            if im.size != (128, 96):
                failed.append(f"upscale size {im.size}")
    return failed


def _bundled_inpaint_model() -> bool:
    sys.path.insert(0, str(REPO))
    from texpaint.models.catalog import list_models

    return any(m.builtin for m in list_models("inpaint"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--source", action="store_true", help="run the source tree")
    where.add_argument("--app", type=Path, help="frozen executable (default dist/texpaint/...)")
    ap.add_argument("--image", type=Path, help="image to open (default: first bundled sample)")
    ap.add_argument("--model-dir", type=Path, help="extra model folder (TEXPAINT_MODEL_DIRS)")
    ap.add_argument("--tiny-model", action="store_true", help="make a random tiny model")
    ap.add_argument("--timeout", type=float, default=600, help="seconds (default 600)")
    ap.add_argument(
        "--no-cli", action="store_true", help="skip the command-line checks (denoise, import)"
    )
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="texpaint-smoke-") as tmp:
        tmp_path = Path(tmp)
        env = dict(os.environ)
        env.update(
            QT_QPA_PLATFORM="offscreen",
            TEXPAINT_SMOKE_TEST="1",
            TEXPAINT_DATA_DIR=str(tmp_path / "data"),
            XDG_CONFIG_HOME=str(tmp_path / "config"),  # QSettings on Linux
            TORCH_NUM_THREADS=env.get("TORCH_NUM_THREADS", "2"),
        )
        model_dirs = [str(args.model_dir)] if args.model_dir else []
        if args.tiny_model or (args.source and not _bundled_inpaint_model()):
            (tmp_path / "models").mkdir()
            print(f"smoke: made tiny model {_make_tiny_model(tmp_path / 'models')}")
            model_dirs.append(str(tmp_path / "models"))
        if model_dirs:
            env["TEXPAINT_MODEL_DIRS"] = os.pathsep.join(model_dirs)

        if args.source:
            app = [sys.executable, "-m", "texpaint"]
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
        else:
            exe = args.app or REPO / "dist" / "texpaint" / (
                "texpaint.exe" if sys.platform == "win32" else "texpaint"
            )
            if not exe.exists():
                print(f"smoke: no frozen app at {exe} (build with packaging/build.sh)")
                return 2
            app = [str(exe)]
        cmd = [*app, "open"]
        if args.image:
            cmd.append(str(args.image.resolve()))
        print("smoke: running", " ".join(cmd))
        t0 = time.monotonic()
        try:
            proc = subprocess.run(
                cmd, env=env, cwd=tmp, capture_output=True, text=True, timeout=args.timeout
            )
        except subprocess.TimeoutExpired:
            print(f"smoke: FAILED, no exit after {args.timeout:.0f} s")
            return 1
        out = proc.stdout + proc.stderr
        print(out.strip())
        ok = proc.returncode == 0 and "smoke test: OK" in out
        gui_s = time.monotonic() - t0
        if ok and not args.no_cli:
            failed = _cli_checks(app, env, tmp_path)
            if failed:
                print(f"smoke: command line FAILED: {', '.join(failed)}")
                ok = False
        print(
            f"smoke: {'PASSED' if ok else 'FAILED'} (exit {proc.returncode}, "
            f"GUI inpaint {gui_s:.1f} s, total {time.monotonic() - t0:.1f} s)"
        )
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
