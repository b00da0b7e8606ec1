"""Blind texture denoiser: a small NAFNet-style residual U-Net (the texpaint denoiser).

Method: the "nonlinear activation free" blocks of NAFNet (Chen, Chu, Zhang & Sun, "Simple
Baselines for Image Restoration", ECCV 2022): LayerNorm over channels, 1x1 expansion, 3x3
depthwise convolution, SimpleGate (split the channels in two halves and multiply them), 1x1
projection, and a gated feed-forward part, each added back with a learned per-channel scale
that starts at 0. The blocks sit in a U-Net (Ronneberger et al. 2015) with stride-2
convolutions down, pixel-shuffle up and additive skips, behind a reversible 2x
pixel-unshuffle of the input (as in FFDNet, Zhang, Zuo & Zhang, IEEE TIP 2018), so the blocks
run at a quarter of the pixels. Like DnCNN (Zhang et al., "Beyond a
Gaussian Denoiser", IEEE TIP 2017) the network predicts a *residual* that is added to its input,
so an untrained network is the identity and a clean input is returned nearly unchanged.

NAFNet's simplified channel attention (a global average pool) is left out on purpose: without
it every output pixel depends only on a bounded neighbourhood, so overlapping tiles of a large
image give the same result as one pass over the whole image (see ``engine.pipeline.restore``).

Tensor contract:
    input  ``image`` float32 (or float16 under CUDA autocast) ``(N, 3, H, W)``, RGB in [0, 1]
           (noisy, JPEG-compressed or clean; no noise level is given: the model is blind).
    output float32 ``(N, 3, H, W)`` in [0, 1]: ``clamp(image + residual, 0, 1)``.

Size requirements: fully convolutional. ``H`` and ``W`` should be multiples of
``size_multiple`` (``shuffle * 2 ** len(enc_blocks)``, 16 by default); other sizes are padded
internally (replicate) and cropped back. Any ``H, W >= 1``; ``min_size`` is
``2 * size_multiple``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.nn import functional as F


@dataclass(frozen=True)
class NAFDenoiseConfig:
    """Hyper-parameters of :class:`NAFDenoiser` (stored in the model card).

    Attributes:
        width: channels at full resolution; doubled at each encoder level.
        enc_blocks: NAF blocks per encoder level (one stride-2 downsampling after each level).
        middle_blocks: NAF blocks at the lowest resolution (``1 / 2 ** len(enc_blocks)``).
        dec_blocks: NAF blocks per decoder level (same count of levels as ``enc_blocks``).
        shuffle: pixel-unshuffle factor applied to the input first (1 = none).
    """

    width: int = 16
    enc_blocks: tuple[int, ...] = field(default=(1, 1, 2))
    middle_blocks: int = 4
    dec_blocks: tuple[int, ...] = field(default=(1, 1, 1))
    shuffle: int = 2

    def __post_init__(self) -> None:
        object.__setattr__(self, "enc_blocks", tuple(int(b) for b in self.enc_blocks))
        object.__setattr__(self, "dec_blocks", tuple(int(b) for b in self.dec_blocks))
        if len(self.enc_blocks) != len(self.dec_blocks):
            raise ValueError("enc_blocks and dec_blocks need the same number of levels")
        if self.width < 2 or self.width % 2:
            raise ValueError(f"width must be an even number >= 2, got {self.width}")

    def to_dict(self) -> dict:
        """JSON-ready dict (lists for the block counts)."""
        d = asdict(self)
        d["enc_blocks"] = list(self.enc_blocks)
        d["dec_blocks"] = list(self.dec_blocks)
        return d


class LayerNorm2d(nn.Module):
    """Layer normalisation over the channel axis of ``(N, C, H, W)``, per pixel."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mu = x.mean(1, keepdim=True)
        var = (x - mu).pow(2).mean(1, keepdim=True)
        return (x - mu) * torch.rsqrt(var + self.eps) * self.weight + self.bias


def _simple_gate(x: torch.Tensor) -> torch.Tensor:
    a, b = x.chunk(2, dim=1)
    return a * b


