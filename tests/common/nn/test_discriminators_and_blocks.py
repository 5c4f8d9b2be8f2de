import pytest
import torch

from common.nn.blocks import PixelShuffleUpsampler, ResidualBlock, count_parameters, make_activation, make_norm
from common.nn.discriminators import PatchGANConfig, PatchGANDiscriminator, SRGANDiscriminator, SRGANDiscriminatorConfig


def test_patchgan_70x70_reference_size():
    disc = PatchGANDiscriminator(PatchGANConfig(in_channels=3, ndf=64, n_layers=3))
    assert count_parameters(disc) == 2_764_737
    assert disc(torch.zeros(1, 3, 256, 256)).shape == (1, 1, 30, 30)


def test_patchgan_tiny_config_runs(device):
    disc = PatchGANDiscriminator(PatchGANConfig(ndf=8, n_layers=2)).to(device)
    assert disc(torch.zeros(2, 3, 32, 32, device=device)).shape[:2] == (2, 1)


@pytest.mark.parametrize("n_layers", [2, 3])
def test_patchgan_min_input_size_is_the_smallest_that_trains(n_layers):
    config = PatchGANConfig(ndf=4, n_layers=n_layers)
    disc = PatchGANDiscriminator(config).train()
    smallest = config.min_input_size()
    assert disc(torch.zeros(1, 3, smallest, smallest)).shape[-2:] == (1, 1)
    with pytest.raises((ValueError, RuntimeError)):
        disc(torch.zeros(1, 3, smallest - 1, smallest - 1))


def test_srgan_discriminator_shape_and_input_check():
    disc = SRGANDiscriminator(SRGANDiscriminatorConfig(base_channels=8, input_size=32))
    assert disc(torch.zeros(3, 3, 32, 32)).shape == (3, 1)
    with pytest.raises(ValueError, match="expects 32x32"):
        disc(torch.zeros(1, 3, 48, 48))


def test_residual_block_and_upsampler_shapes():
    block = ResidualBlock(8, norm="instance", padding_mode="reflect")
    assert block(torch.randn(1, 8, 9, 9)).shape == (1, 8, 9, 9)
    for scale in (2, 3, 4, 8):
        assert PixelShuffleUpsampler(scale, 4)(torch.zeros(1, 4, 5, 5)).shape == (1, 4, 5 * scale, 5 * scale)
    with pytest.raises(ValueError):
        PixelShuffleUpsampler(5, 4)


def test_factories_reject_unknown_names():
    with pytest.raises(ValueError):
        make_norm("group", 4)
    with pytest.raises(ValueError):
        make_activation("swish")


def test_fold_batch_norm_keeps_outputs():
    from common.nn.blocks import fold_batch_norm
    from superres.models import SRResNet, SRResNetConfig

    model = SRResNet(SRResNetConfig(num_blocks=2, channels=8)).train()
    with torch.no_grad():
        model(torch.rand(4, 3, 12, 12))  # give the BN layers non-trivial running statistics
    model.eval()
    image = torch.rand(1, 3, 10, 9)
    with torch.no_grad():
        expected = model(image)
        folded = fold_batch_norm(model)
        assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
        torch.testing.assert_close(folded(image), expected, atol=1e-5, rtol=1e-4)
