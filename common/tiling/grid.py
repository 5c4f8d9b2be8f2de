"""Tile geometry and a numpy tiled apply: the torch-free half of :mod:`common.tiling.torch_apply`, used where onnxruntime
does the work (no torch import, so the ONNX path starts fast)."""
from __future__ import annotations

from typing import Callable, Iterator

import numpy as np

from common.core.errors import UserError
from common.tiling.fixed_window import cut_window, fixed_window

ArrayFunction = Callable[[np.ndarray], np.ndarray]
NON_FINITE_OUTPUT = "the model's output holds NaN or infinite values (damaged or diverged weights); nothing was written"


def check_finite(result: np.ndarray) -> np.ndarray:
    """``result`` itself, unless it holds NaN or infinity: clamped, those would be written as a flat black image.

    Raises:
        UserError: :data:`NON_FINITE_OUTPUT`.
    """
    if not np.isfinite(result).all():
        raise UserError(NON_FINITE_OUTPUT)
    return result


def dtype_max(dtype: np.dtype) -> float:
    return 65535.0 if dtype == np.uint16 else 255.0


Tile = int | tuple[int, int]  # a square side, or (height, width) as :func:`common.tiling.auto_tile.plan_tiles` gives; <= 0: whole


def tile_boxes(height: int, width: int, tile: Tile) -> Iterator[tuple[int, int, int, int]]:
    """(top, left, bottom, right) boxes covering the image; a side ``<= 0`` spans the image."""
    tile_h, tile_w = (tile, tile) if isinstance(tile, int) else tile
    tile_h, tile_w = (tile_h if tile_h > 0 else height), (tile_w if tile_w > 0 else width)
    for top in range(0, height, tile_h):
        for left in range(0, width, tile_w):
            yield top, left, min(top + tile_h, height), min(left + tile_w, width)


def padded_box(box: tuple[int, int, int, int], pad: int, height: int, width: int) -> tuple[int, int, int, int]:
    """``box`` grown by ``pad`` on every side, clipped to the image (so border tiles see the image border)."""
    top, left, bottom, right = box
    return max(top - pad, 0), max(left - pad, 0), min(bottom + pad, height), min(right + pad, width)


def tiled_apply_numpy(pixels: np.ndarray, function: ArrayFunction, scale: int, tile: Tile = 0, pad: int = 0,
                      progress: Callable[[int, int], None] | None = None, window: tuple[int, int] | None = None) -> np.ndarray:
    """:func:`common.tiling.torch_apply.tiled_apply` for a numpy function.

    Args:
        pixels: (H, W, C) uint8 or uint16 image.
        function: (1, C, h, w) float32 in [0, 1] -> (1, C, h*scale, w*scale) float32 in about [0, 1].
        scale / tile / pad / progress: as in :func:`common.tiling.torch_apply.tiled_apply`.
        window: for a fixed-size graph, the (height, width) every call gets: a tile with its context, moved inside
            the image (:func:`common.tiling.fixed_window.fixed_window`); ``tile`` should leave ``pad`` around it.

    Returns:
        (H*scale, W*scale, C) array of the input's dtype, clamped and rounded (half to even, as torch).
    """
    height, width, channels = pixels.shape
    peak = dtype_max(pixels.dtype)
    output = np.empty((height * scale, width * scale, channels), dtype=pixels.dtype)
    boxes = list(tile_boxes(height, width, tile))
    for index, (top, left, bottom, right) in enumerate(boxes):
        if window is None:
            in_top, in_left, in_bottom, in_right = padded_box((top, left, bottom, right), pad, height, width)
            region = pixels[in_top:in_bottom, in_left:in_right]
        else:
            in_top, in_left, in_bottom, in_right = fixed_window((top, left, bottom, right), pad, height, width, window)
            region = cut_window(pixels, (in_top, in_left, in_bottom, in_right))
        patch = region.transpose(2, 0, 1)[None].astype(np.float32) / np.float32(peak)
        result = check_finite(function(np.ascontiguousarray(patch)))
        off_top, off_left = (top - in_top) * scale, (left - in_left) * scale
        result = result[0, :, off_top : off_top + (bottom - top) * scale, off_left : off_left + (right - left) * scale]
        output[top * scale : bottom * scale, left * scale : right * scale] = np.round(np.clip(result, 0, 1) * np.float32(peak)).transpose(1, 2, 0)
        if progress:
            progress(index + 1, len(boxes))
    return output


def _feather(length: int, overlap: int, at_start: bool, at_end: bool) -> np.ndarray:
    ramp = np.ones(length, dtype=np.float32)
    if overlap > 0:
        rise = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
        if not at_start:
            ramp[:overlap] = np.minimum(ramp[:overlap], rise[: min(overlap, length)])
        if not at_end:
            ramp[-overlap:] = np.minimum(ramp[-overlap:], rise[::-1][-min(overlap, length):])
    return ramp


def _starts(length: int, tile: int, stride: int) -> list[int]:
    if length <= tile:
        return [0]
    starts = list(range(0, length - tile, stride)) + [length - tile]
    return sorted(set(starts))


def blended_tiled_apply_numpy(pixels: np.ndarray, function: ArrayFunction, tile: int = 0, overlap: int = 64) -> np.ndarray:
    """Apply a same-size image function tile by tile, blending overlapping tiles with linear ramps.

    For networks with global statistics (InstanceNorm), tiles cannot be made exact; overlapping them and
    cross-fading hides the seams. ``tile <= 0`` or an image no larger than ``tile`` runs whole.

    Args:
        pixels: (H, W, C) uint8/uint16 image.
        function: (1, C, h, w) float32 in [0, 1] -> same shape, about [0, 1] (clamped here).
        tile: tile side in pixels; overlap: pixels shared by neighbouring tiles.
    """
    height, width, channels = pixels.shape
    peak = dtype_max(pixels.dtype)
    if tile <= 0 or (height <= tile and width <= tile):
        return tiled_apply_numpy(pixels, function, 1)
    overlap = min(overlap, tile // 2)
    total = np.zeros((height, width, channels), dtype=np.float32)
    weights = np.zeros((height, width, 1), dtype=np.float32)
    stride = tile - overlap
    for top in _starts(height, tile, stride):
        for left in _starts(width, tile, stride):
            bottom, right = min(top + tile, height), min(left + tile, width)
            patch = pixels[top:bottom, left:right].transpose(2, 0, 1)[None].astype(np.float32) / np.float32(peak)
            result = np.clip(check_finite(function(np.ascontiguousarray(patch)))[0], 0, 1)
            weight = np.outer(_feather(bottom - top, overlap, top == 0, bottom == height), _feather(right - left, overlap, left == 0, right == width))[..., None]
            total[top:bottom, left:right] += result.transpose(1, 2, 0) * weight
            weights[top:bottom, left:right] += weight
    return np.clip(np.round(total / weights * peak), 0, peak).astype(pixels.dtype)
