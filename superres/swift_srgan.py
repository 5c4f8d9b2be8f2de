"""Swift-SRGAN (Krishnan and Jenifa, 2021): SRGAN's generator with every conv made depthwise-separable, for
real-time x2 / x4 upscaling. 16 residual blocks of 64 channels with BatchNorm and PReLU, two x2 PixelShuffle
stages, a tanh output mapped to [0, 1]; 201,209 parameters at x4 (plus BatchNorm statistics).

Module names follow the official ``swift-srgan/models.py`` (``initial.cnn.depthwise``, ``residual.<i>.block1``,
``upsampler.<i>``, ``final_conv``), so the released ``swift_srgan_4x.pth.tar`` (``{"model": state_dict}``)
loads without a key map. Its quirks are kept: the second conv of each residual block carries PReLU weights it
never uses, as the released file does.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from common.core.config import check_limits
from superres.srgan import srgan_receptive_radius

MODEL_KIND = "swift_srgan"


@dataclass(frozen=True)
class SwiftSRGANConfig:
    """Attributes: scale (2 or 4: one x2 upsampling stage each), channels, residual blocks."""

    scale: int = 4
    in_channels: int = 3
    num_channels: int = 64
    num_blocks: int = 16

    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {"scale": (2, 4), "in_channels": (1, 4), "num_channels": (1, 1024),
                                                     "num_blocks": (0, 512)}

    def __post_init__(self) -> None:
        check_limits(self)


class SeparableConv(nn.Module):
    """A depthwise k x k conv, then a pointwise 1 x 1 conv."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, bias: bool = True):
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels, kernel, 1, kernel // 2, groups=in_channels, bias=bias)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class ConvBlock(nn.Module):
    """Separable conv, BatchNorm (or none), PReLU (unless ``use_act`` is false; its weights exist either way)."""

    def __init__(self, in_channels: int, out_channels: int, kernel: int, use_act: bool = True, use_bn: bool = True):
        super().__init__()
        self.use_act = use_act
        self.cnn = SeparableConv(in_channels, out_channels, kernel, bias=not use_bn)
        self.bn = nn.BatchNorm2d(out_channels) if use_bn else nn.Identity()
        self.act = nn.PReLU(num_parameters=out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn(self.cnn(x))
        return self.act(out) if self.use_act else out


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.block1 = ConvBlock(channels, channels, 3)
        self.block2 = ConvBlock(channels, channels, 3, use_act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block2(self.block1(x))


class UpsampleBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv = SeparableConv(channels, channels * 4, 3)
        self.ps = nn.PixelShuffle(2)
        self.act = nn.PReLU(num_parameters=channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.ps(self.conv(x)))


class SwiftSRGAN(nn.Module):
    """Input (B, C, H, W) in [0, 1]; output (B, C, H*s, W*s) in [0, 1] (a tanh mapped to [0, 1])."""

    multiple_of = 1

    def __init__(self, config: SwiftSRGANConfig = SwiftSRGANConfig()):
        super().__init__()
        self.config = config
        width = config.num_channels
        self.initial = ConvBlock(config.in_channels, width, 9, use_bn=False)
        self.residual = nn.Sequential(*[ResidualBlock(width) for _ in range(config.num_blocks)])
        self.convblock = ConvBlock(width, width, 3, use_act=False)
        # One x2 stage per factor of 2 (the official code builds scale // 2 stages, which is the same at x2 and x4).
        self.upsampler = nn.Sequential(*[UpsampleBlock(width) for _ in range(config.scale.bit_length() - 1)])
        self.final_conv = SeparableConv(width, config.in_channels, 9)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        initial = self.initial(x)
        features = self.convblock(self.residual(initial)) + initial
        return (torch.tanh(self.final_conv(self.upsampler(features))) + 1) / 2

    @property
    def receptive_radius(self) -> int:
        """The same geometry as SRGAN's (separable convs have the kernels' reach)."""
        return srgan_receptive_radius(self.config.num_blocks, self.config.scale)
