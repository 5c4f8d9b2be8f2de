"""The embedded default x4 model: ``default_x4.safetensors`` (+ ``.json``) and its static int8 ONNX export
``default_x4_int8.onnx`` (+ ``.onnx.json``), which ``superres upscale`` runs on a CPU. Torch-free on purpose."""
from __future__ import annotations

from importlib import resources
from pathlib import Path

DEFAULT_MODEL_FILE = "default_x4.safetensors"
DEFAULT_INT8_FILE = "default_x4_int8.onnx"


def default_model_path() -> Path:
    return Path(str(resources.files("superres.weights").joinpath(DEFAULT_MODEL_FILE)))


def default_int8_path() -> Path:
    return Path(str(resources.files("superres.weights").joinpath(DEFAULT_INT8_FILE)))
