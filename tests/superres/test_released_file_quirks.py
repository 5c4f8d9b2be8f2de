"""Released files as people have them: saved on a GPU, grey (1-channel) models, 1x restoration models."""
import numpy as np
import torch

from common.io.images import read_image, write_image
from superres.cli import main
from superres.compact import CompactConfig, CompactSR
from superres.rrdbnet import RRDBNet, RRDBNetConfig


def test_a_checkpoint_saved_on_a_gpu_loads_on_a_cpu_only_machine(tmp_path, monkeypatch):
    state = {"params": CompactSR(CompactConfig(num_features=8, num_convs=2)).state_dict()}
    # Tag every storage as a CUDA one, as torch.save on a GPU does; loading it plainly on a CPU-only torch fails.
    monkeypatch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
    torch.save(state, tmp_path / "gpu.pth")
    monkeypatch.undo()
    if not torch.cuda.is_available():
        try:
            torch.load(tmp_path / "gpu.pth", weights_only=True)
            raised = False
        except RuntimeError:
            raised = True
        assert raised  # the file really is CUDA-tagged
    write_image(tmp_path / "in.png", np.zeros((10, 12, 3), np.uint8))
    assert main(["upscale", str(tmp_path / "in.png"), "--model", str(tmp_path / "gpu.pth"), "-o", str(tmp_path / "o.png"), "--device", "cpu"]) == 0


def test_grey_and_1x_models(tmp_path, capsys):
    torch.manual_seed(0)
    grey = CompactSR(CompactConfig(scale=2, in_channels=1, out_channels=1, num_features=8, num_convs=2))
    torch.save({"params": grey.state_dict()}, tmp_path / "grey_x2.pth")
    torch.save({"params_ema": RRDBNet(RRDBNetConfig(scale=1, num_features=8, num_blocks=1, growth=4)).state_dict()}, tmp_path / "restore_x1.pth")
    rng = np.random.default_rng(0)
    write_image(tmp_path / "colour.png", rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    assert main(["upscale", str(tmp_path / "colour.png"), "--model", str(tmp_path / "grey_x2.pth"), "-o", str(tmp_path / "g.png"), "--device", "cpu"]) == 0
    assert "a grey (1-channel) model" in capsys.readouterr().err
    out = read_image(tmp_path / "g.png")
    assert out.shape == (24, 32, 3) and (out[..., 0] == out[..., 2]).all()
    assert main(["upscale", str(tmp_path / "colour.png"), "--model", str(tmp_path / "restore_x1.pth"), "-o", str(tmp_path / "r.png"), "--device", "cpu"]) == 0
    assert read_image(tmp_path / "r.png").shape == (12, 16, 3)
