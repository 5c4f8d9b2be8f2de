"""The cycle-consistency loss as a pure function, with an optional low-pass that frees it from fine detail.

The reference compares the reconstruction with the original pixel for pixel. When the A->B map destroys detail
(a blur, a fog, a texture removed), that demand can only be met by hiding the detail inside the translation in
patterns too faint to see (Chu et al. 2017, "CycleGAN, a master of steganography"), which costs the translation
its look. Comparing Gaussian low-passes of both images keeps colours, tones and layout tied to the input while
leaving the finest detail to the discriminators.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def lowpass(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian blur with standard deviation ``sigma`` px (kernel +-3 sigma; reflect padding, or replicate where
    the image is too small to reflect); identity at 0.

    Args:
        images: (N, C, H, W), any range.
    """
    if sigma <= 0:
        return images
    import kornia

    size = 2 * int(3 * sigma + 0.5) + 1
    border = "reflect" if size // 2 < min(images.shape[-2:]) else "replicate"
    return kornia.filters.gaussian_blur2d(images, (size, size), (sigma, sigma), border_type=border)


def cycle_loss(reconstructed: torch.Tensor, original: torch.Tensor, lowpass_sigma: float = 0.0) -> torch.Tensor:
    """Mean absolute difference of ``reconstructed`` and ``original`` (both (N, C, H, W), in [-1, 1]), after a
    Gaussian low-pass of ``lowpass_sigma`` px when it is above 0 (0: the reference's plain L1)."""
    return F.l1_loss(lowpass(reconstructed, lowpass_sigma), lowpass(original, lowpass_sigma))
