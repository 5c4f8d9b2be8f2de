"""Choosing the engine that runs a model: one path for ``superres upscale`` and for Python.

``load_upscaler("default")`` is what the CLI runs: on a CPU, an embedded model at its shipped settings runs its
int8 ONNX export (onnxruntime, no torch import; about 2x faster, within 0.03 dB); on a GPU, or with
``precision="fp32"``, the fp32 torch :class:`superres.upscaler.Upscaler`. An ``.onnx`` file runs with onnxruntime,
every other model with torch, except on a CPU where its ONNX graph measured faster (prepared once and cached:
:mod:`superres.prepared_graph`). Options that cannot apply to the chosen model are refused, never dropped.
"""
from __future__ import annotations

import os
from pathlib import Path

from common.core.console import log
from common.core.errors import UserError
from common.weights.sniff import model_file_format
from superres.weights import BLENDED_MODELS, DEFAULT_DENOISE, EMBEDDED_MODELS, int8_path

PRECISIONS = ("auto", "int8", "fp32")
BACKENDS = ("auto", "torch", "onnx")


def load_upscaler(model: str | os.PathLike = "default", *, denoise: float | None = None, arch: str = "auto", backend: str = "auto",
                  precision: str = "auto", device: str = "auto", tile: int | str = "auto", tile_overlap: int | None = None,
                  alpha_upsampler: str = "bicubic", threads: int = 0):
    """The upscaler the CLI would run for these options (an ``Upscaler`` or an ``OnnxUpscaler``; both have
    ``upscale_array``, ``__call__`` and ``scale``).

    Args:
        model: ``default``, ``gan``, ``clean``, a run folder, ``.safetensors``, released ``.pth`` or ``.onnx``.
        denoise: ``default`` and ``gan`` only, 0..1 (None: 0.25, their shipped int8 blends).
        arch: for a released ``.pth`` whose keys are ambiguous.
        backend / precision: ``auto`` as described above; ``fp32`` forces the torch path of an embedded model.
        device / threads: ``auto`` | ``cpu`` | ``cuda[:i]``; CPU threads (0: one per core).
        tile / tile_overlap / alpha_upsampler: as ``superres upscale`` (``tile``: a size, 0 for the whole image, or
            ``auto``).

    Raises:
        UserError: an option that does not apply to this model or backend, or a model that cannot be loaded.
    """
    model = str(model)
    check_options(model, denoise, arch, backend, precision)
    if int8_path(model) and denoise in (None, DEFAULT_DENOISE) and embedded_runs_int8(precision, backend, device):
        model, denoise = str(int8_path(model)), None
    if runs_prepared_graph(model, backend, precision, device):
        from superres.prepared_graph import prepared_cpu_graph

        model = str(prepared_cpu_graph(model, arch, threads) or model)
    if model.endswith(".onnx"):  # onnxruntime only: torch is never imported on this path
        from export.onnx_upscaler import OnnxUpscaler

        return OnnxUpscaler(model, device=device, threads=threads, tile=tile, tile_pad=tile_overlap, alpha_upsampler=alpha_upsampler)
    from common.core.device import limit_cpu_threads
    from superres.upscaler import Upscaler

    limit_cpu_threads(threads)
    return Upscaler.from_pretrained(model, arch, denoise=denoise, device=device, tile=tile, tile_pad=tile_overlap, alpha_upsampler=alpha_upsampler)


def check_options(model: str, denoise: float | None, arch: str, backend: str, precision: str) -> None:
    """Refuse an option that the model or backend would ignore (one line naming it); warn where it is harmless."""
    is_onnx, embedded = model.endswith(".onnx"), model in EMBEDDED_MODELS
    if denoise is not None and is_onnx:
        raise UserError(f"{model}: --denoise blends the embedded default model; an ONNX file has fixed weights")
    if denoise is not None and model not in BLENDED_MODELS:
        raise UserError(f"--denoise applies to the embedded {' and '.join(BLENDED_MODELS)} model{'s' * (len(BLENDED_MODELS) > 1)}, not to {model} "
                        "(it blends such a model's two ends)")
    if embedded and not int8_path(model) and (precision == "int8" or backend == "onnx"):
        raise UserError(f"--model {model} ships no int8 ONNX file; it runs in fp32 with torch (drop --precision/--backend)")
    if backend == "torch" and is_onnx:
        raise UserError(f"{model}: an ONNX file runs with --backend onnx (export a .safetensors model for torch)")
    if backend == "onnx" and not is_onnx and not embedded:
        raise UserError(f"{model}: --backend onnx needs an .onnx file (make one with `superres export`)")
    if arch != "auto" and (is_onnx or embedded or (Path(model).is_file() and model_file_format(model) not in ("torch", "safetensors"))):
        raise UserError(f"--arch {arch} names the architecture of a released .pth file; --model {model} is not one")
    if precision == "int8" and not embedded and not is_onnx:
        raise UserError(f"--precision int8 runs the embedded models' shipped int8 files; for --model {model}, "
                        "make one with `superres export --int8 CALIB_DIR` and pass the .onnx")
    if precision == "int8" and backend == "torch":
        raise UserError("--precision int8 runs with onnxruntime; it cannot be combined with --backend torch")
    if precision == "int8" and embedded and denoise not in (None, DEFAULT_DENOISE):
        raise UserError(f"--precision int8 is shipped for --denoise {DEFAULT_DENOISE} only; other strengths run in fp32")
    if precision == "fp32" and backend == "onnx":
        raise UserError("--precision fp32 of an embedded model runs with torch; it cannot be combined with --backend onnx")
    if backend == "onnx" and embedded and denoise not in (None, DEFAULT_DENOISE):
        raise UserError(f"--backend onnx runs the shipped int8 file, made for --denoise {DEFAULT_DENOISE} only")
    if precision != "auto" and is_onnx:
        log(f"[yellow]warning:[/] --precision {precision} has no effect on {model}: an ONNX file keeps the precision it was exported with")
    elif precision == "fp32" and not embedded:
        log(f"[yellow]warning:[/] --precision fp32 has no effect on --model {model}: it always runs in fp32")


def expects_gpu(device: str) -> bool:
    return device.startswith("cuda") or (device == "auto" and Path("/proc/driver/nvidia/version").exists())


def runs_prepared_graph(model: str, backend: str, precision: str, device: str) -> bool:
    """A model file (not embedded, not ONNX) on a CPU with every engine option at ``auto``: the faster of torch and
    its cached ONNX graph runs it (``superres.prepared_graph``)."""
    return (backend == "auto" and precision == "auto" and not model.endswith(".onnx") and model not in EMBEDDED_MODELS
            and not expects_gpu(device))


def embedded_runs_int8(precision: str, backend: str, device: str) -> bool:
    """The shipped int8 ONNX of an embedded model serves a CPU; a GPU (asked for, or present with --device auto)
    keeps the fp32 torch path. Decided without importing torch, so the CPU path starts fast."""
    if precision == "fp32" or backend == "torch":
        return False
    gpu = expects_gpu(device)
    if (precision == "int8" or backend == "onnx") and gpu:
        raise UserError(f"--{'precision int8' if precision == 'int8' else 'backend onnx'} runs the shipped int8 file on the CPU "
                        "(onnxruntime); use --device cpu or --precision fp32")
    return not gpu
