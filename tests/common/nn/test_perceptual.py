import pytest
import torch
import torchvision

from common.core.errors import UserError
from common.nn.perceptual import PerceptualLoss, VGGWeightsMissing, load_vgg19_features


def test_missing_weights_say_how_to_get_them(tmp_path):
    with pytest.raises(VGGWeightsMissing, match="vgg19") as info:
        load_vgg19_features(tmp_path / "absent.pth")
    assert isinstance(info.value, UserError)
    assert "--vgg-weights" in str(info.value)


def test_weights_load_from_a_given_path(tmp_path):
    # Random weights saved to a file: proves the loading path (not a perceptual loss).
    state = torchvision.models.vgg19(weights=None).state_dict()
    torch.save(state, tmp_path / "vgg19.pth")
    loss = PerceptualLoss.from_pretrained(tmp_path / "vgg19.pth", last_layer="conv2_2")
    torch.testing.assert_close(loss.features[0].weight, state["features.0.weight"])
    assert all(not p.requires_grad for p in loss.parameters())


def test_wiring_with_random_weights_gives_gradients_to_the_prediction():
    loss = PerceptualLoss.with_random_weights_for_tests("conv2_2")
    prediction = torch.rand(1, 3, 32, 32, requires_grad=True)
    value = loss(prediction, torch.rand(1, 3, 32, 32))
    value.backward()
    assert value.item() > 0 and prediction.grad.abs().sum() > 0
    assert loss(prediction.detach(), prediction.detach()).item() == 0.0
