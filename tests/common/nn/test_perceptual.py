"""The perceptual loss: layer sets per architecture, its arithmetic, gradients, and the real VGG16."""
import pytest
import torch
import torch.nn.functional as F

from common.backbones.vgg import VGGWeightsMissing, layer_indices, named_features, truncated_features
from common.core.errors import UserError
from common.io.images import read_image
from common.nn.perceptual import REALESRGAN_LAYERS, PerceptualLoss, layers_for
from tests.conftest import shared_folder


def test_missing_weights_say_how_to_get_them(tmp_path):
    with pytest.raises(VGGWeightsMissing, match="absent.pth") as info:
        PerceptualLoss.from_pretrained(tmp_path / "absent.pth")
    assert isinstance(info.value, UserError) and "--vgg-weights" in str(info.value)


@pytest.mark.parametrize("arch, last", [("vgg16", "conv5_3"), ("vgg19", "conv5_4")])
def test_layer_sets_resolve_for_the_files_arch(arch, last, tmp_path):
    # Random weights saved to a file: proves the loading and layer resolution, not a perceptual loss.
    state = {f"features.{k}": v for k, v in truncated_features(arch, "pool5").state_dict().items()}
    torch.save(state, tmp_path / "vgg.pth")
    loss = PerceptualLoss.from_pretrained(tmp_path / "vgg.pth")
    assert loss.arch == arch and loss.layers == REALESRGAN_LAYERS[arch]
    assert [w for _, w in loss.layers] == [0.1, 0.1, 1.0, 1.0, 1.0]
    assert len(loss.trunk) == layer_indices(arch)[last] + 1  # stops at the deepest layer used
    assert PerceptualLoss.from_pretrained(tmp_path / "vgg.pth", "vgg54").layers == ((last, 1.0),)
    assert all(not p.requires_grad for p in loss.parameters())


def test_unknown_layer_set_or_layer_is_a_user_error():
    with pytest.raises(UserError, match="--perceptual-layers vgg99"):
        layers_for("vgg99", "vgg16")
    with pytest.raises(UserError, match="unknown vgg16 layer"):
        PerceptualLoss.with_random_weights_for_tests("vgg16", (("conv5_4", 1.0),))


def test_loss_is_the_weighted_sum_of_per_layer_l1():
    layers = (("conv1_2", 0.1), ("conv2_2", 1.0))
    loss = PerceptualLoss.with_random_weights_for_tests("vgg16", layers)
    a, b = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    fa = named_features(loss.trunk, layer_indices("vgg16"), a, ("conv1_2", "conv2_2"))
    fb = named_features(loss.trunk, layer_indices("vgg16"), b, ("conv1_2", "conv2_2"))
    expected = 0.1 * F.l1_loss(fa["conv1_2"], fb["conv1_2"]) + F.l1_loss(fa["conv2_2"], fb["conv2_2"])
    torch.testing.assert_close(loss(a, b), expected)


def test_gradients_reach_the_prediction_only():
    loss = PerceptualLoss.with_random_weights_for_tests("vgg19")
    prediction, target = torch.rand(1, 3, 32, 32, requires_grad=True), torch.rand(1, 3, 32, 32, requires_grad=True)
    value = loss(prediction, target)
    value.backward()
    assert value.item() > 0 and prediction.grad.abs().sum() > 0
    assert target.grad is None
    assert loss(prediction.detach(), prediction.detach()).item() == 0.0


def test_real_vgg16_loss_ranks_a_noisy_copy_far_closer_than_another_photo():
    weights = shared_folder("weights") / "vgg16_imagenet_features_torchvision_norm.pth"
    photos = sorted(shared_folder("sr", "Set14").glob("*.png"))[:2]
    loss = PerceptualLoss.from_pretrained(weights)
    a, b = (torch.from_numpy(read_image(p)[:128, :128, :3].copy()).permute(2, 0, 1)[None].float() / 255 for p in photos)
    noisy = (a + torch.randn_like(a) / 255).clamp(0, 1)
    with torch.no_grad():
        assert loss(a, a).item() == 0.0
        assert loss(a, b) > 10 * loss(a, noisy)


def test_distances_are_divided_by_the_feature_scale():
    loss = PerceptualLoss.with_random_weights_for_tests("vgg16", (("conv1_2", 1.0),))
    scaled = PerceptualLoss(loss.trunk, "vgg16", loss.layers, scale=4.0)
    a, b = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    torch.testing.assert_close(scaled(a, b), loss(a, b) / 4)
