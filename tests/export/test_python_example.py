"""examples/python/run_model.py in a virtual environment that has no torch and no gansuite (onnxruntime, numpy and
pillow only, the install line the example documents) writes what `superres upscale` and `translate run` write.

Skipped with a reason when that environment cannot be made (no package index reachable).
"""
import subprocess
import sys
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

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "python" / "run_model.py"


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory):
    """A venv with exactly the example's documented install (`pip install onnxruntime numpy pillow`)."""
    folder = tmp_path_factory.mktemp("bare_venv")
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True, capture_output=True, timeout=120)
    python = folder / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "onnxruntime", "numpy", "pillow"],
                             capture_output=True, text=True, timeout=600)
    if install.returncode != 0:
        pytest.skip(f"pip install onnxruntime numpy pillow failed (offline?): {install.stderr.strip().splitlines()[-1:]}")
    for absent in ("torch", "gansuite", "cv2"):
        probe = subprocess.run([str(python), "-c", f"import importlib.util, sys; sys.exit(importlib.util.find_spec({absent!r}) is not None)"])
        assert probe.returncode == 0, f"{absent} is importable in the bare venv"
    return python


@pytest.fixture(scope="module")
def models(sr_model_file, tmp_path_factory):
    folder = tmp_path_factory.mktemp("py_models")
    assert main(["export", str(sr_model_file), "-o", str(folder / "sr.onnx")]) == 0
    assert main(["export", str(sr_model_file), "-o", str(folder / "sr_fixed.onnx"), "--input-size", "24x32"]) == 0
    assert main(["export", str(sr_model_file), "-o", str(folder / "sr_uint8.onnx"), "--io", "uint8"]) == 0
    torch.manual_seed(0)
    generator = ResnetGenerator(ResnetGeneratorConfig(ngf=4, n_blocks=1, upsample="resize_conv"))
    save_weights(generator, folder / "g.safetensors", "resnet_generator", config_to_dict(generator.config))
    export_translate_model(folder / "g.safetensors", None, folder / "g.onnx")
    export_translate_model(folder / "g.safetensors", None, folder / "g_uint8.onnx", io="uint8")
    return folder


@pytest.mark.parametrize("name", ["rgb.png", "grey.png", "rgba.png", "grey_alpha.png", "photo.jpg"])
def test_torch_free_example_matches_the_cli(bare_python, models, tmp_path, name):
    yy, xx = np.mgrid[0:45, 0:70]
    smooth = np.stack([(xx * 3) % 256, (yy * 5) % 256, (xx + 2 * yy) % 256, np.clip(255 - xx * 4, 0, 255)], axis=2).astype(np.uint8)
    pixels = {"grey.png": smooth[..., 1:2], "grey_alpha.png": smooth[..., 2:], "rgba.png": smooth}.get(name, smooth[..., :3])
    write_image(tmp_path / name, pixels)
    for model in ("sr.onnx", "sr_fixed.onnx", "sr_uint8.onnx", "g.onnx", "g_uint8.onnx"):
        tile = ["--tile", "32"] if model == "sr.onnx" else []
        run = subprocess.run([str(bare_python), str(EXAMPLE), str(models / model), str(tmp_path / name), str(tmp_path / "py.png"), *tile],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
        cli = (translate_main(["run", "--model", str(models / "g.onnx"), str(tmp_path / name), "-o", str(tmp_path / "cli.png")]) if model.startswith("g")
               else main(["upscale", str(tmp_path / name), "--model", str(models / model), "-o", str(tmp_path / "cli.png"), *tile]))
        assert cli == 0
        example, expected = read_image(tmp_path / "py.png").astype(int), read_image(tmp_path / "cli.png").astype(int)
        assert example.shape == expected.shape == (*[side * (1 if model.startswith("g") else 2) for side in pixels.shape[:2]], pixels.shape[2])
        assert np.abs(example - expected).max() <= 1, model
        (tmp_path / "py.png").unlink()
        (tmp_path / "cli.png").unlink()


def test_torch_free_example_errors_are_one_line(bare_python, models, tmp_path):
    for args, message in (([str(models / "sr.onnx"), str(tmp_path / "missing.png"), str(tmp_path / "o.png")], "missing.png: not a readable image"),
                          ([str(models / "sr.onnx.json"), str(tmp_path / "x.png"), str(tmp_path / "o.png")], "not a loadable ONNX model"),
                          ([str(models / "sr.onnx"), str(tmp_path / "x.png"), str(tmp_path / "no" / "o.png")], "its folder does not exist")):
        run = subprocess.run([str(bare_python), str(EXAMPLE), *args], capture_output=True, text=True, timeout=120)
        assert run.returncode == 1 and run.stderr.startswith("error: ") and message in run.stderr, run.stderr
        assert len(run.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())
