"""VGG19 feature (perceptual) loss with torchvision's ImageNet weights.

The weights come from torchvision's normal cache (``$TORCH_HOME/hub/checkpoints/vgg19-dcbb9e9d.pth``) or from
a path the user gives. They are never downloaded silently and never replaced by random weights: when they are
absent, :class:`VGGWeightsMissing` says how to get them. Tests that only check the wiring build the module with
:meth:`PerceptualLoss.with_random_weights_for_tests`, whose name says what it is.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from common.core.errors import UserError

VGG19_FILENAME = "vgg19-dcbb9e9d.pth"
# Index of each named layer's conv output (before its ReLU) in torchvision's vgg19().features.
VGG19_LAYERS = {"conv1_2": 2, "conv2_2": 7, "conv3_4": 16, "conv4_4": 25, "conv5_4": 34}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class VGGWeightsMissing(UserError):
    pass


def default_vgg19_path() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / VGG19_FILENAME


def load_vgg19_features(weights_path: str | os.PathLike | None = None, last_layer: str = "conv5_4") -> nn.Sequential:
    """VGG19 feature extractor up to ``last_layer`` (before its ReLU) with ImageNet weights, frozen, in eval mode.

    Raises:
        VGGWeightsMissing: the weights file is absent or unreadable.
    """
    path = Path(weights_path) if weights_path else default_vgg19_path()
    if not path.is_file():
        raise VGGWeightsMissing(
            f"{path}: VGG19 ImageNet weights not found (needed for the perceptual loss). On a machine with internet run "
            "`python -c \"import torchvision; torchvision.models.vgg19(weights='IMAGENET1K_V1')\"` and copy "
            f"~/.cache/torch/hub/checkpoints/{VGG19_FILENAME} here, or pass --vgg-weights PATH"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt file, wrong format
        raise VGGWeightsMissing(f"{path}: cannot load VGG19 weights ({exc})") from None
    vgg = torchvision.models.vgg19(weights=None)
    vgg.load_state_dict(state)
    return _truncate(vgg.features, last_layer)


def _truncate(features: nn.Sequential, last_layer: str) -> nn.Sequential:
    if last_layer not in VGG19_LAYERS:
        raise ValueError(f"unknown VGG19 layer {last_layer!r}; expected one of {sorted(VGG19_LAYERS)}")
    trunk = nn.Sequential(*list(features.children())[: VGG19_LAYERS[last_layer] + 1]).eval()
    for parameter in trunk.parameters():
        parameter.requires_grad_(False)
    return trunk


def perceptual_distance(features: nn.Module, prediction: torch.Tensor, target: torch.Tensor, criterion: str = "l1") -> torch.Tensor:
    """Distance between VGG features of two (B, 3, H, W) images in [0, 1] (ImageNet-normalised inside)."""
    mean = torch.tensor(IMAGENET_MEAN, device=prediction.device, dtype=prediction.dtype).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=prediction.device, dtype=prediction.dtype).view(1, 3, 1, 1)
    pred_features = features((prediction - mean) / std)
    with torch.no_grad():
        target_features = features((target - mean) / std)
    if criterion == "l1":
        return F.l1_loss(pred_features, target_features)
    if criterion == "mse":
        return F.mse_loss(pred_features, target_features)
    raise ValueError(f"unknown criterion {criterion!r}")


class PerceptualLoss(nn.Module):
    """Module wrapper: ``loss(prediction, target)`` with (B, 3, H, W) inputs in [0, 1]."""

    def __init__(self, features: nn.Sequential, criterion: str = "l1"):
        super().__init__()
        self.features = features
        self.criterion = criterion

    @classmethod
    def from_pretrained(cls, weights_path: str | os.PathLike | None = None, last_layer: str = "conv5_4", criterion: str = "l1") -> "PerceptualLoss":
        return cls(load_vgg19_features(weights_path, last_layer), criterion)

    @classmethod
    def with_random_weights_for_tests(cls, last_layer: str = "conv5_4") -> "PerceptualLoss":
        """Random VGG19 weights: exercises the wiring only; this is NOT a perceptual loss."""
        return cls(_truncate(torchvision.models.vgg19(weights=None).features, last_layer))

    def train(self, mode: bool = True) -> "PerceptualLoss":
        super().train(mode)
        self.features.eval()  # frozen feature extractor stays in eval mode
        return self

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return perceptual_distance(self.features, prediction, target, self.criterion)
