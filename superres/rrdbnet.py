"""ESRGAN's RRDBNet (Wang et al. 2018), the generator of ESRGAN and Real-ESRGAN.

Module names follow BasicSR's ``RRDBNet`` so that its released state dicts (``RealESRGAN_x4plus.pth``,
``RealESRGAN_x2plus.pth``, the anime 6-block model, BasicSR's ESRGAN zoo) load without a key map.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from common.core.config import check_limits

MODEL_KIND = "rrdbnet"
RESIDUAL_SCALE = 0.2  # every dense block and every RRDB adds 0.2 x its body (the paper's residual scaling)


@dataclass(frozen=True)
class RRDBNetConfig:
    """Architecture of an RRDBNet.

    The defaults are ESRGAN / RealESRGAN_x4plus: 23 RRDB blocks, 64 features, growth 32, 16,697,987
    parameters. ``RealESRGAN_x4plus_anime_6B`` has ``num_blocks=6``.

    Attributes:
        scale: 4 (the network's native factor), 2 or 1. Scales 2 and 1 pixel-unshuffle the input by 2 or 4
            first (Real-ESRGAN's x2/x1 models), so the body runs at a quarter or a sixteenth of the pixels;
            the input's height and width must then be multiples of 2 or 4 (see :attr:`RRDBNet.multiple_of`).
        in_channels / out_channels: image channels.
        num_features: channels of the trunk.
        num_blocks: RRDB blocks (three 5-conv dense blocks each).
        growth: channels each dense conv adds.
    """

    scale: int = 4
    in_channels: int = 3
    out_channels: int = 3
    num_features: int = 64
    num_blocks: int = 23
    growth: int = 32

    # Bounds on sizes read from files or options: checked before anything is built.
    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {
        "scale": (1, 8), "in_channels": (1, 4), "out_channels": (1, 4), "num_features": (1, 1024), "num_blocks": (0, 512), "growth": (1, 1024),
    }

    def __post_init__(self) -> None:
        check_limits(self)


class ResidualDenseBlock(nn.Module):
    """Five 3x3 convs, each seeing the block input and every earlier output; ``x + 0.2 * conv5(...)``.

    Input and output (B, F, H, W).
    """

    def __init__(self, num_features: int, growth: int):
        super().__init__()
        for index in range(1, 5):
            setattr(self, f"conv{index}", nn.Conv2d(num_features + (index - 1) * growth, growth, 3, 1, 1))
        self.conv5 = nn.Conv2d(num_features + 4 * growth, num_features, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]
        for conv in (self.conv1, self.conv2, self.conv3, self.conv4):
            features.append(self.lrelu(conv(torch.cat(features, 1))))
        return x + RESIDUAL_SCALE * self.conv5(torch.cat(features, 1))


class RRDB(nn.Module):
    """Residual-in-residual dense block: three dense blocks, ``x + 0.2 * rdb3(rdb2(rdb1(x)))``."""

    def __init__(self, num_features: int, growth: int):
        super().__init__()
        self.rdb1 = ResidualDenseBlock(num_features, growth)
        self.rdb2 = ResidualDenseBlock(num_features, growth)
        self.rdb3 = ResidualDenseBlock(num_features, growth)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + RESIDUAL_SCALE * self.rdb3(self.rdb2(self.rdb1(x)))


class RRDBNet(nn.Module):
    """Input (B, C, H, W) in [0, 1]; output (B, C_out, H*s, W*s), approximately [0, 1] (clamp before use).

    At x2 and x1 an input whose sides are not multiples of :attr:`multiple_of` is reflect-padded at the bottom
    and right and the output cropped back, as Real-ESRGAN's inference does. There is no image skip path: the
    trunk predicts the whole image.
    """

    def __init__(self, config: RRDBNetConfig = RRDBNetConfig()):
        super().__init__()
        if config.scale not in (1, 2, 4):
            raise ValueError(f"RRDBNet scale must be 1, 2 or 4, got {config.scale}")
        self.config = config
        width = config.num_features
        self.conv_first = nn.Conv2d(config.in_channels * self.multiple_of**2, width, 3, 1, 1)
        self.body = nn.Sequential(*[RRDB(width, config.growth) for _ in range(config.num_blocks)])
        self.conv_body = nn.Conv2d(width, width, 3, 1, 1)
        self.conv_up1 = nn.Conv2d(width, width, 3, 1, 1)
        self.conv_up2 = nn.Conv2d(width, width, 3, 1, 1)
        self.conv_hr = nn.Conv2d(width, width, 3, 1, 1)
        self.conv_last = nn.Conv2d(width, config.out_channels, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)

    @property
    def multiple_of(self) -> int:
        """Input height and width must be multiples of this (the pixel-unshuffle factor: 4 // scale)."""
        return 4 // self.config.scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        if self.multiple_of > 1:
            # Always padded (often by 0) so that an exported graph keeps the padding for every input size.
            x = F.pad(x, (0, -width % self.multiple_of, 0, -height % self.multiple_of), mode="reflect")
            x = F.pixel_unshuffle(x, self.multiple_of)
        features = self.conv_first(x)
        features = features + self.conv_body(self.body(features))
        features = self.lrelu(self.conv_up1(F.interpolate(features, scale_factor=2, mode="nearest")))
        features = self.lrelu(self.conv_up2(F.interpolate(features, scale_factor=2, mode="nearest")))
        out = self.conv_last(self.lrelu(self.conv_hr(features)))
        return out[..., : height * self.config.scale, : width * self.config.scale]

    @property
    def receptive_radius(self) -> int:
        """Input pixels of context each output pixel depends on, rounded up (the tile pad that makes tiles
        exact). Counted layer by layer: 2 + 15 per RRDB convs at the trunk's resolution, then four convs at
        2x, 4x, 4x, 4x it (1/2 + 3/4 of a trunk pixel), all in units of ``multiple_of`` input pixels, plus
        the unshuffle cell itself."""
        trunk_convs = 1 + 15 * self.config.num_blocks + 1
        trunk_radius = trunk_convs + 2  # + ceil(1/2 + 3 * 1/4) for the convs after each nearest upsampling
        return trunk_radius * self.multiple_of + self.multiple_of - 1
