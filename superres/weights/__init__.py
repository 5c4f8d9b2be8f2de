"""The embedded x4 models. Torch-free on purpose (the CPU int8 path must not import torch).

- ``default``: the real-world model, for photos with blur, noise and JPEG artefacts. Two sets of weights trained
  from the same start, one on light noise (``real_x4_detail``) and one on the full Real-ESRGAN noise
  (``real_x4_denoise``), blended at load time by the denoise strength; ``real_x4_int8.onnx`` is the static int8
  export of the default blend (:data:`DEFAULT_DENOISE`), which ``superres upscale`` runs on a CPU.
- ``clean``: trained on clean MATLAB-bicubic downscaling, for sharp sources and the benchmark protocol
  (``clean_x4.safetensors`` and its int8 export ``clean_x4_int8.onnx``).
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

EMBEDDED_MODELS = ("default", "clean")
DEFAULT_DENOISE = 0.25  # chosen on a validation set (benchmarks/choose_denoise.py), never on Set5/Set14


def _embedded(name: str) -> Path:
    return Path(str(resources.files("superres.weights").joinpath(name)))


def clean_model_path() -> Path:
    return _embedded("clean_x4.safetensors")


def real_world_model_paths() -> tuple[Path, Path]:
    """(detail-keeping end, denoising end) of the real-world model's denoise control."""
    return _embedded("real_x4_detail.safetensors"), _embedded("real_x4_denoise.safetensors")


def int8_path(name: str) -> Path:
    """The shipped int8 ONNX of embedded model ``name`` (``default``: at :data:`DEFAULT_DENOISE`)."""
    return _embedded({"default": "real_x4_int8.onnx", "clean": "clean_x4_int8.onnx"}[name])
