"""Discriminators: PatchGAN (CycleGAN/pix2pix) and the SRGAN VGG-style classifier."""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from common.nn.blocks import init_normal_, make_norm


@dataclass(frozen=True)
class PatchGANConfig:
    """n_layers=3, ndf=64 is the 70x70 PatchGAN (2,764,737 parameters for 3 input channels)."""

    in_channels: int = 3
    ndf: int = 64
    n_layers: int = 3
    norm: str = "instance"

    def min_input_size(self) -> int:
        """Smallest input side that leaves a score map: n_layers halvings, then two 4x4 stride-1 convs (-1 each)."""
        return 3 * 2**self.n_layers


class PatchGANDiscriminator(nn.Module):
    """Fully convolutional discriminator scoring overlapping patches.

    Input (B, C, H, W) in [-1, 1]; output (B, 1, H', W') raw scores (30x30 for 256x256 with n_layers=3).
    """

    def __init__(self, config: PatchGANConfig = PatchGANConfig()):
        super().__init__()
        self.config = config
        ndf, use_bias = config.ndf, config.norm != "batch"
        layers: list[nn.Module] = [nn.Conv2d(config.in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        multiplier = 1
        for index in range(1, config.n_layers + 1):
            previous, multiplier = multiplier, min(2**index, 8)
            stride = 2 if index < config.n_layers else 1
            layers += [
                nn.Conv2d(ndf * previous, ndf * multiplier, 4, stride, 1, bias=use_bias),
                make_norm(config.norm, ndf * multiplier),
                nn.LeakyReLU(0.2, True),
            ]
        layers.append(nn.Conv2d(ndf * multiplier, 1, 4, 1, 1))
        self.model = nn.Sequential(*layers)
        init_normal_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


@dataclass(frozen=True)
class SRGANDiscriminatorConfig:
    """The SRGAN discriminator of Ledig et al.: 8 conv layers, Dense(1024), Dense(1), for 96x96 HR input."""

    in_channels: int = 3
    base_channels: int = 64
    input_size: int = 96
    batch_norm: bool = True


class SRGANDiscriminator(nn.Module):
    """Input (B, C, S, S) with S = ``input_size`` (the HR crop size), values in [0, 1]; output (B, 1) logits."""

    def __init__(self, config: SRGANDiscriminatorConfig = SRGANDiscriminatorConfig()):
        super().__init__()
        if config.input_size % 16:
            raise ValueError(f"input_size must be a multiple of 16, got {config.input_size}")
        self.config = config
        base = config.base_channels
        plan = [(base, 1), (base, 2), (base * 2, 1), (base * 2, 2), (base * 4, 1), (base * 4, 2), (base * 8, 1), (base * 8, 2)]
        layers: list[nn.Module] = []
        in_channels = config.in_channels
        for index, (out_channels, stride) in enumerate(plan):
            with_norm = index > 0 and config.batch_norm
            layers += [nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=not with_norm)]
            if with_norm:
                layers.append(make_norm("batch", out_channels))
            layers.append(nn.LeakyReLU(0.2, True))
            in_channels = out_channels
        self.features = nn.Sequential(*layers)
        spatial = config.input_size // 16
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_channels * spatial * spatial, 1024),
            nn.LeakyReLU(0.2, True),
            nn.Linear(1024, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = self.config.input_size
        if x.shape[-2:] != (size, size):
            raise ValueError(f"SRGANDiscriminator expects {size}x{size} input, got {tuple(x.shape[-2:])}")
        return self.classifier(self.features(x))
