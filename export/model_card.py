"""The model card ``MODEL.md`` written beside every export, generated from its model document.

The front matter is the usual model-card one (licence, tags, ``pipeline_tag: image-to-image``, ``library_name:
onnx``), so a model hub shows the file properly; the body says in a table what the document says in JSON. A
``MODEL.md`` that is not a gansuite card (no :data:`MARKER`) is the user's and is never replaced.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from common.core.console import log
from common.core.files import write_bytes_atomic

MARKER = "<!-- gansuite model card: generated from MODEL.onnx.json by each export; edits are replaced -->"


def card_path(onnx_path: Path) -> Path:
    return Path(onnx_path).with_suffix(".md")


def _what(document: dict[str, Any]) -> str:
    if document.get("task") == "translate":
        direction = document.get("direction") or "one direction"
        return f"Unpaired image-to-image translation ({direction}), {document.get('kind')} generator"
    return f"x{document.get('scale')} super-resolution, {document.get('kind')} network"


def _rows(document: dict[str, Any], name: str) -> list[tuple[str, str]]:
    low, high = document.get("input_range", [0, 1])
    out_low, out_high = document.get("output_range", [0, 1])
    multiple, minimum = document.get("multiple_of", 1), document.get("graph_min_size", 1)
    rows = [
        ("precision", document.get("precision", "fp32") + (f" (int8 not kept: {document['int8_fallback']})" if "int8_fallback" in document else "")),
        ("input", f"`{document.get('input_name')}`: uint8 HxWx4 RGBA (canvas ImageData), any size of at least 2x2"
                  if document.get("io") == "uint8" else
                  f"`{document.get('input_name')}`: float NCHW RGB in [{low:g}, {high:g}] (8-bit value / 255, mapped linearly); "
                  + (f"fixed size 1x3x{document['input_size'][0]}x{document['input_size'][1]}: run windows of that size"
                     if document.get("input_size") else f"height and width multiples of {multiple}, at least {minimum}")),
        ("output", f"`{document.get('output_name')}`: uint8 (H*{document.get('scale')})x(W*{document.get('scale')})x4 RGBA: "
                   "grey, alpha, clamping and rounding done in the graph; run whole images"
                   if document.get("io") == "uint8" else
                   f"`{document.get('output_name')}`: float NCHW RGB, about [{out_low:g}, {out_high:g}]: clamp, then round to 8 bits"),
        ("tiles", ("none: whole images (the graph decides grey from its whole input)" if document.get("io") == "uint8" else
                   f"exact with {document.get('tile_overlap')} pixels of context per side; borders clipped, never padded"
                   if document.get("tiles_exact") else "approximate (InstanceNorm sees the whole input): run whole images; "
                   f"pad right and bottom by {document.get('border')} to a multiple of {multiple}, crop after")),
        ("grey / alpha", f"grey: {document.get('grey_rule')}; alpha: {document.get('alpha_rule')} (see `{name}.json`)"),
        ("source", f"`{document.get('source', 'a gansuite run')}`"),
        ("training data", str(document.get("training_data", "unknown"))),
        ("made by", f"gansuite {document.get('version')}, ONNX opset {document.get('opset')}"),
    ]
    if isinstance(document.get("calibration"), dict):
        calibration = document["calibration"]
        rows.insert(1, ("int8 calibration", f"{len(calibration.get('images', []))} images, SHA-256 {str(calibration.get('sha256'))[:16]}..."))
    return rows


def model_card_text(document: dict[str, Any], name: str) -> str:
    """The card of the model file called ``name`` whose document is ``document``."""
    task_tag = "image-to-image-translation" if document.get("task") == "translate" else "super-resolution"
    licence = document.get("license", "unknown")
    front = ["---", f"license: {licence}", "library_name: onnx", "pipeline_tag: image-to-image", "tags:",
             "- gansuite", f"- {task_tag}", f"- {document.get('kind')}", f"- {document.get('precision', 'fp32')}", "---"]
    command = (f"translate run --model {name} photos/ -o out/" if document.get("task") == "translate"
               else f"superres upscale photo.png --model {name}")
    lines = [*front, MARKER, "", f"# {Path(name).stem}", "", f"{_what(document)}, exported to ONNX by gansuite.",
             "", "| | |", "|---|---|", *[f"| {key} | {value} |" for key, value in _rows(document, name)], "",
             "## Use", "", "```bash", command, "```", "",
             f"Apps read everything above from `{name}.json` (the same JSON as the file's `gansuite_json` metadata). "
             f"Licence: {'that of the weights it was made from' if licence == 'unknown' else licence}.", ""]
    return "\n".join(lines)


def write_model_card(onnx_path: Path, document: dict[str, Any]) -> None:
    """Write ``MODEL.md`` beside ``onnx_path``, unless a file of that name is not a gansuite card (then it stays,
    with one warning line). A card that cannot be written is a warning, not a failed export."""
    path = card_path(onnx_path)
    try:
        if path.exists() and MARKER not in path.read_text(errors="replace")[:2000]:
            log(f"[yellow]warning:[/] {path}: exists and is not a gansuite model card; left as it is (no card written)")
            return
        write_bytes_atomic(path, model_card_text(document, Path(onnx_path).name).encode())
    except OSError as exc:
        log(f"[yellow]warning:[/] {path}: model card not written ({exc.strerror})")
