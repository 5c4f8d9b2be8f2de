"""examples/node: a Node.js app that knows only the .onnx file and its sidecar upscales like `superres upscale`.

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
from superres.models import SRResNet, msrresnet_config

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "node"


@pytest.fixture(scope="module")
def node_example():
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are not installed")
    if not (EXAMPLE / "node_modules" / "onnxruntime-node").is_dir():
        install = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=EXAMPLE, capture_output=True, text=True, timeout=300,
                                 env={**os.environ, "ONNXRUNTIME_NODE_INSTALL_CUDA": "skip"})
        if install.returncode != 0:
            pytest.skip(f"npm ci failed (offline?): {install.stderr.strip().splitlines()[-1] if install.stderr.strip() else install.returncode}")
    return EXAMPLE / "upscale.js"


@pytest.mark.parametrize("channels", [3, 1, 4])
def test_node_app_matches_superres_upscale(node_example, tmp_path, channels):
    torch.manual_seed(0)
    model = SRResNet(msrresnet_config(2, num_blocks=2, channels=8))
    save_weights(model, tmp_path / "m.safetensors", "srresnet", config_to_dict(model.config))
    assert main(["export", str(tmp_path / "m.safetensors"), "-o", str(tmp_path / "m.onnx")]) == 0
    yy, xx = np.mgrid[0:45, 0:70]
    smooth = np.stack([(xx * 3) % 256, (yy * 5) % 256, (xx + 2 * yy) % 256, 255 - xx * 3], axis=2).astype(np.uint8)
    write_image(tmp_path / "in.png", smooth[..., :channels] if channels != 1 else smooth[..., :1])
    run = subprocess.run(["node", str(node_example), str(tmp_path / "m.onnx"), str(tmp_path / "in.png"), str(tmp_path / "node.png"), "--tile", "32"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert main(["upscale", str(tmp_path / "in.png"), "--model", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "py.png"),
                 "--tile", "32", "--alpha-upsampler", "model"]) == 0
    node, python = read_image(tmp_path / "node.png").astype(int), read_image(tmp_path / "py.png").astype(int)
    if channels == 1:
        node = node[..., :1]  # the example writes grey as RGB with equal channels
        assert node.shape == python.shape
    assert node.shape == python.shape and np.abs(node - python).max() <= 1
