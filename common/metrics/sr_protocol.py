"""The SR evaluation protocol (REFERENCE.md section 3) as pure tensor functions.

Scores are per image: PSNR and SSIM on the BT.601 studio-range Y channel, in float64 with a 255 peak, after
cropping ``border`` pixels on every side. Inputs are uint8-valued RGB images (already clamped and rounded).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def rgb_to_y_bt601(image: torch.Tensor) -> torch.Tensor:
    """ITU-R BT.601 studio-range luma.

    Args:
        image: (B, 3, H, W) or (3, H, W), values in [0, 255].

    Returns:
        (B, 1, H, W) or (1, H, W) float64 in [16, 235].
    """
    image = image.to(torch.float64) / 255.0
    red, green, blue = image.unbind(dim=-3)
    return (16.0 + 65.481 * red + 128.553 * green + 24.966 * blue).unsqueeze(-3)


def _crop_border(image: torch.Tensor, border: int) -> torch.Tensor:
    return image[..., border:-border, border:-border] if border > 0 else image


def psnr(prediction: torch.Tensor, target: torch.Tensor, data_range: float = 255.0) -> torch.Tensor:
    """Per-image PSNR in dB of (B, C, H, W) tensors; returns (B,) float64."""
    error = (prediction.to(torch.float64) - target.to(torch.float64)) ** 2
    mse = error.flatten(1).mean(dim=1)
    return 10.0 * torch.log10(data_range**2 / mse)


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    kernel = torch.exp(-(coords**2) / (2 * sigma**2))
    kernel /= kernel.sum()
    return torch.outer(kernel, kernel)[None, None]


def ssim(prediction: torch.Tensor, target: torch.Tensor, data_range: float = 255.0) -> torch.Tensor:
    """Per-image SSIM (Gaussian 11x11, sigma 1.5, valid region) of (B, 1, H, W) tensors; returns (B,) float64."""
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    x, y = prediction.to(torch.float64), target.to(torch.float64)
    window = _gaussian_window().to(x.device)
    mu_x, mu_y = F.conv2d(x, window), F.conv2d(y, window)
    sigma_xx = F.conv2d(x * x, window) - mu_x**2
    sigma_yy = F.conv2d(y * y, window) - mu_y**2
    sigma_xy = F.conv2d(x * y, window) - mu_x * mu_y
    numerator = (2 * mu_x * mu_y + c1) * (2 * sigma_xy + c2)
    denominator = (mu_x**2 + mu_y**2 + c1) * (sigma_xx + sigma_yy + c2)
    return (numerator / denominator).flatten(1).mean(dim=1)


def sr_scores(prediction: torch.Tensor, target: torch.Tensor, border: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Y-PSNR and Y-SSIM by the protocol.

    Args:
        prediction: (B, 3, H, W) RGB, uint8 values in [0, 255] (clamp and round before calling).
        target: same shape as prediction.
        border: pixels cropped from each side (the scale factor).

    Returns:
        (psnr, ssim), each (B,) float64.
    """
    y_pred = _crop_border(rgb_to_y_bt601(prediction), border)
    y_true = _crop_border(rgb_to_y_bt601(target), border)
    return psnr(y_pred, y_true), ssim(y_pred, y_true)
