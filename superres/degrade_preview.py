"""What a real-world model is trained on, for whole images: ``superres degrade`` and its Python equivalent."""
from __future__ import annotations

import numpy as np
import torch

from common.core.errors import UserError
from common.degrade.config import DegradationConfig
from common.degrade.second_order import degrade
from common.io.images import as_rgb8


def degrade_image(pixels: np.ndarray, scale: int, config: DegradationConfig = DegradationConfig(), sample_id: int = 0, seed: int = 0) -> np.ndarray:
    """One image through the training degradations, as sample ``sample_id`` of a run seeded ``seed``.

    Args:
        pixels: (H, W, C) uint8 or uint16 image; cropped to a multiple of ``scale``.
        scale: downscaling factor.

    Returns:
        (H // scale, W // scale, 3) uint8 LR image.
    """
    rgb = as_rgb8(pixels)
    height, width = (rgb.shape[0] // scale) * scale, (rgb.shape[1] // scale) * scale
    if min(height, width) < scale:
        raise UserError(f"{rgb.shape[1]}x{rgb.shape[0]} is smaller than one x{scale} LR pixel")
    hr = torch.from_numpy(rgb[:height, :width]).permute(2, 0, 1)[None].to(torch.float32) / 255
    lr, _ = degrade(hr, scale, config, [sample_id], seed)
    return (lr[0].permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
