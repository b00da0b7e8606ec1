"""Losses for training the texpaint generators.

- Hinge adversarial loss (Lim & Ye 2017; Miyato et al. 2018): ``hinge_d_loss``/``hinge_g_loss``.
- Feature matching on discriminator features (Wang et al. 2018, pix2pixHD).
- Masked L1 reconstruction; Charbonnier reconstruction (denoising).

All take float32 tensors; masks are ``(N, 1, H, W)`` in [0, 1] and are resized (area) to the
resolution of the tensor they weight.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F


def _resize_mask(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    if mask.shape[-2:] == like.shape[-2:]:
        return mask
    return F.adaptive_avg_pool2d(mask, like.shape[-2:])


def hinge_d_loss(
    real_logits: torch.Tensor, fake_logits: torch.Tensor, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Discriminator hinge loss ``E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]`` (scalar).

    With ``mask`` given, the fake term is averaged over patches that overlap the hole (the known
    pixels are copied from the real image, so scoring them as fake would be wrong).
    """
    loss_real = F.relu(1.0 - real_logits).mean()
    fake = F.relu(1.0 + fake_logits)
    if mask is None:
        return loss_real + fake.mean()
    w = (_resize_mask(mask, fake_logits) > 0).float()
    return loss_real + (fake * w).sum() / w.sum().clamp_min(1.0)


def hinge_g_loss(fake_logits: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Generator hinge loss ``-E[D(G(z))]`` (scalar), over hole patches when ``mask`` is given."""
    if mask is None:
        return -fake_logits.mean()
    w = (_resize_mask(mask, fake_logits) > 0).float()
    return -(fake_logits * w).sum() / w.sum().clamp_min(1.0)


def feature_matching_loss(
    real_feats: list[torch.Tensor], fake_feats: list[torch.Tensor]
) -> torch.Tensor:
    """Mean L1 distance between discriminator features of real and generated images (scalar).

    Real features are detached (pix2pixHD, Wang et al. 2018).
    """
    total = real_feats[0].new_zeros(())
    for r, f in zip(real_feats, fake_feats, strict=True):
        total = total + F.l1_loss(f, r.detach())
    return total / len(real_feats)


def masked_l1(
    pred: torch.Tensor,
    target: torch.Tensor,
    mask: torch.Tensor,
    hole_weight: float = 1.0,
    valid_weight: float = 0.1,
) -> torch.Tensor:
    """L1 reconstruction with separate weights inside (``mask``=1) and outside the hole (scalar)."""
    err = (pred - target).abs()
    return (hole_weight * err * mask + valid_weight * err * (1 - mask)).mean()


def charbonnier_loss(pred: torch.Tensor, target: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """Charbonnier (smooth L1) reconstruction loss ``mean(sqrt((pred - target)^2 + eps^2))``
    (scalar; Charbonnier et al. 1994, as used for restoration by Lai et al. 2017 / NAFNet).
    ``eps`` is in the images' [0, 1] units."""
    return torch.sqrt((pred - target).pow(2) + eps * eps).mean()


def psnr_loss(pred: torch.Tensor, target: torch.Tensor, floor: float = 4e-6) -> torch.Tensor:
    """Negative mean per-image PSNR in dB: ``mean_i 10 * log10(mse_i + floor)`` over the batch
    (scalar; images in [0, 1]). Its gradient weights each image by ``1 / (mse_i + floor)``, so
    nearly clean and lightly noisy images count as much in dB as heavily noisy ones, as in a
    benchmark that averages PSNR over images (the log-MSE objective of e.g. Zhao, Gallo,
    Frosio & Kautz, "Loss Functions for Image Restoration with Neural Networks", IEEE TCI
    2017, discuss per-image weighting). ``floor`` (default ``(0.5 / 255)^2``) caps the weight of
    a near-perfect image at about 54 dB."""
    mse = (pred - target).pow(2).flatten(1).mean(dim=1)
    return 10.0 * torch.log10(mse + floor).mean()
