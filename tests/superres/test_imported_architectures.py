"""RRDBNet and SRVGGNetCompact: released sizes, shapes, the computed receptive radius, exact tiles, alpha, ONNX."""
import numpy as np
import pytest
import torch

from common.nn.blocks import count_parameters
from superres.compact import CompactConfig, CompactSR
from superres.models import SRResNet, msrresnet_config
from superres.rrdbnet import RRDBNet, RRDBNetConfig
from superres.upscaler import Upscaler


@pytest.mark.parametrize("config, count", [
    (RRDBNetConfig(scale=4), 16_697_987),                      # RealESRGAN_x4plus / ESRGAN
    (RRDBNetConfig(scale=2), 16_703_171),                      # RealESRGAN_x2plus
    (RRDBNetConfig(scale=4, num_blocks=6), 4_467_779),         # RealESRGAN_x4plus_anime_6B (23 - 17 RRDBs of 719,424)
    (CompactConfig(), 1_213_296),                              # realesr-general-x4v3
    (CompactConfig(num_convs=16), 621_424),                    # realesr-animevideov3
])
def test_released_parameter_counts(config, count):
    model = RRDBNet(config) if isinstance(config, RRDBNetConfig) else CompactSR(config)
    assert count_parameters(model) == count


@pytest.mark.parametrize("scale, count", [(2, 1_369_859), (3, 1_554_499)])
def test_basicsr_msrresnet_x2_x3_parameter_counts(scale, count):
    assert count_parameters(SRResNet(msrresnet_config(scale))) == count


def tiny(kind: str, scale: int):
    torch.manual_seed(scale)
    if kind == "rrdbnet":
        return RRDBNet(RRDBNetConfig(scale=scale, num_features=8, num_blocks=1, growth=4)).eval()
    return CompactSR(CompactConfig(scale=scale, num_features=8, num_convs=3)).eval()


@pytest.mark.parametrize("kind, scale", [("rrdbnet", 4), ("rrdbnet", 2), ("rrdbnet", 1), ("compact", 4), ("compact", 2)])
def test_any_input_size(kind, scale):
    model = tiny(kind, scale)
    with torch.no_grad():
        assert model(torch.rand(1, 3, 7, 5)).shape == (1, 3, 7 * scale, 5 * scale)


def measured_radius(model) -> int:
    """Largest LR distance from a changed input pixel at which some output pixel changes (float64)."""
    size = 2 * model.receptive_radius + 16
    model = model.double()
    image = torch.rand(1, 3, size, size, dtype=torch.float64)
    changed = image.clone()
    centre = size // 2
    changed[..., centre, centre] += 0.5
    with torch.no_grad():
        diff = (model(changed) - model(image)).abs().amax(dim=(0, 1))
    scale = model.config.scale
    rows, cols = torch.nonzero(diff > 0, as_tuple=True)
    lr_rows, lr_cols = rows // scale, cols // scale
    return int(torch.maximum((lr_rows - centre).abs(), (lr_cols - centre).abs()).max())


@pytest.mark.parametrize("kind, scale", [("rrdbnet", 4), ("rrdbnet", 2), ("rrdbnet", 1), ("compact", 4)])
def test_receptive_radius_is_computed_not_guessed(kind, scale):
    model = tiny(kind, scale)
    measured = measured_radius(model)
    assert measured <= model.receptive_radius  # safe: tiles padded by it are exact
    assert measured >= model.receptive_radius - model.multiple_of  # tight: not a generous guess


@pytest.mark.parametrize("kind, scale", [("rrdbnet", 4), ("rrdbnet", 2), ("rrdbnet", 1), ("compact", 4)])
def test_tiles_equal_the_whole_image(kind, scale):
    model = tiny(kind, scale)
    pixels = np.random.default_rng(1).integers(0, 256, (45, 51, 3), dtype=np.uint8)
    whole = Upscaler(model, device="cpu", tile=0)(pixels)
    tiled = Upscaler(model, device="cpu", tile=13)(pixels)  # odd tile size: rounded up to the unshuffle cell
    assert whole.shape == (45 * scale, 51 * scale, 3)
    np.testing.assert_array_equal(tiled, whole)


def test_alpha_and_grey_on_an_imported_architecture():
    model = tiny("rrdbnet", 2)
    rgba = np.random.default_rng(2).integers(0, 256, (20, 18, 4), dtype=np.uint8)
    upscaler = Upscaler(model, device="cpu", tile=0)
    result = upscaler(rgba)
    assert result.shape == (40, 36, 4)
    np.testing.assert_array_equal(result[..., :3], upscaler(np.ascontiguousarray(rgba[..., :3])))
    grey16 = np.random.default_rng(3).integers(0, 65536, (20, 18, 1), dtype=np.uint16)
    out = upscaler(grey16)
    assert out.shape == (40, 36, 1) and out.dtype == np.uint16
