"""Style statistics: Gram matrices of fixed random multi-scale features, and content features.

The *style* of an image is summarised, as in Gatys, Ecker & Bethge ("Image Style Transfer
Using Convolutional Neural Networks", CVPR 2016), by the Gram matrices ``G = F F^T / (H W)`` of
its feature maps ``F (C, H*W)``, here from the untrained :class:`RandomFeatureNet`
(Ustyuzhaninov et al. 2017) plus the centred pixels themselves (mean and covariance of the
colours). Gram matrices discard *where* things are and keep which features co-occur, at every
scale the network sees (about 5 to 72 pixels): colour palette, grain, stroke direction and size.

- :func:`style_loss`: sum over layers of ``||G_l(x) - G_l(s)||_F / ||G_l(s)||_F`` (each
  layer relative to the exemplar's, so layers weigh alike). Used for training.
- :func:`style_distance`: the reported metric, the mean over layers of the *relative
  Frobenius distance* ``||G_l(x) - G_l(s)||_F / ||G_l(s)||_F`` (dimensionless, 0 = same
  statistics), computed with an independently seeded feature network (``METRIC_SEED``) so a
  generator is not scored by the very filters it was trained against.
- :func:`content_loss`: mean squared difference of the layer-2 and layer-3 features (1/2 and
  1/4 resolution) relative to the content's own energy (Johnson et al. 2016's feature
  reconstruction loss).
- :func:`structure_score`: SSIM (Wang et al. 2004) of the luminance gradient magnitude of two
  images, each normalised by its 99th percentile: 1 = same edges in the same places.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from texpaint.models.arch.random_features import RandomFeatureNet

TRAIN_SEED = 0
"""Seed of the feature network the generators are trained against."""

METRIC_SEED = 2017
"""Seed of the independent feature network :func:`style_distance` measures with."""

CONTENT_LAYERS = (2, 3)
"""Indices (into :class:`RandomFeatureNet`'s output list) compared by :func:`content_loss`."""


def gram_matrices(feats: list[torch.Tensor]) -> list[torch.Tensor]:
    """Gram matrix ``F F^T / (H W)`` of each feature map ``(N, C, H, W)`` → ``(N, C, C)``
    (float32; uncentred, so it holds the feature means too)."""
    out = []
    for f in feats:
        n, c, h, w = f.shape
        flat = f.reshape(n, c, h * w)
        out.append(torch.bmm(flat, flat.transpose(1, 2)) / (h * w))
    return out


def style_loss(grams: list[torch.Tensor], target: list[torch.Tensor]) -> torch.Tensor:
    """Relative Gram distance ``||G_l(x) - G_l(s)||_F / ||G_l(s)||_F`` summed over layers
    (scalar, averaged over the batch). Not squared: a content crop far from the style (flat,
    or very contrasty) then gives a bounded gradient instead of dominating the batch.

    Args:
        grams: Gram matrices ``(N, C, C)`` of the images being trained.
        target: the exemplar's Gram matrices ``(1, C, C)`` (or ``(N, C, C)``), same layers.
    """
    total = grams[0].new_zeros(())
    for g, t in zip(grams, target, strict=True):
        diff = ((g - t) ** 2).sum(dim=(1, 2)).add(1e-12).sqrt()
        total = total + diff.mean() / t.pow(2).sum().sqrt().clamp_min(1e-8)
    return total


def content_loss(feats: list[torch.Tensor], content_feats: list[torch.Tensor]) -> torch.Tensor:
    """Feature reconstruction loss over :data:`CONTENT_LAYERS`, each layer's mean squared
    error divided by the mean square of the content's features (scalar)."""
    total = feats[0].new_zeros(())
    for i in CONTENT_LAYERS:
        c = content_feats[i].detach()
        total = total + F.mse_loss(feats[i], c) / c.pow(2).mean().clamp_min(1e-8)
    return total / len(CONTENT_LAYERS)


def _to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """float32 ``(H, W, 3)`` in [0, 1] → ``(1, 3, H, W)``."""
    return torch.from_numpy(np.ascontiguousarray(rgb, dtype=np.float32).transpose(2, 0, 1))[None]


@torch.no_grad()
def image_grams(rgb: np.ndarray, net: RandomFeatureNet) -> list[torch.Tensor]:
    """Gram matrices ``(1, C, C)`` of one image, float32 ``(H, W, 3)`` in [0, 1]
    (H, W >= 8; values outside [0, 1], e.g. HDR, are clipped)."""
    return gram_matrices(net(_to_tensor(np.clip(rgb, 0.0, 1.0))))


def gram_distance(a: list[torch.Tensor], b: list[torch.Tensor]) -> float:
    """Mean over layers of ``||a_l - b_l||_F / ||b_l||_F`` (``b`` is the reference)."""
    d = [
        float(torch.linalg.norm(x - y) / torch.linalg.norm(y).clamp_min(1e-8))
        for x, y in zip(a, b, strict=True)
    ]
    return float(np.mean(d))


_metric_nets: dict[int, RandomFeatureNet] = {}


def style_distance(rgb: np.ndarray, exemplar: np.ndarray, seed: int = METRIC_SEED) -> float:
    """Style distance of ``rgb`` to ``exemplar`` (both float32 ``(H, W, 3)`` in [0, 1], any
    sizes >= 8 px): mean relative Frobenius distance of their Gram matrices (see the module
    doc). 0 for identical statistics; unitless. The two images should be at the scale at which
    the style is meant (texpaint: exemplar long side ``StyleTrainConfig.style_px``)."""
    net = _metric_nets.get(seed)
    if net is None:
        net = _metric_nets[seed] = RandomFeatureNet(seed).eval()
    return gram_distance(image_grams(rgb, net), image_grams(exemplar, net))


def structure_score(a: np.ndarray, b: np.ndarray) -> float:
    """Content-structure score of ``a`` against ``b`` (float32 ``(H, W, 3)`` in [0, 1], same
    shape): SSIM of their normalised luminance gradient magnitudes (Sobel, after a 1 px
    Gaussian blur). 1.0 for the same edges; about 0 for unrelated images.

    Raises:
        ValueError: the shapes differ.
    """
    import cv2

    from texpaint.imaging.metrics import ssim

    if a.shape != b.shape:
        raise ValueError(f"images must have the same shape, got {a.shape} and {b.shape}")

    def edges(rgb: np.ndarray) -> np.ndarray:
        y = np.clip(rgb, 0, 1).astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        y = cv2.GaussianBlur(y, (0, 0), 1.0)
        mag = np.hypot(cv2.Sobel(y, cv2.CV_32F, 1, 0), cv2.Sobel(y, cv2.CV_32F, 0, 1))
        return np.clip(mag / max(float(np.percentile(mag, 99)), 1e-6), 0.0, 1.0)

    return ssim(edges(a), edges(b))
