"""The popular PyTorch SRGAN release's generator: parity with its own forward, size, exact tiles."""
from pathlib import Path

import numpy as np
import torch

from superres.cli import main
from superres.importers import import_sr_checkpoint
from superres.upscaler import Upscaler

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "srgan"


def test_matches_the_releases_forward():
    model, meta = import_sr_checkpoint(FIXTURES / "netG_epoch_4_test.pth")
    assert meta["kind"] == "srgan" and meta["config"] == {"scale": 4, "num_blocks": 5, "channels": 64}
    assert meta["source_format"] == "srgan (bare state dict)"
    assert sum(p.numel() for p in model.parameters()) == 734_219  # leftthomas/SRGAN Generator(4)
    with torch.no_grad():
        ours = model(torch.from_numpy(np.load(FIXTURES / "input.npy")))
    np.testing.assert_allclose(ours.numpy(), np.load(FIXTURES / "netG_epoch_4_test.out.npy"), atol=1e-6, rtol=0)


def test_tiles_equal_the_whole_image_and_the_cli_runs_it(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (30, 26, 3), dtype=np.uint8)
    whole = Upscaler.from_pretrained(str(FIXTURES / "netG_epoch_4_test.pth"), device="cpu", tile=0).upscale_array(pixels)
    tiled = Upscaler.from_pretrained(str(FIXTURES / "netG_epoch_4_test.pth"), device="cpu", tile=12).upscale_array(pixels)
    assert np.abs(whole.astype(int) - tiled.astype(int)).max() <= 1
    assert main(["info", str(FIXTURES / "netG_epoch_4_test.pth")]) == 0
