"""ImageNet VGG16 / VGG19 feature trunks from a weights file, with every layer named (``conv3_3``, ``relu3_3``).

Where the weights come from, in order: a path the user gives; torchvision's own cache files
(``$TORCH_HOME/hub/checkpoints/vgg19-dcbb9e9d.pth`` or ``vgg16-397923af.pth``); otherwise :class:`VGGWeightsMissing`
says how to get them. Nothing is downloaded and random weights are never substituted: tests that only check
wiring ask for :func:`random_vgg_features_for_tests` by name.

A file may be torchvision's full state dict or its ``features.*`` part alone; the architecture is read from the
file (13 conv layers: VGG16, 16: VGG19), and every ``features.*`` tensor the truncated trunk needs is checked
for presence and shape before a network is built.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

import torch
from torch import nn

from common.core.errors import UserError

VGG_ARCHS = ("vgg16", "vgg19")
TORCHVISION_FILES = {"vgg19": "vgg19-dcbb9e9d.pth", "vgg16": "vgg16-397923af.pth"}
CONV_COUNTS = {13: "vgg16", 16: "vgg19"}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class VGGWeightsMissing(UserError):
    pass


# torchvision's configurations "D" and "E": channels of each 3x3 conv, "M" a 2x2 max-pool.
_PLANS = {
    "vgg16": (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"),
    "vgg19": (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"),
}


def _plan(arch: str) -> tuple:
    if arch not in VGG_ARCHS:
        raise UserError(f"--vgg-arch {arch}: expected one of {', '.join(VGG_ARCHS)}")
    return _PLANS[arch]


@functools.cache
def layer_indices(arch: str) -> dict[str, int]:
    """``{"conv1_1": 0, "relu1_1": 1, ...}``: each named layer's index in torchvision's ``vggNN().features``."""
    names: dict[str, int] = {}
    index, block, conv = 0, 1, 0
    for item in _plan(arch):
        if item == "M":
            names[f"pool{block}"] = index
            index, block, conv = index + 1, block + 1, 0
        else:
            conv += 1
            names[f"conv{block}_{conv}"], names[f"relu{block}_{conv}"] = index, index + 1
            index += 2
    return names


def _features(arch: str) -> list[nn.Module]:
    """The layers of torchvision's ``vggNN().features`` (same order, so the same state-dict keys)."""
    layers: list[nn.Module] = []
    channels = 3
    for item in _plan(arch):
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, item, 3, padding=1), nn.ReLU()]
            channels = item
    return layers


def find_vgg_weights(path: str | os.PathLike | None = None, arch: str = "auto") -> Path:
    """The weights file to use: ``path``, else torchvision's cache file of ``arch`` (``auto``: VGG19, then VGG16)."""
    if path:
        path = Path(path)
        if not path.is_file():
            raise VGGWeightsMissing(f"{path}: VGG weights file not found (--vgg-weights)")
        return path
    archs = ("vgg19", "vgg16") if arch == "auto" else (arch,)
    cache = Path(torch.hub.get_dir()) / "checkpoints"
    for name in archs:
        if (cache / TORCHVISION_FILES[name]).is_file():
            return cache / TORCHVISION_FILES[name]
    wanted = " or ".join(TORCHVISION_FILES[name] for name in archs)
    raise VGGWeightsMissing(
        f"{cache}: no ImageNet VGG weights ({wanted}) for the perceptual loss or LPIPS. On a machine with internet run "
        "`python -c \"import torchvision; torchvision.models.vgg19(weights='IMAGENET1K_V1')\"` and copy the file from "
        "~/.cache/torch/hub/checkpoints/ here, or pass --vgg-weights PATH"
    )


