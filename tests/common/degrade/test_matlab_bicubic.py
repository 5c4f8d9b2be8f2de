import numpy as np
import pytest
import torch

from common.degrade.matlab_bicubic import imresize, imresize_uint8, modcrop, resize_weights


def test_weight_rows_sum_to_one():
    for in_len, out_len, scale in [(128, 32, 0.25), (32, 128, 4.0), (30, 10, 1 / 3)]:
        weights = resize_weights(in_len, out_len, scale)
        assert weights.shape == (out_len, in_len)
        np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-12)


def test_constant_image_stays_constant():
    image = torch.full((1, 3, 40, 48), 0.37, dtype=torch.float64)
    for scale in (0.25, 0.5, 2.0, 4.0):
        out = imresize(image, scale)
        assert out.shape[-2:] == (int(np.ceil(40 * scale)), int(np.ceil(48 * scale)))
        torch.testing.assert_close(out, torch.full_like(out, 0.37))


def test_downscale_antialiases_a_checkerboard():
    checker = (torch.arange(64)[:, None] + torch.arange(64)[None, :]) % 2
    out = imresize(checker.double()[None, None], 0.25)
    # A kernel 4x wider averages the pattern to grey; plain bicubic sampling would alias.
    assert (out - 0.5).abs().max() < 0.05


def test_upscale_interpolates_exactly_at_matching_sample_points():
    ramp = torch.arange(16, dtype=torch.float64).repeat(16, 1)[None, None]
    up = imresize(ramp, 2.0)
    # Away from the borders a cubic reproduces linear ramps exactly.
    expected = (torch.arange(32, dtype=torch.float64) - 0.5) / 2
    torch.testing.assert_close(up[0, 0, 8, 4:28], expected[4:28])


def test_uint8_path_rounds_and_clamps():
    image = torch.randint(0, 256, (1, 3, 24, 24), dtype=torch.uint8)
    out = imresize_uint8(image, 0.5)
    assert out.dtype == torch.uint8 and out.shape == (1, 3, 12, 12)


def test_modcrop():
    assert modcrop(torch.zeros(3, 31, 18), 4).shape == (3, 28, 16)
