"""What a model file is: format (read from its bytes), architecture, scale, parameters, channels, and which of our
importers takes it, or why none does. ``superres info FILE`` prints it; Python gets the dict."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from common.core.errors import UserError
from common.weights.sniff import model_file_format


def describe_model_file(path: str | os.PathLike) -> dict[str, Any]:
    """A dict with ``file``, ``format`` and, when readable, ``architecture``, ``scale``, ``parameters``,
    ``in_channels``, ``loader`` (what takes the file) or ``problem`` (why nothing does).

    Raises:
        UserError: the file is missing.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: model file not found")
    if path.suffix.lower() == ".onnx":
        return _onnx(path)
    if path.suffix.lower() == ".param":
        return _ncnn(path)
    found = model_file_format(path)
    info: dict[str, Any] = {"file": str(path), "format": {"torch": "PyTorch checkpoint", "gansuite": "gansuite safetensors model", "safetensors": "safetensors state dict"}.get(found, "unknown")}
    if found is None:
        return {**info, "problem": "neither a PyTorch checkpoint (zip or pickle) nor safetensors nor ONNX"}
    try:
        model, meta = _load(path, found)
    except UserError as exc:
        return {**info, "problem": str(exc).removeprefix(f"{path}: ")}
    first = next(p for p in model.parameters() if p.dim() == 4)
    return {**info, "architecture": meta["kind"], "config": meta["config"], "scale": meta["scale"] if "scale" in meta else model.config.scale,
            "parameters": sum(p.numel() for p in model.parameters()), "in_channels": int(getattr(model.config, "in_channels", first.shape[1])),
            "loader": meta.get("source_format", "gansuite model file"), "receptive_radius": getattr(model, "receptive_radius", None)}


def _ncnn(path: Path) -> dict[str, Any]:
    from superres.ncnn_import import import_ncnn

    info: dict[str, Any] = {"file": str(path), "format": "ncnn .param (+ .bin)"}
    try:
        model, meta = import_ncnn(path)
    except UserError as exc:
        return {**info, "problem": str(exc)}
    return {**info, "architecture": meta["kind"], "scale": meta["scale"], "parameters": sum(p.numel() for p in model.parameters()),
            "in_channels": model.config.in_channels, "receptive_radius": model.receptive_radius,
            "loader": f"{meta['source_format']}: superres import {path.name} -o NAME"}


def _load(path: Path, found: str):
    from superres.architectures import ARCHITECTURES
    from superres.importers import import_sr_checkpoint

    if found in ("torch", "safetensors"):
        return import_sr_checkpoint(path)
    from common.weights.model_files import load_model

    return load_model(path, ARCHITECTURES)


def _onnx(path: Path) -> dict[str, Any]:
    import onnxruntime as ort

    try:
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as exc:  # not a model onnxruntime can read
        return {"file": str(path), "format": "ONNX", "problem": f"onnxruntime cannot load it ({type(exc).__name__})"}
    meta = session.get_modelmeta().custom_metadata_map
    inputs = session.get_inputs()
    return {"file": str(path), "format": "ONNX", "architecture": meta.get("kind", "unknown"), "scale": meta.get("scale"),
            "in_channels": inputs[0].shape[1] if inputs and len(inputs[0].shape) == 4 else None,
            "inputs": [f"{i.name} {i.type} {i.shape}" for i in inputs], "loader": "onnxruntime (superres upscale --model FILE.onnx)"}
