"""Swift-SRGAN: parity with the official architecture code, the real release, exact tiles, ONNX, and files
recognised by their content rather than their names."""
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from superres.cli import main
from superres.importers import import_sr_checkpoint
from superres.upscaler import Upscaler
from tests.conftest import shared_folder
from tests.helpers import make_image_folder

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "swift_srgan"


@pytest.mark.parametrize("scale", [2, 4])
def test_matches_the_official_forward(scale):
    model, meta = import_sr_checkpoint(FIXTURES / f"swift_tiny_x{scale}.pth.tar")
    assert meta["kind"] == "swift_srgan" and meta["scale"] == scale and meta["source_format"] == "swift_srgan (model)"
    with torch.no_grad():
        ours = model(torch.from_numpy(np.load(FIXTURES / "input.npy")))
    np.testing.assert_allclose(ours.numpy(), np.load(FIXTURES / f"swift_tiny_x{scale}.out.npy"), atol=1e-6, rtol=0)


def test_tiles_equal_the_whole_image():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (40, 36, 3), dtype=np.uint8)
    whole = Upscaler.from_pretrained(str(FIXTURES / "swift_tiny_x4.pth.tar"), device="cpu", tile=0).upscale_array(pixels)
    tiled = Upscaler.from_pretrained(str(FIXTURES / "swift_tiny_x4.pth.tar"), device="cpu", tile=16).upscale_array(pixels)
    assert np.abs(whole.astype(int) - tiled.astype(int)).max() <= 1


def test_the_released_file_loads_and_beats_bicubic_on_set5():
    from superres.data import load_eval_set
    from superres.evaluate import evaluate, mean_scores, torch_model_upscaler

    model, meta = import_sr_checkpoint(shared_folder("released") / "swift_srgan_4x.pth.tar")
    assert sum(p.numel() for p in model.parameters()) == 201_209 and meta["config"]["num_blocks"] == 16
    means = mean_scores(evaluate(torch_model_upscaler(model, torch.device("cpu")), load_eval_set(shared_folder("sr", "Set5"), 4), 4))
    assert means["psnr"] > means["bicubic_psnr"] + 1.2  # measured 30.00 against 28.43 dB


def test_format_is_read_from_the_content_not_the_name(tmp_path, capsys):
    source = make_image_folder(tmp_path / "in", count=1, size=(12, 10)) / "img00.png"
    # A torch checkpoint whose name says nothing (the release's .pth.tar, or a misleading .safetensors).
    for name in ("swift.pth.tar", "swift.safetensors", "swift.bin"):
        shutil.copy(FIXTURES / "swift_tiny_x4.pth.tar", tmp_path / name)
        assert main(["upscale", str(source), "--model", str(tmp_path / name), "-o", str(tmp_path / f"{name}.png"), "--device", "cpu"]) == 0
    # A gansuite safetensors model named like a .pth still loads as what it is.
    assert main(["import", str(FIXTURES / "swift_tiny_x4.pth.tar"), "-o", str(tmp_path / "ours.safetensors")]) == 0
    shutil.copy(tmp_path / "ours.safetensors", tmp_path / "ours.pth")
    shutil.copy(tmp_path / "ours.json", tmp_path / "ours.json.bak")
    assert main(["upscale", str(source), "--model", str(tmp_path / "ours.safetensors"), "-o", str(tmp_path / "a.png"), "--device", "cpu"]) == 0
    capsys.readouterr()


def test_exports_to_onnx(tmp_path):
    assert main(["export", str(FIXTURES / "swift_tiny_x2.pth.tar"), "-o", str(tmp_path / "swift.onnx")]) == 0
    assert (tmp_path / "swift.onnx").stat().st_size > 0
