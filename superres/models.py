"""SRResNet (Ledig et al. 2017) and the BN-free MSRResNet variant, built from one frozen config."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from common.core.config import check_limits
from common.nn.blocks import PixelShuffleUpsampler, ResidualBlock, conv, init_kaiming_scaled_, make_activation, make_norm

MODEL_KIND = "srresnet"


@dataclass(frozen=True)
class SRResNetConfig:
    """Architecture of an SRResNet-family generator.

    The defaults are the paper's x4 SRResNet (1,549,462 parameters). :func:`msrresnet_config` gives BasicSR's
    BN-free MSRResNet (1,517,571 parameters at x4).

    Attributes:
        scale: 2, 3, 4 or 8.
        num_blocks / channels: residual blocks and feature width.
        batch_norm: BN inside the blocks and after the post-residual conv (paper) or none.
        head_kernel / tail_kernel: first and last conv kernel sizes (9 in the paper, 3 in MSRResNet).
        activation: after the head and each upsampling step (``prelu`` or ``leaky_relu_0.1``).
        block_activation: between the two convs of a block (``prelu`` paper, ``relu`` MSRResNet).
        post_residual_conv: the paper's conv(+BN) after the blocks with the long skip from the head.
        hr_conv: MSRResNet's conv + activation at HR before the last conv.
        global_residual: add the bilinearly upscaled input to the output (MSRResNet).
        upsampler: ``progressive`` (x2 conv + PixelShuffle steps, as the paper) or ``lr_shuffle`` (the last conv
            outputs C*scale^2 channels at LR and one PixelShuffle makes the HR image, as ESPCN: all compute at LR,
            several times cheaper; used by the CPU-trained default model).
    """

    scale: int = 4
    in_channels: int = 3
    num_blocks: int = 16
    channels: int = 64
    batch_norm: bool = True
    head_kernel: int = 9
    tail_kernel: int = 9
    activation: str = "prelu"
    block_activation: str = "prelu"
    post_residual_conv: bool = True
    hr_conv: bool = False
    global_residual: bool = False
    upsampler: str = "progressive"

    # Bounds on sizes read from files or options: checked before anything is built.
    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {
        "scale": (1, 8), "in_channels": (1, 4), "num_blocks": (0, 512), "channels": (1, 1024), "head_kernel": (1, 15), "tail_kernel": (1, 15),
    }

    def __post_init__(self) -> None:
        check_limits(self)


def srresnet_paper_config(scale: int = 4, num_blocks: int = 16, channels: int = 64) -> SRResNetConfig:
    return SRResNetConfig(scale=scale, num_blocks=num_blocks, channels=channels)


def msrresnet_config(scale: int = 4, num_blocks: int = 16, channels: int = 64) -> SRResNetConfig:
    return SRResNetConfig(
        scale=scale, num_blocks=num_blocks, channels=channels, batch_norm=False, head_kernel=3, tail_kernel=3,
        activation="leaky_relu_0.1", block_activation="relu", post_residual_conv=False, hr_conv=True, global_residual=True,
    )


def lr_shuffle_config(scale: int = 4, num_blocks: int = 8, channels: int = 48) -> SRResNetConfig:
    """BN-free network computing everything at LR resolution (the embedded default's family)."""
    return SRResNetConfig(
        scale=scale, num_blocks=num_blocks, channels=channels, batch_norm=False, head_kernel=3, tail_kernel=3,
        activation="leaky_relu_0.1", block_activation="relu", post_residual_conv=True, hr_conv=False,
        global_residual=True, upsampler="lr_shuffle",
    )


class SRResNet(nn.Module):
    """Super-resolution generator.

    Input (B, C, H, W) in [0, 1]; output (B, C, H*scale, W*scale), approximately [0, 1] (clamp before use).
    """

    multiple_of = 1  # any input size works

    def __init__(self, config: SRResNetConfig = SRResNetConfig()):
        super().__init__()
        self.config = config
        width, norm = config.channels, "batch" if config.batch_norm else "none"
        self.head = nn.Sequential(conv(config.in_channels, width, config.head_kernel), make_activation(config.activation, width))
        # The paper counts conv biases even where BatchNorm follows (1,549,462 parameters), so keep them.
        self.body = nn.Sequential(*[ResidualBlock(width, norm, config.block_activation, conv_bias=True) for _ in range(config.num_blocks)])
        self.post_residual = nn.Sequential(conv(width, width, 3), make_norm(norm, width)) if config.post_residual_conv else None
        self.hr = nn.Sequential(conv(width, width, 3), make_activation(config.activation, width)) if config.hr_conv else None
        if config.upsampler == "progressive":
            self.upsample = PixelShuffleUpsampler(config.scale, width, config.activation)
            self.tail = conv(width, config.in_channels, config.tail_kernel)
        elif config.upsampler == "lr_shuffle":
            self.upsample = nn.Identity()
            self.tail = nn.Sequential(conv(width, config.in_channels * config.scale**2, config.tail_kernel), nn.PixelShuffle(config.scale))
        else:
            raise ValueError(f"unknown upsampler {config.upsampler!r}; expected 'progressive' or 'lr_shuffle'")
        if not config.batch_norm:
            init_kaiming_scaled_(self, 0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.head(x)
        body = self.body(features)
        if self.post_residual is not None:
            body = self.post_residual(body) + features
        out = self.upsample(body)
        if self.hr is not None:
            out = self.hr(out)
        out = self.tail(out)
        if self.config.global_residual:
            out = out + F.interpolate(x, scale_factor=self.config.scale, mode="bilinear", align_corners=False)
        return out

    @property
    def receptive_radius(self) -> int:
        """Pixels of LR context each output pixel depends on, rounded up (used to size tile pads)."""
        c = self.config
        radius = c.head_kernel // 2 + 2 * c.num_blocks + int(c.post_residual_conv)
        if c.upsampler == "lr_shuffle":
            return radius + c.tail_kernel // 2 + 1
        radius += 1 + (1 if c.scale in (4, 8) else 0) + (1 if c.scale == 8 else 0)  # upsampling convs
        radius += (int(c.hr_conv) + c.tail_kernel // 2 + c.scale - 1) // c.scale + 1  # +1 for the bilinear residual
        return radius
