"""Fixed random-weight multi-scale convolutional features, for measuring and learning style.

Method: Ustyuzhaninov, Brendel, Gatys & Bethge, "What does it take to generate natural
textures?" (ICLR 2017) showed that Gram matrices of a *random*, untrained convolutional network
reproduce natural textures nearly as well as those of a trained VGG. No pretrained VGG is
available offline, so texpaint uses such a network: four 3x3/5x5 convolutions with ReLU,
separated by 2x2 average pooling, so the four feature maps see about 5, 14, 32 and 72 pixels
(fine grain up to brush-stroke scale). The weights are drawn from a seeded generator (He
scaling, each filter made zero-mean so it responds to structure rather than brightness) and
never trained, so the same ``seed`` always gives the same features on every machine.

Tensor contract:
    input  float32 ``(N, 3, H, W)``, RGB in [0, 1], any ``H, W >= 8``.
    output list of feature maps ``[(N, 3, H, W), (N, 48, H, W), (N, 96, H/2, W/2),
           (N, 96, H/4, W/4), (N, 128, H/8, W/8)]``: the (centred) pixels themselves, so
           colour statistics are part of the style, then the four ReLU layers.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

LAYERS = ((3, 48, 5), (48, 96, 3), (96, 96, 3), (96, 128, 3))
"""``(in_channels, out_channels, kernel)`` of each convolution; a 2x2 average pool precedes
every layer after the first."""


class RandomFeatureNet(nn.Module):
    """Untrained multi-scale conv features with seeded weights (no gradients to its weights).

    Args:
        seed: seed of the weights; different seeds give independent feature sets (texpaint
            trains with seed 0 and measures with another seed, see
            :mod:`texpaint.training.style_stats`).
    """

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(int(seed))
        self.convs = nn.ModuleList()
        for cin, cout, k in LAYERS:
            conv = nn.Conv2d(cin, cout, k, padding=k // 2, padding_mode="reflect")
            w = torch.randn(cout, cin, k, k, generator=gen)
            w = w - w.mean(dim=(1, 2, 3), keepdim=True)
            w = w * (2.0 / (cin * k * k)) ** 0.5
            with torch.no_grad():
                conv.weight.copy_(w)
                conv.bias.zero_()
            conv.requires_grad_(False)
            self.convs.append(conv)
        self.seed = int(seed)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Feature maps of ``x`` float32 ``(N, 3, H, W)`` in [0, 1] (see the module doc)."""
        h = (x - 0.5) * 4.0
        feats = [h]
        for i, conv in enumerate(self.convs):
            if i:
                h = F.avg_pool2d(h, 2)
            h = F.relu(conv(h))
            feats.append(h)
        return feats
