"""Fast-Fourier-convolution inpainting generator (the texpaint texture inpainter).

Method: Fast Fourier Convolution (Chi, Jiang & Mu, NeurIPS 2020) as used for large-mask
inpainting in LaMa (Suvorov et al., WACV 2022). Each FFC layer splits the channels into a
local part (ordinary 3x3 convolutions) and a global part whose spectral transform applies a
1x1 convolution in the 2-D Fourier domain, giving every layer an image-wide receptive field.
Textures are near-stationary and often periodic, which this global branch captures well.

Refinement hint: the generator also takes an optional low-resolution estimate of the hole
(``hint``, e.g. a fill computed at a coarser working resolution and upsampled) with a
``hint_mask`` saying where it is valid. Trained with and without hints, the same network fills
holes from scratch at a coarse working resolution and then refines that fill to full
resolution, adding native-scale detail on top of the coarse structure (coarse-to-fine
inpainting, cf. Yu et al. 2018's two-stage generator; here one network serves both stages).

Tensor contract:
    input  ``image`` float32 ``(N, 3, H, W)`` in [0, 1] and ``mask`` ``(N, 1, H, W)`` in [0, 1]
           (1 = hole). The generator sees ``image * (1 - mask)`` and ``mask``; optional
           ``hint`` ``(N, 3, H, W)`` in [0, 1] and ``hint_mask`` ``(N, 1, H, W)`` in {0, 1}.
    output float32 ``(N, 3, H, W)`` in [0, 1]: a prediction for every pixel, computed as a
           residual (in logit space) on a base image (known pixels, the hint in the hole, or a
           push-pull fill of the surroundings), so the untrained network starts as a smooth
           fill. The caller
           composites it with the known pixels (``pipeline``), the network does not.

Size requirements: fully convolutional; ``H`` and ``W`` must be multiples of
``SIZE_MULTIPLE`` (8, three stride-2 stages) and at least ``MIN_SIZE`` (32) pixels.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

SIZE_MULTIPLE = 8
MIN_SIZE = 32


@dataclass(frozen=True)
class FFCInpaintConfig:
    """Hyper-parameters of :class:`FFCInpaintGenerator` (stored in the model card).

    Attributes:
        base_channels: channels after the stem at full resolution.
        body_channels: channels at 1/8 resolution (after three stride-2 convolutions).
        n_blocks: number of FFC residual blocks at 1/8 resolution.
        global_ratio: fraction of ``body_channels`` in the global (spectral) branch, LaMa's 0.75.
        hint: accept a coarse-fill hint (8 input channels instead of 4).
    """

    base_channels: int = 32
    body_channels: int = 128
    n_blocks: int = 9
    global_ratio: float = 0.75
    hint: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


class FourierUnit(nn.Module):
    """1x1 convolution in the 2-D real-FFT domain (Chi et al. 2020, eq. 3).

    Input/output ``(N, C, H, W)``; the FFT is taken over ``(H, W)`` with ``norm="ortho"``, the
    real and imaginary parts are stacked as channels, mixed by a 1x1 conv + BN + ReLU and
    transformed back, so the output size equals the input size for any ``H, W``.
    """

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_ch * 2, out_ch * 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_ch * 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        ffted = torch.fft.rfft2(x.float(), norm="ortho")  # (N, C, H, W//2+1) complex
        f = torch.cat([ffted.real, ffted.imag], dim=1)
        f = F.relu(self.bn(self.conv(f.to(x.dtype))))
        real, imag = f.float().chunk(2, dim=1)
        out = torch.fft.irfft2(torch.complex(real, imag), s=(h, w), norm="ortho")
        return out.to(x.dtype)


class SpectralTransform(nn.Module):
    """Global branch of an FFC: 1x1 reduce → :class:`FourierUnit` (+ residual) → 1x1 expand."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        mid = out_ch // 2
        self.reduce = nn.Sequential(
            nn.Conv2d(in_ch, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(True)
        )
        self.fu = FourierUnit(mid, mid)
        self.expand = nn.Conv2d(mid, out_ch, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.reduce(x)
        return self.expand(x + self.fu(x))


class FFC(nn.Module):
    """One Fast Fourier Convolution layer on a (local, global) pair of feature maps.

    ``local`` is ``(N, C_l, H, W)``, ``global`` ``(N, C_g, H, W)``; outputs have the same
    shapes. local←local and local←global/global←local use 3x3 convolutions (padding mode
    set by :func:`set_padding_mode`), global←global the :class:`SpectralTransform`.
    """

    def __init__(self, ch: int, global_ratio: float) -> None:
        super().__init__()
        cg = int(ch * global_ratio)
        cl = ch - cg
        self.l2l = nn.Conv2d(cl, cl, 3, padding=1, padding_mode="reflect", bias=False)
        self.l2g = nn.Conv2d(cl, cg, 3, padding=1, padding_mode="reflect", bias=False)
        self.g2l = nn.Conv2d(cg, cl, 3, padding=1, padding_mode="reflect", bias=False)
        self.g2g = SpectralTransform(cg, cg)
        self.bn_l = nn.BatchNorm2d(cl)
        self.bn_g = nn.BatchNorm2d(cg)

    def forward(self, xl: torch.Tensor, xg: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        yl = F.relu(self.bn_l(self.l2l(xl) + self.g2l(xg)))
        yg = F.relu(self.bn_g(self.l2g(xl) + self.g2g(xg)))
        return yl, yg


class FFCResBlock(nn.Module):
    """Two :class:`FFC` layers with a residual connection on both branches (LaMa's block)."""

    def __init__(self, ch: int, global_ratio: float) -> None:
        super().__init__()
        self.ffc1 = FFC(ch, global_ratio)
        self.ffc2 = FFC(ch, global_ratio)

    def forward(self, xl: torch.Tensor, xg: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        yl, yg = self.ffc2(*self.ffc1(xl, xg))
        return xl + yl, xg + yg


def _conv_bn_relu(cin: int, cout: int, k: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, padding_mode="reflect", bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(True),
    )


def _up(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ConvTranspose2d(cin, cout, 3, stride=2, padding=1, output_padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(True),
    )


class FFCInpaintGenerator(nn.Module):
    """Texture inpainting generator: stem → 3 stride-2 downs → FFC res-blocks → 3 ups → RGB.

    As LaMa-Fourier (Suvorov et al. 2022): the body works at 1/8 resolution; upsampling uses
    stride-2 transposed convolutions. Unlike LaMa, encoder features are added to the decoder at
    1/4, 1/2 and full resolution (U-Net skips, Ronneberger et al. 2015), which lets the
    full-resolution refinement carry the coarse hint's structure and local detail straight to
    the output and makes the network learn far faster on a small compute budget.

    See the module docstring for the tensor contract and size requirements
    (``SIZE_MULTIPLE``, ``MIN_SIZE``). About 2.0 M parameters by default.
    ``supports_half``: True: ``engine.pipeline`` runs it under CUDA float16 autocast; the
    spectral transform casts to float32 for its FFT.
    """

    size_multiple = SIZE_MULTIPLE
    min_size = MIN_SIZE
    supports_half = True

    def __init__(self, config: FFCInpaintConfig | None = None) -> None:
        super().__init__()
        self.config = cfg = config or FFCInpaintConfig()
        b, c = cfg.base_channels, cfg.body_channels
        self.cg = int(c * cfg.global_ratio)
        self.stem = _conv_bn_relu(8 if cfg.hint else 4, b, 7)
        self.down = nn.Sequential(
            _conv_bn_relu(b, b * 2, 3, 2), _conv_bn_relu(b * 2, c, 3, 2), _conv_bn_relu(c, c, 3, 2)
        )
        self.blocks = nn.ModuleList(FFCResBlock(c, cfg.global_ratio) for _ in range(cfg.n_blocks))
        self.up = nn.Sequential(_up(c, c), _up(c, b * 2), _up(b * 2, b))
        self.head = nn.Conv2d(b, 3, 3, padding=1, padding_mode="reflect")
        nn.init.zeros_(self.head.weight)  # start as the identity on the base image (below)
        nn.init.zeros_(self.head.bias)

    def forward(
        self,
        image: torch.Tensor,
        mask: torch.Tensor,
        hint: torch.Tensor | None = None,
        hint_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Predict RGB ``(N, 3, H, W)`` in [0, 1]; see the module docstring for the inputs."""
        parts = [image * (1 - mask), mask]
        if self.config.hint:
            if hint is None or hint_mask is None:
                hint_mask = torch.zeros_like(mask)
                hint = torch.zeros_like(image)
            parts += [hint * hint_mask, hint_mask]
        s0 = self.stem(torch.cat(parts, dim=1))
        s1 = self.down[0](s0)
        s2 = self.down[1](s1)
        x = self.down[2](s2)
        xl, xg = x[:, : x.shape[1] - self.cg], x[:, x.shape[1] - self.cg :]
        for block in self.blocks:
            xl, xg = block(xl, xg)
        x = self.up[0](torch.cat([xl, xg], dim=1)) + s2
        x = self.up[1](x) + s1
        x = self.up[2](x) + s0
        # residual in logit space around a base image: the known pixels outside the hole, the
        # hint inside it where one is given, a smooth push-pull fill of the context elsewhere
        fill = push_pull_fill(image, mask)
        if self.config.hint:
            fill = fill + hint_mask * (hint - fill)
        base = image * (1 - mask) + mask * fill
        return torch.sigmoid(self.head(x) + torch.logit(base.clamp(0.01, 0.99)))


def push_pull_fill(image: torch.Tensor, mask: torch.Tensor, levels: int = 12) -> torch.Tensor:
    """Smooth fill of the hole from its surroundings by push-pull (pyramid normalised
    convolution; Gortler et al. 1996, "The Lumigraph", §3.4): known pixels are averaged down a
    2x pyramid with their coverage, then the coarse averages are pulled back up into the
    pixels that had none. No parameters; a colour-continuous start for the network.

    Args:
        image: ``(N, C, H, W)``; mask: ``(N, 1, H, W)`` in [0, 1], 1 = hole.

    Returns:
        ``(N, C, H, W)``: ``image`` where the mask is 0, a smooth fill elsewhere.
    """
    valid = (1 - mask).clamp(0, 1)
    num, den = image * valid, valid
    pyramid = []
    for _ in range(levels):
        pyramid.append((num, den))
        if min(num.shape[-2:]) <= 1:
            break
        num = F.avg_pool2d(num, 2, ceil_mode=True)
        den = F.avg_pool2d(den, 2, ceil_mode=True)
    fill = num / den.clamp_min(1e-6)
    for num, den in reversed(pyramid[:-1]):
        up = F.interpolate(fill, size=num.shape[-2:], mode="bilinear", align_corners=False)
        w = (den * 4).clamp(0, 1)  # fully trusted once a quarter of the cell is known
        fill = num / den.clamp_min(1e-6) * w + up * (1 - w)
    return fill


def set_padding_mode(model: nn.Module, mode: str) -> None:
    """Set the padding of every padded ``Conv2d`` in ``model`` to ``mode``.

    ``"circular"`` (wrap padding) makes the network treat the image as a torus, for seamless
    textures; ``"reflect"`` is the default for ordinary images.

    Raises:
        ValueError: ``mode`` is not one of ``"reflect"``, ``"circular"``, ``"replicate"``,
            ``"zeros"``.
    """
    if mode not in ("reflect", "circular", "replicate", "zeros"):
        raise ValueError(f"unknown padding mode {mode!r}")
    for m in model.modules():
        if isinstance(m, nn.Conv2d) and any(p > 0 for p in m.padding):
            m.padding_mode = mode
            m._reversed_padding_repeated_twice = [p for p in reversed(m.padding) for _ in range(2)]
