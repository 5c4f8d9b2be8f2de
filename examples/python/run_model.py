"""Upscale or translate an image with a gansuite ONNX model, with only onnxruntime, numpy and pillow (no torch,
no gansuite): the same image `superres upscale` / `translate run` writes.

    pip install onnxruntime numpy pillow
    python run_model.py model.onnx input.png output.png [--tile 256]

Everything it needs is the model's document (schema gansuite-model/1): the JSON in the graph's `gansuite_json`
metadata and, identical, in MODEL.onnx.json beside it. Super-resolution runs in tiles that carry `tile_overlap`
of context (so they equal the whole image); translation pads to `multiple_of` and runs whole. Grey is replicated
to RGB and the outputs averaged back; alpha is upscaled with bicubic as OpenCV's INTER_CUBIC (or passed through).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

import numpy as np
import onnxruntime as ort
from PIL import Image


def load(path: str) -> tuple[ort.InferenceSession, dict]:
    try:
        session = ort.InferenceSession(path, providers=ort.get_available_providers())
    except Exception as exc:  # onnxruntime's own error types
        sys.exit(f"error: {path}: not a loadable ONNX model ({str(exc).strip().splitlines()[0][:160]})")
    text = session.get_modelmeta().custom_metadata_map.get("gansuite_json")
    document = json.loads(text) if text else None
    if not document or document.get("schema") != "gansuite-model/1":
        sys.exit(f"error: {path}: no gansuite-model/1 document (export it again with gansuite)")
    return session, document


def run(session: ort.InferenceSession, document: dict, patch: np.ndarray) -> np.ndarray:
    """(H, W, 3) float32 in [0, 1] -> the graph's output mapped back to [0, 1], (h, w, 3), unclamped."""
    low, high = (np.float32(v) for v in document["input_range"])
    out_low, out_high = (np.float32(v) for v in document["output_range"])
    batch = np.ascontiguousarray(patch.transpose(2, 0, 1)[None]) * (high - low) + low
    result = session.run(None, {document["input_name"]: batch})[0][0]
    return ((result - out_low) / (out_high - out_low)).transpose(1, 2, 0)


def to_uint8(values: np.ndarray) -> np.ndarray:
    return np.round(np.clip(values, 0, 1) * np.float32(255)).astype(np.uint8)  # numpy rounds half to even, as the CLI


