"""Real-ESRGAN's U-Net discriminator with spectral normalisation (Wang et al., ICCVW 2021).

It scores every pixel instead of the whole image, so it tells the generator *where* a result looks fake: three
stride-2 convs down, three bilinear x2 upsamplings back with skip connections, two more convs, one output
channel. With 64 base channels and RGB input it has 4,376,897 parameters, as the released
``UNetDiscriminatorSN(3, 64)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm


@dataclass(frozen=True)
class UNetDiscriminatorConfig:
    in_channels: int = 3
    base_channels: int = 64
    skip_connection: bool = True

    def size_multiple(self) -> int:
        """Input sides must be multiples of this (three halvings, then three doublings back)."""
        return 8


def _sn_conv(in_channels: int, out_channels: int, kernel: int, stride: int) -> nn.Module:
    return spectral_norm(nn.Conv2d(in_channels, out_channels, kernel, stride, 1, bias=False))


class UNetDiscriminator(nn.Module):
    """Input (B, C, H, W) in [0, 1] with H, W multiples of 8; output (B, 1, H, W) raw per-pixel scores."""

    def __init__(self, config: UNetDiscriminatorConfig = UNetDiscriminatorConfig()):
        super().__init__()
        self.config = config
        f = config.base_channels
        self.conv0 = nn.Conv2d(config.in_channels, f, 3, 1, 1)
        self.conv1, self.conv2, self.conv3 = _sn_conv(f, f * 2, 4, 2), _sn_conv(f * 2, f * 4, 4, 2), _sn_conv(f * 4, f * 8, 4, 2)
        self.conv4, self.conv5, self.conv6 = _sn_conv(f * 8, f * 4, 3, 1), _sn_conv(f * 4, f * 2, 3, 1), _sn_conv(f * 2, f, 3, 1)
        self.conv7, self.conv8 = _sn_conv(f, f, 3, 1), _sn_conv(f, f, 3, 1)
        self.conv9 = nn.Conv2d(f, 1, 3, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        multiple = self.config.size_multiple()
        if x.shape[-2] % multiple or x.shape[-1] % multiple:
            raise ValueError(f"UNetDiscriminator needs sides that are multiples of {multiple}, got {tuple(x.shape[-2:])}")
        act = lambda t: F.leaky_relu(t, 0.2)  # noqa: E731
        x0 = act(self.conv0(x))
        x1 = act(self.conv1(x0))
        x2 = act(self.conv2(x1))
        x3 = act(self.conv3(x2))
        x4 = act(self.conv4(_up(x3)))
        x4 = x4 + x2 if self.config.skip_connection else x4
        x5 = act(self.conv5(_up(x4)))
        x5 = x5 + x1 if self.config.skip_connection else x5
        x6 = act(self.conv6(_up(x5)))
        x6 = x6 + x0 if self.config.skip_connection else x6
        return self.conv9(act(self.conv8(act(self.conv7(x6)))))


def _up(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
