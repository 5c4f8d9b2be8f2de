"""The embedded x4 models. Torch-free on purpose (the CPU int8 path must not import torch).

- ``default``: the real-world model, for photos with blur, noise and JPEG artefacts. Two sets of weights trained
  from the same start, one on light noise (``real_x4_detail``) and one on the full Real-ESRGAN noise
  (``real_x4_denoise``), blended at load time by the denoise strength; ``real_x4_int8.onnx`` is the static int8
  export of the default blend (:data:`DEFAULT_DENOISE`), which ``superres upscale`` runs on a CPU.
- ``gan``: the same pair with its detail end fine-tuned by the Real-ESRGAN GAN recipe (``real_x4_gan``,
  ``docs/gan_stage.md``): finer texture and lower LPIPS, about 1 dB less PSNR, and a zipper along saturated colour
  edges, which is why it is not the default yet; int8 ``real_x4_gan_int8.onnx``.
- ``clean``: trained on clean MATLAB-bicubic downscaling, for sharp sources and the benchmark protocol
  (``clean_x4.safetensors`` and its int8 export ``clean_x4_int8.onnx``).
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

EMBEDDED_MODELS = ("default", "gan", "clean")
BLENDED_MODELS = ("default", "gan")  # two ends each, blended by --denoise
DEFAULT_DENOISE = 0.25  # chosen on a validation set (benchmarks/choose_denoise.py), never on Set5/Set14
# What an export of an embedded model records as its provenance (model document: license, training_data).
EMBEDDED_LICENCE = "MIT"  # trained by this project, released under its licence
EMBEDDED_TRAINING_DATA = {
    "default": "BSDS400 (400 Berkeley photos), degraded by the Real-ESRGAN pipeline (light and full noise ends)",
    "gan": "BSDS400 (400 Berkeley photos), degraded by the Real-ESRGAN pipeline (light and full noise ends); "
           "the light end GAN-trained (Real-ESRGAN recipe)",
    "clean": "BSDS400 (400 Berkeley photos), MATLAB-bicubic x4 downscaling",
}


def _embedded(name: str) -> Path:
    return Path(str(resources.files("superres.weights").joinpath(name)))


def clean_model_path() -> Path:
    return _embedded("clean_x4.safetensors")


REAL_WORLD_FILES = {
    "default": ("real_x4_detail.safetensors", "real_x4_denoise.safetensors"),
    "gan": ("real_x4_gan.safetensors", "real_x4_denoise.safetensors"),
}


def real_world_model_paths(name: str = "default") -> tuple[Path, Path]:
    """(detail-keeping end, denoising end) of a blended model's denoise control."""
    detail, denoise = REAL_WORLD_FILES[name]
    return _embedded(detail), _embedded(denoise)


INT8_FILES = {"default": "real_x4_int8.onnx", "gan": "real_x4_gan_int8.onnx", "clean": "clean_x4_int8.onnx"}


def int8_path(name: str) -> Path | None:
    """The shipped int8 ONNX of embedded model ``name`` (``default``: at :data:`DEFAULT_DENOISE`); None if none is shipped."""
    return _embedded(INT8_FILES[name]) if name in INT8_FILES else None
