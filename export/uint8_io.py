"""The torch-free half of image-in, image-out graphs (:mod:`export.uint8_graph`): what their document says, and how
a reader turns any image into the RGBA the graph takes and the result back."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from common.core.errors import UserError

# "whole_image": the graph decides grey from its whole input, so it runs on whole images (a grey tile of a colour
# image would be averaged); apps that must tile use the float graph.
IO_KEYS = {"io": "uint8", "layout": "HWC", "channel_order": "RGBA", "input_dtype": "uint8", "output_dtype": "uint8",
           "whole_image": "true"}


def rgba_of(pixels: np.ndarray) -> np.ndarray:
    """(H, W, C) uint8, C in 1..4 -> (H, W, 4) RGBA: grey replicated, opaque alpha added."""
    channels = pixels.shape[2]
    colour = pixels[..., :3] if channels >= 3 else np.repeat(pixels[..., :1], 3, axis=2)
    alpha = pixels[..., -1:] if channels in (2, 4) else np.full((*pixels.shape[:2], 1), 255, np.uint8)
    return np.ascontiguousarray(np.concatenate([colour, alpha], axis=2))


def back_to_channels(rgba: np.ndarray, channels: int) -> np.ndarray:
    """The inverse of :func:`rgba_of` for a result: grey back to one channel (the graph made it equal), alpha dropped
    where the input had none."""
    colour = rgba[..., :1] if channels <= 2 else rgba[..., :3]
    return np.concatenate([colour, rgba[..., 3:]], axis=2) if channels in (2, 4) else np.ascontiguousarray(colour)


def run_uint8_graph(session, pixels: np.ndarray) -> np.ndarray:
    """Run an ``--io uint8`` graph (an :class:`export.runtime.OnnxSession`) on a whole (H, W, C) uint8 image: as RGBA,
    edge-padded right and bottom to the document's ``graph_min_size``, the result cropped and given the input's
    channels back. Whole, because the graph decides grey from what it is given (a grey tile would be averaged).

    Raises:
        UserError: a 16-bit image (the graph is 8-bit), naming the model file.
    """
    if pixels.dtype != np.uint8:
        raise UserError(f"{session.path}: an --io uint8 graph takes 8-bit images only (export the float graph for 16-bit ones)")
    height, width = pixels.shape[:2]
    minimum = int(session.document.get("graph_min_size", 1))
    rgba = rgba_of(pixels)
    if height < minimum or width < minimum:
        rgba = np.pad(rgba, ((0, max(minimum - height, 0)), (0, max(minimum - width, 0)), (0, 0)), mode="edge")
    result = session.session.run(None, {session.input.name: rgba})[0][: height * session.scale, : width * session.scale]
    return back_to_channels(result, pixels.shape[2])


def verification_images(flat: bool = True) -> dict[str, np.ndarray]:
    """RGBA test images: colour with varying alpha, opaque grey, an odd size, and (``flat``) a constant one; all at
    least 8x8. A constant image is left out for InstanceNorm networks: normalising it divides rounding noise by
    sqrt(eps), and any two runtimes (torch and onnxruntime on the float graph too) then disagree by tens of levels."""
    yy, xx = np.mgrid[0:45, 0:70]
    smooth = np.stack([(xx * 3) % 256, (yy * 5) % 256, (xx + 2 * yy) % 256, np.clip(255 - xx * 4, 0, 255)], axis=2).astype(np.uint8)
    grey = np.concatenate([np.repeat(smooth[..., 1:2], 3, axis=2), np.full((45, 70, 1), 255, np.uint8)], axis=2)
    noise = np.random.default_rng(0).integers(0, 256, (23, 37, 4), dtype=np.uint8)
    images = {"colour + alpha 45x70": smooth, "grey 45x70": grey, "noise 23x37": noise}
    return {**images, "flat 9x8": np.full((9, 8, 4), 128, np.uint8)} if flat else images


def worst_level_difference(path: Path, reference, flat: bool = True) -> dict[str, int]:
    """Max 8-bit difference between the uint8 graph and ``reference(rgba) -> rgba`` (the CLI's engine) per image."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    differences = {}
    for name, image in verification_images(flat).items():
        actual = session.run(None, {"image": image})[0].astype(int)
        expected = reference(image).astype(int)
        if actual.shape != expected.shape:
            raise UserError(f"{path}: the uint8 graph returned {actual.shape} for {name}, expected {expected.shape}")
        differences[name] = int(np.abs(actual - expected).max())
    return differences
