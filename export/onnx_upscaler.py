"""Upscaling with an ONNX file and nothing else: onnxruntime, numpy, OpenCV. The CPU path of
``superres upscale --model x.onnx``; it never imports torch, so a small image is done before torch would have
finished importing.

    >>> up = OnnxUpscaler("sr_x4.onnx", tile=256)
    >>> big = up.upscale_array(pixels)          # (H, W, C) uint8/uint16 -> (4H, 4W, C)
"""
from __future__ import annotations

import os

import numpy as np

from common.core.errors import UserError
from common.io.resize_array import upscale_alpha, upscale_image, with_outscale
from common.tiling.auto_tile import plan_tiles, tile_setting
from common.tiling.grid import tiled_apply_numpy
from export.fixed_size import fixed_tile
from export.uint8_io import run_uint8_graph
from export.metadata import budget_from_metadata
from export.model_document import checked_int
from export.runtime import OnnxSession


class OnnxUpscaler:
    """Same behaviour as ``superres.Upscaler`` on an ONNX file: tiles padded by the metadata's ``tile_overlap``
    (rounded to ``tile_multiple``) equal the whole image, grey stays grey, alpha is kept.

    Args:
        path: a gansuite super-resolution ``.onnx`` file.
        device / threads: onnxruntime provider choice and intra-op threads.
        tile / tile_pad: tile size in input pixels (0: whole image; ``auto``: the fastest grid within the memory at
            hand, sized by the metadata's ``feature_bytes_per_pixel``) and context around each tile (default: the
            metadata's tile overlap).
        alpha_upsampler: ``bicubic`` (OpenCV) or ``model`` (alpha replicated to RGB through the network).
    """

    def __init__(self, path: str | os.PathLike, device: str = "auto", threads: int = 0, tile: int | str = "auto",
                 tile_pad: int | None = None, alpha_upsampler: str = "bicubic"):
        if alpha_upsampler not in ("bicubic", "model"):
            raise UserError(f"alpha upsampler {alpha_upsampler!r}: expected bicubic or model")
        self.session = OnnxSession(path, device=device, threads=threads, task="superres")
        document = self.session.document  # the one description every reader uses (export.model_document)
        self.scale = self.session.scale
        try:
            align = checked_int(document.get("tile_multiple", 1), "tile_multiple")
            radius = checked_int(document.get("tile_overlap", document.get("receptive_radius", 40)), "tile_overlap")
        except ValueError as exc:
            raise UserError(f"{path}: malformed gansuite metadata ({exc})") from None
        if not (1 <= align <= 64 and 0 <= radius <= 4096):
            raise UserError(f"{path}: malformed gansuite metadata (tile_multiple {align} must be 1..64, tile_overlap {radius} 0..4096)")
        self.tile = tile_setting(tile, align)
        self.tile_pad = -(-(radius if tile_pad is None else tile_pad) // align) * align
        self.window = self.session.input_size  # a fixed-size graph: every tile is a window of exactly this size
        if self.window:
            self.tile = fixed_tile(self.window, self.tile_pad)
            if min(self.tile) < 1:
                raise UserError(f"{path}: a tile overlap of {self.tile_pad} leaves no tile inside the graph's fixed "
                                f"{self.window[0]}x{self.window[1]} input")
        self.alpha_upsampler, self.align = alpha_upsampler, align
        self._budget = budget_from_metadata(document, self.scale, str(path))

    def tiles_for(self, height: int, width: int):
        """The tile (side, or (height, width) under ``auto``) an image of this size is upscaled in."""
        return self.tile if self.tile != "auto" else plan_tiles(height, width, self.tile_pad, self._budget, self.align)

    def _run(self, pixels: np.ndarray, progress=None) -> np.ndarray:
        return tiled_apply_numpy(pixels, self.session.run_unit, self.scale, self.tiles_for(*pixels.shape[:2]), self.tile_pad, progress,
                                 self.window)

    def upscale_video(self, source: str | os.PathLike, target: str | os.PathLike, options=None, progress=None,
                      outscale: float | None = None):
        """Upscale every frame of a video file into ``target`` (sound and other streams copied, resumable, written
        whole or not at all); ``options`` is a :class:`common.video.process.VideoOptions`, ``progress(done, total)``
        is called after each frame. Returns a :class:`common.video.process.VideoResult`."""
        from common.video.process import VideoOptions, process_video

        return process_video(source, target, with_outscale(self.upscale_array, self.scale, outscale), options or VideoOptions(), progress)

    def __call__(self, image, outscale: float | None = None):
        """Upscale a PIL image or numpy array; returns the same kind (as ``superres.Upscaler``)."""
        return upscale_image(self.upscale_array, self.scale, image, outscale)

    def upscale_array(self, pixels: np.ndarray, progress=None) -> np.ndarray:
        """(H, W, C) uint8/uint16 -> (H*s, W*s, C) of the same dtype; grey stays grey, alpha is kept."""
        if min(pixels.shape[:2]) < 2:
            raise UserError(f"image of {pixels.shape[1]}x{pixels.shape[0]} pixels is too small to upscale")
        if self.session.uint8_io:
            result = run_uint8_graph(self.session, pixels)
            if progress:
                progress(1, 1)
            return result
        channels = pixels.shape[2]
        colour = pixels[..., :3] if channels >= 3 else np.repeat(pixels[..., :1], 3, axis=2)
        result = self._run(colour, progress)
        if channels in (1, 2):
            result = result.astype(np.float32).mean(axis=2, keepdims=True).round().astype(pixels.dtype)
        if channels in (2, 4):
            alpha = pixels[..., -1:]
            if self.alpha_upsampler == "model":
                alpha_up = self._run(np.repeat(alpha, 3, axis=2)).astype(np.float32).mean(axis=2, keepdims=True).round().astype(pixels.dtype)
            else:
                alpha_up = upscale_alpha(alpha, self.scale)
            result = np.concatenate([result, alpha_up.astype(pixels.dtype)], axis=2)
        return result
