"""PatchGAN discriminator (Isola et al. 2017, "pix2pix"; Markovian discriminator, Li & Wand 2016).

Classifies overlapping patches (receptive field ~70 px with the default 3 stride-2 layers) as
real or generated, and returns its intermediate features for the feature-matching loss
(Wang et al. 2018, pix2pixHD). Spectral normalisation (Miyato et al. 2018) keeps it stable
under the hinge loss.

Tensor contract: input ``(N, C, H, W)`` float32 (images in [0, 1], optionally with the mask as
an extra channel); output logits ``(N, 1, H/8, W/8)`` (one score per overlapping patch) and a
list of feature maps. Any ``H, W >= 32``.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


class PatchDiscriminator(nn.Module):
    """PatchGAN discriminator with spectral norm and LeakyReLU(0.2).

    Args:
        in_channels: input channels (3 for RGB, 4 for RGB + mask).
        base_channels: channels of the first layer; doubled at each stride-2 layer (max 8x).
        n_layers: number of stride-2 layers.
    """

    def __init__(self, in_channels: int = 4, base_channels: int = 64, n_layers: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = in_channels
        for i in range(n_layers):
            cout = base_channels * min(2**i, 8)
            layers.append(
                nn.Sequential(
                    spectral_norm(nn.Conv2d(cin, cout, 4, stride=2, padding=1)),
                    nn.LeakyReLU(0.2, True),
                )
            )
            cin = cout
        cout = base_channels * min(2**n_layers, 8)
        layers.append(
            nn.Sequential(
                spectral_norm(nn.Conv2d(cin, cout, 3, padding=1)), nn.LeakyReLU(0.2, True)
            )
        )
        self.layers = nn.ModuleList(layers)
        self.out = spectral_norm(nn.Conv2d(cout, 1, 3, padding=1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Return ``(logits (N, 1, h, w), [feature maps])`` for ``x`` of shape ``(N, C, H, W)``."""
        feats = []
        for layer in self.layers:
            x = layer(x)
            feats.append(x)
        return self.out(x), feats
