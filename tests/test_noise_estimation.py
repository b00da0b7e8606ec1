"""Blind noise estimation and the FFDNet denoiser fed with its map: real texture pixels from
``../shared/data/textures/cc0-1k/train`` and ``ambientcg-128`` (never ``val``) with known
synthetic noise; the pipeline's ``sigma`` param, the CLI's ``--sigma`` and the FFDNet fine-tune."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.nn import functional as F

from texpaint.cli import main
from texpaint.imaging.io import read_image
from texpaint.imaging.metrics import psnr
from texpaint.imaging.noise_estimation import (
    NoiseLevelFunction,
    estimate_noise_level_function,
    estimate_sigma,
)
from texpaint.jobs import Job, JobError
from texpaint.models.arch.ffdnet import FFDNet
from texpaint.models.catalog import get_model, load_network
from texpaint.ops.runner import run_job
from texpaint.training.degradations import (
    DegradationSampler,
    add_gaussian_noise,
    add_poisson_gaussian_noise,
    mosaic_demosaic_noise,
    noise_map_for,
    quantise_8bit,
)

pytestmark = pytest.mark.unit

TEXTURES = Path(__file__).resolve().parents[2] / "shared" / "data" / "textures"
TRAIN = (
    "cc0-1k/train/ambientcg__Facade005_facade_albedo.jpg",
    "cc0-1k/train/ambientcg__Metal053C_rustymetal_albedo.jpg",
    "cc0-1k/train/nobiax__139_diffuse.png",
    "cc0-1k/train/nobiax__146_diffuse.png",
    "ambientcg-128/Concrete_017.png",
    "ambientcg-128/PavingStones_132.png",
)


def _texture(rel: str, size: int = 256) -> np.ndarray:
    path = TEXTURES / rel
    if not path.is_file():
        pytest.skip(f"{path} not available")
    rgb = np.round(np.clip(read_image(path).rgb, 0, 1) * 255) / 255
    return np.ascontiguousarray(rgb[:size, :size], np.float32)


@pytest.fixture(scope="module")
def textures() -> list[np.ndarray]:
    return [_texture(rel) for rel in TRAIN]


@pytest.fixture(scope="module", params=["texpaint-denoise-ffdnet", "texpaint-denoise"])
def ffdnet(request) -> FFDNet:
    """The published FFDNet weights and the shipped default (their fine-tune on textures)."""
    info = get_model(request.param, "denoise")
    net = load_network(info)
    assert isinstance(net, FFDNet)
    return net


# --- estimation ---------------------------------------------------------------------------


@pytest.mark.parametrize("sigma", [5.0, 15.0, 25.0])
def test_gaussian_sigma_is_found_on_textures(textures, sigma):
    """8-bit noisy textures (clipped, rounded): the blind estimate is within 8 % (or 0.6)."""
    for i, clean in enumerate(textures):
        noisy = quantise_8bit(add_gaussian_noise(clean, sigma, np.random.default_rng(i)))
        got = estimate_sigma(noisy)
        assert abs(got - sigma) < max(0.08 * sigma, 0.6), (TRAIN[i], sigma, got)


def test_heavy_noise_is_found_within_clipping_losses(textures):
    """Sigma 50 is clipped at black and white, which removes real variance: within 12 %."""
    for i, clean in enumerate(textures):
        noisy = quantise_8bit(add_gaussian_noise(clean, 50.0, np.random.default_rng(i)))
        got = estimate_sigma(noisy)
        assert 44.0 < got < 52.0, (TRAIN[i], got)


def test_clean_textures_read_as_nearly_noise_free(textures):
    got = [estimate_sigma(c) for c in textures]
    assert np.median(got) < 1.5 and max(got) < 4.0, got


def test_grey_image_held_as_equal_channels_is_estimated(textures):
    """A grey map (height, roughness) or greyscale photo read as R = G = B: the noise is
    found as in one channel (the 3-channel patch covariance has rank 1/3)."""
    rng = np.random.default_rng(3)
    grey = textures[2].mean(axis=2)
    noisy = np.clip(grey + rng.normal(0, 20 / 255, grey.shape), 0, 1).astype(np.float32)
    stacked = np.repeat(noisy[..., None], 3, axis=2)
    one = estimate_sigma(noisy)
    assert one == pytest.approx(20, rel=0.15)
    assert estimate_sigma(stacked) == pytest.approx(one)
    assert estimate_noise_level_function(stacked).global_sigma == pytest.approx(one, rel=0.05)


def test_estimate_is_deterministic_and_checks_its_input(textures):
    noisy = add_gaussian_noise(textures[0], 20.0, np.random.default_rng(0))
    assert estimate_sigma(noisy) == estimate_sigma(noisy)
    with pytest.raises(ValueError, match="smaller"):
        estimate_sigma(np.zeros((5, 40, 3), np.float32))
    bad = noisy.copy()
    bad[3, 3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        estimate_sigma(bad)


def test_noise_level_function_follows_signal_dependent_noise():
    """Poisson-Gaussian noise (variance a x + b) on a facade texture with dark and bright
    parts: the NLF is signal-dependent, within 25 % of the truth at 0.3 and 0.7, and its map
    follows the true per-pixel noise level (within 15 % on average, correlation > 0.9)."""
    clean = _texture(TRAIN[0], 384)
    a, b = 0.01, (5 / 255) ** 2
    noisy = quantise_8bit(add_poisson_gaussian_noise(clean, a, b, np.random.default_rng(3)))
    nlf = estimate_noise_level_function(noisy)
    assert nlf.signal_dependent, nlf
    for x in (0.3, 0.7):
        truth = np.sqrt(a * x + b) * 255
        assert abs(float(nlf.sigma_at(x)) - truth) < 0.25 * truth, (x, nlf)
    nmap = nlf.noise_map(noisy)
    assert nmap.shape == clean.shape[:2] and nmap.dtype == np.float32
    truth = noise_map_for(clean, {"a": a, "b": b})
    assert np.mean(np.abs(nmap - truth) / truth) < 0.15
    assert np.corrcoef(nmap.ravel(), truth.ravel())[0, 1] > 0.9
    assert "grows with brightness" in nlf.describe()


def test_gaussian_noise_gives_a_flat_noise_level_function(textures):
    flat = 0
    for i, clean in enumerate(textures[:4]):
        noisy = quantise_8bit(add_gaussian_noise(clean, 20.0, np.random.default_rng(10 + i)))
        nlf = estimate_noise_level_function(noisy)
        flat += not nlf.signal_dependent
        assert np.allclose(nlf.noise_map(noisy)[::31, ::31], nlf.noise_map(noisy)[0, 0], rtol=0.5)
    assert flat >= 3


# --- FFDNet and the map ---------------------------------------------------------------------


def test_published_ffdnet_denoises_with_the_true_sigma(textures, ffdnet):
    """Converted weights on 8-bit textures with sigma 25: a large gain (FFDNet's level on
    textures: about 30.8 dB on cc0-1k/val crops, ``benchmarks/denoise_quality.py``)."""
    gains = []
    for i, clean in enumerate(textures[:4]):
        noisy = quantise_8bit(add_gaussian_noise(clean, 25.0, np.random.default_rng(i)))
        x = torch.from_numpy(noisy.transpose(2, 0, 1).copy())[None]
        with torch.no_grad():
            out = ffdnet.denoise(x, 25 / 255)[0].numpy().transpose(1, 2, 0)
        gains.append(psnr(out, clean) - psnr(noisy, clean))
    assert min(gains) > 6.0, gains


def test_the_noise_map_is_followed_per_pixel(textures, ffdnet):
    """Left half clean, right half noisy; a map of 0 on the left and 25 on the right leaves the
    left nearly unchanged and cleans the right as well as a uniform 25 does there."""
    clean = textures[0]
    noisy = clean.copy()
    noisy[:, 128:] = quantise_8bit(
        add_gaussian_noise(clean[:, 128:], 25.0, np.random.default_rng(1))
    )
    x = torch.from_numpy(noisy.transpose(2, 0, 1).copy())[None]
    smap = torch.zeros(1, 1, 256, 256)
    smap[..., 128:] = 25 / 255
    with torch.no_grad():
        out = ffdnet.denoise(x, smap)[0].numpy().transpose(1, 2, 0)
        uni = ffdnet.denoise(x, 25 / 255)[0].numpy().transpose(1, 2, 0)
    left, right = np.s_[:, :100], np.s_[:, 156:]
    assert psnr(out[left], clean[left]) > 40.0
    assert psnr(uni[left], clean[left]) < psnr(out[left], clean[left]) - 5.0
    assert abs(psnr(out[right], clean[right]) - psnr(uni[right], clean[right])) < 0.3


@pytest.fixture
def force_bf16(monkeypatch):
    """The bfloat16 inference path, also on CPUs without native bfloat16 (slower there)."""
    from texpaint.models.arch import ffdnet as ffdnet_module

    monkeypatch.setattr(ffdnet_module, "cpu_bf16_is_faster", lambda: True)


def _run(net: FFDNet, noisy: np.ndarray, sigma: float) -> np.ndarray:
    x = torch.from_numpy(noisy.transpose(2, 0, 1).copy())[None]
    with torch.inference_mode():
        return net.denoise(x, sigma / 255)[0].numpy().transpose(1, 2, 0)


def test_bfloat16_inference_keeps_the_quality_of_float32(textures, ffdnet, force_bf16):
    """The hidden layers in bfloat16 (the CPU inference path, 4x faster with AMX) run only for
    weights that are exact bfloat16 values: the published weights stay float32 (identical
    output); rounded to bfloat16 (as the shipped fine-tune is) they lose under 0.05 dB at
    sigma 15 and 50 against their own float32 run and a clean input comes back above 42 dB."""
    import copy

    clean = textures[0]
    noisy = quantise_8bit(add_gaussian_noise(clean, 15.0, np.random.default_rng(0)))
    ffdnet.cpu_bf16 = True
    first = _run(ffdnet, noisy, 15.0)
    ffdnet.cpu_bf16 = False
    exact_first = _run(ffdnet, noisy, 15.0)
    ffdnet.cpu_bf16 = True
    if ffdnet.hidden_convs()[0].weight.dtype == torch.float32 and not torch.equal(
        ffdnet.hidden_convs()[0].weight, ffdnet.hidden_convs()[0].weight.bfloat16().float()
    ):
        assert np.array_equal(first, exact_first), "bfloat16 ran on weights not made for it"
    net = copy.deepcopy(ffdnet)
    net.round_hidden_to_bf16()
    for i, clean in enumerate(textures[:3]):
        for sigma in (15.0, 50.0, 0.0):
            noisy = quantise_8bit(add_gaussian_noise(clean, sigma, np.random.default_rng(i)))
            net.cpu_bf16 = True
            fast = _run(net, noisy, sigma)
            net.cpu_bf16 = False
            exact = _run(net, noisy, sigma)
            assert not np.array_equal(fast, exact), "the bfloat16 path did not run"
            if sigma:
                assert abs(psnr(fast, clean) - psnr(exact, clean)) < 0.05, (i, sigma)
            else:
                assert psnr(fast, clean) > 42.0, i


def test_training_and_autograd_stay_float32(textures, force_bf16):
    """bfloat16 is for inference only: in train mode or with autograd the network runs its
    float32 layers (gradients flow); the bfloat16 copies follow new weights, and weights that
    stop being bfloat16 values send inference back to float32."""
    net = FFDNet().eval()
    net.round_hidden_to_bf16()
    x = torch.from_numpy(textures[0][:64, :64].transpose(2, 0, 1).copy())[None]

    def reference() -> torch.Tensor:
        with torch.no_grad():
            y = torch.cat((F.pixel_unshuffle(x, 2), torch.full((1, 1, 32, 32), 0.1)), 1)
            return F.pixel_shuffle(net.body(y), 2).clamp(0, 1)

    ref = reference()
    out = net.denoise(x, 0.1)  # autograd on
    assert out.requires_grad and torch.equal(out.detach(), ref)
    with torch.inference_mode():
        first = net.denoise(x, 0.1)
    assert not torch.equal(first, ref) and (first - ref).abs().max() < 0.02
    with torch.no_grad():
        for p in net.parameters():
            p.mul_(0.5)  # still bfloat16 values
    ref = reference()
    with torch.inference_mode():
        second = net.denoise(x, 0.1)
    assert not torch.equal(second, ref) and (second - ref).abs().max() < 0.02
    with torch.no_grad():
        net.hidden_convs()[0].weight.add_(1e-4)  # no longer bfloat16 values
    ref = reference()
    with torch.inference_mode():
        assert torch.equal(net.denoise(x, 0.1), ref)


def test_pipeline_sigma_param_auto_number_and_errors(textures, runtime):
    clean = textures[1]
    noisy = quantise_8bit(add_gaussian_noise(clean, 15.0, np.random.default_rng(2)))
    mask = np.zeros(clean.shape[:2], np.float32)

    def run(img, **params):
        job = Job(op="denoise", image=img, mask=mask, params={"passes": 1, **params})
        return run_job(job, runtime=runtime).image

    auto = run(noisy)
    given = run(noisy, sigma=15.0)
    assert psnr(auto, clean) > psnr(noisy, clean) + 5.0
    assert abs(psnr(auto, clean) - psnr(given, clean)) < 0.5, "auto is as good as the truth"
    assert psnr(run(clean, sigma=0), clean) > 40.0, "sigma 0 leaves clean input alone"
    for bad in (-1, 300, "loud", True):
        with pytest.raises(JobError, match="sigma"):
            run(noisy, sigma=bad)


def test_cli_sigma_option(tmp_path, textures, capsys):
    src, out = tmp_path / "in.png", tmp_path / "out.png"
    clean = textures[2][:96, :96]
    noisy = quantise_8bit(add_gaussian_noise(clean, 20.0, np.random.default_rng(4)))
    Image.fromarray(np.round(noisy * 255).astype(np.uint8)).save(src)
    assert main(["denoise", str(src), "-o", str(out), "--passes", "1"]) == 0
    assert "(estimated, 8-bit units)" in capsys.readouterr().out
    assert main(["denoise", str(src), "-o", str(out), "--sigma", "20", "--passes", "1"]) == 0
    assert "noise sigma 20 (given" in capsys.readouterr().out
    got = np.asarray(Image.open(out).convert("RGB")).astype(np.float32) / 255
    assert psnr(got, clean) > psnr(noisy, clean) + 4.0
    assert main(["denoise", str(src), "-o", str(out), "--sigma", "loud"]) != 0
    assert "expected 'auto' or a number" in capsys.readouterr().err


# --- training data and the fine-tune -----------------------------------------------------


def test_demosaic_and_noise_maps_of_degradations(textures):
    clean = textures[0][:64, :64]
    out = mosaic_demosaic_noise(clean, 0.0, 0.0, np.random.default_rng(0))
    assert out.shape == clean.shape and 22.0 < psnr(out, clean) < 45.0, "bilinear artefacts"
    noisy = mosaic_demosaic_noise(clean, 0.01, 1e-4, np.random.default_rng(0))
    assert psnr(noisy, clean) < psnr(out, clean) - 3.0
    with pytest.raises(ValueError, match="even"):
        mosaic_demosaic_noise(clean[:63], 0.0, 0.0, np.random.default_rng(0))
    assert np.all(noise_map_for(clean, {"kind": "gaussian", "sigma": 12.0}) == 12.0)
    pg = noise_map_for(clean, {"kind": "poisson_gaussian", "a": 0.01, "b": 0.0})
    assert np.corrcoef(pg.ravel(), clean.mean(axis=2).ravel())[0, 1] > 0.6  # smoothed grey
    assert not noise_map_for(clean, {"kind": "jpeg", "quality": 30}).any()
    sampler = DegradationSampler(seed=0)
    assert sampler.config.weights[-2:] == (0.0, 0.0), "NAFNet's mixture is unchanged"


def test_finetune_from_the_published_weights_and_resume(tmp_path, capsys):
    """``texpaint train denoise --init`` on a train texture: 2 steps, the card says FFDNet and
    where it started; a resume continues; the export denoises through the catalog."""
    data = tmp_path / "tex"
    data.mkdir()
    Image.fromarray(np.round(_texture(TRAIN[4], 128) * 255).astype(np.uint8)).save(data / "a.png")
    init = get_model("texpaint-denoise", "denoise").path
    out = tmp_path / "run"
    args = ["train", "denoise", "--data", str(data), "--out", str(out), "--steps", "2"]
    args += ["--batch", "2", "--size", "32", "--device", "cpu", "--init", str(init)]
    assert main(args) == 0, capsys.readouterr().err
    card = json.loads((out / "texpaint-denoise.json").read_text())
    assert card["architecture"] == "ffdnet" and card["training"]["steps"] == 2
    assert card["training"]["init"] == str(init)
    assert card["training"]["losses"] == {"psnr": 1.0, "hinge_adv": 0.0}
    assert card["training"]["estimated_map_prob"] == 0.5
    args[args.index("--steps") + 1] = "3"
    assert main([*args, "--resume"]) == 0
    assert json.loads((out / "texpaint-denoise.json").read_text())["training"]["steps"] == 3
    assert main([*args[:-1], str(tmp_path / "missing.safetensors")]) == 1
    assert "not found" in capsys.readouterr().err
    bf16 = [*args, "--bf16-hidden"]
    bf16[bf16.index("--out") + 1] = str(tmp_path / "bf16")
    assert main(bf16) == 0, capsys.readouterr().err
    card = json.loads((tmp_path / "bf16" / "texpaint-denoise.json").read_text())
    assert card["training"]["bf16_hidden"] is True


def test_finetune_without_gan_and_with_estimated_maps(tmp_path, textures):
    """``w_adv = 0``: the discriminator is never stepped; ``estimated_map_prob``: the maps
    come from the same blind estimate the app computes; the generator moves off its init."""
    from safetensors.torch import load_file

    from texpaint.engine.pipeline import noise_level_map
    from texpaint.training.denoise_trainer import (
        DenoiseTrainConfig,
        estimated_map,
        run_training,
    )

    noisy = quantise_8bit(add_gaussian_noise(textures[0], 20.0, np.random.default_rng(3)))
    job = Job(op="denoise", image=noisy, mask=np.zeros(noisy.shape[:2], np.float32))
    app_map = noise_level_map(job, noisy)
    assert np.array_equal(estimated_map(noisy), app_map)
    assert abs(float(app_map.mean()) * 255 - 20.0) < 2.0

    data = tmp_path / "tex"
    data.mkdir()
    Image.fromarray(np.round(textures[0][:128, :128] * 255).astype(np.uint8)).save(data / "a.png")
    init = get_model("texpaint-denoise", "denoise").path
    out = tmp_path / "run"
    cfg = DenoiseTrainConfig(
        data_dirs=[data], out_dir=out, steps=2, batch=2, size=32, device="cpu", arch="ffdnet",
        init=init, w_adv=0.0, estimated_map_prob=1.0, lr_g=1e-4, warmup_steps=1,
    )  # fmt: skip
    path = run_training(cfg)
    ckpt = torch.load(out / "checkpoint.pt", weights_only=True)
    assert ckpt["opt_d"]["state"] == {} and len(ckpt["opt_g"]["state"]) > 0
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["training"]["estimated_map_prob"] == 1.0
    assert card["training"]["losses"]["hinge_adv"] == 0.0
    before, after = load_file(str(init)), ckpt["G"]
    assert any(not torch.equal(before[k], after[k]) for k in before)


def test_bf16_hidden_finetune_freezes_bfloat16_hidden_weights(tmp_path, textures):
    """``bf16_hidden``: the hidden convolutions start as the init rounded to bfloat16 values
    and stay so (frozen); the head, the tail and the biases train; the export is bf16-exact
    in the hidden layers, so its float32 and bfloat16 paths differ only by activation
    rounding."""
    from safetensors.torch import load_file

    from texpaint.training.denoise_trainer import DenoiseTrainConfig, run_training

    data = tmp_path / "tex"
    data.mkdir()
    Image.fromarray(np.round(textures[1][:128, :128] * 255).astype(np.uint8)).save(data / "a.png")
    init = get_model("texpaint-denoise-ffdnet", "denoise").path  # published: float32 values
    cfg = DenoiseTrainConfig(
        data_dirs=[data], out_dir=tmp_path / "run", steps=2, batch=2, size=32, device="cpu",
        arch="ffdnet", init=init, w_adv=0.0, lr_g=1e-3, warmup_steps=1, bf16_hidden=True,
    )  # fmt: skip
    path = run_training(cfg)
    before, after = load_file(str(init)), load_file(str(path))
    hidden = [f"body.{2 * i}" for i in range(1, 11)]
    for name in hidden:
        w = before[f"{name}.weight"]
        assert not torch.equal(w, w.bfloat16().float())  # the init is not bf16-exact
        assert torch.equal(after[f"{name}.weight"], w.bfloat16().float())  # rounded, frozen
        b = after[f"{name}.bias"]
        assert torch.equal(b, b.bfloat16().float())
    assert not torch.equal(before["body.0.weight"], after["body.0.weight"])  # the head trains
    assert not torch.equal(before["body.22.weight"], after["body.22.weight"])  # the tail too
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["training"]["bf16_hidden"] is True
    with pytest.raises(ValueError, match="ffdnet"):
        run_training(
            DenoiseTrainConfig(data_dirs=[data], out_dir=tmp_path / "n", steps=1, batch=1,
                               size=32, device="cpu", bf16_hidden=True)
        )  # fmt: skip


def test_psnr_loss_is_minus_the_mean_per_image_psnr(textures):
    """``psnr_loss`` = -mean PSNR (dB, as ``imaging.metrics.psnr``) over the batch, and its
    gradient weighs the lightly noisy image far more than the heavily noisy one."""
    from texpaint.training.losses import psnr_loss

    clean = np.stack([t[:64, :64] for t in textures[:2]])
    noisy = np.stack(
        [add_gaussian_noise(c, s, np.random.default_rng(i)) for i, (c, s) in enumerate(
            zip(clean, (5.0, 50.0), strict=True))]
    )  # fmt: skip
    want = -np.mean([psnr(n, c) for n, c in zip(noisy, clean, strict=True)])
    pred = torch.from_numpy(noisy.transpose(0, 3, 1, 2).copy()).requires_grad_(True)
    target = torch.from_numpy(clean.transpose(0, 3, 1, 2).copy())
    got = psnr_loss(pred, target, floor=0.0)
    assert got.item() == pytest.approx(want, abs=1e-3)
    got.backward()
    g = pred.grad.flatten(1).abs().mean(dim=1)
    assert g[0] > 5 * g[1]


def test_weight_interpolation_between_published_and_tuned(tmp_path, textures):
    """``interpolate_weights``: alpha 0 / 1 give the two inputs' tensors, 0.5 their midpoint;
    the card's sha256 is the file's; the mix loads into FFDNet and denoises; mismatched
    files and alpha outside [0, 1] are refused."""
    from safetensors.torch import load_file, save_file

    from texpaint.training.denoise_trainer import interpolate_weights
    from texpaint.training.export import sha256_file

    base_path = get_model("texpaint-denoise-ffdnet", "denoise").path
    base = load_file(str(base_path))
    gen = torch.Generator().manual_seed(0)
    tuned = {k: v + 0.002 * torch.randn(v.shape, generator=gen) for k, v in base.items()}
    tuned_path = tmp_path / "tuned.safetensors"
    save_file(tuned, str(tuned_path))
    for alpha, want in ((0.0, base), (1.0, tuned)):
        out = interpolate_weights(base_path, tuned_path, alpha, tmp_path / f"m{alpha}.safetensors")
        got = load_file(str(out))
        assert all(torch.equal(got[k], want[k]) for k in base)
    out = interpolate_weights(base_path, tuned_path, 0.5, tmp_path / "mid.safetensors", {"id": "x"})
    mid = load_file(str(out))
    assert all(torch.allclose(mid[k], (base[k] + tuned[k]) / 2, atol=1e-6) for k in base)
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["id"] == "x" and card["sha256"] == sha256_file(out)
    net = FFDNet()
    net.load_state_dict(mid)
    clean = textures[0][:64, :64]
    noisy = quantise_8bit(add_gaussian_noise(clean, 25.0, np.random.default_rng(0)))
    x = torch.from_numpy(noisy.transpose(2, 0, 1).copy())[None]
    with torch.inference_mode():
        den = net.eval().denoise(x, 25.0 / 255.0)[0].numpy().transpose(1, 2, 0)
    assert psnr(den, clean) > psnr(noisy, clean) + 5.0
    save_file({k: v for k, v in list(base.items())[:-1]}, str(tmp_path / "short.safetensors"))
    with pytest.raises(ValueError, match="same tensors"):
        interpolate_weights(base_path, tmp_path / "short.safetensors", 0.5, tmp_path / "b.st")
    with pytest.raises(ValueError, match="alpha"):
        interpolate_weights(base_path, tuned_path, 1.5, tmp_path / "c.safetensors")


def test_noise_level_function_is_a_value():
    nlf = NoiseLevelFunction(a=0.0, b=(10 / 255) ** 2, global_sigma=10.0)
    assert not nlf.signal_dependent and nlf.describe() == "sigma 10.0"
    assert np.allclose(nlf.noise_map(np.zeros((4, 5, 3), np.float32)), 10.0)


@pytest.mark.gui
def test_denoise_tab_noise_level_control_and_estimate(qtbot, textures):
    """Auto by default; unticking Auto sends the slider's sigma (8-bit units); the tab shows
    the estimate of an image, and the one a Denoise run reports."""
    from texpaint.jobs import Operation
    from texpaint.ui.operations_panel import OperationsPanel

    panel = OperationsPanel()
    qtbot.addWidget(panel)
    panel.tabs.setCurrentIndex(panel._ops.index(Operation.DENOISE))
    assert panel.request()["params"]["sigma"] == "auto" and not panel.denoise_sigma.isEnabled()
    panel.denoise_auto.setChecked(False)
    panel.denoise_sigma.setValue(30)
    assert panel.request()["params"]["sigma"] == 30.0 and panel.denoise_sigma.isEnabled()
    assert panel.denoise_sigma_label.text() == "σ 30"
    noisy = quantise_8bit(add_gaussian_noise(textures[2], 25.0, np.random.default_rng(0)))
    text = panel.show_noise_estimate(noisy)
    assert panel.denoise_estimate.text() == text
    assert abs(float(text.split()[1]) - 25.0) < 2.0, text
    panel.set_progress(0.0, "Denoising: noise sigma 12.3 (estimated)")
    assert panel.denoise_estimate.text() == "σ 12.3"
