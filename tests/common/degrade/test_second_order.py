"""The real-world degradation model: shapes and ranges kept, reproducible from (seed, sample id), and each
operation measurably does what it says."""
import json

import pytest
import torch

from common.core.errors import UserError
from common.degrade.config import DegradationConfig, light, load_degradation_config
from common.degrade.kernels import gaussian_family_kernels
from common.degrade.second_order import add_gaussian_noise, add_poisson_noise, blur, degrade, jpeg, resize, sharpen


def photo_like(batch=4, size=64, seed=0) -> torch.Tensor:
    """Smooth shapes plus fine texture, like a crop of a photo."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.nn.functional.interpolate(torch.rand(batch, 3, 8, 8, generator=g), size=size, mode="bicubic")
    return (coarse + 0.15 * torch.rand(batch, 3, size, size, generator=g)).clamp(0, 1)


def high_frequency_energy(images: torch.Tensor) -> float:
    return float((images[..., 1:, :] - images[..., :-1, :]).pow(2).mean() + (images[..., 1:] - images[..., :-1]).pow(2).mean())


@pytest.mark.parametrize("codec", ["libjpeg", "kornia"])
def test_degrade_keeps_shape_range_dtype_and_quantises(codec):
    hr = photo_like()
    lr, target = degrade(hr, 4, DegradationConfig(jpeg_codec=codec), [0, 1, 2, 3])
    assert lr.shape == (4, 3, 16, 16) and lr.dtype == torch.float32 and target.shape == hr.shape
    assert lr.min() >= 0 and lr.max() <= 1
    assert torch.equal((lr * 255).round(), lr * 255)


def test_degrade_is_reproducible_from_seed_and_ids():
    hr = photo_like()
    a, _ = degrade(hr, 4, DegradationConfig(), [10, 11, 12, 13], seed=3)
    b, _ = degrade(hr, 4, DegradationConfig(), [10, 11, 12, 13], seed=3)
    assert torch.equal(a, b)
    c, _ = degrade(hr, 4, DegradationConfig(), [10, 11, 12, 13], seed=4)
    d, _ = degrade(hr, 4, DegradationConfig(), [20, 21, 22, 23], seed=3)
    assert not torch.equal(a, c) and not torch.equal(a, d)


def test_every_operation_keeps_shape_range_dtype():
    images = photo_like(2, 32)
    kernel = gaussian_family_kernels(torch.tensor([7, 9]), torch.ones(2), torch.ones(2), torch.zeros(2), torch.ones(2), torch.zeros(2, dtype=torch.bool))
    gens = lambda: [torch.Generator().manual_seed(i) for i in range(2)]  # noqa: E731
    outputs = [
        blur(images, kernel), resize(images, (32, 32), "bicubic"), jpeg(images, torch.tensor([30.0, 90.0])),
        jpeg(images, torch.tensor([30.0, 90.0]), "kornia"), sharpen(images),
        add_gaussian_noise(images, torch.tensor([5.0, 20.0]), torch.tensor([False, True]), gens()),
        add_poisson_noise(images, torch.tensor([1.0, 2.0]), torch.tensor([False, True]), gens()),
    ]
    for out in outputs:
        assert out.shape == images.shape and out.dtype == images.dtype and out.min() >= 0 and out.max() <= 1


def test_blur_lowers_high_frequency_energy():
    images = photo_like()
    kernel = gaussian_family_kernels(torch.tensor([13] * 4), torch.full((4,), 2.0), torch.full((4,), 2.0), torch.zeros(4), torch.ones(4), torch.zeros(4, dtype=torch.bool))
    assert high_frequency_energy(blur(images, kernel)) < 0.3 * high_frequency_energy(images)


@pytest.mark.parametrize("codec", ["libjpeg", "kornia"])
def test_jpeg_makes_8x8_block_boundaries(codec):
    images = photo_like(2, 64)
    out = jpeg(images, torch.tensor([15.0, 15.0]), codec)
    steps = (out[..., :, 1:] - out[..., :, :-1]).abs().mean(dim=(0, 1, 2))  # per column boundary
    across_blocks = steps[7::8].mean()
    inside_blocks = torch.cat([steps[i::8] for i in range(7)]).mean()
    assert across_blocks > 1.5 * inside_blocks


def test_gaussian_noise_has_the_requested_sigma_and_grey_noise_is_shared():
    flat = torch.full((2, 3, 128, 128), 0.5)
    gens = [torch.Generator().manual_seed(i) for i in range(2)]
    out = add_gaussian_noise(flat, torch.tensor([10.0, 10.0]), torch.tensor([False, True]), gens)
    noise = (out - flat) * 255
    assert abs(float(noise[0].std()) - 10) < 0.3 and abs(float(noise[1].std()) - 10) < 0.3
    assert torch.equal(noise[1, 0], noise[1, 2]) and not torch.equal(noise[0, 0], noise[0, 2])


def test_poisson_noise_has_shot_noise_statistics():
    """256 distinct values -> 256 photon levels: noise std = scale * sqrt(value / 256)."""

    def noise_std(value: float, scale: float) -> float:
        ramp = value + (torch.arange(256) / 255 - 0.5) * 0.02
        images = ramp.repeat(3, 64, 1)[None]
        out = add_poisson_noise(images, torch.tensor([scale]), torch.tensor([False]), [torch.Generator().manual_seed(0)])
        return float((out - images).std())

    for value, scale in [(0.2, 1.0), (0.8, 1.0), (0.5, 2.0)]:
        assert abs(noise_std(value, scale) / (scale * (value / 256) ** 0.5) - 1) < 0.1


def test_sharpen_targets_increases_edge_contrast():
    images = photo_like()
    lr, target = degrade(images, 4, DegradationConfig(sharpen_targets=True), [0, 1, 2, 3])
    assert high_frequency_energy(target) > high_frequency_energy(images)


def test_light_settings_are_milder_and_match_their_json(tmp_path):
    from pathlib import Path

    mild, full = light(), DegradationConfig()
    assert mild.first.noise_sigma[1] < full.first.noise_sigma[1] and mild.first.blur_sigma[1] < full.first.blur_sigma[1]
    assert mild.second_pass_prob < full.second_pass_prob and mild.first.kernel_probs == full.first.kernel_probs
    shipped = Path(__file__).resolve().parents[3] / "docs" / "light_degradation.json"
    assert load_degradation_config(shipped) == mild  # the file the detail model was trained with


def test_config_file_partial_settings_and_clear_errors(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"first": {"noise_sigma": [1, 10]}, "final_sinc_prob": 0.5}))
    config = load_degradation_config(good)
    assert config.first.noise_sigma == (1, 10) and config.final_sinc_prob == 0.5 and config.second == DegradationConfig().second
    for text, message in [
        ("{", "not a JSON file"), ('{"frist": {}}', "unknown setting frist"), ('{"first": {"sigma": 1}}', "unknown setting first.sigma"),
        ('{"first": {"noise_sigma": [30, 1]}}', "first.noise_sigma"), ('{"second": {"kernel_sizes": [8, 21]}}', "odd sizes"),
        ('{"first": {"resize_probs": [0.5, 0.6, 0.1]}}', "summing to 1"), ('{"jpeg_codec": "webp"}', "jpeg_codec"),
        ('{"first": {"noise_sigma": "loud"}}', "first.noise_sigma: 'loud' is not"), ('{"second_pass_prob": true}', "second_pass_prob"),
        ('{"first": {"kernel_sizes": ["7", 21]}}', "first.kernel_sizes"), ('[1]', "JSON object"),
    ]:
        bad = tmp_path / "bad.json"
        bad.write_text(text)
        with pytest.raises(UserError, match=message) as info:
            load_degradation_config(bad)
        assert str(bad) in str(info.value)
    with pytest.raises(UserError, match="cannot read"):
        load_degradation_config(tmp_path / "absent.json")


def test_tiny_crops_survive_the_strongest_downscaling():
    """16 px HR crops shrink below the kernel radius in the second pass; no padding error, right LR size."""
    hr = photo_like(2, 16)
    for first in range(0, 40, 2):
        lr, _ = degrade(hr, 4, DegradationConfig(), [first, first + 1])
        assert lr.shape == (2, 3, 4, 4)
