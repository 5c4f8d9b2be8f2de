"""CycleGAN's ResNet generator (Johnson et al.), faithful to the reference implementation."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from common.core.config import check_limits
from common.nn.blocks import ResidualBlock, init_normal_, make_norm

MODEL_KIND = "resnet_generator"


@dataclass(frozen=True)
class ResnetGeneratorConfig:
    """c7s1-ngf, d2ngf, d4ngf, R4ngf x n_blocks, u2ngf, ungf, c7s1-out.

    Attributes:
        n_blocks: 9 (11,378,179 parameters at ngf 64, 3->3) or 6 (7,837,699).
        norm: ``instance`` (reference), ``batch`` or ``none``.
        upsample: ``transpose`` (reference ConvTranspose 3x3 s2) or ``resize_conv`` (nearest x2 + conv 3x3,
            free of checkerboard artefacts; same parameter count).
        residual_output: ``tanh(f(x) + atanh(x))`` instead of ``tanh(f(x))``: the generator starts at the
            identity and learns only the change, so content survives from the first step (no extra parameters;
            off in the reference).
        input_skip: the last conv sees the input beside the features, so maps linear in the input (a colour
            matrix, a tone slope in ``atanh`` space, a blur or sharpening filter) are one layer deep instead of
            having to pass instance normalisation, which removes each image's brightness and contrast
            (``in_channels`` x ``out_channels`` x 49 more weights; off in the reference).
        input_skip_gain: the input reaches the last conv multiplied by this, and that conv's weights on it start
            divided by it: the same function at the start, but Adam, whose steps have a fixed size per weight,
            moves this path ``input_skip_gain`` times faster (an equalised learning rate, Karras et al. 2018). A
            blur or a strong tone curve needs single weights near 1, which at 2e-4 per step takes thousands of
            steps with a gain of 1.
    """

    in_channels: int = 3
    out_channels: int = 3
    ngf: int = 64
    n_blocks: int = 9
    norm: str = "instance"
    upsample: str = "transpose"
    residual_output: bool = False
    input_skip: bool = False
    input_skip_gain: float = 1.0

    # Bounds on sizes read from files or options: checked before anything is built.
    LIMITS: ClassVar[dict[str, tuple[int, int]]] = {
        "in_channels": (1, 4), "out_channels": (1, 4), "ngf": (1, 1024), "n_blocks": (0, 512),
    }

    def __post_init__(self) -> None:
        check_limits(self)


class ResnetGenerator(nn.Module):
    """Input (B, C, H, W) in [-1, 1] with H, W multiples of 4; output (B, C_out, H, W) in [-1, 1] (tanh)."""

    def __init__(self, config: ResnetGeneratorConfig = ResnetGeneratorConfig()):
        super().__init__()
        if config.upsample not in ("transpose", "resize_conv"):
            raise ValueError(f"unknown upsample {config.upsample!r}; expected transpose or resize_conv")
        self.config = config
        ngf, norm = config.ngf, config.norm
        bias = norm != "batch"
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3), nn.Conv2d(config.in_channels, ngf, 7, bias=bias), make_norm(norm, ngf), nn.ReLU(True),
        ]
        for factor in (1, 2):
            layers += [nn.Conv2d(ngf * factor, ngf * factor * 2, 3, 2, 1, bias=bias), make_norm(norm, ngf * factor * 2), nn.ReLU(True)]
        layers += [ResidualBlock(ngf * 4, norm, "relu", padding_mode="reflect", conv_bias=bias) for _ in range(config.n_blocks)]
        for factor in (4, 2):
            if config.upsample == "transpose":
                layers.append(nn.ConvTranspose2d(ngf * factor, ngf * factor // 2, 3, 2, 1, output_padding=1, bias=bias))
            else:
                layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.ReflectionPad2d(1), nn.Conv2d(ngf * factor, ngf * factor // 2, 3, bias=bias)]
            layers += [make_norm(norm, ngf * factor // 2), nn.ReLU(True)]
        skip = config.in_channels if config.input_skip else 0
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf + skip, config.out_channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)
        init_normal_(self)
        if config.input_skip:
            with torch.no_grad():
                self.model[-2].weight[:, ngf:] /= config.input_skip_gain

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.config.input_skip:
            features = torch.cat([self.model[:-3](x), x * self.config.input_skip_gain], dim=1)
            change = self.model[-2](self.model[-3](features))  # pad, conv; the tanh comes below
        else:
            change = self.model[:-1](x)  # everything but the final tanh
        if not self.config.residual_output:
            return torch.tanh(change)
        return torch.tanh(change + torch.atanh(x.clamp(-0.999, 0.999)))
