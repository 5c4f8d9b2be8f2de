"""examples/web in a real browser: headless Chromium upscales with onnxruntime-web (WASM) like `superres upscale`.

Skipped with a reason when Chromium, node/npm or the npm registry are missing (`.ci/run` installs Chromium).
"""
import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from common.core.config import config_to_dict
from common.io.images import read_image, write_image
from common.weights.model_files import save_weights
from superres.cli import main
from superres.models import SRResNet, msrresnet_config

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "web"
DRIVER = Path(__file__).resolve().parent / "web_driver.js"


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no Chromium installed (Debian: apt-get install chromium)")


@pytest.fixture(scope="module")
def web_example():
    browser = chromium()
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are not installed")
    if not (EXAMPLE / "node_modules" / "onnxruntime-web").is_dir() or not (EXAMPLE / "node_modules" / "puppeteer-core").is_dir():
        install = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=EXAMPLE, capture_output=True, text=True, timeout=600,
                                 env={**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1"})
        if install.returncode != 0:
            pytest.skip(f"npm ci failed (offline?): {install.stderr.strip().splitlines()[-1] if install.stderr.strip() else install.returncode}")
    return browser


class _IsolatedHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with the COOP/COEP headers onnxruntime-web needs for more than one WASM thread."""

    def end_headers(self):
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        super().end_headers()

    def log_message(self, *args):
        pass


def test_browser_page_matches_superres_upscale(web_example, tmp_path):
    torch.manual_seed(0)
    model = SRResNet(msrresnet_config(2, num_blocks=2, channels=8))
    save_weights(model, tmp_path / "m.safetensors", "srresnet", config_to_dict(model.config))
    site = tmp_path / "site"
    site.mkdir()
    assert main(["export", str(tmp_path / "m.safetensors"), "-o", str(site / "model.onnx")]) == 0
    for name in ("index.html", "upscale.js", "node_modules"):
        (site / name).symlink_to(EXAMPLE / name)
    yy, xx = np.mgrid[0:45, 0:70]
    write_image(site / "in.png", np.stack([(xx * 3) % 256, (yy * 5) % 256, (xx + 2 * yy) % 256], axis=2).astype(np.uint8))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_IsolatedHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        run = subprocess.run(["node", str(DRIVER), str(EXAMPLE), web_example, f"http://127.0.0.1:{server.server_port}/index.html", "32"],
                             capture_output=True, text=True, timeout=300)
    finally:
        server.shutdown()
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    browser = np.array(result["pixels"], dtype=np.int64).reshape(result["height"], result["width"], 4)[..., :3]
    assert main(["upscale", str(site / "in.png"), "--model", str(site / "model.onnx"), "-o", str(tmp_path / "py.png"), "--tile", "32"]) == 0
    python = read_image(tmp_path / "py.png").astype(np.int64)
    assert browser.shape == python.shape == (90, 140, 3)
    assert np.abs(browser - python).max() <= 1
