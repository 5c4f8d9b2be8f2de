"""js/ (the gansuite-onnx package) against the CLI: Node (onnxruntime-node) and headless Chromium (onnxruntime-web,
WASM) give `superres upscale` and `translate run` outputs within 1 level, for RGB, RGBA, grey and an odd size.

The cases are made here (tiny real exports, the CLI's own outputs as raw pixels) and run by js/test/parity.test.js
(node's test runner) and js/test/browser/run.mjs (puppeteer-core driving the system Chromium). Skipped with a
reason when node/npm are absent or the npm registry cannot be reached; the browser half also without Chromium.
"""
import json
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
from export.int8_choice import TRANSLATION_MIN_PSNR
from superres.cli import main as superres_main
from superres.models import SRResNet, msrresnet_config
from translate.cli import main as translate_main
from tests.helpers import make_image_folder
from translate.models import ResnetGenerator, ResnetGeneratorConfig
from translate.onnx import export_translate_model

PACKAGE = Path(__file__).resolve().parents[2] / "js"


def chromium() -> str | None:
    return next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None)


@pytest.fixture(scope="module")
def package():
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are not installed")
    if not all((PACKAGE / "node_modules" / name).is_dir() for name in ("onnxruntime-node", "onnxruntime-web", "puppeteer-core")):
        install = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PACKAGE, capture_output=True, text=True, timeout=600,
                                 env={**os.environ, "ONNXRUNTIME_NODE_INSTALL_CUDA": "skip", "PUPPETEER_SKIP_DOWNLOAD": "1"})
        if install.returncode != 0:
            pytest.skip(f"npm ci failed (offline?): {install.stderr.strip().splitlines()[-1] if install.stderr.strip() else install.returncode}")
    return PACKAGE


def _images() -> dict[str, np.ndarray]:
    yy, xx = np.mgrid[0:45, 0:70]
    smooth = np.stack([(xx * 3) % 256, (yy * 5) % 256, (xx + 2 * yy) % 256, np.clip(255 - xx * 4, 0, 255)], axis=2).astype(np.uint8)
    noise = np.random.default_rng(0).integers(0, 256, (23, 37, 3), dtype=np.uint8)
    return {"rgb": smooth[..., :3], "rgba": smooth, "grey": smooth[..., 1:2], "odd": noise}


