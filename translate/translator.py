"""``Translator``: apply a trained CycleGAN direction to full-resolution images (library API of ``translate run``).

    >>> t = Translator.from_checkpoint("runs/s2w", direction="summer2winter")
    >>> winter = t(Image.open("summer.jpg"))
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from common.core.device import resolve_device
from common.core.errors import UserError
from common.io.images import array_to_image, image_to_array
from common.tiling.torch_apply import blended_tiled_apply
from common.weights.foreign import is_foreign_checkpoint
from common.weights.model_files import load_model
from translate.importers import import_cyclegan_generator
from translate.models import MODEL_KIND, ResnetGenerator, ResnetGeneratorConfig


def available_directions(run_dir: Path) -> list[str]:
    return sorted(p.stem for p in run_dir.glob("*2*.safetensors"))


def refuse_reverse_of_one_way(run_dir: Path, direction: str, directions: list[str]) -> None:
    """A CUT or FastCUT run learns one direction: asked for the other, say so (not just "must be one of")."""
    import json

    for known in directions:
        try:
            meta = json.loads((run_dir / f"{known}.json").read_text())
        except (OSError, ValueError):
            continue
        a, b = (meta.get("domains") or [None, None])[:2]
        if meta.get("one_way") and direction == f"{b}2{a}":
            raise UserError(f"{run_dir}: a {meta.get('method', 'one-way')} run translates {known} only ({meta.get('method', 'it')} learns one "
                            f"direction); for {direction}, train another run with --domains {b} {a}")


def load_generator(run_or_file: str | os.PathLike, direction: str | None = None) -> tuple[ResnetGenerator, dict]:
    """A generator from a run directory (+ direction such as ``summer2winter``), a .safetensors file, or a
    generator saved by junyanz/pytorch-CycleGAN-and-pix2pix (``latest_net_G_A.pth``, imported on the fly)."""
    path = Path(run_or_file)
    if is_foreign_checkpoint(path):
        return import_cyclegan_generator(path)
    if path.is_dir():
        directions = available_directions(path)
        if direction is not None and direction not in directions:
            refuse_reverse_of_one_way(path, direction, directions)
        if direction is None or direction not in directions:
            raise UserError(f"{path}: --direction must be one of {', '.join(directions) or '(none: no exported generator yet)'}")
        path = path / f"{direction}.safetensors"
    return load_model(path, {MODEL_KIND: (ResnetGeneratorConfig, ResnetGenerator)})


class Translator:
    """Translates images at full resolution: reflect-pads to a multiple of 4, runs whole (default) or in
    overlapping, cross-faded tiles above ``tile`` pixels; grey, 16-bit and RGBA are handled like ``Upscaler``.

    Args:
        model: a ResnetGenerator (or an ``export.runtime.OnnxSession`` of one).
        tile: largest side run in one piece (0: always whole); overlap: tile overlap in pixels.
    """

    def __init__(self, model, device: str = "auto", tile: int = 0, overlap: int = 64):
        from export.runtime import OnnxSession

        self.onnx = model if isinstance(model, OnnxSession) else None
        self.device = torch.device("cpu") if self.onnx else resolve_device(device)
        self.model = None if self.onnx else model.to(self.device)
        self.tile, self.overlap = tile, overlap
        self.scale = 1
        self.direction: str | None = None  # e.g. "summer2winter", when the model file says so (names the results)

    @classmethod
    def from_checkpoint(cls, run: str | os.PathLike, direction: str | None = None, **kwargs) -> "Translator":
        model, meta = load_generator(run, direction)
        translator = cls(model, **kwargs)
        translator.direction = meta.get("direction") or direction
        return translator

    @classmethod
    def from_onnx(cls, path: str | os.PathLike, device: str = "auto", threads: int = 0, **kwargs) -> "Translator":
        from export.runtime import OnnxSession

        return cls(OnnxSession(path, device=device, threads=threads, task="translate"), device=device, **kwargs)

    def _network(self, tile: torch.Tensor) -> torch.Tensor:
        height, width = tile.shape[-2:]
        # Multiples of 4 for the two stride-2 layers, and at least 8 so the 2x2 bottleneck can reflect-pad.
        pad_h, pad_w = max(-height % 4, 8 - height), max(-width % 4, 8 - width)
        if pad_h or pad_w:
            mode = "reflect" if min(height, width) > max(pad_h, pad_w) else "replicate"
            tile = F.pad(tile, (0, pad_w, 0, pad_h), mode=mode)
        if self.onnx is not None:
            out = self.onnx(tile)
        else:
            out = (self.model(tile * 2 - 1) + 1) / 2
        return out[..., :height, :width]

    def translate_array(self, pixels: np.ndarray, progress=None) -> np.ndarray:
        """(H, W, C) uint8/uint16 -> same shape and dtype."""
        if min(pixels.shape[:2]) < 1:
            raise UserError(f"image of {pixels.shape[1]}x{pixels.shape[0]} pixels is empty")
        channels = pixels.shape[2]
        colour = pixels[..., :3] if channels >= 3 else np.repeat(pixels[..., :1], 3, axis=2)
        result = blended_tiled_apply(colour, self._network, self.tile, self.overlap, self.device)
        if channels in (1, 2):
            result = result.astype(np.float32).mean(axis=2, keepdims=True).round().astype(pixels.dtype)
        if channels in (2, 4):
            result = np.concatenate([result, pixels[..., -1:]], axis=2)  # alpha passes through unchanged
        return result

    upscale_array = translate_array  # the batch-file helper calls engines by this name

    def translate_video(self, source: str | os.PathLike, target: str | os.PathLike, options=None, progress=None):
        """Translate every frame of a video file into ``target``, as :meth:`superres.upscaler.Upscaler.upscale_video`."""
        from common.video.process import VideoOptions, process_video

        return process_video(source, target, self.translate_array, options or VideoOptions(), progress)

    def __call__(self, image: Image.Image | np.ndarray) -> Image.Image | np.ndarray:
        pixels, kind = image_to_array(image)
        return array_to_image(self.translate_array(pixels), kind)
