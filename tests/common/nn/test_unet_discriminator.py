"""Real-ESRGAN's U-Net discriminator: the released size and key names, per-pixel output, input checks."""
import pytest
import torch

from common.nn.unet_discriminator import UNetDiscriminator, UNetDiscriminatorConfig


def test_parameter_count_and_keys_are_the_released_designs():
    d = UNetDiscriminator()
    # UNetDiscriminatorSN(num_in_ch=3, num_feat=64): 3x3 conv0 with bias, SN convs without, conv9 with bias.
    assert sum(p.numel() for p in d.parameters()) == 4_376_897
    keys = set(d.state_dict())
    assert {"conv0.weight", "conv0.bias", "conv1.weight_orig", "conv1.weight_u", "conv1.weight_v", "conv9.bias"} <= keys
    assert "conv1.bias" not in keys


def test_scores_every_pixel_and_trains():
    d = UNetDiscriminator(UNetDiscriminatorConfig(base_channels=8))
    x = torch.rand(2, 3, 24, 32)
    out = d(x)
    assert out.shape == (2, 1, 24, 32)
    out.mean().backward()
    assert d.conv3.weight_orig.grad.abs().sum() > 0


def test_sides_must_be_multiples_of_eight():
    with pytest.raises(ValueError, match="multiples of 8"):
        UNetDiscriminator(UNetDiscriminatorConfig(base_channels=8))(torch.rand(1, 3, 20, 32))


def test_skip_connections_change_the_output():
    torch.manual_seed(0)
    with_skips = UNetDiscriminator(UNetDiscriminatorConfig(base_channels=8)).eval()
    without = UNetDiscriminator(UNetDiscriminatorConfig(base_channels=8, skip_connection=False)).eval()
    without.load_state_dict(with_skips.state_dict())
    x = torch.rand(1, 3, 16, 16)
    assert not torch.allclose(with_skips(x), without(x))
