"""Perceptual (VGG feature) loss: a weighted sum of distances between VGG features of two images.

Layer sets (before the ReLU, as ESRGAN and Real-ESRGAN take them):

- :data:`REALESRGAN_LAYERS`: five layers weighted 0.1/0.1/1/1/1 (Real-ESRGAN's second stage), L1;
- :data:`SRGAN_VGG54`: the last conv of block 5 alone (SRGAN's VGG54; use ``criterion="mse"`` for the paper).

The weights file decides VGG16 or VGG19 (``common.backbones.vgg``); a layer set is resolved for it by
:func:`layers_for`, and the resolved ``(name, weight)`` pairs are what a run saves in its config. Distances are
divided by the file's feature scale (1 for torchvision's VGGs, about 57.6 for VGGs converted from Caffe), so a
recipe's loss weights keep the balance they were published with whichever file is used.
"""
from __future__ import annotations

import os

import torch
import torch.nn.functional as F
from torch import nn

from common.backbones.vgg import (
    VGGWeightsMissing, feature_scale, find_vgg_weights, layer_indices, named_features, random_vgg_features_for_tests,
    read_vgg_state, trunk_from_state,
)
from common.core.errors import UserError

LayerWeights = tuple[tuple[str, float], ...]
REALESRGAN_LAYERS: dict[str, LayerWeights] = {
    "vgg19": (("conv1_2", 0.1), ("conv2_2", 0.1), ("conv3_4", 1.0), ("conv4_4", 1.0), ("conv5_4", 1.0)),
    "vgg16": (("conv1_2", 0.1), ("conv2_2", 0.1), ("conv3_3", 1.0), ("conv4_3", 1.0), ("conv5_3", 1.0)),
}
SRGAN_VGG54: dict[str, LayerWeights] = {"vgg19": (("conv5_4", 1.0),), "vgg16": (("conv5_3", 1.0),)}
LAYER_SETS = {"realesrgan": REALESRGAN_LAYERS, "vgg54": SRGAN_VGG54}
CRITERIA = ("l1", "mse")


def layers_for(layer_set: str, arch: str) -> LayerWeights:
    """The ``(layer, weight)`` pairs of a named set (``realesrgan`` or ``vgg54``) for ``vgg16`` or ``vgg19``."""
    if layer_set not in LAYER_SETS:
        raise UserError(f"--perceptual-layers {layer_set}: expected one of {', '.join(LAYER_SETS)}")
    return LAYER_SETS[layer_set][arch]


def _last_layer(arch: str, layers: LayerWeights) -> str:
    indices = layer_indices(arch)
    unknown = [name for name, _ in layers if name not in indices]
    if unknown:
        raise UserError(f"unknown {arch} layer(s) {', '.join(unknown)}; expected names like {', '.join(list(indices)[:4])}, ...")
    return max((name for name, _ in layers), key=indices.__getitem__)


def perceptual_distance(
    trunk: nn.Sequential, arch: str, layers: LayerWeights, prediction: torch.Tensor, target: torch.Tensor, criterion: str = "l1",
    scale: float = 1.0,
) -> torch.Tensor:
    """``sum_l w_l * d(phi_l(prediction) / scale, phi_l(target) / scale)`` (scalar) for (B, 3, H, W) images in [0, 1].

    ``d`` is the mean absolute (``l1``) or squared (``mse``) difference; the target's features carry no gradient.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"unknown criterion {criterion!r}; expected one of {CRITERIA}")
    indices = layer_indices(arch)
    names = tuple(name for name, _ in layers)
    pred_features = named_features(trunk, indices, prediction, names)
    with torch.no_grad():
        target_features = named_features(trunk, indices, target, names)
    distance = F.l1_loss if criterion == "l1" else F.mse_loss
    return sum(weight * distance(pred_features[name] / scale, target_features[name] / scale) for name, weight in layers)


class PerceptualLoss(nn.Module):
    """Module wrapper: ``loss(prediction, target)`` with (B, 3, H, W) inputs in [0, 1]; the VGG stays frozen."""

    def __init__(self, trunk: nn.Sequential, arch: str, layers: LayerWeights, criterion: str = "l1", scale: float = 1.0):
        super().__init__()
        self.trunk, self.arch, self.layers, self.criterion, self.scale = trunk, arch, tuple(layers), criterion, scale

    @classmethod
    def from_pretrained(
        cls, weights_path: str | os.PathLike | None = None, layer_set: str | LayerWeights = "realesrgan", arch: str = "auto",
        criterion: str = "l1", scale: float | None = None,
    ) -> "PerceptualLoss":
        """Load the VGG from ``weights_path`` (or torchvision's cache) and resolve ``layer_set`` for it; ``scale``
        None reads the feature scale from the file (:func:`common.backbones.vgg.feature_scale`)."""
        file = find_vgg_weights(weights_path, arch)
        file_arch, state = read_vgg_state(file)
        if arch not in ("auto", file_arch):
            raise VGGWeightsMissing(f"{file}: holds {file_arch} weights, but --vgg-arch is {arch}")
        layers = layers_for(layer_set, file_arch) if isinstance(layer_set, str) else tuple(layer_set)
        trunk = trunk_from_state(file, file_arch, state, _last_layer(file_arch, layers))
        return cls(trunk, file_arch, layers, criterion, feature_scale(state) if scale is None else scale)

    @classmethod
    def with_random_weights_for_tests(cls, arch: str = "vgg19", layers: LayerWeights = (("conv2_2", 1.0),)) -> "PerceptualLoss":
        """Random VGG weights: exercises the wiring only; this is NOT a perceptual loss."""
        return cls(random_vgg_features_for_tests(arch, _last_layer(arch, layers)), arch, layers)

    def train(self, mode: bool = True) -> "PerceptualLoss":
        super().train(mode)
        self.trunk.eval()  # frozen feature extractor stays in eval mode
        return self

    def forward(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return perceptual_distance(self.trunk, self.arch, self.layers, prediction, target, self.criterion, self.scale)
