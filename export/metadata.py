"""The metadata every gansuite ONNX file carries, so a reader needs nothing else to use it correctly."""
from __future__ import annotations

import json
import math
from pathlib import Path
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from common.core.errors import UserError

FORMAT = "gansuite-onnx/1"
INPUT_NAME, OUTPUT_NAME = "image", "output"
REQUIRED_KEYS = ("format", "task", "kind", "scale", "input_range", "output_range", "channel_order", "layout", "color_space", "config", "version", "precision")


def project_version() -> str:
    try:
        return version("gansuite")
    except PackageNotFoundError:
        return "unknown"


def build_metadata(task: str, kind: str, config: dict[str, Any], scale: int, input_range: tuple[float, float],
                   output_range: tuple[float, float], extra: dict[str, Any] | None = None) -> dict[str, str]:
    """String metadata for ``onnx.ModelProto.metadata_props``.

    Args:
        task: ``superres`` or ``translate``.
        kind: model kind (``srresnet``, ``resnet_generator``).
        config: the architecture config as a plain dict.
        scale: output size / input size (1 for translation).
        input_range / output_range: value ranges of the tensors, e.g. (0, 1) or (-1, 1).
        extra: more entries (direction, receptive radius, ...); values are JSON-encoded unless strings.
    """
    meta = {
        "format": FORMAT,
        "task": task,
        "kind": kind,
        "scale": str(scale),
        "input_range": f"{input_range[0]:g},{input_range[1]:g}",
        "output_range": f"{output_range[0]:g},{output_range[1]:g}",
        "channel_order": "RGB",
        "layout": "NCHW",
        "color_space": "sRGB, gamma-encoded; 8/16-bit values scaled linearly to the input range",
        "config": json.dumps(config, sort_keys=True),
        "version": project_version(),
        "precision": "fp32",
        "input_name": INPUT_NAME,
        "output_name": OUTPUT_NAME,
        "clamp_output": "true",
        "grey_input": "replicate the grey channel to RGB, run, average the three output channels back to grey",
        "alpha": ("not part of the graph: upscale alpha on its own (bicubic, or replicated to RGB through the model and "
                  "averaged back) and append it" if scale > 1 else "not part of the graph: pass it through unchanged"),
    }
    for key, value in (extra or {}).items():
        meta[key] = value if isinstance(value, str) else json.dumps(value)
    return meta


def check_metadata(meta: dict[str, str], source: str, task: str | None = None) -> dict[str, str]:
    """Raise a one-line UserError unless ``meta`` is gansuite metadata (of ``task`` when given)."""
    missing = [key for key in REQUIRED_KEYS if key not in meta]
    if meta.get("format") != FORMAT or missing:
        raise UserError(f"{source}: not a gansuite ONNX model (missing metadata: {', '.join(missing) or 'format'})")
    if task is not None and meta["task"] != task:
        raise UserError(f"{source}: this ONNX model is for {meta['task']!r}, not {task!r}")
    return meta


def parse_range(text: str) -> tuple[float, float]:
    """``"0,1"`` -> (0.0, 1.0).

    Raises:
        ValueError: not two finite numbers.
    """
    parts = text.split(",")
    if len(parts) != 2:
        raise ValueError(f"range {text!r} is not 'low,high'")
    low, high = (float(v) for v in parts)
    if not all(map(math.isfinite, (low, high))):
        raise ValueError(f"range {text!r} is not finite")
    return low, high


def sidecar_path(onnx_path) -> Path:
    return Path(str(onnx_path) + ".json")


def write_sidecar(onnx_path, meta: dict[str, str]) -> None:
    """``model.onnx.json`` beside the model: the model document (:mod:`export.model_document`), the same text as
    the ONNX metadata's ``gansuite_json``, for consumers whose runtime does not expose the custom metadata map
    (onnxruntime-node, onnxruntime-web)."""
    from common.core.files import write_bytes_atomic
    from export.model_document import document_text

    write_bytes_atomic(sidecar_path(onnx_path), document_text(meta).encode())


def add_doc_strings(model, meta: dict[str, str]) -> None:
    """Human-readable descriptions on the graph, its input and its output (shown by Netron and most viewers)."""
    low, high = meta["input_range"], meta["output_range"]
    model.graph.doc_string = (f"gansuite {meta['task']} model ({meta['kind']}), x{meta['scale']}. Metadata (also in the .onnx.json "
                              f"sidecar) says how to tile, and how to treat grey and alpha input.")
    model.graph.input[0].doc_string = f"RGB image, NCHW float, values in [{low}] (8-bit value / 255 mapped linearly), any height and width"
    model.graph.output[0].doc_string = f"RGB image, NCHW float, approximately [{high}]: clamp before converting to 8 bits"


MAX_FEATURE_BYTES_PER_PIXEL = 1 << 20  # 256k fp32 channels per input pixel: far beyond any SR network


def budget_from_metadata(meta: dict[str, str], scale: int, source: str = "model"):
    """The CPU :class:`common.tiling.auto_tile.TileBudget` of an exported model, from its
    ``feature_bytes_per_pixel``. A file without it (exported before it was recorded) is assumed to be 64 fp32
    features wide at the input size and, at peak, three 64-feature maps at the output size, so ``--tile auto``
    stays within memory for any of our architectures.

    Raises:
        UserError: a value that is not a whole number in 4..2^20 (checked before any tile is sized by it).
    """
    from common.tiling.auto_tile import LIVE_MAPS_AT_PEAK, cpu_budget

    text = meta.get("feature_bytes_per_pixel")
    if text is None:
        return cpu_budget(4 * 64, LIVE_MAPS_AT_PEAK * 4 * 64 * scale * scale)
    try:
        features = int(text) if not isinstance(text, (bool, float)) else -1
    except (TypeError, ValueError):
        features = -1
    if not 4 <= features <= MAX_FEATURE_BYTES_PER_PIXEL:
        raise UserError(f"{source}: malformed gansuite metadata (feature_bytes_per_pixel {text!r} must be a whole number in 4..{MAX_FEATURE_BYTES_PER_PIXEL})")
    return cpu_budget(features, LIVE_MAPS_AT_PEAK * features)