def upscale(session: ort.InferenceSession, document: dict, rgb: np.ndarray, tile: int) -> np.ndarray:
    """(H, W, 3) uint8 -> (H*s, W*s, 3) uint8, tile by tile, each with the context that makes it exact."""
    scale, align = document["scale"], document.get("tile_multiple", 1)
    pad = -(-document["tile_overlap"] // align) * align
    height, width, _ = rgb.shape
    tile = -(-tile // align) * align if tile > 0 else max(height, width)
    if "input_size" in document:  # a fixed-size graph: windows of exactly its size, moved inside the image
        tile_h, tile_w = (side - 2 * pad for side in document["input_size"])
    else:
        tile_h = tile_w = tile
    output = np.empty((height * scale, width * scale, 3), dtype=np.uint8)
    pixels = rgb.astype(np.float32) / np.float32(255)
    for top in range(0, height, tile_h):
        for left in range(0, width, tile_w):
            bottom, right = min(top + tile_h, height), min(left + tile_w, width)
            if "input_size" in document:
                window_h, window_w = document["input_size"]
                y0, x0 = max(min(top - pad, height - window_h), 0), max(min(left - pad, width - window_w), 0)
                patch = pixels[y0 : y0 + window_h, x0 : x0 + window_w]
                patch = np.pad(patch, ((0, window_h - patch.shape[0]), (0, window_w - patch.shape[1]), (0, 0)), mode="edge")
            else:
                y0, x0 = max(top - pad, 0), max(left - pad, 0)
                patch = pixels[y0 : min(bottom + pad, height), x0 : min(right + pad, width)]
            result = run(session, document, patch)
            oy, ox = (top - y0) * scale, (left - x0) * scale
            output[top * scale : bottom * scale, left * scale : right * scale] = to_uint8(
                result[oy : oy + (bottom - top) * scale, ox : ox + (right - left) * scale])
    return output


def translate(session: ort.InferenceSession, document: dict, rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> the same size, whole image: padded right/bottom to the graph's multiple, then cropped."""
    height, width, _ = rgb.shape
    multiple, minimum = document["multiple_of"], document["graph_min_size"]
    pad_h, pad_w = max(-height % multiple, minimum - height), max(-width % multiple, minimum - width)
    mode = "reflect" if min(height, width) > max(pad_h, pad_w) else "edge"
    pixels = np.pad(rgb.astype(np.float32) / np.float32(255), ((0, pad_h), (0, pad_w), (0, 0)), mode=mode)
    return to_uint8(run(session, document, pixels)[:height, :width])


def bicubic_opencv(plane: np.ndarray, scale: int) -> np.ndarray:
    """A uint8 plane resized by an integer ``scale`` as ``cv2.resize(..., INTER_CUBIC)``: Keys' cubic with A = -0.75,
    centres at (x + 0.5) / scale - 0.5, edges replicated, 11-bit fixed-point weights (exact at x2 and x4)."""
    def taps(size: int) -> tuple[np.ndarray, np.ndarray]:
        position = ((np.arange(size * scale) + 0.5) / scale - 0.5).astype(np.float32)
        start = np.floor(position)
        x = (position - start).astype(np.float32)
        a = np.float32(-0.75)
        c0 = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a
        c1 = ((a + 2) * x - (a + 3)) * x * x + 1
        c2 = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1
        weights = np.stack([c0, c1, c2, 1 - c0 - c1 - c2], axis=1)
        index = np.clip(start[:, None].astype(int) + np.arange(-1, 3)[None], 0, size - 1)
        return index, np.round(weights * 2048).astype(np.int64)
    rows, row_weights = taps(plane.shape[0])
    columns, column_weights = taps(plane.shape[1])
    across = (plane.astype(np.int64)[:, columns] * column_weights[None]).sum(axis=2)
    down = (across[rows] * row_weights[:, :, None]).sum(axis=1)
    return np.clip((down + (1 << 21)) >> 22, 0, 255).astype(np.uint8)


def apply_uint8_graph(session: ort.InferenceSession, document: dict, pixels: np.ndarray) -> np.ndarray:
    """An `--io uint8` graph: RGBA pixels in, RGBA pixels out (grey and alpha inside), whole image."""
    channels = pixels.shape[2]
    colour = pixels[..., :3] if channels >= 3 else np.repeat(pixels[..., :1], 3, axis=2)
    alpha = pixels[..., -1:] if channels in (2, 4) else np.full((*pixels.shape[:2], 1), 255, np.uint8)
    height, width = pixels.shape[:2]
    minimum = document.get("graph_min_size", 1)  # translation graphs: 8; smaller images are edge-padded, then cropped
    rgba = np.pad(np.concatenate([colour, alpha], axis=2), ((0, max(minimum - height, 0)), (0, max(minimum - width, 0)), (0, 0)), mode="edge")
    result = session.run(None, {document["input_name"]: np.ascontiguousarray(rgba)})[0]
    scale = document.get("scale", 1)
    result = result[: height * scale, : width * scale]
    colour = result[..., :1] if channels <= 2 else result[..., :3]
    return np.concatenate([colour, result[..., 3:]], axis=2) if channels in (2, 4) else colour


def apply(session: ort.InferenceSession, document: dict, pixels: np.ndarray, tile: int) -> np.ndarray:
    """(H, W, C) uint8, C in 1..4 -> the result with the same channels: grey stays grey, alpha is kept."""
    if document.get("io") == "uint8":
        return apply_uint8_graph(session, document, pixels)
    channels = pixels.shape[2]
    rgb = pixels[..., :3] if channels >= 3 else np.repeat(pixels[..., :1], 3, axis=2)
    superres = document["task"] == "superres"
    result = upscale(session, document, rgb, tile) if superres else translate(session, document, rgb)
    if channels <= 2:  # grey_rule replicate-average
        result = result.astype(np.float32).mean(axis=2, keepdims=True).round().astype(np.uint8)
    if channels in (2, 4):  # alpha_rule bicubic (super-resolution) or passthrough (translation)
        alpha = pixels[..., -1]
        alpha = bicubic_opencv(alpha, document["scale"]) if superres else alpha
        result = np.concatenate([result, alpha[..., None]], axis=2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--tile", type=int, default=256, help="tile side in input pixels (0: whole image); super-resolution only")
    args = parser.parse_args()
    session, document = load(args.model)
    if not os.path.isdir(os.path.dirname(os.path.abspath(args.output))):
        sys.exit(f"error: {args.output}: its folder does not exist")
    try:
        image = Image.open(args.input)
        image.load()
    except (OSError, ValueError) as exc:
        sys.exit(f"error: {args.input}: not a readable image ({exc})")
    mode = {"L": "L", "LA": "LA", "RGB": "RGB", "RGBA": "RGBA", "P": "RGBA" if "transparency" in image.info else "RGB"}.get(image.mode, "RGB")
    pixels = np.asarray(image.convert(mode))
    pixels = pixels[..., None] if pixels.ndim == 2 else pixels
    result = apply(session, document, pixels, args.tile)
    # Written whole or not at all: a temporary file in the same folder, renamed over the target.
    folder = os.path.dirname(os.path.abspath(args.output))
    handle, partial = tempfile.mkstemp(dir=folder, prefix=".partial-", suffix=os.path.splitext(args.output)[1])
    os.close(handle)
    try:
        Image.fromarray(result[..., 0] if result.shape[2] == 1 else result).save(partial)
        os.replace(partial, args.output)
    except (OSError, ValueError) as exc:
        sys.exit(f"error: {args.output}: cannot write ({exc})")
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    print(f"{args.input} -> {args.output} ({result.shape[1]}x{result.shape[0]})")


if __name__ == "__main__":
    main()