class NAFBlock(nn.Module):
    """One NAFNet block without channel attention: ``(N, c, H, W) -> (N, c, H, W)``."""

    def __init__(self, c: int, expand: int = 2) -> None:
        super().__init__()
        dw = c * expand
        self.norm1 = LayerNorm2d(c)
        self.conv1 = nn.Conv2d(c, dw, 1)
        self.conv2 = nn.Conv2d(dw, dw, 3, padding=1, groups=dw)
        self.conv3 = nn.Conv2d(dw // 2, c, 1)
        self.norm2 = LayerNorm2d(c)
        self.conv4 = nn.Conv2d(c, c * expand, 1)
        self.conv5 = nn.Conv2d(c * expand // 2, c, 1)
        self.beta = nn.Parameter(torch.zeros(1, c, 1, 1))
        self.gamma = nn.Parameter(torch.zeros(1, c, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv3(_simple_gate(self.conv2(self.conv1(self.norm1(x)))))
        x = x + y * self.beta
        y = self.conv5(_simple_gate(self.conv4(self.norm2(x))))
        return x + y * self.gamma


class NAFDenoiser(nn.Module):
    """Residual NAFNet U-Net denoiser (see the module docstring for the tensor contract).

    Args:
        config: hyper-parameters (default: 2x pixel-unshuffle, width 16, encoder 1/1/2,
            middle 4, decoder 1/1/1: 0.6 M parameters, 2.4 MB as float32).

    Attributes (read by ``engine.pipeline``):
        scale: 1 (output size = input size).
        size_multiple: ``shuffle * 2 ** len(config.enc_blocks)`` pixels (16 by default).
        min_size: ``2 * size_multiple`` pixels.
        supports_half: True (may run under CUDA float16 autocast).
        operation: ``"denoise"``.
    """

    scale = 1
    supports_half = True
    operation = "denoise"

    def __init__(self, config: NAFDenoiseConfig | None = None) -> None:
        super().__init__()
        cfg = config or NAFDenoiseConfig()
        self.config = cfg
        self.size_multiple = 2 ** len(cfg.enc_blocks)
        self.min_size = 2 * self.size_multiple
        c = cfg.width
        s = cfg.shuffle
        self.size_multiple *= s
        self.min_size *= s
        self.intro = nn.Sequential(nn.PixelUnshuffle(s), nn.Conv2d(3 * s * s, c, 3, padding=1))
        self.encoders = nn.ModuleList()
        self.downs = nn.ModuleList()
        for n in cfg.enc_blocks:
            self.encoders.append(nn.Sequential(*[NAFBlock(c) for _ in range(n)]))
            self.downs.append(nn.Conv2d(c, 2 * c, 2, stride=2))
            c *= 2
        self.middle = nn.Sequential(*[NAFBlock(c) for _ in range(cfg.middle_blocks)])
        self.ups = nn.ModuleList()
        self.decoders = nn.ModuleList()
        for n in cfg.dec_blocks:
            self.ups.append(nn.Sequential(nn.Conv2d(c, 2 * c, 1, bias=False), nn.PixelShuffle(2)))
            c //= 2
            self.decoders.append(nn.Sequential(*[NAFBlock(c) for _ in range(n)]))
        self.ending = nn.Sequential(nn.Conv2d(c, 3 * s * s, 3, padding=1), nn.PixelShuffle(s))
        nn.init.zeros_(self.ending[0].weight)  # the untrained network is the identity
        nn.init.zeros_(self.ending[0].bias)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """Denoise ``image`` ``(N, 3, H, W)`` in [0, 1]; returns ``(N, 3, H, W)`` in [0, 1].

        Raises:
            ValueError: ``image`` does not have 3 channels.
        """
        if image.ndim != 4 or image.shape[1] != 3:
            raise ValueError(f"expected an (N, 3, H, W) image, got {tuple(image.shape)}")
        h, w = image.shape[-2:]
        m = self.size_multiple
        ph, pw = (-h) % m, (-w) % m
        x_in = F.pad(image, (0, pw, 0, ph), mode="replicate") if ph or pw else image
        x = self.intro(x_in)
        skips = []
        for enc, down in zip(self.encoders, self.downs, strict=True):
            x = enc(x)
            skips.append(x)
            x = down(x)
        x = self.middle(x)
        for up, dec, skip in zip(self.ups, self.decoders, reversed(skips), strict=True):
            x = dec(up(x) + skip)
        out = (x_in + self.ending(x)).clamp(0.0, 1.0)
        return out[..., :h, :w].float()
