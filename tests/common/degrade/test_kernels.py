"""Blur kernels: normalised, centred, the requested widths and orientation, and sinc is a low-pass filter."""
import math

import torch

from common.degrade.kernels import gaussian_family_kernels, identity_kernels, sinc_kernels


def second_moments(kernels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    size = kernels.shape[-1]
    axis = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    y, x = torch.meshgrid(axis, axis, indexing="ij")
    return (kernels * x**2).sum((-2, -1)), (kernels * y**2).sum((-2, -1)), (kernels * x * y).sum((-2, -1))


def gaussians(sizes, sx, sy, angle, beta=None, plateau=None):
    n = len(sizes)
    t = lambda v: torch.tensor(v, dtype=torch.float32)  # noqa: E731
    return gaussian_family_kernels(torch.tensor(sizes), t(sx), t(sy), t(angle), t(beta or [1.0] * n),
                                   torch.tensor(plateau or [False] * n))


def test_kernels_sum_to_one_and_smaller_sizes_are_zero_padded():
    kernels = gaussians([7, 21], [2.0, 2.0], [2.0, 2.0], [0.0, 0.0])
    assert kernels.shape == (2, 21, 21)
    assert torch.allclose(kernels.sum((-2, -1)), torch.ones(2))
    assert kernels[0, :7].abs().sum() == 0 and kernels[0, :, 14:].abs().sum() == 0  # outside the centred 7x7
    assert kernels[1, 0].abs().sum() > 0


def test_isotropic_gaussian_has_the_requested_sigma():
    var_x, var_y, cov = second_moments(gaussians([31], [2.0], [2.0], [0.0]))
    assert abs(float(var_x) - 4.0) < 0.05 and abs(float(var_y) - 4.0) < 0.05 and abs(float(cov)) < 1e-4


def test_anisotropic_kernel_is_rotated_by_its_angle():
    var_x, var_y, cov = second_moments(gaussians([31, 31], [3.0, 3.0], [1.0, 1.0], [0.0, math.pi / 4]))
    assert var_x[0] > 8 * var_y[0]  # long axis along x
    assert abs(float(var_x[1] - var_y[1])) < 0.1 and cov[1] > 3  # 45 degrees: along the diagonal


def test_generalized_and_plateau_shapes():
    base = gaussians([21], [2.0], [2.0], [0.0])
    flat_top = gaussians([21], [2.0], [2.0], [0.0], beta=[4.0])
    plateau = gaussians([21], [2.0], [2.0], [0.0], beta=[2.0], plateau=[True])
    centre = lambda k: k[0, 10, 10] / k[0, 10, 11]  # noqa: E731
    assert centre(flat_top) < centre(base)  # beta > 1 flattens the top
    assert centre(plateau) < centre(base)
    assert torch.allclose(plateau.sum(), torch.tensor(1.0))


def test_sinc_is_a_low_pass_with_the_requested_cutoff():
    kernels = sinc_kernels(torch.tensor([21]), torch.tensor([math.pi / 3]))
    response = torch.fft.fft2(kernels[0], s=(128, 128)).abs()
    low, high = response[0, 5], response[0, 50]  # 5/128 and 50/128 cycles per pixel; cutoff 1/6
    assert torch.allclose(kernels.sum(), torch.tensor(1.0)) and low > 0.9 and high < 0.1


def test_identity_kernel_leaves_images_unchanged():
    from common.degrade.second_order import blur

    images = torch.rand(2, 3, 16, 16)
    assert torch.allclose(blur(images, identity_kernels(2, 21)), images, atol=1e-6)
