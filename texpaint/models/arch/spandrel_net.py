"""texpaint's tensor contract around a network built by spandrel (imported community models).

spandrel (https://github.com/chaiNNer-org/spandrel, MIT) builds the architecture named by a
state dict — e.g. LaMa (Suvorov et al., WACV 2022), SCUNet (Zhang et al., MIR 2023), NAFNet
(Chen et al., ECCV 2022), ESRGAN (Wang et al., ECCV Workshops 2018) — and its
``ModelDescriptor`` pads inputs to the model's size requirements, crops and clamps to [0, 1].
Loading (and what is refused) is in :mod:`texpaint.models.community`.
"""

from __future__ import annotations

import contextlib

import torch
from torch import nn


class SpandrelNetwork(nn.Module):
    """A spandrel model behind texpaint's tensor contract.

    Inpainting: ``forward(image, mask)`` with ``image`` float32 ``(1, 3, H, W)`` in [0, 1] and
    ``mask`` ``(1, 1, H, W)`` (values > 0.5 are filled), returns ``(1, 3, H, W)`` in [0, 1].
    Restoration: ``forward(image)`` returns ``(1, 3, H * scale, W * scale)`` in [0, 1].
    spandrel pads inputs that miss its size requirements and crops the padding off.

    Attributes:
        size_multiple: H and W should be multiples of this (pixels) to avoid extra padding.
        min_size: smallest H / W in pixels the model accepts without padding.
        scale: output size / input size (1 for inpainting and denoising).
        operation: "inpaint", "denoise" or "upscale".
        architecture: spandrel's architecture id, e.g. ``"SCUNet"``.
        supports_half: whether the model may run under float16 autocast.
    """

    def __init__(self, descriptor, operation: str) -> None:
        super().__init__()
        self.model = descriptor.model  # registered: .to() and .eval() reach the weights
        self._descriptor = descriptor
        req = descriptor.size_requirements
        self.size_multiple = int(req.multiple_of)
        self.min_size = max(1, int(req.minimum))
        self.scale = int(descriptor.scale)
        self.operation = operation
        self.architecture = str(descriptor.architecture.id)
        self.supports_half = bool(descriptor.supports_half)

    def forward(self, image: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        autocast_on = image.device.type == "cuda" and torch.is_autocast_enabled("cuda")
        ctx = (
            torch.autocast("cuda", enabled=False)
            if autocast_on and not self.supports_half
            else contextlib.nullcontext()
        )
        with ctx:
            if not (autocast_on and self.supports_half):
                image = image.float()
            if self.operation == "inpaint":
                if mask is None:
                    raise ValueError("an inpainting model needs a mask")
                hole = (mask > 0.5).to(image.dtype)
                return self._descriptor(image.contiguous(), hole.contiguous())
            return self._descriptor(image.contiguous())
