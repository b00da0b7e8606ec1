"""Feed-forward style transfer network (one network per style).

Method: the image transformation network of Johnson, Alahi & Fei-Fei, "Perceptual Losses for
Real-Time Style Transfer and Super-Resolution" (ECCV 2016), made lighter for the CPU: two
stride-2 convolutions, residual blocks at 1/4 resolution, nearest-neighbour upsampling +
convolution instead of transposed convolutions (no checkerboard, Odena et al. 2016), and
instance normalisation (Ulyanov, Vedaldi & Lempitsky 2016), which makes the output independent
of the input's contrast. The last convolution starts at zero and the output is a residual in
logit space on the input, so an untrained network is the identity and training moves it
towards the style gradually.

Tensor contract:
    input  float32 ``(N, 3, H, W)``, RGB in [0, 1].
    output float32 ``(N, 3, H, W)`` in (0, 1): ``sigmoid(logit(x) + f(x))``.

Size requirements: fully convolutional; ``H`` and ``W`` multiples of ``SIZE_MULTIPLE`` (4, two
stride-2 stages) and at least ``MIN_SIZE`` (16) pixels. Instance normalisation uses the
statistics of the whole input, so the pipeline runs an image in as few tiles as possible.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

from texpaint.imaging.band_transfer import ExemplarStatistics

SIZE_MULTIPLE = 4
MIN_SIZE = 16
_EPS = 1e-3


@dataclass(frozen=True)
class StyleNetConfig:
    """Hyper-parameters of :class:`StyleTransferNet` (stored in the model card).

    Attributes:
        channels: channels at full, 1/2 and 1/4 resolution.
        n_blocks: residual blocks at 1/4 resolution.
        colour_mean, colour_std: the style exemplar's CIELAB mean and standard deviation
            (L, a, b; :func:`texpaint.imaging.colour_transfer.lab_stats`) when the generator
            was trained *colour first*: its input is the content moved to that palette by
            :func:`~texpaint.imaging.colour_transfer.reinhard_transfer`, and it adds only the
            texture. None (generators trained before colour-first): the input is the content
            as it is.
        exemplar_statistics: the exemplar's pyramid band energies and colour covariance
            (:class:`~texpaint.imaging.band_transfer.ExemplarStatistics`), which Stylize moves
            the generator's output to (:func:`~texpaint.imaging.band_transfer.statistics_transfer`).
            None (generators exported before): the output is used as it is.
    """

    channels: tuple[int, int, int] = (16, 32, 64)
    n_blocks: int = 3
    colour_mean: tuple[float, float, float] | None = None
    colour_std: tuple[float, float, float] | None = None
    exemplar_statistics: ExemplarStatistics | None = None

    def to_dict(self) -> dict:
        """JSON-friendly dict (tuples as lists; optional fields only when set)."""
        d = asdict(self)
        for key, value in list(d.items()):
            if value is None:
                del d[key]
            elif isinstance(value, tuple):
                d[key] = list(value)
        if self.exemplar_statistics is not None:
            d["exemplar_statistics"] = self.exemplar_statistics.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> StyleNetConfig:
        """Inverse of :meth:`to_dict`. Raises ``TypeError`` for unknown keys, ``ValueError``
        for a colour field that is not a list of three finite numbers or for bad exemplar
        statistics."""
        d = dict(d)
        if d.get("exemplar_statistics") is not None:
            stats = d["exemplar_statistics"]
            if not isinstance(stats, dict):
                raise ValueError("exemplar_statistics must be an object")
            try:
                d["exemplar_statistics"] = ExemplarStatistics.from_dict(stats)
            except (KeyError, TypeError) as exc:
                raise ValueError(f"bad exemplar_statistics: {exc}") from exc
        if "channels" in d:
            d["channels"] = tuple(int(c) for c in d["channels"])
        for key in ("colour_mean", "colour_std"):
            if d.get(key) is not None:
                values = tuple(float(v) for v in d[key])
                if len(values) != 3 or not all(math.isfinite(v) for v in values):
                    raise ValueError(f"{key} must hold 3 finite numbers, got {d[key]!r}")
                d[key] = values
        return cls(**d)

    @property
    def colour_target(self) -> tuple[tuple[float, float, float], tuple[float, float, float]] | None:
        """``(colour_mean, colour_std)`` when the generator is colour-first, else None."""
        if self.colour_mean is None or self.colour_std is None:
            return None
        return self.colour_mean, self.colour_std


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, padding_mode="reflect")


class _ConvNormAct(nn.Sequential):
    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__(
            _conv(cin, cout, stride), nn.InstanceNorm2d(cout, affine=True), nn.ReLU(inplace=True)
        )


class _ResBlock(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv(c, c),
            nn.InstanceNorm2d(c, affine=True),
            nn.ReLU(inplace=True),
            _conv(c, c),
            nn.InstanceNorm2d(c, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class StyleTransferNet(nn.Module):
    """Image ``(N, 3, H, W)`` in [0, 1] → stylised image of the same shape in (0, 1).

    Args:
        config: see :class:`StyleNetConfig`.
    """

    size_multiple = SIZE_MULTIPLE
    min_size = MIN_SIZE
    scale = 1
    supports_half = True

    def __init__(self, config: StyleNetConfig | None = None) -> None:
        super().__init__()
        self.config = config or StyleNetConfig()
        c0, c1, c2 = self.config.channels
        self.encoder = nn.Sequential(
            _ConvNormAct(3, c0), _ConvNormAct(c0, c1, 2), _ConvNormAct(c1, c2, 2)
        )
        self.blocks = nn.Sequential(*[_ResBlock(c2) for _ in range(self.config.n_blocks)])
        self.up1 = _ConvNormAct(c2, c1)
        self.up2 = _ConvNormAct(c1, c0)
        self.out = _conv(c0, 3)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    @property
    def colour_target(self) -> tuple[tuple[float, float, float], tuple[float, float, float]] | None:
        """The exemplar's CIELAB ``(mean, std)`` the input must be colour-transferred to before
        :meth:`forward` (see :class:`StyleNetConfig`), or None: feed the content as it is."""
        return self.config.colour_target

    @property
    def statistics_target(self) -> ExemplarStatistics | None:
        """The exemplar statistics Stylize moves this generator's output to (see
        :class:`StyleNetConfig`), or None."""
        return self.config.exemplar_statistics

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Stylise ``x`` float32 ``(N, 3, H, W)`` in [0, 1]; H, W multiples of 4, >= 16."""
        h = self.up1(self.blocks(self.encoder(x)))
        h = F.interpolate(h, scale_factor=2.0, mode="bilinear", align_corners=False)
        h = self.up2(h)
        h = F.interpolate(h, size=x.shape[-2:], mode="bilinear", align_corners=False)
        xc = x.clamp(_EPS, 1 - _EPS)
        return torch.sigmoid(torch.log(xc / (1 - xc)) + self.out(h))
