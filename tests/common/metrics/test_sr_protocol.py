import math

import pytest
import torch

from common.metrics.sr_protocol import psnr, rgb_to_y_bt601, sr_scores, ssim


def test_bt601_studio_range_endpoints():
    black, white = torch.zeros(3, 2, 2), torch.full((3, 2, 2), 255.0)
    assert rgb_to_y_bt601(black).unique().item() == pytest.approx(16.0)
    assert rgb_to_y_bt601(white).unique().item() == pytest.approx(235.0)
    red = torch.tensor([255.0, 0, 0]).view(3, 1, 1)
    assert rgb_to_y_bt601(red).item() == pytest.approx(16 + 65.481)


def test_psnr_is_per_image():
    a = torch.zeros(2, 1, 4, 4, dtype=torch.float64)
    b = a.clone()
    b[0] += 1.0  # MSE 1 -> 48.13 dB
    b[1] += 2.0  # MSE 4 -> 42.11 dB
    values = psnr(b, a)
    assert values[0].item() == pytest.approx(10 * math.log10(255**2))
    assert values[1].item() == pytest.approx(10 * math.log10(255**2 / 4))


def test_ssim_identity_and_monotone_degradation():
    image = torch.rand(1, 1, 32, 32, dtype=torch.float64) * 255
    assert ssim(image, image).item() == pytest.approx(1.0)
    values = [ssim(image + torch.randn_like(image) * sigma, image).item() for sigma in (5, 20, 60)]
    assert values[0] > values[1] > values[2]


def test_ssim_of_constant_images_is_the_luminance_term():
    x, y = torch.full((1, 1, 16, 16), 100.0), torch.full((1, 1, 16, 16), 150.0)
    c1 = (0.01 * 255) ** 2
    expected = (2 * 100 * 150 + c1) / (100**2 + 150**2 + c1)
    assert ssim(x, y).item() == pytest.approx(expected, rel=1e-9)


def test_sr_scores_crops_border():
    hr = torch.randint(0, 256, (1, 3, 20, 20), dtype=torch.uint8)
    prediction = hr.clone()
    prediction[..., :4, :] = 0  # damage only the border that the protocol crops
    psnr_value, ssim_value = sr_scores(prediction, hr, border=4)
    assert math.isinf(psnr_value.item()) and ssim_value.item() == pytest.approx(1.0)
