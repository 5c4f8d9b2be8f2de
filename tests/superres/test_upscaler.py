import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image

from common.core.config import config_to_dict
from common.core.errors import UserError
from common.weights.model_files import save_weights
from superres.models import SRResNet, lr_shuffle_config, msrresnet_config, srresnet_paper_config
from superres.upscaler import Upscaler


def _image(height=70, width=53, channels=3, dtype=np.uint8, seed=0):
    rng = np.random.default_rng(seed)
    peak = 65535 if dtype == np.uint16 else 255
    return rng.integers(0, peak + 1, (height, width, channels)).astype(dtype)


@pytest.mark.parametrize("make", [lr_shuffle_config, msrresnet_config, srresnet_paper_config])
def test_tiled_output_equals_whole_image(make):
    torch.manual_seed(0)
    model = SRResNet(dataclasses.replace(make(4), num_blocks=4, channels=16))
    pixels = _image()
    whole = Upscaler(model, device="cpu", tile=0)(pixels)
    tiled = Upscaler(model, device="cpu", tile=24)(pixels)
    assert whole.shape == (280, 212, 3)
    assert np.abs(whole.astype(int) - tiled.astype(int)).max() <= 1


def test_too_small_tile_pad_shows_seams():
    # Proves the equality test above can fail: without enough context the tiles disagree at their edges.
    torch.manual_seed(0)
    model = SRResNet(dataclasses.replace(lr_shuffle_config(4), num_blocks=4, channels=16))
    pixels = _image()
    whole = Upscaler(model, device="cpu", tile=0)(pixels)
    seamy = Upscaler(model, device="cpu", tile=24, tile_pad=0)(pixels)
    assert np.abs(whole.astype(int) - seamy.astype(int)).max() > 1


@pytest.fixture(scope="module")
def tiny_upscaler():
    torch.manual_seed(0)
    return Upscaler(SRResNet(lr_shuffle_config(2, num_blocks=1, channels=8)), device="cpu", tile=16)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_channels_and_bit_depth_are_kept(tiny_upscaler, channels, dtype):
    pixels = _image(20, 18, channels, dtype)
    out = tiny_upscaler(pixels)
    assert out.dtype == dtype and out.shape == (40, 36, channels)


def test_alpha_is_upscaled_not_dropped(tiny_upscaler):
    pixels = _image(20, 18, 4)
    pixels[..., 3] = 0
    pixels[:10, :, 3] = 255
    out = tiny_upscaler(pixels)
    assert out[:16, :, 3].min() == 255 and out[24:, :, 3].max() == 0


def test_pil_in_pil_out_and_outscale(tiny_upscaler):
    image = Image.fromarray(_image(20, 18, 3))
    out = tiny_upscaler(image, outscale=1.5)
    assert isinstance(out, Image.Image) and out.size == (27, 30) and out.mode == "RGB"
    grey = tiny_upscaler(Image.fromarray(_image(20, 18, 1)[..., 0]))
    assert grey.mode == "L" and grey.size == (36, 40)


def test_float_and_2d_arrays(tiny_upscaler):
    out = tiny_upscaler(np.random.default_rng(0).random((10, 12)).astype(np.float32))
    assert out.dtype == np.float32 and out.shape == (20, 24) and 0 <= out.min() and out.max() <= 1


def test_bad_arrays(tiny_upscaler):
    with pytest.raises(UserError):
        tiny_upscaler(np.zeros((4, 4, 5), dtype=np.uint8))
    with pytest.raises(UserError, match="too small"):
        tiny_upscaler(np.zeros((1, 4, 3), dtype=np.uint8))


def test_from_pretrained_file_and_wrong_kind(tmp_path):
    model = SRResNet(lr_shuffle_config(2, num_blocks=1, channels=8))
    save_weights(model, tmp_path / "m.safetensors", "srresnet", config_to_dict(model.config))
    assert Upscaler.from_pretrained(tmp_path / "m.safetensors", device="cpu").scale == 2
    save_weights(model, tmp_path / "other.safetensors", "resnet_generator", config_to_dict(model.config))
    with pytest.raises(UserError, match="expected srresnet"):
        Upscaler.from_pretrained(tmp_path / "other.safetensors")
    with pytest.raises(UserError, match="not found"):
        Upscaler.from_pretrained(tmp_path / "absent.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 40)
    with pytest.raises(UserError, match="not a readable"):
        Upscaler.from_pretrained(tmp_path / "junk.safetensors")
