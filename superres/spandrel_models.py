"""Every other architecture through spandrel (chaiNNer's and ComfyUI's model loader): the fallback after our own
importers, which stay first because they are exact and know their receptive radius.

We read the file ourselves (``torch.load(weights_only=True)`` or safetensors, never an unpickler that runs code)
and hand the state dict to spandrel's detection (about 40 architectures: SwinIR, HAT, DAT, SPAN, OmniSR, DITN,
DnCNN, ...). The network then runs through our engine like any other: tiles (with :data:`STATED_OVERLAP` input
pixels of context, since these networks' receptive fields are not computed here; attention windows make some
of them image-wide), alpha, grey, 16-bit, metadata, folders, ``--outscale``, and ONNX where it exports.
A grey (1-channel) model gets the image's BT.601 luma and returns grey, replicated to RGB for the engine.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from common.core.config import config_to_dict
from common.core.console import log
from common.core.errors import UserError

MODEL_KIND = "spandrel"
STATED_OVERLAP = 32  # input pixels of context per tile for architectures without a known radius


@dataclass(frozen=True)
class SpandrelConfig:
    architecture: str
    scale: int
    in_channels: int
    out_channels: int
    multiple_of: int = 1


class SpandrelSR(nn.Module):
    """Adapter: (B, 3, H, W) in [0, 1] -> (B, 3, H*s, W*s) in [0, 1] around a spandrel ``ImageModelDescriptor``
    (padding to its size requirements and cropping back, as spandrel's own call does)."""

    def __init__(self, descriptor: Any):
        super().__init__()
        self.descriptor = descriptor
        self.network = descriptor.model
        self.config = SpandrelConfig(descriptor.architecture.name, descriptor.scale, descriptor.input_channels,
                                     descriptor.output_channels, descriptor.size_requirements.multiple_of)
        self.multiple_of = self.config.multiple_of
        self.receptive_radius = STATED_OVERLAP

    # Their code is written for tracing (chaiNNer exports it that way); torch.export crashes on some of it.
    onnx_legacy_export = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.config.in_channels == 1:
            x = 0.299 * x[:, :1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]
        height, width = x.shape[-2:]
        if not torch.onnx.is_in_onnx_export():  # an exported graph leaves the padding to its caller (tile_multiple)
            x = _pad(x, *self.descriptor.size_requirements.get_padding(width, height))
        out = self.network(x).clamp(0, 1)[..., : height * self.config.scale, : width * self.config.scale]
        return out.expand(-1, 3, -1, -1) if out.shape[1] == 1 else out[:, :3]


def _pad(x: torch.Tensor, pad_w: int, pad_h: int) -> torch.Tensor:
    """Bottom/right padding as spandrel pads: mirrored as far as the image allows, then edge pixels repeated."""
    if not (pad_w or pad_h):
        return x
    reflect_w, reflect_h = min(pad_w, x.shape[-1] - 1), min(pad_h, x.shape[-2] - 1)
    x = torch.nn.functional.pad(x, (0, reflect_w, 0, reflect_h), "reflect")
    return torch.nn.functional.pad(x, (0, pad_w - reflect_w, 0, pad_h - reflect_h), "replicate")


def load_with_spandrel(state: dict[str, torch.Tensor], path: str, where: str) -> tuple[SpandrelSR, dict[str, Any]]:
    """(adapter in eval mode, frozen; metadata) for a state dict none of our importers knows.

    Raises:
        UserError: spandrel is not installed, does not recognise the keys, or recognises a model that is not an
            image-to-image one (inpainting, face restoration with extra inputs).
    """
    try:
        from spandrel import ImageModelDescriptor, ModelLoader, UnsupportedModelError
    except ImportError:
        raise UserError(f"{path}: not an architecture our importers know; `pip install spandrel` adds about 40 more") from None
    try:
        descriptor = ModelLoader(device="cpu").load_from_state_dict(state)
    except UnsupportedModelError:
        keys = ", ".join(list(state)[:4])
        raise UserError(f"{path}: architecture not recognised, by our importers or spandrel (keys look like {keys}, ...)") from None
    except Exception as exc:  # spandrel recognised the family but the shapes do not build it
        raise UserError(f"{path}: spandrel could not build this model ({type(exc).__name__}: {str(exc)[:160]})") from None
    if not isinstance(descriptor, ImageModelDescriptor):
        raise UserError(f"{path}: a {descriptor.architecture.name} model ({type(descriptor).__name__}) needs more than an image; "
                        "only image-to-image models upscale here")
    model = SpandrelSR(descriptor).eval().requires_grad_(False)
    if model.config.in_channels == 1:
        log(f"{path}: a grey model ({descriptor.architecture.name}): colour inputs go in as their luma and come out grey")
    meta = {"kind": MODEL_KIND, "config": config_to_dict(model.config), "task": "superres", "scale": model.config.scale,
            "source": str(path), "source_format": f"spandrel {descriptor.architecture.name} ({where})"}
    return model, meta
