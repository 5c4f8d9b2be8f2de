import pytest
import torch

from common.nn.blocks import count_parameters
from superres.models import SRResNet, SRResNetConfig, lr_shuffle_config, msrresnet_config, srresnet_paper_config


def test_paper_srresnet_parameter_count():
    assert count_parameters(SRResNet(srresnet_paper_config(4))) == 1_549_462


def test_paper_srresnet_per_channel_prelu_count():
    config = SRResNetConfig(activation="prelu_channel", block_activation="prelu_channel")
    assert count_parameters(SRResNet(config)) == 1_550_659


def test_msrresnet_parameter_count():
    assert count_parameters(SRResNet(msrresnet_config(4))) == 1_517_571


@pytest.mark.parametrize("make", [srresnet_paper_config, msrresnet_config, lr_shuffle_config])
@pytest.mark.parametrize("scale", [2, 3, 4, 8])
def test_output_shapes(make, scale, device):
    import dataclasses

    config = dataclasses.replace(make(scale), num_blocks=1, channels=8)
    model = SRResNet(config).to(device).eval()
    with torch.no_grad():
        assert model(torch.rand(1, 3, 7, 5, device=device)).shape == (1, 3, 7 * scale, 5 * scale)


def test_unknown_upsampler():
    with pytest.raises(ValueError, match="upsampler"):
        SRResNet(SRResNetConfig(upsampler="deconv"))


def test_global_residual_starts_near_bilinear():
    model = SRResNet(msrresnet_config(4, num_blocks=2, channels=8)).eval()
    image = torch.rand(1, 3, 8, 8)
    bilinear = torch.nn.functional.interpolate(image, scale_factor=4, mode="bilinear", align_corners=False)
    with torch.no_grad():
        # Kaiming init scaled by 0.1 keeps the residual branch small at the start of training.
        assert (model(image) - bilinear).abs().mean() < 0.05
