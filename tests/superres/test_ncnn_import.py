"""ncnn models (.param + .bin) back into PyTorch: equal to the network they were converted from, and to ncnn's
own output within 1 level; bad pairs are one line."""
from pathlib import Path

import numpy as np
import pytest
import torch

from common.io.images import read_image, write_image
from superres.cli import main
from superres.compact import CompactConfig, CompactSR
from superres.ncnn_import import import_ncnn
from superres.rrdbnet import RRDBNet, RRDBNetConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ncnn"
ORIGINALS = {"compact": lambda: CompactSR(CompactConfig(num_features=8, num_convs=2)),
             "rrdbnet": lambda: RRDBNet(RRDBNetConfig(num_features=8, num_blocks=2, growth=4))}


@pytest.mark.parametrize("name", sorted(ORIGINALS))
def test_rebuilds_the_network_it_was_converted_from(name):
    model, meta = import_ncnn(FIXTURES / f"{name}.ncnn.param")
    assert meta["source_format"] == f"{name} (ncnn)"
    original = ORIGINALS[name]()
    original.load_state_dict(torch.load(FIXTURES / f"{name}.pt", weights_only=True))
    x = torch.rand(1, 3, 20, 16)
    with torch.no_grad():
        assert (model(x) - original.eval()(x)).abs().max() < 2e-4  # pnnx stores the conv weights as fp16


@pytest.mark.parametrize("name", sorted(ORIGINALS))
def test_matches_ncnns_own_output_within_one_level(name, tmp_path):
    ncnn = pytest.importorskip("ncnn")
    pixels = np.random.default_rng(0).integers(0, 256, (20, 16, 3), dtype=np.uint8)
    write_image(tmp_path / "in.png", pixels)
    assert main(["import", str(FIXTURES / f"{name}.ncnn.param"), str(FIXTURES / f"{name}.ncnn.bin"), "-o", str(tmp_path / name)]) == 0
    assert main(["upscale", str(tmp_path / "in.png"), "--model", str(tmp_path / f"{name}.safetensors"), "-o", str(tmp_path / "out.png"),
                 "--device", "cpu"]) == 0
    net = ncnn.Net()
    net.opt.use_fp16_storage = net.opt.use_fp16_arithmetic = net.opt.use_fp16_packed = False
    assert net.load_param(str(FIXTURES / f"{name}.ncnn.param")) == 0 and net.load_model(str(FIXTURES / f"{name}.ncnn.bin")) == 0
    extractor = net.create_extractor()
    planar = np.ascontiguousarray(pixels.transpose(2, 0, 1).astype(np.float32) / 255)  # kept alive: the Mat borrows it
    extractor.input("in0", ncnn.Mat(planar))
    _, out = extractor.extract("out0")
    theirs = (np.clip(np.array(out).transpose(1, 2, 0), 0, 1) * 255).round().astype(int)
    assert np.abs(read_image(tmp_path / "out.png").astype(int) - theirs).max() <= 1


def test_bad_pairs_are_one_line(tmp_path, capsys):
    (tmp_path / "a.param").write_text("not ncnn\n")
    (tmp_path / "a.bin").write_bytes(b"")
    assert main(["import", str(tmp_path / "a.param"), "-o", str(tmp_path / "x")]) == 2
    assert "not an ncnn .param file" in capsys.readouterr().err
    (tmp_path / "b.param").write_text((FIXTURES / "compact.ncnn.param").read_text())
    (tmp_path / "b.bin").write_bytes((FIXTURES / "compact.ncnn.bin").read_bytes()[:3000])
    assert main(["import", str(tmp_path / "b.param"), "-o", str(tmp_path / "x")]) == 2
    assert "but the .param needs more weights" in capsys.readouterr().err
    assert main(["import", str(FIXTURES / "compact.ncnn.param"), str(FIXTURES / "rrdbnet.ncnn.bin"), "-o", str(tmp_path / "x")]) == 2
    assert "this .param's .bin" in capsys.readouterr().err
    assert not (tmp_path / "x.safetensors").exists()
