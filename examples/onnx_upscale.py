"""Upscale an image with a gansuite ONNX model using only onnxruntime, numpy and pillow (no torch).

    python examples/onnx_upscale.py model.onnx input.png output.png [--tile 256]

Everything the script needs to use the model correctly is in the ONNX file's metadata: the scale, the value
ranges, the channel order and layout, and the receptive radius that sizes the tile overlap.
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image


def load(path: str) -> tuple[ort.InferenceSession, dict[str, str]]:
    session = ort.InferenceSession(path, providers=ort.get_available_providers())
    meta = session.get_modelmeta().custom_metadata_map
    if meta.get("format") != "gansuite-onnx/1" or meta.get("task") != "superres":
        sys.exit(f"error: {path}: not a gansuite super-resolution ONNX model")
    return session, meta


def upscale(session: ort.InferenceSession, meta: dict[str, str], rgb: np.ndarray, tile: int) -> np.ndarray:
    """(H, W, 3) uint8 -> (H*s, W*s, 3) uint8, tile by tile with an overlap that hides every seam."""
    scale, pad = int(meta["scale"]), int(meta.get("receptive_radius", 40))
    align = int(meta.get("tile_multiple", 1))  # RRDBNet x2/x1 pixel-unshuffle: tiles must start on that grid
    pad = -(-pad // align) * align
    low, high = (float(v) for v in meta["input_range"].split(","))
    out_low, out_high = (float(v) for v in meta["output_range"].split(","))
    height, width, _ = rgb.shape
    output = np.empty((height * scale, width * scale, 3), dtype=np.uint8)
    tile = -(-tile // align) * align if tile > 0 else max(height, width)
    for top in range(0, height, tile):
        for left in range(0, width, tile):
            bottom, right = min(top + tile, height), min(left + tile, width)
            y0, x0, y1, x1 = max(top - pad, 0), max(left - pad, 0), min(bottom + pad, height), min(right + pad, width)
            patch = rgb[y0:y1, x0:x1].astype(np.float32).transpose(2, 0, 1)[None] / 255.0
            result = session.run(None, {session.get_inputs()[0].name: patch * (high - low) + low})[0][0]
            result = (result - out_low) / (out_high - out_low)
            oy, ox = (top - y0) * scale, (left - x0) * scale
            result = result[:, oy : oy + (bottom - top) * scale, ox : ox + (right - left) * scale]
            output[top * scale : bottom * scale, left * scale : right * scale] = (
                (np.clip(result, 0, 1) * 255).round().astype(np.uint8).transpose(1, 2, 0)
            )
    return output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--tile", type=int, default=256)
    args = parser.parse_args()
    session, meta = load(args.model)
    image = Image.open(args.input)
    alpha = image.getchannel("A") if image.mode in ("RGBA", "LA") else None
    result = Image.fromarray(upscale(session, meta, np.asarray(image.convert("RGB")), args.tile))
    if alpha is not None:
        result.putalpha(alpha.resize(result.size, Image.Resampling.BICUBIC))
    result.save(args.output)
    print(f"{args.input} -> {args.output} ({result.width}x{result.height})")


if __name__ == "__main__":
    main()
