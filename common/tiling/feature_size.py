"""How many bytes per input pixel a network's feature maps take: what :mod:`common.tiling.auto_tile` sizes tiles by.

One probe run on a small input with forward hooks on every leaf module; the widest output (per input pixel) is
the feature size; the peak is taken as three of those alive at once (a layer's input and output and one skip
connection), which bounds the plain, residual and dense-block networks we run (RRDBNet's dense concatenations are
leaf outputs too). Exported ONNX files carry the feature size in their metadata (`feature_bytes_per_pixel`); the
peak is derived from it the same way.
"""
from __future__ import annotations

import torch

from common.tiling.auto_tile import LIVE_MAPS_AT_PEAK, TileBudget, cpu_budget


def feature_bytes_per_pixel(model: torch.nn.Module, channels: int = 3, side: int = 32, multiple: int = 1) -> int:
    """Bytes per input pixel of the widest leaf-module output of ``model`` (fp32), from one ``side``^2 probe."""
    side = -(-side // multiple) * multiple
    parameter = next(model.parameters(), None)
    probe = torch.rand(1, channels, side, side, device=parameter.device if parameter is not None else "cpu")
    widest = 0

    def hook(module, inputs, output):
        nonlocal widest
        if isinstance(output, torch.Tensor):
            widest = max(widest, output.numel())

    handles = [module.register_forward_hook(hook) for module in model.modules() if not list(module.children())]
    try:
        with torch.inference_mode():
            output = model(probe)
        widest = max(widest, output.numel())
    finally:
        for handle in handles:
            handle.remove()
    return max(4 * widest // (side * side), 4 * channels)


def cpu_tile_budget(model: torch.nn.Module, channels: int = 3, multiple: int = 1) -> TileBudget:
    """The CPU budget (half the available memory, the last-level cache) for ``model``'s feature maps."""
    features = feature_bytes_per_pixel(model, channels, multiple=multiple)
    return cpu_budget(features, LIVE_MAPS_AT_PEAK * features)


def cuda_tile_budget(model: torch.nn.Module, device: torch.device, channels: int = 3, multiple: int = 1, memory_fraction: float = 0.7) -> TileBudget:
    """On a GPU: 70% of its free memory, no cache term (whole images are fastest there when they fit)."""
    features = feature_bytes_per_pixel(model, channels, multiple=multiple)
    free, _ = torch.cuda.mem_get_info(device)
    return TileBudget(int(free * memory_fraction), None, LIVE_MAPS_AT_PEAK * features, features)
