"""The SR generator families gansuite builds, and the explicit table that maps a saved ``kind`` to them.

- ``srresnet``: SRResNet / MSRResNet / the LR-shuffle default (:mod:`superres.models`);
- ``rrdbnet``: ESRGAN / Real-ESRGAN's RRDBNet (:mod:`superres.rrdbnet`);
- ``srvgg_compact``: Real-ESRGAN's SRVGGNetCompact (:mod:`superres.compact`);
- ``swift_srgan``: Swift-SRGAN's depthwise-separable SRGAN generator (:mod:`superres.swift_srgan`);
- ``srgan``: the SRGAN generator as the popular PyTorch release lays it out (:mod:`superres.srgan`).
"""
from __future__ import annotations

from typing import Union

from torch import nn

from common.core.errors import UserError
from superres import compact, models, rrdbnet, srgan, swift_srgan
from superres.compact import CompactConfig, CompactSR
from superres.models import SRResNet, SRResNetConfig
from superres.rrdbnet import RRDBNet, RRDBNetConfig
from superres.srgan import SRGAN, SRGANConfig
from superres.swift_srgan import SwiftSRGAN, SwiftSRGANConfig

SRConfig = Union[SRResNetConfig, RRDBNetConfig, CompactConfig, SwiftSRGANConfig, SRGANConfig]
SRModel = Union[SRResNet, RRDBNet, CompactSR, SwiftSRGAN, SRGAN]

# kind saved with the weights -> (config class, model class)
ARCHITECTURES: dict[str, tuple[type, type[nn.Module]]] = {
    models.MODEL_KIND: (SRResNetConfig, SRResNet),
    rrdbnet.MODEL_KIND: (RRDBNetConfig, RRDBNet),
    compact.MODEL_KIND: (CompactConfig, CompactSR),
    swift_srgan.MODEL_KIND: (SwiftSRGANConfig, SwiftSRGAN),
    srgan.MODEL_KIND: (SRGANConfig, SRGAN),
}


def model_kind(config: SRConfig) -> str:
    """The ``kind`` string saved beside weights built from ``config``."""
    for kind, (config_class, _) in ARCHITECTURES.items():
        if isinstance(config, config_class):
            return kind
    raise TypeError(f"not an SR config: {type(config).__name__}")


def build_sr_model(config: SRConfig) -> SRModel:
    """The generator of ``config`` (freshly initialised).

    Raises:
        UserError: a size the architecture cannot be built with (e.g. RRDBNet at x3).
    """
    try:
        return ARCHITECTURES[model_kind(config)][1](config)
    except ValueError as exc:
        raise UserError(f"cannot build this model: {exc}") from None


def rrdbnet_config(scale: int = 4, num_blocks: int = 23, channels: int = 64) -> RRDBNetConfig:
    """ESRGAN / RealESRGAN_x4plus (x2 and x1 pixel-unshuffle the input first)."""
    if scale not in (1, 2, 4):
        raise UserError(f"--scale {scale}: RRDBNet is built for x1, x2 or x4")
    return RRDBNetConfig(scale=scale, num_blocks=num_blocks, num_features=channels)


def compact_config(scale: int = 4, num_blocks: int = 32, channels: int = 64) -> CompactConfig:
    """realesr-general-x4v3 (``num_blocks`` counts the hidden convs; 16 is realesr-animevideov3)."""
    return CompactConfig(scale=scale, num_convs=num_blocks, num_features=channels)
