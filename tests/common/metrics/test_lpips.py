"""LPIPS: equal to the lpips package's LPIPS-VGG on real photos when both use the same VGG16; heads checked."""
import pytest
import torch

from common.backbones.vgg import truncated_features
from common.core.errors import UserError
from common.io.images import read_image
from common.metrics.lpips import LPIPS, find_lpips_heads, load_lpips_heads, lpips_distance
from tests.conftest import shared_folder


def _photos(count: int, size: int = 96) -> torch.Tensor:
    paths = sorted(shared_folder("sr", "Set14").glob("*.png"))[:count]
    images = [torch.from_numpy(read_image(p)[:size, :size].copy()).reshape(size, size, -1)[..., :3] for p in paths]
    return torch.stack([x.expand(size, size, 3).permute(2, 0, 1).float() / 255 for x in images])


def test_matches_the_lpips_package_on_real_photos():
    lpips = pytest.importorskip("lpips")
    weights = shared_folder("weights")
    ours = LPIPS.from_files(weights / "lpips_v0.1_vgg.pth", weights / "vgg16_imagenet_features_torchvision_norm.pth")
    theirs = lpips.LPIPS(net="vgg", pnet_rand=True, model_path=str(weights / "lpips_v0.1_vgg.pth"), verbose=False).eval()
    vgg = torch.load(weights / "vgg16_imagenet_features_torchvision_norm.pth", weights_only=True)
    # Their trunk is torchvision's features cut into slices; each slice keeps the features index as its key.
    theirs.net.load_state_dict({k: vgg[f"features.{k.split('.', 1)[1]}"] for k in theirs.net.state_dict()})
    a = _photos(4)
    b = (a + 0.05 * torch.randn_like(a)).clamp(0, 1)
    c = a.flip(0)
    for x, y in ((a, b), (a, c)):
        with torch.no_grad():
            expected = theirs(x, y, normalize=True).flatten()
        torch.testing.assert_close(ours(x, y), expected, atol=1e-4, rtol=0)
    assert (ours(a, a) == 0).all() and (ours(a, c) > ours(a, b)).all()


def test_heads_file_is_checked(tmp_path):
    torch.save({"lin0.model.1.weight": torch.ones(1, 64, 1, 1)}, tmp_path / "partial.pth")
    with pytest.raises(UserError, match="lin1.model.1.weight of shape"):
        load_lpips_heads(tmp_path / "partial.pth")
    with pytest.raises(UserError, match="absent.pth: LPIPS weights file not found"):
        find_lpips_heads(tmp_path / "absent.pth")


def test_distance_is_the_weighted_sum_over_layers():
    trunk = truncated_features("vgg16", "relu5_3").eval()
    heads = [torch.ones(c) for c in (64, 128, 256, 512, 512)]
    x, y = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    one_layer = [h if i == 0 else torch.zeros_like(h) for i, h in enumerate(heads)]
    with torch.no_grad():
        total, first = lpips_distance(trunk, heads, x, y), lpips_distance(trunk, one_layer, x, y)
    assert total.shape == (2,) and (total > first).all() and (first > 0).all()