def _save_raw(path: Path, pixels: np.ndarray) -> dict:
    path.write_bytes(np.ascontiguousarray(pixels).tobytes())
    return {"file": path.name, "height": pixels.shape[0], "width": pixels.shape[1], "channels": pixels.shape[2]}


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """A folder of cases.json + raw pixels: each case names a model, an input, the CLI's output and the options used."""
    folder = tmp_path_factory.mktemp("js_parity")
    torch.manual_seed(0)
    sr = SRResNet(msrresnet_config(2, num_blocks=2, channels=8))
    save_weights(sr, folder / "sr.safetensors", "srresnet", config_to_dict(sr.config))
    assert superres_main(["export", str(folder / "sr.safetensors"), "-o", str(folder / "sr.onnx")]) == 0
    assert superres_main(["export", str(folder / "sr.safetensors"), "-o", str(folder / "sr_fixed.onnx"), "--input-size", "24x32"]) == 0
    assert superres_main(["export", str(folder / "sr.safetensors"), "-o", str(folder / "sr_uint8.onnx"), "--io", "uint8"]) == 0
    generator = ResnetGenerator(ResnetGeneratorConfig(ngf=4, n_blocks=1, upsample="resize_conv", residual_output=True, input_skip=True,
                                                     input_skip_gain=10.0))
    save_weights(generator, folder / "g.safetensors", "resnet_generator", config_to_dict(generator.config))
    export_translate_model(folder / "g.safetensors", None, folder / "g.onnx")
    export_translate_model(folder / "g.safetensors", None, folder / "g_uint8.onnx", io="uint8")
    make_image_folder(folder / "calibration", count=8, size=(96, 96))
    assert translate_main(["export", str(folder / "g.safetensors"), "-o", str(folder / "g8.onnx"), "--int8", str(folder / "calibration"),
                           "--int8-keep"]) == 0
    listed = []
    for name, pixels in _images().items():
        write_image(folder / f"{name}.png", pixels)
        source = _save_raw(folder / f"{name}.in.raw", pixels)
        assert superres_main(["upscale", str(folder / f"{name}.png"), "--model", str(folder / "sr.onnx"), "-o", str(folder / f"{name}.sr.png"),
                              "--tile", "32"]) == 0
        listed.append({"name": f"upscale {name}", "model": "sr.onnx", "op": "upscale", "options": {"tile": 32}, "input": source,
                       "expected": _save_raw(folder / f"{name}.sr.raw", read_image(folder / f"{name}.sr.png"))})
        if name in ("rgb", "odd"):  # a fixed-size graph (--input-size): windows of exactly its size
            assert superres_main(["upscale", str(folder / f"{name}.png"), "--model", str(folder / "sr_fixed.onnx"),
                                  "-o", str(folder / f"{name}.fixed.png")]) == 0
            listed.append({"name": f"upscale {name} (fixed 24x32 graph)", "model": "sr_fixed.onnx", "op": "upscale", "options": {},
                           "input": source, "expected": _save_raw(folder / f"{name}.fixed.raw", read_image(folder / f"{name}.fixed.png"))})
        # An image-in, image-out graph (--io uint8), against the float graph's CLI output: the same image.
        listed.append({"name": f"upscale {name} (uint8 graph)", "model": "sr_uint8.onnx", "op": "upscale", "options": {}, "input": source,
                       "expected": _save_raw(folder / f"{name}.u8.raw", read_image(folder / f"{name}.sr.png"))})
        assert translate_main(["run", "--model", str(folder / "g.onnx"), str(folder / f"{name}.png"), "-o", str(folder / f"{name}.g.png")]) == 0
        listed.append({"name": f"translate {name}", "model": "g.onnx", "op": "translate", "options": {}, "input": source,
                       "expected": _save_raw(folder / f"{name}.g.raw", read_image(folder / f"{name}.g.png"))})
        listed.append({"name": f"translate {name} (uint8 graph)", "model": "g_uint8.onnx", "op": "translate", "options": {}, "input": source,
                       "expected": listed[-1]["expected"]})  # the float graph's CLI output
        assert translate_main(["run", "--model", str(folder / "g8.onnx"), str(folder / f"{name}.png"), "-o", str(folder / f"{name}.g8.png")]) == 0
        listed.append({"name": f"translate {name} (int8)", "model": "g8.onnx", "op": "translate", "options": {}, "input": source,
                       "expected": _save_raw(folder / f"{name}.g8.raw", read_image(folder / f"{name}.g8.png"))})
    (folder / "cases.json").write_text(json.dumps(listed, indent=1))
    return folder


def test_node_package_matches_the_cli(package, cases):
    tests = sorted(str(path) for path in (package / "test").glob("*.test.js"))
    run = subprocess.run(["node", "--test", *tests], cwd=package, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "GANSUITE_PARITY_DIR": str(cases)})
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "# fail 0" in run.stdout and "# skipped 0" in run.stdout  # the parity test ran, it did not skip
    print(run.stdout)


def test_browser_package_matches_the_cli(package, cases):
    browser = chromium()
    if browser is None:
        pytest.skip("no Chromium installed (Debian: apt-get install chromium)")
    run = subprocess.run(["node", "test/browser/run.mjs", browser, str(cases)], cwd=package, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert report["crossOriginIsolated"] is True  # served with COOP/COEP: WASM may use threads
    assert report["provider"] == "wasm" and report["note"]  # no GPU in headless test Chromium: one line says so
    assert len(report["cases"]) == len(json.loads((cases / "cases.json").read_text()))
    print(json.dumps(report))
    for case in report["cases"]:
        if "(int8)" in case["name"]:
            # WASM's int8 kernels round differently from the CPU provider's, and InstanceNorm amplifies it (up to 10
            # levels seen): held to the PSNR floor int8 translation exports are judged by (null: identical).
            assert case["psnr"] is None or case["psnr"] >= TRANSLATION_MIN_PSNR, case
        else:
            assert case["maxDifference"] <= 1, case
