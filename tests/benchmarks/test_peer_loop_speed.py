"""The peer loop of benchmarks/peer_loop_speed.py behaves as RealESRGANer.enhance: whole image without pre-pad is
the network's own output; tiles with a pad at least the receptive radius equal it; its 10-pixel pad does not."""
import numpy as np
import torch

from benchmarks.peer_loop_speed import peer_enhance
from superres.models import SRResNet, lr_shuffle_config


def test_peer_loop_is_realesrganers_tiling():
    torch.manual_seed(0)
    model = SRResNet(lr_shuffle_config(2, num_blocks=8, channels=8)).eval()
    pixels = np.random.default_rng(0).integers(0, 256, (40, 52, 3), dtype=np.uint8)
    with torch.no_grad():
        direct = model(torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 255)
    expected = (direct.clamp(0, 1)[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    assert np.array_equal(peer_enhance(model, pixels, 2, tile=0, pre_pad=0), expected)
    exact = peer_enhance(model, pixels, 2, tile=16, tile_pad=model.receptive_radius, pre_pad=0)
    assert np.abs(exact.astype(int) - expected).max() <= 1
    assert not np.array_equal(peer_enhance(model, pixels, 2, tile=16, tile_pad=2, pre_pad=0), expected)
