"""MATLAB-compatible bicubic ``imresize`` (antialiased when downscaling) for torch tensors.

The SR evaluation protocol makes LR images with MATLAB's ``imresize(x, 1/s, 'bicubic')``; PIL and OpenCV give
different pixels and different PSNR. Resizing is separable, so each axis is one matrix product with a weight
matrix built once per (input length, output length, scale).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch


def _cubic(x: np.ndarray) -> np.ndarray:
    # Keys' cubic kernel with a = -0.5, as in MATLAB.
    absx = np.abs(x)
    absx2, absx3 = absx**2, absx**3
    inner = (1.5 * absx3 - 2.5 * absx2 + 1) * (absx <= 1)
    outer = (-0.5 * absx3 + 2.5 * absx2 - 4 * absx + 2) * ((absx > 1) & (absx <= 2))
    return inner + outer


@lru_cache(maxsize=64)
def resize_weights(in_length: int, out_length: int, scale: float, antialias: bool = True) -> np.ndarray:
    """Dense (out_length, in_length) float64 weight matrix of MATLAB's bicubic resize along one axis."""
    kernel_width = 4.0
    if scale < 1 and antialias:
        kernel_width /= scale
    x = np.arange(1, out_length + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - kernel_width / 2)
    taps = int(math.ceil(kernel_width)) + 2
    indices = left[:, None] + np.arange(taps)[None, :]
    distance = u[:, None] - indices
    if scale < 1 and antialias:
        weights = scale * _cubic(distance * scale)
    else:
        weights = _cubic(distance)
    weights /= weights.sum(axis=1, keepdims=True)
    # Symmetric (mirror) padding at the borders, as MATLAB does.
    mirror = np.concatenate([np.arange(in_length), np.arange(in_length - 1, -1, -1)])
    source = mirror[np.mod(indices.astype(np.int64) - 1, 2 * in_length)]
    matrix = np.zeros((out_length, in_length), dtype=np.float64)
    np.add.at(matrix, (np.repeat(np.arange(out_length), taps), source.ravel()), weights.ravel())
    return matrix


def imresize(image: torch.Tensor, scale: float, out_size: tuple[int, int] | None = None, antialias: bool = True) -> torch.Tensor:
    """Bicubic resize with MATLAB's semantics.

    Args:
        image: (..., H, W) float tensor, any value range (not clamped or rounded here).
        scale: resize factor (e.g. 0.25 to downscale x4).
        out_size: (H_out, W_out); default ``ceil(H * scale), ceil(W * scale)`` as MATLAB.
        antialias: widen the kernel when downscaling (MATLAB's default).

    Returns:
        (..., H_out, W_out) tensor of the input's dtype.
    """
    height, width = image.shape[-2:]
    if out_size is None:
        out_size = (math.ceil(height * scale), math.ceil(width * scale))
    compute_dtype = torch.float64 if image.dtype == torch.float64 else torch.float32
    rows = torch.from_numpy(resize_weights(height, out_size[0], float(scale), antialias)).to(image.device, compute_dtype)
    cols = torch.from_numpy(resize_weights(width, out_size[1], float(scale), antialias)).to(image.device, compute_dtype)
    out = torch.matmul(rows, image.to(compute_dtype))
    out = torch.matmul(out, cols.T)
    return out.to(image.dtype) if image.is_floating_point() else out


def imresize_uint8(image: torch.Tensor, scale: float) -> torch.Tensor:
    """MATLAB ``imresize`` on a uint8 image: computed in float64, then rounded and clamped to uint8.

    Args:
        image: (..., H, W) uint8 tensor.
    """
    out = imresize(image.to(torch.float64), scale)
    return out.round().clamp(0, 255).to(torch.uint8)


def modcrop(image: torch.Tensor, scale: int) -> torch.Tensor:
    """Crop (..., H, W) to multiples of ``scale`` from the bottom-right, as the SR protocol does."""
    height, width = image.shape[-2:]
    return image[..., : height - height % scale, : width - width % scale]
