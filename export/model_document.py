"""The one JSON document that describes an exported model, for every consumer.

It is stored in the ONNX metadata under :data:`DOCUMENT_KEY` and, byte for byte, as the sidecar ``MODEL.onnx.json``
(onnxruntime-node and onnxruntime-web cannot read ONNX metadata). Beside the flat string keys older readers use,
it holds the rules an app needs as data, not prose: how borders are padded, the sizes the graph accepts, whether
tiles are exact, how grey and alpha are treated, and for an int8 file the calibration images (names and hash).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from common.core.errors import UserError
from export.metadata import parse_range

SCHEMA = "gansuite-model/1"
DOCUMENT_KEY = "gansuite_json"
MAX_DOCUMENT_BYTES = 1 << 20  # a document is a few kB (400 calibration names included); refuse anything far larger
JSON_KEYS = ("config", "domains", "calibration", "input_size", "whole_image")
INT_KEYS = ("scale", "receptive_radius", "tile_overlap", "multiple_of", "tile_multiple", "opset", "feature_bytes_per_pixel")


def usage_rules(meta: dict[str, str]) -> dict[str, Any]:
    """What an app must do around the graph, by task (the same rules the CLI follows)."""
    if meta.get("io") == "uint8":  # export.uint8_graph: pixels in, pixels out, whole images
        translation = meta.get("task") == "translate"
        return {"border": "reflect" if translation else "clip", "graph_min_size": 8 if translation else 2, "tiles_exact": False,
                "suggested_tile": 0, "grey_rule": "replicate-average", "alpha_rule": "passthrough" if translation else "bicubic"}
    if meta.get("task") == "translate":
        return {
            "border": "reflect",  # pad right/bottom to a multiple of multiple_of (edge when the image is smaller), crop after
            "graph_min_size": 8,  # both sides, after padding: the bottleneck reflect-pads
            "tiles_exact": False,  # InstanceNorm sees the whole input: tiles are approximate, whole images preferred
            "grey_rule": "replicate-average",
            "alpha_rule": "passthrough",
        }
    return {
        "border": "clip",  # tiles are clipped at the image border, never padded: the graph pads with zeros itself
        "graph_min_size": 1,
        "tiles_exact": True,  # with tile_overlap context on each side, tiles equal the whole image
        "suggested_tile": 256,  # input pixels: fits any runtime's memory for these networks
        "grey_rule": "replicate-average",
        "alpha_rule": "bicubic",
    }


def model_document(meta: dict[str, str]) -> dict[str, Any]:
    """The document of ``meta`` (the flat string metadata), JSON values decoded, integers and ranges typed."""
    document: dict[str, Any] = {"schema": SCHEMA}
    for key, value in meta.items():
        if key == DOCUMENT_KEY:
            continue
        try:
            document[key] = json.loads(value) if key in JSON_KEYS else value
        except json.JSONDecodeError:
            document[key] = value
    for key in INT_KEYS:
        if isinstance(document.get(key), str) and document[key].lstrip("-").isdigit():
            document[key] = int(document[key])
    for key in ("input_range", "output_range"):
        if isinstance(document.get(key), str):
            document[key] = list(parse_range(document[key]))
    document["clamp_output"] = True
    document.setdefault("multiple_of", 1)
    return {**document, **usage_rules(meta)}


def document_text(meta: dict[str, str]) -> str:
    """The document as stored: sorted keys, two-space indents, one final newline."""
    return json.dumps(model_document(meta), indent=2, sort_keys=True) + "\n"


def read_document(text: str, source: str) -> dict[str, Any]:
    """Parse a stored document (metadata value or sidecar text).

    Raises:
        UserError: too large, not JSON, or not this schema; naming ``source``.
    """
    if len(text) > MAX_DOCUMENT_BYTES:
        raise UserError(f"{source}: model document of {len(text)} bytes is larger than {MAX_DOCUMENT_BYTES}")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{source}: model document is not JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise UserError(f"{source}: model document is not {SCHEMA}")
    return document


def calibration_record(paths: list[Path]) -> dict[str, Any]:
    """Names and one SHA-256 over the (sorted) calibration images' bytes: which data an int8 file was made from."""
    digest = hashlib.sha256()
    ordered = sorted(paths, key=lambda path: path.name)
    for path in ordered:
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return {"images": [path.name for path in ordered], "sha256": digest.hexdigest()}


def document_of(meta: dict[str, str], source: str) -> dict[str, Any]:
    """The document a file carries, or for a file exported before it existed, the one its flat keys make."""
    text = meta.get(DOCUMENT_KEY)
    return model_document(meta) if text is None else read_document(text, source)


def checked_range(value: Any) -> tuple[float, float]:
    """``[low, high]`` of finite numbers, low < high.

    Raises:
        ValueError: anything else.
    """
    import math

    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
        raise ValueError(f"range {value!r} is not [low, high]")
    low, high = float(value[0]), float(value[1])
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"range {value!r} is not finite and increasing")
    return low, high


def checked_int(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{what} {value!r} is not an integer")
    return value


def checked_input_size(value: Any) -> tuple[int, int] | None:
    """A fixed-size graph's ``[height, width]`` (each 1..4096, checked before any probe is allocated), or None.

    Raises:
        ValueError: anything else.
    """
    if value is None:
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 4096 for v in value)):
        raise ValueError(f"input_size {value!r} is not [height, width] of 1 to 4096 pixels")
    return value[0], value[1]


AGREEING_KEYS = ("task", "scale", "input_range", "output_range", "multiple_of", "precision")


def check_agreement(meta: dict[str, str], document: dict[str, Any], source: str) -> None:
    """A file whose flat keys (what older readers use) say otherwise than its document is refused: two readers
    of one file must never run it differently.

    Raises:
        UserError: naming the first key that disagrees.
    """
    flat = model_document({key: value for key, value in meta.items() if key != DOCUMENT_KEY})
    for key in AGREEING_KEYS:
        if key in meta and flat.get(key) != document.get(key):
            raise UserError(f"{source}: malformed gansuite metadata ({key} {meta[key]!r} disagrees with the {DOCUMENT_KEY} "
                            f"document's {document.get(key)!r})")
