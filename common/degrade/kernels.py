"""Blur kernels of the Real-ESRGAN degradation model (Wang et al. 2021), as batched pure tensor functions.

Every function returns one kernel per sample, ``(B, K, K)`` float32 summing to 1, where ``K`` is the largest
kernel size asked for; smaller kernels sit zero-padded in the centre, so a whole batch of different kernels is
applied by one :func:`kornia.filters.filter2d` call.
"""
from __future__ import annotations

import math

import torch

GAUSSIAN_KINDS = ("iso", "aniso", "generalized_iso", "generalized_aniso", "plateau_iso", "plateau_aniso")


def _grid(size: int, device: torch.device | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    axis = torch.arange(size, dtype=torch.float32, device=device) - (size - 1) / 2
    return torch.meshgrid(axis, axis, indexing="xy")  # x varies along the last axis


def _centre_mask(sizes: torch.Tensor, full: int) -> torch.Tensor:
    """(B, full, full) 1 inside each sample's centred ``sizes[b]`` x ``sizes[b]`` square, 0 outside."""
    x, y = _grid(full, sizes.device)
    half = ((sizes.to(torch.float32) - 1) / 2)[:, None, None]
    return ((x.abs() <= half) & (y.abs() <= half)).to(torch.float32)


def _normalise(kernels: torch.Tensor) -> torch.Tensor:
    return kernels / kernels.sum(dim=(-2, -1), keepdim=True)


def mahalanobis_squared(size: int, sigma_x: torch.Tensor, sigma_y: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """x^T Sigma^-1 x over a ``size`` x ``size`` grid for per-sample covariances.

    Args:
        size: odd grid size.
        sigma_x, sigma_y: (B,) standard deviations along the kernel's own axes, in pixels (> 0).
        angle: (B,) rotation of those axes in radians.

    Returns:
        (B, size, size) float32 tensor.
    """
    x, y = _grid(size, sigma_x.device)
    cos, sin = torch.cos(angle)[:, None, None], torch.sin(angle)[:, None, None]
    u = cos * x + sin * y  # coordinates in the kernel's rotated frame
    v = -sin * x + cos * y
    return (u / sigma_x[:, None, None]) ** 2 + (v / sigma_y[:, None, None]) ** 2


def gaussian_family_kernels(
    sizes: torch.Tensor, sigma_x: torch.Tensor, sigma_y: torch.Tensor, angle: torch.Tensor, beta: torch.Tensor, plateau: torch.Tensor
) -> torch.Tensor:
    """Gaussian, generalized Gaussian and plateau kernels in one batch.

    With ``d = x^T Sigma^-1 x``: a Gaussian is ``exp(-d / 2)`` (``beta = 1``), a generalized Gaussian is
    ``exp(-d ** beta / 2)`` (flatter top and lighter tails for beta > 1) and a plateau kernel is
    ``1 / (1 + d ** beta)`` (flat top). Isotropic kernels have ``sigma_x == sigma_y``.

    Args:
        sizes: (B,) odd kernel sizes.
        sigma_x, sigma_y, angle: (B,) covariance of each kernel, see :func:`mahalanobis_squared`.
        beta: (B,) shape exponent (1 for a plain Gaussian).
        plateau: (B,) bool, True for the plateau shape.

    Returns:
        (B, K, K) float32 kernels summing to 1, K = max(sizes).
    """
    full = int(sizes.max())
    distance = mahalanobis_squared(full, sigma_x, sigma_y, angle)
    b = beta[:, None, None].to(torch.float32)
    gaussian = torch.exp(-0.5 * distance**b)
    plateau_shape = 1 / (1 + distance**b)
    kernels = torch.where(plateau[:, None, None], plateau_shape, gaussian)
    return _normalise(kernels * _centre_mask(sizes, full))


def sinc_kernels(sizes: torch.Tensor, cutoff: torch.Tensor, full: int | None = None) -> torch.Tensor:
    """Circular low-pass (2-D sinc) kernels: the ringing and overshoot of sharpened or resampled photos.

    Args:
        sizes: (B,) odd kernel sizes.
        cutoff: (B,) cutoff frequency omega_c in radians per pixel, in (0, pi].
        full: output size (default max(sizes)).

    Returns:
        (B, K, K) float32 kernels summing to 1.
    """
    full = full or int(sizes.max())
    x, y = _grid(full, sizes.device)
    radius = torch.sqrt(x**2 + y**2)[None]
    omega = cutoff[:, None, None].to(torch.float32)
    safe_radius = torch.where(radius == 0, torch.ones_like(radius), radius)
    kernels = omega * torch.special.bessel_j1(omega * safe_radius) / (2 * math.pi * safe_radius)
    kernels = torch.where(radius == 0, omega**2 / (4 * math.pi), kernels)  # the limit at r = 0
    return _normalise(kernels * _centre_mask(sizes, full))


def identity_kernels(batch: int, full: int, device: torch.device | None = None) -> torch.Tensor:
    """(B, K, K) delta kernels (no filtering), for samples that skip a blur."""
    kernels = torch.zeros(batch, full, full, device=device)
    kernels[:, full // 2, full // 2] = 1
    return kernels
