"""superres info: what each kind of file is, what loads it, and why nothing does."""
import json
from pathlib import Path

import torch

from superres.cli import main
from superres.file_info import describe_model_file
from superres.weights import clean_model_path, int8_path

SWIFT = Path(__file__).resolve().parents[1] / "fixtures" / "swift_srgan" / "swift_tiny_x4.pth.tar"


def test_describes_torch_safetensors_and_onnx_files():
    swift = describe_model_file(SWIFT)
    assert (swift["format"], swift["architecture"], swift["scale"], swift["loader"]) == ("PyTorch checkpoint", "swift_srgan", 4, "swift_srgan (model)")
    state = torch.load(SWIFT, weights_only=True)["model"]
    statistics = ("running_mean", "running_var", "num_batches_tracked")  # BatchNorm buffers are not parameters
    assert swift["parameters"] == sum(v.numel() for k, v in state.items() if not k.endswith(statistics))
    clean = describe_model_file(clean_model_path())
    assert (clean["format"], clean["architecture"], clean["parameters"], clean["in_channels"]) == ("gansuite safetensors model", "srresnet", 657_264, 3)
    onnx = describe_model_file(int8_path("clean"))
    assert onnx["format"] == "ONNX" and onnx["in_channels"] == 3


def test_says_why_nothing_loads_a_file(tmp_path, capsys):
    torch.save({"params": {"encoder.weight": torch.zeros(3, 3)}}, tmp_path / "other.pth")
    (tmp_path / "notes.txt").write_text("hello")
    assert "architecture not recognised" in describe_model_file(tmp_path / "other.pth")["problem"]
    assert main(["info", str(tmp_path / "notes.txt"), str(SWIFT), str(tmp_path / "absent.pth"), "--json"]) == 1
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["problem"].startswith("neither a PyTorch checkpoint") and lines[1]["architecture"] == "swift_srgan"
    assert lines[2]["problem"] == "model file not found"


def test_describes_an_ncnn_pair():
    info = describe_model_file(Path(__file__).resolve().parents[1] / "fixtures" / "ncnn" / "compact.ncnn.param")
    assert (info["format"], info["architecture"], info["scale"]) == ("ncnn .param (+ .bin)", "srvgg_compact", 4)
    assert info["loader"].startswith("compact (ncnn): superres import compact.ncnn.param")
