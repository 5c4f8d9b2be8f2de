"""Resizing (H, W, C) uint8/uint16 arrays with OpenCV (no torch): the ``--outscale`` step after a network."""
from __future__ import annotations

import cv2
import numpy as np

from common.core.errors import UserError


def resize_to(pixels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize an (H, W, C) uint8/uint16 array to (height, width) with Lanczos (area when shrinking)."""
    height, width = size
    if height < 1 or width < 1:
        raise UserError(f"--outscale gives an empty {width}x{height} image")
    shrinking = height < pixels.shape[0]
    resized = cv2.resize(pixels, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LANCZOS4)
    return resized.reshape(height, width, pixels.shape[2])
