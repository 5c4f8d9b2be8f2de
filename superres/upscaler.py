"""``Upscaler``: the library API behind ``superres upscale``.

    >>> up = Upscaler.from_pretrained("default")
    >>> big = up(Image.open("photo.png"))          # PIL in, PIL out; numpy in, numpy out
"""
from __future__ import annotations

import copy
import os
from typing import Callable, Literal

import numpy as np
import torch
from PIL import Image

from common.core.device import resolve_device
from common.core.console import log
from common.core.errors import UserError
from common.io.resize_array import resize_to, upscale_alpha, upscale_image, with_outscale  # noqa: F401  (re-exported: superres.upscaler.resize_to)
from common.nn.blocks import fold_batch_norm
from common.tiling.auto_tile import plan_tiles, tile_setting
from common.tiling.grid import Tile
from common.tiling.torch_apply import tiled_apply
from superres.architectures import SRModel
from superres.pretrained import load_sr_model

AlphaUpsampler = Literal["bicubic", "model"]


class _GreyAdapter(torch.nn.Module):
    """Runs a 1-channel model on the engine's RGB tiles: BT.601 luma in, the grey result replicated to RGB."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        luma = 0.299 * x[:, :1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]
        return self.model(luma).expand(-1, 3, -1, -1)


class Upscaler:
    """Upscales images with an SR generator, tile by tile.

    Args:
        model: an SR generator taking (B, 3, h, w) in [0, 1] (SRResNet, RRDBNet, CompactSR), or an
            :class:`export.runtime.OnnxSession` of one (see :meth:`from_onnx`); both run through the same
            tiling code.
        device: ``auto``, ``cpu``, ``cuda[:i]``.
        tile: tile size in input pixels (0: whole image), or ``auto``: for each image, the grid that runs fastest
            within the memory at hand (see :mod:`common.tiling.auto_tile`).
        tile_pad: context around each tile (default: the model's receptive radius, so tiles equal the whole
            image). Tile and pad are rounded up to the model's pixel-unshuffle cell (2 or 4 for RRDBNet x2/x1),
            so every tile sees the same cell grid as the whole image.
        alpha_upsampler: ``bicubic`` (fast) or ``model`` (alpha replicated to RGB and run through the network).
        fast: fold BatchNorm into the convs and use channels_last on the CPU (the benchmarked faster path; same
            outputs within 1/255). ``model`` itself is left untouched.
    """

    def __init__(self, model: SRModel, device: str = "auto", tile: int | str = "auto", tile_pad: int | None = None,
                 alpha_upsampler: AlphaUpsampler = "bicubic", fast: bool = True):
        from export.runtime import OnnxSession

        if isinstance(model, OnnxSession):
            self.device, self.model, self.onnx = torch.device("cpu"), None, model
            self.scale, radius = model.scale, int(model.metadata.get("receptive_radius", 40))
            align = int(model.metadata.get("tile_multiple", 1))
        else:
            self.device, self.onnx = resolve_device(device), None
            self.model = model.eval().requires_grad_(False).to(self.device)
            if fast:
                self.model = fold_batch_norm(copy.deepcopy(self.model))
            if fast and self.device.type == "cpu":
                self.model = self.model.to(memory_format=torch.channels_last)
            self.scale, radius, align = model.config.scale, model.receptive_radius, model.multiple_of
            if getattr(model.config, "in_channels", 3) == 1 and not hasattr(model, "descriptor"):  # spandrel's adapter converts itself
                self.model = _GreyAdapter(self.model)
                log("a grey (1-channel) model: colour inputs go in as their BT.601 luma and come out grey")
        self.fast, self.align, self._budget = fast, align, None
        self.tile = tile_setting(tile, align)
        self.tile_pad = -(-(radius if tile_pad is None else tile_pad) // align) * align
        if alpha_upsampler not in ("bicubic", "model"):
            raise UserError(f"alpha upsampler {alpha_upsampler!r}: expected bicubic or model")
        self.alpha_upsampler = alpha_upsampler

    @classmethod
    def from_pretrained(cls, spec: str | os.PathLike = "default", arch: str = "auto", denoise: float | None = None, **kwargs) -> "Upscaler":
        """``default`` (the embedded real-world x4 model; ``denoise`` from 0, keep detail, to 1, remove noise; 0.25
        when None), ``gan`` (its GAN-trained twin, same ``denoise``), ``clean`` (the embedded bicubic-trained x4 model), a run directory, a .safetensors file,
        or a released ``.pth`` (Real-ESRGAN, BasicSR, ESRGAN; ``arch`` settles ambiguous keys)."""
        model, _ = load_sr_model(spec, arch, denoise)
        return cls(model, **kwargs)

    @classmethod
    def from_onnx(cls, path: str | os.PathLike, device: str = "auto", threads: int = 0, **kwargs) -> "Upscaler":
        """An upscaler running a gansuite SR ONNX file with onnxruntime (see ``superres export``)."""
        from export.runtime import OnnxSession

        return cls(OnnxSession(path, device=device, threads=threads, task="superres"), **kwargs)

    def _network(self, tile: torch.Tensor) -> torch.Tensor:
        if self.onnx is not None:
            return self.onnx(tile)
        if self.fast and tile.device.type == "cpu":
            tile = tile.contiguous(memory_format=torch.channels_last)
        return self.model(tile)

    def tiles_for(self, height: int, width: int) -> Tile:
        """The tile (side, or (height, width) under ``auto``) an image of this size is upscaled in."""
        if self.tile != "auto":
            return self.tile
        if self._budget is None:
            from common.tiling.feature_size import cpu_tile_budget, cuda_tile_budget
            from export.metadata import budget_from_metadata

            if self.onnx is not None:
                self._budget = budget_from_metadata(self.onnx.metadata, self.scale, str(self.onnx.path))
            elif self.device.type == "cuda":
                self._budget = cuda_tile_budget(self.model, self.device, multiple=self.align)
            else:
                self._budget = cpu_tile_budget(self.model, multiple=self.align)
        return plan_tiles(height, width, self.tile_pad, self._budget, self.align)

    def _run(self, pixels: np.ndarray, function: Callable, progress: Callable | None) -> np.ndarray:
        tile = self.tiles_for(*pixels.shape[:2])
        return tiled_apply(pixels, function, self.scale, tile, self.tile_pad, self.device, progress)

    def upscale_array(self, pixels: np.ndarray, progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """(H, W, C) uint8/uint16 -> (H*s, W*s, C) of the same dtype; grey stays grey, alpha is kept."""
        if min(pixels.shape[:2]) < 2:
            raise UserError(f"image of {pixels.shape[1]}x{pixels.shape[0]} pixels is too small to upscale")
        channels = pixels.shape[2]
        colour = pixels[..., :3] if channels >= 3 else np.repeat(pixels[..., :1], 3, axis=2)
        result = self._run(colour, self._network, progress)
        if channels in (1, 2):
            result = result.astype(np.float32).mean(axis=2, keepdims=True).round().astype(pixels.dtype)
        if channels in (2, 4):
            alpha = pixels[..., -1:]
            if self.alpha_upsampler == "model":
                alpha_up = self._run(np.repeat(alpha, 3, axis=2), self._network, None)
                alpha_up = alpha_up.astype(np.float32).mean(axis=2, keepdims=True).round().astype(pixels.dtype)
            else:
                alpha_up = upscale_alpha(alpha, self.scale)  # OpenCV's bicubic, as the ONNX engine and the model document say
            result = np.concatenate([result, alpha_up], axis=2)
        return result

    def upscale_video(self, source: str | os.PathLike, target: str | os.PathLike, options=None, progress=None,
                      outscale: float | None = None):
        """Upscale every frame of a video file into ``target`` (sound and other streams copied, resumable, written
        whole or not at all); ``options`` is a :class:`common.video.process.VideoOptions`, ``progress(done, total)``
        is called after each frame. Returns a :class:`common.video.process.VideoResult`."""
        from common.video.process import VideoOptions, process_video

        return process_video(source, target, with_outscale(self.upscale_array, self.scale, outscale), options or VideoOptions(), progress)

    def __call__(self, image: Image.Image | np.ndarray, outscale: float | None = None) -> Image.Image | np.ndarray:
        """Upscale a PIL image or numpy array; returns the same kind. ``outscale`` resizes the result to
        ``outscale`` x the input size (Lanczos) after the network."""
        return upscale_image(self.upscale_array, self.scale, image, outscale)
