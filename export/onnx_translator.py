"""Translating with a CycleGAN ONNX file and nothing else (onnxruntime, numpy): the path of
``translate run --model x.onnx``, which never imports torch."""
from __future__ import annotations

import os

import numpy as np

from common.core.errors import UserError
from common.tiling.grid import blended_tiled_apply_numpy
from export.runtime import OnnxSession
from export.uint8_io import run_uint8_graph


class OnnxTranslator:
    """Same behaviour as ``translate.Translator`` on an ONNX file: sides padded to the graph's multiple (at least
    8 pixels), whole image or cross-faded tiles, grey stays grey, alpha passes through.

    Args:
        path: a gansuite translation ``.onnx`` file.
        device / threads: onnxruntime provider choice and intra-op threads.
        tile / overlap: tile side (0: whole image) and pixels cross-faded between neighbouring tiles.
    """

    def __init__(self, path: str | os.PathLike, device: str = "auto", threads: int = 0, tile: int = 0, overlap: int = 64):
        self.session = OnnxSession(path, device=device, threads=threads, task="translate")
        self.multiple = max(self.session.multiple_of, 1)
        self.tile, self.overlap = tile, overlap
        self.scale = 1
        self.direction = self.session.metadata.get("direction") or None  # names the results, as for a run folder

    def _network(self, batch: np.ndarray) -> np.ndarray:
        height, width = batch.shape[-2:]
        # Multiples of the graph's stride, and at least 8 so the bottleneck can reflect-pad (as Translator does).
        pad_h, pad_w = max(-height % self.multiple, 8 - height), max(-width % self.multiple, 8 - width)
        if pad_h or pad_w:
            mode = "reflect" if min(height, width) > max(pad_h, pad_w) else "edge"
            batch = np.pad(batch, ((0, 0), (0, 0), (0, pad_h), (0, pad_w)), mode=mode)
        return self.session.run_unit(batch)[..., :height, :width]

    def translate_array(self, pixels: np.ndarray, progress=None) -> np.ndarray:
        """(H, W, C) uint8/uint16 -> same shape and dtype."""
        if min(pixels.shape[:2]) < 1:
            raise UserError(f"image of {pixels.shape[1]}x{pixels.shape[0]} pixels is empty")
        if self.session.uint8_io:
            return run_uint8_graph(self.session, pixels)
        channels = pixels.shape[2]
        colour = pixels[..., :3] if channels >= 3 else np.repeat(pixels[..., :1], 3, axis=2)
        result = blended_tiled_apply_numpy(colour, self._network, self.tile, self.overlap)
        if channels in (1, 2):
            result = result.astype(np.float32).mean(axis=2, keepdims=True).round().astype(pixels.dtype)
        if channels in (2, 4):
            result = np.concatenate([result, pixels[..., -1:]], axis=2)  # alpha passes through unchanged
        return result

    def translate_video(self, source: str | os.PathLike, target: str | os.PathLike, options=None, progress=None):
        """Translate every frame of a video file into ``target``, as ``translate.Translator.translate_video``."""
        from common.video.process import VideoOptions, process_video

        return process_video(source, target, self.translate_array, options or VideoOptions(), progress)
