"""Tiled inference for fully convolutional image-to-image networks.

The image stays on the CPU as uint8/uint16; only padded tiles go to the device, and each result is quantised
straight into a preallocated output array, so peak memory is about input + output + one tile. With a pad at
least the network's receptive radius, tiled output equals whole-image output (pixels near the image border see
the same border in both cases because pads are clipped to the image).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from common.core.errors import UserError
from common.tiling.grid import NON_FINITE_OUTPUT, Tile, blended_tiled_apply_numpy, dtype_max, padded_box, tile_boxes

TileFunction = Callable[[torch.Tensor], torch.Tensor]


def tiled_apply(
    pixels: np.ndarray,
    function: TileFunction,
    scale: int,
    tile: Tile = 0,
    pad: int = 0,
    device: torch.device | str = "cpu",
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Apply ``function`` to an image tile by tile.

    Args:
        pixels: (H, W, C) uint8 or uint16 image on the CPU.
        function: maps a (1, C, h, w) float tile in [0, 1] on ``device`` to (1, C, h*scale, w*scale).
        scale: the function's resize factor.
        tile: tile size in input pixels, or (height, width) (0: the whole image at once).
        pad: context pixels added around each tile and cropped from its output.
        device: where tiles are computed.
        progress: called with (tiles done, tiles total).

    Returns:
        (H*scale, W*scale, C) array of the input's dtype, clamped and rounded.
    """
    height, width, channels = pixels.shape
    peak = dtype_max(pixels.dtype)
    output = np.empty((height * scale, width * scale, channels), dtype=pixels.dtype)
    boxes = list(tile_boxes(height, width, tile))
    for index, (top, left, bottom, right) in enumerate(boxes):
        in_top, in_left, in_bottom, in_right = padded_box((top, left, bottom, right), pad, height, width)
        patch = _region_tensor(pixels[in_top:in_bottom, in_left:in_right])
        patch = patch.permute(2, 0, 1)[None].to(device=device, dtype=torch.float32) / peak
        with torch.inference_mode():
            result = function(patch)
        if not bool(torch.isfinite(result).all()):
            raise UserError(NON_FINITE_OUTPUT)
        off_top, off_left = (top - in_top) * scale, (left - in_left) * scale
        result = result[0, :, off_top : off_top + (bottom - top) * scale, off_left : off_left + (right - left) * scale]
        result = (result.clamp(0, 1) * peak).round().permute(1, 2, 0).to("cpu", torch.int32).numpy()
        output[top * scale : bottom * scale, left * scale : right * scale] = result.astype(pixels.dtype)
        if progress:
            progress(index + 1, len(boxes))
    return output


def blended_tiled_apply(pixels: np.ndarray, function: TileFunction, tile: int = 0, overlap: int = 64, device: torch.device | str = "cpu") -> np.ndarray:
    """Apply a same-size image function tile by tile, blending overlapping tiles with linear ramps (see
    :func:`common.tiling.grid.blended_tiled_apply_numpy`, which this runs with a torch ``function`` on ``device``).

    Args:
        pixels: (H, W, C) uint8/uint16 image.
        function: (1, C, h, w) float tensor in [0, 1] -> same shape in [0, 1].
        tile: tile side in pixels (0: whole image); overlap: pixels shared by neighbouring tiles.
    """
    height, width, _ = pixels.shape
    if tile <= 0 or (height <= tile and width <= tile):
        return tiled_apply(pixels, function, 1, 0, 0, device)

    def on_device(batch: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return function(torch.from_numpy(batch).to(device)).cpu().numpy()  # checked and clamped by the numpy half

    return blended_tiled_apply_numpy(pixels, on_device, tile, overlap)


def _region_tensor(region: np.ndarray) -> torch.Tensor:
    """A CPU tensor over ``region`` (copied when read-only, e.g. ``np.asarray(PIL image)``, which torch warns about)."""
    region = np.ascontiguousarray(region)
    return torch.from_numpy(region if region.flags.writeable else region.copy())
