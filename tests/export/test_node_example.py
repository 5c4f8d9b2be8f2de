"""examples/node: a Node.js app on the gansuite-onnx package (js/) writes what `superres upscale` and `translate run`
write, for PNG (RGB, RGBA, grey) and JPEG input.

Skipped with a reason when node/npm are absent or the npm registry cannot be reached.
"""
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from common.core.config import config_to_dict
from common.io.images import read_image, write_image
from common.weights.model_files import save_weights
from superres.cli import main
from translate.cli import main as translate_main
from translate.models import ResnetGenerator, ResnetGeneratorConfig
from translate.onnx import export_translate_model
from tests.helpers import js_package_copy_is_current

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "node"


@pytest.fixture(scope="module")
def node_example():
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are not installed")
    if not ((EXAMPLE / "node_modules" / "sharp").is_dir() and js_package_copy_is_current(EXAMPLE)):
        install = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=EXAMPLE, capture_output=True, text=True, timeout=300,
                                 env={**os.environ, "ONNXRUNTIME_NODE_INSTALL_CUDA": "skip"})
        if install.returncode != 0:
            pytest.skip(f"npm ci failed (offline?): {install.stderr.strip().splitlines()[-1] if install.stderr.strip() else install.returncode}")
    return EXAMPLE / "run_model.js"


@pytest.fixture(scope="module")
def models(sr_model_file, tmp_path_factory):
    folder = tmp_path_factory.mktemp("node_models")
    assert main(["export", str(sr_model_file), "-o", str(folder / "sr.onnx")]) == 0
    torch.manual_seed(0)
    generator = ResnetGenerator(ResnetGeneratorConfig(ngf=4, n_blocks=1, upsample="resize_conv"))
    save_weights(generator, folder / "g.safetensors", "resnet_generator", config_to_dict(generator.config))
    export_translate_model(folder / "g.safetensors", None, folder / "g.onnx")
    return folder


@pytest.mark.parametrize("name,channels", [("rgb.png", 3), ("grey.png", 1), ("rgba.png", 4), ("photo.jpg", 3)])
def test_node_app_matches_the_cli(node_example, models, tmp_path, name, channels):
    yy, xx = np.mgrid[0:45, 0:70]
    smooth = np.stack([(xx * 3) % 256, (yy * 5) % 256, (xx + 2 * yy) % 256, np.clip(255 - xx * 4, 0, 255)], axis=2).astype(np.uint8)
    write_image(tmp_path / name, smooth[..., 1:2] if channels == 1 else smooth[..., :channels])
    for model, cli in (("sr.onnx", lambda out: main(["upscale", str(tmp_path / name), "--model", str(models / "sr.onnx"), "-o", out, "--tile", "32"])),
                       ("g.onnx", lambda out: translate_main(["run", "--model", str(models / "g.onnx"), str(tmp_path / name), "-o", out]))):
        tile = ["--tile", "32"] if model == "sr.onnx" else []  # a generator runs whole, as the CLI runs it
        run = subprocess.run(["node", str(node_example), str(models / model), str(tmp_path / name), str(tmp_path / "node.png"), *tile],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        assert cli(str(tmp_path / "cli.png")) == 0
        node, python = read_image(tmp_path / "node.png").astype(int), read_image(tmp_path / "cli.png").astype(int)
        assert node.shape == python.shape and node.shape[2] == channels  # grey stays grey, alpha stays
        assert np.abs(node - python).max() <= 1, model
        for leftover in ("node.png", "cli.png"):
            (tmp_path / leftover).unlink()


def test_node_app_errors_are_one_line(node_example, models, tmp_path):
    for args, message in (([str(models / "sr.onnx"), str(tmp_path / "missing.png"), str(tmp_path / "o.png")], "missing.png: not a readable image"),
                          ([str(tmp_path / "none.onnx"), str(tmp_path / "x.png"), str(tmp_path / "o.png")], "none.onnx.json: no such file"),
                          ([str(models / "sr.onnx"), str(tmp_path / "x.png"), str(tmp_path / "o.gif")], "o.gif: write .png, .jpg or .webp")):
        run = subprocess.run(["node", str(node_example), *args], capture_output=True, text=True, timeout=120)
        assert run.returncode == 1 and run.stderr.strip().startswith("error: ") and message in run.stderr, run.stderr
        assert len(run.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())