def read_vgg_state(path: Path) -> tuple[str, dict[str, torch.Tensor]]:
    """(arch, ``features.*`` tensors) of a torchvision VGG file, full or features-only; read with weights_only."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt file, a pickle that is not plain tensors
        raise VGGWeightsMissing(f"{path}: cannot read VGG weights ({type(exc).__name__}: {exc})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise VGGWeightsMissing(f"{path}: not a VGG state dict (expected torchvision's features.* tensors)")
    features = {k: v for k, v in state.items() if k.startswith("features.")}
    conv_count = sum(1 for k, v in features.items() if k.endswith(".weight") and v.dim() == 4)
    if conv_count not in CONV_COUNTS:
        raise VGGWeightsMissing(f"{path}: holds {conv_count} features.* conv layers; a VGG16 has 13 and a VGG19 16")
    return CONV_COUNTS[conv_count], features


# A VGG trained in Caffe saw 0-255 input; with its first conv folded to take ImageNet-normalised input, every
# activation keeps that scale, about 255 x the mean std larger than a network trained on normalised input.
CAFFE_INPUT_SCALE = 255.0 * sum(IMAGENET_STD) / 3
CAFFE_CONV1_THRESHOLD = 2.0  # mean |conv1_1 weight|: about 0.2 when trained on normalised input, about 10 folded


def feature_scale(state: dict[str, torch.Tensor]) -> float:
    """What to divide this file's features by to bring them to the scale of torchvision's own VGGs:
    :data:`CAFFE_INPUT_SCALE` for weights converted from Caffe (0-255 input folded into conv1_1), else 1."""
    return CAFFE_INPUT_SCALE if state["features.0.weight"].abs().mean().item() > CAFFE_CONV1_THRESHOLD else 1.0


def load_vgg_features(path: str | os.PathLike | None = None, last_layer: str = "conv5_4", arch: str = "auto") -> tuple[str, nn.Sequential]:
    """(arch, frozen eval-mode trunk of ``features`` up to ``last_layer``); ReLUs are not in-place, so a conv output
    taken before its ReLU stays intact.

    Raises:
        VGGWeightsMissing: no file, an unreadable one, another architecture than ``arch``, or a missing or
            misshapen tensor.
    """
    file = find_vgg_weights(path, arch)
    file_arch, state = read_vgg_state(file)
    if arch not in ("auto", file_arch):
        raise VGGWeightsMissing(f"{file}: holds {file_arch} weights, but --vgg-arch is {arch}")
    return file_arch, trunk_from_state(file, file_arch, state, last_layer)


def trunk_from_state(file: Path, arch: str, state: dict[str, torch.Tensor], last_layer: str) -> nn.Sequential:
    """The frozen trunk up to ``last_layer`` with the ``features.*`` tensors of ``state`` (read from ``file``)."""
    trunk = truncated_features(arch, last_layer)
    expected = {f"features.{k}": v.shape for k, v in trunk.state_dict().items()}
    for key, shape in expected.items():
        if key not in state:
            raise VGGWeightsMissing(f"{file}: {key} is missing ({arch} up to {last_layer} needs it)")
        if state[key].shape != shape:
            raise VGGWeightsMissing(f"{file}: {key} has shape {tuple(state[key].shape)}, {arch} needs {tuple(shape)}")
    trunk.load_state_dict({k[len("features."):]: state[k].float() for k in expected})
    return _freeze(trunk)


def truncated_features(arch: str, last_layer: str) -> nn.Sequential:
    """torchvision's ``features`` of ``arch`` up to and including ``last_layer``, random weights, ReLU not in-place."""
    indices = layer_indices(arch)
    if last_layer not in indices:
        raise UserError(f"unknown {arch} layer {last_layer!r}; expected one of {', '.join(indices)}")
    return nn.Sequential(*_features(arch)[: indices[last_layer] + 1])


def random_vgg_features_for_tests(arch: str = "vgg19", last_layer: str = "conv2_2") -> nn.Sequential:
    """Random weights: exercises wiring only; features of this trunk mean nothing."""
    return _freeze(truncated_features(arch, last_layer))


def _freeze(trunk: nn.Sequential) -> nn.Sequential:
    for parameter in trunk.parameters():
        parameter.requires_grad_(False)
    return trunk.eval()


def imagenet_normalize(images: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) RGB in [0, 1] -> the input torchvision's ImageNet VGGs were trained on."""
    mean = torch.tensor(IMAGENET_MEAN, device=images.device, dtype=images.dtype).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=images.device, dtype=images.dtype).view(1, 3, 1, 1)
    return (images - mean) / std


def named_features(trunk: nn.Sequential, indices: dict[str, int], images: torch.Tensor, names: tuple[str, ...]) -> dict[str, torch.Tensor]:
    """Outputs of the named layers for (B, 3, H, W) images in [0, 1] (ImageNet-normalised here)."""
    wanted = {indices[name]: name for name in names}
    outputs: dict[str, torch.Tensor] = {}
    x = imagenet_normalize(images)
    for index, module in enumerate(trunk):
        x = module(x)
        if index in wanted:
            outputs[wanted[index]] = x
        if len(outputs) == len(wanted):
            break
    return outputs
