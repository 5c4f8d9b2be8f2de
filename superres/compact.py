"""SRVGGNetCompact (Real-ESRGAN's compact model): a plain stack of 3x3 convs at LR, one PixelShuffle, plus the
nearest-upsampled input.

Module names follow Real-ESRGAN's ``SRVGGNetCompact`` (``body.<i>``), so ``realesr-general-x4v3.pth``,
``realesr-general-wdn-x4v3.pth`` and ``realesr-animevideov3.pth`` load without a key map.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from common.core.config import check_limits

MODEL_KIND = "srvgg_compact"
ACTIVATIONS = ("prelu", "relu", "leakyrelu")


@dataclass(frozen=True)
class CompactConfig:
    """Architecture of an SRVGGNetCompact.

    The defaults are ``realesr-general-x4v3`` (1,213,296 parameters); ``realesr-animevideov3`` has
    ``num_convs=16`` (621,424).

    Attributes:
        scale: output size / input size (the last conv emits ``out_channels * scale**2`` channels).
        num_features: channels of every hidden conv.
        num_convs: hidden 3x3 convs after the first one (each followed by the activation).
        activation: ``prelu`` (one slope per channel, as released), ``relu`` or ``leakyrelu`` (0.1).
    """

    scale: int = 4
    in_channels: int = 3
    out_channels: int = 3
    num_features: int = 64
    num_convs: int = 32
    activation: str = "prelu"

    # Bounds on sizes read from files or options: checked before anything is built.
    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {
        "scale": (1, 8), "in_channels": (1, 4), "out_channels": (1, 4), "num_features": (1, 1024), "num_convs": (0, 512),
    }

    def __post_init__(self) -> None:
        check_limits(self)


def _activation(kind: str, channels: int) -> nn.Module:
    if kind == "prelu":
        return nn.PReLU(num_parameters=channels)
    if kind == "relu":
        return nn.ReLU(inplace=True)
    if kind == "leakyrelu":
        return nn.LeakyReLU(0.1, inplace=True)
    raise ValueError(f"unknown activation {kind!r}; expected one of {ACTIVATIONS}")


class CompactSR(nn.Module):
    """Input (B, C, H, W) in [0, 1]; output (B, C_out, H*s, W*s), approximately [0, 1] (clamp before use).

    All convs run at LR, so the cost per output pixel is about 1/s^2 of a network working at HR.
    """

    multiple_of = 1

    def __init__(self, config: CompactConfig = CompactConfig()):
        super().__init__()
        if config.scale < 1 or config.num_convs < 0 or config.num_features < 1 or config.in_channels != config.out_channels:
            raise ValueError(f"invalid compact config {config} (the input is added to the output, so channels must match)")
        self.config = config
        width = config.num_features
        layers: list[nn.Module] = [nn.Conv2d(config.in_channels, width, 3, 1, 1), _activation(config.activation, width)]
        for _ in range(config.num_convs):
            layers += [nn.Conv2d(width, width, 3, 1, 1), _activation(config.activation, width)]
        layers.append(nn.Conv2d(width, config.out_channels * config.scale**2, 3, 1, 1))
        self.body = nn.ModuleList(layers)
        self.upsampler = nn.PixelShuffle(config.scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        for layer in self.body:
            out = layer(out)
        return self.upsampler(out) + F.interpolate(x, scale_factor=self.config.scale, mode="nearest")

    @property
    def receptive_radius(self) -> int:
        """LR pixels of context each output pixel depends on: one per 3x3 conv (the shuffle and the nearest
        upsampling stay inside the output pixel's own LR pixel)."""
        return self.config.num_convs + 2
