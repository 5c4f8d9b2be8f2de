"""A seeded real-world evaluation recipe: what a phone or web JPEG does to a photo, fixed per image.

Deliberately not the training model (``common.degrade.second_order``): one fixed chain with its own ranges, so a score
on it measures how a model copes with degradations it was not tuned to. For each HR image (modcropped), with
generators seeded by :data:`EVAL_SEED` and the image's file name:

1. isotropic Gaussian blur, sigma uniform in [0.6, 1.4] HR pixels (kernel 2 * ceil(3 sigma) + 1, reflect);
2. MATLAB bicubic downscaling by 1/scale (the protocol's ``imresize``);
3. colour Gaussian noise, sigma uniform in [2, 8] on the 0-255 scale, then rounding to 8 bits;
4. a libjpeg round trip (Pillow, 4:2:0) at an integer quality uniform in [40, 80].
"""
from __future__ import annotations

import math
import zlib

import kornia
import numpy as np
import torch

from common.degrade.matlab_bicubic import imresize
from common.degrade.second_order import jpeg_libjpeg

EVAL_SEED = 20261123


def degrade_for_evaluation(hr: torch.Tensor, scale: int, name: str) -> torch.Tensor:
    """HR (1, 3, H, W) uint8 -> degraded LR (1, 3, H/s, W/s) uint8, a pure function of (pixels, scale, name)."""
    rng = np.random.default_rng([EVAL_SEED, zlib.crc32(name.encode())])
    sigma, noise, quality = rng.uniform(0.6, 1.4), rng.uniform(2, 8), int(rng.integers(40, 81))
    size = 2 * math.ceil(3 * sigma) + 1
    image = kornia.filters.gaussian_blur2d(hr.to(torch.float32) / 255, (size, size), (sigma, sigma), border_type="reflect")
    image = imresize(image, 1.0 / scale).clamp(0, 1)
    generator = torch.Generator().manual_seed(int(rng.integers(2**62)))
    image = ((image + torch.randn(image.shape, generator=generator) * noise / 255).clamp(0, 1) * 255).round() / 255
    image = jpeg_libjpeg(image, torch.tensor([float(quality)]))
    return (image * 255).round().to(torch.uint8)
