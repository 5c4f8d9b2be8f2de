"""The SRGAN generator (Ledig et al., CVPR 2017) in the layout of the most used PyTorch release
(``leftthomas/SRGAN``, whose ``netG_epoch_4_100.pth`` files are what people download as "SRGAN"): a 9x9 conv +
PReLU, residual blocks of conv-BatchNorm-PReLU-conv-BatchNorm, a conv-BatchNorm with the long skip, x2
PixelShuffle stages with PReLU, a 9x9 conv, and a tanh mapped to [0, 1]. The release has 5 residual blocks of 64
channels (the paper 16); the PReLUs have one slope each.

Module names are the release's (``block1``, ``block2`` ... ``block<k+1>`` the residual blocks, then the
conv-BatchNorm block and the upsampling block), so its files load without a key map.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from common.core.config import check_limits

MODEL_KIND = "srgan"


@dataclass(frozen=True)
class SRGANConfig:
    scale: int = 4
    num_blocks: int = 5
    channels: int = 64

    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {"scale": (2, 8), "num_blocks": (0, 512), "channels": (1, 1024)}

    def __post_init__(self) -> None:
        check_limits(self)
        if self.scale & (self.scale - 1):
            raise ValueError(f"SRGAN scales by x2 stages: scale {self.scale} is not a power of 2")


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels)
        self.prelu = nn.PReLU()
        self.conv2, self.bn2 = nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.bn2(self.conv2(self.prelu(self.bn1(self.conv1(x)))))


class UpsampleBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels * 4, 3, padding=1)
        self.pixel_shuffle = nn.PixelShuffle(2)
        self.prelu = nn.PReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.prelu(self.pixel_shuffle(self.conv(x)))


class SRGAN(nn.Module):
    """Input (B, 3, H, W) in [0, 1]; output (B, 3, H*s, W*s) in [0, 1]."""

    multiple_of = 1

    def __init__(self, config: SRGANConfig = SRGANConfig()):
        super().__init__()
        self.config = config
        width, blocks = config.channels, config.num_blocks
        self.block1 = nn.Sequential(nn.Conv2d(3, width, 9, padding=4), nn.PReLU())
        for index in range(blocks):  # block2 ... block<blocks + 1>, as the release names them
            setattr(self, f"block{index + 2}", ResidualBlock(width))
        setattr(self, f"block{blocks + 2}", nn.Sequential(nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width)))
        stages = [UpsampleBlock(width) for _ in range(config.scale.bit_length() - 1)]
        setattr(self, f"block{blocks + 3}", nn.Sequential(*stages, nn.Conv2d(width, 3, 9, padding=4)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        blocks = self.config.num_blocks
        head = self.block1(x)
        out = head
        for index in range(blocks):
            out = getattr(self, f"block{index + 2}")(out)
        out = getattr(self, f"block{blocks + 2}")(out)
        return (torch.tanh(getattr(self, f"block{blocks + 3}")(head + out)) + 1) / 2

    @property
    def receptive_radius(self) -> int:
        return srgan_receptive_radius(self.config.num_blocks, self.config.scale)


def srgan_receptive_radius(num_blocks: int, scale: int) -> int:
    """LR pixels of context per output pixel of SRGAN's layout (Swift-SRGAN's too), rounded up: 4 (9x9 head) + 2 per
    residual block + 1, one 3x3 conv per x2 stage (1 LR pixel, then 1/2, ...) and the 9x9 tail at HR (4 / scale)."""
    stages = scale.bit_length() - 1
    upsampling = sum(1 / 2**i for i in range(stages)) + 4 / scale
    return 4 + 2 * num_blocks + 1 + int(-(-upsampling // 1))
