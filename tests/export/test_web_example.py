"""examples/web in a real browser: headless Chromium runs the demo page (gansuite-onnx on onnxruntime-web, WASM) and
gets what `superres upscale` / `translate run` write, for RGB, RGBA (decoded without premultiplying) and grey.

Skipped with a reason when Chromium, node/npm or the npm registry are missing (`.ci/run` installs Chromium).
"""
import base64
import functools
import importlib.util
import io
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
from PIL import Image
from superres.cli import main
from translate.cli import main as translate_main
from translate.models import ResnetGenerator, ResnetGeneratorConfig
from translate.onnx import export_translate_model
from tests.helpers import js_package_copy_is_current
from superres.models import SRResNet, msrresnet_config

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "web"
DRIVER = EXAMPLE / "headless_run.js"


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
    if not ((EXAMPLE / "node_modules" / "puppeteer-core").is_dir() and js_package_copy_is_current(EXAMPLE)):
        install = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=EXAMPLE, capture_output=True, text=True, timeout=600,
                                 env={**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1"})
        if install.returncode != 0:
            pytest.skip(f"npm ci failed (offline?): {install.stderr.strip().splitlines()[-1] if install.stderr.strip() else install.returncode}")
    return browser


def _handler():
    """The example's own server (serve.py: COOP/COEP headers, so WASM may use threads), quiet."""
    spec = importlib.util.spec_from_file_location("serve", EXAMPLE / "serve.py")
    serve = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(serve)

    class Quiet(serve.IsolatedHandler):
        def log_message(self, *args):
            pass

    return Quiet



def _site(tmp_path, model_file):
    site = tmp_path / "site"
    site.mkdir()
    for name in ("index.html", "app.js", "png.js", "node_modules"):
        (site / name).symlink_to(EXAMPLE / name)
    for suffix in ("", ".json"):
        (site / f"model.onnx{suffix}").symlink_to(f"{model_file}{suffix}")
    return site


def _run_page(browser, site, image_name, tile):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_handler(), directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        run = subprocess.run(["node", str(DRIVER), str(EXAMPLE), browser, f"http://127.0.0.1:{server.server_port}/index.html", image_name, str(tile)],
                             capture_output=True, text=True, timeout=300)
    finally:
        server.shutdown()
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web_models")
    torch.manual_seed(0)
    model = SRResNet(msrresnet_config(2, num_blocks=2, channels=8))
    save_weights(model, folder / "m.safetensors", "srresnet", config_to_dict(model.config))
    assert main(["export", str(folder / "m.safetensors"), "-o", str(folder / "sr.onnx")]) == 0
    generator = ResnetGenerator(ResnetGeneratorConfig(ngf=4, n_blocks=1, upsample="resize_conv"))
    save_weights(generator, folder / "g.safetensors", "resnet_generator", config_to_dict(generator.config))
    export_translate_model(folder / "g.safetensors", None, folder / "g.onnx")
    return folder


@pytest.mark.parametrize("channels,model", [(3, "sr"), (4, "sr"), (1, "sr"), (4, "g")])
def test_demo_page_matches_the_cli(web_example, models, tmp_path, channels, model):
    site = _site(tmp_path, models / f"{model}.onnx")
    yy, xx = np.mgrid[0:45, 0:70]
    # Alpha down to 0: a canvas would premultiply and lose the colour of the faint pixels.
    smooth = np.stack([(xx * 3) % 256, (yy * 5) % 256, (xx + 2 * yy) % 256, np.clip(255 - xx * 4, 0, 255)], axis=2).astype(np.uint8)
    write_image(site / "in.png", smooth[..., 1:2] if channels == 1 else smooth[..., :channels])
    result = _run_page(web_example, site, "in.png", 32)
    if model == "sr":
        assert main(["upscale", str(site / "in.png"), "--model", str(site / "model.onnx"), "-o", str(tmp_path / "cli.png"), "--tile", "32"]) == 0
    else:
        assert translate_main(["run", "--model", str(site / "model.onnx"), str(site / "in.png"), "-o", str(tmp_path / "cli.png")]) == 0
    expected = read_image(tmp_path / "cli.png").astype(np.int64)
    page = np.array(result["pixels"], dtype=np.int64).reshape(result["height"], result["width"], result["channels"])
    assert result["decoder"] == "webgl" and result["isolated"] is True and result["provider"] == "wasm"
    if channels == 1:
        assert (page[..., 0] == page[..., 1]).all() and (page[..., 0] == page[..., 2]).all()  # grey stays grey
        page = page[..., :1]
    elif channels == 3:
        page = page[..., :3]
    assert page.shape == expected.shape and np.abs(page - expected).max() <= 1
    saved = np.asarray(Image.open(io.BytesIO(base64.b64decode(result["png"]))))
    assert saved.reshape(page.shape[0], page.shape[1], -1).shape[2] == result["channels"]
    assert np.array_equal(saved.reshape(result["height"], result["width"], result["channels"]),
                          np.array(result["pixels"], dtype=np.uint8).reshape(result["height"], result["width"], result["channels"]))
    assert " in " in result["status"]
