"""Resizing (H, W, C) uint8/uint16 arrays with OpenCV (no torch): the ``--outscale`` step after a network."""
from __future__ import annotations

import cv2
import numpy as np

from common.core.errors import UserError
from common.io.images import array_to_image, image_to_array


def resize_to(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize an (H, W, C) uint8/uint16 array to (height, width) with Lanczos (area when shrinking)."""
    height, width = size
    if height < 1 or width < 1:
        raise UserError(f"--outscale gives an empty {width}x{height} image")
    shrinking = height < pixels.shape[0]
    resized = cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LANCZOS4)
    return resized.reshape(height, width, pixels.shape[2])


def upscale_alpha(alpha: np.ndarray, scale: int) -> np.ndarray:
    """(H, W, 1) uint8/uint16 alpha -> (H*scale, W*scale, 1) by OpenCV's bicubic (``INTER_CUBIC``): the
    ``alpha_rule: bicubic`` of every exported model's document, so every engine (torch, ONNX, gansuite-onnx in
    JS, the Python example) gives the same alpha."""
    size = (alpha.shape[1] * scale, alpha.shape[0] * scale)
    return cv2.resize(np.ascontiguousarray(alpha[..., 0]), size, interpolation=cv2.INTER_CUBIC)[..., None]


def with_outscale(upscale_array, scale: int, outscale: float | None):
    """``upscale_array`` followed by a resize to ``outscale`` x the input size (when it differs from ``scale``)."""
    if outscale is None or outscale == scale:
        return upscale_array

    def upscale(pixels: np.ndarray, *progress) -> np.ndarray:
        return resize_to(upscale_array(pixels, *progress), (round(pixels.shape[0] * outscale), round(pixels.shape[1] * outscale)))

    return upscale


def upscale_image(upscale_array, scale: int, image, outscale: float | None = None):
    """``upscale_array`` on a PIL image or numpy array, returning the same kind; ``outscale`` resizes the result to
    ``outscale`` x the input size after the network. The ``__call__`` of both upscalers (torch and ONNX)."""
    pixels, kind = image_to_array(image)
    return array_to_image(with_outscale(upscale_array, scale, outscale)(pixels), kind)
