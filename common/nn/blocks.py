"""Building blocks shared by the generators and discriminators: conv/norm/activation factories, residual
blocks, the PixelShuffle upsampler, and the N(0, 0.02) initialisation used by CycleGAN."""
from __future__ import annotations

import torch
from torch import nn

NORMS = ("batch", "instance", "none")
ACTIVATIONS = ("relu", "prelu", "prelu_channel", "leaky_relu", "leaky_relu_0.1", "tanh", "none")


def make_norm(kind: str, channels: int) -> nn.Module:
    """``batch`` | ``instance`` (affine=False, no running stats, as CycleGAN) | ``none``."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}; expected one of {NORMS}")


def make_activation(kind: str, channels: int = 1) -> nn.Module:
    """``relu`` | ``prelu`` (one slope) | ``prelu_channel`` | ``leaky_relu`` (0.2) | ``leaky_relu_0.1`` | ``tanh`` | ``none``."""
    factories = {
        "relu": lambda: nn.ReLU(inplace=True),
        "prelu": lambda: nn.PReLU(),
        "prelu_channel": lambda: nn.PReLU(channels),
        "leaky_relu": lambda: nn.LeakyReLU(0.2, inplace=True),
        "leaky_relu_0.1": lambda: nn.LeakyReLU(0.1, inplace=True),
        "tanh": nn.Tanh,
        "none": nn.Identity,
    }
    if kind not in factories:
        raise ValueError(f"unknown activation {kind!r}; expected one of {ACTIVATIONS}")
    return factories[kind]()


def conv(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding_mode: str = "zeros", bias: bool = True) -> nn.Conv2d:
    """Conv2d with 'same' padding for odd kernels (``padding_mode`` zeros or reflect)."""
    return nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, bias=bias, padding_mode=padding_mode)


def conv_norm_act(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, norm: str = "none", activation: str = "relu", padding_mode: str = "zeros") -> nn.Sequential:
    """Conv -> norm -> activation. The conv keeps its bias unless BatchNorm follows (InstanceNorm without
    affine removes the bias's effect too, but the reference keeps it, and parameter counts must match)."""
    layers: list[nn.Module] = [conv(in_channels, out_channels, kernel_size, stride, padding_mode, bias=norm != "batch")]
    layers += [make_norm(norm, out_channels), make_activation(activation, out_channels)]
    return nn.Sequential(*layers)


class ResidualBlock(nn.Module):
    """``x + body(x)`` with body = conv-norm-act-conv-norm (no activation after the add).

    Args:
        channels: feature channels, kept constant.
        norm: ``batch`` (SRResNet), ``instance`` (CycleGAN) or ``none`` (MSRResNet).
        activation: activation between the two convs.
        padding_mode: ``zeros`` (SR) or ``reflect`` (CycleGAN).
        res_scale: multiplier on the body output (1.0 in all paper models).
    """

    def __init__(self, channels: int, norm: str = "none", activation: str = "relu", padding_mode: str = "zeros", res_scale: float = 1.0, conv_bias: bool | None = None):
        super().__init__()
        bias = norm != "batch" if conv_bias is None else conv_bias
        self.body = nn.Sequential(
            conv(channels, channels, 3, padding_mode=padding_mode, bias=bias),
            make_norm(norm, channels),
            make_activation(activation, channels),
            conv(channels, channels, 3, padding_mode=padding_mode, bias=bias),
            make_norm(norm, channels),
        )
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) * self.res_scale if self.res_scale != 1.0 else x + self.body(x)


class PixelShuffleUpsampler(nn.Sequential):
    """Sub-pixel upsampling: x2 steps of [conv(C, 4C), PixelShuffle(2), act] for scales 2/4/8, one x3 step for 3.

    Args:
        scale: 2, 3, 4 or 8.
        channels: feature channels in and out.
        activation: activation after each shuffle (``prelu`` in SRResNet, ``leaky_relu_0.1`` in MSRResNet).
    """

    def __init__(self, scale: int, channels: int, activation: str = "prelu"):
        if scale not in (2, 3, 4, 8):
            raise ValueError(f"scale must be 2, 3, 4 or 8, got {scale}")
        factors = [3] if scale == 3 else [2] * {2: 1, 4: 2, 8: 3}[scale]
        layers: list[nn.Module] = []
        for factor in factors:
            layers += [conv(channels, channels * factor * factor, 3), nn.PixelShuffle(factor), make_activation(activation, channels)]
        super().__init__(*layers)


def init_normal_(module: nn.Module, std: float = 0.02) -> None:
    """CycleGAN init: conv/linear weights N(0, std), biases 0; norm weights N(1, std)."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(layer.weight, 0.0, std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, (nn.BatchNorm2d, nn.InstanceNorm2d)) and layer.weight is not None:
            nn.init.normal_(layer.weight, 1.0, std)
            nn.init.zeros_(layer.bias)


def init_kaiming_scaled_(module: nn.Module, scale: float = 0.1) -> None:
    """MSRResNet/EDSR init: Kaiming-normal weights scaled by ``scale`` (stabilises deep residual stacks)."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(layer.weight, a=0, mode="fan_in")
            layer.weight.data.mul_(scale)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def fold_batch_norm(module: nn.Module) -> nn.Module:
    """Merge every Conv2d directly followed by BatchNorm2d (inside a Sequential) into one conv, in place.

    Only valid for inference (the BN running statistics are frozen into the conv). Returns ``module``.
    """
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    for child in module.modules():
        if not isinstance(child, nn.Sequential):
            continue
        names = list(child._modules)
        for first, second in zip(names, names[1:]):
            conv_layer, norm_layer = child._modules[first], child._modules[second]
            if isinstance(conv_layer, nn.Conv2d) and isinstance(norm_layer, nn.BatchNorm2d) and norm_layer.track_running_stats:
                child._modules[first] = fuse_conv_bn_eval(conv_layer.eval(), norm_layer.eval())
                child._modules[second] = nn.Identity()
    return module
