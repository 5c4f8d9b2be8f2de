"""VGG trunks from files: layer names, where weights are looked for, what a file must hold, and the real VGG16."""
import pytest
import torch
import torchvision

from common.backbones.vgg import (
    VGGWeightsMissing, find_vgg_weights, layer_indices, load_vgg_features, named_features, random_vgg_features_for_tests,
    read_vgg_state, truncated_features,
)
from common.core.errors import UserError
from common.io.images import read_image
from tests.conftest import shared_folder


def _features_state(arch: str) -> dict[str, torch.Tensor]:
    return {f"features.{k}": v for k, v in truncated_features(arch, "pool5").state_dict().items()}


@pytest.mark.parametrize("arch, plan", [("vgg16", "D"), ("vgg19", "E")])
def test_trunk_has_torchvisions_keys_and_shapes(arch, plan):
    theirs = torchvision.models.vgg.make_layers(torchvision.models.vgg.cfgs[plan]).state_dict()
    ours = truncated_features(arch, "pool5").state_dict()
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in theirs.items()}


def test_layer_names_match_torchvision_indices():
    assert layer_indices("vgg16")["conv5_3"] == 28 and layer_indices("vgg16")["relu5_3"] == 29
    assert layer_indices("vgg19")["conv5_4"] == 34 and layer_indices("vgg19")["conv3_4"] == 16
    assert layer_indices("vgg19")["conv1_2"] == 2 and layer_indices("vgg16")["relu3_3"] == 15


def test_missing_weights_say_how_to_get_them(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(VGGWeightsMissing, match="vgg19-dcbb9e9d.pth or vgg16-397923af.pth") as info:
        find_vgg_weights()
    assert isinstance(info.value, UserError) and "--vgg-weights" in str(info.value)
    with pytest.raises(VGGWeightsMissing, match="absent.pth: VGG weights file not found"):
        find_vgg_weights(tmp_path / "absent.pth")


def test_torchvision_cache_is_searched_vgg19_first(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    cache = tmp_path / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    (cache / "vgg16-397923af.pth").write_bytes(b"x")
    assert find_vgg_weights().name == "vgg16-397923af.pth"
    (cache / "vgg19-dcbb9e9d.pth").write_bytes(b"x")
    assert find_vgg_weights().name == "vgg19-dcbb9e9d.pth"
    assert find_vgg_weights(arch="vgg16").name == "vgg16-397923af.pth"


@pytest.mark.parametrize("arch", ["vgg16", "vgg19"])
def test_full_and_features_only_files_load_and_name_their_arch(arch, tmp_path):
    # Random weights saved to files: proves the reading path only.
    state = _features_state(arch)
    torch.save({**state, "classifier.6.bias": torch.zeros(1000)}, tmp_path / "full.pth")
    torch.save({k: v for k, v in state.items() if k.startswith("features.")}, tmp_path / "features.pth")
    for name in ("full.pth", "features.pth"):
        found, trunk = load_vgg_features(tmp_path / name, "conv2_2")
        assert found == arch
        torch.testing.assert_close(trunk[2].weight, state["features.2.weight"])
        assert all(not p.requires_grad for p in trunk.parameters()) and not trunk.training


def test_a_missing_or_misshapen_tensor_is_named_before_anything_is_built(tmp_path):
    state = _features_state("vgg16")
    torch.save({k: v for k, v in state.items() if k != "features.28.bias"}, tmp_path / "no_bias.pth")
    with pytest.raises(VGGWeightsMissing, match="features.28.bias is missing"):
        load_vgg_features(tmp_path / "no_bias.pth", "conv5_3")
    torch.save({**state, "features.0.weight": torch.zeros(64, 3, 5, 5)}, tmp_path / "shape.pth")
    with pytest.raises(VGGWeightsMissing, match=r"features.0.weight has shape \(64, 3, 5, 5\)"):
        load_vgg_features(tmp_path / "shape.pth", "conv1_2")
    with pytest.raises(VGGWeightsMissing, match="holds vgg16 weights, but --vgg-arch is vgg19"):
        load_vgg_features(tmp_path / "shape.pth", "conv1_2", arch="vgg19")


def test_files_that_are_not_vgg_are_refused(tmp_path):
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(VGGWeightsMissing, match="junk.pth: cannot read VGG weights"):
        read_vgg_state(tmp_path / "junk.pth")
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3)}, tmp_path / "one.pth")
    with pytest.raises(VGGWeightsMissing, match="holds 1 features.\\* conv layers"):
        read_vgg_state(tmp_path / "one.pth")


def test_conv_outputs_are_taken_before_the_relu():
    trunk = random_vgg_features_for_tests("vgg16", "relu1_2")
    images = torch.rand(1, 3, 16, 16)
    out = named_features(trunk, layer_indices("vgg16"), images, ("conv1_2", "relu1_2"))
    assert (out["conv1_2"] < 0).any()  # not clamped in place by the ReLU that follows
    torch.testing.assert_close(out["relu1_2"], out["conv1_2"].clamp_min(0))


def test_real_vgg16_features_separate_photos_more_than_noise():
    weights = shared_folder("weights") / "vgg16_imagenet_features_torchvision_norm.pth"
    photos = sorted((shared_folder("sr", "Set14")).glob("*.png"))[:2]
    arch, trunk = load_vgg_features(weights, "conv5_3")
    assert arch == "vgg16"
    images = [torch.from_numpy(read_image(p)[..., :3].copy()).permute(2, 0, 1)[None, :, :192, :192].float() / 255 for p in photos]
    noisy = (images[0] + torch.randn_like(images[0]) / 255).clamp(0, 1)
    with torch.no_grad():
        a, b, n = (named_features(trunk, layer_indices("vgg16"), x, ("conv5_3",))["conv5_3"] for x in (images[0], images[1], noisy))
    assert (a - b).abs().mean() > 20 * (a - n).abs().mean()


def test_feature_scale_tells_caffe_converted_weights_from_torchvisions():
    from common.backbones.vgg import CAFFE_INPUT_SCALE, feature_scale

    state = _features_state("vgg16")  # default init: conv1_1 weights of about 0.1, like torchvision's
    assert feature_scale(state) == 1.0
    folded = {**state, "features.0.weight": state["features.0.weight"] * 255 / 0.226}  # 0-255 input folded in
    assert feature_scale(folded) == pytest.approx(57.6, abs=0.1) == CAFFE_INPUT_SCALE


def test_real_vgg16_from_caffe_is_brought_to_torchvision_scale():
    from common.backbones.vgg import CAFFE_INPUT_SCALE, feature_scale

    state = read_vgg_state(shared_folder("weights") / "vgg16_imagenet_features_torchvision_norm.pth")[1]
    assert feature_scale(state) == CAFFE_INPUT_SCALE
