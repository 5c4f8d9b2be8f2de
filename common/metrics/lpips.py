"""LPIPS (Zhang et al., CVPR 2018), VGG variant, v0.1: distance between two images as people judge it.

``LPIPS(x, y) = sum_l mean_hw( w_l . (n(phi_l(x)) - n(phi_l(y)))^2 )`` with ``phi_l`` the VGG16 ReLU outputs
relu1_2, relu2_2, relu3_3, relu4_3, relu5_3, ``n`` a unit-length normalisation over channels and ``w_l`` the
learned non-negative head of each layer. Lower is closer; 0 for identical images.

The heads come from ``--lpips-weights PATH`` or the ``lpips`` package's own ``weights/v0.1/vgg.pth`` when it is
installed; the VGG16 from ``--vgg-weights PATH`` or torchvision's cache (``common.backbones.vgg``). The package
scales [-1, 1] input by its ScalingLayer, which is exactly ImageNet normalisation of [0, 1] input, as done here.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from common.backbones.vgg import layer_indices, load_vgg_features, named_features
from common.core.errors import UserError
from common.metrics.reference_files import given_or_packaged

LPIPS_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3")
LPIPS_CHANNELS = (64, 128, 256, 512, 512)


def find_lpips_heads(path: str | os.PathLike | None = None) -> Path:
    """``path``, else the installed ``lpips`` package's v0.1 VGG heads; a :class:`UserError` says how to get them."""
    return given_or_packaged(path, "--lpips-weights", "LPIPS weights", "lpips", "weights/v0.1/vgg.pth",
                             "LPIPS needs its VGG heads: `pip install lpips` (the file ships inside it), or pass --lpips-weights "
                             "PATH to a copy of lpips/weights/v0.1/vgg.pth")


def load_lpips_heads(path: Path) -> list[torch.Tensor]:
    """The five non-negative (C,) channel weights, checked for names and shapes."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt, or not plain tensors
        raise UserError(f"{path}: cannot read LPIPS weights ({type(exc).__name__}: {exc})") from None
    heads = []
    for index, channels in enumerate(LPIPS_CHANNELS):
        key = f"lin{index}.model.1.weight"
        tensor = state.get(key) if isinstance(state, dict) else None
        if not isinstance(tensor, torch.Tensor) or tuple(tensor.shape) != (1, channels, 1, 1):
            raise UserError(f"{path}: not the LPIPS v0.1 VGG heads ({key} of shape (1, {channels}, 1, 1) expected)")
        heads.append(tensor.float().flatten())
    return heads


def _unit(features: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    return features / (features.pow(2).sum(dim=1, keepdim=True).sqrt() + eps)


def lpips_features(trunk: nn.Sequential, x: torch.Tensor) -> list[torch.Tensor]:
    """The five unit-normalised VGG16 feature maps of (B, 3, H, W) images in [0, 1]: compute once per reference
    image when many candidates are scored against it."""
    features = named_features(trunk, layer_indices("vgg16"), x, LPIPS_LAYERS)
    return [_unit(features[name]) for name in LPIPS_LAYERS]


def lpips_from_features(fx: list[torch.Tensor], fy: list[torch.Tensor], heads: list[torch.Tensor]) -> torch.Tensor:
    """LPIPS (B,) from two sets of :func:`lpips_features`."""
    total = torch.zeros(fx[0].shape[0], device=fx[0].device, dtype=fx[0].dtype)
    for a, b, head in zip(fx, fy, heads):
        squared = (a - b).pow(2)
        total = total + (squared * head.to(squared).view(1, -1, 1, 1)).sum(dim=1).mean(dim=(1, 2))
    return total


def lpips_distance(trunk: nn.Sequential, heads: list[torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """LPIPS of each pair: (B,) for (B, 3, H, W) images in [0, 1] (``trunk``: VGG16 up to relu5_3)."""
    return lpips_from_features(lpips_features(trunk, x), lpips_features(trunk, y), heads)


class LPIPS(nn.Module):
    """``lpips(x, y) -> (B,)``, inputs (B, 3, H, W) in [0, 1]; frozen, eval mode."""

    def __init__(self, trunk: nn.Sequential, heads: list[torch.Tensor]):
        super().__init__()
        self.trunk = trunk
        for index, head in enumerate(heads):
            self.register_buffer(f"head{index}", head)

    @classmethod
    def from_files(cls, heads: str | os.PathLike | None = None, vgg_weights: str | os.PathLike | None = None) -> "LPIPS":
        head_weights = load_lpips_heads(find_lpips_heads(heads))  # the small file first: its error comes before VGG's
        _, trunk = load_vgg_features(vgg_weights, "relu5_3", arch="vgg16")
        return cls(trunk, head_weights)

    @property
    def heads(self) -> list[torch.Tensor]:
        return [getattr(self, f"head{i}") for i in range(len(LPIPS_LAYERS))]

    @torch.no_grad()
    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        return lpips_features(self.trunk, x)

    @torch.no_grad()
    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return lpips_distance(self.trunk, self.heads, x, y)
